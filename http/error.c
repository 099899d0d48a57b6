/* Error answers: the JSON error shape (the message escaped so the body is
 * UTF-8 JSON whatever it echoes), the routes that shape their errors
 * otherwise (http_set_error_body()), and the out-of-memory answer. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/utf8.h"
#include "http/request.h"

/* Appends s as the inside of a JSON string; bytes that are not UTF-8 (a
 * parameter name echoed from the target, say) become U+FFFD. */
static size_t json_escape(char *out, size_t cap, const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t n = strlen(s), o = 0;
    for (size_t i = 0; i < n && o + 7 < cap;) {
        unsigned char ch = u[i];
        size_t len = utf8_seq(u + i, n - i);
        if (ch == '"' || ch == '\\') {
            out[o++] = '\\';
            out[o++] = (char)ch;
        } else if (ch < 0x20 || ch == 0x7f) {
            o += (size_t)snprintf(out + o, cap - o, "\\u%04x", ch);
        } else if (len == 0) {
            memcpy(out + o, "\\ufffd", 6);
            o += 6;
            len = 1;
        } else if (o + len + 7 < cap) {
            memcpy(out + o, s + i, len);
            o += len;
        } else {
            break; /* a character cut by the end would not be UTF-8 */
        }
        i += len ? len : 1;
    }
    out[o] = '\0';
    return o;
}

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
    json_escape(esc, sizeof esc, msg);
    json_escape(rid, sizeof rid, req->request_id);
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
