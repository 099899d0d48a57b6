/* One client connection: reads, parses with llhttp (strict), enforces the
 * limits and timeouts, hands complete requests to the router one at a time
 * (pipelined input waits, answers stay in order), and closes cleanly.
 *
 * Life of a connection, as states (conn_set_state() is the only setter):
 *   IDLE -> HEADERS (first byte) -> BODY (if any) -> HANDLING (handler has
 *   it) -> IDLE (answer queued) ... -> LINGER (last answer written, FIN
 *   sent, input discarded) -> CLOSED.
 * Callbacks only record what happened; conn_drive() moves the parser on. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "http/conn.h"
#include "http/router.h"

#define READ_BUF_SIZE (64 * 1024)
/* Unparsed input kept per connection before reading pauses. */
#define IN_MAX (64 * 1024)
/* How long a closing connection drains input after its last answer. */
#define LINGER_MS 2000
/* How long an idle connection stays open once the worker drains. */
#define DRAIN_IDLE_GRACE_MS 1000
/* Chunk extension bytes allowed in one request (CVE-2024-22019's shape:
 * extensions are not body bytes, so no other limit counts them). */
#define CHUNK_EXT_MAX 4096

enum { CB_NONE, CB_FIELD, CB_FIELD_DONE, CB_VALUE, CB_VALUE_DONE };

static const llhttp_settings_t *conn_settings(void);
static void conn_drive(http_conn_t *c);
static void conn_arm_timer(http_conn_t *c);
static void conn_update_reading(http_conn_t *c);
static void conn_fail(http_conn_t *c, int status, const char *code, const char *msg);
static void conn_finish_close(http_conn_t *c);
static void conn_maybe_free(http_conn_t *c);

static void conn_set_state(http_conn_t *c, http_conn_state_t st)
{
    c->state = st;
    conn_arm_timer(c);
}

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

static int refuse(http_conn_t *c, int status, const char *code, const char *msg)
{
    if (!c->fail_status) {
        c->fail_status = status;
        c->fail_code = code;
        c->fail_msg = (char *)msg;
    }
    return HPE_USER;
}

/* ---- llhttp callbacks ------------------------------------------------- */

static int on_message_begin(llhttp_t *p)
{
    http_conn_t *c = conn_of(p);
    arena_t *a = arena_new(4096);
    if (!a) return refuse(c, 500, "internal_error", "out of memory");
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
    conn_set_state(c, CONN_HEADERS);
    return 0;
}

static int on_url(llhttp_t *p, const char *at, size_t len)
{
    http_conn_t *c = conn_of(p);
    if (c->url.len + len > (size_t)c->server->cfg->http.max_url_bytes)
        return refuse(c, 414, "uri_too_long", "request target too long");
    if (sbuf_append(c->req->arena, &c->url, at, len))
        return refuse(c, 500, "internal_error", "out of memory");
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
    if (sbuf_append(c->req->arena, &c->hname, at, len))
        return refuse(c, 500, "internal_error", "out of memory");
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
    if (sbuf_append(c->req->arena, &c->hval, at, len))
        return refuse(c, 500, "internal_error", "out of memory");
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
        if (!h) return refuse(c, 500, "internal_error", "out of memory");
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
    c->keep_alive = llhttp_should_keep_alive(p) && !p->upgrade;

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
        c->fail_msg = arena_sprintf(req->arena, "request body exceeds %lld bytes",
                                    (long long)cfg->http.max_body_bytes);
        return refuse(c, 413, "payload_too_large", c->fail_msg);
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
    if (has_body) conn_set_state(c, CONN_BODY);
    return 0;
}

