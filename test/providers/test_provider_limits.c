/* The group-wide provider limits: token bucket reservations and the
 * circuit breaker's states, on an explicit clock. */
#include <pthread.h>

#include "providers/provider_limits.h"
#include "test/test.h"

#define MS 1000000ll

static shm_provider_t *fresh(int64_t interval_ns, int burst)
{
    static shm_provider_t p;
    memset(&p, 0, sizeof p);
    pthread_mutex_init(&p.lock, NULL);
    prov_limits_configure(&p, interval_ns, burst);
    return &p;
}

static const prov_breaker_cfg_t BREAKER = {
    .threshold = 3, .base_ns = 1000 * MS, .max_ns = 4000 * MS};

TEST(limits_unlimited_never_waits)
{
    shm_provider_t *p = fresh(0, 1);
    for (int i = 0; i < 1000; i++)
        ASSERT_EQ(prov_limits_reserve(p, 1, 2), 0);
}

TEST(limits_burst_then_one_per_interval)
{
    shm_provider_t *p = fresh(3000 * MS, 2);
    int64_t t = 10000 * MS, deadline = t + 100000 * MS;
    ASSERT_EQ(prov_limits_reserve(p, t, deadline), 0);
    ASSERT_EQ(prov_limits_reserve(p, t, deadline), 0);
    /* the third waits one interval, the fourth two: slots are promised in order */
    ASSERT_EQ(prov_limits_reserve(p, t, deadline), 3000 * MS);
    ASSERT_EQ(prov_limits_reserve(p, t, deadline), 6000 * MS);
}

TEST(limits_refuses_when_no_slot_before_deadline)
{
    shm_provider_t *p = fresh(3000 * MS, 1);
    int64_t t = 5000 * MS;
    ASSERT_EQ(prov_limits_reserve(p, t, t + 1000 * MS), 0);
    ASSERT_EQ(prov_limits_reserve(p, t, t + 1000 * MS), -1);
    ASSERT_EQ(p->rate_limited, 1);
    /* a refusal holds nothing: the next caller with time gets the slot */
    ASSERT_EQ(prov_limits_reserve(p, t, t + 5000 * MS), 3000 * MS);
}

TEST(limits_bucket_refills_up_to_burst)
{
    shm_provider_t *p = fresh(1000 * MS, 2);
    int64_t t = 1000 * MS;
    ASSERT_EQ(prov_limits_reserve(p, t, t + 1), 0);
    ASSERT_EQ(prov_limits_reserve(p, t, t + 1), 0);
    t += 60000 * MS; /* a long quiet spell refills two tokens, not sixty */
    ASSERT_EQ(prov_limits_reserve(p, t, t + 1), 0);
    ASSERT_EQ(prov_limits_reserve(p, t, t + 1), 0);
    ASSERT_EQ(prov_limits_reserve(p, t, t + 1), -1);
}

TEST(breaker_opens_after_threshold_failures)
{
    shm_provider_t *p = fresh(0, 1);
    int64_t t = 1000 * MS;
    for (int i = 0; i < 2; i++) {
        ASSERT_EQ(prov_breaker_check(p, t, &BREAKER), BREAKER_ALLOW);
        prov_limits_record(p, CALL_FAILURE, false, 5, t, &BREAKER);
    }
    ASSERT_EQ(p->breaker, BREAKER_CLOSED);
    prov_limits_record(p, CALL_FAILURE, false, 5, t, &BREAKER);
    ASSERT_EQ(p->breaker, BREAKER_OPEN);
    ASSERT_EQ(prov_breaker_check(p, t + 999 * MS, &BREAKER), BREAKER_REJECT);
}

TEST(breaker_success_resets_the_count)
{
    shm_provider_t *p = fresh(0, 1);
    int64_t t = 1000 * MS;
    prov_limits_record(p, CALL_FAILURE, false, 5, t, &BREAKER);
    prov_limits_record(p, CALL_FAILURE, false, 5, t, &BREAKER);
    prov_limits_record(p, CALL_SUCCESS, false, 5, t, &BREAKER);
    prov_limits_record(p, CALL_FAILURE, false, 5, t, &BREAKER);
    prov_limits_record(p, CALL_FAILURE, false, 5, t, &BREAKER);
    ASSERT_EQ(p->breaker, BREAKER_CLOSED);
    /* a 4xx counts neither way */
    prov_limits_record(p, CALL_NEUTRAL, false, 5, t, &BREAKER);
    ASSERT_EQ(p->consecutive_failures, 2);
}

TEST(breaker_one_probe_then_closes_on_success)
{
    shm_provider_t *p = fresh(0, 1);
    int64_t t = 1000 * MS;
    for (int i = 0; i < 3; i++)
        prov_limits_record(p, CALL_FAILURE, false, 5, t, &BREAKER);
    t += 1000 * MS;
    ASSERT_EQ(prov_breaker_check(p, t, &BREAKER), BREAKER_PROBE);
    ASSERT_EQ(prov_breaker_check(p, t, &BREAKER), BREAKER_REJECT); /* one probe at a time */
    prov_limits_record(p, CALL_SUCCESS, true, 5, t, &BREAKER);
    ASSERT_EQ(p->breaker, BREAKER_CLOSED);
    ASSERT_EQ(prov_breaker_check(p, t, &BREAKER), BREAKER_ALLOW);
}

TEST(breaker_failed_probe_reopens_for_longer)
{
    shm_provider_t *p = fresh(0, 1);
    int64_t t = 1000 * MS;
    for (int i = 0; i < 3; i++)
        prov_limits_record(p, CALL_FAILURE, false, 5, t, &BREAKER);
    t += 1000 * MS;
    ASSERT_EQ(prov_breaker_check(p, t, &BREAKER), BREAKER_PROBE);
    prov_limits_record(p, CALL_FAILURE, true, 5, t, &BREAKER);
    ASSERT_EQ(p->breaker, BREAKER_OPEN);
    /* second opening in a row: twice the base */
    ASSERT_EQ(prov_breaker_check(p, t + 1500 * MS, &BREAKER), BREAKER_REJECT);
    ASSERT_EQ(prov_breaker_check(p, t + 2000 * MS, &BREAKER), BREAKER_PROBE);
    prov_limits_record(p, CALL_FAILURE, true, 5, t + 2000 * MS, &BREAKER);
    prov_limits_record(p, CALL_FAILURE, true, 5, t + 2000 * MS, &BREAKER);
    /* capped at max */
    ASSERT(p->open_until_ns - (t + 2000 * MS) <= BREAKER.max_ns);
}

TEST(limits_view_reports_percentiles)
{
    shm_provider_t *p = fresh(500 * MS, 3);
    for (int i = 1; i <= 100; i++)
        prov_limits_record(p, CALL_SUCCESS, false, (double)i, 1, &BREAKER);
    prov_limits_view_t v;
    prov_limits_view(p, 1, &v);
    ASSERT_EQ(v.calls, 100);
    ASSERT_DBL_EQ(v.p50_ms, 50.0);
    ASSERT_DBL_EQ(v.p95_ms, 95.0);
    ASSERT_EQ(v.interval_ms, 500);
    ASSERT_EQ(v.burst, 3);
}

TEST_MAIN()
