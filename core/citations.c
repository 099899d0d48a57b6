/* One citation list fetched from the providers (core/citations.h).
 *
 *   START    -> each provider's first call(s), the deadline timer
 *   FETCHING -> waiting; each call's outcome is recorded as it comes, and
 *               a provider's next calls (the next page, the referenced
 *               works) start from step()
 *   DONE     -> every provider finished (or the deadline): the result is
 *               made and done is deferred to a later loop turn
 *   CLOSED   -> freed by cites_fetch_free(), in the timer's close callback
 *
 * cites_set_state() is the only writer of the state; cites_step() runs
 * the current state's function until one waits. Backend callbacks and the
 * timer only record and call step. */
#include "core/citations.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/defer.h"
#include "core/log.h"
#include "core/metrics.h"

/* Semantic Scholar's page and OpenAlex's per-page and OR-filter sizes
 * (their documented maxima; providers/cites.h says the same). */
#define S2_PAGE 1000
#define OA_PAGE 200
#define OA_OR 100
#define OA_PARALLEL 8 /* OpenAlex calls of one list at once */

typedef enum { CF_START, CF_FETCHING, CF_DONE, CF_CLOSED } cf_state_t;

static const char *const cf_state_names[] = {"start", "fetching", "done", "closed"};

/* One provider's part of the list. */
typedef struct cf_provider {
    bool asked;
    bool finished;
    search_pstatus_t status; /* the first failure, else ok */
    const char *error;
    double latency_ms; /* of the last call */
    size_t running;    /* calls in flight */
    cites_call_t *calls;
    size_t ncalls, cap; /* the block is allocated once, cap calls */
    /* OpenAlex: its id (decided once S2's record is in), the work's W id */
    bool resolved, work_asked;
    const char *oa_id;
    const char *wid;
    size_t pages;    /* list pages asked so far */
    bool refs_asked; /* OpenAlex references: the OR-filters are out */
} cf_provider_t;

struct cites_fetch {
    cf_state_t state;
    uv_loop_t *loop;
    uv_timer_t deadline;
    sf_defer_t deliver;
    arena_t *arena;
    const cites_backend_t *be;
    cites_dir_t dir;
    cites_ids_t ids;
    cites_fetch_opts_t opts;
    cf_provider_t prov[SRC_COUNT];
    cites_result_t result;
    uint64_t start_ns;
    bool deadline_passed;
    bool stepping;
    cites_fetch_cb done;
    void *data;
};

static void cites_step(cites_fetch_t *f);

static void cites_set_state(cites_fetch_t *f, cf_state_t st)
{
    if (f->state != st)
        log_debug("citations %s %s: %s -> %s", cites_dir_name(f->dir), f->ids.canonical,
                  cf_state_names[f->state], cf_state_names[st]);
    f->state = st;
}

static double since_ms(const cites_fetch_t *f)
{
    return (double)(clock_now_ns() - f->start_ns) / 1e6;
}

/* A new call of provider src. The block is sized once when the fetch
 * starts (calls_needed()): running calls are the backend's to point at,
 * so it never moves. NULL when it is full. */
static cites_call_t *new_call(cites_fetch_t *f, source_t src, cites_call_kind_t kind)
{
    cf_provider_t *p = &f->prov[src];
    if (p->ncalls == p->cap) return NULL;
    cites_call_t *c = &p->calls[p->ncalls++];
    memset(c, 0, sizeof(*c));
    c->kind = kind;
    c->source = src;
    c->part = src;
    c->dir = f->dir;
    c->page = &f->result.pages[src];
    c->arena = f->arena;
    c->deadline_ns = f->start_ns + (uint64_t)f->opts.deadline_ms * 1000000u;
    c->traceparent = f->opts.traceparent;
    c->fetch = f;
    return c;
}

static void run_call(cites_fetch_t *f, cites_call_t *c)
{
    cf_provider_t *p = &f->prov[c->part];
    c->running = true;
    c->started = true;
    p->running++;
    f->be->start(f->be->ctx, c);
}

