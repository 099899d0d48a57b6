/* The lookup state machine (core/lookup.c) on a real uv loop, with fake
 * providers: each answers its parts after a scripted delay, inside
 * start(), or never, knowing the ids a rule says it knows. Checks the
 * merge of one id from three providers, the deadline, the grouping of a
 * batch into calls, single-flight, the per-id cache, cancellation and the
 * reasons of an unresolved id. */
#include <stdio.h>
#include <string.h>
#include <uv.h>

#include "core/defer.h"
#include "core/lookup.h"
#include "test/test.h"

#define NEVER (-1)

typedef struct fake_part {
    struct fake_lb *fb;
    lookup_t *l;
    lookup_part_t *part;
    uv_timer_t timer;
    bool cancelled;
} fake_part_t;

typedef struct fake_lb {
    lookup_backend_t b;
    uv_loop_t *loop;
    size_t max[SRC_COUNT];
    bool mixed[SRC_COUNT];
    int delay_ms[SRC_COUNT];
    search_pstatus_t status[SRC_COUNT];
    int starts[SRC_COUNT];
    int cancels[SRC_COUNT];
    size_t ids_asked[SRC_COUNT];
    int live;
} fake_lb_t;

/* OpenAlex cannot put a DOI with "|" or "," in its OR-filter. */
static bool fk_alone(void *ctx, source_t src, const paper_ref_t *id)
{
    (void)ctx;
    return src == SRC_OPENALEX && id->kind == PAPER_REF_DOI && strpbrk(id->value, ",|");
}

static size_t fk_max(void *ctx, source_t src, bool *mixed)
{
    fake_lb_t *fb = ctx;
    *mixed = fb->mixed[src];
    return fb->max[src];
}

/* A provider knows every id whose value has no "x". */
static void fk_answer(fake_part_t *fp)
{
    size_t n;
    const paper_ref_t *ids = lookup_part_ids(fp->part, &n);
    source_t src = lookup_part_source(fp->part);
    arena_t *a = lookup_arena(fp->l);
    paper_list_t *list = arena_calloc(a, 1, sizeof *list);
    for (size_t i = 0; i < n; i++) {
        paper_t *p = paper_list_add(list, a);
        if (strchr(ids[i].value, 'x')) continue; /* unknown: no source */
        p->title = arena_sprintf(a, "Paper %s", ids[i].value);
        p->authors = arena_alloc(a, sizeof *p->authors);
        p->authors[0] = "Ada Lovelace";
        p->nauthors = 1;
        p->year = 2020;
        if (ids[i].kind == PAPER_REF_DOI) p->doi = ids[i].value;
        if (ids[i].kind == PAPER_REF_ARXIV) p->arxiv_id = ids[i].value;
        p->citations = (int64_t)src;
        p->sources[0] = (paper_source_t){src, arena_sprintf(a, "%s-id", source_name(src)), 1};
        p->nsources = 1;
    }
    fp->fb->status[src] = fp->fb->status[src] ? fp->fb->status[src] : PSTAT_OK;
    lookup_part_done(fp->l, fp->part, fp->fb->status[src],
                     fp->fb->status[src] == PSTAT_OK ? list : NULL, 1.0,
                     fp->fb->status[src] == PSTAT_OK ? NULL : "scripted");
}

static void fk_closed(uv_handle_t *h)
{
    fake_part_t *fp = h->data;
    fp->fb->live--;
    free(fp);
}

static void fk_timer(uv_timer_t *t)
{
    fake_part_t *fp = t->data;
    *lookup_part_slot(fp->part) = NULL;
    uv_close((uv_handle_t *)&fp->timer, fk_closed);
    fk_answer(fp);
}

static void fk_start(void *ctx, lookup_t *l, lookup_part_t *part)
{
    fake_lb_t *fb = ctx;
    source_t src = lookup_part_source(part);
    size_t n;
    lookup_part_ids(part, &n);
    fb->starts[src]++;
    fb->ids_asked[src] += n;
    fake_part_t *fp = calloc(1, sizeof *fp);
    fp->fb = fb;
    fp->l = l;
    fp->part = part;
    if (fb->delay_ms[src] == 0) {
        fk_answer(fp);
        free(fp);
        return;
    }
    fb->live++;
    uv_timer_init(fb->loop, &fp->timer);
    fp->timer.data = fp;
    *lookup_part_slot(part) = fp;
    if (fb->delay_ms[src] > 0) uv_timer_start(&fp->timer, fk_timer, (uint64_t)fb->delay_ms[src], 0);
}

