/* GET /v1/providers: each provider's state, limits and recent figures. */
#ifndef SF_HTTP_HANDLERS_PROVIDERS_H
#define SF_HTTP_HANDLERS_PROVIDERS_H

#include "http/router.h"

typedef struct http_providers_ctx {
    /* Returns a malloc'd JSON object of the providers, keyed by name, or NULL. */
    char *(*describe)(void *data);
    void *data;
} http_providers_ctx_t;

/* Adds the route; ctx must outlive the router. Returns 0 or -1. */
int http_providers_register(http_router_t *r, http_providers_ctx_t *ctx);

#endif
