/* L1 store and service: TTL expiry on the fake clock (core/clock.h), the
 * byte bound, LRU order, stale-while-revalidate; single-flight with a fake
 * next link; each link kind keeping the protocol of core/search_service.h. */
#include <stdlib.h>
#include <string.h>

#include "cache/cache.h"
#include "cache/group.h"
#include "cache/l1.h"
#include "core/shm.h"
#include "cache/redis.h"
#include "cache/singleflight.h"
#include "cache/tiers.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/defer.h"
#include "test/test.h"

/* The links' loop: a hit is delivered on its next turn (core/search_service.h). */
static uv_loop_t loop;
static bool loop_ready;

static uv_loop_t *test_loop(void)
{
    if (!loop_ready) {
        uv_loop_init(&loop);
        loop_ready = true;
    }
    return &loop;
}

/* Runs the turns that deliver what is due now. */
static void turn(void)
{
    uv_run(test_loop(), UV_RUN_NOWAIT);
}

/* Closes the loop's deferred queue and the loop, checking nothing is left. */
static void loop_done(void)
{
    sf_defer_loop_close(&loop);
    uv_run(&loop, UV_RUN_DEFAULT);
    ASSERT_EQ(uv_loop_close(&loop), 0);
    loop_ready = false;
}

#define SEC 1000000000ull

static blob_t *answer(const char *fill, size_t n)
{
    blob_t *b = blob_alloc(n);
    memset(b->data, fill[0], n);
    memcpy(b->data, "{\"p\":", 5);
    memcpy(b->data + n - 16, "\"partial\":false}", 16);
    return b;
}

static search_reply_t reply_of(blob_t *b)
{
    return (search_reply_t){.status = 200, .body = b, .etag = 7, .tier = "search"};
}

static cache_l1_opts_t opts(size_t max)
{
    return (cache_l1_opts_t){.max_bytes = max,
                             .ttl_ms = 10000,
                             .stale_ms = 5000,
                             .partial_ttl_ms = 1000,
                             .loop = test_loop()};
}

TEST(l1_ttl_fresh_then_stale_then_gone)
{
    clock_fake_start(100 * SEC, 0);
    cache_l1_opts_t o = opts(1 << 20);
    cache_l1_t *c = cache_l1_new(&o);
    blob_t *b = answer("a", 100);
    search_reply_t r = reply_of(b), got;
    ASSERT_EQ(cache_l1_put(c, "k", &r), 0);
    ASSERT_EQ(cache_l1_get(c, "k", &got), CACHE_L1_FRESH);
    ASSERT_PTR_EQ(got.body, b);
    ASSERT_STR_EQ(got.tier, "memory");
    clock_fake_advance_ms(9000);
    ASSERT_EQ(cache_l1_get(c, "k", &got), CACHE_L1_FRESH);
    ASSERT_EQ(got.age_s, 9);
    clock_fake_advance_ms(2000);
    ASSERT_EQ(cache_l1_get(c, "k", &got), CACHE_L1_STALE);
    ASSERT(got.stale);
    clock_fake_advance_ms(5000);
    ASSERT_EQ(cache_l1_get(c, "k", &got), CACHE_L1_MISS);
    ASSERT_EQ(cache_l1_stats(c)->entries, 0);
    ASSERT_EQ(cache_l1_stats(c)->expired, 1);
    ASSERT_EQ(cache_l1_stats(c)->bytes, 0);
    blob_unref(b);
    cache_l1_free(c);
}

TEST(l1_age_of_filled_answer_counts)
{
    clock_fake_start(100 * SEC, 0);
    cache_l1_opts_t o = opts(1 << 20);
    cache_l1_t *c = cache_l1_new(&o);
    blob_t *b = answer("a", 100);
    search_reply_t r = reply_of(b), got;
    r.age_s = 12; /* from Redis, already past its TTL of 10 s */
    ASSERT_EQ(cache_l1_put(c, "k", &r), 0);
    ASSERT_EQ(cache_l1_get(c, "k", &got), CACHE_L1_STALE);
    r.age_s = 20; /* past TTL + grace: not kept */
    ASSERT_EQ(cache_l1_put(c, "k2", &r), 1);
    blob_unref(b);
    cache_l1_free(c);
}

