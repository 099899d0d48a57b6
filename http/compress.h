/* gzip for answers built per request (errors, /v1/providers, /metrics,
 * batch answers): compressed with zlib when the client accepts gzip and the
 * body is at least compression.min_bytes. Cached search answers do not come
 * here: they are spliced from a DEFLATE stream made once (gzip_splice.h).
 * Every answer that could have been compressed says Vary: Accept-Encoding. */
#ifndef SF_HTTP_COMPRESS_H
#define SF_HTTP_COMPRESS_H

#include <stdbool.h>
#include <stddef.h>

#include "http/request.h"

/* Sets the policy for this process (from compression.*; the middleware
 * calls it at start). Default: enabled, 1024 bytes, level 5. */
void http_compress_configure(bool enabled, size_t min_bytes, int level);

/* Does the request accept gzip (Accept-Encoding: gzip, x-gzip or *, with a
 * q-value above 0; gzip or x-gzip named outright win over *)? The one
 * Accept-Encoding parser: every answer that may be gzip asks it. */
bool http_accepts_gzip(const http_req_t *req);

/* Compresses len bytes into a gzip member in arena. Returns it (*outlen
 * set), or NULL on failure. */
void *http_gzip(arena_t *arena, const void *body, size_t len, int level, size_t *outlen);

/* Answers like http_respond(), gzip-compressed when worth it and accepted
 * (adding Content-Encoding: gzip), always with Vary: Accept-Encoding.
 * body must stay valid until the answer is written (static or arena). */
void http_respond_maybe_gzip(http_req_t *req, int status, const char *content_type,
                             const char *extra_headers, const void *body, size_t len);

#endif
