/* The search backend for the HTTP providers.
 *
 * One fanout_call per provider per search, a state machine in curl's
 * multi.c shape (its states are listed at fc_state_t): fanout_start()
 * checks the administrator's switch, the concurrency cap, a suspension and
 * the breaker, then the call is built once (FC_BUILD), takes a rate-limit
 * slot (FC_RESERVE, maybe FC_WAITING), goes out (FC_SEND, FC_CALLING) and
 * is judged (FC_JUDGE) until it is over (FC_DONE). A failed call
 * (connection error, 5xx, 429) is tried again only when the wait (jittered
 * backoff, or the provider's Retry-After) and a call still fit before the
 * search's deadline, the provider's breaker is closed, and the retry budget
 * has room (providers/verdict.h). libcurl's own re-send on a dead reused
 * connection counts as one of the call's retries.
 *
 * A provider's part of a search (fanout_part) is one call, or two when the
 * query looks like a title (prov_title_query()) and the adapter has a
 * title search (build_title): the search call and the title call, each its
 * own fanout_call through the same states (rate-limit slot, breaker,
 * retries, deadline each apply to it). The part reports once, when both
 * are over: ok when either is (the papers of both, the title call's after
 * the search's; the other's failure in the error text), else the search
 * call's outcome. A half-open breaker's probe goes alone, without a title
 * call.
 *
 * A call that is not a search (a lookup by id, a batch, a citation list)
 * is a part of one call with a prov_task_t (providers/fanout.h): what to
 * build, how to read the answer (its body kept whole, not streamed), where
 * to report. It goes through the same checks and states
 * (prov_fanout_call()). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/json_num.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/shm.h"
#include "providers/client.h"
#include "providers/fanout.h"
#include "providers/provider_limits.h"
#include "providers/provider.h"
#include "providers/verdict.h"

/* First block of the arena an answer is read into: about ten papers. */
#define ANSWER_ARENA_BLOCK 8192

struct prov_fanout {
    const sf_config_t *cfg;
    uv_loop_t *loop;
    prov_client_t *client;
    search_backend_t backend;
    unsigned enabled;
    size_t inflight[SRC_COUNT];
    size_t alive[SRC_COUNT];                /* fanout calls not yet finished */
    size_t retrying[SRC_COUNT];             /* ... of which have retried: the budget's use */
    shm_provider_t local_limits[SRC_COUNT]; /* when no shared region exists (tests) */
    prov_breaker_cfg_t breaker;
    uint64_t rng;
    char user_agent[CONFIG_STR_MAX + 64];
};

/* The states of one provider call. fc_set_state() is the only writer;
 * fc_step() runs the current state's function until a state waits (its
 * function leaves the state as it is). The timer's and the HTTP call's
 * callbacks only record what happened and call fc_step(). */
typedef enum {
    FC_BUILD,   /* the adapter builds the request (again, after it adapted to a refusal) */
    FC_RESERVE, /* a rate-limit slot is taken: go now, wait for it, or give up */
    FC_WAITING, /* the timer runs: for the slot (WAIT_SLOT) or a retry's backoff (WAIT_BACKOFF) */
    FC_SEND,    /* the request goes out on the worker's prov_client */
    FC_CALLING, /* the HTTP call is in flight; its callback keeps the answer in fc->answer */
    FC_JUDGE,   /* the answer is judged: retried, sent again adapted, or the call is over */
    FC_DONE,    /* reported to the search (unless cancelled); freed in the timer's close callback */
} fc_state_t;

static const char *const fc_state_names[] = {
    [FC_BUILD] = "build", [FC_RESERVE] = "reserve", [FC_WAITING] = "waiting",
    [FC_SEND] = "send",   [FC_CALLING] = "calling", [FC_JUDGE] = "judge",
    [FC_DONE] = "done",
};

typedef enum { WAIT_SLOT, WAIT_BACKOFF } fc_wait_t;

typedef enum { FC_KIND_SEARCH, FC_KIND_TITLE } fc_kind_t;

struct fanout_part;

