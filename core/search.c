/* The search state machine.
 *
 *   START   -> every provider asked at once, deadline timer started
 *   FANOUT  -> waiting: each answer is recorded as it comes
 *   MERGE   -> all in (or the deadline, or "fastest" has its first answer,
 *              or "first" its answer in the configured order):
 *              merge, rank, serialise once
 *   DONE    -> answer ready; the done callback has run
 *
 * search_set_state() is the only way to change state; search_step() runs
 * the current state's function until a state waits. Backend callbacks and
 * the timer only record what happened and call search_step(). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/search.h"
#include "core/search_answer.h"
#include "core/search_service.h"

typedef enum { SEARCH_START, SEARCH_FANOUT, SEARCH_MERGE, SEARCH_DONE } search_state_t;

typedef struct provider_slot {
    search_pstatus_t status;
    paper_list_t papers;
    double latency_ms;
    const char *error;
    void *backend_data;
    unsigned filters_pushed; /* search_provider_pushed() */
    bool asked;
} provider_slot_t;

struct search {
    search_state_t state;
    uv_loop_t *loop;
    uv_timer_t deadline;
    arena_t *arena;
    query_t query;
    const search_backend_t *backend;
    provider_slot_t providers[SRC_COUNT];
    int deadline_ms;
    bool deadline_passed;
    bool stepping;
    bool freeing;
    uint64_t start_ns;
    search_done_cb done;
    void *done_data;
    int http_status;
    blob_t *body;
    bool partial; /* the answer's facts, as written in body */
    size_t total;
    double took_ms;
    const paper_t *merged; /* every distinct paper of the answer, for the store */
    size_t nmerged;
};

static void search_step(search_t *s);

/* Strategy "first": the providers in the order of search.first_order. */
static source_t first_order[SRC_COUNT];
static int nfirst_order = -1; /* -1: not configured, source_t order */

void search_set_first_order(const source_t *order, int n)
{
    nfirst_order = n < 0 ? -1 : n > SRC_COUNT ? SRC_COUNT : n;
    for (int i = 0; i < nfirst_order; i++)
        first_order[i] = order[i];
}

/* The i-th provider of the "first" order: the configured ones, then the
 * others in source_t order. */
static source_t first_order_at(int i)
{
    int n = nfirst_order < 0 ? 0 : nfirst_order;
    if (i < n) return first_order[i];
    for (int s = 0; s < SRC_COUNT; s++) {
        bool listed = false;
        for (int k = 0; k < n; k++)
            listed |= first_order[k] == (source_t)s;
        if (!listed && i-- == n) return (source_t)s;
    }
    return SRC_COUNT;
}

static void search_set_state(search_t *s, search_state_t st)
{
    s->state = st;
}

static bool all_answered(const search_t *s)
{
    for (int i = 0; i < SRC_COUNT; i++)
        if (s->providers[i].asked && s->providers[i].status == PSTAT_PENDING) return false;
    return true;
}

static bool answered_with_papers(const provider_slot_t *p)
{
    return (p->status == PSTAT_OK || p->status == PSTAT_CACHED) && p->papers.n > 0;
}

static bool fastest_has_answer(const search_t *s)
{
    if (s->query.strategy != STRATEGY_FASTEST) return false;
    for (int i = 0; i < SRC_COUNT; i++)
        if (answered_with_papers(&s->providers[i])) return true;
    return false;
}

/* Strategy "first": the provider whose papers are the answer, once every
 * provider before it in the order has answered without any; SRC_COUNT
 * while one before it is still out (or none has papers). */
static source_t first_winner(const search_t *s)
{
    for (int i = 0; i < SRC_COUNT; i++) {
        source_t src = first_order_at(i);
        const provider_slot_t *p = &s->providers[src];
        if (!p->asked) continue;
        if (p->status == PSTAT_PENDING) return SRC_COUNT;
        if (answered_with_papers(p)) return src;
    }
    return SRC_COUNT;
}

/* Stops the providers still running, recording why. */
static void stop_pending(search_t *s, search_pstatus_t why)
{
    for (int i = 0; i < SRC_COUNT; i++) {
        provider_slot_t *p = &s->providers[i];
        if (!p->asked || p->status != PSTAT_PENDING) continue;
        p->status = why;
        p->latency_ms = (double)(clock_now_ns() - s->start_ns) / 1e6;
        if (why == PSTAT_TIMEOUT) p->error = "search deadline reached";
        s->backend->cancel(s->backend->ctx, s, (source_t)i);
    }
}

