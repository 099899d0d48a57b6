/* L3 (store/l3.c) as a link of the search chain, against a real
 * PostgreSQL (run_with_pg.py sets SCIFIND_TEST_PG_DSN; without it,
 * skipped), migrated by the test: the keys asked are not in search_cache,
 * so every lookup is a miss, which is what these tests need. */
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "cache/singleflight.h"
#include "core/config.h"
#include "core/defer.h"
#include "core/log.h"
#include "store/migrate.h"
#include "store/store.h"
#include "test/test.h"

#define NEED_DSN(d)                                                                                \
    const char *d = getenv("SCIFIND_TEST_PG_DSN");                                                 \
    if (!d || !*d) TEST_SKIP("SCIFIND_TEST_PG_DSN not set (run through run_with_pg.py)")

/* ---- a fake next link: keeps what it was asked, answers when told ------- */

typedef struct next_call {
    search_reply_cb cb;
    void *data;
    char traceparent[64];
    char text[64];
} next_call_t;

static next_call_t calls[8];
static int ncalls;

static void *fake_fetch(search_service_t *self, const search_request_t *req, search_reply_cb cb,
                        void *data)
{
    (void)self;
    next_call_t *c = &calls[ncalls++];
    c->cb = cb;
    c->data = data;
    /* A link below L3 reads the whole query (search.c copies it). */
    snprintf(c->traceparent, sizeof c->traceparent, "%s",
             req->query->traceparent ? req->query->traceparent : "");
    snprintf(c->text, sizeof c->text, "%s", req->query->text);
    return c;
}

static void fake_cancel(search_service_t *self, void *h)
{
    (void)self;
    (void)h;
}

static search_service_t fake = {.fetch = fake_fetch, .cancel = fake_cancel};

static int answers;
static bool in_fetch;
static int answers_in_fetch;
static int answers_tier_postgres;
static search_reply_t last; /* facts only: the blobs are not kept */
static void on_answer(const search_reply_t *r, void *data)
{
    (void)data;
    answers++;
    if (in_fetch) answers_in_fetch++;
    if (strcmp(r->tier, "postgres") == 0) answers_tier_postgres++;
    last = *r;
    last.body = last.body_deflate = NULL;
}

static bool postgres_answered(void)
{
    return answers_tier_postgres > 0;
}

static bool never(void)
{
    return false;
}

static store_t *st_now;
static bool l3_written(void)
{
    store_stats_t ss;
    store_get_stats(st_now, &ss);
    return ss.l3_writes > 0;
}

static void run_until(uv_loop_t *loop, bool (*cond)(void), double seconds)
{
    uint64_t end = uv_hrtime() + (uint64_t)(seconds * 1e9);
    while (!cond() && uv_hrtime() < end)
        uv_run(loop, UV_RUN_ONCE);
}

static bool next_asked(void)
{
    return ncalls > 0;
}

static sf_config_t cfg;
static bool store_up_now;
static bool store_is_up(void)
{
    return store_up_now = store_available(st_now, NULL);
}

static bool store_is_down(void)
{
    return !store_available(st_now, NULL);
}

static store_t *start_store(uv_loop_t *loop, const char *dsn, bool migrate)
{
    char err[256];
    if (migrate) ASSERT_GE(store_migrate(dsn, NULL, err, sizeof err), 0);
    config_defaults(&cfg);
    snprintf(cfg.pg.dsn, sizeof cfg.pg.dsn, "%s", dsn);
    store_t *st = store_new(loop, &cfg);
    ASSERT_NOT_NULL(st);
    st_now = st;
    return st;
}

static bool closed;
static void on_store_closed(void *data)
{
    (void)data;
    closed = true;
}
static bool store_closed(void)
{
    return closed;
}

static void stop_store(uv_loop_t *loop, store_t *st)
{
    closed = false;
    store_shutdown(st, on_store_closed, NULL);
    run_until(loop, store_closed, 10);
    ASSERT(closed);
    store_free(st);
    sf_defer_loop_close(loop);
    uv_run(loop, UV_RUN_DEFAULT);
    ASSERT_EQ(uv_loop_close(loop), 0);
}

/* The request that started a flight leaves while L3 looks the key up; a
 * second request waits on the same flight. L3's miss then asks next with
 * its own copy of the query: the traceparent must not point into the first
 * request's memory, freed by then (ASan: heap-use-after-free). */
