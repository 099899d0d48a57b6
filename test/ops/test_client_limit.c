/* Client rate limit: CIDR matching, the token bucket, the shared table. */
#include <string.h>
#include <sys/socket.h>

#include "http/client_limit.h"
#include "test/unit/test.h"

#define SEC 1000000000ll

static bool in(const char *list, const char *ip)
{
    http_cidr_t *c;
    size_t n;
    char err[128] = "";
    if (http_cidr_list_parse(list, &c, &n, err, sizeof err) < 0) return false;
    bool m = http_cidr_match_str(c, n, ip, strlen(ip));
    free(c);
    return m;
}

TEST(cidr_matching_v4_v6_and_mapped)
{
    ASSERT(in("10.0.0.0/8", "10.1.2.3"));
    ASSERT(!in("10.0.0.0/8", "11.0.0.1"));
    ASSERT(in("192.168.1.0/25", "192.168.1.127"));
    ASSERT(!in("192.168.1.0/25", "192.168.1.128"));
    ASSERT(in("127.0.0.1", "127.0.0.1"));
    ASSERT(!in("127.0.0.1", "127.0.0.2"));
    ASSERT(in("0.0.0.0/0", "8.8.8.8"));
    ASSERT(in("::1", "::1"));
    ASSERT(in("fd00::/8", "fd12:3456::1"));
    ASSERT(!in("fd00::/8", "fe80::1"));
    ASSERT(in("10.0.0.0/8", "::ffff:10.9.9.9")); /* v4-mapped */
    ASSERT(!in("10.0.0.0/8", "fd00::1"));
    ASSERT(in(" 10.0.0.0/8 , 172.16.0.0/12 ", "172.20.1.1"));
    ASSERT(!in("10.0.0.0/8", "not-an-ip"));
}

TEST(bad_cidrs_are_refused)
{
    http_cidr_t *c;
    size_t n;
    char err[128] = "";
    ASSERT_EQ(http_cidr_list_parse("10.0.0.0/33", &c, &n, err, sizeof err), -1);
    ASSERT_STR_CONTAINS(err, "10.0.0.0/33");
    ASSERT_EQ(http_cidr_list_parse("10.0.0.0/", &c, &n, err, sizeof err), -1);
    ASSERT_EQ(http_cidr_list_parse("example.org", &c, &n, err, sizeof err), -1);
    ASSERT_EQ(http_cidr_list_parse("::/129", &c, &n, err, sizeof err), -1);
    ASSERT_EQ(http_cidr_list_parse("", &c, &n, err, sizeof err), 0);
    ASSERT_EQ(n, 0);
}

TEST(bucket_allows_burst_then_refuses_then_refills)
{
    shm_client_bucket_t b = {.key = 1, .tokens = 3, .refilled_ns = 1};
    http_limit_verdict_t v;
    int64_t t = 10 * SEC;
    for (int i = 0; i < 3; i++) {
        http_bucket_take(&b, 2.0, 3.0, t, true, &v);
        ASSERT(v.allowed);
        ASSERT_EQ(v.remaining, 2 - i);
        ASSERT_EQ(v.limit, 3);
    }
    http_bucket_take(&b, 2.0, 3.0, t, true, &v);
    ASSERT(!v.allowed);
    ASSERT_EQ(v.retry_after, 1);
    ASSERT_EQ(v.reset_s, 2);                               /* 3 tokens at 2/s */
    http_bucket_take(&b, 2.0, 3.0, t + SEC / 2, true, &v); /* one token back */
    ASSERT(v.allowed);
    ASSERT_EQ(v.remaining, 0);
    http_bucket_take(&b, 2.0, 3.0, t + 100 * SEC, false, &v); /* never above the burst */
    ASSERT_EQ(v.remaining, 3);
}

TEST(slow_rate_gives_longer_retry_after)
{
    shm_client_bucket_t b = {.key = 1, .tokens = 0, .refilled_ns = SEC};
    http_limit_verdict_t v;
    http_bucket_take(&b, 0.1, 1.0, SEC, true, &v);
    ASSERT(!v.allowed);
    ASSERT_EQ(v.retry_after, 10);
}

TEST(table_keeps_clients_apart)
{
    shm_client_bucket_t table[64];
    memset(table, 0, sizeof table);
    http_limit_verdict_t v;
    uint64_t a = http_client_key("addr", "10.0.0.1", 8), b = http_client_key("addr", "10.0.0.2", 8);
    ASSERT_NE(a, b);
    ASSERT_NE(http_client_key("key", "x", 1), http_client_key("addr", "x", 1));
    for (int i = 0; i < 2; i++) {
        http_client_limit(table, 64, NULL, a, 1.0, 2.0, SEC, true, &v);
        ASSERT(v.allowed);
    }
    http_client_limit(table, 64, NULL, a, 1.0, 2.0, SEC, true, &v);
    ASSERT(!v.allowed);
    http_client_limit(table, 64, NULL, b, 1.0, 2.0, SEC, true, &v);
    ASSERT(v.allowed);
    http_client_limit(table, 64, NULL, a, 1.0, 2.0, SEC, false, &v); /* a look takes nothing */
    ASSERT(!v.allowed);
}

TEST(full_table_evicts_instead_of_refusing)
{
    shm_client_bucket_t table[16];
    memset(table, 0, sizeof table);
    http_limit_verdict_t v;
    /* 100 busy clients in 16 slots: every new one still gets its burst. */
    for (uint64_t k = 1; k <= 100; k++) {
        http_client_limit(table, 16, NULL, k, 0.001, 1.0, SEC + (int64_t)k, true, &v);
        ASSERT(v.allowed);
    }
}

TEST_MAIN()
