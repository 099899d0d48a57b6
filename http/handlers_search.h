/* GET and POST /v1/search, POST /v1/search/batch: queries in, answers out,
 * through the search service chain (core/search_service.h). */
#ifndef SF_HTTP_HANDLERS_SEARCH_H
#define SF_HTTP_HANDLERS_SEARCH_H

#include "core/config.h"
#include "core/search_service.h"
#include "http/router.h"

#include <stdint.h>

/* Told of every search answered, cached or not (analytics, metrics). */
typedef void (*http_search_observer)(void *data, const query_t *q, const search_reply_t *r);

/* Told of every search answered too, once its answer is written (a single
 * search) or as its result comes (a batch's): the answer, its request's id
 * and start (clock_now_ns()). For events (store/events.h). */
typedef void (*http_search_answered_fn)(void *data, const search_reply_t *r, const char *request_id,
                                        uint64_t start_ns);

typedef struct http_search_ctx {
    const sf_config_t *cfg;
    search_service_t *service;    /* the head of the chain */
    http_search_observer observe; /* optional */
    void *observe_data;
    http_search_answered_fn answered; /* optional */
    void *answered_data;
} http_search_ctx_t;

/* Adds the routes; ctx must outlive the router. Returns 0 or -1. */
int http_search_register(http_router_t *r, http_search_ctx_t *ctx);

#endif
