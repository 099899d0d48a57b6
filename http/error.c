/* Error answers: the JSON error shape (the message escaped so the body is
 * UTF-8 JSON whatever it echoes), the routes that shape their errors
 * otherwise (http_set_error_body()), and the out-of-memory answer. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/escape.h"
#include "http/request.h"

static struct {
    const char *route;
    http_error_body_fn fn;
} error_bodies[4];

void http_set_error_body(const char *route, http_error_body_fn fn)
{
    for (size_t i = 0; i < sizeof error_bodies / sizeof error_bodies[0]; i++) {
        if (!error_bodies[i].route || strcmp(error_bodies[i].route, route) == 0) {
            error_bodies[i].route = route;
            error_bodies[i].fn = fn;
            return;
        }
    }
}

static http_error_body_fn error_body_of(const http_req_t *req)
{
    for (size_t i = 0; req->route && i < sizeof error_bodies / sizeof error_bodies[0]; i++)
        if (error_bodies[i].route && strcmp(error_bodies[i].route, req->route) == 0)
            return error_bodies[i].fn;
    return NULL;
}

static void respond_error_v(http_req_t *req, int status, const char *extra_headers,
                            const char *code, const char *fmt, va_list ap)
{
    char msg[512], esc[1024], rid[2 * HTTP_REQUEST_ID_MAX + 8];
    vsnprintf(msg, sizeof msg, fmt, ap);
    http_error_body_fn fn = error_body_of(req);
    char *shaped = fn ? fn(req, status, code, msg) : NULL;
    if (shaped) {
        http_respond(req, status, "application/json", extra_headers, shaped, strlen(shaped));
        return;
    }
    /* core/escape.h: bytes that are not UTF-8 (a parameter name echoed
     * from the target, say) become U+FFFD */
    json_escape_into(esc, sizeof esc, msg);
    json_escape_into(rid, sizeof rid, req->request_id);
    char *body = arena_sprintf(
        req->arena, "{\"error\":{\"code\":\"%s\",\"message\":\"%s\"},\"request_id\":\"%s\"}", code,
        esc, rid);
    http_respond(req, status, "application/json", extra_headers, body ? body : "{}",
                 body ? strlen(body) : 2);
}

void http_respond_error(http_req_t *req, int status, const char *code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    respond_error_v(req, status, NULL, code, fmt, ap);
    va_end(ap);
}

void http_respond_oom(http_req_t *req)
{
    http_respond_error(req, 500, "internal_error", "out of memory");
}

void http_respond_error_h(http_req_t *req, int status, const char *extra_headers, const char *code,
                          const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    respond_error_v(req, status, extra_headers, code, fmt, ap);
    va_end(ap);
}
