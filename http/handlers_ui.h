/* The search page: GET / (http/ui/index.html), /app.js, /app.css and
 * /favicon.svg, embedded in the binary at build time (http/embed_assets.py)
 * and served from memory, identity or gzip, with an ETag and a strict
 * Content-Security-Policy (no inline script or style, nothing fetched from
 * anywhere but this origin). */
#ifndef SF_HTTP_HANDLERS_UI_H
#define SF_HTTP_HANDLERS_UI_H

#include <stddef.h>

#include "http/router.h"

/* One embedded file, as the generated table holds it. */
typedef struct http_ui_asset {
    const char *route;        /* "/", "/app.js", ... */
    const char *content_type; /* with charset for text */
    const unsigned char *body;
    size_t len;
    const unsigned char *gz; /* a gzip member of body, made at build time */
    size_t gz_len;
    const char *etag; /* quoted, from the content */
} http_ui_asset_t;

extern const http_ui_asset_t http_ui_assets[];
extern const size_t http_ui_nassets;

/* The Content-Security-Policy every page file is sent with. */
extern const char HTTP_UI_CSP[];

/* Adds a GET (and HEAD) route per embedded file. Returns 0, or -1 when out
 * of memory. */
int http_ui_register(http_router_t *r);

#endif