static int on_body(llhttp_t *p, const char *at, size_t len)
{
    http_conn_t *c = conn_of(p);
    const sf_config_t *cfg = c->server->cfg;
    if (c->body.len + len > (size_t)cfg->http.max_body_bytes) {
        c->fail_msg = arena_sprintf(c->req->arena, "request body exceeds %lld bytes",
                                    (long long)cfg->http.max_body_bytes);
        return refuse(c, 413, "payload_too_large", c->fail_msg);
    }
    if (sbuf_append(c->req->arena, &c->body, at, len))
        return refuse(c, 500, "internal_error", "out of memory");
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
        c->fail_msg = arena_sprintf(c->req->arena, "request body exceeds %lld bytes",
                                    (long long)cfg->http.max_body_bytes);
        return refuse(c, 413, "payload_too_large", c->fail_msg);
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
    c->msg_complete = true;
    memset(&c->head_scan, 0, sizeof c->head_scan); /* what follows is the next head */
    /* One request at a time: stop here so the driver can dispatch it. */
    return HPE_PAUSED;
}

static const llhttp_settings_t *conn_settings(void)
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

/* ---- dispatch --------------------------------------------------------- */

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
static void conn_finish_request(http_conn_t *c)
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

    const char *rid = http_req_header(req, "X-Request-ID");
    if (rid && valid_request_id(rid, strlen(rid)))
        memcpy(req->request_id, rid, strlen(rid) + 1);
    else
        http__request_id_new(c->server, req->request_id);
}

static void conn_dispatch(http_conn_t *c)
{
    http_req_t *req = c->req;
    http_server_t *s = c->server;
    conn_finish_request(c);
    c->requests++;
    s->stats.requests++;
    conn_set_state(c, CONN_HANDLING);

    req->method = method_bit(c->parser.method);
    unsigned route_method = req->method;
    if (req->method == HTTP_M_HEAD) {
        req->head_only = true;
        route_method = HTTP_M_GET;
    }
    http_route_match_t m;
    http_handler_fn fn =
        http_router_match(s->router, route_method, req->path, req->path_len, req->arena, &m);
    memcpy(req->params, m.params, m.nparams * sizeof m.params[0]);
    req->nparams = m.nparams;
    req->route_data = m.data;
    req->route = m.pattern;
    req->route_class = m.cls;
    unsigned allowed = m.allowed;
    if (s->hooks.before && s->hooks.before(s->hooks.ctx, req)) {
        /* a middleware answered (refused, preflight) */
    } else if (fn) {
        fn(req);
    } else if (allowed) {
        char allow[128], hdr[160];
        http_router_allow_string(allowed, allow, sizeof allow);
        snprintf(hdr, sizeof hdr, "Allow: %s\r\n", allow);
        http_respond_error_h(req, 405, hdr, "method_not_allowed",
                             "method %s is not allowed on this path", req->method_name);
    } else {
        http_respond_error(req, 404, "not_found", "no route for this path");
    }
}

/* Refuses the request being read (or a connection-level failure before any
 * request) with an error answer, then closes: nothing after it is parsed. */
