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

/* A snapshot for GET /v1/providers. */
typedef struct prov_limits_view {
    breaker_state_t breaker;
    int consecutive_failures;
    int64_t open_for_ms; /* remaining open time, 0 when not open */
    uint64_t calls, errors, rate_limited, breaker_rejections;
    double p50_ms, p95_ms; /* over the recent window; -1 when no data */
    int64_t interval_ms;
    int burst;
} prov_limits_view_t;

void prov_limits_view(shm_provider_t *p, int64_t now_ns, prov_limits_view_t *out);

#endif