TEST(l1_byte_bound_evicts_least_recently_used)
{
    clock_fake_start(SEC, 0);
    cache_l1_opts_t o = opts(3000);
    cache_l1_t *c = cache_l1_new(&o);
    blob_t *b = answer("x", 700);
    search_reply_t r = reply_of(b), got;
    ASSERT_EQ(cache_l1_put(c, "a", &r), 0);
    ASSERT_EQ(cache_l1_put(c, "b", &r), 0);
    ASSERT_EQ(cache_l1_put(c, "c", &r), 0);
    ASSERT_STR_EQ(cache_l1_lru_key(c, true), "a");
    ASSERT_EQ(cache_l1_get(c, "a", &got), CACHE_L1_FRESH); /* a is now the most recent */
    ASSERT_STR_EQ(cache_l1_lru_key(c, false), "a");
    ASSERT_STR_EQ(cache_l1_lru_key(c, true), "b");
    ASSERT_EQ(cache_l1_put(c, "d", &r), 0); /* over 3000 bytes: b goes */
    ASSERT_EQ(cache_l1_get(c, "b", &got), CACHE_L1_MISS);
    ASSERT_EQ(cache_l1_get(c, "a", &got), CACHE_L1_FRESH);
    ASSERT_EQ(cache_l1_stats(c)->evictions, 1);
    ASSERT_LE_U(cache_l1_stats(c)->bytes, 3000);
    blob_t *big = answer("y", 5000); /* larger than the bound: never stored */
    search_reply_t rb = reply_of(big);
    ASSERT_EQ(cache_l1_put(c, "big", &rb), 1);
    ASSERT_EQ(cache_l1_get(c, "big", &got), CACHE_L1_MISS);
    ASSERT_EQ(b->refs, 1 + (unsigned)cache_l1_stats(c)->entries);
    blob_unref(big);
    cache_l1_free(c);
    ASSERT_EQ(b->refs, 1);
    blob_unref(b);
}

TEST(l1_refuses_errors_and_keeps_partial_briefly)
{
    clock_fake_start(SEC, 0);
    cache_l1_opts_t o = opts(1 << 20);
    cache_l1_t *c = cache_l1_new(&o);
    blob_t *b = answer("x", 100);
    search_reply_t r = reply_of(b), got;
    r.status = 502;
    ASSERT_EQ(cache_l1_put(c, "e", &r), 1);
    blob_t *p = blob_new("{\"x\":1,\"partial\":true}", 22);
    search_reply_t rp = reply_of(p);
    rp.partial = true; /* a value beside the bytes: the body is not read */
    rp.total = 42;
    rp.took_ms = 12.5;
    ASSERT_EQ(cache_l1_put(c, "p", &rp), 0);
    clock_fake_advance_ms(500);
    ASSERT_EQ(cache_l1_get(c, "p", &got), CACHE_L1_FRESH);
    ASSERT(got.partial);
    ASSERT_EQ(got.total, 42);
    ASSERT_DBL_EQ(got.took_ms, 12.5);
    clock_fake_advance_ms(1000);
    ASSERT_EQ(cache_l1_get(c, "p", &got), CACHE_L1_MISS); /* partial: no grace */
    blob_unref(p);
    blob_unref(b);
    cache_l1_free(c);
}

TEST(l1_delete_by_hash)
{
    clock_fake_start(SEC, 0);
    cache_l1_opts_t o = opts(1 << 20);
    cache_l1_t *c = cache_l1_new(&o);
    blob_t *b = answer("h", 100);
    search_reply_t r = reply_of(b), got;
    ASSERT_EQ(cache_l1_put(c, "a", &r), 0);
    ASSERT_EQ(cache_l1_put(c, "b", &r), 0);
    ASSERT_EQ(cache_l1_delete_hash(c, cache_hash("a")), 1);
    ASSERT_EQ(cache_l1_delete_hash(c, cache_hash("a")), 0);
    ASSERT_EQ(cache_l1_get(c, "a", &got), CACHE_L1_MISS);
    ASSERT_EQ(cache_l1_get(c, "b", &got), CACHE_L1_FRESH);
    blob_unref(b);
    cache_l1_free(c);
}