static void conn_fail(http_conn_t *c, int status, const char *code, const char *msg)
{
    if (c->state == CONN_CLOSED || c->state == CONN_LINGER) return;
    if (!c->req && on_message_begin(&c->parser) != 0) {
        http__conn_close(c);
        return;
    }
    http_req_t *req = c->req;
    conn_finish_request(c);
    c->server->stats.parse_errors++;
    c->keep_alive = false;
    c->close_after = true;
    c->in_off = c->in_len; /* what follows a refused request is never executed */
    req->method = method_bit(c->parser.method);
    req->method_name = req->method_name ? req->method_name : "-";
    conn_set_state(c, CONN_HANDLING);
    http_respond_error(req, status, code, "%s", msg);
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

static void conn_parse_error(http_conn_t *c, llhttp_errno_t err, const char *pos, const char *end)
{
    if (c->fail_status) {
        conn_fail(c, c->fail_status, c->fail_code, c->fail_msg);
        return;
    }
    if (err == HPE_INVALID_METHOD && unknown_but_valid_method(pos, end)) {
        conn_fail(c, 501, "not_implemented", "unknown request method");
        return;
    }
    const char *reason = llhttp_get_error_reason(&c->parser);
    char msg[160];
    snprintf(msg, sizeof msg, "malformed request: %s", reason ? reason : llhttp_errno_name(err));
    conn_fail(c, 400, "bad_request", msg);
}

/* Checks the CRLF after a chunk's data when the data ended a buffer. */
static int conn_check_chunk_crlf(http_conn_t *c, const char *data, size_t len)
{
    size_t i = 0;
    while (c->crlf_check && i < len) {
        if (data[i++] != (c->crlf_check == 2 ? '\r' : '\n')) return -1;
        c->crlf_check--;
    }
    return 0;
}

static bool output_full(const http_conn_t *c)
{
    return c->tcp.write_queue_size > (size_t)c->server->cfg->http.max_pending_output;
}

/* Parses buffered input and dispatches complete requests while the
 * connection can take one. A handler answering synchronously re-enters
 * through http__conn_answered(); the guard turns that into another turn of
 * this loop instead of recursion. */
static void conn_drive(http_conn_t *c)
{
    if (c->driving) return;
    c->driving = true;
    while (c->state != CONN_HANDLING && c->state != CONN_CLOSED && c->state != CONN_LINGER &&
           !c->close_after && c->in_off < c->in_len && !output_full(c)) {
        const char *data = c->in + c->in_off;
        size_t len = c->in_len - c->in_off;
        if (conn_check_chunk_crlf(c, data, len) < 0) {
            conn_fail(c, 400, "bad_request", "chunk data not followed by CRLF");
            break;
        }
        if (!c->head_scan.done) {
            const char *why;
            if (http_head_scan(&c->head_scan, data, len, &why) < 0) {
                conn_fail(c, 400, "bad_request", why);
                break;
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
            conn_parse_error(c, err, llhttp_get_error_pos(&c->parser), data + len);
            break;
        }
        if (used) c->prev_byte = data[used - 1];
        c->in_off += used;
        if (c->msg_complete) {
            c->msg_complete = false;
            conn_dispatch(c);
        }
    }
    if (c->in_off == c->in_len) {
        c->in_off = c->in_len = 0;
        if (c->in_own && c->in_cap > READ_BUF_SIZE) {
            free(c->in);
            c->in = NULL;
            c->in_cap = 0;
            c->in_own = false;
        }
    }
    c->driving = false;
    if (c->state == CONN_IDLE && c->peer_eof && !c->writes_pending)
        http__conn_close(c);
    else
        conn_update_reading(c);
}

/* ---- reading ---------------------------------------------------------- */

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    http_conn_t *c = (http_conn_t *)h;
    http_server_t *s = c->server;
    if (!s->rbuf) s->rbuf = malloc(READ_BUF_SIZE);
    if (!s->rbuf || s->rbuf_busy) {
        *buf = uv_buf_init(NULL, 0); /* libuv reports UV_ENOBUFS */
        return;
    }
    s->rbuf_busy = true;
    *buf = uv_buf_init(s->rbuf, READ_BUF_SIZE);
}

/* Keeps the unparsed tail of a read in the connection's own memory. */
static int conn_keep_input(http_conn_t *c)
{
    size_t left = c->in_len - c->in_off;
    if (!c->in_own) {
        if (left == 0) {
            c->in = NULL;
            c->in_off = c->in_len = 0;
            return 0;
        }
        size_t cap = left < 4096 ? 4096 : left;
        char *p = malloc(cap);
        if (!p) return -1;
        memcpy(p, c->in + c->in_off, left);
        c->in = p;
        c->in_cap = cap;
        c->in_own = true;
        c->in_off = 0;
        c->in_len = left;
    }
    return 0;
}

static int conn_append_input(http_conn_t *c, const char *data, size_t n)
{
    if (c->in_off > 0 && c->in_off == c->in_len) c->in_off = c->in_len = 0;
    if (c->in_len + n > c->in_cap) {
        /* Move what is left to the front before growing. */
        if (c->in_off) {
            memmove(c->in, c->in + c->in_off, c->in_len - c->in_off);
            c->in_len -= c->in_off;
            c->in_off = 0;
        }
        if (c->in_len + n > c->in_cap) {
            size_t cap = c->in_cap ? c->in_cap : 4096;
            while (cap < c->in_len + n)
                cap *= 2;
            char *p = realloc(c->in, cap);
            if (!p) return -1;
            c->in = p;
            c->in_cap = cap;
        }
    }
    memcpy(c->in + c->in_len, data, n);
    c->in_len += n;
    return 0;
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    http_conn_t *c = (http_conn_t *)stream;
    http_server_t *s = c->server;
    if (buf->base == s->rbuf) s->rbuf_busy = false;

    if (nread == 0) return;
    if (c->state == CONN_LINGER) {
        if (nread < 0) http__conn_close(c);
        return; /* discard */
    }
    if (nread < 0) {
        if (nread == UV_EOF) {
            c->peer_eof = true;
            if (c->state == CONN_HEADERS || c->state == CONN_BODY) {
                http__conn_close(c); /* a request cut short: nobody to answer */
                return;
            }
            /* The end of input while a request is being worked on, with no
             * other request sent after it: the client gave up (like NGINX's
             * 499). Its work is cancelled. A client that pipelined requests
             * and then closed its side gets its answers. */
            if (c->state == CONN_HANDLING && c->in_off == c->in_len) {
                http__conn_close(c);
                return;
            }
            if (c->state == CONN_IDLE && c->in_off == c->in_len && !c->writes_pending) {
                http__conn_close(c);
                return;
            }
            conn_update_reading(c);
            return;
        }
        http__conn_close(c);
        return;
    }

    if (c->state == CONN_BODY) conn_arm_timer(c); /* the body timer counts from the last read */

    if (c->in_len == c->in_off && !c->in_own) {
        /* Common case: parse straight from the shared buffer. */
        c->in = buf->base;
        c->in_off = 0;
        c->in_len = (size_t)nread;
        conn_drive(c);
        if (c->state != CONN_CLOSED && conn_keep_input(c))
            http__conn_close(c);
        else if (c->state == CONN_CLOSED && !c->in_own)
            c->in = NULL, c->in_off = c->in_len = 0;
        return;
    }
    if (conn_append_input(c, buf->base, (size_t)nread)) {
        http__conn_close(c);
        return;
    }
    conn_drive(c);
}

/* Reads while the connection can use input: not while closing, not past
 * the unparsed-input bound, not while its output is over the bound. */
static void conn_update_reading(http_conn_t *c)
{
    if (c->state == CONN_CLOSED) return;
    bool want;
    if (c->state == CONN_LINGER)
        want = true;
    else
        want =
            !c->peer_eof && !c->close_after && (c->in_len - c->in_off) < IN_MAX && !output_full(c);
    if (want && !c->reading) {
        if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) == 0) c->reading = true;
    } else if (!want && c->reading) {
        uv_read_stop((uv_stream_t *)&c->tcp);
        c->reading = false;
    }
}