typedef struct fanout_call {
    prov_fanout_t *fanout;
    struct fanout_part *part; /* the provider's part of the search this call belongs to */
    fc_kind_t kind;
    search_t *search;
    source_t source;
    fc_state_t state;
    fc_wait_t wait;        /* what FC_WAITING waits for */
    uv_timer_t timer;      /* its memory is released in on_fc_closed() only */
    prov_call_t *call;     /* in flight (FC_CALLING) */
    prov_stream_t *stream; /* reads the call's 2xx body while it arrives, into arena */
    arena_t *answer_arena; /* the papers of the answer being read: the search adopts it if the
                              answer is good, else it is freed at once */
    prov_request_t req;    /* built once, in the search's arena */
    int attempt;
    /* What the callbacks recorded, for the state functions. */
    bool timer_fired;
    bool cancelled;
    prov_call_t *answer; /* the finished call, until FC_JUDGE frees it */
    bool probe;          /* this call decides a half-open breaker */
    bool retrying;       /* holds a place in the retry budget */
    bool adapted;        /* the adapter changed the request after a 4xx (once per call) */
    /* The outcome (FC_DONE), for the part's report. */
    search_pstatus_t status;
    paper_list_t *papers;
    const char *err; /* in the search's arena, or NULL */
} fanout_call_t;

/* A provider's part of one search: its calls (the search call, and the
 * title call when there is one), reported to the search together. Freed in
 * the close callback of the last of its calls' timers. */
typedef struct fanout_part {
    fanout_call_t calls[2];
    int ncalls;
    int pending;    /* calls not yet over */
    int open;       /* timers not yet closed */
    bool cancelled; /* the search needs the provider no more: nothing is reported */
    uint64_t start_ns;
    prov_task_t task; /* a call that is not a search's: task.ops set, calls[0] only */
} fanout_part_t;

/* Frees the reader of the answer being read and the papers it wrote. */
static void drop_answer(fanout_call_t *fc)
{
    prov_stream_free(fc->stream);
    fc->stream = NULL;
    arena_free(fc->answer_arena);
    fc->answer_arena = NULL;
}

/* Where a call's strings live and its deadline: the search's, or its task's. */
static arena_t *fc_arena(const fanout_call_t *fc)
{
    return fc->search ? search_arena(fc->search) : fc->part->task.arena;
}

static uint64_t fc_deadline_ns(const fanout_call_t *fc)
{
    return fc->search ? search_deadline_ns(fc->search) : fc->part->task.deadline_ns;
}

static const char *const fc_kind_names[] = {[FC_KIND_SEARCH] = "search", [FC_KIND_TITLE] = "title"};

static shm_provider_t *limits_of(prov_fanout_t *f, source_t src)
{
    shm_region_t *r = shm_get();
    return r ? &r->providers[src] : &f->local_limits[src];
}

static void fc_set_state(fanout_call_t *fc, fc_state_t st)
{
    if (log_enabled(LOG_DEBUG))
        log_write(LOG_DEBUG, "provider call state", LF_STR, "provider", source_name(fc->source),
                  LF_STR, "call", fc_kind_names[fc->kind], LF_STR, "from",
                  fc_state_names[fc->state], LF_STR, "to", fc_state_names[st], LF_INT, "attempt",
                  (int64_t)fc->attempt, LF_END);
    fc->state = st;
}

static void on_fc_closed(uv_handle_t *h)
{
    fanout_call_t *fc = h->data;
    if (--fc->part->open == 0) free(fc->part);
}

/* "<call> call: <status>[: <error>]" in the search's arena, for the part's
 * error text when its other call was ok. */
static const char *call_failure(search_t *s, const fanout_call_t *fc)
{
    return arena_sprintf(search_arena(s), "%s call: %s%s%s", fc_kind_names[fc->kind],
                         search_pstatus_name(fc->status), fc->err ? ": " : "",
                         fc->err ? fc->err : "");
}

/* Adds the title call's papers after the search call's into one list in
 * the search's arena, leaving out those the search call already gave (the
 * same provider id): that paper keeps the better of its two ranks. */
static paper_list_t *join_papers(search_t *s, paper_list_t *a, paper_list_t *b)
{
    if (!a || !b || b->n == 0) return a ? a : b;
    if (a->n == 0) return b;
    paper_list_t *out = arena_calloc(search_arena(s), 1, sizeof *out);
    paper_t *items = arena_alloc(search_arena(s), (a->n + b->n) * sizeof *items);
    if (!out || !items) return a;
    memcpy(items, a->items, a->n * sizeof *items);
    size_t n = a->n;
    for (size_t j = 0; j < b->n; j++) {
        const paper_t *p = &b->items[j];
        const char *id = p->nsources > 0 ? p->sources[0].id : NULL;
        bool dup = false;
        for (size_t i = 0; id && i < a->n && !dup; i++) {
            paper_t *q = &items[i];
            if (q->nsources == 0 || !q->sources[0].id || strcmp(q->sources[0].id, id) != 0)
                continue;
            dup = true;
            if (p->sources[0].rank > 0 && p->sources[0].rank < q->sources[0].rank)
                q->sources[0].rank = p->sources[0].rank;
        }
        if (!dup) items[n++] = *p;
    }
    *out = (paper_list_t){.items = items, .n = n, .cap = a->n + b->n};
    return out;
}

