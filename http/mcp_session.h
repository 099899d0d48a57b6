/* MCP session ids (Mcp-Session-Id) that any worker of the group, and any
 * instance given the same mcp.session_secret, can check without asking
 * anyone: nothing is stored per session.
 *
 * An id is 28 hex digits of payload (the negotiated protocol version's
 * index, the issue time in seconds, a random 64-bit nonce) and 32 hex
 * digits of HMAC-SHA-256 over them, truncated to 128 bits. The key is
 * mcp.session_secret when set (several instances behind one proxy), else
 * the random key the master put in the shared region before fork (every
 * worker of this group; a restart of the master ends every session, and
 * clients start a new one on the 404).
 *
 * Sessions end after mcp.session_ttl, or earlier on DELETE /mcp: the nonce
 * is kept in the shared region's table until the id would have expired,
 * for this group only (another instance still takes it). */
#ifndef SF_HTTP_MCP_SESSION_H
#define SF_HTTP_MCP_SESSION_H

#include <stddef.h>
#include <stdint.h>

#define HTTP_MCP_SESSION_LEN 60

typedef struct http_mcp_session {
    int version;      /* index into the caller's list of protocol versions */
    int64_t issued_s; /* wall clock */
    uint64_t nonce;
} http_mcp_session_t;

/* Makes a new id for version into out (HTTP_MCP_SESSION_LEN + 1 bytes).
 * secret "" picks the group's key. Returns 0, or -1 when no random bytes. */
int http_mcp_session_new(const char *secret, int version, int64_t now_s, char *out);

/* Checks id. Returns 0 with *s filled, -1 when it is not one of ours (bad
 * form or signature), -2 when it has expired (ttl_s) or was ended. */
int http_mcp_session_check(const char *secret, const char *id, int64_t now_s, int64_t ttl_s,
                           http_mcp_session_t *s);

/* Ends the session s (until it would have expired). */
void http_mcp_session_end(const http_mcp_session_t *s, int64_t ttl_s, int64_t now_s);

#endif