static void fk_cancel(void *ctx, lookup_t *l, lookup_part_t *part)
{
    (void)l;
    fake_lb_t *fb = ctx;
    fake_part_t *fp = *lookup_part_slot(part);
    fb->cancels[lookup_part_source(part)]++;
    if (!fp) return;
    *lookup_part_slot(part) = NULL;
    uv_timer_stop(&fp->timer);
    uv_close((uv_handle_t *)&fp->timer, fk_closed);
}

#define FOUR                                                                                       \
    ((1u << SRC_ARXIV) | (1u << SRC_SEMANTIC_SCHOLAR) | (1u << SRC_OPENALEX) | (1u << SRC_CROSSREF))

typedef struct fx {
    uv_loop_t loop;
    fake_lb_t fb;
    lookup_service_t *svc;
} fx_t;

static void fx_init(fx_t *f, int deadline_ms, int64_t ttl_ms)
{
    memset(f, 0, sizeof *f);
    uv_loop_init(&f->loop);
    f->fb.b = (lookup_backend_t){
        .ctx = &f->fb, .max_ids = fk_max, .start = fk_start, .cancel = fk_cancel};
    f->fb.loop = &f->loop;
    f->fb.max[SRC_SEMANTIC_SCHOLAR] = 500;
    f->fb.mixed[SRC_SEMANTIC_SCHOLAR] = true;
    f->fb.max[SRC_OPENALEX] = 100;
    f->fb.max[SRC_CROSSREF] = 100;
    f->fb.max[SRC_ARXIV] = 200;
    for (int s = 0; s < SRC_COUNT; s++)
        f->fb.delay_ms[s] = 5;
    lookup_config_t cfg = {
        .deadline_ms = deadline_ms, .cache_ttl_ms = ttl_ms, .cache_entries = 100};
    f->svc = lookup_service_new(&f->loop, &f->fb.b, FOUR, NULL, &cfg);
    ASSERT_NOT_NULL(f->svc);
}

static void fx_done(fx_t *f)
{
    uv_run(&f->loop, UV_RUN_DEFAULT);
    ASSERT_EQ(f->fb.live, 0);
    lookup_service_free(f->svc);
    sf_defer_loop_close(&f->loop); /* the deferred queue's handles, made by the lookups */
    uv_run(&f->loop, UV_RUN_DEFAULT);
    ASSERT_EQ(uv_loop_close(&f->loop), 0);
}

typedef struct got {
    int calls;
    lookup_t *l;
} got_t;

static void on_done(lookup_t *l, void *data)
{
    got_t *g = data;
    g->calls++;
    g->l = l;
}

static paper_ref_t ref(arena_t *a, const char *text)
{
    paper_ref_t r;
    ASSERT_EQ(paper_ref_parse(a, text, strlen(text), &r), 0);
    return r;
}

TEST(one_doi_merged_from_three_providers)
{
    fx_t f;
    fx_init(&f, 2000, 0);
    arena_t *a = arena_new(0);
    paper_ref_t r = ref(a, "10.1000/abc");
    got_t g = {0};
    lookup_t *l = lookup_start(f.svc, &r, 1, 0, NULL, on_done, &g);
    ASSERT_NOT_NULL(l);
    ASSERT_EQ(g.calls, 0); /* never inside lookup_start() */
    uv_run(&f.loop, UV_RUN_DEFAULT);
    ASSERT_EQ(g.calls, 1);
    lookup_item_t it;
    lookup_item(l, 0, &it);
    ASSERT_EQ(it.outcome, LOOKUP_FOUND);
    ASSERT_EQ(it.from, LOOKUP_FROM_PROVIDERS);
    ASSERT_EQ(it.paper->nsources, 3);             /* S2, OpenAlex, Crossref: one paper */
    ASSERT_EQ(it.paper->citations, SRC_CROSSREF); /* the highest known */
    ASSERT_STR_CONTAINS(it.json, "\"doi\":\"10.1000/abc\"");
    ASSERT_EQ(f.fb.starts[SRC_ARXIV], 0); /* cannot answer a DOI */
    ASSERT_EQ(lookup_calls(l, SRC_SEMANTIC_SCHOLAR), 1);
    answer_provider_t pr[SRC_COUNT];
    lookup_providers(l, pr);
    ASSERT(pr[SRC_OPENALEX].asked && pr[SRC_OPENALEX].status == PSTAT_OK);
    ASSERT(!pr[SRC_ARXIV].asked);
    ASSERT(!lookup_partial(l));
    lookup_free(l);
    arena_free(a);
    fx_done(&f);
}

