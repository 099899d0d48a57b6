/* Router: method + path pattern -> handler. Patterns are literal segments
 * and "{name}" segments that match one non-empty segment; matched segments
 * are given to the handler in req->params, in order. Routes are tried in the
 * order they were added. */
#ifndef SF_HTTP_ROUTER_H
#define SF_HTTP_ROUTER_H

#include "http/request.h"

typedef void (*http_handler_fn)(http_req_t *req);

/* The class's name ("admin", "read", "search", "open"). */
const char *http_route_class_name(http_route_class_t cls);

typedef struct http_router http_router_t;

/* Returns a new empty router, or NULL when out of memory. */
http_router_t *http_router_new(void);
void http_router_free(http_router_t *r);

/* Adds a route of class cls for the methods mask (HTTP_M_GET also answers
 * HEAD). data is given to the handler as req->route_data. Returns 0, or -1
 * when the pattern is invalid or memory is out. */
int http_router_add(http_router_t *r, unsigned methods, const char *pattern, http_route_class_t cls,
                    http_handler_fn fn, void *data);

/* What http_router_match() found. */
typedef struct http_route_match {
    const char *params[HTTP_MAX_PARAMS]; /* {name} segments, arena copies */
    size_t nparams;
    void *data;             /* the route's data */
    unsigned allowed;       /* no handler: the methods the path takes (0: 404, else 405) */
    const char *pattern;    /* the pattern the path matched (whatever the method), or NULL:
                               the label metrics use */
    http_route_class_t cls; /* the matched route's class; on a 405 that of the first
                               route the path matched, ADMIN read as READ (no admin
                               handler runs); OPEN when no route has the path */
} http_route_match_t;

/* Looks up method (one HTTP_M_* bit) and path; fills *m. Returns the
 * handler, or NULL (see m->allowed; also when out of memory). */
http_handler_fn http_router_match(const http_router_t *r, unsigned method, const char *path,
                                  size_t path_len, arena_t *arena, http_route_match_t *m);

/* Formats an Allow header value ("GET, HEAD, POST") for a mask into buf. */
void http_router_allow_string(unsigned mask, char *buf, size_t len);

#endif
