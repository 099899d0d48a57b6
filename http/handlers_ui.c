#include <stdbool.h>
#include <string.h>

#include "http/compress.h"
#include "http/handlers_ui.h"

const char HTTP_UI_CSP[] = "default-src 'self'; script-src 'self'; style-src 'self'; "
                           "img-src 'self'; connect-src 'self'; font-src 'self'; "
                           "object-src 'none'; base-uri 'none'; form-action 'self'; "
                           "frame-ancestors 'none'";

/* Does an If-None-Match list hold etag (or "*")? Weak tags compare equal
 * too: the gzip and identity copies share one tag, as Vary tells caches. */
static bool etag_matches(const char *inm, const char *etag)
{
    size_t elen = strlen(etag);
    const char *p = inm;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (*p == '*') return true;
        if (p[0] == 'W' && p[1] == '/') p += 2;
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
            n--;
        if (n == elen && memcmp(p, etag, elen) == 0) return true;
        if (!end) break;
        p = end;
    }
    return false;
}

static void ui_asset(http_req_t *req)
{
    const http_ui_asset_t *a = req->route_data;
    bool gz = a->gz_len && a->gz_len < a->len && http_accepts_gzip(req);
    /* no-cache: revalidated with the ETag on every load, so a new binary's
     * page is never mixed with an old script. */
    char *hdrs = arena_sprintf(req->arena,
                               "Content-Security-Policy: %s\r\n"
                               "X-Content-Type-Options: nosniff\r\n"
                               "X-Frame-Options: DENY\r\n"
                               "Referrer-Policy: no-referrer\r\n"
                               "Cache-Control: no-cache\r\n"
                               "ETag: %s\r\n"
                               "Vary: Accept-Encoding\r\n"
                               "%s",
                               HTTP_UI_CSP, a->etag, gz ? "Content-Encoding: gzip\r\n" : "");
    if (!hdrs) {
        http_respond_oom(req);
        return;
    }
    const char *inm = http_req_header(req, "If-None-Match");
    if (inm && etag_matches(inm, a->etag)) {
        http_respond(req, 304, a->content_type, hdrs, "", 0);
        return;
    }
    if (gz)
        http_respond(req, 200, a->content_type, hdrs, a->gz, a->gz_len);
    else
        http_respond(req, 200, a->content_type, hdrs, a->body, a->len);
}

int http_ui_register(http_router_t *r)
{
    for (size_t i = 0; i < http_ui_nassets; i++)
        if (http_router_add(r, HTTP_M_GET, http_ui_assets[i].route, HTTP_ROUTE_OPEN, ui_asset,
                            (void *)&http_ui_assets[i]) < 0)
            return -1;
    return 0;
}
