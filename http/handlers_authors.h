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

/* Adds the routes (ctx must outlive the router). Returns 0, or -1. */
int http_authors_register(http_router_t *r, const http_authors_ctx_t *ctx);

#endif