/* ---- timers ----------------------------------------------------------- */

static void on_timer(uv_timer_t *t)
{
    http_conn_t *c = t->data;
    if (c->writes_pending) {
        c->server->stats.timeouts++;
        log_write(LOG_INFO, "client not reading: connection dropped", LF_END);
        http__conn_close(c);
        return;
    }
    switch (c->state) {
    case CONN_IDLE:
    case CONN_LINGER:
        http__conn_close(c);
        break;
    case CONN_HEADERS:
        c->server->stats.timeouts++;
        conn_fail(c, 408, "request_timeout", "request headers not received in time");
        break;
    case CONN_BODY:
        c->server->stats.timeouts++;
        conn_fail(c, 408, "request_timeout", "request body not received in time");
        break;
    case CONN_HANDLING:
    case CONN_CLOSED:
        break;
    }
}

static void conn_arm_timer(http_conn_t *c)
{
    const sf_config_t *cfg = c->server->cfg;
    uint64_t ms = 0;
    if (c->state == CONN_CLOSED) return;
    if (c->writes_pending) {
        ms = (uint64_t)cfg->http.write_timeout_ms;
    } else {
        switch (c->state) {
        case CONN_IDLE:
            ms = (uint64_t)cfg->http.idle_timeout_ms;
            break;
        case CONN_HEADERS: {
            uint64_t now = clock_now_ns();
            ms = c->headers_deadline_ns > now ? (c->headers_deadline_ns - now) / 1000000u + 1 : 1;
            break;
        }
        case CONN_BODY:
            ms = (uint64_t)cfg->http.body_timeout_ms;
            break;
        case CONN_LINGER:
            ms = LINGER_MS;
            break;
        case CONN_HANDLING:
        case CONN_CLOSED:
            uv_timer_stop(&c->timer);
            return;
        }
    }
    uv_timer_start(&c->timer, on_timer, ms, 0);
}

