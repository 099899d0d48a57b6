/* Writing answers: the status line and common headers before the body
 * parts (bytes, blobs, a cached answer with its request id spliced in,
 * gzip from a DEFLATE copy), handed to the connection; and the end of a
 * request's life (the hooks' after(), the access log line, arena freed).
 * Error answers are http/error.c's, status names http/status.c's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/clock.h"
#include "core/log.h"
#include "http/conn.h"
#include "http/gzip_splice.h"
#include "http/put.h"

/* The status line and headers of an answer, ended by the empty line, in
 * the arena; its length in *out_len. NULL when out of memory. Written by
 * hand: with vsnprintf this block was about a third of the instructions
 * of a GET /health. */
static char *header_block(arena_t *a, int status, const char *content_type, size_t body_len,
                          const char *request_id, const char *conn_hdr, const char *extra,
                          const char *hook, size_t *out_len)
{
    static const char l1[] = "HTTP/1.1 ",
                      l2[] = "\r\nDate: ", l3[] = "\r\nServer: scifind\r\nContent-Type: ",
                      l4[] = "\r\nContent-Length: ", l5[] = "\r\nX-Request-ID: ";
    const char *reason = http_status_reason(status);
    const char *date = clock_http_date();
    if (!content_type) content_type = "application/json";
    if (!extra) extra = "";
    if (!hook) hook = "";
    if (status < 100 || status > 999) status = 500; /* three digits, as the status line wants */
    size_t nreason = strlen(reason), ndate = strlen(date), ntype = strlen(content_type),
           nid = strlen(request_id), nconn = strlen(conn_hdr), nextra = strlen(extra),
           nhook = strlen(hook);
    size_t cap = sizeof l1 + 4 + nreason + sizeof l2 + ndate + sizeof l3 + ntype + sizeof l4 + 20 +
                 sizeof l5 + nid + 2 + nconn + nextra + nhook + 2 + 1;
    char *head = arena_alloc(a, cap);
    if (!head) return NULL;
    char *d = HTTP_PUT_LIT(head, l1);
    d = http__put_uint(d, (uint64_t)status);
    *d++ = ' ';
    d = http__put(d, reason, nreason);
    d = HTTP_PUT_LIT(d, l2);
    d = http__put(d, date, ndate);
    d = HTTP_PUT_LIT(d, l3);
    d = http__put(d, content_type, ntype);
    d = HTTP_PUT_LIT(d, l4);
    d = http__put_uint(d, body_len);
    d = HTTP_PUT_LIT(d, l5);
    d = http__put(d, request_id, nid);
    d = HTTP_PUT_LIT(d, "\r\n");
    d = http__put(d, conn_hdr, nconn);
    d = http__put(d, extra, nextra);
    d = http__put(d, hook, nhook);
    d = HTTP_PUT_LIT(d, "\r\n");
    *d = '\0';
    *out_len = (size_t)(d - head);
    return head;
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

    size_t head_len;
    char *head = header_block(req->arena, status, content_type, len, req->request_id, conn_hdr,
                              extra_headers, hook_hdrs, &head_len);
    uv_buf_t bufs[1 + HTTP_MAX_BODY_PARTS];
    unsigned n = 0;
    if (!head) {
        static char oom[] = "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n"
                            "Connection: close\r\n\r\n";
        c->last_request = true;
        bufs[n++] = uv_buf_init(oom, sizeof oom - 1);
    } else {
        bufs[n++] = uv_buf_init(head, (unsigned)head_len);
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

void http_respond_malloced(http_req_t *req, int status, const char *content_type,
                           const char *extra_headers, char *body, size_t len)
{
    char *copy = body != NULL ? arena_alloc(req->arena, len + 1) : NULL;
    if (copy == NULL) {
        free(body);
        http_respond_oom(req);
        return;
    }
    memcpy(copy, body, len + 1);
    free(body);
    respond(req, status, content_type, extra_headers, copy, len);
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

/* {"request_id":"ID" and then end ('}' or ','), in the arena; NULL when out
 * of memory. */
static char *request_id_prefix(http_req_t *req, char end, size_t *out_len)
{
    static const char open[] = "{\"request_id\":\"";
    size_t nid = strlen(req->request_id);
    char *p = arena_alloc(req->arena, sizeof open + nid + 3);
    if (!p) return NULL;
    char *d = HTTP_PUT_LIT(p, open);
    d = http__put(d, req->request_id, nid);
    *d++ = '"';
    *d++ = end;
    *d = '\0';
    *out_len = (size_t)(d - p);
    return p;
}

void http_respond_json_blob(http_req_t *req, int status, const char *extra_headers, blob_t *body)
{
    hold(req, body, NULL);
    /* The request id is checked to hold no character JSON would escape. */
    bool empty = body->len <= 2;
    size_t plen = 0;
    char *prefix = request_id_prefix(req, empty ? '}' : ',', &plen);
    if (!prefix || body->len < 1 || body->data[0] != '{') {
        respond(req, status, "application/json", extra_headers, body->data, body->len);
        return;
    }
    uv_buf_t parts[2] = {uv_buf_init(prefix, (unsigned)plen),
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
    size_t plen = 0;
    char *prefix = request_id_prefix(req, ',', &plen);
    unsigned char *head = prefix ? arena_alloc(req->arena, plen + GZIP_SPLICE_OVERHEAD) : NULL;
    unsigned char *trailer = arena_alloc(req->arena, 8);
    static const char ce[] = "Content-Encoding: gzip\r\n";
    size_t nextra = extra_headers ? strlen(extra_headers) : 0;
    char *headers = arena_alloc(req->arena, sizeof ce + nextra);
    if (headers) {
        memcpy(headers, ce, sizeof ce - 1);
        memcpy(headers + sizeof ce - 1, extra_headers ? extra_headers : "", nextra);
        headers[sizeof ce - 1 + nextra] = '\0';
    }
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
