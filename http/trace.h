/* W3C Trace Context (https://www.w3.org/TR/trace-context/): the
 * traceparent header "VV-TRACEID-PARENTID-FF", 32 and 16 lowercase hex
 * digits, neither all zeros; version ff is invalid; a future version may
 * carry more fields after a '-'.
 *
 * scifind is a hop of the trace: it keeps the caller's trace id and flags
 * (or starts a trace when the header is absent or invalid) and gives its
 * own span id as the parent of what it calls (providers) and in the
 * traceparent of its answer. */
#ifndef SF_HTTP_TRACE_H
#define SF_HTTP_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http/request.h"

#define HTTP_TRACEPARENT_LEN 55

typedef struct http_trace {
    char trace_id[33];  /* 32 lowercase hex digits */
    char parent_id[17]; /* 16 lowercase hex digits */
    uint8_t flags;
} http_trace_t;

/* Parses a traceparent value. Returns 0 and fills t, or -1 when s is not a
 * valid traceparent (t is then untouched). */
int http_trace_parse(const char *s, size_t len, http_trace_t *t);

/* Fills t with a new random trace id and span id, flags 0. */
void http_trace_start(http_trace_t *t);

/* Replaces t's parent id with a new random span id (this hop's). */
void http_trace_new_span(http_trace_t *t);

/* Writes "00-trace-parent-flags" (HTTP_TRACEPARENT_LEN chars + NUL). */
void http_trace_format(const http_trace_t *t, char out[HTTP_TRACEPARENT_LEN + 1]);

/* Makes req's traceparent header this hop's: the caller's trace with a new
 * span id, or a new trace. Afterwards http_req_header(req, "traceparent")
 * is always valid, and req->traceparent points at it: the access log, the
 * answer and provider calls use it.
 * Returns 0, or -1 when out of memory (the request is left as it was). */
int http_trace_apply(http_req_t *req);

#endif
