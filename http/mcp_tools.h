/* The MCP tools: their JSON Schemas (tools/list) and tools/call, each a
 * thin call into what the HTTP API already uses: `search` goes through the
 * same search service chain as /v1/search (caches, single-flight, limits;
 * its arguments are /v1/search's, checked by the same query parser), and
 * `get_paper` through the store lookup behind /v1/papers/{id}. What they
 * add is the rendering for agents: a `fields` preset, a byte budget with
 * next_cursor, and every provider's status (retry_after_seconds when one
 * is throttled or its breaker open), so a failed provider is never a
 * silent empty list.
 *
 * Rendering a search answer parses the cached answer's bytes (jansson), so
 * the rendering of each complete answer is kept, per worker, by the answer's
 * ETag, the tier and the preset (RENDERS entries): the next L1 hit of the
 * same call is that text, with nothing parsed again. */
#ifndef SF_HTTP_MCP_TOOLS_H
#define SF_HTTP_MCP_TOOLS_H

#include <jansson.h>

#include "core/arena.h"
#include "core/blob.h"
#include "core/cites_cache.h"
#include "core/config.h"
#include "core/search_service.h"
#include "http/handlers_authors.h"
#include "http/handlers_search.h"

/* One stored paper by id (internal, doi:..., arxiv:...): cb gets status 200
 * with the paper's JSON object text, or 400/404/503/500 with a message
 * (retry_after_s > 0 for a 503). cb runs exactly once, maybe before get()
 * returns (then get() returns NULL), unless cancel() comes first. */
typedef void (*http_mcp_paper_cb)(void *data, int status, const char *paper_json,
                                  const char *message, int retry_after_s);
typedef struct http_mcp_papers {
    void *ctx; /* NULL with get: no store */
    void *(*get)(void *ctx, arena_t *a, const char *id, http_mcp_paper_cb cb, void *data);
    void (*cancel)(void *ctx, void *handle);
} http_mcp_papers_t;

typedef struct http_mcp_ctx {
    const sf_config_t *cfg;
    /* The search chain, as /v1/search's: fetch() from its head; each answer
     * is told to its observers as answered (not sent: no HTTP request). */
    const search_chain_t *chain;
    http_mcp_papers_t papers;
    cites_cache_t *cites; /* get_citations: the lists of /v1/papers/{id}/citations; NULL: none */
    const http_authors_ctx_t *authors; /* search_authors: /v1/authors's; NULL: none */
} http_mcp_ctx_t;

/* {"tools": [...]}: a new reference. */
json_t *http_mcp_tools_list(void);

/* The answer of a tools/call: a CallToolResult as JSON text (a blob the
 * callee keeps its own reference to: ref it to keep it), or, when result
 * is NULL, a JSON-RPC error (code, message). */
typedef void (*http_mcp_call_cb)(void *data, blob_t *result, int code, const char *message);

/* Runs tools/call with params (borrowed, kept alive by the caller until
 * done). done runs exactly once; when it ran before this returns, NULL is
 * returned, else a handle for http_mcp_tool_cancel(). traceparent may be
 * NULL. Memory from a. */
void *http_mcp_tool_call(const http_mcp_ctx_t *ctx, arena_t *a, json_t *params,
                         const char *traceparent, http_mcp_call_cb done, void *data);

/* The caller is gone: done will not run. */
void http_mcp_tool_cancel(const http_mcp_ctx_t *ctx, void *handle);

#endif
