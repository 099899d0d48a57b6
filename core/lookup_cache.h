/* The shared tier of the per-id lookup cache (core/lookup.h): asked after
 * a worker's memory cache misses and before the store, filled after a
 * live answer. main.c puts Redis here (cache/lookup_l2.h) when redis.url
 * is set; without it the per-id cache is each worker's memory only.
 *
 * Keys are the lookup's canonical ids (paper_ref_string(): "doi:10.1/x"),
 * values the paper's JSON the memory cache keeps. The tier fails open: an
 * error or a late answer is a miss, and the lookup goes on. */
#ifndef SF_CORE_LOOKUP_CACHE_H
#define SF_CORE_LOOKUP_CACHE_H

#include <stddef.h>
#include <stdint.h>

typedef struct lookup_cache_get lookup_cache_get_t;

/* The values of keys[0..n) asked: vals[i] (lens[i] bytes, valid during the
 * call) or NULL on a miss; vals NULL when the tier failed or was too slow. */
typedef void (*lookup_cache_got_fn)(void *data, const char *const *vals, const size_t *lens);

typedef struct lookup_cache {
    void *ctx;
    /* Asks for keys[0..n) in one round trip, under a short deadline of the
     * tier's own. got runs exactly once, later, unless cancel() comes
     * first. Returns NULL when it cannot ask now (down, out of memory):
     * got never runs. */
    lookup_cache_get_t *(*get)(void *ctx, const char *const *keys, size_t n,
                               lookup_cache_got_fn got, void *data);
    void (*cancel)(void *ctx, lookup_cache_get_t *g);
    /* Keeps bytes for key for ttl_ms, nobody waiting (failures are only
     * counted by the tier). */
    void (*put)(void *ctx, const char *key, const char *bytes, size_t len, int64_t ttl_ms);
} lookup_cache_t;

#endif
