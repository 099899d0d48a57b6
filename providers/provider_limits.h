/* Being a good citizen of the providers, for the whole worker group: a
 * token bucket per provider and a circuit breaker per provider, both living
 * in the shared-memory region (core/shm.h), plus recent call statistics.
 * Times are CLOCK_MONOTONIC nanoseconds, the same clock in every process. */
#ifndef SF_PROV_PROVIDER_LIMITS_H
#define SF_PROV_PROVIDER_LIMITS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/shm.h"

typedef struct prov_breaker_cfg {
    int threshold;   /* consecutive failures that open the breaker */
    int64_t base_ns; /* first open time */
    int64_t max_ns;  /* cap of the growing open time */
} prov_breaker_cfg_t;

/* Sets the token bucket (interval_ns 0: unlimited) and fills it. Done once,
 * by the first process, before workers start. */
void prov_limits_configure(shm_provider_t *p, int64_t interval_ns, int burst);

/* Reserves the next call slot. Returns 0 (call now), the nanoseconds to
 * wait before calling (the slot is held), or -1 when no slot frees up
 * before deadline_ns (nothing is held). */
int64_t prov_limits_reserve(shm_provider_t *p, int64_t now_ns, int64_t deadline_ns);

typedef enum { BREAKER_ALLOW, BREAKER_PROBE, BREAKER_REJECT } prov_breaker_verdict_t;

/* May a call go? BREAKER_PROBE: yes, and it is the one call that decides
 * whether a half-open breaker closes. */
prov_breaker_verdict_t prov_breaker_check(shm_provider_t *p, int64_t now_ns,
                                          const prov_breaker_cfg_t *cfg);

/* Records a call's outcome for the breaker and the statistics. failure:
 * timeout, connection error, 5xx, unreadable answer. A 4xx (429 included)
 * is neither a failure nor a success for the breaker. */
typedef enum { CALL_SUCCESS, CALL_FAILURE, CALL_NEUTRAL } prov_call_kind_t;
void prov_limits_record(shm_provider_t *p, prov_call_kind_t kind, bool was_probe, double latency_ms,
                        int64_t now_ns, const prov_breaker_cfg_t *cfg);

/* Suspension by cause, as SearXNG does it: a provider that said "slow
 * down" (429, arXiv's "Rate exceeded."), or that refused us (402, 403, a
 * CAPTCHA or Cloudflare page), or whose metered budget is spent, gets no
 * call from the group until a time. Other failures go through the breaker. */
typedef enum {
    SUSPEND_NONE = 0,
    SUSPEND_RATE_LIMITED, /* 429 and the like: Retry-After, or a default */
    SUSPEND_BLOCKED,      /* 402, 403, CAPTCHA/Cloudflare page: much longer */
    SUSPEND_BUDGET,       /* the metered budget is spent: until its reset */
} prov_suspend_reason_t;

/* "rate_limited", "blocked", "budget" (or "none"). */
const char *prov_suspend_reason_name(prov_suspend_reason_t r);

/* Suspends p until until_ns for reason (an earlier end never shortens a
 * suspension already in place); status is the HTTP status behind it. */
void prov_limits_suspend(shm_provider_t *p, int64_t until_ns, prov_suspend_reason_t reason,
                         int status);

/* The end of p's suspension if one is in place at now_ns (its reason and
 * status in *reason / *status when not NULL), else 0. */
int64_t prov_limits_suspended(shm_provider_t *p, int64_t now_ns, prov_suspend_reason_t *reason,
                              int *status);

/* Records a metered provider's budget headers (a value < 0: not sent).
 * reset_in_s: seconds until the budget resets, < 0 when unknown. */
void prov_limits_budget(shm_provider_t *p, double limit_usd, double remaining_usd, double cost_usd,
                        long reset_in_s, int64_t now_ns);

/* A snapshot for GET /v1/providers. */
typedef struct prov_limits_view {
    breaker_state_t breaker;
    int consecutive_failures;
    int64_t open_for_ms; /* remaining open time, 0 when not open */
    uint64_t calls, errors, rate_limited, breaker_rejections;
    double p50_ms, p95_ms; /* over the recent window; -1 when no data */
    int64_t interval_ms;
    int burst;
    prov_suspend_reason_t suspend_reason; /* SUSPEND_NONE when not suspended now */
    int suspend_status;
    int64_t suspended_for_ms; /* remaining suspension, 0 when none */
    bool budget_known;
    double budget_limit_usd, budget_remaining_usd, budget_cost_usd;
    int64_t budget_reset_in_ms; /* -1 when unknown */
} prov_limits_view_t;

void prov_limits_view(shm_provider_t *p, int64_t now_ns, prov_limits_view_t *out);

#endif
