/* The shared-memory region: the only state workers share. The master maps
 * it (MAP_SHARED | MAP_ANONYMOUS) before forking, so every worker sees the
 * same bytes at the same address. It holds, per provider, the group-wide
 * rate limiter, the circuit breaker and recent call statistics, each
 * guarded by a process-shared robust mutex (critical sections are a few
 * instructions; a worker killed while holding one does not wedge the
 * others), and one metrics slot per worker, written only by its worker and
 * summed by whoever reads them. */
#ifndef SF_SHM_H
#define SF_SHM_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/paper.h"

#define SHM_MAX_WORKERS 256
#define SHM_LATENCY_WINDOW 256

typedef enum { BREAKER_CLOSED = 0, BREAKER_OPEN, BREAKER_HALF_OPEN } breaker_state_t;

typedef struct shm_provider {
    pthread_mutex_t lock; /* shm_lock()/shm_unlock() */

    /* Token bucket (interval_ns == 0: no limit). Tokens may go below zero:
     * a negative count is calls that reserved a future slot. */
    int64_t interval_ns;
    double burst;
    double tokens;
    int64_t refilled_ns;

    /* Circuit breaker. */
    breaker_state_t breaker;
    int consecutive_failures;
    int openings; /* consecutive openings: the open time grows with them */
    int64_t open_until_ns;
    int64_t probe_started_ns; /* 0: no probe in flight */

    /* Statistics. */
    uint64_t calls, errors, rate_limited, breaker_rejections;
    uint32_t latency_us[SHM_LATENCY_WINDOW]; /* recent successful calls, a ring */
    uint32_t latency_next, latency_count;

    /* Suspension by cause (providers/provider_limits.h): no call before
     * suspended_until_ns, for the reason and HTTP status that caused it. */
    int64_t suspended_until_ns;
    int32_t suspend_reason; /* prov_suspend_reason_t; 0 = none */
    int32_t suspend_status; /* the HTTP status behind it, 0 if none */

    /* A metered provider's budget, from its answers' headers (OpenAlex
     * X-RateLimit-*-USD); budget_known 0 until a header was seen. */
    int32_t budget_known;
    double budget_limit_usd, budget_remaining_usd, budget_cost_usd;
    int64_t budget_reset_ns; /* CLOCK_MONOTONIC time of the next reset; 0 = unknown */

    /* Run-time changes by PUT /v1/providers/{name} (http/handlers_admin.c),
     * for the whole group; zero means "as configured". */
    int32_t admin_enabled;    /* 0: as configured, 1: enabled, -1: disabled */
    int32_t admin_rate_set;   /* 1: interval_ns/burst were set at run time */
    int64_t admin_timeout_ms; /* 0: the configured timeout */
} shm_provider_t;

/* Counters a worker publishes (metrics). */
typedef struct shm_worker {
    int pid; /* claimed with a compare-and-swap by metrics_attach(); 0 = free */
    uint64_t requests, searches, searches_in_flight;
} shm_worker_t;

/* ---- metrics (core/metrics.h): one slot per worker, summed at scrape ---- */
#define SHM_ROUTES 32 /* route label slots; 0 = no route matched, last = other */
#define SHM_ROUTE_NAME 64
#define SHM_HTTP_CODES 26   /* status codes listed in core/metrics.c; last = other */
#define SHM_HTTP_CLASSES 6  /* status / 100 */
#define SHM_HIST_BUCKETS 12 /* upper bounds listed in core/metrics.c */
#define SHM_PSTATUSES 16    /* search_pstatus_t values */
#define SHM_CACHE_TIERS 3   /* l1, l2, l3 */
#define SHM_DB_STATES 4     /* idle, active, connecting, broken */

typedef struct shm_hist {
    uint64_t buckets[SHM_HIST_BUCKETS]; /* not cumulative: summed at render */
    uint64_t count;
    uint64_t sum_us;
} shm_hist_t;

/* Written only by the worker that claimed it (claimed by pid in
 * workers[i].pid, same index), read by any. Counters survive the worker:
 * the next worker to claim the slot carries on from them, so group totals
 * never go down; gauges are reset on claim. */
#define SHM_RETRY_OUTCOMES 3 /* core/metrics.h metrics_retry_t */

