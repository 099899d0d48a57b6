/* What the cache endpoints (DELETE /v1/cache, GET /v1/cache/stats,
 * http/handlers_cache.h) may ask of the cache tiers: flush by scope, and
 * each tier's counters as plain values. cache/tiers.h implements it;
 * main.c hands it to the HTTP side, which knows nothing else of cache/. */
#ifndef SF_CORE_CACHE_ADMIN_H
#define SF_CORE_CACHE_ADMIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Counters of one tier in one worker. */
typedef struct cache_stats {
    uint64_t hits;       /* answered from this tier (fresh or stale) */
    uint64_t stale_hits; /* of which served past their TTL */
    uint64_t misses;     /* asked the tier below */
    uint64_t errors;     /* the tier failed (Redis down, deadline, bad bytes): bypassed */
    uint64_t timeouts;   /* of which command deadlines */
    uint64_t fills;      /* answers stored */
    uint64_t evictions;  /* entries dropped for room (L1) */
    uint64_t expired;    /* entries dropped past TTL + grace (L1) */
    uint64_t bytes;      /* bytes held now (L1) or written (L2) */
    uint64_t entries;    /* entries held now (L1) */
    uint64_t joined;     /* single-flight: requests that waited on another */
} cache_stats_t;

/* What a lower tier did of a flush. */
typedef enum {
    CACHE_TIER_ABSENT = -1, /* not configured */
    CACHE_TIER_FAILED = 0,  /* did not answer (the others are flushed all the same) */
    CACHE_TIER_DONE = 1,
} cache_tier_result_t;

typedef struct cache_flush_result {
    bool memory; /* one key: this worker's memory tier had the entry */
    cache_tier_result_t redis, postgres;
    int64_t version; /* everything: Redis's key version after the flush, -1 unknown */
} cache_flush_result_t;

/* The worker's tiers at one moment; a tier not configured is "off". */
typedef struct cache_admin_stats {
    bool enabled; /* cache.enabled */
    bool memory_on;
    cache_stats_t memory;
    int64_t memory_max_bytes;
    size_t memory_refreshing; /* background refreshes running */
    bool single_flight_on;
    size_t flights;   /* keys being computed now */
    uint64_t started; /* flights started */
    uint64_t joined;  /* requests that waited on another's flight */
    bool redis_on;
    cache_stats_t redis;
    const char *redis_state; /* "ok" or "degraded" (static) */
    int64_t redis_version;
    bool providers_on; /* the per-provider results */
    uint64_t p_hits, p_misses, p_stores, p_evictions;
    size_t p_entries, p_bytes;
} cache_admin_stats_t;

typedef void (*cache_flush_done_fn)(void *data, const cache_flush_result_t *r);

typedef struct cache_admin {
    void *ctx;
    /* Flushes one query's entries (key: its query_key()) or, key NULL,
     * everything, from every tier: this worker's memory at once, the other
     * workers' before their next lookup, the per-provider results, Redis
     * (the key, or a bump of the key version) and PostgreSQL. done(data, r)
     * runs exactly once, when the lower tiers have answered (possibly before
     * flush returns, when none is configured). Returns 0, or -1 when out of
     * memory (done is not called, nothing is flushed). */
    int (*flush)(void *ctx, const char *key, cache_flush_done_fn done, void *data);
    /* Fills *out. */
    void (*stats)(void *ctx, cache_admin_stats_t *out);
} cache_admin_t;

#endif
