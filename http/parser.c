/* Reading one request with llhttp (built in strict mode), and the RFC 9112
 * checks llhttp 8.1 leaves to us: names, Host and the target's form,
 * Transfer-Encoding, Expect, obs-fold, the CRLF after chunk data, chunk
 * extensions, the limits. The callbacks fill c->req and record how far the
 * request has come through the connection's one setter (HEADERS, BODY,
 * DISPATCH); a refusal is recorded in c->fail_* for the connection to
 * answer (http/conn.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/clock.h"
#include "http/conn.h"

/* Chunk extension bytes allowed in one request (CVE-2024-22019's shape:
 * extensions are not body bytes, so no other limit counts them). */
#define CHUNK_EXT_MAX 4096

enum { CB_NONE, CB_FIELD, CB_FIELD_DONE, CB_VALUE, CB_VALUE_DONE };

/* ---- small helpers ---------------------------------------------------- */

static int sbuf_append(arena_t *a, http_sbuf_t *b, const char *p, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *np = arena_alloc(a, cap);
        if (!np) return -1;
        if (b->len) memcpy(np, b->p, b->len);
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
}

static const char *sbuf_str(http_sbuf_t *b)
{
    return b->p ? b->p : "";
}

static http_conn_t *conn_of(llhttp_t *p)
{
    return p->data;
}

/* Records why the request is refused (the first reason wins) and stops
 * llhttp. msg must outlive the answer: static, the request's arena or
 * c->fail_text. */
static int refuse(http_conn_t *c, int status, const char *code, const char *msg)
{
    if (!c->fail_status) {
        c->fail_status = status;
        c->fail_code = code;
        c->fail_msg = msg;
    }
    return HPE_USER;
}

static int refuse_oom(http_conn_t *c)
{
    return refuse(c, 500, "internal_error", "out of memory");
}

/* 413 for a body over http.max_body_bytes. */
static int refuse_body_size(http_conn_t *c)
{
    snprintf(c->fail_text, sizeof c->fail_text, "request body exceeds %lld bytes",
             (long long)c->server->cfg->http.max_body_bytes);
    return refuse(c, 413, "payload_too_large", c->fail_text);
}

/* ---- llhttp callbacks ------------------------------------------------- */

int http__parser_begin(http_conn_t *c)
{
    arena_t *a = arena_new(4096);
    if (!a) return refuse_oom(c);
    http_req_t *req = arena_calloc(a, 1, sizeof *req);
    req->arena = a;
    req->conn = c;
    req->start_ns = clock_now_ns();
    req->query = "";
    req->body = "";
    c->req = req;
    memset(&c->url, 0, sizeof c->url);
    memset(&c->hname, 0, sizeof c->hname);
    memset(&c->hval, 0, sizeof c->hval);
    memset(&c->body, 0, sizeof c->body);
    c->header_bytes = 0;
    c->chunk_left = 0;
    c->crlf_check = 0;
    c->chunk_ext_bytes = 0;
    c->nheaders = 0;
    c->headers_cap = 0;
    c->last_cb = CB_NONE;
    c->headers_deadline_ns =
        req->start_ns + (uint64_t)c->server->cfg->http.header_timeout_ms * 1000000u;
    http__conn_set_state(c, CONN_HEADERS);
    return 0;
}

static int on_url(llhttp_t *p, const char *at, size_t len)
{
    http_conn_t *c = conn_of(p);
    if (c->url.len + len > (size_t)c->server->cfg->http.max_url_bytes)
        return refuse(c, 414, "uri_too_long", "request target too long");
    if (sbuf_append(c->req->arena, &c->url, at, len)) return refuse_oom(c);
    return 0;
}

static int count_header_bytes(http_conn_t *c, size_t len)
{
    c->header_bytes += len;
    if (c->header_bytes > (size_t)c->server->cfg->http.max_header_bytes)
        return refuse(c, 431, "request_header_fields_too_large", "header section too large");
    return 0;
}

static int on_header_field(llhttp_t *p, const char *at, size_t len)
{
    http_conn_t *c = conn_of(p);
    if (c->last_cb != CB_FIELD) {
        /* A new header: fresh buffers, the stored headers keep the old ones. */
        memset(&c->hname, 0, sizeof c->hname);
        memset(&c->hval, 0, sizeof c->hval);
    }
    c->last_cb = CB_FIELD;
    if (count_header_bytes(c, len)) return HPE_USER;
    if (sbuf_append(c->req->arena, &c->hname, at, len)) return refuse_oom(c);
    return 0;
}