/* Every call of the part is over: one report to the search (or the task). */
static void part_report(fanout_part_t *part)
{
    fanout_call_t *sc = &part->calls[0];
    if (part->task.ops) {
        *part->task.slot = NULL;
        part->task.ops->done(&part->task, sc->status, sc->papers,
                             (double)(clock_now_ns() - part->start_ns) / 1e6, sc->err);
        return;
    }
    fanout_call_t *tc = part->ncalls > 1 ? &part->calls[1] : NULL;
    search_t *s = sc->search;
    source_t src = sc->source;
    double latency = (double)(clock_now_ns() - part->start_ns) / 1e6;
    *search_backend_slot(s, src) = NULL;
    if (!tc || (sc->status != PSTAT_OK && tc->status != PSTAT_OK)) {
        search_provider_done(s, src, sc->status, sc->papers, latency, sc->err);
        return;
    }
    const char *err = sc->status != PSTAT_OK   ? call_failure(s, sc)
                      : tc->status != PSTAT_OK ? call_failure(s, tc)
                                               : NULL;
    paper_list_t *papers = join_papers(s, sc->status == PSTAT_OK ? sc->papers : NULL,
                                       tc->status == PSTAT_OK ? tc->papers : NULL);
    search_provider_done(s, src, PSTAT_OK, papers, latency, err);
}

/* Ends the call's life (FC_DONE) and records its outcome; the last call of
 * its part reports to the search unless the part was cancelled. fc stays
 * valid until the timer's close callback. */
static void fc_finish(fanout_call_t *fc, search_pstatus_t st, paper_list_t *papers, const char *err)
{
    source_t src = fc->source;
    prov_fanout_t *f = fc->fanout;
    fanout_part_t *part = fc->part;
    fc_set_state(fc, FC_DONE);
    if (fc->call) { /* cancelled in flight */
        prov_call_cancel(fc->call);
        fc->call = NULL;
        f->inflight[src]--;
    }
    if (fc->answer) {
        prov_call_free(fc->answer);
        fc->answer = NULL;
    }
    drop_answer(fc); /* what it read is not kept */
    f->alive[src]--;
    if (fc->retrying) f->retrying[src]--;
    uv_timer_stop(&fc->timer);
    uv_close((uv_handle_t *)&fc->timer, on_fc_closed);
    fc->status = st;
    fc->papers = papers;
    if (!part->cancelled) fc->err = err ? arena_strdup(fc_arena(fc), err) : NULL;
    if (--part->pending == 0 && !part->cancelled) part_report(part);
}

static bool breaker_closed(prov_fanout_t *f, source_t src)
{
    return __atomic_load_n(&limits_of(f, src)->breaker, __ATOMIC_RELAXED) == BREAKER_CLOSED;
}

/* May fc be tried again? Counts the answer in the metrics. */
static bool retry_allowed(fanout_call_t *fc)
{
    prov_fanout_t *f = fc->fanout;
    if (!breaker_closed(f, fc->source)) {
        metrics_provider_retry(fc->source, METRIC_RETRY_REFUSED_BREAKER);
        return false;
    }
    if (fc->attempt >= f->cfg->providers.max_retries ||
        !prov_retry_budget_take(f->alive[fc->source], &f->retrying[fc->source], &fc->retrying)) {
        metrics_provider_retry(fc->source, METRIC_RETRY_REFUSED_BUDGET);
        return false;
    }
    return true;
}

/* libcurl is about to send the request again on a new connection. */
static bool fc_allow_resend(void *data)
{
    fanout_call_t *fc = data;
    if (!retry_allowed(fc)) return false;
    fc->attempt++;
    metrics_provider_retry(fc->source, METRIC_RETRY_SENT);
    return true;
}

static uint64_t rng_next(prov_fanout_t *f)
{
    f->rng ^= f->rng << 13;
    f->rng ^= f->rng >> 7;
    f->rng ^= f->rng << 17;
    return f->rng;
}

/* The caller's trace goes on to the provider (W3C Trace Context), so a
 * provider's logs can be joined to ours. A request already full of headers
 * goes without it. */
static void add_trace_header(prov_request_t *req, const char *traceparent, arena_t *a)
{
    if (!traceparent || req->nheaders >= PROV_MAX_HEADERS) return;
    char *line = arena_sprintf(a, "traceparent: %s", traceparent);
    if (line) req->headers[req->nheaders++] = line;
}

static void on_fc_timer(uv_timer_t *t);
static void on_call_done(prov_call_t *call, void *data);

