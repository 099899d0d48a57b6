/* The citation list's fetch (core/citations.h) and the worker's list cache
 * (core/cites_cache.h) with a fake backend on a real uv loop: the calls of
 * each provider in order, the deadline, answers given inside start(), the
 * cap on edges, cancelling; single-flight, hits, partial lists, the TTL. */
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "core/citations.h"
#include "core/cites_cache.h"
#include "core/clock.h"
#include "core/defer.h"
#include "test/test.h"

#define MAXCALLS 64

typedef struct fake {
    cites_call_t *calls[MAXCALLS];
    size_t n;
    size_t cancels;
    bool sync_empty; /* answer every call inside start(), with no edges */
} fake_t;

static void fake_start(void *ctx, cites_call_t *c)
{
    fake_t *f = ctx;
    if (f->n < MAXCALLS) f->calls[f->n++] = c;
    if (f->sync_empty) cites_call_done(c, PSTAT_OK, 1, NULL);
}

static void fake_cancel(void *ctx, cites_call_t *c)
{
    (void)c;
    ((fake_t *)ctx)->cancels++;
}

/* n edges "<tag> <i>" with DOIs 10.1/<tag>.<i> appended to c's page. */
static void edges(cites_call_t *c, const char *tag, int n, bool more, const char *next)
{
    cites_page_t *pg = c->page;
    for (int i = 0; i < n; i++) {
        paper_t *p = paper_list_add(&pg->papers, c->arena);
        p->title = arena_sprintf(c->arena, "%s %d", tag, i);
        p->doi = arena_sprintf(c->arena, "10.1/%s.%d", tag, i);
        p->citations = i;
        p->sources[0] = (paper_source_t){.source = c->source, .rank = (int)pg->papers.n};
        p->nsources = 1;
    }
    pg->more = more;
    pg->next = next;
}

typedef struct got {
    int calls;
    cites_fetch_t *f;
} got_t;

static void on_done(cites_fetch_t *f, void *data)
{
    got_t *g = data;
    g->calls++;
    g->f = f;
}

static uv_loop_t loop;
static fake_t fake;
static cites_backend_t be;

static void setup(void)
{
    uv_loop_init(&loop);
    memset(&fake, 0, sizeof(fake));
    be = (cites_backend_t){.ctx = &fake, .start = fake_start, .cancel = fake_cancel};
}

static void teardown(void)
{
    sf_defer_loop_close(&loop);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
}

static cites_ids_t both_ids(void)
{
    cites_ids_t ids = {.canonical = "doi:10.1/x"};
    ids.ids[SRC_SEMANTIC_SCHOLAR] = "DOI:10.1/x";
    ids.ids[SRC_OPENALEX] = "doi:10.1/x";
    return ids;
}

static cites_fetch_opts_t opts(size_t max_edges)
{
    return (cites_fetch_opts_t){.deadline_ms = 5000,
                                .max_edges = max_edges,
                                .enabled = 1u << SRC_SEMANTIC_SCHOLAR | 1u << SRC_OPENALEX};
}