TEST(a_hanging_provider_leaves_the_others_answer)
{
    fx_t f;
    fx_init(&f, 150, 0);
    f.fb.delay_ms[SRC_OPENALEX] = NEVER;
    f.fb.delay_ms[SRC_CROSSREF] = 0; /* inside start() */
    arena_t *a = arena_new(0);
    paper_ref_t r = ref(a, "doi:10.1000/hang");
    got_t g = {0};
    lookup_t *l = lookup_start(f.svc, &r, 1, 0, NULL, on_done, &g);
    uv_run(&f.loop, UV_RUN_DEFAULT);
    ASSERT_EQ(g.calls, 1);
    lookup_item_t it;
    lookup_item(l, 0, &it);
    ASSERT_EQ(it.outcome, LOOKUP_FOUND);
    ASSERT_EQ(it.paper->nsources, 2);
    ASSERT(lookup_partial(l));
    answer_provider_t pr[SRC_COUNT];
    lookup_providers(l, pr);
    ASSERT_EQ(pr[SRC_OPENALEX].status, PSTAT_TIMEOUT);
    ASSERT_EQ(f.fb.cancels[SRC_OPENALEX], 1);
    lookup_free(l);
    arena_free(a);
    fx_done(&f);
}

TEST(a_batch_is_grouped_into_few_calls_in_order)
{
    fx_t f;
    fx_init(&f, 2000, 0);
    arena_t *a = arena_new(0);
    paper_ref_t refs[300];
    for (int i = 0; i < 300; i++) {
        char t[64];
        if (i % 3 == 0)
            snprintf(t, sizeof t, "doi:10.1000/%s%d", i % 30 == 0 ? "x" : "", i);
        else if (i % 3 == 1)
            snprintf(t, sizeof t, "arxiv:2401.%05d", i);
        else
            snprintf(t, sizeof t, "W%d", 1000 + i);
        refs[i] = ref(a, t);
    }
    got_t g = {0};
    lookup_t *l = lookup_start(f.svc, refs, 300, 0, NULL, on_done, &g);
    uv_run(&f.loop, UV_RUN_DEFAULT);
    ASSERT_EQ(g.calls, 1);
    ASSERT_EQ(f.fb.starts[SRC_SEMANTIC_SCHOLAR], 1); /* 200 DOIs and arXiv ids, mixed */
    ASSERT_EQ(f.fb.ids_asked[SRC_SEMANTIC_SCHOLAR], 200);
    ASSERT_EQ(f.fb.starts[SRC_OPENALEX], 2); /* 100 DOIs, 100 W ids: one kind a call */
    ASSERT_EQ(f.fb.starts[SRC_CROSSREF], 1);
    ASSERT_EQ(f.fb.starts[SRC_ARXIV], 1);
    for (int i = 0; i < 300; i++) {
        lookup_item_t it;
        lookup_item(l, (size_t)i, &it);
        if (i % 30 == 0) {
            ASSERT_EQ(it.outcome, LOOKUP_NOT_FOUND);
            continue;
        }
        ASSERT_EQ(it.outcome, LOOKUP_FOUND);
        char want[64];
        snprintf(want, sizeof want, "Paper %s", refs[i].value);
        ASSERT_STR_EQ(it.paper->title, want);
    }
    lookup_free(l);
    arena_free(a);
    fx_done(&f);
}

TEST(an_id_the_batch_call_cannot_hold_is_asked_alone)
{
    fx_t f;
    fx_init(&f, 2000, 0);
    f.fb.b.alone = fk_alone;
    arena_t *a = arena_new(0);
    static const char *const ids[] = {"doi:10.1000/a1", "doi:10.1002/(SICI)1,2", "doi:10.1000/a2",
                                      "doi:10.1000/b|c", "doi:10.1000/a3"};
    paper_ref_t refs[5];
    for (int i = 0; i < 5; i++)
        refs[i] = ref(a, ids[i]);
    got_t g = {0};
    lookup_t *l = lookup_start(f.svc, refs, 5, 0, NULL, on_done, &g);
    uv_run(&f.loop, UV_RUN_DEFAULT);
    ASSERT_EQ(g.calls, 1);
    /* OpenAlex: one OR-filter of the three plain DOIs, one call for each of
     * the others; the providers that can hold them, one call. */
    ASSERT_EQ(f.fb.starts[SRC_OPENALEX], 3);
    ASSERT_EQ(f.fb.ids_asked[SRC_OPENALEX], 5);
    ASSERT_EQ(f.fb.starts[SRC_CROSSREF], 1);
    ASSERT_EQ(f.fb.starts[SRC_SEMANTIC_SCHOLAR], 1);
    for (int i = 0; i < 5; i++) {
        lookup_item_t it;
        lookup_item(l, (size_t)i, &it);
        ASSERT_EQ(it.outcome, LOOKUP_FOUND);
        ASSERT_STR_EQ(it.paper->doi, refs[i].value);
    }
    lookup_free(l);
    arena_free(a);
    fx_done(&f);
}