/* Starts the timer for ms; FC_WAITING waits for it. */
static void fc_wait(fanout_call_t *fc, fc_wait_t what, uint64_t ms)
{
    fc->wait = what;
    fc->timer_fired = false;
    uv_timer_start(&fc->timer, on_fc_timer, ms, 0);
    fc_set_state(fc, FC_WAITING);
}

/* ---- one function per state ---- */

/* FC_BUILD: fc's request by its adapter (the search, or the title
 * search), in the search's arena. */
static void fc_state_build(fanout_call_t *fc)
{
    prov_fanout_t *f = fc->fanout;
    search_t *s = fc->search;
    const sf_provider_config_t *pc = config_provider(f->cfg, fc->source);
    prov_settings_t ps = {
        .base_url = pc->base_url,
        .api_key = pc->api_key,
        .mailto = f->cfg->providers.contact,
        .max_results = (int)pc->max_results,
    };
    char err[256] = "";
    const prov_task_t *t = &fc->part->task;
    if (t->ops) { /* not a search: the task builds it */
        memset(&fc->req, 0, sizeof fc->req);
        if (t->ops->build(t, &ps, &fc->req, err, sizeof err) < 0) {
            fc_finish(fc, PSTAT_ERROR, NULL, err[0] ? err : "cannot build the request");
            return;
        }
        add_trace_header(&fc->req, t->traceparent, t->arena);
        fc_set_state(fc, FC_RESERVE);
        return;
    }
    int (*build)(const prov_def_t *, const query_t *, const prov_settings_t *, arena_t *,
                 prov_request_t *, char *, size_t) =
        fc->kind == FC_KIND_TITLE ? prov_build_title : prov_build;
    if (build(prov_def_for(fc->source), search_query(s), &ps, search_arena(s), &fc->req, err,
              sizeof err) < 0) {
        fc_finish(fc, PSTAT_ERROR, NULL, err[0] ? err : "cannot build the request");
        return;
    }
    search_provider_pushed(s, fc->source, fc->req.pushed);
    add_trace_header(&fc->req, search_query(s)->traceparent, search_arena(s));
    fc_set_state(fc, FC_RESERVE);
}

/* FC_RESERVE: a rate-limit slot now, later, or not before the deadline. */
static void fc_state_reserve(fanout_call_t *fc)
{
    prov_fanout_t *f = fc->fanout;
    int64_t now = (int64_t)clock_now_ns();
    int64_t wait = prov_limits_reserve(limits_of(f, fc->source), now, (int64_t)fc_deadline_ns(fc));
    if (wait < 0) {
        const sf_provider_config_t *pc = config_provider(f->cfg, fc->source);
        char err[160];
        snprintf(err, sizeof err, "no call slot before the deadline (limit: %lld per %lld ms)",
                 (long long)pc->rate_burst, (long long)pc->rate_interval_ms);
        fc_finish(fc, PSTAT_RATE_LIMITED, NULL, err);
    } else if (wait == 0) {
        fc_set_state(fc, FC_SEND);
    } else {
        fc_wait(fc, WAIT_SLOT, (uint64_t)(wait + 999999) / 1000000);
    }
}

/* FC_WAITING: once the timer fired, the slot's call goes out, or a backoff
 * is over: tried again unless the provider's breaker opened meanwhile. */
static void fc_state_waiting(fanout_call_t *fc)
{
    if (!fc->timer_fired) return;
    fc->timer_fired = false;
    if (fc->wait == WAIT_SLOT) {
        fc_set_state(fc, FC_SEND);
    } else if (!breaker_closed(fc->fanout, fc->source)) {
        metrics_provider_retry(fc->source, METRIC_RETRY_REFUSED_BREAKER);
        fc_finish(fc, PSTAT_CIRCUIT_OPEN, NULL,
                  "the provider's breaker opened while a retry waited");
    } else {
        fc_set_state(fc, FC_RESERVE);
    }
}

/* curl's write callback: the next piece of a 2xx body, to the reader,
 * made at the first piece (a call waiting for its answer holds none). A
 * reader that failed ignores the rest; the judge asks it why. */
static void fc_on_body(void *ctx, const char *p, size_t n)
{
    fanout_call_t *fc = ctx;
    if (!fc->stream) {
        if (!fc->answer_arena) fc->answer_arena = arena_new(ANSWER_ARENA_BLOCK);
        if (fc->answer_arena)
            fc->stream = prov_stream_new(prov_def_for(fc->source), fc->answer_arena);
    }
    if (fc->stream) prov_stream_feed(fc->stream, p, n);
}

