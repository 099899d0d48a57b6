/* The per-provider result cache: one provider's papers for one query's
 * text and filters, kept cache.provider_ttl, so that a search over another
 * provider set, page size or sort reuses what each provider already said.
 * It is a search backend wrapped around the real one: a hit is reported as
 * "cached" without a call; a miss goes to the real backend, and the answer
 * is kept when it comes back (observe). Per worker, in memory, bounded in
 * entries and in bytes (cache.provider_max_bytes), least recently used
 * first out. */
#ifndef SF_CACHE_PROVIDER_CACHE_H
#define SF_CACHE_PROVIDER_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "core/search.h"

typedef struct cache_provider cache_provider_t;

typedef struct cache_provider_stats {
    uint64_t hits, misses, stores, evictions;
    size_t entries;
    size_t bytes; /* held by the entries (their papers' arenas and keys) */
} cache_provider_stats_t;

/* Returns a cache in front of next (which must outlive it) keeping answers
 * ttl_ms, at most max_entries of them and max_bytes of memory; NULL when
 * out of memory. */
cache_provider_t *cache_provider_new(const search_backend_t *next, int64_t ttl_ms,
                                     size_t max_entries, size_t max_bytes);

/* The backend to give to searches. */
const search_backend_t *cache_provider_backend(cache_provider_t *c);

/* Forgets every entry (DELETE /v1/cache). */
void cache_provider_clear(cache_provider_t *c);

cache_provider_stats_t cache_provider_stats(const cache_provider_t *c);

void cache_provider_free(cache_provider_t *c);

#endif