static void on_deadline(uv_timer_t *t)
{
    search_t *s = t->data;
    s->deadline_passed = true;
    search_step(s);
}

static void state_start(search_t *s, unsigned enabled)
{
    unsigned wanted = s->query.providers ? s->query.providers : enabled;
    search_set_state(s, SEARCH_FANOUT);
    uv_timer_start(&s->deadline, on_deadline, (uint64_t)s->deadline_ms, 0);
    for (int i = 0; i < SRC_COUNT; i++) {
        provider_slot_t *p = &s->providers[i];
        if (!(wanted & (1u << i))) {
            p->status = PSTAT_NOT_ASKED;
        } else if (!(enabled & (1u << i))) {
            p->status = PSTAT_DISABLED;
        } else {
            p->asked = true;
            p->status = PSTAT_PENDING;
        }
    }
    /* Ask after marking, so a provider answering at once sees a whole search. */
    for (int i = 0; i < SRC_COUNT; i++)
        if (s->providers[i].asked) s->backend->start(s->backend->ctx, s, (source_t)i);
}

static void state_fanout(search_t *s)
{
    if (s->deadline_passed) {
        stop_pending(s, PSTAT_TIMEOUT);
        search_set_state(s, SEARCH_MERGE);
    } else if (fastest_has_answer(s)) {
        stop_pending(s, PSTAT_CANCELLED);
        search_set_state(s, SEARCH_MERGE);
    } else if (s->query.strategy == STRATEGY_FIRST && first_winner(s) != SRC_COUNT) {
        stop_pending(s, PSTAT_CANCELLED);
        search_set_state(s, SEARCH_MERGE);
    } else if (all_answered(s)) {
        search_set_state(s, SEARCH_MERGE);
    }
}

static void state_merge(search_t *s)
{
    uv_timer_stop(&s->deadline);
    search_answer_input_t in = {0};
    in.query = &s->query;
    /* "first": the answer is the winner's papers only (at the deadline,
     * the first in the order that had any). */
    source_t only = SRC_COUNT;
    if (s->query.strategy == STRATEGY_FIRST) {
        for (int i = 0; i < SRC_COUNT && only == SRC_COUNT; i++) {
            source_t src = first_order_at(i);
            if (s->providers[src].asked && answered_with_papers(&s->providers[src])) only = src;
        }
    }
    static const paper_list_t none = {0};
    in.took_ms = (double)(clock_now_ns() - s->start_ns) / 1e6;
    bool any_ok = false, any_asked = false;
    for (int i = 0; i < SRC_COUNT; i++) {
        provider_slot_t *p = &s->providers[i];
        in.providers[i].status = p->status;
        in.providers[i].papers = only == SRC_COUNT || only == (source_t)i ? &p->papers : &none;
        in.providers[i].latency_ms = p->latency_ms;
        in.providers[i].error = p->error;
        in.providers[i].filters_pushed = p->filters_pushed;
        any_asked |= p->asked;
        any_ok |= p->status == PSTAT_OK || p->status == PSTAT_CACHED;
    }
    in.partial = !all_answered(s);
    for (int i = 0; i < SRC_COUNT; i++)
        if (s->providers[i].asked && s->providers[i].status != PSTAT_OK &&
            s->providers[i].status != PSTAT_CACHED)
            in.partial = true;
    s->http_status = any_ok || !any_asked ? 200 : 502;
    in.all_failed = s->http_status == 502;
    s->partial = in.partial;
    s->took_ms = in.took_ms;
    s->body = search_answer_build(&in, s->arena, &s->merged, &s->nmerged, &s->total);
    if (!s->body) {
        s->http_status = 500;
        s->body = search_reply_oom_body();
    }
    search_set_state(s, SEARCH_DONE);
    if (s->done) s->done(s, s->done_data);
}

/* Runs states until one waits. Re-entrant calls (a backend answering from
 * inside start()) only ask the running loop for another turn. */