/* Marks src finished with st (the first failure wins). */
static void provider_fail(cites_fetch_t *f, source_t src, search_pstatus_t st, const char *err)
{
    cf_provider_t *p = &f->prov[src];
    if (p->status == PSTAT_OK || p->status == PSTAT_PENDING) {
        p->status = st;
        p->error = err != NULL ? arena_strdup(f->arena, err) : NULL;
    }
}

/* The number of calls src may still need, so its block is sized once. */
static size_t calls_needed(const cites_fetch_t *f, source_t src)
{
    size_t pages = f->opts.max_edges / (src == SRC_SEMANTIC_SCHOLAR ? S2_PAGE : OA_PAGE) + 2;
    size_t ors = f->opts.max_edges / OA_OR + 2;
    return src == SRC_OPENALEX && f->dir == CITES_REFERENCES ? ors + 2 : pages + 2;
}

/* OpenAlex's calls that may run at once, each into a page of its own
 * (joined in call order at the end, so ranks follow OpenAlex's order
 * whatever order the answers come in): the citing works' pages 2.. of
 * the count the first page gave, or the references' OR-filters. */
static int make_batches(cites_fetch_t *f, source_t src)
{
    cf_provider_t *p = &f->prov[src];
    cites_page_t *pg = &f->result.pages[src];
    p->refs_asked = true;
    size_t n;
    const char **refs = NULL;
    if (f->dir == CITES_CITATIONS) {
        size_t total = pg->total > 0 ? (size_t)pg->total : pg->papers.n;
        /* OpenAlex pages by number up to 10,000 results. */
        size_t cap = f->opts.max_edges < 10000 ? f->opts.max_edges : 10000;
        n = total < cap ? total : cap;
        f->result.truncated[src] = total > n;
        n = n > OA_PAGE ? n - OA_PAGE : 0; /* past page 1 */
    } else {
        const cites_call_t *w = &p->calls[p->ncalls - 1]; /* the work */
        n = w->nrefs < f->opts.max_edges ? w->nrefs : f->opts.max_edges;
        f->result.truncated[src] = w->nrefs > n;
        refs = w->refs;
    }
    size_t step = f->dir == CITES_CITATIONS ? OA_PAGE : OA_OR;
    for (size_t i = 0; i < n; i += step) {
        cites_call_t *c =
            new_call(f, src, f->dir == CITES_CITATIONS ? CITES_CALL_OA_CITES : CITES_CALL_OA_IDS);
        if (c == NULL || (c->batch = arena_calloc(f->arena, 1, sizeof(*c->batch))) == NULL)
            return -1;
        c->page = c->batch;
        if (f->dir == CITES_CITATIONS) {
            c->id = p->wid;
            c->pageno = 2 + (int)(i / OA_PAGE);
            c->limit = OA_PAGE;
        } else {
            c->wids = refs + i;
            c->nwids = n - i < OA_OR ? n - i : OA_OR;
        }
    }
    return 0;
}

/* src is finished: the batches' papers join its page in call order,
 * ranked after it. */
static void provider_finish(cites_fetch_t *f, source_t src)
{
    cf_provider_t *p = &f->prov[src];
    cites_page_t *pg = &f->result.pages[src];
    for (size_t i = 0; i < p->ncalls; i++) {
        const cites_page_t *b = p->calls[i].batch;
        for (size_t k = 0; b != NULL && k < b->papers.n; k++) {
            paper_t *q = paper_list_add(&pg->papers, f->arena);
            if (q == NULL) {
                provider_fail(f, src, PSTAT_ERROR, "out of memory");
                break;
            }
            *q = b->papers.items[k];
            q->sources[0].rank = (int)pg->papers.n;
        }
    }
    p->finished = true;
}

