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

/* Makes the gzip copy of r's body when r has none, at level (1..9, as
 * compression.level): sets out->body_deflate
 * (a new blob the caller unrefs with blob_unref(*made)) and body_crc32.
 * out starts as a copy of *r. Returns 0, or -1 when compression failed (out
 * is then a plain copy without deflate). */
int cache_reply_with_deflate(const search_reply_t *r, int level, search_reply_t *out,
                             blob_t **made);

/* q as a URL query string that query_parse_params() turns back into an
 * equivalent query ("query=graph+neural&limit=5&..."), for warming. Returns
 * an arena string or NULL. */
char *cache_query_params(const query_t *q, arena_t *a);

/* FNV-1a 64 of a NUL-terminated string (hash tables and Redis keys). */
uint64_t cache_hash(const char *s);

/* Wall-clock milliseconds (CLOCK_REALTIME): ages shared between processes. */
int64_t cache_wall_ms(void);

#endif