TEST(an_id_given_twice_in_a_batch_is_asked_once)
{
    fx_t f;
    fx_init(&f, 2000, 0);
    arena_t *a = arena_new(0);
    static const char *const ids[] = {"doi:10.1000/a1", "https://doi.org/10.1000/A1",
                                      "doi:10.1000/a2", "doi:10.1000/a1",
                                      "doi:10.1000/x3", "DOI:10.1000/X3"};
    paper_ref_t refs[6];
    for (int i = 0; i < 6; i++)
        refs[i] = ref(a, ids[i]);
    got_t g = {0};
    lookup_t *l = lookup_start(f.svc, refs, 6, 0, NULL, on_done, &g);
    uv_run(&f.loop, UV_RUN_DEFAULT);
    ASSERT_EQ(g.calls, 1);
    ASSERT_EQ(f.fb.starts[SRC_OPENALEX], 1);
    ASSERT_EQ(f.fb.ids_asked[SRC_OPENALEX], 3); /* a1, a2, x3: once each */
    ASSERT_EQ(f.fb.ids_asked[SRC_SEMANTIC_SCHOLAR], 3);
    static const lookup_outcome_t want[] = {LOOKUP_FOUND, LOOKUP_FOUND,     LOOKUP_FOUND,
                                            LOOKUP_FOUND, LOOKUP_NOT_FOUND, LOOKUP_NOT_FOUND};
    for (int i = 0; i < 6; i++) {
        lookup_item_t it;
        lookup_item(l, (size_t)i, &it);
        ASSERT_EQ(it.outcome, want[i]);
        if (it.outcome == LOOKUP_FOUND) ASSERT_STR_EQ(it.paper->doi, refs[i].value);
    }
    lookup_free(l);
    arena_free(a);
    fx_done(&f);
}

TEST(one_flight_for_the_same_id_and_the_cache_after)
{
    fx_t f;
    fx_init(&f, 2000, 60000);
    arena_t *a = arena_new(0);
    paper_ref_t r1 = ref(a, "https://doi.org/10.1000/SAME");
    paper_ref_t r2 = ref(a, "doi:10.1000/same");
    got_t g1 = {0}, g2 = {0};
    lookup_t *l1 = lookup_start(f.svc, &r1, 1, 0, NULL, on_done, &g1);
    lookup_t *l2 = lookup_start(f.svc, &r2, 1, 0, NULL, on_done, &g2);
    uv_run(&f.loop, UV_RUN_DEFAULT);
    ASSERT_EQ(g1.calls, 1);
    ASSERT_EQ(g2.calls, 1);
    ASSERT_EQ(f.fb.starts[SRC_SEMANTIC_SCHOLAR], 1);
    lookup_item_t it;
    lookup_item(l2, 0, &it);
    ASSERT_EQ(it.outcome, LOOKUP_FOUND);
    ASSERT_STR_CONTAINS(it.json, "10.1000/same");
    answer_provider_t pr[SRC_COUNT];
    lookup_providers(l2, pr);
    ASSERT(pr[SRC_CROSSREF].asked);
    lookup_free(l1);
    lookup_free(l2);
    /* Now from the cache: no provider asked. */
    got_t g3 = {0};
    lookup_t *l3 = lookup_start(f.svc, &r2, 1, 0, NULL, on_done, &g3);
    ASSERT_EQ(g3.calls, 0);
    uv_run(&f.loop, UV_RUN_DEFAULT);
    ASSERT_EQ(g3.calls, 1);
    lookup_item(l3, 0, &it);
    ASSERT_EQ(it.from, LOOKUP_FROM_CACHE);
    ASSERT_EQ(f.fb.starts[SRC_SEMANTIC_SCHOLAR], 1);
    lookup_free(l3);
    /* One provider only: neither the cache nor the others. */
    got_t g4 = {0};
    lookup_t *l4 = lookup_start(f.svc, &r2, 1, 1u << SRC_CROSSREF, NULL, on_done, &g4);
    uv_run(&f.loop, UV_RUN_DEFAULT);
    lookup_item(l4, 0, &it);
    ASSERT_EQ(it.from, LOOKUP_FROM_PROVIDERS);
    ASSERT_EQ(it.paper->nsources, 1);
    ASSERT_EQ(f.fb.starts[SRC_CROSSREF], 2);
    ASSERT_EQ(f.fb.starts[SRC_SEMANTIC_SCHOLAR], 1);
    lookup_free(l4);
    arena_free(a);
    fx_done(&f);
}

