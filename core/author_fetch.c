/* One author search or profile (core/author_fetch.h).
 *
 *   START    -> each asked provider's call, the deadline timer
 *   FETCHING -> waiting; a profile asked by S2 id whose record gives an
 *               ORCID then asks OpenAlex for orcid:... (from step())
 *   DONE     -> everything answered or the deadline: merge, deliver later
 *   CLOSED   -> freed by author_fetch_free(), in the timer's close callback
 *
 * author_set_state() is the only writer of the state; author_step() runs
 * the current state's function until one waits. */
#include "core/author_fetch.h"

#include <string.h>

#include "core/clock.h"
#include "core/defer.h"
#include "core/log.h"
#include "core/metrics.h"

typedef enum { AF_START, AF_FETCHING, AF_DONE, AF_CLOSED } af_state_t;

static const char *const af_state_names[] = {"start", "fetching", "done", "closed"};

typedef struct af_provider {
    bool asked, finished;
    search_pstatus_t status;
    const char *error;
    double latency_ms;
    author_call_t call;
} af_provider_t;

struct author_fetch {
    af_state_t state;
    uv_loop_t *loop;
    uv_timer_t deadline;
    sf_defer_t deliver;
    arena_t *arena;
    const author_backend_t *be;
    author_fetch_opts_t opts;
    af_provider_t prov[SRC_COUNT];
    author_result_t result;
    uint64_t start_ns;
    bool deadline_passed, stepping, oa_chained;
    author_fetch_cb done;
    void *data;
};

static void author_step(author_fetch_t *f);

static void author_set_state(author_fetch_t *f, af_state_t st)
{
    if (f->state != st)
        log_debug("authors %s: %s -> %s", f->opts.query ? f->opts.query : "profile",
                  af_state_names[f->state], af_state_names[st]);
    f->state = st;
}

/* The two providers with author graphs. */
static const source_t graph[] = {SRC_SEMANTIC_SCHOLAR, SRC_OPENALEX};
#define NGRAPH (sizeof(graph) / sizeof(graph[0]))

static void ask(author_fetch_t *f, source_t s, const char *id)
{
    af_provider_t *p = &f->prov[s];
    author_call_t *c = &p->call;
    memset(c, 0, sizeof(*c));
    c->kind = f->opts.query != NULL ? AUTHOR_CALL_SEARCH
              : f->opts.papers      ? AUTHOR_CALL_PAPERS
                                    : AUTHOR_CALL_PROFILE;
    c->source = s;
    c->query = f->opts.query;
    c->offset = f->opts.offset;
    c->limit = f->opts.limit;
    c->id = id;
    c->arena = f->arena;
    c->deadline_ns = f->start_ns + (uint64_t)f->opts.deadline_ms * 1000000u;
    c->traceparent = f->opts.traceparent;
    c->list = &f->result.lists[s];
    c->papers = &f->result.papers[s];
    c->total = -1;
    c->fetch = f;
    c->running = true;
    p->asked = true;
    p->status = PSTAT_PENDING;
    f->result.providers[s].asked = true;
    f->be->start(f->be->ctx, c);
}

static void on_deadline(uv_timer_t *t)
{
    author_fetch_t *f = t->data;
    f->deadline_passed = true;
    author_step(f);
}

static void on_deliver(sf_defer_t *d)
{
    author_fetch_t *f = sf_defer_data(d, author_fetch_t, deliver);
    if (f->done != NULL) f->done(f, f->data);
}

static bool wanted(const author_fetch_t *f, source_t s)
{
    return (f->opts.enabled & (1u << s)) && (f->opts.query != NULL || f->opts.ids[s] != NULL);
}

static void state_start(author_fetch_t *f)
{
    author_set_state(f, AF_FETCHING);
    uv_timer_start(&f->deadline, on_deadline, (uint64_t)f->opts.deadline_ms, 0);
    /* Mark first, so a call answered at once sees a whole fetch. */
    for (size_t i = 0; i < NGRAPH; i++)
        if (wanted(f, graph[i])) f->prov[graph[i]].asked = true;
    for (size_t i = 0; i < NGRAPH; i++)
        if (f->prov[graph[i]].asked) ask(f, graph[i], f->opts.ids[graph[i]]);
}

/* A profile by S2 id: OpenAlex is asked by the ORCID S2 gives. */
static void chain_openalex(author_fetch_t *f)
{
    af_provider_t *s2 = &f->prov[SRC_SEMANTIC_SCHOLAR];
    if (f->opts.query != NULL || f->opts.papers || f->oa_chained || f->prov[SRC_OPENALEX].asked ||
        !(f->opts.enabled & (1u << SRC_OPENALEX)) || !s2->finished ||
        f->result.lists[SRC_SEMANTIC_SCHOLAR].n == 0)
        return;
    f->oa_chained = true;
    const char *orcid = f->result.lists[SRC_SEMANTIC_SCHOLAR].items[0].orcid;
    if (orcid == NULL) return;
    ask(f, SRC_OPENALEX, arena_sprintf(f->arena, "orcid:%s", orcid));
}

static bool all_finished(const author_fetch_t *f)
{
    for (int s = 0; s < SRC_COUNT; s++)
        if (f->prov[s].asked && !f->prov[s].finished) return false;
    return true;
}

