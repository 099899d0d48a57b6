/* Metrics for the whole worker group, in the Prometheus text format.
 *
 * Each worker claims one slot of the shared-memory region (core/shm.h) at
 * start: metrics_attach() takes the first slot whose workers[i].pid is 0, or
 * whose process is gone, with a compare-and-swap on that pid, and
 * metrics_detach() gives it back at exit. Only its worker writes a slot (no
 * lock, relaxed atomic loads and stores); metrics_render() sums every slot
 * ever used, so GET /metrics says the same whichever worker answers.
 * Counters stay in a slot after its worker exits and the next worker carries
 * on from them: group totals never go down. Gauges are reset on claim and
 * left out for slots whose process is gone.
 *
 * Without a shared region (unit tests) the calls use a private slot.
 *
 * Who calls what:
 *   http/middleware.c      metrics_http_*(), metrics_count()
 *   providers/fanout.c     metrics_provider_call() once per provider per search
 *   cache/                 metrics_cache_hit(tier), metrics_cache_miss(tier)
 *   store/                 metrics_db_connections() when its pool changes */
#ifndef SF_METRICS_H
#define SF_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/paper.h"
#include "core/pstatus.h"

/* Claims this process's slot. Returns its index (>= 0), or -1 when every
 * slot is taken by a live process (calls then go to a private slot). Safe to
 * call again: returns the slot already held. */
int metrics_attach(void);

/* Gives the slot back (gauges zeroed, counters kept). */
void metrics_detach(void);

/* The slot index of this process, -1 when none. */
int metrics_slot(void);

/* One answered HTTP request. route is the matched pattern (NULL: none
 * matched); patterns are interned group-wide, the first SHM_ROUTES - 2
 * distinct ones get their own label, later ones count as "other". */
void metrics_http_request(const char *route, int status, double duration_ms);

/* Requests between routing and the end of their answer (delta +1/-1), and
 * searches among them. */
void metrics_http_in_flight(int delta);
void metrics_searches_in_flight(int delta);

/* This worker's searches in flight (for load shedding). */
long metrics_searches_in_flight_now(void);

typedef enum {
    METRIC_RATE_LIMITED,          /* client rate limit: 429 */
    METRIC_SHED,                  /* load shedding: 503 */
    METRIC_UNAUTHORIZED,          /* no or bad key: 401 */
    METRIC_FORBIDDEN,             /* key without the scope: 403 */
    METRIC_RATELIMIT_REDIS_TAKE,  /* a take sent to the instance-wide bucket in Redis */
    METRIC_RATELIMIT_REDIS_ERROR, /* ... that got no verdict (Redis down, slow): fail open */
} metrics_counter_t;

void metrics_count(metrics_counter_t c);

/* A failed provider call's retry: sent (by scifind, or re-sent by libcurl
 * on a dead reused connection), or refused by the retry budget or because
 * the provider's breaker opened. scifind_provider_retries_total. */
typedef enum {
    METRIC_RETRY_SENT,
    METRIC_RETRY_REFUSED_BUDGET,
    METRIC_RETRY_REFUSED_BREAKER,
} metrics_retry_t;

void metrics_provider_retry(source_t src, metrics_retry_t outcome);

/* One provider's part in one search: its final status and how long the
 * search waited for it (milliseconds). Counts
 * scifind_search_requests_total{provider,status}, observes
 * scifind_search_duration_seconds{provider}, and, for calls that reached
 * the provider (ok, error, timeout), scifind_provider_response_time_seconds. */
void metrics_provider_call(source_t src, search_pstatus_t status, double latency_ms);

typedef enum { METRICS_TIER_L1 = 0, METRICS_TIER_L2, METRICS_TIER_L3 } metrics_tier_t;

void metrics_cache_hit(metrics_tier_t tier);
void metrics_cache_miss(metrics_tier_t tier);

/* Events on NATS (store/events.h), subject 0 = search.completed, 1 =
 * papers.indexed. Each is written by one thread only: queue drops by the
 * worker's loop, the rest by its publisher thread. */
typedef enum { METRICS_EVENT_SEARCH = 0, METRICS_EVENT_PAPERS = 1 } metrics_event_t;
void metrics_event_published(metrics_event_t e);
void metrics_event_dropped_queue(metrics_event_t e);
void metrics_event_dropped_nats(metrics_event_t e);
void metrics_events_connected(bool up);

/* This worker's database connections by state (a gauge: set, not added). */
void metrics_db_connections(int idle, int active, int connecting, int broken);

/* One tick of the worker's loop-lag timer (core/worker.c): how late it
 * fired (microseconds) and the loop's idle time so far (uv_metrics_idle_time,
 * nanoseconds). scifind_loop_lag_seconds, scifind_loop_idle_seconds_total. */
void metrics_loop_tick(uint64_t lag_us, uint64_t idle_ns);

/* Renders every metric of the group. Returns a malloc'd NUL-terminated text
 * and its length in *len, or NULL when out of memory. Reads /proc for the
 * process figures of every live slot. */
char *metrics_render(size_t *len);

#endif
