/* The cache's endpoints:
 *   DELETE /v1/cache?query=...   one query's entries (the same parameters
 *                                as GET /v1/search)
 *   DELETE /v1/cache             everything: the key version is bumped,
 *                                the PostgreSQL tier emptied
 *   GET /v1/cache/stats          per tier: hits, misses, errors, bytes,
 *                                evictions... of the worker that answers
 * (admin only once auth exists). */
#ifndef SF_HTTP_HANDLERS_CACHE_H
#define SF_HTTP_HANDLERS_CACHE_H

#include "core/config.h"
#include "core/search_service.h"
#include "http/router.h"

typedef struct http_cache_ctx {
    const sf_config_t *cfg;
    search_service_t *l1;             /* cache_l1_service(), or NULL */
    search_service_t *sflight;        /* cache_singleflight_service(), or NULL */
    search_service_t *l2;             /* cache_redis_service(), or NULL */
    struct cache_provider *providers; /* the per-provider result cache, or NULL */
    /* The PostgreSQL tier's deletion, or NULL: drops key's row (NULL: every
     * row); done(data, ok) runs once, later. Returns 0, or -1 when it could
     * not start (done is not called). */
    int (*l3_delete)(void *l3, const char *key, void (*done)(void *data, bool ok), void *data);
    void *l3;
} http_cache_ctx_t;

/* Adds the routes; ctx must outlive the router. Returns 0 or -1. */
int http_cache_register(http_router_t *r, http_cache_ctx_t *ctx);

/* The Redis tier's state for /health/ready: "ok", "degraded" (configured
 * but not usable: the service answers without it) or "disabled". */
const char *http_cache_redis_state(const http_cache_ctx_t *ctx);

#endif
