/* What a provider call's outcome means: providers/verdict.h. */
#include "providers/verdict.h"

#include <stdio.h>
#include <string.h>

void prov_judge(source_t src, const prov_call_t *call, arena_t *a, paper_list_t **papers,
                prov_verdict_t *v)
{
    prov_judge_stream(src, call, NULL, a, papers, v);
}

/* A 2xx answer's papers: read while it arrived, or from its whole body. */
static int read_answer(const prov_def_t *def, const prov_call_t *call, prov_stream_t *stream,
                       arena_t *a, prov_result_t *res, prov_verdict_t *v)
{
    if (call->streamed) {
        if (stream == NULL) { /* no body, or no memory for a reader */
            snprintf(v->err, sizeof v->err, "%s",
                     call->body_total ? "out of memory" : "empty response body");
            return -1;
        }
        if (call->restarted) {
            snprintf(v->err, sizeof v->err, "a second answer began after the body of the first");
            return -1;
        }
        return prov_stream_finish(stream, res, v->err, sizeof v->err);
    }
    if (def == NULL) return -1;
    return prov_parse(def, call->body ? call->body : "", call->body_len, a, res, v->err,
                      sizeof v->err);
}

/* The verdict; rd (may be NULL) reads a whole 2xx body its own way. */
static void judge(source_t src, const prov_call_t *call, prov_stream_t *stream,
                  const prov_reader_t *rd, arena_t *a, paper_list_t **papers, prov_verdict_t *v);

void prov_judge_stream(source_t src, const prov_call_t *call, prov_stream_t *stream, arena_t *a,
                       paper_list_t **papers, prov_verdict_t *v)
{
    judge(src, call, stream, NULL, a, papers, v);
}

void prov_judge_with(source_t src, const prov_call_t *call, const prov_reader_t *rd, arena_t *a,
                     paper_list_t **papers, prov_verdict_t *v)
{
    judge(src, call, NULL, rd, a, papers, v);
}

static void judge(source_t src, const prov_call_t *call, prov_stream_t *stream,
                  const prov_reader_t *rd, arena_t *a, paper_list_t **papers, prov_verdict_t *v)
{
    const prov_def_t *def = prov_def_for(src);
    memset(v, 0, sizeof *v);
    v->status = PSTAT_ERROR;
    v->kind = CALL_FAILURE;
    switch (call->outcome) {
    case PROV_CALL_OK: {
        long code = call->http_status;
        v->answer = prov_answer_kind(src, code, call->body, call->body_len);
        if (v->answer == PROV_ANSWER_THROTTLED) {
            v->status = PSTAT_RATE_LIMITED;
            v->kind = CALL_NEUTRAL;
            v->retryable = true;
        } else if (v->answer == PROV_ANSWER_BLOCKED) {
            v->kind = CALL_NEUTRAL; /* refused, not broken: the suspension handles it */
        } else if (code >= 200 && code < 300 && rd && rd->read && !call->streamed) {
            if (rd->read(rd->data, call->body ? call->body : "", call->body_len, a, papers, v->err,
                         sizeof v->err) == 0) {
                v->status = PSTAT_OK;
                v->kind = CALL_SUCCESS;
            } else {
                *papers = NULL;
                if (!v->err[0]) snprintf(v->err, sizeof v->err, "unreadable answer");
            }
        } else if (code == 404 && rd && rd->not_found_ok) {
            v->status = PSTAT_OK; /* no such paper: an answer, and the provider is well */
            v->kind = CALL_SUCCESS;
            *papers = arena_calloc(a, 1, sizeof **papers);
        } else if (code >= 200 && code < 300) {
            prov_result_t res = {0};
            res.total = -1;
            if (read_answer(def, call, stream, a, &res, v) == 0) {
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
            prov_error_text(src, call->body, call->body_len, said, sizeof said);
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

void prov_judge_title(source_t src, const prov_call_t *call, arena_t *a, paper_list_t **papers,
                      prov_verdict_t *v)
{
    prov_judge_title_stream(src, call, NULL, a, papers, v);
}

void prov_judge_title_stream(source_t src, const prov_call_t *call, prov_stream_t *stream,
                             arena_t *a, paper_list_t **papers, prov_verdict_t *v)
{
    const prov_def_t *def = prov_def_for(src);
    long code = call->http_status;
    if (call->outcome == PROV_CALL_OK && (code < 200 || code >= 300) && def != NULL &&
        def->title_none != NULL && def->title_none(code, call->body, call->body_len)) {
        memset(v, 0, sizeof *v);
        v->status = PSTAT_OK;
        v->kind = CALL_SUCCESS;
        *papers = arena_calloc(a, 1, sizeof **papers);
        return;
    }
    prov_judge_stream(src, call, stream, a, papers, v);
}

void prov_welcome(shm_provider_t *lim, const sf_config_t *cfg, const prov_call_t *call,
                  prov_verdict_t *v, int64_t now)
{
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

bool prov_retry_budget_take(size_t alive, size_t *retrying, bool *holds)
{
    if (*holds) return true;
    size_t cap = alive * PROV_RETRY_BUDGET_PERCENT / 100;
    if (cap < PROV_RETRY_BUDGET_MIN) cap = PROV_RETRY_BUDGET_MIN;
    if (*retrying >= cap) return false;
    *holds = true;
    (*retrying)++;
    return true;
}

int64_t prov_backoff_ns(int attempt, int64_t retry_after_ns, uint64_t random)
{
    if (retry_after_ns) return retry_after_ns;
    int64_t cap = PROV_RETRY_BASE_NS << attempt; /* full jitter over an exponential base */
    return (int64_t)(random % (uint64_t)cap) + 1000000;
}

bool prov_retry_fits(int64_t now_ns, int64_t wait_ns, int64_t deadline_ns)
{
    return now_ns + wait_ns + PROV_RETRY_MIN_CALL_NS < deadline_ns;
}

bool prov_adapt_again(const prov_def_t *def, const prov_call_t *call, const prov_verdict_t *v,
                      bool adapted)
{
    return !adapted && v->status == PSTAT_ERROR && v->answer == PROV_ANSWER_NORMAL &&
           call->outcome == PROV_CALL_OK && call->http_status >= 400 && call->http_status < 500 &&
           def && def->adapt && def->adapt(call->http_status, call->body, call->body_len);
}
