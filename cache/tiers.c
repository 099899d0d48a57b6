#include <stdlib.h>
#include <string.h>

#include "cache/group.h"
#include "cache/l1.h"
#include "cache/redis.h"
#include "cache/singleflight.h"
#include "cache/tiers.h"
#include "core/log.h"

static void flush_l1(void *ctx)
{
    cache_l1_clear(cache_l1_of(ctx));
}

static void drop_l1(void *ctx, const char *key)
{
    cache_l1_delete(cache_l1_of(ctx), key);
}

/* ---- flush ---------------------------------------------------------------- */

/* A flush waiting for Redis and PostgreSQL. */
typedef struct flush_op {
    char *key;   /* one query; NULL: everything */
    int pending; /* tiers still to answer, plus one while starting */
    cache_flush_result_t r;
    cache_flush_done_fn done;
    void *data;
} flush_op_t;

static void flush_step(flush_op_t *op)
{
    if (--op->pending > 0) return;
    op->done(op->data, &op->r);
    free(op->key);
    free(op);
}

static void on_redis_deleted(void *data, bool ok)
{
    flush_op_t *op = data;
    op->r.redis = ok ? CACHE_TIER_DONE : CACHE_TIER_FAILED;
    flush_step(op);
}

static void on_bumped(void *data, int64_t version)
{
    flush_op_t *op = data;
    op->r.redis = version >= 0 ? CACHE_TIER_DONE : CACHE_TIER_FAILED;
    op->r.version = version;
    flush_step(op);
}

static void on_l3_deleted(void *data, bool ok)
{
    flush_op_t *op = data;
    op->r.postgres = ok ? CACHE_TIER_DONE : CACHE_TIER_FAILED;
    flush_step(op);
}

static int tiers_flush(void *ctx, const char *key, cache_flush_done_fn done, void *data)
{
    cache_tiers_t *t = ctx;
    flush_op_t *op = calloc(1, sizeof *op);
    if (!op || (key && !(op->key = strdup(key)))) {
        free(op);
        return -1;
    }
    op->r = (cache_flush_result_t){
        .redis = CACHE_TIER_ABSENT, .postgres = CACHE_TIER_ABSENT, .version = -1};
    op->done = done;
    op->data = data;
    if (key)
        op->r.memory = t->l1 && cache_l1_delete(cache_l1_of(t->l1), key);
    else if (t->l1)
        cache_l1_clear(cache_l1_of(t->l1));
    cache_group_delete(key); /* the other workers' memory tiers */
    /* Provider results are keyed by text and filters: cheaper to drop them all. */
    if (t->providers) cache_provider_clear(t->providers);
    /* The lower tiers, at once: Redis (the key, or the version for
     * everything) and PostgreSQL (the row, or every row). */
    op->pending = 1;
    if (t->l2) {
        op->pending++;
        int rc = key ? cache_redis_delete(t->l2, op->key, on_redis_deleted, op)
                     : cache_redis_bump(t->l2, on_bumped, op);
        if (rc < 0) { /* not ready: no callback comes */
            op->pending--;
            op->r.redis = CACHE_TIER_FAILED;
        }
    }
    if (t->l3_delete) {
        op->pending++;
        if (t->l3_delete(t->l3, op->key, on_l3_deleted, op) < 0) {
            op->pending--;
            op->r.postgres = CACHE_TIER_FAILED;
        }
    }
    flush_step(op);
    return 0;
}

/* ---- stats ---------------------------------------------------------------- */

static void tiers_stats(void *ctx, cache_admin_stats_t *out)
{
    cache_tiers_t *t = ctx;
    *out = (cache_admin_stats_t){.enabled = t->cfg->cache.enabled};
    if (t->l1) {
        out->memory_on = true;
        out->memory = *cache_l1_stats(cache_l1_of(t->l1));
        out->memory_max_bytes = t->cfg->cache.l1_max_bytes;
        out->memory_refreshing = cache_l1_refreshing(t->l1);
    }
    if (t->sflight) {
        const cache_stats_t *s = cache_singleflight_stats(t->sflight);
        out->single_flight_on = true;
        out->flights = cache_singleflight_flights(t->sflight);
        out->started = s->misses;
        out->joined = s->joined;
    }
    if (t->l2) {
        out->redis_on = true;
        out->redis = cache_redis_stats(t->l2);
        out->redis_state = cache_redis_state(t->l2);
        out->redis_version = cache_redis_version(t->l2);
    }
    if (t->providers) {
        cache_provider_stats_t ps = cache_provider_stats(t->providers);
        out->providers_on = true;
        out->p_hits = ps.hits;
        out->p_misses = ps.misses;
        out->p_stores = ps.stores;
        out->p_evictions = ps.evictions;
        out->p_entries = ps.entries;
        out->p_bytes = ps.bytes;
    }
}