/* Starts src's next call(s), or marks it finished when it needs none. */
static void provider_next(cites_fetch_t *f, source_t src)
{
    cf_provider_t *p = &f->prov[src];
    if (!p->asked || p->finished) return;
    if (p->status != PSTAT_OK && p->status != PSTAT_PENDING) {
        if (p->running == 0) provider_finish(f, src); /* a failure ends it once nothing runs */
        return;
    }
    /* Pages follow each other; the references' OR-filters overlap. */
    if (p->running > 0 && !p->refs_asked) return;
    cites_page_t *pg = &f->result.pages[src];
    size_t have = pg->papers.n;
    cites_call_t *c = NULL;
    if (src == SRC_SEMANTIC_SCHOLAR) {
        bool first = p->pages == 0;
        if (first || (pg->more && have < f->opts.max_edges)) {
            if ((c = new_call(f, src, CITES_CALL_S2_PAGE)) == NULL) goto oom;
            c->id = f->ids.ids[src];
            c->offset = first ? 0 : (size_t)strtoull(pg->next, NULL, 10);
            size_t left = f->opts.max_edges - (first ? 0 : have);
            c->limit = left < S2_PAGE ? (int)(left > 0 ? left : 1) : S2_PAGE;
            p->pages++;
            run_call(f, c);
            return;
        }
    } else if (src == SRC_OPENALEX) {
        if (!p->resolved) {
            if (f->ids.oa_via_s2 && f->ids.ids[SRC_SEMANTIC_SCHOLAR] != NULL && p->ncalls == 0) {
                if ((c = new_call(f, src, CITES_CALL_S2_IDS)) == NULL) goto oom;
                c->source = SRC_SEMANTIC_SCHOLAR; /* asked of S2, for OpenAlex's part */
                c->id = f->ids.ids[SRC_SEMANTIC_SCHOLAR];
                run_call(f, c);
                return;
            }
            p->resolved = true;
            if (p->oa_id == NULL) p->oa_id = f->ids.ids[src];
            if (p->oa_id == NULL) goto finished; /* nothing OpenAlex can look up */
        }
        if (p->wid == NULL && !p->work_asked) {
            if (p->oa_id[0] == 'W' && f->dir == CITES_CITATIONS) {
                p->wid = p->oa_id; /* cites:W needs no lookup first */
            } else {
                if ((c = new_call(f, src, CITES_CALL_OA_WORK)) == NULL) goto oom;
                c->id = p->oa_id;
                p->work_asked = true;
                run_call(f, c);
                return;
            }
        }
        if (p->wid == NULL) goto finished; /* the work was not found */
        if (f->dir == CITES_CITATIONS && p->pages == 0) {
            /* The first page says how many there are; the rest at once. */
            if ((c = new_call(f, src, CITES_CALL_OA_CITES)) == NULL) goto oom;
            c->id = p->wid;
            c->pageno = 1;
            c->limit = OA_PAGE;
            p->pages++;
            run_call(f, c);
            return;
        }
        if (!p->refs_asked && make_batches(f, src) < 0) goto oom;
        /* A few at once: the provider's concurrency cap is shared. */
        for (size_t i = 0; i < p->ncalls && p->running < OA_PARALLEL; i++)
            if (p->calls[i].batch != NULL && !p->calls[i].started) run_call(f, &p->calls[i]);
        if (p->running > 0) return;
    }
finished:
    if (pg->more && have >= f->opts.max_edges) f->result.truncated[src] = true;
    provider_finish(f, src);
    return;
oom:
    provider_fail(f, src, PSTAT_ERROR, "out of memory");
    if (p->running == 0) provider_finish(f, src);
}

static void on_deadline(uv_timer_t *t)
{
    cites_fetch_t *f = t->data;
    f->deadline_passed = true;
    cites_step(f);
}

static void on_deliver(sf_defer_t *d)
{
    cites_fetch_t *f = sf_defer_data(d, cites_fetch_t, deliver);
    if (f->done != NULL) f->done(f, f->data);
}

