/* GET /v1/papers/{id} and GET /v1/papers: papers kept by the store.
 * {id} is the internal id, "doi:10..." or "arxiv:2401.01234" (percent-
 * encoded or not: a DOI's slashes may stay). The list is newest first with
 * keyset pagination (next_cursor). 503 + Retry-After while PostgreSQL is
 * unreachable; see docs/store.md. */
#ifndef SF_HTTP_HANDLERS_PAPERS_H
#define SF_HTTP_HANDLERS_PAPERS_H

#include "core/export.h"
#include "core/papers_repo.h"
#include "http/mcp_tools.h"
#include "http/router.h"

/* Adds the routes, reading from repo (which must outlive the router). repo
 * may be NULL (no store configured: they answer 503). */
int http_papers_register(http_router_t *r, const papers_repo_t *repo);

/* The paper lookup of /v1/papers/{id} for the MCP tool get_paper
 * (http/mcp_tools.h); all NULL when repo is NULL. */
http_mcp_papers_t http_papers_for_mcp(const papers_repo_t *repo);

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
