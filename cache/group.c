#include <stdbool.h>
#include <stdlib.h>

#include "cache/cache.h"
#include "cache/group.h"
#include "cache/provider_cache.h"
#include "cache/tiers.h"
#include "core/shm.h"

typedef struct group_link {
    search_service_t svc;
    const cache_tiers_t *tiers;
    uint64_t seen; /* deletions of the ring applied to this worker's L1 */
} group_link_t;

static uint64_t deletions_seq(shm_cache_deletions_t *d)
{
    return __atomic_load_n(&d->seq, __ATOMIC_ACQUIRE);
}

void cache_group_delete(const char *key)
{
    shm_region_t *r = shm_get();
    if (!r) return;
    shm_cache_deletions_t *d = &r->cache_deletions;
    shm_lock(&d->lock);
    uint64_t n = d->seq + 1;
    d->ring[(n - 1) % SHM_CACHE_DELETIONS] = key ? cache_hash(key) : 0;
    __atomic_store_n(&d->seq, n, __ATOMIC_RELEASE);
    shm_unlock(&d->lock);
}

/* Applies the deletions this worker has not seen yet (copied under the
 * lock, applied after it: the other workers do not wait on our frees). */
static void group_sync(group_link_t *g)
{
    shm_region_t *r = shm_get();
    if (!r) return;
    shm_cache_deletions_t *d = &r->cache_deletions;
    if (deletions_seq(d) == g->seen) return;
    uint64_t hashes[SHM_CACHE_DELETIONS];
    size_t n = 0;
    bool all = false;
    shm_lock(&d->lock);
    uint64_t upto = d->seq;
    if (upto - g->seen > SHM_CACHE_DELETIONS)
        all = true; /* the ring moved past deletions we never saw */
    else
        for (uint64_t i = g->seen + 1; i <= upto; i++)
            hashes[n++] = d->ring[(i - 1) % SHM_CACHE_DELETIONS];
    shm_unlock(&d->lock);
    g->seen = upto;
    cache_l1_t *l1 = cache_l1_of(g->tiers->l1);
    if (g->tiers->providers) cache_provider_clear(g->tiers->providers);
    for (size_t i = 0; i < n && !all; i++) {
        if (hashes[i] == 0)
            all = true;
        else
            cache_l1_delete_hash(l1, hashes[i]);
    }
    if (all) cache_l1_clear(l1);
}

static void *group_fetch(search_service_t *self, const search_request_t *req, search_reply_cb cb,
                         void *data)
{
    group_link_t *g = self->ctx;
    group_sync(g);
    search_service_t *l1 = g->tiers->l1;
    return l1->fetch(l1, req, cb, data);
}

static void group_cancel(search_service_t *self, void *handle)
{
    group_link_t *g = self->ctx;
    g->tiers->l1->cancel(g->tiers->l1, handle);
}

search_service_t *cache_group_service(const cache_tiers_t *tiers)
{
    group_link_t *g = calloc(1, sizeof *g);
    if (!g) return NULL;
    g->tiers = tiers;
    shm_region_t *r = shm_get();
    /* A new worker's L1 is empty: older deletions are not its business. */
    if (r) g->seen = deletions_seq(&r->cache_deletions);
    g->svc = (search_service_t){.ctx = g, .fetch = group_fetch, .cancel = group_cancel};
    return &g->svc;
}

void cache_group_service_free(search_service_t *svc)
{
    if (svc) free(svc->ctx);
}
