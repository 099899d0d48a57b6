/* The cache tiers as main.c sees them: one call builds the links in front
 * of a search service (L1 memory -> single-flight -> L2 Redis -> next),
 * one gives the administration the cache endpoints use (core/cache_admin.h),
 * one stops them on drain, one frees them. */
#ifndef SF_CACHE_TIERS_H
#define SF_CACHE_TIERS_H

#include <uv.h>

#include "cache/provider_cache.h"
#include "cache/redis_link.h"
#include "core/cache_admin.h"
#include "core/config.h"
#include "core/search_service.h"

/* The PostgreSQL tier's deletion: drops key's row (NULL: every row);
 * done(data, ok) runs once, later. Returns 0, or -1 when it could not start
 * (done is not called). store_l3_delete() has this shape. */
typedef int (*cache_l3_delete_fn)(void *l3, const char *key, void (*done)(void *data, bool ok),
                                  void *data);

typedef struct cache_tiers {
    const sf_config_t *cfg;
    search_service_t *head; /* what the handlers ask: L1, or next when cache.enabled is off */
    search_service_t *l1, *sflight, *l2; /* each NULL when not configured */
    search_service_t *group;             /* the group's deletions, in front of l1 */
    cache_provider_t *providers;         /* the per-provider results, or NULL */
    cache_l3_delete_fn l3_delete;        /* or NULL */
    void *l3;
    cache_admin_t admin;
    bool stopped;
} cache_tiers_t;

/* Builds the tiers in front of next from cfg (cache.*, redis.*): L2 only
 * with a usable redis.url, all of them only with cache.enabled. Returns
 * NULL when out of memory. */
cache_tiers_t *cache_tiers_new(uv_loop_t *loop, const sf_config_t *cfg, search_service_t *next);

/* The head of the chain: what the search handlers ask. */
search_service_t *cache_tiers_service(cache_tiers_t *t);

/* What a flush also empties: the per-provider results (NULL: none), the
 * PostgreSQL tier (del NULL: none). Both must outlive the tiers. */
void cache_tiers_set_providers(cache_tiers_t *t, cache_provider_t *providers);
void cache_tiers_set_l3(cache_tiers_t *t, cache_l3_delete_fn del, void *l3);

/* Flush and stats for DELETE /v1/cache and GET /v1/cache/stats; valid as
 * long as t. */
cache_admin_t *cache_tiers_admin(cache_tiers_t *t);

/* "ok", "degraded" (Redis configured but not usable: answers go on without
 * it) or "disabled": the Redis check of /health/ready. */
const char *cache_tiers_redis_state(const cache_tiers_t *t);

/* L2's Redis link, or NULL without L2: the client rate limit's scripts
 * share it. */
cache_redis_link_t *cache_tiers_redis_link(const cache_tiers_t *t);

/* Once the HTTP side is done (drain or close), while the loop still runs:
 * cancels background refreshes and warming, closes Redis. Idempotent. */
void cache_tiers_stop(cache_tiers_t *t);

/* Frees everything (after the loop stopped). NULL is a no-op. */
void cache_tiers_free(cache_tiers_t *t);

#endif
