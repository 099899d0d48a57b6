/* What the cache tiers share: per-tier counters, the rules for what may be
 * cached, and the gzip copy of an answer (a query kept past the request
 * that asked it is query_copy()). The tiers themselves: cache/l1.h (memory),
 * cache/singleflight.h, cache/redis.h (L2). docs/cache.md says how they
 * fit together. */
#ifndef SF_CACHE_CACHE_H
#define SF_CACHE_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/cache_admin.h"
#include "core/query.h"
#include "core/search_service.h"

/* May r be kept for the whole TTL? A 200 answer that is not partial (every
 * provider asked answered). */
bool cache_reply_cacheable(const search_reply_t *r);

/* What a tier keeps of an answer r that came from below: returns whether r
 * may be kept at all (cacheable, or partial for a short while). out is a
 * copy of *r, with the gzip copy of its body made (at level 1..9, as
 * compression.level) when gzip is on, r is kept and has none: then *made is
 * that new blob (the caller unrefs it after out's last use), else NULL.
 * When compression fails out is a plain copy. */
bool cache_reply_keep(const search_reply_t *r, bool gzip, int level, search_reply_t *out,
                      blob_t **made);

/* q as a URL query string that query_parse_params() turns back into an
 * equivalent query ("query=graph+neural&limit=5&..."), for warming. Returns
 * an arena string or NULL. */
char *cache_query_params(const query_t *q, arena_t *a);

/* FNV-1a 64 of a NUL-terminated string (hash tables and Redis keys). */
uint64_t cache_hash(const char *s);

#endif