/* FC_SEND */
static void fc_state_send(fanout_call_t *fc)
{
    prov_fanout_t *f = fc->fanout;
    const sf_provider_config_t *pc = config_provider(f->cfg, fc->source);
    const shm_provider_t *lim = limits_of(f, fc->source);
    long timeout_ms = lim->admin_timeout_ms ? (long)lim->admin_timeout_ms : (long)pc->timeout_ms;
    fc->call = prov_client_start(f->client, &fc->req, (long)pc->connect_timeout_ms, timeout_ms,
                                 on_call_done, fc);
    if (!fc->call) {
        fc_finish(fc, PSTAT_ERROR, NULL, "cannot start the request");
        return;
    }
    /* Each attempt reads its answer afresh, while it arrives. */
    drop_answer(fc);
    if (!fc->part->task.ops) prov_call_stream(fc->call, fc_on_body, fc); /* a task reads it whole */
    f->inflight[fc->source]++;
    fc_set_state(fc, FC_CALLING);
}

/* FC_CALLING: waits for on_call_done(). */
static void fc_state_calling(fanout_call_t *fc)
{
    if (fc->answer) fc_set_state(fc, FC_JUDGE);
}

/* FC_JUDGE: what the answer means (providers/verdict.h), for the breaker,
 * the group's welcome and this call: adapted and sent again, retried after
 * a backoff within the deadline and the retry budget, or reported. */
static void fc_state_judge(fanout_call_t *fc)
{
    prov_fanout_t *f = fc->fanout;
    prov_call_t *call = fc->answer;
    paper_list_t *papers = NULL;
    prov_verdict_t v;
    if (fc->part->task.ops)
        prov_judge_with(fc->source, call, &fc->part->task.reader, fc_arena(fc), &papers, &v);
    else {
        /* The papers and their list in the answer's arena while it is
         * judged; an answer without a body (no arena) has none. */
        arena_t *a = fc->answer_arena ? fc->answer_arena : search_arena(fc->search);
        if (fc->kind == FC_KIND_TITLE)
            prov_judge_title_stream(fc->source, call, fc->stream, a, &papers, &v);
        else
            prov_judge_stream(fc->source, call, fc->stream, a, &papers, &v);
        prov_stream_free(fc->stream);
        fc->stream = NULL;
        if (v.status == PSTAT_OK && fc->answer_arena) {
            arena_adopt(search_arena(fc->search), fc->answer_arena);
            fc->answer_arena = NULL;
        }
        drop_answer(fc); /* a failed answer: nothing of it is kept */
        if (v.status != PSTAT_OK) papers = NULL;
    }
    int64_t now = (int64_t)clock_now_ns();
    prov_limits_record(limits_of(f, fc->source), v.kind, fc->probe, call->latency_ms, now,
                       &f->breaker);
    fc->probe = false;
    prov_welcome(limits_of(f, fc->source), f->cfg, call, &v, now);
    /* A 4xx the adapter knows how to avoid (Exa's category name): built
     * again and sent once more, now. */
    bool again = prov_adapt_again(prov_def_for(fc->source), call, &v, fc->adapted);
    prov_call_free(call);
    fc->answer = NULL;
    if (again) {
        fc->adapted = true;
        log_write(LOG_INFO, "provider request adapted after a refusal", LF_STR, "provider",
                  source_name(fc->source), LF_STR, "error", v.err, LF_END);
        fc_set_state(fc, FC_BUILD);
        return;
    }
    if (v.retryable && fc->attempt < f->cfg->providers.max_retries && retry_allowed(fc)) {
        int64_t wait = prov_backoff_ns(fc->attempt, v.retry_after_ns, rng_next(f));
        if (prov_retry_fits(now, wait, (int64_t)fc_deadline_ns(fc))) {
            fc->attempt++;
            metrics_provider_retry(fc->source, METRIC_RETRY_SENT);
            log_write(LOG_DEBUG, "provider call retried", LF_STR, "provider",
                      source_name(fc->source), LF_STR, "error", v.err, LF_INT, "wait_ms",
                      wait / 1000000, LF_END);
            fc_wait(fc, WAIT_BACKOFF, (uint64_t)(wait / 1000000));
            return;
        }
    }
    if (v.status != PSTAT_OK)
        log_write(LOG_DEBUG, "provider call failed", LF_STR, "provider", source_name(fc->source),
                  LF_STR, "call", fc_kind_names[fc->kind], LF_STR, "status",
                  search_pstatus_name(v.status), LF_STR, "error", v.err, LF_END);
    fc_finish(fc, v.status, papers, v.err[0] ? v.err : NULL);
}

/* Runs fc's states until one waits. A cancelled call ends here, whatever
 * its state. */