static int on_header_field_complete(llhttp_t *p)
{
    http_conn_t *c = conn_of(p);
    /* llhttp 8.1 takes ": value" (an empty field span): a field name is a
     * token, never empty (RFC 9110 5.1). */
    if (c->last_cb != CB_FIELD || c->hname.len == 0)
        return refuse(c, 400, "bad_request", "empty header name");
    c->last_cb = CB_FIELD_DONE;
    /* llhttp 8.1 takes "Name : value"; RFC 9112 5.1 says refuse it. */
    char last = c->hname.len ? c->hname.p[c->hname.len - 1] : 0;
    if (last == ' ' || last == '\t')
        return refuse(c, 400, "bad_request", "whitespace between header name and colon");
    if (++c->nheaders > (size_t)c->server->cfg->http.max_headers)
        return refuse(c, 431, "request_header_fields_too_large", "too many header fields");
    return 0;
}

static int on_header_value(llhttp_t *p, const char *at, size_t len)
{
    http_conn_t *c = conn_of(p);
    /* llhttp 8.1 accepts obs-fold and reports the continuation line as more
     * of the same value; RFC 9112 5.2 says refuse it. A value that goes on
     * right after a line feed is exactly that. */
    if (c->last_cb == CB_VALUE) {
        char before = at > c->exec_start ? at[-1] : c->prev_byte;
        if (before == '\n') return refuse(c, 400, "bad_request", "obsolete line folding in header");
    }
    c->last_cb = CB_VALUE;
    if (count_header_bytes(c, len)) return HPE_USER;
    if (sbuf_append(c->req->arena, &c->hval, at, len)) return refuse_oom(c);
    return 0;
}

static int on_header_value_complete(llhttp_t *p)
{
    http_conn_t *c = conn_of(p);
    http_req_t *req = c->req;
    c->last_cb = CB_VALUE_DONE;
    if (req->nheaders == c->headers_cap) {
        size_t cap = c->headers_cap ? c->headers_cap * 2 : 16;
        http_header_t *h = arena_alloc(req->arena, cap * sizeof *h);
        if (!h) return refuse_oom(c);
        if (req->nheaders) memcpy(h, req->headers, req->nheaders * sizeof *h);
        req->headers = h;
        c->headers_cap = cap;
    }
    size_t vlen = c->hval.len;
    const char *v = sbuf_str(&c->hval);
    while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
        vlen--;
    http_header_t *h = &req->headers[req->nheaders++];
    h->name = sbuf_str(&c->hname);
    h->name_len = c->hname.len;
    if (c->hval.p) c->hval.p[vlen] = '\0';
    h->value = v;
    h->value_len = vlen;
    return 0;
}

/* The request target's form and the Host field (RFC 9112 3.2, 3.2.2,
 * 3.2.4): NULL when both are acceptable, else why not. */
static const char *check_target_and_host(http_conn_t *c)
{
    const http_req_t *req = c->req;
    const char *url = sbuf_str(&c->url);
    size_t hosts = 0;
    const http_header_t *host = NULL;
    for (size_t i = 0; i < req->nheaders; i++) {
        const http_header_t *h = &req->headers[i];
        if (h->name_len == 4 && strcasecmp(h->name, "Host") == 0) {
            host = h;
            hosts++;
        }
    }
    if (hosts > 1) return "more than one Host header";
    if (!host && c->parser.http_major == 1 && c->parser.http_minor == 1)
        return "HTTP/1.1 request without Host header";
    if (host && !http_host_valid(host->value, host->value_len)) return "invalid Host header";
    if (c->url.len == 1 && url[0] == '*') {
        if (c->parser.method != HTTP_OPTIONS) return "the asterisk target is only for OPTIONS";
        return NULL;
    }
    const char *authority;
    size_t alen, rest_len;
    const char *rest = http_absolute_form(url, c->url.len, &authority, &alen, &rest_len);
    if (rest) {
        if (!alen || !http_host_valid(authority, alen)) return "invalid authority in the target";
    } else if (url[0] != '/') {
        return "invalid request target";
    }
    if (!http_percent_valid(url, c->url.len)) return "invalid percent-encoding in the target";
    return NULL;
}