/* ---- a fake next link -------------------------------------------------- */

typedef struct fake_call {
    search_reply_cb cb;
    void *data;
    char key[64];
    bool cancelled;
} fake_call_t;

static fake_call_t calls[16];
static int ncalls;

static void *fake_fetch(search_service_t *self, const search_request_t *req, search_reply_cb cb,
                        void *data)
{
    (void)self;
    fake_call_t *c = &calls[ncalls++];
    c->cb = cb;
    c->data = data;
    snprintf(c->key, sizeof c->key, "%s", req->key);
    return c;
}

static void fake_cancel(search_service_t *self, void *h)
{
    (void)self;
    ((fake_call_t *)h)->cancelled = true;
}

static search_service_t fake = {.fetch = fake_fetch, .cancel = fake_cancel};

static int answers;
static const char *last_tier;
static bool last_stale;
static bool last_had_deflate;
static void on_answer(const search_reply_t *r, void *data)
{
    (void)data;
    answers++;
    last_tier = r->tier;
    last_stale = r->stale;
    last_had_deflate = r->body_deflate != NULL;
}

static void answer_call(int i, blob_t *b)
{
    search_reply_t r = reply_of(b);
    calls[i].cb(&r, calls[i].data);
}

TEST(l1_service_miss_fill_hit_and_stale_while_revalidate)
{
    clock_fake_start(SEC, 0);
    cache_l1_opts_t o = opts(1 << 20);
    o.gzip = true;
    search_service_t *l1 = cache_l1_service(&fake, &o);
    query_t q;
    query_init(&q);
    q.text = "x";
    search_request_t req = {.query = &q, .key = "k1", .deadline_ms = 100};
    ASSERT_NOT_NULL(l1->fetch(l1, &req, on_answer, NULL));
    ASSERT_EQ(ncalls, 1);
    blob_t *b = answer("z", 300);
    answer_call(0, b);
    ASSERT_EQ(answers, 1);
    ASSERT(last_had_deflate); /* the gzip copy is made at fill time */
    ASSERT_NOT_NULL(l1->fetch(l1, &req, on_answer, NULL));
    ASSERT_EQ(answers, 1); /* a hit: on the next turn */
    turn();
    ASSERT_EQ(answers, 2);
    ASSERT_STR_EQ(last_tier, "memory");
    ASSERT_EQ(ncalls, 1);
    clock_fake_advance_ms(11000); /* stale: answered on the next turn, one refresh */
    ASSERT_NOT_NULL(l1->fetch(l1, &req, on_answer, NULL));
    ASSERT_NOT_NULL(l1->fetch(l1, &req, on_answer, NULL));
    turn();
    ASSERT_EQ(answers, 4);
    ASSERT(last_stale);
    ASSERT_EQ(ncalls, 2);
    ASSERT_EQ(cache_l1_refreshing(l1), 1);
    answer_call(1, b);
    ASSERT_EQ(cache_l1_refreshing(l1), 0);
    ASSERT_EQ(answers, 4); /* the refresh answers nobody */
    ASSERT_NOT_NULL(l1->fetch(l1, &req, on_answer, NULL));
    turn();
    ASSERT(!last_stale);
    /* a waiting client leaves: next's call is cancelled */
    search_request_t req2 = {.query = &q, .key = "k2", .deadline_ms = 100};
    void *h = l1->fetch(l1, &req2, on_answer, NULL);
    l1->cancel(l1, h);
    ASSERT(calls[2].cancelled);
    blob_unref(b);
    cache_l1_service_free(l1);
    loop_done();
}

