/* PUT /v1/providers/{name} (admin scope, checked by the middleware):
 * changes a provider at run time for the whole worker group, through its
 * shared-memory record (core/shm.h shm_provider_t admin_* fields, and its
 * token bucket). Body, every member optional:
 *
 *     {"enabled": false, "timeout_ms": 2500,
 *      "rate_limit": {"interval_ms": 1000, "burst": 2}}
 *
 * "enabled": true gives back a provider an administrator disabled; a
 * provider off in the configuration cannot be turned on (409). The
 * changes last until the master restarts (a SIGHUP reload resets the rate
 * limit to the configuration's only where an administrator did not set it). */
#ifndef SF_HTTP_HANDLERS_ADMIN_H
#define SF_HTTP_HANDLERS_ADMIN_H

#include "core/config.h"
#include "http/router.h"

typedef struct http_admin_ctx {
    const sf_config_t *cfg;
} http_admin_ctx_t;

/* Adds the route; ctx must outlive the router. Returns 0 or -1. */
int http_admin_register(http_router_t *r, http_admin_ctx_t *ctx);

#endif
