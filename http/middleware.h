/* The one middleware of the HTTP server (http_hooks_t), composing, in this
 * order, for every routed request:
 *
 *   1. trace      traceparent accepted or started (http/trace.h)
 *   2. metrics    requests and searches in flight (+1 here, -1 in after)
 *   3. CORS       a preflight is answered 204 here (http/cors.h)
 *   4. open routes  HTTP_ROUTE_OPEN (probes, /metrics, the page's files):
 *                 nothing below
 *   5. auth       401 without a valid key when required, 403 without the
 *                 scope: admin for HTTP_ROUTE_ADMIN routes, read for the
 *                 others. The class is the route's own (http_router_add()),
 *                 so a new admin route is closed without a word here.
 *   6. rate limit 429 past the client's token bucket (http/client_limit.h);
 *                 an admitted request is also taken, without waiting, from
 *                 the client's bucket across instances (http_mw_share_limit)
 *   7. shedding   503 for a HTTP_ROUTE_SEARCH request past shed.max_in_flight searches in
 *                 flight in this worker
 *
 * headers() adds to every answer: traceparent, CORS, RateLimit-*; after()
 * counts the answer in the metrics. See docs/operations-metrics.md. */
#ifndef SF_HTTP_MIDDLEWARE_H
#define SF_HTTP_MIDDLEWARE_H

#include <stddef.h>

#include "core/config.h"
#include "http/auth.h"
#include "http/client_limit.h"
#include "http/server.h"

typedef struct http_mw http_mw_t;

/* Builds the middleware from cfg (which must outlive it): loads keys,
 * parses trusted proxies and origins, claims this worker's metrics slot.
 * Returns it, or NULL with a message in err. */
http_mw_t *http_mw_new(const sf_config_t *cfg, char *err, size_t errlen);

/* The store will hand over the keys of its api_keys table: until it has,
 * a key that is not in the configuration gets 503 (not 401). */
void http_mw_expect_store_keys(http_mw_t *mw);

/* Replaces the store's keys with keys (owned from now on): core/main.c
 * hands it each set the store loads. */
void http_mw_set_store_keys(void *mw, http_auth_t *keys);

/* From now on, each request the client rate limit admits is also taken
 * from the client's bucket across instances through shared (Redis; see
 * http/client_limit.h), which must outlive its use; NULL stops that. */
void http_mw_share_limit(http_mw_t *mw, const http_limit_shared_t *shared);

/* The hooks to give http_server_set_hooks(). */
const http_hooks_t *http_mw_hooks(http_mw_t *mw);

/* Frees it and gives the metrics slot back. */
void http_mw_free(http_mw_t *mw);

#endif
