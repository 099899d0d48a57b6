/* GET /v1/authors?query=..&limit&cursor and GET /v1/authors/{id}: author
 * search and profiles, live from Semantic Scholar and OpenAlex, merged by
 * core/authors.h (core/author_fetch.h for the fetch). {id} is orcid:...,
 * s2:<authorId> or openalex:A...; see docs/api.md. */
#ifndef SF_HTTP_HANDLERS_AUTHORS_H
#define SF_HTTP_HANDLERS_AUTHORS_H

#include <uv.h>

#include "core/author_fetch.h"
#include "core/blob_cache.h"
#include "http/router.h"

typedef struct http_authors_ctx {
    uv_loop_t *loop;
    const author_backend_t *be;
    unsigned enabled; /* bit per source enabled */
    int deadline_ms;
    /* whole search and profile answers, not partial ones (authors.cache_ttl); NULL: none */
    blob_cache_t *cache;
} http_authors_ctx_t;

/* The answer of an author search: status 200 or 502, body (malloc'd, the
 * callee's to free) the JSON of GET /v1/authors, NULL when out of memory. */
typedef void (*http_authors_answered_cb)(void *data, int status, char *body, size_t len);

/* For the MCP tool search_authors: GET /v1/authors?<qs> (query, limit,
 * cursor: the same rules, messages, cache and cursors) without an HTTP
 * request. Returns 0 and *handle, NULL when cb already ran (a cached
 * answer), else cb runs once later unless http__authors_search_cancel();
 * or -1 with err (a bad argument or out of memory; cb never runs). */
int http__authors_search(const http_authors_ctx_t *ctx, arena_t *a, const char *qs, size_t qs_len,
                         const char *traceparent, http_authors_answered_cb cb, void *data,
                         void **handle, char *err, size_t errlen);
void http__authors_search_cancel(void *handle);

/* Adds the routes (ctx must outlive the router). Returns 0, or -1. */
int http_authors_register(http_router_t *r, const http_authors_ctx_t *ctx);

#endif
