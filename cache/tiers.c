#include <stdlib.h>

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

cache_tiers_t *cache_tiers_new(uv_loop_t *loop, const sf_config_t *cfg, search_service_t *next)
{
    cache_tiers_t *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->head = next;
    t->http.cfg = cfg;
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
        .note = t->l2 ? cache_redis_note : NULL,
        .note_ctx = t->l2,
    };
    t->l1 = cache_l1_service(t->sflight, &o);
    if (!t->l1) goto oom;
    if (t->l2) cache_redis_set_hooks(t->l2, flush_l1, drop_l1, t->l1);
    t->http.l1 = t->l1;
    t->http.sflight = t->sflight;
    t->http.l2 = t->l2;
    t->group = cache_group_service(&t->http);
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

int cache_tiers_register(cache_tiers_t *t, http_router_t *r)
{
    return http_cache_register(r, &t->http);
}

const char *cache_tiers_redis_state(const cache_tiers_t *t)
{
    return http_cache_redis_state(&t->http);
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
    t->http.l1 = t->http.sflight = t->http.l2 = NULL;
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