static void fc_step(fanout_call_t *fc)
{
    for (;;) {
        fc_state_t before = fc->state;
        if (fc->cancelled && before != FC_DONE) {
            fc_finish(fc, PSTAT_CANCELLED, NULL, NULL);
            return;
        }
        switch (before) {
        case FC_BUILD:
            fc_state_build(fc);
            break;
        case FC_RESERVE:
            fc_state_reserve(fc);
            break;
        case FC_WAITING:
            fc_state_waiting(fc);
            break;
        case FC_SEND:
            fc_state_send(fc);
            break;
        case FC_CALLING:
            fc_state_calling(fc);
            break;
        case FC_JUDGE:
            fc_state_judge(fc);
            break;
        case FC_DONE:
            return;
        }
        if (fc->state == before) return; /* it waits */
    }
}

/* ---- callbacks: record, then step ---- */

static void on_fc_timer(uv_timer_t *t)
{
    fanout_call_t *fc = t->data;
    fc->timer_fired = true;
    fc_step(fc);
}

static void on_call_done(prov_call_t *call, void *data)
{
    fanout_call_t *fc = data;
    fc->call = NULL;
    fc->fanout->inflight[fc->source]--;
    fc->answer = call;
    fc_step(fc);
}

/* May a call of src start now? The administrator's switch, the
 * concurrency cap, a suspension and the breaker; false with the status and
 * message to report (err holds errlen bytes). */
static bool admit(prov_fanout_t *f, source_t src, prov_breaker_verdict_t *bv, search_pstatus_t *st,
                  char *err, size_t errlen)
{
    const prov_def_t *def = prov_def_for(src);
    const sf_provider_config_t *pc = config_provider(f->cfg, src);
    *st = PSTAT_DISABLED;
    if (!def || !pc) {
        snprintf(err, errlen, "no such provider in this build");
        return false;
    }
    if (limits_of(f, src)->admin_enabled < 0) {
        snprintf(err, errlen, "disabled by an administrator");
        return false;
    }
    *st = PSTAT_RATE_LIMITED;
    if (f->inflight[src] >= (size_t)pc->max_concurrent) {
        snprintf(err, errlen, "too many calls in flight to this provider");
        return false;
    }
    prov_suspend_reason_t why;
    int why_status;
    int64_t now = (int64_t)clock_now_ns();
    int64_t until = prov_limits_suspended(limits_of(f, src), now, &why, &why_status);
    if (until) {
        snprintf(err, errlen, "suspended for %lld s more (%s, after HTTP %d)",
                 (long long)((until - now + 999999999) / 1000000000), prov_suspend_reason_name(why),
                 why_status);
        return false;
    }
    *bv = prov_breaker_check(limits_of(f, src), now, &f->breaker);
    if (*bv == BREAKER_REJECT) {
        *st = PSTAT_CIRCUIT_OPEN;
        snprintf(err, errlen, "skipped after repeated failures; a probe will test it");
        return false;
    }
    return true;
}

/* A part of ncalls calls of src, their timers made; NULL when out of memory. */
static fanout_part_t *part_new(prov_fanout_t *f, source_t src, int ncalls, bool probe)
{
    fanout_part_t *part = calloc(1, sizeof *part);
    if (!part) return NULL;
    part->ncalls = ncalls;
    part->pending = part->open = part->ncalls;
    part->start_ns = clock_now_ns();
    for (int i = 0; i < part->ncalls; i++) {
        fanout_call_t *fc = &part->calls[i];
        fc->fanout = f;
        fc->part = part;
        fc->kind = i == 0 ? FC_KIND_SEARCH : FC_KIND_TITLE;
        fc->source = src;
        fc->state = FC_BUILD;
        fc->probe = probe;
        f->alive[src]++;
        uv_timer_init(f->loop, &fc->timer);
        fc->timer.data = fc;
    }
    return part;
}

/* Nothing is reported any more: the part's calls end now. */
static void part_cancel(fanout_part_t *part)
{
    if (!part || part->cancelled) return;
    part->cancelled = true;
    for (int i = 0; i < part->ncalls; i++) {
        fanout_call_t *fc = &part->calls[i];
        if (fc->state == FC_DONE) continue;
        fc->cancelled = true;
        fc_step(fc);
    }
}

