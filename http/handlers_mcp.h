/* /mcp: the Model Context Protocol over streamable HTTP (docs/mcp.md), in
 * the worker's own loop. POST carries JSON-RPC 2.0 (one message, or a
 * batch where the negotiated version has them) and is answered as JSON or,
 * when the client's Accept prefers it, as an SSE stream of the responses;
 * GET answers 405 (no server-initiated messages); DELETE ends a session.
 * Sessions are signed ids any worker checks (http/mcp_session.h); Origin is
 * checked against mcp.origins; keys, limits and CORS are the middleware's,
 * its refusals written as JSON-RPC errors. The tools are http/mcp_tools.h. */
#ifndef SF_HTTP_HANDLERS_MCP_H
#define SF_HTTP_HANDLERS_MCP_H

#include "http/mcp_tools.h"
#include "http/router.h"

typedef struct http_mcp http_mcp_t;

/* Adds the routes; tools (copied) says where the tools' answers come from.
 * Returns the endpoint for http_mcp_free(), or NULL when out of memory. */
http_mcp_t *http_mcp_register(http_router_t *r, const http_mcp_ctx_t *tools);
void http_mcp_free(http_mcp_t *m);

#endif
