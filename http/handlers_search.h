/* GET and POST /v1/search: a query in, the merged answer out. */
#ifndef SF_HTTP_HANDLERS_SEARCH_H
#define SF_HTTP_HANDLERS_SEARCH_H

#include <uv.h>

#include "core/config.h"
#include "core/search.h"
#include "http/router.h"

typedef struct http_search_ctx {
    uv_loop_t *loop;
    const sf_config_t *cfg;
    const search_backend_t *backend;
    unsigned enabled; /* bit per source_t */
} http_search_ctx_t;

/* Adds the routes; ctx must outlive the router. Returns 0 or -1. */
int http_search_register(http_router_t *r, http_search_ctx_t *ctx);

#endif