/* ---- writing ---------------------------------------------------------- */

typedef struct conn_write {
    uv_write_t w;
    http_req_t *req;
} conn_write_t;

static void conn_after_writes(http_conn_t *c)
{
    if (c->state == CONN_CLOSED) return;
    if (c->writes_pending == 0 && c->close_after && c->state != CONN_HANDLING) {
        conn_finish_close(c);
        return;
    }
    conn_arm_timer(c);
    if (!output_full(c)) {
        conn_drive(c);
    }
}

static void on_write(uv_write_t *w, int status)
{
    conn_write_t *cw = (conn_write_t *)w;
    http_conn_t *c = w->data;
    http_req_t *req = cw->req;
    c->writes_pending--;
    if (req)
        http__conn_request_done(c, req); /* frees cw with the arena */
    else
        free(cw);
    if (status < 0 && c->state != CONN_CLOSED) {
        http__conn_close(c);
        return;
    }
    conn_after_writes(c);
}

void http__conn_write(http_conn_t *c, http_req_t *req, uv_buf_t *bufs, unsigned nbufs)
{
    if (c->state == CONN_CLOSED) {
        if (req) http__conn_request_done(c, req);
        return;
    }
    size_t total = 0;
    for (unsigned i = 0; i < nbufs; i++)
        total += bufs[i].len;
    if (!c->writes_pending) {
        int n = uv_try_write((uv_stream_t *)&c->tcp, bufs, nbufs);
        if (n == (int)total) {
            if (req) http__conn_request_done(c, req);
            return;
        }
        if (n > 0) {
            size_t skip = (size_t)n;
            while (nbufs && skip >= bufs[0].len) {
                skip -= bufs[0].len;
                bufs++;
                nbufs--;
            }
            bufs[0].base += skip;
            bufs[0].len -= skip;
        } else if (n != UV_EAGAIN && n != UV_ENOSYS) {
            if (req) http__conn_request_done(c, req);
            http__conn_close(c);
            return;
        }
    }
    conn_write_t *cw = req ? arena_alloc(req->arena, sizeof *cw) : malloc(sizeof *cw);
    if (!cw) {
        if (req) http__conn_request_done(c, req);
        http__conn_close(c);
        return;
    }
    cw->req = req;
    cw->w.data = c;
    if (uv_write(&cw->w, (uv_stream_t *)&c->tcp, bufs, nbufs, on_write) < 0) {
        if (req)
            http__conn_request_done(c, req);
        else
            free(cw);
        http__conn_close(c);
        return;
    }
    c->writes_pending++;
    conn_arm_timer(c);
    conn_update_reading(c);
}

bool http__conn_will_close(const http_conn_t *c)
{
    const http_server_t *s = c->server;
    return !c->keep_alive || c->close_after || s->draining ||
           (c->peer_eof && c->in_off == c->in_len) ||
           c->requests >= (unsigned)s->cfg->http.max_requests_per_conn;
}

void http__conn_answered(http_conn_t *c, http_req_t *req)
{
    if (c->req == req) c->req = NULL;
    if (c->state == CONN_CLOSED) {
        conn_maybe_free(c);
        return;
    }
    if (http__conn_will_close(c)) c->close_after = true;
    conn_set_state(c, CONN_IDLE);
    if (c->close_after) {
        c->in_off = c->in_len;
        conn_update_reading(c);
        if (!c->writes_pending) conn_finish_close(c);
        return;
    }
    if (!c->driving) conn_drive(c);
}

/* ---- closing ---------------------------------------------------------- */

static void conn_maybe_free(http_conn_t *c)
{
    if (c->handles_open > 0 || c->req || c->writes_pending) return;
    if (c->in_own) free(c->in);
    http__server_conn_closed(c->server, c);
    free(c);
}

