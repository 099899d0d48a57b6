#include <stdlib.h>
#include <string.h>

#include "providers/provider_limits.h"

void prov_limits_configure(shm_provider_t *p, int64_t interval_ns, int burst)
{
    shm_lock(&p->lock);
    p->interval_ns = interval_ns;
    p->burst = burst > 0 ? burst : 1;
    p->tokens = p->burst;
    p->refilled_ns = 0;
    shm_unlock(&p->lock);
}

int64_t prov_limits_reserve(shm_provider_t *p, int64_t now_ns, int64_t deadline_ns)
{
    int64_t wait = 0;
    shm_lock(&p->lock);
    if (p->interval_ns > 0) {
        if (p->refilled_ns == 0) p->refilled_ns = now_ns;
        if (now_ns > p->refilled_ns) {
            p->tokens += (double)(now_ns - p->refilled_ns) / (double)p->interval_ns;
            if (p->tokens > p->burst) p->tokens = p->burst;
            p->refilled_ns = now_ns;
        }
        if (p->tokens < 1.0) {
            /* Tokens below zero are slots already promised to earlier callers. */
            wait = (int64_t)((1.0 - p->tokens) * (double)p->interval_ns);
            if (now_ns + wait > deadline_ns) {
                p->rate_limited++;
                shm_unlock(&p->lock);
                return -1;
            }
        }
        p->tokens -= 1.0;
    }
    shm_unlock(&p->lock);
    return wait;
}

prov_breaker_verdict_t prov_breaker_check(shm_provider_t *p, int64_t now_ns,
                                          const prov_breaker_cfg_t *cfg)
{
    prov_breaker_verdict_t v = BREAKER_ALLOW;
    shm_lock(&p->lock);
    switch (p->breaker) {
    case BREAKER_CLOSED:
        break;
    case BREAKER_OPEN:
        if (now_ns < p->open_until_ns) {
            v = BREAKER_REJECT;
        } else {
            p->breaker = BREAKER_HALF_OPEN;
            p->probe_started_ns = now_ns;
            v = BREAKER_PROBE;
        }
        break;
    case BREAKER_HALF_OPEN:
        /* One probe at a time; a probe whose worker died is given up on
         * after the longest open time. */
        if (p->probe_started_ns && now_ns - p->probe_started_ns < cfg->max_ns) {
            v = BREAKER_REJECT;
        } else {
            p->probe_started_ns = now_ns;
            v = BREAKER_PROBE;
        }
        break;
    }
    if (v == BREAKER_REJECT) p->breaker_rejections++;
    shm_unlock(&p->lock);
    return v;
}

static void breaker_open(shm_provider_t *p, int64_t now_ns, const prov_breaker_cfg_t *cfg)
{
    int64_t t = cfg->base_ns;
    for (int i = 0; i < p->openings && t < cfg->max_ns; i++)
        t *= 2;
    if (t > cfg->max_ns) t = cfg->max_ns;
    p->breaker = BREAKER_OPEN;
    p->open_until_ns = now_ns + t;
    p->probe_started_ns = 0;
    p->openings++;
}

void prov_limits_record(shm_provider_t *p, prov_call_kind_t kind, bool was_probe, double latency_ms,
                        int64_t now_ns, const prov_breaker_cfg_t *cfg)
{
    shm_lock(&p->lock);
    p->calls++;
    if (kind == CALL_FAILURE) {
        p->errors++;
        p->consecutive_failures++;
        if (was_probe ||
            (p->breaker == BREAKER_CLOSED && p->consecutive_failures >= cfg->threshold))
            breaker_open(p, now_ns, cfg);
    } else if (kind == CALL_SUCCESS) {
        p->consecutive_failures = 0;
        if (was_probe || p->breaker == BREAKER_HALF_OPEN) {
            p->breaker = BREAKER_CLOSED;
            p->openings = 0;
            p->probe_started_ns = 0;
        }
        double us = latency_ms * 1000.0;
        p->latency_us[p->latency_next] = us > 4e9 ? 4000000000u : (uint32_t)us;
        p->latency_next = (p->latency_next + 1) % SHM_LATENCY_WINDOW;
        if (p->latency_count < SHM_LATENCY_WINDOW) p->latency_count++;
    } else if (was_probe) {
        /* A neutral answer (4xx) still shows the provider is up. */
        p->breaker = BREAKER_CLOSED;
        p->openings = 0;
        p->probe_started_ns = 0;
    }
    shm_unlock(&p->lock);
}