TEST(singleflight_joins_identical_requests)
{
    search_service_t *sf = cache_singleflight_service(&fake);
    query_t q;
    query_init(&q);
    q.text = "x";
    search_request_t req = {.query = &q, .key = "same", .deadline_ms = 100};
    search_request_t other = {.query = &q, .key = "other", .deadline_ms = 100};
    void *h[5];
    for (int i = 0; i < 5; i++)
        h[i] = sf->fetch(sf, &req, on_answer, NULL);
    ASSERT_NOT_NULL(sf->fetch(sf, &other, on_answer, NULL));
    ASSERT_EQ(ncalls, 2);
    ASSERT_EQ(cache_singleflight_flights(sf), 2);
    sf->cancel(sf, h[2]); /* one waiter leaves; the flight goes on */
    ASSERT(!calls[0].cancelled);
    blob_t *b = answer("q", 100);
    answer_call(0, b);
    ASSERT_EQ(answers, 4);
    ASSERT_EQ(cache_singleflight_flights(sf), 1);
    ASSERT_EQ(cache_singleflight_stats(sf)->joined, 4);
    /* the same key again: a new flight */
    void *again = sf->fetch(sf, &req, on_answer, NULL);
    ASSERT_EQ(ncalls, 3);
    sf->cancel(sf, again); /* its only waiter leaves: next is cancelled */
    ASSERT(calls[2].cancelled);
    ASSERT_EQ(cache_singleflight_flights(sf), 1);
    blob_unref(b);
    cache_singleflight_free(sf);
    ASSERT(calls[1].cancelled);
}

/* The group's deletions reach an L1 through its group link; a worker that
 * fell behind the ring drops everything. */
TEST(group_deletions_reach_l1_and_overflow_clears_it)
{
    ASSERT_NOT_NULL(shm_create());
    clock_fake_start(SEC, 0);
    cache_l1_opts_t o = opts(1 << 20);
    search_service_t *l1 = cache_l1_service(&fake, &o);
    cache_tiers_t tiers = {.l1 = l1};
    search_service_t *g = cache_group_service(&tiers);
    blob_t *b = answer("g", 100);
    search_reply_t r = reply_of(b), got;
    cache_l1_t *store = cache_l1_of(l1);
    ASSERT_EQ(cache_l1_put(store, "k1", &r), 0);
    ASSERT_EQ(cache_l1_put(store, "k2", &r), 0);
    query_t q;
    query_init(&q);
    q.text = "x";
    search_request_t req = {.query = &q, .key = "k2", .deadline_ms = 100};

    cache_group_delete("k1"); /* as another worker would */
    int before = answers;
    ASSERT_NOT_NULL(g->fetch(g, &req, on_answer, NULL)); /* k2: a hit, and k1 is gone */
    turn();
    ASSERT_EQ(answers, before + 1);
    ASSERT_EQ(cache_l1_get(store, "k1", &got), CACHE_L1_MISS);
    ASSERT_EQ(cache_l1_get(store, "k2", &got), CACHE_L1_FRESH);

    for (int i = 0; i <= SHM_CACHE_DELETIONS; i++)
        cache_group_delete("some other key");
    int asked = ncalls;
    void *h = g->fetch(g, &req, on_answer, NULL); /* overflow: k2 went too */
    ASSERT_NOT_NULL(h);
    ASSERT_EQ(ncalls, asked + 1);
    g->cancel(g, h);
    ASSERT(calls[asked].cancelled);
    blob_unref(b);
    cache_group_service_free(g);
    cache_l1_service_free(l1);
    shm_destroy();
    loop_done();
}

/* ---- the protocol: an answer a link has at once comes after fetch() ----- */

static bool in_fetch;
static int answers_in_fetch;
static void on_answer_checked(const search_reply_t *r, void *data)
{
    if (in_fetch) answers_in_fetch++;
    on_answer(r, data);
}

static void *fetch_checked(search_service_t *svc, const search_request_t *req)
{
    in_fetch = true;
    void *h = svc->fetch(svc, req, on_answer_checked, NULL);
    in_fetch = false;
    return h;
}

/* An L1 holding "k" (fresh), on the test loop. */
static search_service_t *l1_holding_k(blob_t *b)
{
    clock_fake_start(SEC, 0);
    cache_l1_opts_t o = opts(1 << 20);
    search_service_t *l1 = cache_l1_service(&fake, &o);
    search_reply_t r = reply_of(b);
    ASSERT_EQ(cache_l1_put(cache_l1_of(l1), "k", &r), 0);
    return l1;
}