TEST(citations_pages_in_order_from_both)
{
    setup();
    got_t g = {0};
    cites_ids_t ids = both_ids();
    cites_fetch_opts_t o = opts(5000);
    cites_fetch_t *f = cites_fetch_start(&loop, &be, CITES_CITATIONS, &ids, &o, on_done, &g);
    ASSERT_NOT_NULL(f);
    ASSERT_EQ(fake.n, 2);
    cites_call_t *oa = fake.calls[0], *s2 = fake.calls[1]; /* OpenAlex first: the longer chain */
    ASSERT_EQ(s2->kind, CITES_CALL_S2_PAGE);
    ASSERT_STR_EQ(s2->id, "DOI:10.1/x");
    ASSERT_EQ(s2->offset, 0);
    ASSERT_EQ(s2->limit, 1000);
    ASSERT_EQ(oa->kind, CITES_CALL_OA_WORK); /* a DOI: the W id first */
    ASSERT_STR_EQ(oa->id, "doi:10.1/x");
    edges(s2, "s", 1000, true, "1000");
    cites_call_done(s2, PSTAT_OK, 10, NULL);
    ASSERT_EQ(fake.n, 3);
    ASSERT_EQ(fake.calls[2]->kind, CITES_CALL_S2_PAGE);
    ASSERT_EQ(fake.calls[2]->offset, 1000);
    oa->wid = "W42";
    cites_call_done(oa, PSTAT_OK, 10, NULL);
    ASSERT_EQ(fake.n, 4);
    cites_call_t *c1 = fake.calls[3];
    ASSERT_EQ(c1->kind, CITES_CALL_OA_CITES);
    ASSERT_STR_EQ(c1->id, "W42");
    ASSERT_EQ(c1->pageno, 1);
    edges(c1, "o", 200, false, NULL);
    c1->page->total = 405; /* OpenAlex's meta.count */
    cites_call_done(c1, PSTAT_OK, 10, NULL);
    ASSERT_EQ(fake.n, 6); /* pages 2 and 3 at once, each into a page of its own */
    ASSERT_EQ(fake.calls[4]->pageno, 2);
    ASSERT_EQ(fake.calls[5]->pageno, 3);
    ASSERT_PTR_NE(fake.calls[4]->page, fake.calls[5]->page);
    edges(fake.calls[5], "q", 5, false, NULL); /* the last page answers first */
    cites_call_done(fake.calls[5], PSTAT_OK, 10, NULL);
    edges(fake.calls[4], "p", 200, false, NULL);
    cites_call_done(fake.calls[4], PSTAT_OK, 10, NULL);
    edges(fake.calls[2], "t", 5, false, NULL);
    cites_call_done(fake.calls[2], PSTAT_OK, 10, NULL);
    ASSERT_EQ(g.calls, 0); /* done comes on a later loop turn */
    uv_run(&loop, UV_RUN_NOWAIT);
    ASSERT_EQ(g.calls, 1);
    const cites_result_t *r = cites_fetch_result(f);
    ASSERT_EQ(r->pages[SRC_SEMANTIC_SCHOLAR].papers.n, 1005);
    const cites_page_t *oap = &r->pages[SRC_OPENALEX];
    ASSERT_EQ(oap->papers.n, 405);
    /* Ranks in OpenAlex's order, whatever order the pages came in. */
    ASSERT_STR_EQ(oap->papers.items[200].title, "p 0");
    ASSERT_EQ(oap->papers.items[200].sources[0].rank, 201);
    ASSERT_STR_EQ(oap->papers.items[404].title, "q 4");
    ASSERT_EQ(oap->papers.items[404].sources[0].rank, 405);
    ASSERT(!r->partial);
    ASSERT(!r->truncated[SRC_SEMANTIC_SCHOLAR]);
    ASSERT_EQ(r->providers[SRC_OPENALEX].status, PSTAT_OK);
    ASSERT_EQ(r->providers[SRC_OPENALEX].results, 405);
    ASSERT(r->providers[SRC_SEMANTIC_SCHOLAR].asked);
    cites_fetch_free(f);
    ASSERT_EQ(fake.cancels, 0);
    teardown();
}

TEST(references_by_or_filters_at_once)
{
    setup();
    got_t g = {0};
    cites_ids_t ids = {.canonical = "openalex:W7"};
    ids.ids[SRC_OPENALEX] = "W7";
    cites_fetch_opts_t o = opts(5000);
    cites_fetch_t *f = cites_fetch_start(&loop, &be, CITES_REFERENCES, &ids, &o, on_done, &g);
    ASSERT_EQ(fake.n, 1); /* S2 cannot take a W id: not asked */
    cites_call_t *w = fake.calls[0];
    ASSERT_EQ(w->kind, CITES_CALL_OA_WORK); /* references need the work even for a W id */
    static const char *refs[650];
    for (int i = 0; i < 650; i++)
        refs[i] = "W1";
    w->wid = "W7";
    w->refs = refs;
    w->nrefs = 650;
    cites_call_done(w, PSTAT_OK, 1, NULL);
    ASSERT_EQ(fake.n, 8); /* 7 OR-filters of 100, 50, at once */
    for (size_t i = 1; i < 7; i++) {
        ASSERT_EQ(fake.calls[i]->kind, CITES_CALL_OA_IDS);
        ASSERT_EQ(fake.calls[i]->nwids, 100);
    }
    ASSERT_EQ(fake.calls[7]->nwids, 50);
    /* Answers in any order; the page keeps the OR-filters' order. */
    for (size_t i = fake.n - 1; i >= 1; i--) {
        edges(fake.calls[i], i == 1 ? "first" : "r", 2, false, NULL);
        cites_call_done(fake.calls[i], PSTAT_OK, 1, NULL);
    }
    uv_run(&loop, UV_RUN_NOWAIT);
    ASSERT_EQ(g.calls, 1);
    const cites_result_t *r = cites_fetch_result(f);
    ASSERT(!r->providers[SRC_SEMANTIC_SCHOLAR].asked);
    ASSERT_EQ(r->providers[SRC_OPENALEX].status, PSTAT_OK);
    ASSERT_EQ(r->pages[SRC_OPENALEX].papers.n, 14);
    ASSERT_STR_EQ(r->pages[SRC_OPENALEX].papers.items[0].title, "first 0");
    ASSERT_EQ(r->pages[SRC_OPENALEX].papers.items[13].sources[0].rank, 14);
    cites_fetch_free(f);
    teardown();
}

