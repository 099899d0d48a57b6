/* Router: a short list of routes scanned in order. A handful of routes
 * makes a linear scan faster than any tree, and keeps 404/405 simple. */
#include <stdlib.h>
#include <string.h>

#include "http/router.h"

#define MAX_SEGMENTS 16

typedef struct route {
    unsigned methods;
    http_route_class_t cls;
    char *pattern;
    http_handler_fn fn;
    void *data;
} route_t;

struct http_router {
    route_t *routes;
    size_t n, cap;
};

http_router_t *http_router_new(void)
{
    return calloc(1, sizeof(http_router_t));
}

void http_router_free(http_router_t *r)
{
    if (!r) return;
    for (size_t i = 0; i < r->n; i++)
        free(r->routes[i].pattern);
    free(r->routes);
    free(r);
}

const char *http_route_class_name(http_route_class_t cls)
{
    switch (cls) {
    case HTTP_ROUTE_ADMIN:
        return "admin";
    case HTTP_ROUTE_READ:
        return "read";
    case HTTP_ROUTE_SEARCH:
        return "search";
    case HTTP_ROUTE_OPEN:
        return "open";
    }
    return "admin";
}

int http_router_add(http_router_t *r, unsigned methods, const char *pattern, http_route_class_t cls,
                    http_handler_fn fn, void *data)
{
    if (!pattern || pattern[0] != '/' || !fn || !methods || cls > HTTP_ROUTE_OPEN) return -1;
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        route_t *nr = realloc(r->routes, cap * sizeof *nr);
        if (!nr) return -1;
        r->routes = nr;
        r->cap = cap;
    }
    char *p = strdup(pattern);
    if (!p) return -1;
    if (methods & HTTP_M_GET) methods |= HTTP_M_HEAD;
    r->routes[r->n++] = (route_t){methods, cls, p, fn, data};
    return 0;
}

/* Matches pattern against path segment by segment; "{x}" takes one
 * non-empty segment. Fills params (pointers into path plus lengths). */
static bool route_match(const char *pat, const char *path, size_t path_len, const char **pstart,
                        size_t *plen, size_t *np)
{
    const char *pe = path + path_len;
    *np = 0;
    while (*pat && path < pe) {
        if (*pat != '/' || *path != '/') return false;
        pat++, path++;
        const char *pseg_end = strchr(pat, '/');
        if (!pseg_end) pseg_end = pat + strlen(pat);
        const char *seg_end = memchr(path, '/', (size_t)(pe - path));
        if (!seg_end) seg_end = pe;
        size_t plit = (size_t)(pseg_end - pat), slen = (size_t)(seg_end - path);
        if (plit >= 2 && pat[0] == '{' && pat[plit - 1] == '}') {
            if (slen == 0 || *np >= HTTP_MAX_PARAMS) return false;
            pstart[*np] = path;
            plen[(*np)++] = slen;
        } else if (plit != slen || memcmp(pat, path, slen) != 0) {
            return false;
        }
        pat = pseg_end;
        path = seg_end;
    }
    return *pat == '\0' && path == pe;
}

http_handler_fn http_router_match(const http_router_t *r, unsigned method, const char *path,
                                  size_t path_len, arena_t *arena, http_route_match_t *m)
{
    m->allowed = 0;
    m->nparams = 0;
    m->pattern = NULL;
    m->data = NULL;
    m->cls = HTTP_ROUTE_OPEN; /* 404: nothing to guard */
    for (size_t i = 0; i < r->n; i++) {
        const route_t *rt = &r->routes[i];
        const char *ps[HTTP_MAX_PARAMS];
        size_t pl[HTTP_MAX_PARAMS], np;
        if (!route_match(rt->pattern, path, path_len, ps, pl, &np)) continue;
        if (!m->pattern) {
            m->pattern = rt->pattern;
            m->cls = rt->cls == HTTP_ROUTE_ADMIN ? HTTP_ROUTE_READ : rt->cls;
        }
        if (!(rt->methods & method)) {
            m->allowed |= rt->methods;
            continue;
        }
        m->pattern = rt->pattern;
        m->cls = rt->cls;
        for (size_t k = 0; k < np; k++) {
            m->params[k] = arena_strndup(arena, ps[k], pl[k]);
            if (!m->params[k]) return NULL;
        }
        m->nparams = np;
        m->data = rt->data;
        return rt->fn;
    }
    return NULL;
}

void http_router_allow_string(unsigned mask, char *buf, size_t len)
{
    static const struct {
        unsigned bit;
        const char *name;
    } names[] = {{HTTP_M_GET, "GET"},        {HTTP_M_HEAD, "HEAD"},     {HTTP_M_POST, "POST"},
                 {HTTP_M_PUT, "PUT"},        {HTTP_M_DELETE, "DELETE"}, {HTTP_M_PATCH, "PATCH"},
                 {HTTP_M_OPTIONS, "OPTIONS"}};
    size_t o = 0;
    if (len) buf[0] = '\0';
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (!(mask & names[i].bit)) continue;
        size_t n = strlen(names[i].name);
        if (o + n + 3 > len) break;
        if (o) {
            memcpy(buf + o, ", ", 2);
            o += 2;
        }
        memcpy(buf + o, names[i].name, n + 1);
        o += n;
    }
}