static void fanout_start(void *ctx, search_t *s, source_t src)
{
    prov_fanout_t *f = ctx;
    const prov_def_t *def = prov_def_for(src);
    prov_breaker_verdict_t bv = BREAKER_ALLOW;
    search_pstatus_t st;
    char err[160];
    if (!admit(f, src, &bv, &st, err, sizeof err)) {
        search_provider_done(s, src, st, NULL, 0, err);
        return;
    }
    /* The title call, for a query that looks like a title; a probe goes alone. */
    int ncalls =
        def->build_title && bv != BREAKER_PROBE && prov_title_query(search_query(s)) ? 2 : 1;
    fanout_part_t *part = part_new(f, src, ncalls, bv == BREAKER_PROBE);
    if (!part) {
        search_provider_done(s, src, PSTAT_ERROR, NULL, 0, "out of memory");
        return;
    }
    for (int i = 0; i < part->ncalls; i++)
        part->calls[i].search = s;
    *search_backend_slot(s, src) = part;
    /* The search call first: it takes the first rate-limit slot. The part
     * may report (and the search move on) during these steps. */
    for (int i = 0; i < part->ncalls; i++)
        fc_step(&part->calls[i]);
}

/* The search needs src no more: the call ends now, not reported. */
static void fanout_cancel(void *ctx, search_t *s, source_t src)
{
    (void)ctx;
    fanout_part_t *part = *search_backend_slot(s, src);
    *search_backend_slot(s, src) = NULL;
    part_cancel(part);
}

/* ---- one provider call of any kind (providers/fanout.h) ---- */

void prov_fanout_call(prov_fanout_t *f, const prov_task_t *t)
{
    prov_breaker_verdict_t bv = BREAKER_ALLOW;
    search_pstatus_t st;
    char err[160];
    *t->slot = NULL;
    if (!admit(f, t->source, &bv, &st, err, sizeof err)) {
        t->ops->done(t, st, NULL, 0, err);
        return;
    }
    fanout_part_t *part = part_new(f, t->source, 1, bv == BREAKER_PROBE);
    if (!part) {
        t->ops->done(t, PSTAT_ERROR, NULL, 0, "out of memory");
        return;
    }
    part->task = *t;
    *t->slot = part;
    fc_step(&part->calls[0]); /* may report at once */
}

void prov_fanout_cancel(void *handle)
{
    part_cancel(handle);
}

void prov_fanout_configure_limits(const sf_config_t *cfg)
{
    shm_region_t *r = shm_get();
    if (!r) return;
    for (int s = 0; s < SRC_COUNT; s++) {
        const sf_provider_config_t *pc = config_provider(cfg, (source_t)s);
        if (!pc) continue;
        shm_provider_t *p = &r->providers[s];
        if (p->admin_rate_set) continue; /* an administrator's limit outlives restarts */
        int64_t interval = pc->rate_interval_ms * 1000000;
        /* Unchanged limits keep their bucket: a restarted worker must not refill it. */
        if (p->interval_ns != interval || p->burst != (double)pc->rate_burst)
            prov_limits_configure(p, interval, (int)pc->rate_burst);
    }
}

prov_fanout_t *prov_fanout_new(uv_loop_t *loop, const sf_config_t *cfg)
{
    prov_fanout_t *f = calloc(1, sizeof *f);
    if (!f) return NULL;
    f->cfg = cfg;
    f->loop = loop;
    f->rng = clock_now_ns() | 1;
    f->breaker = (prov_breaker_cfg_t){
        .threshold = (int)cfg->providers.breaker_threshold,
        .base_ns = cfg->providers.breaker_base_ms * 1000000,
        .max_ns = cfg->providers.breaker_max_ms * 1000000,
    };
    if (cfg->providers.contact[0])
        snprintf(f->user_agent, sizeof f->user_agent, "scifind/%s (mailto:%s)", SCIFIND_VERSION,
                 cfg->providers.contact);
    else
        snprintf(f->user_agent, sizeof f->user_agent, "scifind/%s", SCIFIND_VERSION);
    prov_client_opts_t opts = {
        .user_agent = f->user_agent,
        .max_host_connections = (long)cfg->providers.max_host_connections,
        .max_response_bytes = (size_t)cfg->providers.max_response_bytes,
        .allow_resend = fc_allow_resend,
    };
    f->client = prov_client_new(loop, &opts);
    if (!f->client) {
        free(f);
        return NULL;
    }
    for (int s = 0; s < SRC_COUNT; s++) {
        const sf_provider_config_t *pc = config_provider(cfg, (source_t)s);
        if (!pc) continue;
        if (!shm_get()) {
            pthread_mutex_init(&f->local_limits[s].lock, NULL);
            prov_limits_configure(&f->local_limits[s], pc->rate_interval_ms * 1000000,
                                  (int)pc->rate_burst);
        }
        /* A provider that needs a key and has none: main.c says so at start. */
        if (!config_provider_on(cfg, s) || !prov_def_for((source_t)s)) continue;
        f->enabled |= 1u << s;
    }
    f->backend = (search_backend_t){.ctx = f, .start = fanout_start, .cancel = fanout_cancel};
    return f;
}