const char *prov_suspend_reason_name(prov_suspend_reason_t r)
{
    switch (r) {
    case SUSPEND_RATE_LIMITED:
        return "rate_limited";
    case SUSPEND_BLOCKED:
        return "blocked";
    case SUSPEND_BUDGET:
        return "budget";
    default:
        return "none";
    }
}

void prov_limits_suspend(shm_provider_t *p, int64_t until_ns, prov_suspend_reason_t reason,
                         int status)
{
    shm_lock(&p->lock);
    if (until_ns > p->suspended_until_ns) {
        p->suspended_until_ns = until_ns;
        p->suspend_reason = (int32_t)reason;
        p->suspend_status = status;
    }
    shm_unlock(&p->lock);
}

int64_t prov_limits_suspended(shm_provider_t *p, int64_t now_ns, prov_suspend_reason_t *reason,
                              int *status)
{
    shm_lock(&p->lock);
    int64_t until = p->suspended_until_ns > now_ns ? p->suspended_until_ns : 0;
    if (reason) *reason = until ? (prov_suspend_reason_t)p->suspend_reason : SUSPEND_NONE;
    if (status) *status = until ? p->suspend_status : 0;
    shm_unlock(&p->lock);
    return until;
}

void prov_limits_budget(shm_provider_t *p, double limit_usd, double remaining_usd, double cost_usd,
                        long reset_in_s, int64_t now_ns)
{
    if (limit_usd < 0 && remaining_usd < 0) return;
    shm_lock(&p->lock);
    p->budget_known = 1;
    if (limit_usd >= 0) p->budget_limit_usd = limit_usd;
    if (remaining_usd >= 0) p->budget_remaining_usd = remaining_usd;
    if (cost_usd >= 0) p->budget_cost_usd = cost_usd;
    p->budget_reset_ns = reset_in_s >= 0 ? now_ns + (int64_t)reset_in_s * 1000000000ll : 0;
    shm_unlock(&p->lock);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

void prov_limits_view(shm_provider_t *p, int64_t now_ns, prov_limits_view_t *out)
{
    uint32_t lat[SHM_LATENCY_WINDOW];
    uint32_t n;
    memset(out, 0, sizeof *out);
    shm_lock(&p->lock);
    out->breaker = p->breaker;
    out->consecutive_failures = p->consecutive_failures;
    out->open_for_ms = p->breaker == BREAKER_OPEN && p->open_until_ns > now_ns
                           ? (p->open_until_ns - now_ns) / 1000000
                           : 0;
    out->calls = p->calls;
    out->errors = p->errors;
    out->rate_limited = p->rate_limited;
    out->breaker_rejections = p->breaker_rejections;
    out->interval_ms = p->interval_ns / 1000000;
    out->burst = (int)p->burst;
    n = p->latency_count;
    memcpy(lat, p->latency_us, n * sizeof lat[0]);
    if (p->suspended_until_ns > now_ns) {
        out->suspend_reason = (prov_suspend_reason_t)p->suspend_reason;
        out->suspend_status = p->suspend_status;
        out->suspended_for_ms = (p->suspended_until_ns - now_ns + 999999) / 1000000;
    }
    out->budget_known = p->budget_known != 0;
    out->budget_limit_usd = p->budget_limit_usd;
    out->budget_remaining_usd = p->budget_remaining_usd;
    out->budget_cost_usd = p->budget_cost_usd;
    out->budget_reset_in_ms =
        p->budget_reset_ns > now_ns ? (p->budget_reset_ns - now_ns) / 1000000 : -1;
    shm_unlock(&p->lock);
    if (n == 0) {
        out->p50_ms = out->p95_ms = -1;
        return;
    }
    qsort(lat, n, sizeof lat[0], cmp_u32);
    out->p50_ms = lat[(n - 1) / 2] / 1000.0;
    out->p95_ms = lat[(n * 95 + 99) / 100 - 1] / 1000.0;
}
