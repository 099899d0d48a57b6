/* CORS for browsers calling scifind from other origins (cors.origins: a
 * comma-separated list of origins, or "*"). An allowed Origin gets
 * Access-Control-Allow-Origin (the origin itself, with Vary: Origin, or *)
 * on every answer; a preflight (OPTIONS with Origin and
 * Access-Control-Request-Method) on a known route is answered 204 at once
 * with the allowed methods and headers and Access-Control-Max-Age. No
 * credentials mode: keys travel in headers, not cookies. */
#ifndef SF_HTTP_CORS_H
#define SF_HTTP_CORS_H

#include <stdbool.h>
#include <stdint.h>

#include "http/request.h"

typedef struct http_cors http_cors_t;

/* Returns the policy (origins "" = CORS off), or NULL when out of memory. */
http_cors_t *http_cors_new(const char *origins, int64_t max_age_ms);
void http_cors_free(http_cors_t *c);

/* Is origin allowed? */
bool http_cors_allowed(const http_cors_t *c, const char *origin);

/* Answers a preflight with 204 and returns true; false when req is not a
 * preflight (or CORS is off). */
bool http_cors_preflight(const http_cors_t *c, http_req_t *req);

/* Header lines for an answer to req (request's arena), or NULL. */
const char *http_cors_headers(const http_cors_t *c, http_req_t *req);

#endif
