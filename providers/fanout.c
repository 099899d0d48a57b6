/* The search backend for the HTTP providers.
 *
 * One fanout_call per provider per search, a small state machine:
 *   start: breaker and concurrency cap checked, request built once
 *   WAITING: for a rate-limit slot or a retry's backoff (its timer)
 *   CALLING: the HTTP call is in flight on the worker's prov_client
 *   DONE:    reported to the search (or cancelled); freed when its timer closes
 * A failed call (connection error, 5xx, 429) is tried again only when the
 * wait (jittered backoff, or the provider's Retry-After) and a call still
 * fit before the search's deadline, the provider's breaker is closed, and
 * the retry budget has room (retry_budget_take). libcurl's own re-send on
 * a dead reused connection counts as one of the call's retries. */
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

/* A retry is only worth it with at least this much time left for the call. */
#define RETRY_MIN_CALL_NS (100 * 1000000ll)
#define RETRY_BASE_NS (100 * 1000000ll)
/* The retry budget (Envoy's shape), per worker and provider: calls that
 * are retrying are at most this share of the calls alive ... */
#define RETRY_BUDGET_PERCENT 20
/* ... but this many may always retry. */
#define RETRY_BUDGET_MIN 3

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

typedef enum { FC_WAITING, FC_CALLING, FC_DONE } fc_state_t;

typedef struct fanout_call {
    prov_fanout_t *fanout;
    search_t *search;
    source_t source;
    fc_state_t state;
    uv_timer_t timer;
    prov_call_t *call;
    prov_request_t req; /* built once, in the search's arena */
    uint64_t start_ns;
    int attempt;
    bool probe;    /* this call decides a half-open breaker */
    bool retrying; /* holds a place in the retry budget */
    bool adapted;  /* the adapter changed the request after a 4xx (once per call) */
} fanout_call_t;

static shm_provider_t *limits_of(prov_fanout_t *f, source_t src)
{
    shm_region_t *r = shm_get();
    return r ? &r->providers[src] : &f->local_limits[src];
}

static void on_fc_closed(uv_handle_t *h)
{
    free(h->data);
}

/* Ends the call's life: reports to the search unless it was cancelled. */
static void fc_finish(fanout_call_t *fc, bool report, search_pstatus_t st, paper_list_t *papers,
                      const char *err)
{
    search_t *s = fc->search;
    source_t src = fc->source;
    double latency = (double)(clock_now_ns() - fc->start_ns) / 1e6;
    fc->state = FC_DONE;
    fc->fanout->alive[src]--;
    if (fc->retrying) fc->fanout->retrying[src]--;
    *search_backend_slot(s, src) = NULL;
    uv_timer_stop(&fc->timer);
    uv_close((uv_handle_t *)&fc->timer, on_fc_closed);
    if (report) search_provider_done(s, src, st, papers, latency, err);
}

static void fc_send(fanout_call_t *fc);
static void fc_try(fanout_call_t *fc);
static int fc_build(fanout_call_t *fc, char *err, size_t errlen);

static void on_fc_timer(uv_timer_t *t)
{
    fanout_call_t *fc = t->data;
    if (fc->state == FC_WAITING) fc_send(fc);
}

static bool breaker_closed(prov_fanout_t *f, source_t src)
{
    return __atomic_load_n(&limits_of(f, src)->breaker, __ATOMIC_RELAXED) == BREAKER_CLOSED;
}

/* Takes a place in the provider's retry budget for fc (a call already
 * retrying keeps the one it has). False when the budget is spent. */
static bool retry_budget_take(prov_fanout_t *f, fanout_call_t *fc)
{
    if (fc->retrying) return true;
    size_t cap = f->alive[fc->source] * RETRY_BUDGET_PERCENT / 100;
    if (cap < RETRY_BUDGET_MIN) cap = RETRY_BUDGET_MIN;
    if (f->retrying[fc->source] >= cap) return false;
    fc->retrying = true;
    f->retrying[fc->source]++;
    return true;
}

