#include "http/cors.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct http_cors {
    bool any; /* "*" */
    char **origins;
    size_t n;
    long max_age_s;
};

http_cors_t *http_cors_new(const char *origins, int64_t max_age_ms)
{
    http_cors_t *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->max_age_s = (long)(max_age_ms / 1000);
    const char *p = origins ? origins : "";
    while (*p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        while (len && *p == ' ') {
            p++;
            len--;
        }
        while (len && p[len - 1] == ' ')
            len--;
        if (len == 1 && *p == '*') {
            c->any = true;
        } else if (len) {
            while (len && p[len - 1] == '/') /* "https://a.org/" is "https://a.org" */
                len--;
            char **o = realloc(c->origins, (c->n + 1) * sizeof *o);
            if (!o) goto oom;
            c->origins = o;
            if (!(c->origins[c->n] = strndup(p, len))) goto oom;
            c->n++;
        }
        if (!end) break;
        p = end + 1;
    }
    return c;
oom:
    http_cors_free(c);
    return NULL;
}

void http_cors_free(http_cors_t *c)
{
    if (!c) return;
    for (size_t i = 0; i < c->n; i++)
        free(c->origins[i]);
    free(c->origins);
    free(c);
}

bool http_cors_allowed(const http_cors_t *c, const char *origin)
{
    if (!c || !origin || !*origin) return false;
    if (c->any) return true;
    for (size_t i = 0; i < c->n; i++)
        if (strcasecmp(c->origins[i], origin) == 0) return true;
    return false;
}

/* Header names requested by a preflight, echoed back when they are plain
 * tokens (letters, digits, '-', '_', ',' and spaces). */
static bool token_list(const char *s)
{
    if (strlen(s) > 512) return false;
    for (; *s; s++)
        if (!(*s == '-' || *s == '_' || *s == ',' || *s == ' ' || (*s >= '0' && *s <= '9') ||
              (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
            return false;
    return true;
}

bool http_cors_preflight(const http_cors_t *c, http_req_t *req)
{
    if (!c || (!c->any && !c->n) || req->method != HTTP_M_OPTIONS || !req->route) return false;
    const char *origin = http_req_header(req, "origin");
    const char *method = http_req_header(req, "access-control-request-method");
    if (!origin || !method) return false;
    /* The CORS headers themselves come from http_cors_headers() (hooks). */
    http_respond(req, 204, "text/plain", NULL, "", 0);
    return true;
}

const char *http_cors_headers(const http_cors_t *c, http_req_t *req)
{
    if (!c || (!c->any && !c->n)) return NULL;
    const char *origin = http_req_header(req, "origin");
    if (!http_cors_allowed(c, origin)) return NULL;
    const char *allow = c->any ? "*" : origin;
    const char *vary = c->any ? "" : "Vary: Origin\r\n";
    const char *method = http_req_header(req, "access-control-request-method");
    if (req->method == HTTP_M_OPTIONS && method) {
        const char *hdrs = http_req_header(req, "access-control-request-headers");
        if (!hdrs || !token_list(hdrs)) hdrs = "Authorization, X-API-Key, Content-Type";
        return arena_sprintf(
            req->arena,
            "Access-Control-Allow-Origin: %s\r\n%s"
            "Access-Control-Allow-Methods: GET, HEAD, POST, PUT, DELETE, OPTIONS\r\n"
            "Access-Control-Allow-Headers: %s\r\n"
            "Access-Control-Max-Age: %ld\r\n",
            allow, vary, hdrs, c->max_age_s);
    }
    return arena_sprintf(
        req->arena,
        "Access-Control-Allow-Origin: %s\r\n%s"
        "Access-Control-Expose-Headers: X-Request-ID, Retry-After, RateLimit-Limit, "
        "RateLimit-Remaining, RateLimit-Reset, traceparent, Mcp-Session-Id\r\n",
        allow, vary);
}