TEST(l3_miss_after_the_first_request_left_passes_a_traceparent_of_its_own)
{
    NEED_DSN(d);
    uv_loop_t loop;
    uv_loop_init(&loop);
    store_t *st = start_store(&loop, d, true);
    run_until(&loop, store_is_up, 10);
    ASSERT(store_up_now);
    search_service_t *l3 = store_l3_service(st, &fake);
    search_service_t *sf = cache_singleflight_service(l3);
    ASSERT_NOT_NULL(l3);
    ASSERT_NOT_NULL(sf);
    ncalls = answers = 0;

    static const char tp[] = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    arena_t *first = arena_new(0); /* the first request's arena */
    query_t q;
    query_init(&q);
    q.text = arena_strdup(first, "graph neural networks");
    q.traceparent = arena_strdup(first, tp);
    search_request_t req = {.query = &q, .key = "k-traceparent", .deadline_ms = 2000};
    void *h1 = sf->fetch(sf, &req, on_answer, NULL);
    ASSERT_NOT_NULL(h1);
    query_t q2 = q; /* the second request, in memory of its own */
    q2.text = "graph neural networks";
    q2.traceparent = NULL;
    search_request_t req2 = {.query = &q2, .key = "k-traceparent", .deadline_ms = 2000};
    void *h2 = sf->fetch(sf, &req2, on_answer, NULL);
    ASSERT_NOT_NULL(h2);
    ASSERT_EQ(cache_singleflight_stats(sf)->joined, 1);

    sf->cancel(sf, h1); /* the first client leaves: its request is freed */
    memset((char *)q.traceparent, 'x', sizeof tp - 1);
    arena_free(first);

    run_until(&loop, next_asked, 10);
    ASSERT_EQ(ncalls, 1);
    ASSERT_STR_EQ(calls[0].traceparent, tp);
    ASSERT_STR_EQ(calls[0].text, "graph neural networks");

    static const char body[] = "{\"papers\":[]}";
    blob_t *b = blob_new(body, sizeof body - 1);
    search_reply_t r = {
        .status = 200, .body = b, .tier = "search", .total = 1234, .took_ms = 87.125};
    calls[0].cb(&r, calls[0].data);
    blob_unref(b);
    ASSERT_EQ(answers, 1); /* the second request only */

    /* The answer is written behind the reply, with its facts: asked again,
     * L3 answers them from the row, without reading the body. */
    run_until(&loop, l3_written, 10);
    run_until(&loop, never, 0.3); /* the INSERT, queued, reaches the table */
    ASSERT_EQ(answers_tier_postgres, 0);
    void *h3 = l3->fetch(l3, &req2, on_answer, NULL);
    ASSERT_NOT_NULL(h3);
    run_until(&loop, postgres_answered, 10);
    ASSERT_EQ(answers_tier_postgres, 1);
    ASSERT_EQ(last.total, 1234);
    ASSERT_DBL_EQ(last.took_ms, 87.125);
    ASSERT_EQ(ncalls, 1);

    cache_singleflight_free(sf);
    store_l3_free(l3);
    stop_store(&loop, st);
}

/* The store not there (nothing listens on port 1): L3 hands the question
 * straight to next; an answer next has at once still comes after
 * L3's fetch() returned. */
static search_reply_t ready_reply;
static uv_loop_t *ready_loop;
typedef struct ready_call {
    sf_defer_t later;
    search_reply_cb cb;
    void *data;
} ready_call_t;
static ready_call_t ready_call;

static void on_ready_turn(sf_defer_t *d)
{
    ready_call_t *c = sf_defer_data(d, ready_call_t, later);
    c->cb(&ready_reply, c->data);
}

/* A next link with the answer at once, keeping the protocol. */
static void *ready_fetch(search_service_t *self, const search_request_t *req, search_reply_cb cb,
                         void *data)
{
    (void)self;
    (void)req;
    ready_call.cb = cb;
    ready_call.data = data;
    sf_defer_init(&ready_call.later);
    sf_defer(ready_loop, &ready_call.later, on_ready_turn);
    return &ready_call;
}

static void ready_cancel(search_service_t *self, void *h)
{
    (void)self;
    sf_defer_cancel(&((ready_call_t *)h)->later);
}

TEST(l3_bypassed_answer_ready_below_arrives_after_fetch_returned)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    ready_loop = &loop;
    store_t *st = start_store(&loop, "host=127.0.0.1 port=1 dbname=none connect_timeout=1", false);
    run_until(&loop, store_is_down, 10);
    ASSERT(!store_available(st, NULL));
    search_service_t ready = {.fetch = ready_fetch, .cancel = ready_cancel};
    search_service_t *l3 = store_l3_service(st, &ready);
    static const char body[] = "{\"papers\":[]}";
    blob_t *b = blob_new(body, sizeof body - 1);
    ready_reply = (search_reply_t){.status = 200, .body = b, .tier = "search"};
    query_t q;
    query_init(&q);
    q.text = "x";
    search_request_t req = {.query = &q, .key = "k-ready", .deadline_ms = 2000};
    answers = answers_in_fetch = 0;
    in_fetch = true;
    void *h = l3->fetch(l3, &req, on_answer, NULL);
    in_fetch = false;
    ASSERT_NOT_NULL(h);
    ASSERT_EQ(answers, 0);
    uv_run(&loop, UV_RUN_NOWAIT);
    ASSERT_EQ(answers, 1);
    ASSERT_EQ(answers_in_fetch, 0);
    /* Cancelled before next's answer: the handle is L3's own. */
    h = l3->fetch(l3, &req, on_answer, NULL);
    l3->cancel(l3, h);
    uv_run(&loop, UV_RUN_NOWAIT);
    ASSERT_EQ(answers, 1);
    blob_unref(b);
    store_l3_free(l3);
    stop_store(&loop, st);
}

TEST_MAIN()
