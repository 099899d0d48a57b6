/* DELETE /v1/cache for the whole worker group: each worker has its own
 * memory tier (L1), so a deletion made by one worker is written to a ring in
 * the shared-memory region (core/shm.h cache_deletions) and every worker
 * applies it to its own L1 before it next looks anything up there.
 *
 * This works without Redis (whose version key and deletion set do the same
 * across instances, cache/redis.h). A worker that fell more than
 * SHM_CACHE_DELETIONS deletions behind drops its whole L1: never a stale
 * answer, at worst a colder cache. */
#ifndef SF_CACHE_GROUP_H
#define SF_CACHE_GROUP_H

#include "cache/l1.h"
#include "core/search_service.h"

/* Tells every worker of the group, this one included, to drop key's entry
 * (NULL: every entry). A no-op without a shared region. */
void cache_group_delete(const char *key);

struct cache_tiers;

/* A link in front of tiers->l1 (an L1 service) that applies the group's
 * new deletions to it, then passes each fetch on. Any deletion also empties
 * tiers->providers, the per-provider results, as DELETE does in the worker
 * that takes it. tiers (cache/tiers.h) must outlive the link. Returns NULL
 * when out of memory. */
search_service_t *cache_group_service(const struct cache_tiers *tiers);

/* Frees the link (not l1). NULL is a no-op. */
void cache_group_service_free(search_service_t *svc);

#endif