TEST(l1_hit_arrives_after_fetch_returned_and_a_cancelled_one_never)
{
    blob_t *b = answer("h", 100);
    search_service_t *l1 = l1_holding_k(b);
    query_t q;
    query_init(&q);
    q.text = "x";
    search_request_t req = {.query = &q, .key = "k", .deadline_ms = 100};
    int before = answers;
    answers_in_fetch = 0;
    void *h = fetch_checked(l1, &req);
    ASSERT_NOT_NULL(h); /* a handle, even for a hit */
    ASSERT_EQ(answers, before);
    ASSERT_EQ(sf_defer_waiting(&loop), 1);
    turn();
    ASSERT_EQ(answers, before + 1);
    ASSERT_EQ(answers_in_fetch, 0);
    ASSERT_STR_EQ(last_tier, "memory");
    /* The client leaves before the hit's turn: no answer, the bytes let go. */
    h = fetch_checked(l1, &req);
    ASSERT_EQ(b->refs, 3); /* ours, the store's, the pending answer's */
    l1->cancel(l1, h);
    ASSERT_EQ(b->refs, 2);
    turn();
    ASSERT_EQ(answers, before + 1);
    /* A hit dropped from the store before its turn still has its bytes. */
    h = fetch_checked(l1, &req);
    cache_l1_clear(cache_l1_of(l1));
    turn();
    ASSERT_EQ(answers, before + 2);
    ASSERT_EQ(b->refs, 1);
    cache_l1_service_free(l1);
    blob_unref(b);
    loop_done();
}

TEST(l1_service_freed_with_a_hit_pending_lets_it_go)
{
    blob_t *b = answer("p", 100);
    search_service_t *l1 = l1_holding_k(b);
    query_t q;
    query_init(&q);
    q.text = "x";
    search_request_t req = {.query = &q, .key = "k", .deadline_ms = 100};
    int before = answers;
    ASSERT_NOT_NULL(fetch_checked(l1, &req));
    cache_l1_service_free(l1);
    turn();
    ASSERT_EQ(answers, before);
    ASSERT_EQ(b->refs, 1);
    blob_unref(b);
    loop_done();
}

TEST(singleflight_answer_ready_below_arrives_after_fetch_returned)
{
    blob_t *b = answer("s", 100);
    search_service_t *l1 = l1_holding_k(b);
    search_service_t *sf = cache_singleflight_service(l1);
    query_t q;
    query_init(&q);
    q.text = "x";
    search_request_t req = {.query = &q, .key = "k", .deadline_ms = 100};
    int before = answers;
    answers_in_fetch = 0;
    ASSERT_NOT_NULL(fetch_checked(sf, &req));
    ASSERT_NOT_NULL(fetch_checked(sf, &req)); /* joins the flight */
    ASSERT_EQ(answers, before);
    ASSERT_EQ(cache_singleflight_stats(sf)->joined, 1);
    turn();
    ASSERT_EQ(answers, before + 2);
    ASSERT_EQ(answers_in_fetch, 0);
    ASSERT_EQ(cache_singleflight_flights(sf), 0);
    cache_singleflight_free(sf);
    cache_l1_service_free(l1);
    blob_unref(b);
    loop_done();
}

/* Redis not there (nothing listens on port 1): L2 is bypassed and asks
 * next at once; next's answer, ready at once, still comes after fetch(). */
TEST(redis_bypassed_answer_ready_below_arrives_after_fetch_returned)
{
    blob_t *b = answer("r", 100);
    search_service_t *l1 = l1_holding_k(b);
    static sf_config_t cfg;
    config_defaults(&cfg);
    snprintf(cfg.redis.url, sizeof cfg.redis.url, "redis://127.0.0.1:1/0");
    search_service_t *l2 = cache_redis_service(l1, &loop, &cfg);
    ASSERT_NOT_NULL(l2);
    query_t q;
    query_init(&q);
    q.text = "x";
    search_request_t req = {.query = &q, .key = "k", .deadline_ms = 100};
    int before = answers;
    answers_in_fetch = 0;
    ASSERT_NOT_NULL(fetch_checked(l2, &req));
    ASSERT_EQ(answers, before);
    turn();
    ASSERT_EQ(answers, before + 1);
    ASSERT_EQ(answers_in_fetch, 0);
    cache_redis_service_free(l2);
    cache_l1_service_free(l1);
    blob_unref(b);
    loop_done();
}

TEST_MAIN()
