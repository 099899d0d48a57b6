/* GET /v1/analytics/popular?window=24h&limit=100: the most frequent
 * normalised queries over the window (what the cache warmer keeps warm). */
#ifndef SF_HTTP_HANDLERS_ANALYTICS_H
#define SF_HTTP_HANDLERS_ANALYTICS_H

#include "http/router.h"
#include "store/store.h"

/* Adds the route. st may be NULL (no store configured: it answers 503). */
int http_analytics_register(http_router_t *r, store_t *st);

#endif