TEST(deadline_leaves_the_other_provider)
{
    setup();
    got_t g = {0};
    cites_ids_t ids = both_ids();
    cites_fetch_opts_t o = opts(5000);
    o.deadline_ms = 30;
    cites_fetch_t *f = cites_fetch_start(&loop, &be, CITES_CITATIONS, &ids, &o, on_done, &g);
    edges(fake.calls[1], "s", 4, false, NULL);
    cites_call_done(fake.calls[1], PSTAT_OK, 3, NULL);
    uv_run(&loop, UV_RUN_DEFAULT); /* OpenAlex never answers: the deadline */
    ASSERT_EQ(g.calls, 1);
    ASSERT_EQ(fake.cancels, 1);
    const cites_result_t *r = cites_fetch_result(f);
    ASSERT(r->partial);
    ASSERT_EQ(r->providers[SRC_OPENALEX].status, PSTAT_TIMEOUT);
    ASSERT_EQ(r->providers[SRC_SEMANTIC_SCHOLAR].status, PSTAT_OK);
    ASSERT_EQ(r->pages[SRC_SEMANTIC_SCHOLAR].papers.n, 4);
    /* A late answer is dropped. */
    cites_call_done(fake.calls[0], PSTAT_OK, 3, NULL);
    ASSERT_EQ(g.calls, 1);
    cites_fetch_free(f);
    teardown();
}

TEST(failure_and_cap_and_answers_inside_start)
{
    setup();
    got_t g = {0};
    cites_ids_t ids = both_ids();
    ids.ids[SRC_OPENALEX] = "W9"; /* citations of a W id: cites: at once */
    cites_fetch_opts_t o = opts(1000);
    cites_fetch_t *f = cites_fetch_start(&loop, &be, CITES_CITATIONS, &ids, &o, on_done, &g);
    ASSERT_EQ(fake.calls[0]->kind, CITES_CALL_OA_CITES);
    edges(fake.calls[1], "s", 1000, true, "1000");
    cites_call_done(fake.calls[1], PSTAT_OK, 3, NULL);
    ASSERT_EQ(fake.n, 2); /* the cap: no second S2 page */
    cites_call_done(fake.calls[0], PSTAT_RATE_LIMITED, 3, "HTTP 429");
    uv_run(&loop, UV_RUN_NOWAIT);
    ASSERT_EQ(g.calls, 1);
    const cites_result_t *r = cites_fetch_result(f);
    ASSERT(r->truncated[SRC_SEMANTIC_SCHOLAR]);
    ASSERT_EQ(r->providers[SRC_OPENALEX].status, PSTAT_RATE_LIMITED);
    ASSERT_STR_EQ(r->providers[SRC_OPENALEX].error, "HTTP 429");
    ASSERT(r->partial);
    cites_fetch_free(f);
    /* Every call answered inside start(): done still waits for a later turn. */
    memset(&fake, 0, sizeof(fake));
    fake.sync_empty = true;
    got_t h = {0};
    f = cites_fetch_start(&loop, &be, CITES_CITATIONS, &ids, &o, on_done, &h);
    ASSERT_NOT_NULL(f);
    ASSERT_EQ(h.calls, 0);
    uv_run(&loop, UV_RUN_NOWAIT);
    ASSERT_EQ(h.calls, 1);
    cites_fetch_free(f);
    /* Freed while fetching: its calls are cancelled, done never runs. */
    memset(&fake, 0, sizeof(fake));
    got_t k = {0};
    f = cites_fetch_start(&loop, &be, CITES_CITATIONS, &ids, &o, on_done, &k);
    cites_fetch_free(f);
    ASSERT_EQ(fake.cancels, 2);
    uv_run(&loop, UV_RUN_NOWAIT);
    ASSERT_EQ(k.calls, 0);
    teardown();
}

/* ---- the cache ---- */

typedef struct heard {
    int n;
    bool cached;
    size_t s2_edges;
    bool partial;
} heard_t;

static void on_list(void *data, const cites_result_t *r, bool cached)
{
    heard_t *h = data;
    h->n++;
    h->cached = cached;
    h->s2_edges = r->pages[SRC_SEMANTIC_SCHOLAR].papers.n;
    h->partial = r->partial;
}

static void answer_all(size_t from)
{
    for (size_t i = from; i < fake.n; i++) {
        if (!fake.calls[i]->running) continue;
        if (fake.calls[i]->kind == CITES_CALL_OA_WORK) fake.calls[i]->wid = NULL;
        if (fake.calls[i]->kind == CITES_CALL_S2_PAGE) edges(fake.calls[i], "s", 3, false, NULL);
        cites_call_done(fake.calls[i], PSTAT_OK, 1, NULL);
    }
}

