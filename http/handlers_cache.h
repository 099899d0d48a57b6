/* The cache's endpoints:
 *   DELETE /v1/cache?query=...   one query's entries (the same parameters
 *                                as GET /v1/search)
 *   DELETE /v1/cache             everything: the key version is bumped,
 *                                the PostgreSQL tier emptied
 *   GET /v1/cache/stats          per tier: hits, misses, errors, bytes,
 *                                evictions... of the worker that answers
 * (admin routes). What they ask of the tiers is core/cache_admin.h. */
#ifndef SF_HTTP_HANDLERS_CACHE_H
#define SF_HTTP_HANDLERS_CACHE_H

#include "core/cache_admin.h"
#include "http/router.h"

/* Adds the routes; admin must outlive the router. Returns 0 or -1. */
int http_cache_register(http_router_t *r, cache_admin_t *admin);

#endif