typedef struct shm_metrics {
    uint32_t used; /* ever claimed */
    uint64_t http_requests[SHM_ROUTES][SHM_HTTP_CODES];
    shm_hist_t http_duration[SHM_ROUTES][SHM_HTTP_CLASSES];
    uint64_t prov_requests[SRC_COUNT][SHM_PSTATUSES];
    shm_hist_t prov_search_duration[SRC_COUNT];
    shm_hist_t prov_response_time[SRC_COUNT];
    uint64_t cache_hits[SHM_CACHE_TIERS], cache_misses[SHM_CACHE_TIERS];
    uint64_t rate_limited, shed, unauthorized, forbidden;
    uint64_t ratelimit_redis_takes, ratelimit_redis_errors; /* the instance-wide bucket */
    uint64_t prov_retries[SRC_COUNT][SHM_RETRY_OUTCOMES];   /* metrics_provider_retry() */
    /* events on NATS (store/events.h), by subject: 0 search.completed, 1 papers.indexed */
    uint64_t events_published[2], events_dropped_queue[2], events_dropped_nats[2];
    /* gauges */
    int64_t http_in_flight, searches_in_flight;
    int64_t db_connections[SHM_DB_STATES];
    int64_t events_connected; /* 1 while this worker's NATS connection is up */
    /* the event loop (metrics_loop_tick()): lateness of a periodic timer, and
     * libuv's idle time of this worker's loop (a gauge: its loop's total) */
    shm_hist_t loop_lag;
    int64_t loop_idle_ns;
} shm_metrics_t;

/* ---- client rate limit (http/client_limit.h): token buckets by client ---- */
#define SHM_CLIENT_BUCKETS 8192

typedef struct shm_client_bucket {
    uint64_t key; /* hash of the client's identity; 0 = free */
    double tokens;
    int64_t refilled_ns;
} shm_client_bucket_t;

/* DELETE /v1/cache for every worker's memory tier: a ring of the last
 * deletions (cache/group.h). Written under lock; seq is read without it
 * (atomically) so a worker with nothing new pays one load per search. */
#define SHM_CACHE_DELETIONS 64
typedef struct shm_cache_deletions {
    pthread_mutex_t lock;
    uint64_t seq; /* deletions so far; deletion n is ring[(n - 1) % SHM_CACHE_DELETIONS] */
    uint64_t ring[SHM_CACHE_DELETIONS]; /* cache_hash() of the key; 0 = everything */
} shm_cache_deletions_t;

/* MCP sessions (http/mcp_session.h): the group's signing key, made by the
 * master before fork, and the sessions ended early (DELETE /mcp) until
 * they would have expired anyway. */
#define SHM_MCP_ENDED 1024
typedef struct shm_mcp {
    uint8_t key[32];                      /* random; read-only after shm_create() */
    pthread_mutex_t lock;                 /* guards the table */
    uint64_t ended[SHM_MCP_ENDED];        /* a session's nonce; 0 = free */
    int64_t ended_until_s[SHM_MCP_ENDED]; /* when it expires (wall clock, s) */
} shm_mcp_t;

typedef struct shm_region {
    uint64_t magic;
    shm_provider_t providers[SRC_COUNT];
    shm_worker_t workers[SHM_MAX_WORKERS];

    pthread_mutex_t metrics_lock; /* guards route_names */
    char route_names[SHM_ROUTES][SHM_ROUTE_NAME];
    shm_metrics_t metrics[SHM_MAX_WORKERS];

    pthread_mutex_t clients_lock;
    shm_client_bucket_t clients[SHM_CLIENT_BUCKETS];

    shm_cache_deletions_t cache_deletions;

    shm_mcp_t mcp;
} shm_region_t;

/* Maps the region (once per process group, before fork). Returns it, or
 * NULL when mmap fails. */
shm_region_t *shm_create(void);

/* The region of this process group, or NULL before shm_create(). */
shm_region_t *shm_get(void);

/* The group's random signing key (mcp.key): the same in every worker, new
 * at each start. Without a region (unit tests, tools), a random key of
 * this process. Returns 0, or -1 when no random bytes could be had. */
int shm_signing_key(const void **key, size_t *len);

/* Unmaps it (at exit; tests). */
void shm_destroy(void);

void shm_lock(pthread_mutex_t *lock);
void shm_unlock(pthread_mutex_t *lock);

#endif
