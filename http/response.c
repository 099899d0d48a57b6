/* Writing answers: the status line and common headers, JSON errors, and
 * the end of a request's life (access log line, arena freed). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/utf8.h"
#include "http/conn.h"
#include "http/gzip_splice.h"

const char *http_status_reason(int status)
{
    switch (status) {
    case 100:
        return "Continue";
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 304:
        return "Not Modified";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 413:
        return "Content Too Large";
    case 414:
        return "URI Too Long";
    case 415:
        return "Unsupported Media Type";
    case 417:
        return "Expectation Failed";
    case 422:
        return "Unprocessable Content";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    default:
        return "Unknown";
    }
}

const char *http_status_code_name(int status)
{
    switch (status) {
    case 400:
        return "bad_request";
    case 401:
        return "unauthorized";
    case 403:
        return "forbidden";
    case 404:
        return "not_found";
    case 405:
        return "method_not_allowed";
    case 408:
        return "request_timeout";
    case 409:
        return "conflict";
    case 413:
        return "payload_too_large";
    case 414:
        return "uri_too_long";
    case 415:
        return "unsupported_media_type";
    case 417:
        return "expectation_failed";
    case 422:
        return "unprocessable_entity";
    case 429:
        return "rate_limited";
    case 431:
        return "request_header_fields_too_large";
    case 501:
        return "not_implemented";
    case 502:
        return "bad_gateway";
    case 503:
        return "service_unavailable";
    case 504:
        return "gateway_timeout";
    default:
        return status >= 500 ? "internal_error" : "error";
    }
}

/* Builds the header block and hands it with the body parts (which must
 * stay valid until written: static, the request's arena, or a blob the
 * request holds) to the connection. */
static void respond_parts(http_req_t *req, int status, const char *content_type,
                          const char *extra_headers, const uv_buf_t *parts, unsigned nparts)
{
    http_conn_t *c = req->conn;
    if (req->answered) {
        log_error("request answered twice (status %d): second answer dropped", status);
        return;
    }
    req->answered = true;
    req->status = status;
    if (status >= 100 && status < 600) c->server->stats.responses_by_class[status / 100]++;

    size_t len = 0;
    for (unsigned i = 0; i < nparts; i++)
        len += parts[i].len;
    const http_hooks_t *hooks = &c->server->hooks;
    const char *hook_hdrs = hooks->headers ? hooks->headers(hooks->ctx, req) : NULL;
    const char *conn_hdr = "";
    if (http__conn_will_close(c))
        conn_hdr = "Connection: close\r\n";
    else if (req->http_major == 1 && req->http_minor == 0)
        conn_hdr = "Connection: keep-alive\r\n";

    char *head =
        arena_sprintf(req->arena,
                      "HTTP/1.1 %d %s\r\n"
                      "Date: %s\r\n"
                      "Server: scifind\r\n"
                      "Content-Type: %s\r\n"
                      "Content-Length: %zu\r\n"
                      "X-Request-ID: %s\r\n"
                      "%s%s%s\r\n",
                      status, http_status_reason(status), clock_http_date(),
                      content_type ? content_type : "application/json", len, req->request_id,
                      conn_hdr, extra_headers ? extra_headers : "", hook_hdrs ? hook_hdrs : "");
    uv_buf_t bufs[1 + HTTP_MAX_BODY_PARTS];
    unsigned n = 0;
    if (!head) {
        static char oom[] = "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n"
                            "Connection: close\r\n\r\n";
        c->last_request = true;
        bufs[n++] = uv_buf_init(oom, sizeof oom - 1);
    } else {
        bufs[n++] = uv_buf_init(head, (unsigned)strlen(head));
        for (unsigned i = 0; i < nparts && i < HTTP_MAX_BODY_PARTS && !req->head_only; i++)
            if (parts[i].len) bufs[n++] = parts[i];
    }
    req->bytes_out = 0;
    for (unsigned i = 0; i < n; i++)
        req->bytes_out += bufs[i].len;
    http__conn_write(c, req, bufs, n); /* may free req */
    http__conn_answered(c, req);
}

static void respond(http_req_t *req, int status, const char *content_type,
                    const char *extra_headers, const void *body, size_t len)
{
    uv_buf_t part = uv_buf_init((char *)body, (unsigned)len);
    respond_parts(req, status, content_type, extra_headers, &part, 1);
}

void http_respond(http_req_t *req, int status, const char *content_type, const char *extra_headers,
                  const void *body, size_t len)
{
    respond(req, status, content_type, extra_headers, body, len);
}

/* The request keeps references to the blobs its answer points into until
 * it is freed. */