static void state_fetching(author_fetch_t *f)
{
    if (f->deadline_passed) {
        for (int s = 0; s < SRC_COUNT; s++) {
            af_provider_t *p = &f->prov[s];
            if (!p->asked || p->finished) continue;
            if (p->call.running) {
                p->call.running = false;
                f->be->cancel(f->be->ctx, &p->call);
            }
            p->finished = true;
            p->status = PSTAT_TIMEOUT;
            p->error = "author deadline reached";
            p->latency_ms = (double)(clock_now_ns() - f->start_ns) / 1e6;
        }
    } else {
        chain_openalex(f);
    }
    if (all_finished(f)) author_set_state(f, AF_DONE);
}

static void state_done(author_fetch_t *f)
{
    uv_timer_stop(&f->deadline);
    author_result_t *r = &f->result;
    r->took_ms = (double)(clock_now_ns() - f->start_ns) / 1e6;
    for (int s = 0; s < SRC_COUNT; s++) {
        af_provider_t *p = &f->prov[s];
        r->totals[s] = p->asked ? p->call.total : -1;
        if (!p->asked) continue;
        answer_provider_t *ap = &r->providers[s];
        ap->status = p->status == PSTAT_PENDING ? PSTAT_OK : p->status;
        ap->results = (long)(f->opts.papers ? r->papers[s].n : r->lists[s].n);
        ap->latency_ms = p->latency_ms;
        ap->error = p->error;
        if (ap->status != PSTAT_OK) {
            r->partial = true;
            r->lists[s].n = 0; /* a failed provider's half-read answer is not used */
            r->papers[s].n = 0;
        }
    }
    /* Papers are merged by the caller (core/merge.h, with its query). */
    if (!f->opts.papers && authors_merge(r->lists, f->arena, &r->merged) < 0) {
        r->merged.n = 0;
        r->partial = true;
    }
    if (sf_defer(f->loop, &f->deliver, on_deliver) < 0 && f->done != NULL) f->done(f, f->data);
}

static void author_step(author_fetch_t *f)
{
    if (f->stepping) return;
    f->stepping = true;
    af_state_t before;
    do {
        before = f->state;
        switch (f->state) {
        case AF_START:
            state_start(f);
            break;
        case AF_FETCHING:
            state_fetching(f);
            break;
        case AF_DONE:
        case AF_CLOSED:
            break;
        }
    } while (f->state != before && f->state != AF_DONE && f->state != AF_CLOSED);
    if (f->state == AF_DONE && before != AF_DONE) state_done(f);
    f->stepping = false;
}

void author_call_done(author_call_t *c, search_pstatus_t st, double latency_ms, const char *err)
{
    author_fetch_t *f = c->fetch;
    if (!c->running || f->state != AF_FETCHING) return; /* late: dropped */
    af_provider_t *p = &f->prov[c->source];
    c->running = false;
    c->handle = NULL;
    metrics_provider_call(c->source, st, latency_ms);
    p->finished = true;
    p->status = st;
    p->latency_ms = latency_ms;
    p->error = err != NULL ? arena_strdup(f->arena, err) : NULL;
    author_step(f);
}

author_fetch_t *author_fetch_start(uv_loop_t *loop, const author_backend_t *be,
                                   const author_fetch_opts_t *o, author_fetch_cb done, void *data)
{
    arena_t *a = arena_new(65536);
    if (a == NULL) return NULL;
    author_fetch_t *f = arena_calloc(a, 1, sizeof(*f));
    if (f == NULL) goto fail;
    f->arena = a;
    f->loop = loop;
    f->be = be;
    f->opts = *o;
    if (f->opts.deadline_ms <= 0) f->opts.deadline_ms = 1;
    f->opts.query = o->query != NULL ? arena_strdup(a, o->query) : NULL;
    f->opts.traceparent = o->traceparent != NULL ? arena_strdup(a, o->traceparent) : NULL;
    for (int s = 0; s < SRC_COUNT; s++)
        f->opts.ids[s] = o->ids[s] != NULL ? arena_strdup(a, o->ids[s]) : NULL;
    f->done = done;
    f->data = data;
    f->start_ns = clock_now_ns();
    sf_defer_init(&f->deliver);
    uv_timer_init(loop, &f->deadline);
    f->deadline.data = f;
    author_step(f);
    return f;
fail:
    arena_free(a);
    return NULL;
}

const author_result_t *author_fetch_result(const author_fetch_t *f)
{
    return &f->result;
}

static void on_closed(uv_handle_t *h)
{
    author_fetch_t *f = h->data;
    arena_free(f->arena);
}

void author_fetch_free(author_fetch_t *f)
{
    if (f == NULL || f->state == AF_CLOSED) return;
    if (f->state == AF_FETCHING)
        for (int s = 0; s < SRC_COUNT; s++) {
            author_call_t *c = &f->prov[s].call;
            if (!c->running) continue;
            c->running = false;
            f->be->cancel(f->be->ctx, c);
        }
    author_set_state(f, AF_CLOSED);
    sf_defer_cancel(&f->deliver);
    uv_timer_stop(&f->deadline);
    uv_close((uv_handle_t *)&f->deadline, on_closed);
}