TEST(a_leader_gone_keeps_flying_for_its_follower)
{
    fx_t f;
    fx_init(&f, 2000, 0);
    arena_t *a = arena_new(0);
    paper_ref_t r = ref(a, "arxiv:2401.00001");
    got_t g1 = {0}, g2 = {0};
    lookup_t *l1 = lookup_start(f.svc, &r, 1, 0, NULL, on_done, &g1);
    lookup_t *l2 = lookup_start(f.svc, &r, 1, 0, NULL, on_done, &g2);
    lookup_free(l1); /* its client went away */
    uv_run(&f.loop, UV_RUN_DEFAULT);
    ASSERT_EQ(g1.calls, 0);
    ASSERT_EQ(g2.calls, 1);
    lookup_item_t it;
    lookup_item(l2, 0, &it);
    ASSERT_EQ(it.outcome, LOOKUP_FOUND);
    lookup_free(l2);
    /* Alone, a lookup freed early cancels its calls. */
    f.fb.delay_ms[SRC_ARXIV] = NEVER;
    got_t g3 = {0};
    lookup_t *l3 = lookup_start(f.svc, &r, 1, 0, NULL, on_done, &g3);
    uv_run(&f.loop, UV_RUN_NOWAIT);
    lookup_free(l3);
    uv_run(&f.loop, UV_RUN_DEFAULT);
    ASSERT_EQ(g3.calls, 0);
    ASSERT_EQ(f.fb.cancels[SRC_ARXIV], 1);
    arena_free(a);
    fx_done(&f);
}

TEST(the_reasons_of_an_unresolved_id)
{
    fx_t f;
    fx_init(&f, 2000, 0);
    f.fb.status[SRC_SEMANTIC_SCHOLAR] = PSTAT_RATE_LIMITED;
    f.fb.status[SRC_OPENALEX] = PSTAT_ERROR;
    arena_t *a = arena_new(0);
    paper_ref_t refs[3] = {ref(a, "corpus:42"), ref(a, "W9"), ref(a, "arxiv:x/1234567")};
    /* S2 holds every kind but W ids back: rate_limited wins over the fake not knowing "x/..." */
    got_t g = {0};
    lookup_t *l = lookup_start(f.svc, refs, 3, 0, NULL, on_done, &g);
    uv_run(&f.loop, UV_RUN_DEFAULT);
    lookup_item_t it;
    lookup_item(l, 0, &it);
    ASSERT_STR_EQ(lookup_outcome_name(it.outcome), "rate_limited");
    lookup_item(l, 1, &it);
    ASSERT_STR_EQ(lookup_outcome_name(it.outcome), "error");
    lookup_item(l, 2, &it);
    ASSERT_STR_EQ(lookup_outcome_name(it.outcome), "rate_limited");
    ASSERT(lookup_partial(l));
    lookup_free(l);
    /* The internal id without a store: nobody to ask. */
    paper_ref_t in = ref(a, "12345");
    got_t g2 = {0};
    l = lookup_start(f.svc, &in, 1, 0, NULL, on_done, &g2);
    uv_run(&f.loop, UV_RUN_DEFAULT);
    ASSERT_EQ(g2.calls, 1);
    lookup_item(l, 0, &it);
    ASSERT_EQ(it.outcome, LOOKUP_NOT_FOUND);
    lookup_free(l);
    arena_free(a);
    fx_done(&f);
}

/* A fake store: knows DOI "10.1000/stored" and times out on the id 999;
 * answers on a timer (never inside get()). */
typedef struct fake_read {
    uv_timer_t timer;
    papers_cb cb;
    void *data;
    papers_status_t status;
} fake_read_t;

static int store_gets, store_cancels;

static void fr_closed(uv_handle_t *h)
{
    free(h->data);
}

static void fr_fire(uv_timer_t *t)
{
    fake_read_t *r = t->data;
    static const char json[] = "{\"id\":\"7\",\"doi\":\"10.1000/stored\"}";
    papers_answer_t a = {.status = r->status};
    if (r->status == PAPERS_OK) {
        a.json = json;
        a.len = sizeof json - 1;
    }
    uv_close((uv_handle_t *)&r->timer, fr_closed);
    r->cb(r->data, &a);
}

static bool fs_available(void *ctx, int *retry)
{
    (void)ctx;
    *retry = 1;
    return true;
}