/* May fc be tried again? Counts the answer in the metrics. */
static bool retry_allowed(fanout_call_t *fc)
{
    prov_fanout_t *f = fc->fanout;
    if (!breaker_closed(f, fc->source)) {
        metrics_provider_retry(fc->source, METRIC_RETRY_REFUSED_BREAKER);
        return false;
    }
    if (fc->attempt >= f->cfg->providers.max_retries || !retry_budget_take(f, fc)) {
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

static void on_retry_timer(uv_timer_t *t)
{
    fanout_call_t *fc = t->data;
    if (fc->state != FC_WAITING) return;
    if (!breaker_closed(fc->fanout, fc->source)) {
        metrics_provider_retry(fc->source, METRIC_RETRY_REFUSED_BREAKER);
        fc_finish(fc, true, PSTAT_CIRCUIT_OPEN, NULL,
                  "the provider's breaker opened while a retry waited");
        return;
    }
    fc_try(fc);
}

static uint64_t rng_next(prov_fanout_t *f)
{
    f->rng ^= f->rng << 13;
    f->rng ^= f->rng >> 7;
    f->rng ^= f->rng << 17;
    return f->rng;
}

/* What an HTTP outcome means: the search status, whether the breaker counts
 * it, whether another try may help. */
typedef struct verdict {
    search_pstatus_t status;
    prov_call_kind_t kind;
    bool retryable;
    int64_t retry_after_ns;    /* 0: none given */
    prov_answer_kind_t answer; /* throttled or blocked: the provider is suspended */
    char err[300];
} verdict_t;

static void judge(fanout_call_t *fc, prov_call_t *call, paper_list_t **papers, verdict_t *v)
{
    const prov_def_t *def = prov_def_for(fc->source);
    arena_t *a = search_arena(fc->search);
    memset(v, 0, sizeof *v);
    v->status = PSTAT_ERROR;
    v->kind = CALL_FAILURE;
    switch (call->outcome) {
    case PROV_CALL_OK: {
        long code = call->http_status;
        v->answer = prov_answer_kind(fc->source, code, call->body, call->body_len);
        if (v->answer == PROV_ANSWER_THROTTLED) {
            v->status = PSTAT_RATE_LIMITED;
            v->kind = CALL_NEUTRAL;
            v->retryable = true;
        } else if (v->answer == PROV_ANSWER_BLOCKED) {
            v->kind = CALL_NEUTRAL; /* refused, not broken: the suspension handles it */
        } else if (code >= 200 && code < 300) {
            prov_result_t res = {0};
            res.total = -1;
            if (def->parse(call->body ? call->body : "", call->body_len, a, &res, v->err,
                           sizeof v->err) == 0) {
                v->status = PSTAT_OK;
                v->kind = CALL_SUCCESS;
                *papers = arena_alloc(a, sizeof **papers);
                if (*papers) **papers = res.papers;
            } else if (!v->err[0]) {
                snprintf(v->err, sizeof v->err, "unreadable answer");
            }
        } else if (code >= 500) {
            v->retryable = true;
        } else {
            v->kind = CALL_NEUTRAL; /* our request was refused: the provider is fine */
        }
        if (v->status != PSTAT_OK && (v->answer != PROV_ANSWER_NORMAL || !v->err[0])) {
            /* The provider's own words, bounded and made safe. */
            char said[160];
            prov_error_text(fc->source, call->body, call->body_len, said, sizeof said);
            char ra[48] = "";
            if (call->retry_after_s >= 0) {
                v->retry_after_ns = call->retry_after_s * 1000000000ll;
                snprintf(ra, sizeof ra, " (retry after %ld s)", call->retry_after_s);
            }
            snprintf(v->err, sizeof v->err, "HTTP %ld%s%s%s", code, ra, said[0] ? ": " : "", said);
        }
        break;
    }
    case PROV_CALL_TIMEOUT:
        v->status = PSTAT_TIMEOUT;
        snprintf(v->err, sizeof v->err, "%s", call->error);
        break;
    case PROV_CALL_TOO_LARGE:
        snprintf(v->err, sizeof v->err, "%s", call->error);
        break;
    case PROV_CALL_ERROR:
        v->retryable = true;
        snprintf(v->err, sizeof v->err, "%s", call->error);
        break;
    }
}

/* What an answer says about our welcome, for the whole group: a provider
 * that said "slow down" or refused us is suspended (Retry-After, or the
 * configured times), a metered one is stopped before its budget is spent.
 * A throttled call is tried again only at the provider's Retry-After. */
static void fc_welcome(fanout_call_t *fc, const prov_call_t *call, verdict_t *v, int64_t now)
{
    prov_fanout_t *f = fc->fanout;
    const sf_config_t *cfg = f->cfg;
    shm_provider_t *lim = limits_of(f, fc->source);
    int status = (int)call->http_status;
    if (call->budget_limit_usd >= 0 || call->budget_remaining_usd >= 0) {
        prov_limits_budget(lim, call->budget_limit_usd, call->budget_remaining_usd,
                           call->budget_cost_usd, call->budget_reset_s, now);
        double cost = call->budget_cost_usd > 0 ? call->budget_cost_usd : 0.001;
        if (call->budget_remaining_usd >= 0 &&
            call->budget_remaining_usd < cost * (double)cfg->providers.budget_reserve_calls) {
            /* Until the reset (midnight UTC for OpenAlex), else an hour. */
            int64_t until =
                now + (call->budget_reset_s >= 0 ? (int64_t)call->budget_reset_s * 1000000000ll
                                                 : 3600ll * 1000000000ll);
            prov_limits_suspend(lim, until, SUSPEND_BUDGET, status);
        }
    }
    if (v->answer == PROV_ANSWER_THROTTLED) {
        /* Retry-After, even 0 ("now"), is the provider's word; else the default. */
        bool said = call->retry_after_s >= 0;
        int64_t wait = said ? v->retry_after_ns : cfg->providers.suspend_rate_limited_ms * 1000000;
        if (wait > 0) prov_limits_suspend(lim, now + wait, SUSPEND_RATE_LIMITED, status);
        if (!said) v->retryable = false; /* a quick retry would only annoy it */
    } else if (v->answer == PROV_ANSWER_BLOCKED) {
        int64_t wait = cfg->providers.suspend_blocked_ms * 1000000;
        if (wait > 0) prov_limits_suspend(lim, now + wait, SUSPEND_BLOCKED, status);
        size_t n = strlen(v->err);
        snprintf(v->err + n, sizeof v->err - n, " (blocked: no call for %lld s)",
                 (long long)(wait / 1000000000));
    }
}

static void on_call_done(prov_call_t *call, void *data)
{
    fanout_call_t *fc = data;
    prov_fanout_t *f = fc->fanout;
    fc->call = NULL;
    f->inflight[fc->source]--;

    paper_list_t *papers = NULL;
    verdict_t v;
    judge(fc, call, &papers, &v);
    int64_t now = (int64_t)clock_now_ns();
    prov_limits_record(limits_of(f, fc->source), v.kind, fc->probe, call->latency_ms, now,
                       &f->breaker);
    fc->probe = false;
    fc_welcome(fc, call, &v, now);
    /* A 4xx the adapter knows how to avoid (Exa's category name): built
     * again and sent once more, now. */
    const prov_def_t *def = prov_def_for(fc->source);
    bool again = !fc->adapted && v.status == PSTAT_ERROR && v.answer == PROV_ANSWER_NORMAL &&
                 call->outcome == PROV_CALL_OK && call->http_status >= 400 &&
                 call->http_status < 500 && def->adapt &&
                 def->adapt(call->http_status, call->body, call->body_len);
    prov_call_free(call);
    if (again) {
        char err[256] = "";
        fc->adapted = true;
        if (fc_build(fc, err, sizeof err) < 0) {
            fc_finish(fc, true, PSTAT_ERROR, NULL, err[0] ? err : "cannot build the request");
            return;
        }
        log_write(LOG_INFO, "provider request adapted after a refusal", LF_STR, "provider",
                  source_name(fc->source), LF_STR, "error", v.err, LF_END);
        fc_try(fc);
        return;
    }

    if (v.retryable && fc->attempt < f->cfg->providers.max_retries && retry_allowed(fc)) {
        int64_t wait = v.retry_after_ns;
        if (!wait) {
            /* Full jitter over an exponential base. */
            int64_t cap = RETRY_BASE_NS << fc->attempt;
            wait = (int64_t)(rng_next(f) % (uint64_t)cap) + 1000000;
        }
        int64_t deadline = (int64_t)search_deadline_ns(fc->search);
        if (now + wait + RETRY_MIN_CALL_NS < deadline) {
            fc->attempt++;
            metrics_provider_retry(fc->source, METRIC_RETRY_SENT);
            fc->state = FC_WAITING;
            log_write(LOG_DEBUG, "provider call retried", LF_STR, "provider",
                      source_name(fc->source), LF_STR, "error", v.err, LF_INT, "wait_ms",
                      wait / 1000000, LF_END);
            uv_timer_start(&fc->timer, on_retry_timer, (uint64_t)(wait / 1000000), 0);
            return;
        }
    }
    if (v.status != PSTAT_OK)
        log_write(LOG_DEBUG, "provider call failed", LF_STR, "provider", source_name(fc->source),
                  LF_STR, "status", search_pstatus_name(v.status), LF_STR, "error", v.err, LF_END);
    fc_finish(fc, true, v.status, papers, v.err[0] ? v.err : NULL);
}

static void fc_send(fanout_call_t *fc)
{
    prov_fanout_t *f = fc->fanout;
    const sf_provider_config_t *pc = config_provider(f->cfg, fc->source);
    const shm_provider_t *lim = limits_of(f, fc->source);
    long timeout_ms = lim->admin_timeout_ms ? (long)lim->admin_timeout_ms : (long)pc->timeout_ms;
    fc->state = FC_CALLING;
    fc->call = prov_client_start(f->client, &fc->req, (long)pc->connect_timeout_ms, timeout_ms,
                                 on_call_done, fc);
    if (!fc->call) {
        fc_finish(fc, true, PSTAT_ERROR, NULL, "cannot start the request");
        return;
    }
    f->inflight[fc->source]++;
}

/* Takes a rate-limit slot, then calls now or after the wait. */
static void fc_try(fanout_call_t *fc)
{
    prov_fanout_t *f = fc->fanout;
    int64_t now = (int64_t)clock_now_ns();
    int64_t wait =
        prov_limits_reserve(limits_of(f, fc->source), now, (int64_t)search_deadline_ns(fc->search));
    if (wait < 0) {
        const sf_provider_config_t *pc = config_provider(f->cfg, fc->source);
        char err[160];
        snprintf(err, sizeof err, "no call slot before the deadline (limit: %lld per %lld ms)",
                 (long long)pc->rate_burst, (long long)pc->rate_interval_ms);
        fc_finish(fc, true, PSTAT_RATE_LIMITED, NULL, err);
        return;
    }
    if (wait == 0) {
        fc_send(fc);
        return;
    }
    fc->state = FC_WAITING;
    uv_timer_start(&fc->timer, on_fc_timer, (uint64_t)(wait + 999999) / 1000000, 0);
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

/* Builds fc's request with its adapter, in the search's arena. */
static int fc_build(fanout_call_t *fc, char *err, size_t errlen)
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
    if (prov_def_for(fc->source)
            ->build(search_query(s), &ps, search_arena(s), &fc->req, err, errlen) < 0)
        return -1;
    add_trace_header(&fc->req, search_query(s)->traceparent, search_arena(s));
    return 0;
}

static void fanout_start(void *ctx, search_t *s, source_t src)
{
    prov_fanout_t *f = ctx;
    const prov_def_t *def = prov_def_for(src);
    const sf_provider_config_t *pc = config_provider(f->cfg, src);
    if (!def || !pc) {
        search_provider_done(s, src, PSTAT_DISABLED, NULL, 0, "no such provider in this build");
        return;
    }
    if (limits_of(f, src)->admin_enabled < 0) {
        search_provider_done(s, src, PSTAT_DISABLED, NULL, 0, "disabled by an administrator");
        return;
    }
    if (f->inflight[src] >= (size_t)pc->max_concurrent) {
        search_provider_done(s, src, PSTAT_RATE_LIMITED, NULL, 0,
                             "too many calls in flight to this provider");
        return;
    }
    prov_suspend_reason_t why;
    int why_status;
    int64_t now = (int64_t)clock_now_ns();
    int64_t until = prov_limits_suspended(limits_of(f, src), now, &why, &why_status);
    if (until) {
        char err[160];
        snprintf(err, sizeof err, "suspended for %lld s more (%s, after HTTP %d)",
                 (long long)((until - now + 999999999) / 1000000000), prov_suspend_reason_name(why),
                 why_status);
        search_provider_done(s, src, PSTAT_RATE_LIMITED, NULL, 0, err);
        return;
    }
    prov_breaker_verdict_t bv = prov_breaker_check(limits_of(f, src), now, &f->breaker);
    if (bv == BREAKER_REJECT) {
        search_provider_done(s, src, PSTAT_CIRCUIT_OPEN, NULL, 0,
                             "skipped after repeated failures; a probe will test it");
        return;
    }
    fanout_call_t *fc = calloc(1, sizeof *fc);
    if (!fc) {
        search_provider_done(s, src, PSTAT_ERROR, NULL, 0, "out of memory");
        return;
    }
    fc->fanout = f;
    fc->search = s;
    fc->source = src;
    fc->probe = bv == BREAKER_PROBE;
    fc->start_ns = clock_now_ns();
    f->alive[src]++;
    uv_timer_init(f->loop, &fc->timer);
    fc->timer.data = fc;
    *search_backend_slot(s, src) = fc;

    char err[256] = "";
    if (fc_build(fc, err, sizeof err) < 0) {
        fc_finish(fc, true, PSTAT_ERROR, NULL, err[0] ? err : "cannot build the request");
        return;
    }
    fc_try(fc);
}

static void fanout_cancel(void *ctx, search_t *s, source_t src)
{
    prov_fanout_t *f = ctx;
    fanout_call_t *fc = *search_backend_slot(s, src);
    if (!fc || fc->state == FC_DONE) return;
    if (fc->call) {
        prov_call_cancel(fc->call);
        fc->call = NULL;
        f->inflight[src]--;
    }
    fc_finish(fc, false, PSTAT_CANCELLED, NULL, NULL);
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

void prov_fanout_free(prov_fanout_t *f)
{
    if (!f) return;
    prov_client_free(f->client);
    if (!shm_get())
        for (int s = 0; s < SRC_COUNT; s++)
            pthread_mutex_destroy(&f->local_limits[s].lock);
    free(f);
}