static void state_start(cites_fetch_t *f)
{
    cites_set_state(f, CF_FETCHING);
    uv_timer_start(&f->deadline, on_deadline, (uint64_t)f->opts.deadline_ms, 0);
    /* OpenAlex first: its chain is the longer (S2's record, the work, pages). */
    static const source_t graph[] = {SRC_OPENALEX, SRC_SEMANTIC_SCHOLAR};
    for (size_t i = 0; i < sizeof(graph) / sizeof(graph[0]); i++) {
        source_t s = graph[i];
        cf_provider_t *p = &f->prov[s];
        bool via_s2 =
            s == SRC_OPENALEX && f->ids.oa_via_s2 && f->ids.ids[SRC_SEMANTIC_SCHOLAR] != NULL;
        if ((f->ids.ids[s] == NULL && !via_s2) || !(f->opts.enabled & (1u << s))) continue;
        p->cap = calls_needed(f, s);
        p->calls = arena_calloc(f->arena, p->cap, sizeof(*p->calls));
        if (p->calls == NULL) p->cap = 0;
        p->asked = true;
        p->status = PSTAT_PENDING;
        f->result.providers[s].asked = true;
    }
    /* Ask after marking, so a call answered at once sees a whole fetch. */
    for (size_t i = 0; i < sizeof(graph) / sizeof(graph[0]); i++)
        provider_next(f, graph[i]);
}

static bool all_finished(const cites_fetch_t *f)
{
    for (int s = 0; s < SRC_COUNT; s++)
        if (f->prov[s].asked && !f->prov[s].finished) return false;
    return true;
}

static void state_fetching(cites_fetch_t *f)
{
    if (f->deadline_passed) {
        for (int s = 0; s < SRC_COUNT; s++) {
            cf_provider_t *p = &f->prov[s];
            if (!p->asked || p->finished) continue;
            for (size_t i = 0; i < p->ncalls; i++) {
                cites_call_t *c = &p->calls[i];
                if (!c->running) continue;
                c->running = false;
                f->be->cancel(f->be->ctx, c);
            }
            p->running = 0;
            p->latency_ms = since_ms(f);
            provider_fail(f, (source_t)s, PSTAT_TIMEOUT, "citation list deadline reached");
            provider_finish(f, (source_t)s);
        }
    } else {
        for (int s = 0; s < SRC_COUNT; s++)
            provider_next(f, (source_t)s);
    }
    if (all_finished(f)) cites_set_state(f, CF_DONE);
}

static void state_done(cites_fetch_t *f)
{
    uv_timer_stop(&f->deadline);
    cites_result_t *r = &f->result;
    r->took_ms = since_ms(f);
    r->partial = false;
    for (int s = 0; s < SRC_COUNT; s++) {
        cf_provider_t *p = &f->prov[s];
        if (!p->asked) continue;
        answer_provider_t *ap = &r->providers[s];
        ap->status = p->status == PSTAT_PENDING ? PSTAT_OK : p->status;
        ap->results = (long)r->pages[s].papers.n;
        ap->latency_ms = p->latency_ms;
        ap->error = p->error;
        if (ap->status != PSTAT_OK) r->partial = true;
    }
    if (sf_defer(f->loop, &f->deliver, on_deliver) < 0 && f->done != NULL) {
        /* No queue for the loop (out of memory): answer now rather than never. */
        f->done(f, f->data);
    }
}

static void cites_step(cites_fetch_t *f)
{
    if (f->stepping) return;
    f->stepping = true;
    cf_state_t before;
    do {
        before = f->state;
        switch (f->state) {
        case CF_START:
            state_start(f);
            break;
        case CF_FETCHING:
            state_fetching(f);
            break;
        case CF_DONE:
        case CF_CLOSED:
            break;
        }
    } while (f->state != before && f->state != CF_DONE && f->state != CF_CLOSED);
    if (f->state == CF_DONE && before != CF_DONE) state_done(f);
    f->stepping = false;
}