static void *fs_get(void *ctx, paper_id_kind_t kind, const char *value, papers_cb cb, void *data)
{
    store_gets++;
    fake_read_t *r = calloc(1, sizeof *r);
    r->cb = cb;
    r->data = data;
    r->status = kind == PAPER_ID_DOI && strcmp(value, "10.1000/stored") == 0 ? PAPERS_OK
                : strcmp(value, "999") == 0                                  ? PAPERS_TIMEOUT
                                                                             : PAPERS_NOT_FOUND;
    uv_timer_init(ctx, &r->timer);
    r->timer.data = r;
    uv_timer_start(&r->timer, fr_fire, 2, 0);
    return r;
}

static void fs_cancel(void *ctx, void *handle)
{
    (void)ctx;
    store_cancels++;
    fake_read_t *r = handle;
    uv_timer_stop(&r->timer);
    uv_close((uv_handle_t *)&r->timer, fr_closed);
}

TEST(the_store_answers_what_it_holds_before_the_providers)
{
    fx_t f;
    fx_init(&f, 2000, 0);
    papers_repo_t repo = {
        .ctx = &f.loop, .available = fs_available, .get = fs_get, .cancel = fs_cancel};
    lookup_service_free(f.svc);
    lookup_config_t cfg = {.deadline_ms = 2000};
    f.svc = lookup_service_new(&f.loop, &f.fb.b, FOUR, &repo, &cfg);
    arena_t *a = arena_new(0);
    paper_ref_t refs[5] = {ref(a, "doi:10.1000/stored"), ref(a, "doi:10.1000/live"), ref(a, "W5"),
                           ref(a, "12345"), ref(a, "corpus:77")};
    got_t g = {0};
    lookup_t *l = lookup_start(f.svc, refs, 5, 0, NULL, on_done, &g); /* not the corpus id */
    uv_run(&f.loop, UV_RUN_DEFAULT);
    ASSERT_EQ(g.calls, 1);
    ASSERT_EQ(store_gets, 4); /* DOIs, the internal id and the W id (by source_ids) */
    lookup_item_t it;
    lookup_item(l, 0, &it);
    ASSERT_EQ(it.from, LOOKUP_FROM_STORE);
    ASSERT_STR_EQ(it.json, "{\"id\":\"7\",\"doi\":\"10.1000/stored\"}");
    lookup_item(l, 1, &it);
    ASSERT_EQ(it.from, LOOKUP_FROM_PROVIDERS);
    lookup_item(l, 2, &it);
    ASSERT_EQ(it.from, LOOKUP_FROM_PROVIDERS);
    lookup_item(l, 3, &it);
    ASSERT_EQ(it.outcome, LOOKUP_NOT_FOUND);
    lookup_item(l, 4, &it);
    ASSERT_EQ(it.from, LOOKUP_FROM_PROVIDERS);
    /* The stored DOI was asked of no provider: S2 got the other DOI and the
     * corpus id only. */
    ASSERT_EQ(f.fb.ids_asked[SRC_SEMANTIC_SCHOLAR], 2);
    ASSERT_EQ(f.fb.ids_asked[SRC_CROSSREF], 1);
    lookup_free(l);
    /* A store that times out on an id nobody else knows: a timeout. */
    paper_ref_t slow = ref(a, "999");
    got_t g2 = {0};
    l = lookup_start(f.svc, &slow, 1, 0, NULL, on_done, &g2);
    uv_run(&f.loop, UV_RUN_DEFAULT);
    lookup_item(l, 0, &it);
    ASSERT_EQ(it.outcome, LOOKUP_TIMEOUT);
    lookup_free(l);
    /* A lookup freed while its store read waits cancels the read. */
    got_t g3 = {0};
    l = lookup_start(f.svc, refs, 1, 0, NULL, on_done, &g3);
    lookup_free(l);
    uv_run(&f.loop, UV_RUN_DEFAULT);
    ASSERT_EQ(g3.calls, 0);
    ASSERT_EQ(store_cancels, 1);
    arena_free(a);
    fx_done(&f);
}

/* A fake shared tier (core/lookup_cache.h): holds what was put, answers
 * on a timer (never inside get()) or fails as told. */
typedef enum { FC_ANSWER, FC_FAIL, FC_REFUSE, FC_NEVER } fc_mode_t;

typedef struct fake_cache {
    lookup_cache_t c;
    uv_loop_t *loop;
    fc_mode_t mode;
    char keys[8][64];
    char vals[8][4096];
    int nkeys;
    int gets, keys_asked, puts, cancels;
    int64_t last_ttl;
} fake_cache_t;

struct lookup_cache_get {
    uv_timer_t timer;
    fake_cache_t *fc;
    const char *asked[8];
    size_t n;
    lookup_cache_got_fn got;
    void *data;
};

static void fc_closed(uv_handle_t *h)
{
    free(h->data);
}

