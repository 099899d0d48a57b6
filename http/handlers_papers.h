/* GET /v1/papers/{id} and GET /v1/papers: papers kept by the store.
 * {id} is the internal id, "doi:10..." or "arxiv:2401.01234" (percent-
 * encoded or not: a DOI's slashes may stay). The list is newest first with
 * keyset pagination (next_cursor). 503 + Retry-After while PostgreSQL is
 * unreachable; see docs/store.md. */
#ifndef SF_HTTP_HANDLERS_PAPERS_H
#define SF_HTTP_HANDLERS_PAPERS_H

#include "core/export.h"
#include "core/lookup.h"
#include "core/papers_repo.h"
#include "http/mcp_tools.h"
#include "http/router.h"

typedef struct http_papers_ctx {
    const papers_repo_t *repo; /* NULL: no store (the list answers 503) */
    lookup_service_t *lookup;  /* live lookups; NULL: GET /v1/papers/{id} reads the store only */
} http_papers_ctx_t;

/* Adds the routes: GET /v1/papers, GET /v1/papers/{id} (live: cache, store,
 * providers), POST /v1/papers/batch, GET /v1/search/papers/{provider}/{id}.
 * ctx must outlive the router. */
int http_papers_register(http_router_t *r, const http_papers_ctx_t *ctx);

/* http/handlers_lookup.c: answers req with the live lookup of raw (a paper
 * id as the client wrote it); only: 0, or the one provider to ask. */
void http__papers_live(http_req_t *req, lookup_service_t *svc, const char *raw, unsigned only);
/* POST /v1/papers/batch. */
void http__papers_batch_handler(http_req_t *req);

/* The paper lookup of /v1/papers/{id} for the MCP tool get_paper
 * (http/mcp_tools.h): the live lookup when ctx has one, else the store's
 * read; all NULL with neither. */
http_mcp_papers_t http_papers_for_mcp(const http_papers_ctx_t *ctx);
/* http/handlers_lookup.c: get_paper by the live lookup. */
void *http__mcp_live_get(lookup_service_t *svc, arena_t *a, const char *id, http_mcp_paper_cb cb,
                         void *data);
void http__mcp_live_cancel(void *handle);

/* Shared with handlers_analytics.c. The store 503 (Retry-After). */
void http__store_unavailable(http_req_t *req, int retry_after_s, const char *why);
/* True when repo can take a read; otherwise answers req with the 503 and
 * returns false. */
bool http__store_usable(http_req_t *req, const papers_repo_t *repo);
/* Answers a read that was not PAPERS_OK: 503 (unreachable, statement
 * timeout), 404 or 500. */
void http__store_failed(http_req_t *req, const papers_answer_t *a);
/* The rendering an endpoint answers in (core/export.h), for every handler
 * that has papers: value is its format= parameter (NULL when absent: then
 * the Accept header chooses, JSON without one). Returns true with *format
 * set, or false when req has been answered: 400 naming an unknown format,
 * 406 (as JSON) for an Accept that takes none of the four types. Answer
 * with export_content_type(*format) and "Vary: Accept" when value was NULL. */
bool http__export_format(http_req_t *req, const char *value, export_format_t *format);
/* Answers a read the repository could not take (it returned NULL): 503. */
void http__store_refused(http_req_t *req, const papers_repo_t *repo);
/* Next "key=value" pair of a query string, percent-decoded into the arena.
 * Returns 1 with *key and *value, 0 at the end, -1 on bad encoding. */
int http__next_param(arena_t *a, const char **qs, const char **key, const char **value);

#endif
