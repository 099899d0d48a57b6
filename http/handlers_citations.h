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

/* What the routes and the MCP tool get_citations share. */
#define HTTP_CITES_ID_FORMS "doi:, arxiv:, s2:, corpus:, openalex:, pmid:"

/* The ids each provider knows raw by (a paper id, not the store's number).
 * Returns 0, -1 when raw is not such an id, -2 when out of memory. */
int http__cites_ids(arena_t *a, const char *raw, cites_ids_t *ids);

/* The merged list of a fetch's result r into *list, and ans's list,
 * providers (cached: those that answered are "cached"), truncated and
 * partial; ans's dir, id, params and key are the caller's. Returns the
 * HTTP status (200, or 502 when every provider asked failed), or -1 when
 * out of memory. */
int http__cites_answer(arena_t *a, const cites_result_t *r, bool cached, cites_answer_t *ans,
                       cite_list_t *list);

#endif