static const char *fc_find(fake_cache_t *fc, const char *key)
{
    for (int i = 0; i < fc->nkeys; i++)
        if (strcmp(fc->keys[i], key) == 0) return fc->vals[i];
    return NULL;
}

static void fc_fire(uv_timer_t *t)
{
    lookup_cache_get_t *g = t->data;
    const char *vals[8] = {0};
    size_t lens[8] = {0};
    for (size_t i = 0; i < g->n; i++)
        if ((vals[i] = fc_find(g->fc, g->asked[i]))) lens[i] = strlen(vals[i]);
    uv_close((uv_handle_t *)&g->timer, fc_closed);
    if (g->fc->mode == FC_FAIL)
        g->got(g->data, NULL, NULL);
    else
        g->got(g->data, vals, lens);
}

static lookup_cache_get_t *fc_get(void *ctx, const char *const *keys, size_t n,
                                  lookup_cache_got_fn got, void *data)
{
    fake_cache_t *fc = ctx;
    fc->gets++;
    fc->keys_asked += (int)n;
    if (fc->mode == FC_REFUSE || n > 8) return NULL;
    lookup_cache_get_t *g = calloc(1, sizeof *g);
    *g = (lookup_cache_get_t){.fc = fc, .n = n, .got = got, .data = data};
    for (size_t i = 0; i < n; i++)
        g->asked[i] = keys[i]; /* the lookup's: they live as long as it */
    uv_timer_init(fc->loop, &g->timer);
    g->timer.data = g;
    if (fc->mode != FC_NEVER) uv_timer_start(&g->timer, fc_fire, 3, 0);
    return g;
}

static void fc_cancel(void *ctx, lookup_cache_get_t *g)
{
    ((fake_cache_t *)ctx)->cancels++;
    uv_timer_stop(&g->timer);
    uv_close((uv_handle_t *)&g->timer, fc_closed);
}

static void fc_put(void *ctx, const char *key, const char *bytes, size_t len, int64_t ttl_ms)
{
    fake_cache_t *fc = ctx;
    fc->puts++;
    fc->last_ttl = ttl_ms;
    ASSERT(fc->nkeys < 8 && len < sizeof fc->vals[0]);
    snprintf(fc->keys[fc->nkeys], sizeof fc->keys[0], "%s", key);
    memcpy(fc->vals[fc->nkeys], bytes, len);
    fc->vals[fc->nkeys++][len] = '\0';
}

/* A service like fx_init()'s with the fake shared tier behind its memory. */
static void fx_init_shared(fx_t *f, fake_cache_t *fc, int deadline_ms)
{
    fx_init(f, deadline_ms, 60000);
    lookup_service_free(f->svc);
    *fc = (fake_cache_t){.c = {.ctx = fc, .get = fc_get, .cancel = fc_cancel, .put = fc_put},
                         .loop = &f->loop};
    lookup_config_t cfg = {
        .deadline_ms = deadline_ms, .cache_ttl_ms = 60000, .cache_entries = 100, .shared = &fc->c};
    f->svc = lookup_service_new(&f->loop, &f->fb.b, FOUR, NULL, &cfg);
    ASSERT_NOT_NULL(f->svc);
}

static lookup_item_t look_one(fx_t *f, const paper_ref_t *r)
{
    got_t g = {0};
    lookup_t *l = lookup_start(f->svc, r, 1, 0, NULL, on_done, &g);
    ASSERT_NOT_NULL(l);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    ASSERT_EQ(g.calls, 1);
    lookup_item_t it;
    lookup_item(l, 0, &it);
    lookup_free(l);
    return it;
}

TEST(a_shared_hit_fills_the_memory_cache_and_asks_no_provider)
{
    fx_t f;
    fake_cache_t fc;
    fx_init_shared(&f, &fc, 2000);
    arena_t *a = arena_new(0);
    paper_ref_t r = ref(a, "10.1000/shared");
    snprintf(fc.keys[0], sizeof fc.keys[0], "%s", paper_ref_string(a, &r));
    snprintf(fc.vals[0], sizeof fc.vals[0], "{\"doi\":\"10.1000/shared\",\"title\":\"T\"}");
    fc.nkeys = 1;
    lookup_item_t it = look_one(&f, &r);
    ASSERT_EQ(it.outcome, LOOKUP_FOUND);
    ASSERT_EQ(it.from, LOOKUP_FROM_CACHE);
    ASSERT_EQ(fc.gets, 1);
    for (int s = 0; s < SRC_COUNT; s++)
        ASSERT_EQ(f.fb.starts[s], 0);
    ASSERT_EQ(fc.puts, 0);
    /* The memory cache has it now: the shared tier is not asked again. */
    it = look_one(&f, &r);
    ASSERT_EQ(it.from, LOOKUP_FROM_CACHE);
    ASSERT_EQ(fc.gets, 1);
    arena_free(a);
    fx_done(&f);
}

