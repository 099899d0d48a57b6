/* The per-id lookup cache's shared tier (core/lookup_cache.h) on a Redis
 * link (cache/redis_link.h: its redis.command_timeout is the deadline of
 * each read). Keys are <redis.key_prefix>paper:<canonical id>, values the
 * paper's JSON, kept with SET PX papers.cache_ttl; the ids of one lookup
 * are read with one MGET. Not touched by DELETE /v1/cache (the search
 * tiers' version): a paper's entry goes when its TTL does. */
#ifndef SF_CACHE_LOOKUP_L2_H
#define SF_CACHE_LOOKUP_L2_H

#include "cache/redis_link.h"
#include "core/lookup_cache.h"

/* The tier on link (which the caller owns) with keys under prefix (copied).
 * Returns NULL when out of memory. */
lookup_cache_t *cache_lookup_l2_new(cache_redis_link_t *link, const char *prefix);

/* The link is about to go: reads are refused and writes dropped from now
 * on. Reads in the air still get their callbacks (the link fails them). */
void cache_lookup_l2_close(lookup_cache_t *c);

/* Frees the tier (after every lookup using it). NULL is a no-op. */
void cache_lookup_l2_free(lookup_cache_t *c);

#endif