static void on_handle_closed(uv_handle_t *h)
{
    http_conn_t *c = h->data;
    c->handles_open--;
    conn_maybe_free(c);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    http_conn_t *c = req->data;
    free(req);
    if (status < 0 || c->state == CONN_CLOSED) {
        http__conn_close(c);
        return;
    }
    if (c->peer_eof) http__conn_close(c);
}

/* Last answer written: send FIN and drain input for a while, so the
 * client reads the answer instead of a reset caused by unread bytes. */
static void conn_finish_close(http_conn_t *c)
{
    if (c->state == CONN_CLOSED || c->state == CONN_LINGER) return;
    if (c->peer_eof) {
        http__conn_close(c);
        return;
    }
    uv_shutdown_t *sr = malloc(sizeof *sr);
    if (!sr) {
        http__conn_close(c);
        return;
    }
    sr->data = c;
    if (uv_shutdown(sr, (uv_stream_t *)&c->tcp, on_shutdown) < 0) {
        free(sr);
        http__conn_close(c);
        return;
    }
    c->close_after = true;
    conn_set_state(c, CONN_LINGER);
    conn_update_reading(c);
}

void http__conn_close(http_conn_t *c)
{
    if (c->state == CONN_CLOSED) return;
    bool handling = c->state == CONN_HANDLING;
    c->state = CONN_CLOSED;
    uv_timer_stop(&c->timer);
    if (c->reading) uv_read_stop((uv_stream_t *)&c->tcp);
    c->reading = false;
    uv_close((uv_handle_t *)&c->tcp, on_handle_closed);
    uv_close((uv_handle_t *)&c->timer, on_handle_closed);
    http_req_t *req = c->req;
    if (!req) return;
    if (handling) {
        /* The handler keeps the request until it answers (the answer is
         * dropped); tell it the client is gone so it can stop early. */
        req->client_gone = true;
        if (req->on_client_gone) req->on_client_gone(req);
    } else {
        /* A request still being read has no handler: drop it now. */
        c->req = NULL;
        arena_free(req->arena);
    }
}

void http__conn_drain(http_conn_t *c)
{
    if (c->state == CONN_IDLE) conn_arm_timer(c);
}

void http__conn_request_done(http_conn_t *c, http_req_t *req)
{
    if (c->req == req) c->req = NULL;
    http__req_free(req);
    if (c->state == CONN_CLOSED) conn_maybe_free(c);
}

/* ---- accepting -------------------------------------------------------- */

/* Sets up a connection around an accepted socket: attach is uv_accept()
 * from the listener or uv_tcp_open() of a socket accepted by hand. */
static void conn_start(http_server_t *s, int fd)
{
    http_conn_t *c = calloc(1, sizeof *c);
    if (!c) goto refuse;
    c->server = s;
    if (uv_tcp_init(s->loop, &c->tcp) < 0) goto refuse;
    c->tcp.data = c;
    c->handles_open = 1;
    int rc = fd < 0 ? uv_accept((uv_stream_t *)&s->listener, (uv_stream_t *)&c->tcp)
                    : uv_tcp_open(&c->tcp, fd);
    if (rc < 0) {
        c->state = CONN_CLOSED;
        uv_close((uv_handle_t *)&c->tcp, on_handle_closed);
        if (fd >= 0) close(fd);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    uv_timer_init(s->loop, &c->timer);
    c->timer.data = c;
    c->handles_open = 2;
    llhttp_init(&c->parser, HTTP_REQUEST, conn_settings());
    c->parser.data = c;
    c->keep_alive = true;
    c->next = s->conns;
    if (s->conns) s->conns->prev = c;
    s->conns = c;
    s->nconns++;
    s->stats.connections_accepted++;
    conn_set_state(c, CONN_IDLE);
    conn_update_reading(c);
    return;
refuse:
    free(c);
    if (fd >= 0) close(fd);
}

void http__conn_accept(http_server_t *s)
{
    conn_start(s, -1);
}

void http__conn_adopt(http_server_t *s, int fd)
{
    conn_start(s, fd);
}