static const char *breaker_name(breaker_state_t b)
{
    return b == BREAKER_OPEN ? "open" : b == BREAKER_HALF_OPEN ? "half_open" : "closed";
}

/* {"reason", "http_status", "until" (UTC), "for_ms"} or null. */
static json_t *describe_suspension(const prov_limits_view_t *v)
{
    if (v->suspend_reason == SUSPEND_NONE) return json_null();
    time_t until = time(NULL) + (time_t)((v->suspended_for_ms + 999) / 1000);
    struct tm tm;
    char iso[32] = "";
    if (gmtime_r(&until, &tm)) strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return json_pack("{s:s, s:i, s:s, s:I}", "reason", prov_suspend_reason_name(v->suspend_reason),
                     "http_status", v->suspend_status, "until", iso, "for_ms",
                     (json_int_t)v->suspended_for_ms);
}

char *prov_fanout_describe(const prov_fanout_t *f)
{
    json_t *root = json_object();
    int64_t now = (int64_t)clock_now_ns();
    for (int src = 0; src < SRC_COUNT; src++) {
        const sf_provider_config_t *pc = config_provider(f->cfg, (source_t)src);
        if (!pc) continue;
        prov_limits_view_t v;
        const shm_provider_t *lim = limits_of((prov_fanout_t *)f, (source_t)src);
        prov_limits_view((shm_provider_t *)lim, now, &v);
        const char *why_off = !pc->enabled                       ? "disabled in the configuration"
                              : !config_provider_on(f->cfg, src) ? "no API key"
                              : lim->admin_enabled < 0           ? "disabled by an administrator"
                                                                 : NULL;
        bool enabled = ((f->enabled >> src) & 1) && lim->admin_enabled >= 0;
        int64_t timeout_ms = lim->admin_timeout_ms ? lim->admin_timeout_ms : pc->timeout_ms;
        json_t *o = json_pack(
            "{s:b, s:s?, s:s, s:{s:s, s:i, s:I}, s:{s:I, s:I}, s:I, s:I, s:I, "
            "s:I, s:I, s:I, s:I}",
            "enabled", enabled, "disabled_reason", why_off, "base_url", pc->base_url, "breaker",
            "state", breaker_name(v.breaker), "consecutive_failures", v.consecutive_failures,
            "open_for_ms", (json_int_t)v.open_for_ms, "rate_limit", "interval_ms",
            (json_int_t)v.interval_ms, "burst", (json_int_t)v.burst, "timeout_ms",
            (json_int_t)timeout_ms, "calls", (json_int_t)v.calls, "errors", (json_int_t)v.errors,
            "rate_limited", (json_int_t)v.rate_limited, "circuit_rejections",
            (json_int_t)v.breaker_rejections, "in_flight_this_worker", (json_int_t)f->inflight[src],
            "max_concurrent", (json_int_t)pc->max_concurrent);
        if (!o) continue;
        json_object_set_new(o, "suspended", describe_suspension(&v));
        json_object_set_new(
            o, "budget",
            v.budget_known
                ? json_pack(
                      "{s:f, s:f, s:f, s:o}", "limit_usd", v.budget_limit_usd, "remaining_usd",
                      v.budget_remaining_usd, "cost_usd", v.budget_cost_usd, "resets_in_ms",
                      v.budget_reset_in_ms < 0 ? json_null() : json_integer(v.budget_reset_in_ms))
                : json_null());
        json_t *lat = json_object();
        json_object_set_new(lat, "p50_ms", v.p50_ms < 0 ? json_null() : json_real(v.p50_ms));
        json_object_set_new(lat, "p95_ms", v.p95_ms < 0 ? json_null() : json_real(v.p95_ms));
        json_object_set_new(o, "latency", lat);
        json_object_set_new(root, source_name((source_t)src), o);
    }
    char *out = json_num_dumps(root);
    json_decref(root);
    return out;
}

const search_backend_t *prov_fanout_backend(prov_fanout_t *f)
{
    return &f->backend;
}

unsigned prov_fanout_enabled(const prov_fanout_t *f)
{
    return f->enabled;
}

size_t prov_fanout_active(const prov_fanout_t *f)
{
    return prov_client_active(f->client);
}

void prov_fanout_abort(prov_fanout_t *f)
{
    if (f) prov_client_abort(f->client);
}

void prov_fanout_free(prov_fanout_t *f)
{
    if (!f) return;
    prov_client_free(f->client);
    if (!shm_get())
        for (int s = 0; s < SRC_COUNT; s++)
            pthread_mutex_destroy(&f->local_limits[s].lock);
    free(f);
}
