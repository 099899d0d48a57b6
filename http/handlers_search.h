/* GET and POST /v1/search, POST /v1/search/batch: queries in, answers out,
 * through the search service chain (core/search_service.h). */
#ifndef SF_HTTP_HANDLERS_SEARCH_H
#define SF_HTTP_HANDLERS_SEARCH_H

#include "core/config.h"
#include "core/search_service.h"
#include "http/router.h"

#include <stdint.h>

/* Every answer is told to the chain's observers: answered (cached or not),
 * then sent, with the request's id and start, once written (a single
 * search) or as it comes (a batch's). */
typedef struct http_search_ctx {
    const sf_config_t *cfg;
    const search_chain_t *chain; /* fetch() from its head */
} http_search_ctx_t;

/* Adds the routes; ctx must outlive the router. Returns 0 or -1. */
int http_search_register(http_router_t *r, http_search_ctx_t *ctx);

#endif
