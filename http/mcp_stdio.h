/* `scifind mcp --url URL`: MCP over stdio for local agents, forwarded to
 * a running scifind's /mcp. Reads JSON-RPC messages, one per line, from
 * in, posts each to URL (keeping the Mcp-Session-Id and the negotiated
 * MCP-Protocol-Version), and writes every answer as one line to out;
 * logs go to stderr. A key in the environment variable SCIFIND_API_KEY is
 * sent as Authorization: Bearer. Blocking I/O: this is a process of its
 * own with one client, not a worker. */
#ifndef SF_HTTP_MCP_STDIO_H
#define SF_HTTP_MCP_STDIO_H

#include <stdio.h>

/* Runs until in ends. Returns 0, or 2 when url is not http://HOST:PORT[/PATH]. */
int http_mcp_stdio(const char *url, FILE *in, FILE *out);

#endif