static int on_headers_complete(llhttp_t *p)
{
    http_conn_t *c = conn_of(p);
    http_req_t *req = c->req;
    const sf_config_t *cfg = c->server->cfg;

    req->http_major = p->http_major;
    req->http_minor = p->http_minor;
    if (!llhttp_should_keep_alive(p) || p->upgrade) c->last_request = true;

    const char *why = check_target_and_host(c);
    if (why) return refuse(c, 400, "bad_request", why);

    /* Only "chunked" alone is understood; anything else could frame the body
     * differently for another server on the path. */
    size_t te_count = 0;
    for (size_t i = 0; i < req->nheaders; i++) {
        const http_header_t *h = &req->headers[i];
        if (h->name_len != 17 || strcasecmp(h->name, "Transfer-Encoding") != 0) continue;
        if (++te_count > 1 || strcasecmp(h->value, "chunked") != 0)
            return refuse(c, 400, "bad_request", "unsupported Transfer-Encoding");
    }

    bool has_body =
        (p->flags & F_CHUNKED) || ((p->flags & F_CONTENT_LENGTH) && p->content_length > 0);
    if ((p->flags & F_CONTENT_LENGTH) && p->content_length > (uint64_t)cfg->http.max_body_bytes) {
        return refuse_body_size(c);
    }

    const char *expect = http_req_header(req, "Expect");
    if (expect) {
        if (strcasecmp(expect, "100-continue") != 0)
            return refuse(c, 417, "expectation_failed", "only Expect: 100-continue is supported");
        if (has_body && p->http_minor >= 1) {
            static char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
            uv_buf_t b = uv_buf_init(cont, sizeof cont - 1);
            http__conn_write(c, NULL, &b, 1);
        }
    }
    if (has_body) http__conn_set_state(c, CONN_BODY);
    return 0;
}

static int on_body(llhttp_t *p, const char *at, size_t len)
{
    http_conn_t *c = conn_of(p);
    const sf_config_t *cfg = c->server->cfg;
    if (c->body.len + len > (size_t)cfg->http.max_body_bytes) {
        return refuse_body_size(c);
    }
    if (sbuf_append(c->req->arena, &c->body, at, len)) return refuse_oom(c);
    if (p->flags & F_CHUNKED) {
        c->chunk_left -= len < c->chunk_left ? len : c->chunk_left;
        if (c->chunk_left == 0) {
            /* The chunk's data must be followed by CRLF. */
            c->crlf_check = 2;
            const char *q = at + len;
            while (c->crlf_check && q < c->exec_end) {
                if (*q++ != (c->crlf_check == 2 ? '\r' : '\n'))
                    return refuse(c, 400, "bad_request", "chunk data not followed by CRLF");
                c->crlf_check--;
            }
        }
    }
    return 0;
}

static int on_chunk_header(llhttp_t *p)
{
    http_conn_t *c = conn_of(p);
    const sf_config_t *cfg = c->server->cfg;
    /* Refused at the size line: the bytes it announces never need reading. */
    if (p->content_length > (uint64_t)cfg->http.max_body_bytes - c->body.len) {
        return refuse_body_size(c);
    }
    c->chunk_left = p->content_length;
    return 0;
}

static int on_chunk_extension(llhttp_t *p, const char *at, size_t len)
{
    http_conn_t *c = conn_of(p);
    (void)at;
    c->chunk_ext_bytes += len;
    if (c->chunk_ext_bytes > CHUNK_EXT_MAX)
        return refuse(c, 400, "bad_request", "chunk extensions too long");
    return 0;
}

static int on_message_complete(llhttp_t *p)
{
    http_conn_t *c = conn_of(p);
    memset(&c->head_scan, 0, sizeof c->head_scan); /* what follows is the next head */
    http__conn_set_state(c, CONN_DISPATCH);
    /* One request at a time: stop here for the connection to dispatch it. */
    return HPE_PAUSED;
}

static int on_message_begin(llhttp_t *p)
{
    return http__parser_begin(conn_of(p)) < 0 ? refuse_oom(conn_of(p)) : 0;
}

static const llhttp_settings_t *parser_settings(void)
{
    static llhttp_settings_t s;
    static bool ready;
    if (!ready) {
        llhttp_settings_init(&s);
        s.on_message_begin = on_message_begin;
        s.on_url = on_url;
        s.on_header_field = on_header_field;
        s.on_header_field_complete = on_header_field_complete;
        s.on_header_value = on_header_value;
        s.on_header_value_complete = on_header_value_complete;
        s.on_headers_complete = on_headers_complete;
        s.on_body = on_body;
        s.on_chunk_header = on_chunk_header;
        s.on_chunk_extension_name = on_chunk_extension;
        s.on_chunk_extension_value = on_chunk_extension;
        s.on_message_complete = on_message_complete;
        ready = true;
    }
    return &s;
}

static unsigned method_bit(uint8_t m)
{
    switch ((llhttp_method_t)m) {
    case HTTP_GET:
        return HTTP_M_GET;
    case HTTP_HEAD:
        return HTTP_M_HEAD;
    case HTTP_POST:
        return HTTP_M_POST;
    case HTTP_PUT:
        return HTTP_M_PUT;
    case HTTP_DELETE:
        return HTTP_M_DELETE;
    case HTTP_OPTIONS:
        return HTTP_M_OPTIONS;
    case HTTP_PATCH:
        return HTTP_M_PATCH;
    default:
        return HTTP_M_OTHER;
    }
}