/* ---- the tiers ------------------------------------------------------------ */

cache_tiers_t *cache_tiers_new(uv_loop_t *loop, const sf_config_t *cfg, search_service_t *next)
{
    cache_tiers_t *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->head = next;
    t->cfg = cfg;
    t->admin = (cache_admin_t){.ctx = t, .flush = tiers_flush, .stats = tiers_stats};
    if (!cfg->cache.enabled) return t;
    search_service_t *below = next;
    if (cfg->redis.url[0]) {
        t->l2 = cache_redis_service(next, loop, cfg);
        if (t->l2)
            below = t->l2;
        else
            log_write(LOG_WARN, "running without the Redis tier", LF_STR, "url", cfg->redis.url,
                      LF_END);
    }
    t->sflight = cache_singleflight_service(below);
    if (!t->sflight) goto oom;
    cache_l1_opts_t o = {
        .max_bytes = (size_t)cfg->cache.l1_max_bytes,
        .ttl_ms = cfg->cache.ttl_ms,
        .stale_ms = cfg->cache.stale_ms,
        .partial_ttl_ms = cfg->cache.ttl_ms < SEARCH_PARTIAL_TTL_MAX_MS ? cfg->cache.ttl_ms
                                                                        : SEARCH_PARTIAL_TTL_MAX_MS,
        .gzip = cfg->cache.gzip,
        .gzip_level = cfg->compression.level,
        .loop = loop,
        .note = t->l2 ? cache_redis_note : NULL,
        .note_ctx = t->l2,
    };
    t->l1 = cache_l1_service(t->sflight, &o);
    if (!t->l1) goto oom;
    if (t->l2) cache_redis_set_hooks(t->l2, flush_l1, drop_l1, t->l1);
    t->group = cache_group_service(t);
    if (!t->group) goto oom;
    t->head = t->group;
    return t;
oom:
    cache_tiers_stop(t); /* timers close once the loop runs */
    free(t);
    return NULL;
}

search_service_t *cache_tiers_service(cache_tiers_t *t)
{
    return t->head;
}

void cache_tiers_set_providers(cache_tiers_t *t, cache_provider_t *providers)
{
    t->providers = providers;
}

void cache_tiers_set_l3(cache_tiers_t *t, cache_l3_delete_fn del, void *l3)
{
    t->l3_delete = del;
    t->l3 = l3;
}

cache_admin_t *cache_tiers_admin(cache_tiers_t *t)
{
    return &t->admin;
}

const char *cache_tiers_redis_state(const cache_tiers_t *t)
{
    return t->l2 ? cache_redis_state(t->l2) : "disabled";
}

cache_redis_link_t *cache_tiers_redis_link(const cache_tiers_t *t)
{
    return t->l2 ? cache_redis_link_of(t->l2) : NULL;
}

void cache_tiers_stop(cache_tiers_t *t)
{
    if (!t || t->stopped) return;
    t->stopped = true;
    /* From the top: each link cancels what it asked of the one below. */
    cache_group_service_free(t->group);
    cache_l1_service_free(t->l1);
    cache_singleflight_free(t->sflight);
    cache_redis_service_free(t->l2); /* the memory goes once its timers are closed */
    t->group = t->l1 = t->sflight = t->l2 = NULL;
}

void cache_tiers_free(cache_tiers_t *t)
{
    if (!t) return;
    if (!t->stopped) { /* the loop never ran with requests (start failed) */
        cache_group_service_free(t->group);
        cache_l1_service_free(t->l1);
        cache_singleflight_free(t->sflight);
        cache_redis_service_discard(t->l2);
    }
    free(t);
}
