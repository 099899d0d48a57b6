/* The per-provider result cache in front of a fake backend: answers are
 * reused across provider sets and page sizes, expire, are not kept when
 * they failed, and are keyed by the query's text and filters. */
#include <uv.h>

#include "cache/provider_cache.h"
#include "test/core/fake_backend.h"
#include "core/clock.h"
#include "test/test.h"

typedef struct run {
    int status;
    size_t cached, ok;
} run_t;

static void on_done(search_t *s, void *data)
{
    run_t *r = data;
    r->status = search_status(s);
}

/* Runs one search to its end; counts providers reported cached or ok. */
static run_t search_once(uv_loop_t *loop, const search_backend_t *b, const char *text,
                         unsigned providers, int year_from)
{
    query_t q;
    query_init(&q);
    q.text = text;
    q.providers = providers;
    q.year_from = year_from;
    run_t r = {0};
    search_t *s = search_start(loop, &q, (1u << SRC_COUNT) - 1, b, 1000, on_done, &r);
    ASSERT_NOT_NULL(s);
    while (!r.status)
        uv_run(loop, UV_RUN_ONCE);
    const char *body = search_body(s)->data;
    for (const char *p = body; (p = strstr(p, "\"status\":\"cached\"")); p++)
        r.cached++;
    for (const char *p = body; (p = strstr(p, "\"status\":\"ok\"")); p++)
        r.ok++;
    search_free(s);
    uv_run(loop, UV_RUN_NOWAIT);
    return r;
}

#define TWO ((1u << SRC_ARXIV) | (1u << SRC_CROSSREF))
#define ALL_HTTP                                                                                   \
    ((1u << SRC_ARXIV) | (1u << SRC_SEMANTIC_SCHOLAR) | (1u << SRC_OPENALEX) | (1u << SRC_CROSSREF))

TEST(provider_cache_reuses_answers_across_provider_sets)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    fake_backend_t fb;
    fake_init(&fb, &loop);
    cache_provider_t *c = cache_provider_new(&fb.backend, 60000, 100, 1 << 20);
    const search_backend_t *b = cache_provider_backend(c);

    run_t r = search_once(&loop, b, "graph", TWO, 0);
    ASSERT_EQ(r.status, 200);
    ASSERT_EQ(fake_started_total(&fb), 2);
    r = search_once(&loop, b, "graph", ALL_HTTP, 0);
    ASSERT_EQ(r.cached, 2); /* arxiv and crossref from the first search */
    ASSERT_EQ(r.ok, 2);
    ASSERT_EQ(fake_started_total(&fb), 4);
    ASSERT_EQ(cache_provider_stats(c).hits, 2);

    /* other filters, other text: other entries */
    search_once(&loop, b, "graph", TWO, 2020);
    search_once(&loop, b, "trees", TWO, 0);
    ASSERT_EQ(fake_started_total(&fb), 8);

    cache_provider_clear(c);
    search_once(&loop, b, "graph", TWO, 0);
    ASSERT_EQ(fake_started_total(&fb), 10);

    fake_close_all(&fb);
    uv_run(&loop, UV_RUN_DEFAULT);
    cache_provider_free(c);
    ASSERT_EQ(uv_loop_close(&loop), 0);
}

TEST(provider_cache_keeps_no_failure_and_expires)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    fake_backend_t fb;
    fake_init(&fb, &loop);
    fb.script[SRC_ARXIV].status = PSTAT_ERROR;
    fb.script[SRC_ARXIV].error = "HTTP 500";
    clock_fake_start(1000000000, 0);
    cache_provider_t *c = cache_provider_new(&fb.backend, 50, 100, 1 << 20);
    const search_backend_t *b = cache_provider_backend(c);

    search_once(&loop, b, "graph", TWO, 0);
    run_t r = search_once(&loop, b, "graph", TWO, 0);
    ASSERT_EQ(r.cached, 1); /* crossref only: the failed arxiv answer was not kept */
    ASSERT_EQ(fb.started[SRC_ARXIV], 2);

    clock_fake_advance_ms(80); /* past the 50 ms TTL, without sleeping */
    r = search_once(&loop, b, "graph", TWO, 0);
    ASSERT_EQ(r.cached, 0);
    ASSERT_EQ(fb.started[SRC_CROSSREF], 2);

    fake_close_all(&fb);
    uv_run(&loop, UV_RUN_DEFAULT);
    cache_provider_free(c);
    ASSERT_EQ(uv_loop_close(&loop), 0);
    clock_fake_stop();
}

TEST(provider_cache_is_bounded)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    fake_backend_t fb;
    fake_init(&fb, &loop);
    cache_provider_t *c = cache_provider_new(&fb.backend, 60000, 3, 1 << 20);
    const search_backend_t *b = cache_provider_backend(c);
    const char *texts[] = {"a", "b", "c", "d"};
    for (int i = 0; i < 4; i++)
        search_once(&loop, b, texts[i], 1u << SRC_ARXIV, 0);
    ASSERT_EQ(cache_provider_stats(c).entries, 3);
    ASSERT_EQ(cache_provider_stats(c).evictions, 1);
    /* "a" was the least recently used */
    ASSERT_EQ(search_once(&loop, b, "a", 1u << SRC_ARXIV, 0).cached, 0);
    ASSERT_EQ(search_once(&loop, b, "d", 1u << SRC_ARXIV, 0).cached, 1);
    fake_close_all(&fb);
    uv_run(&loop, UV_RUN_DEFAULT);
    cache_provider_free(c);
    ASSERT_EQ(uv_loop_close(&loop), 0);
}

TEST(provider_cache_is_bounded_in_bytes)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    fake_backend_t fb;
    fake_init(&fb, &loop);
    /* Room for two small entries: each holds 3 papers in its own arena. */
    cache_provider_t *c = cache_provider_new(&fb.backend, 60000, 100, 40000);
    const search_backend_t *b = cache_provider_backend(c);
    const char *texts[] = {"a", "b", "c", "d", "e"};
    for (int i = 0; i < 5; i++)
        search_once(&loop, b, texts[i], 1u << SRC_ARXIV, 0);
    cache_provider_stats_t st = cache_provider_stats(c);
    ASSERT(st.bytes <= 40000);
    ASSERT(st.entries >= 1 && st.entries < 5);
    ASSERT(st.evictions >= 1);
    /* nothing fits in a bound smaller than one entry */
    cache_provider_t *tiny = cache_provider_new(&fb.backend, 60000, 100, 100);
    search_once(&loop, cache_provider_backend(tiny), "a", 1u << SRC_ARXIV, 0);
    ASSERT_EQ(cache_provider_stats(tiny).entries, 0);
    fake_close_all(&fb);
    uv_run(&loop, UV_RUN_DEFAULT);
    cache_provider_free(c);
    cache_provider_free(tiny);
    ASSERT_EQ(uv_loop_close(&loop), 0);
}

TEST_MAIN()
