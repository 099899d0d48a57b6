/* GET /v1/analytics/popular?window=24h&limit=100: the most frequent
 * normalised queries over the window (what the cache warmer keeps warm). */
#ifndef SF_HTTP_HANDLERS_ANALYTICS_H
#define SF_HTTP_HANDLERS_ANALYTICS_H

#include "core/papers_repo.h"
#include "http/router.h"

/* Adds the route, reading from repo (which must outlive the router). repo
 * may be NULL (no store configured: it answers 503). */
int http_analytics_register(http_router_t *r, const papers_repo_t *repo);

#endif