TEST(a_shared_miss_goes_on_and_the_live_answer_is_put)
{
    fx_t f;
    fake_cache_t fc;
    fx_init_shared(&f, &fc, 2000);
    arena_t *a = arena_new(0);
    paper_ref_t r = ref(a, "10.1000/live");
    got_t g = {0};
    lookup_t *l = lookup_start(f.svc, &r, 1, 0, NULL, on_done, &g);
    uv_run(&f.loop, UV_RUN_DEFAULT);
    lookup_item_t it;
    lookup_item(l, 0, &it);
    ASSERT_EQ(it.from, LOOKUP_FROM_PROVIDERS);
    ASSERT_EQ(fc.gets, 1);
    ASSERT_EQ(fc.puts, 1);
    ASSERT_EQ(fc.last_ttl, 60000);
    ASSERT_STR_EQ(fc.keys[0], paper_ref_string(a, &r));
    ASSERT_STR_EQ(fc.vals[0], it.json); /* what the memory cache keeps */
    lookup_free(l);
    /* A batch: one read for the ids the memory cache misses (a twin once). */
    paper_ref_t refs[4] = {ref(a, "10.1000/live"), ref(a, "10.1000/two"), ref(a, "10.1000/three"),
                           ref(a, "doi:10.1000/TWO")};
    snprintf(fc.keys[1], sizeof fc.keys[1], "%s", paper_ref_string(a, &refs[2]));
    snprintf(fc.vals[1], sizeof fc.vals[1], "{\"doi\":\"10.1000/three\"}");
    fc.nkeys = 2;
    got_t g2 = {0};
    l = lookup_start(f.svc, refs, 4, 0, NULL, on_done, &g2);
    uv_run(&f.loop, UV_RUN_DEFAULT);
    ASSERT_EQ(g2.calls, 1);
    ASSERT_EQ(fc.gets, 2);
    ASSERT_EQ(fc.keys_asked, 1 + 2);
    lookup_from_t want[4] = {LOOKUP_FROM_CACHE, LOOKUP_FROM_PROVIDERS, LOOKUP_FROM_CACHE,
                             LOOKUP_FROM_PROVIDERS};
    for (size_t i = 0; i < 4; i++) {
        lookup_item(l, i, &it);
        ASSERT_EQ(it.outcome, LOOKUP_FOUND);
        ASSERT_EQ(it.from, want[i]);
    }
    ASSERT_EQ(f.fb.ids_asked[SRC_CROSSREF], 1 + 1); /* "two" only this time */
    ASSERT_EQ(fc.puts, 2);
    lookup_free(l);
    arena_free(a);
    fx_done(&f);
}

TEST(a_shared_tier_failing_refusing_or_slow_never_fails_the_lookup)
{
    fc_mode_t modes[2] = {FC_FAIL, FC_REFUSE};
    for (int m = 0; m < 2; m++) {
        fx_t f;
        fake_cache_t fc;
        fx_init_shared(&f, &fc, 2000);
        fc.mode = modes[m];
        arena_t *a = arena_new(0);
        paper_ref_t r = ref(a, "10.1000/down");
        lookup_item_t it = look_one(&f, &r);
        ASSERT_EQ(it.outcome, LOOKUP_FOUND);
        ASSERT_EQ(it.from, LOOKUP_FROM_PROVIDERS);
        ASSERT_EQ(fc.gets, 1);
        ASSERT_EQ(f.fb.starts[SRC_CROSSREF], 1);
        arena_free(a);
        fx_done(&f);
    }
    /* No answer at all: the lookup's deadline ends the wait (the Redis
     * link's own deadline comes much sooner), and a lookup freed while it
     * waits cancels the read. */
    fx_t f;
    fake_cache_t fc;
    fx_init_shared(&f, &fc, 50);
    fc.mode = FC_NEVER;
    arena_t *a = arena_new(0);
    paper_ref_t r = ref(a, "10.1000/frozen");
    lookup_item_t it = look_one(&f, &r);
    ASSERT_EQ(fc.cancels, 1);
    ASSERT_EQ(it.outcome, LOOKUP_TIMEOUT);
    got_t g = {0};
    lookup_t *l = lookup_start(f.svc, &r, 1, 0, NULL, on_done, &g);
    lookup_free(l);
    uv_run(&f.loop, UV_RUN_DEFAULT);
    ASSERT_EQ(g.calls, 0);
    ASSERT_EQ(fc.cancels, 2);
    arena_free(a);
    fx_done(&f);
}

TEST_MAIN()
