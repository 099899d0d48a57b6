/* A hash table of entries threaded on a least-recently-used list, for the
 * caches of one worker (L1, cache/l1.h; the per-provider results,
 * cache/provider_cache.h). Intrusive: an entry embeds a cache_lru_node_t as
 * its first member (cast the node back to the entry), and its memory is the
 * caller's: the table never allocates or frees an entry. The table grows
 * (doubling its buckets) as entries are added; the bound on what it holds
 * (bytes, entries) is the caller's, who evicts cache_lru_oldest(). */
#ifndef SF_CACHE_LRU_H
#define SF_CACHE_LRU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/queue.h"

typedef struct cache_lru_node cache_lru_node_t;
struct cache_lru_node {
    cache_lru_node_t *hnext; /* bucket chain */
    sf_queue_t lru;          /* the LRU list (core/queue.h) */
    uint64_t hash;           /* cache_hash() of key, or any 64-bit hash */
    const char *key;         /* NUL-terminated, kept by the entry */
};

typedef struct cache_lru {
    cache_lru_node_t **buckets;
    size_t nbuckets; /* a power of two */
    size_t entries;
    sf_queue_t list; /* newest first */
} cache_lru_t;

/* Sets up an empty table of at least nbuckets buckets. Returns 0, or -1
 * when out of memory. */
int cache_lru_init(cache_lru_t *t, size_t nbuckets);

/* Frees the buckets (not the entries: remove them first). */
void cache_lru_fini(cache_lru_t *t);

/* The entry for key (with hash h), or NULL. Does not touch the LRU order. */
cache_lru_node_t *cache_lru_find(const cache_lru_t *t, const char *key, uint64_t h);

/* The first entry of h's bucket chain (walk it with hnext, comparing hash):
 * for deletions told by hash only. */
cache_lru_node_t *cache_lru_bucket(const cache_lru_t *t, uint64_t h);

/* Adds n (key and hash set, not in the table, key not in it either) as the
 * most recently used. */
void cache_lru_insert(cache_lru_t *t, cache_lru_node_t *n);

/* Takes n out of the table. */
void cache_lru_remove(cache_lru_t *t, cache_lru_node_t *n);

/* Makes n the most recently used. */
void cache_lru_touch(cache_lru_t *t, cache_lru_node_t *n);

/* The most and the least recently used entries, or NULL when empty. */
cache_lru_node_t *cache_lru_newest(const cache_lru_t *t);
cache_lru_node_t *cache_lru_oldest(const cache_lru_t *t);

#endif