static void search_step(search_t *s)
{
    if (s->stepping) return;
    s->stepping = true;
    search_state_t before;
    do {
        before = s->state;
        switch (s->state) {
        case SEARCH_START:
            break; /* search_start() runs it with its arguments */
        case SEARCH_FANOUT:
            state_fanout(s);
            break;
        case SEARCH_MERGE:
            state_merge(s);
            break;
        case SEARCH_DONE:
            break;
        }
    } while (s->state != before && s->state != SEARCH_DONE);
    s->stepping = false;
}

search_t *search_start(uv_loop_t *loop, const query_t *q, unsigned enabled,
                       const search_backend_t *backend, int deadline_ms, search_done_cb done,
                       void *data)
{
    arena_t *a = arena_new(16384);
    if (!a) return NULL;
    search_t *s = arena_calloc(a, 1, sizeof *s);
    if (!s) {
        arena_free(a);
        return NULL;
    }
    s->arena = a;
    s->loop = loop;
    /* The search may outlive the request that started it (single-flight). */
    if (query_copy(&s->query, q, a) < 0) {
        arena_free(a);
        return NULL;
    }
    s->backend = backend;
    s->deadline_ms = deadline_ms > 0 ? deadline_ms : 1;
    s->done = done;
    s->done_data = data;
    s->start_ns = clock_now_ns();
    uv_timer_init(loop, &s->deadline);
    s->deadline.data = s;

    s->stepping = true;
    state_start(s, enabled);
    s->stepping = false;
    search_step(s);
    return s;
}

void search_provider_done(search_t *s, source_t src, search_pstatus_t status, paper_list_t *papers,
                          double latency_ms, const char *error)
{
    provider_slot_t *p = &s->providers[src];
    if (s->state != SEARCH_FANOUT || p->status != PSTAT_PENDING) return; /* late: dropped */
    metrics_provider_call(src, status, latency_ms);
    if (s->backend->observe) s->backend->observe(s->backend->ctx, s, src, status, papers);
    p->status = status;
    if (papers) p->papers = *papers;
    p->latency_ms = latency_ms;
    p->error = error ? arena_strdup(s->arena, error) : NULL;
    p->backend_data = NULL;
    search_step(s);
}

void search_provider_pushed(search_t *s, source_t src, unsigned filters)
{
    s->providers[src].filters_pushed |= filters;
}

void **search_backend_slot(search_t *s, source_t src)
{
    return &s->providers[src].backend_data;
}

uint64_t search_deadline_ns(const search_t *s)
{
    return s->start_ns + (uint64_t)s->deadline_ms * 1000000u;
}

arena_t *search_arena(search_t *s)
{
    return s->arena;
}

const query_t *search_query(const search_t *s)
{
    return &s->query;
}

const paper_t *search_merged(const search_t *s, size_t *n)
{
    *n = s->nmerged;
    return s->merged;
}

int search_status(const search_t *s)
{
    return s->http_status;
}

blob_t *search_body(const search_t *s)
{
    return s->body;
}

bool search_partial(const search_t *s)
{
    return s->partial;
}

size_t search_total(const search_t *s)
{
    return s->total;
}

double search_took_ms(const search_t *s)
{
    return s->took_ms;
}

static void on_timer_closed(uv_handle_t *h)
{
    search_t *s = h->data;
    blob_unref(s->body);
    /* What a search kept, for tests (a failed provider answer adds nothing). */
    if (log_enabled(LOG_DEBUG))
        log_write(LOG_DEBUG, "search freed", LF_INT, "arena_bytes", (int64_t)arena_used(s->arena),
                  LF_END);
    arena_free(s->arena);
}

void search_free(search_t *s)
{
    if (!s || s->freeing) return;
    s->freeing = true;
    if (s->state == SEARCH_FANOUT) {
        /* Nobody waits: the providers still running are not needed. */
        s->state = SEARCH_DONE;
        for (int i = 0; i < SRC_COUNT; i++) {
            provider_slot_t *p = &s->providers[i];
            if (p->asked && p->status == PSTAT_PENDING) {
                p->status = PSTAT_CANCELLED;
                s->backend->cancel(s->backend->ctx, s, (source_t)i);
            }
        }
    }
    uv_timer_stop(&s->deadline);
    uv_close((uv_handle_t *)&s->deadline, on_timer_closed);
}