TEST(cache_single_flight_hits_and_ttl)
{
    setup();
    clock_fake_start(1000000000ull, 1700000000000);
    cites_cache_opts_t co = {.ttl_ms = 60000,
                             .max_lists = 2,
                             .max_bytes = 64u << 20,
                             .deadline_ms = 5000,
                             .max_edges = 2000,
                             .enabled = 1u << SRC_SEMANTIC_SCHOLAR | 1u << SRC_OPENALEX};
    cites_cache_t *c = cites_cache_new(&loop, &be, &co);
    ASSERT_NOT_NULL(c);
    cites_ids_t ids = both_ids();
    heard_t a = {0}, b = {0}, d = {0};
    ASSERT_NOT_NULL(cites_cache_get(c, CITES_CITATIONS, &ids, NULL, on_list, &a));
    ASSERT_NOT_NULL(cites_cache_get(c, CITES_CITATIONS, &ids, NULL, on_list, &b));
    ASSERT_EQ(fake.n, 2); /* one fetch for both */
    ASSERT_EQ(cites_cache_fetching(c), 1);
    answer_all(0);
    uv_run(&loop, UV_RUN_NOWAIT);
    ASSERT_EQ(a.n, 1);
    ASSERT_EQ(b.n, 1);
    ASSERT(!a.cached);
    ASSERT_EQ(a.s2_edges, 3);
    ASSERT_EQ(cites_cache_size(c), 1);
    /* A hit: no call, answered on a later turn. */
    ASSERT_NOT_NULL(cites_cache_get(c, CITES_CITATIONS, &ids, NULL, on_list, &d));
    ASSERT_EQ(d.n, 0);
    uv_run(&loop, UV_RUN_NOWAIT);
    ASSERT_EQ(d.n, 1);
    ASSERT(d.cached);
    ASSERT_EQ(fake.n, 2);
    /* The other direction is another list; a cancelled wait hears nothing. */
    heard_t e = {0};
    cites_wait_t *w = cites_cache_get(c, CITES_REFERENCES, &ids, NULL, on_list, &e);
    ASSERT_EQ(fake.n, 4);
    cites_wait_cancel(w);
    answer_all(2);
    uv_run(&loop, UV_RUN_NOWAIT);
    ASSERT_EQ(e.n, 0);
    ASSERT_EQ(cites_cache_size(c), 2); /* the fetch went on and filled the cache */
    /* Past the TTL: fetched again. */
    clock_fake_advance_ms(60001);
    heard_t f2 = {0};
    ASSERT_NOT_NULL(cites_cache_get(c, CITES_CITATIONS, &ids, NULL, on_list, &f2));
    ASSERT_EQ(fake.n, 6);
    /* A partial list is answered, not kept. */
    edges(fake.calls[5], "s", 1, false, NULL);
    cites_call_done(fake.calls[5], PSTAT_OK, 1, NULL);
    cites_call_done(fake.calls[4], PSTAT_ERROR, 1, "HTTP 500");
    uv_run(&loop, UV_RUN_NOWAIT);
    ASSERT_EQ(f2.n, 1);
    ASSERT(f2.partial);
    ASSERT_EQ(cites_cache_size(c), 1);
    heard_t g2 = {0};
    ASSERT_NOT_NULL(cites_cache_get(c, CITES_CITATIONS, &ids, NULL, on_list, &g2));
    ASSERT_EQ(fake.n, 8);
    cites_cache_free(c); /* with a fetch running: cancelled, nobody called */
    uv_run(&loop, UV_RUN_NOWAIT);
    ASSERT_EQ(g2.n, 0);
    clock_fake_stop();
    teardown();
}

TEST(cache_byte_budget)
{
    setup();
    cites_cache_opts_t co = {.ttl_ms = 60000,
                             .max_lists = 100,
                             .max_bytes = 1, /* no list fits */
                             .deadline_ms = 5000,
                             .max_edges = 2000,
                             .enabled = 1u << SRC_SEMANTIC_SCHOLAR | 1u << SRC_OPENALEX};
    cites_cache_t *c = cites_cache_new(&loop, &be, &co);
    cites_ids_t ids = both_ids();
    heard_t a = {0};
    ASSERT_NOT_NULL(cites_cache_get(c, CITES_CITATIONS, &ids, NULL, on_list, &a));
    answer_all(0);
    uv_run(&loop, UV_RUN_NOWAIT);
    ASSERT_EQ(a.n, 1);                 /* answered, */
    ASSERT_EQ(cites_cache_size(c), 0); /* not kept */
    cites_cache_free(c);
    teardown();
}

TEST_MAIN()