static void hold(http_req_t *req, blob_t *a, blob_t *b)
{
    blob_unref(req->held_blob[0]);
    blob_unref(req->held_blob[1]);
    req->held_blob[0] = a ? blob_ref(a) : NULL;
    req->held_blob[1] = b ? blob_ref(b) : NULL;
}

void http_respond_blob(http_req_t *req, int status, const char *content_type,
                       const char *extra_headers, blob_t *body)
{
    hold(req, body, NULL);
    respond(req, status, content_type, extra_headers, body->data, body->len);
}

void http_respond_json_blob(http_req_t *req, int status, const char *extra_headers, blob_t *body)
{
    hold(req, body, NULL);
    /* The request id is checked to hold no character JSON would escape. */
    bool empty = body->len <= 2;
    char *prefix =
        arena_sprintf(req->arena, "{\"request_id\":\"%s\"%s", req->request_id, empty ? "}" : ",");
    if (!prefix || body->len < 1 || body->data[0] != '{') {
        respond(req, status, "application/json", extra_headers, body->data, body->len);
        return;
    }
    uv_buf_t parts[2] = {uv_buf_init(prefix, (unsigned)strlen(prefix)),
                         uv_buf_init(body->data + 1, empty ? 0 : (unsigned)body->len - 1)};
    respond_parts(req, status, "application/json", extra_headers, parts, 2);
}

void http_respond_json_gzip(http_req_t *req, int status, const char *extra_headers, blob_t *body,
                            blob_t *deflate, uint32_t crc)
{
    if (body->len < 3 || body->data[0] != '{') {
        http_respond_json_blob(req, status, extra_headers, body);
        return;
    }
    hold(req, body, deflate);
    char prefix[HTTP_REQUEST_ID_MAX + 32];
    size_t plen =
        (size_t)snprintf(prefix, sizeof prefix, "{\"request_id\":\"%s\",", req->request_id);
    unsigned char *head = arena_alloc(req->arena, plen + GZIP_SPLICE_OVERHEAD);
    unsigned char *trailer = arena_alloc(req->arena, 8);
    char *headers = arena_sprintf(req->arena, "Content-Encoding: gzip\r\n%s",
                                  extra_headers ? extra_headers : "");
    if (!head || !trailer || !headers) {
        http_respond_json_blob(req, status, extra_headers, body);
        return;
    }
    size_t hlen = gzip_splice_head(prefix, plen, head);
    gzip_splice_trailer(prefix, plen, crc, body->len - 1, trailer);
    uv_buf_t parts[3] = {uv_buf_init((char *)head, (unsigned)hlen),
                         uv_buf_init(deflate->data, (unsigned)deflate->len),
                         uv_buf_init((char *)trailer, 8)};
    respond_parts(req, status, "application/json", headers, parts, 3);
}

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
        respond(req, status, "application/json", extra_headers, shaped, strlen(shaped));
        return;
    }
    json_escape(esc, sizeof esc, msg);
    json_escape(rid, sizeof rid, req->request_id);
    char *body = arena_sprintf(
        req->arena, "{\"error\":{\"code\":\"%s\",\"message\":\"%s\"},\"request_id\":\"%s\"}", code,
        esc, rid);
    respond(req, status, "application/json", extra_headers, body ? body : "{}",
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

static bool access_log_wanted(const http_server_t *s, const http_req_t *req)
{
    const sf_config_t *cfg = s->cfg;
    if (!cfg->log.access || !log_enabled(LOG_INFO)) return false;
    if (cfg->log.access_skip_health && req->path &&
        (strncmp(req->path, "/health", 7) == 0 || strcmp(req->path, "/metrics") == 0))
        return false;
    if (cfg->log.access_sample >= 1.0) return true;
    return (double)(random() % 1000000) / 1e6 < cfg->log.access_sample;
}

void http__req_free(http_req_t *req)
{
    http_conn_t *c = req->conn;
    const http_hooks_t *hooks = &c->server->hooks;
    if (req->answered && hooks->after)
        hooks->after(hooks->ctx, req, (double)(clock_now_ns() - req->start_ns) / 1e6);
    if (req->answered && access_log_wanted(c->server, req)) {
        double ms = (double)(clock_now_ns() - req->start_ns) / 1e6;
        log_write(LOG_INFO, "access", LF_STR, "method", req->method_name, LF_STR, "path", req->path,
                  LF_INT, "status", (int64_t)req->status, LF_INT, "bytes", (int64_t)req->bytes_out,
                  LF_DBL, "duration_ms", ms, LF_STR, "request_id", req->request_id, LF_STR,
                  "traceparent", http_req_header(req, "traceparent"), LF_END);
    }
    blob_unref(req->held_blob[0]);
    blob_unref(req->held_blob[1]);
    arena_free(req->arena);
}
