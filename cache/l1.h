/* L1: the memory tier of one worker. An LRU of finished answers bounded in
 * bytes, each entry fresh for a TTL and then served stale for a grace
 * window while one refresh runs through the next link. An entry holds the
 * answer's bytes, identity and gzip (raw DEFLATE, core/deflate.h),
 * as refcounted blobs: a hit is headers plus the blobs, no JSON work. */
#ifndef SF_CACHE_L1_H
#define SF_CACHE_L1_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "cache/cache.h"
#include "core/search_service.h"

typedef struct cache_l1 cache_l1_t;

typedef struct cache_l1_opts {
    size_t max_bytes;       /* bound on the bytes held (blobs, keys, entries) */
    int64_t ttl_ms;         /* fresh this long after the answer was computed */
    int64_t stale_ms;       /* then served stale this long while refreshed */
    int64_t partial_ttl_ms; /* partial answers: fresh this long, no grace (0: not kept) */
    bool gzip;              /* keep a DEFLATE copy of each answer */
    int gzip_level;         /* its level, 1..9 (compression.level; 0: the default) */
    uv_loop_t *loop;        /* the service link's: hits are delivered on its next turn */
    /* Optional: told of every query asked through the service (warming's
     * popularity count, cache/redis.h). */
    void (*note)(void *note_ctx, const query_t *q);
    void *note_ctx;
} cache_l1_opts_t;

typedef enum {
    CACHE_L1_MISS = 0, /* nothing, or past TTL + grace (then dropped) */
    CACHE_L1_FRESH,    /* within its TTL */
    CACHE_L1_STALE,    /* past its TTL, within the grace window */
} cache_l1_lookup_t;

/* ---- the store ---------------------------------------------------------- */

/* Returns an empty store with a copy of o, or NULL when out of memory. */
cache_l1_t *cache_l1_new(const cache_l1_opts_t *o);

/* Frees the store and drops its references to the blobs. NULL is a no-op. */
void cache_l1_free(cache_l1_t *c);

/* Looks key up. On a hit fills out (blobs borrowed: blob_ref() what you
 * keep past the next call into the store; tier "memory", age_s, stale) and
 * makes the entry the most recently used. Counts a hit or a miss. */
cache_l1_lookup_t cache_l1_get(cache_l1_t *c, const char *key, search_reply_t *out);

/* Stores r under key (replacing any entry), keeping references to its
 * blobs; r->age_s says how old it already is. Answers that are not 200 are
 * not stored; partial ones only for partial_ttl_ms. Least recently used
 * entries are evicted until the bound holds; an answer larger than the
 * bound is not stored. Returns 0 when stored, 1 when not kept, -1 when out
 * of memory. */
int cache_l1_put(cache_l1_t *c, const char *key, const search_reply_t *r);

/* Drops key's entry. Returns true when there was one. */
bool cache_l1_delete(cache_l1_t *c, const char *key);

/* Drops the entries whose key has cache_hash() h (a deletion told by
 * another worker, which sends hashes). Returns how many were dropped. */
size_t cache_l1_delete_hash(cache_l1_t *c, uint64_t h);

/* Drops every entry. */
void cache_l1_clear(cache_l1_t *c);

/* The counters (bytes and entries are the current figures). */
const cache_stats_t *cache_l1_stats(const cache_l1_t *c);

/* The key of the least (oldest = true) or most recently used entry, or
 * NULL when empty: for tests of the LRU order. */
const char *cache_l1_lru_key(const cache_l1_t *c, bool oldest);

/* ---- the service link ------------------------------------------------- */

/* A search_service_t answering from a new store and asking next on a miss
 * (then storing what next answers, gzip copy made when next has none), and
 * on a stale hit answering on the loop's next turn and refreshing the
 * entry with one background fetch through next. A hit is delivered on the
 * next turn of o->loop (core/search_service.h), without allocating once
 * the link has served as many hits at a time before. Returns NULL when out
 * of memory. */
search_service_t *cache_l1_service(search_service_t *next, const cache_l1_opts_t *o);

/* The store inside an L1 service. */
cache_l1_t *cache_l1_of(search_service_t *svc);

/* Background refreshes running (for tests and stats). */
size_t cache_l1_refreshing(search_service_t *svc);

/* Cancels what is still asked of next (waiters get no answer: call after
 * the HTTP side is done) and frees the link and its store. NULL is a no-op. */
void cache_l1_service_free(search_service_t *svc);

#endif