static bool valid_request_id(const char *s, size_t n)
{
    if (n == 0 || n > HTTP_REQUEST_ID_MAX) return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.' || ch == ':' ||
                  ch == '/';
        if (!ok) return false;
    }
    return true;
}
/* Fills the request fields handlers read, once the message is complete. */
void http__parser_finish(http_conn_t *c)
{
    http_req_t *req = c->req;
    const char *url = sbuf_str(&c->url);
    size_t url_len = c->url.len;
    const char *authority;
    size_t alen, rest_len;
    const char *rest = http_absolute_form(url, url_len, &authority, &alen, &rest_len);
    if (rest) {
        /* "http://host/p?q" is routed as "/p?q" (RFC 9112 3.2.2). */
        url = rest;
        url_len = rest_len;
    }
    const char *q = memchr(url, '?', url_len);
    size_t path_len = q ? (size_t)(q - url) : url_len;
    if (rest && path_len == 0) {
        req->path = "/"; /* "http://host" or "http://host?q" */
        req->path_len = 1;
    } else {
        /* NUL-terminated: the url's own copy ends at the query. */
        req->path = q ? arena_strndup(req->arena, url, path_len) : url;
        req->path_len = path_len;
    }
    if (q) {
        req->query = q + 1;
        req->query_len = url_len - path_len - 1;
    }
    req->body = sbuf_str(&c->body);
    req->body_len = c->body.len;
    req->method_name = llhttp_method_name((llhttp_method_t)c->parser.method);
    req->method = method_bit(c->parser.method);

    const char *rid = http_req_header(req, "X-Request-ID");
    if (rid && valid_request_id(rid, strlen(rid)))
        memcpy(req->request_id, rid, strlen(rid) + 1);
    else
        http__request_id_new(c->server, req->request_id);
}

static bool is_tchar(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

/* A method llhttp does not know but written as a token then a space: a
 * well-formed request line, so 501 rather than 400. */
static bool unknown_but_valid_method(const char *pos, const char *end)
{
    if (!pos) return false;
    while (pos < end && is_tchar((unsigned char)*pos))
        pos++;
    return pos < end && *pos == ' ';
}

/* What llhttp's error err means for the answer: a callback's refusal, 501
 * for a well-formed unknown method, else 400. */
static void parse_error(http_conn_t *c, llhttp_errno_t err, const char *pos, const char *end)
{
    if (c->fail_status) return;
    if (err == HPE_INVALID_METHOD && unknown_but_valid_method(pos, end)) {
        refuse(c, 501, "not_implemented", "unknown request method");
        return;
    }
    const char *reason = llhttp_get_error_reason(&c->parser);
    snprintf(c->fail_text, sizeof c->fail_text, "malformed request: %s",
             reason ? reason : llhttp_errno_name(err));
    refuse(c, 400, "bad_request", c->fail_text);
}

/* Checks the CRLF after a chunk's data when the data ended a buffer. */
static int check_chunk_crlf(http_conn_t *c, const char *data, size_t len)
{
    size_t i = 0;
    while (c->crlf_check && i < len) {
        if (data[i++] != (c->crlf_check == 2 ? '\r' : '\n')) return -1;
        c->crlf_check--;
    }
    return 0;
}

void http__parser_init(http_conn_t *c)
{
    llhttp_init(&c->parser, HTTP_REQUEST, parser_settings());
    c->parser.data = c;
}

ssize_t http__parser_execute(http_conn_t *c, const char *data, size_t len)
{
    if (check_chunk_crlf(c, data, len) < 0) {
        refuse(c, 400, "bad_request", "chunk data not followed by CRLF");
        return -1;
    }
    if (!c->head_scan.done) {
        const char *why;
        if (http_head_scan(&c->head_scan, data, len, &why) < 0) {
            refuse(c, 400, "bad_request", why);
            return -1;
        }
    }
    c->exec_start = data;
    c->exec_end = data + len;
    llhttp_errno_t err = llhttp_execute(&c->parser, data, len);
    size_t used = len;
    if (err == HPE_PAUSED) {
        used = (size_t)(llhttp_get_error_pos(&c->parser) - data);
        llhttp_resume(&c->parser);
    } else if (err != HPE_OK) {
        parse_error(c, err, llhttp_get_error_pos(&c->parser), data + len);
        return -1;
    }
    if (used) c->prev_byte = data[used - 1];
    return (ssize_t)used;
}