void cites_call_done(cites_call_t *c, search_pstatus_t st, double latency_ms, const char *err)
{
    cites_fetch_t *f = c->fetch;
    if (!c->running || f->state != CF_FETCHING) return; /* late: dropped */
    cf_provider_t *p = &f->prov[c->part];
    c->running = false;
    c->handle = NULL;
    p->running--;
    metrics_provider_call(c->source, st, latency_ms);
    if (c->kind == CITES_CALL_S2_IDS) {
        /* Only a way to OpenAlex's id: a failure leaves the fallback. */
        if (st == PSTAT_OK && c->doi != NULL)
            p->oa_id = arena_sprintf(f->arena, "doi:%s", c->doi);
        else if (st == PSTAT_OK && c->arxiv != NULL)
            p->oa_id = arena_sprintf(f->arena, "doi:10.48550/arxiv.%s", c->arxiv);
        cites_step(f);
        return;
    }
    p->latency_ms = latency_ms;
    if (st != PSTAT_OK) {
        provider_fail(f, c->source, st, err);
    } else if (c->kind == CITES_CALL_OA_WORK) {
        p->wid = c->wid; /* NULL: OpenAlex does not know the paper */
    }
    cites_step(f);
}

cites_fetch_t *cites_fetch_start(uv_loop_t *loop, const cites_backend_t *be, cites_dir_t dir,
                                 const cites_ids_t *ids, const cites_fetch_opts_t *o,
                                 cites_fetch_cb done, void *data)
{
    arena_t *a = arena_new(65536);
    if (a == NULL) return NULL;
    cites_fetch_t *f = arena_calloc(a, 1, sizeof(*f));
    if (f == NULL) goto fail;
    f->arena = a;
    f->loop = loop;
    f->be = be;
    f->dir = dir;
    f->opts = *o;
    if (f->opts.deadline_ms <= 0) f->opts.deadline_ms = 1;
    if (f->opts.max_edges == 0) f->opts.max_edges = 1;
    f->opts.traceparent = o->traceparent != NULL ? arena_strdup(a, o->traceparent) : NULL;
    f->ids.canonical = arena_strdup(a, ids->canonical != NULL ? ids->canonical : "");
    if (f->ids.canonical == NULL) goto fail;
    for (int s = 0; s < SRC_COUNT; s++) {
        if (ids->ids[s] == NULL) continue;
        if ((f->ids.ids[s] = arena_strdup(a, ids->ids[s])) == NULL) goto fail;
    }
    f->ids.oa_via_s2 = ids->oa_via_s2;
    f->done = done;
    f->data = data;
    f->start_ns = clock_now_ns();
    sf_defer_init(&f->deliver);
    uv_timer_init(loop, &f->deadline);
    f->deadline.data = f;
    cites_step(f);
    return f;
fail:
    arena_free(a);
    return NULL;
}

const cites_result_t *cites_fetch_result(const cites_fetch_t *f)
{
    return &f->result;
}

arena_t *cites_fetch_arena(cites_fetch_t *f)
{
    return f->arena;
}

static void on_closed(uv_handle_t *h)
{
    cites_fetch_t *f = h->data;
    arena_free(f->arena);
}

void cites_fetch_free(cites_fetch_t *f)
{
    if (f == NULL || f->state == CF_CLOSED) return;
    if (f->state == CF_FETCHING) {
        for (int s = 0; s < SRC_COUNT; s++) {
            cf_provider_t *p = &f->prov[s];
            for (size_t i = 0; i < p->ncalls; i++) {
                cites_call_t *c = &p->calls[i];
                if (!c->running) continue;
                c->running = false;
                f->be->cancel(f->be->ctx, c);
            }
        }
    }
    cites_set_state(f, CF_CLOSED);
    sf_defer_cancel(&f->deliver);
    uv_timer_stop(&f->deadline);
    uv_close((uv_handle_t *)&f->deadline, on_closed);
}
