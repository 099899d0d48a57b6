/* GET /v1/papers/{id}/citations and /v1/papers/{id}/references: who cites
 * a paper and what it cites, merged from Semantic Scholar and OpenAlex
 * (core/cites.h for the answer, core/cites_cache.h for the lists). {id} is
 * any id core/paper_id.h reads but the store's own number (a DOI's slashes
 * may stay). Parameters: limit, cursor, year_from, year_to, min_citations,
 * sort; see docs/api.md. */
#ifndef SF_HTTP_HANDLERS_CITATIONS_H
#define SF_HTTP_HANDLERS_CITATIONS_H

#include "core/cites_cache.h"
#include "http/router.h"

/* Adds the routes, answering from cache (which must outlive the router).
 * Register them before GET /v1/papers/{a}/{b}...: routes are tried in
 * order. Returns 0, or -1 when out of memory. */
int http_citations_register(http_router_t *r, cites_cache_t *cache);

#endif
