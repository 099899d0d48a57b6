/* Router: method + path pattern -> handler. Patterns are literal segments
 * and "{name}" segments that match one non-empty segment; matched segments
 * are given to the handler in req->params, in order. Routes are tried in the
 * order they were added. */
#ifndef SF_HTTP_ROUTER_H
#define SF_HTTP_ROUTER_H

#include "http/request.h"

typedef void (*http_handler_fn)(http_req_t *req);

typedef struct http_router http_router_t;

/* Returns a new empty router, or NULL when out of memory. */
http_router_t *http_router_new(void);
void http_router_free(http_router_t *r);

/* Adds a route for the methods mask (HTTP_M_GET also answers HEAD). data is
 * given to the handler as req->route_data. Returns 0, or -1 when the pattern
 * is invalid or memory is out. */
int http_router_add(http_router_t *r, unsigned methods, const char *pattern, http_handler_fn fn,
                    void *data);

/* Looks up method (one HTTP_M_* bit) and path. On a match, fills params (up
 * to HTTP_MAX_PARAMS, pointing into arena copies), *nparams and *data and
 * returns the handler. Otherwise returns NULL and sets *allowed to the mask
 * of methods that would match the path (0: no route has this path -> 404;
 * non-zero -> 405 with Allow). *pattern is the pattern of the route the path
 * matched (whatever the method), or NULL: the label metrics use. */
http_handler_fn http_router_match(const http_router_t *r, unsigned method, const char *path,
                                  size_t path_len, arena_t *arena, const char **params,
                                  size_t *nparams, void **data, unsigned *allowed,
                                  const char **pattern);

/* Formats an Allow header value ("GET, HEAD, POST") for a mask into buf. */
void http_router_allow_string(unsigned mask, char *buf, size_t len);

#endif
