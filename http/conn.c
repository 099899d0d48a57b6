/* One client connection: reads, hands complete requests to the router one
 * at a time (pipelined input waits, answers stay in order), enforces the
 * timeouts, and closes cleanly. Reading one request (llhttp and the RFC
 * 9112 checks) is http/parser.c's.
 *
 * The connection is a state machine in curl's multi.c shape: the states
 * (http_conn_state_t, a comment on each in conn.h), one setter that is
 * their only writer (http__conn_set_state(), traced at debug level), one
 * function per state (the three reading states share the one that runs
 * the parser), and one loop, conn_step(), that runs them until the
 * connection waits for something. The loop's callbacks (read, write,
 * timer, shutdown) and the answer of a handler only record what happened
 * (input, peer_eof, error, the request given back) and call conn_step().
 * The life of a connection, top to bottom:
 *
 *   IDLE -> HEADERS (first byte) -> BODY (if any) -> DISPATCH (complete)
 *   -> HANDLING (with its handler) -> IDLE (answered) ... -> FLUSHING (the
 *   last answer queued) -> LINGER (written, FIN sent) -> CLOSED.
 *
 * It is freed only in the close callback of its last handle: the timer is
 * closed once no handler holds its request and no write is pending. */
#include <stdlib.h>
#include <string.h>
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

/* What woke the connection up, for the state that runs first. */
typedef enum {
    EV_NONE,    /* look again: a handler answered, a write ended, a state changed */
    EV_INPUT,   /* bytes arrived (c->in) */
    EV_EOF,     /* the client closed its side (c->peer_eof is set) */
    EV_TIMEOUT, /* the state's timer fired */
} conn_event_t;

static void conn_step(http_conn_t *c, conn_event_t ev);
static void conn_arm_timer(http_conn_t *c);
static void on_handle_closed(uv_handle_t *h);

static const char *const state_names[] = {
    [CONN_IDLE] = "idle",         [CONN_HEADERS] = "headers",   [CONN_BODY] = "body",
    [CONN_DISPATCH] = "dispatch", [CONN_HANDLING] = "handling", [CONN_FLUSHING] = "flushing",
    [CONN_LINGER] = "linger",     [CONN_CLOSED] = "closed",
};

void http__conn_set_state(http_conn_t *c, http_conn_state_t st)
{
    if (log_enabled(LOG_DEBUG))
        log_write(LOG_DEBUG, "connection state", LF_STR, "from", state_names[c->state], LF_STR,
                  "to", state_names[st], LF_INT, "requests", (int64_t)c->requests, LF_END);
    c->state = st;
    conn_arm_timer(c);
}

static bool output_full(const http_conn_t *c)
{
    return c->tcp.write_queue_size > (size_t)c->server->cfg->http.max_pending_output;
}

bool http__conn_will_close(const http_conn_t *c)
{
    const http_server_t *s = c->server;
    return c->last_request || s->draining || (c->peer_eof && c->in_off == c->in_len) ||
           c->requests >= (unsigned)s->cfg->http.max_requests_per_conn;
}

/* ---- timers ----------------------------------------------------------- */

static void on_timer(uv_timer_t *t)
{
    conn_step(t->data, EV_TIMEOUT);
}

/* The timer of the state: the write timeout while writes are pending,
 * else the state's own; none while a handler or the loop has the request. */
static void conn_arm_timer(http_conn_t *c)
{
    const sf_config_t *cfg = c->server->cfg;
    uint64_t ms = 0;
    if (c->writes_pending && c->state != CONN_CLOSED) {
        ms = (uint64_t)cfg->http.write_timeout_ms;
    } else {
        switch (c->state) {
        case CONN_IDLE:
            ms = (uint64_t)cfg->http.idle_timeout_ms;
            if (c->server->draining && ms > DRAIN_IDLE_GRACE_MS) ms = DRAIN_IDLE_GRACE_MS;
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
        case CONN_DISPATCH:
        case CONN_HANDLING:
        case CONN_FLUSHING:
        case CONN_CLOSED:
            uv_timer_stop(&c->timer);
            return;
        }
    }
    uv_timer_start(&c->timer, on_timer, ms, 0);
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
    if (nread < 0) {
        if (nread == UV_EOF) {
            c->peer_eof = true;
            conn_step(c, EV_EOF);
        } else {
            c->error = (int)nread;
            conn_step(c, EV_NONE);
        }
        return;
    }
    if (c->state == CONN_LINGER) return; /* discarded */
    if (c->in_len == c->in_off && !c->in_own) {
        /* Common case: parse straight from the shared buffer, then keep
         * what is left of it in the connection's own memory. */
        c->in = buf->base;
        c->in_off = 0;
        c->in_len = (size_t)nread;
        conn_step(c, EV_INPUT);
        if (c->state == CONN_CLOSED) {
            if (!c->in_own) c->in = NULL, c->in_off = c->in_len = 0;
        } else if (conn_keep_input(c)) {
            c->error = UV_ENOMEM;
            conn_step(c, EV_NONE);
        }
        return;
    }
    if (conn_append_input(c, buf->base, (size_t)nread)) c->error = UV_ENOMEM;
    conn_step(c, EV_INPUT);
}

/* Reads while the connection can use input: not once it is closing, not
 * past the unparsed-input bound, not while its output is over the bound. */
static void conn_update_reading(http_conn_t *c)
{
    bool want;
    switch (c->state) {
    case CONN_CLOSED:
        return;
    case CONN_LINGER:
        want = true; /* discarded until EOF */
        break;
    case CONN_FLUSHING:
        want = false;
        break;
    default:
        want = !c->peer_eof && (c->in_len - c->in_off) < IN_MAX && !output_full(c);
    }
    if (want && !c->reading) {
        if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) == 0) c->reading = true;
    } else if (!want && c->reading) {
        uv_read_stop((uv_stream_t *)&c->tcp);
        c->reading = false;
    }
}

/* ---- writing ---------------------------------------------------------- */

typedef struct conn_write {
    uv_write_t w;
    http_req_t *req;
} conn_write_t;

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
    if (status < 0 && c->state != CONN_CLOSED) c->error = status;
    conn_arm_timer(c);
    conn_step(c, EV_NONE);
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
            c->error = n;
            return;
        }
    }
    conn_write_t *cw = req ? arena_alloc(req->arena, sizeof *cw) : malloc(sizeof *cw);
    if (!cw) {
        if (req) http__conn_request_done(c, req);
        c->error = UV_ENOMEM;
        return;
    }
    cw->req = req;
    cw->w.data = c;
    int rc = uv_write(&cw->w, (uv_stream_t *)&c->tcp, bufs, nbufs, on_write);
    if (rc < 0) {
        if (req)
            http__conn_request_done(c, req);
        else
            free(cw);
        c->error = rc;
        return;
    }
    c->writes_pending++;
    conn_arm_timer(c);
}

/* ---- the states ------------------------------------------------------- */

/* Goes to CLOSED: the socket is closed now; the request being read is
 * dropped, one with its handler is told the client is gone and comes back
 * with its answer (dropped). conn_step_closed() finishes. */
static void conn_close(http_conn_t *c)
{
    if (c->state == CONN_CLOSED) return;
    bool handling = c->state == CONN_HANDLING;
    http__conn_set_state(c, CONN_CLOSED);
    if (c->reading) uv_read_stop((uv_stream_t *)&c->tcp);
    c->reading = false;
    uv_close((uv_handle_t *)&c->tcp, on_handle_closed);
    http_req_t *req = c->req;
    if (!req) return;
    if (handling) {
        req->client_gone = true;
        if (req->on_client_gone) req->on_client_gone(req);
    } else {
        c->req = NULL;
        arena_free(req->arena);
    }
}

/* Refuses the request being read (or a connection-level failure before any
 * request) with an error answer, then closes: nothing after it is parsed. */
static void conn_fail(http_conn_t *c, int status, const char *code, const char *msg)
{
    if (!c->req && http__parser_begin(c) != 0) {
        conn_close(c);
        return;
    }
    http_req_t *req = c->req;
    http__parser_finish(c);
    c->server->stats.parse_errors++;
    c->last_request = true;
    c->in_off = c->in_len; /* what follows a refused request is never executed */
    req->method_name = req->method_name ? req->method_name : "-";
    http__conn_set_state(c, CONN_HANDLING);
    http_respond_error(req, status, code, "%s", msg);
}

/* IDLE, HEADERS, BODY: parses what is buffered, unless the answers already
 * queued are over the output bound (the next write's end steps again). */
static bool conn_step_reading(http_conn_t *c, conn_event_t ev)
{
    if (ev == EV_TIMEOUT) {
        if (c->state == CONN_IDLE) {
            conn_close(c);
            return true;
        }
        c->server->stats.timeouts++;
        conn_fail(c, 408, "request_timeout",
                  c->state == CONN_HEADERS ? "request headers not received in time"
                                           : "request body not received in time");
        return true;
    }
    if (ev == EV_INPUT && c->state == CONN_BODY) conn_arm_timer(c); /* counts from the last read */
    if (c->in_off < c->in_len) {
        if (output_full(c)) return false;
        http_conn_state_t before = c->state;
        ssize_t used = http__parser_execute(c, c->in + c->in_off, c->in_len - c->in_off);
        if (used < 0) {
            conn_fail(c, c->fail_status, c->fail_code, c->fail_msg);
            return true;
        }
        c->in_off += (size_t)used;
        return used > 0 || c->state != before;
    }
    if (c->peer_eof && (c->state != CONN_IDLE || !c->writes_pending)) {
        conn_close(c); /* a request cut short, or nothing left to answer */
        return true;
    }
    return false;
}

/* DISPATCH: hands the complete request to the middleware and its route's
 * handler; it is HANDLING from then on, answered now or later. */
static bool conn_step_dispatch(http_conn_t *c)
{
    http_req_t *req = c->req;
    http_server_t *s = c->server;
    http__parser_finish(c);
    c->requests++;
    s->stats.requests++;
    http__conn_set_state(c, CONN_HANDLING);

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
    return true;
}

/* HANDLING: waits for the handler's answer (c->req given back). */
static bool conn_step_handling(http_conn_t *c, conn_event_t ev)
{
    if (!c->req) {
        if (http__conn_will_close(c)) {
            c->last_request = true;
            c->in_off = c->in_len; /* nothing after the last answer is read */
            http__conn_set_state(c, CONN_FLUSHING);
        } else {
            http__conn_set_state(c, CONN_IDLE);
        }
        return true;
    }
    /* The end of input while the request is with its handler, no other
     * request sent after it: the client gave up (like NGINX's 499), so its
     * work is cancelled. A client that pipelined requests and then closed
     * its side gets its answers. */
    if (ev == EV_EOF && c->in_off == c->in_len) {
        conn_close(c);
        return true;
    }
    return false;
}

static void on_shutdown(uv_shutdown_t *sr, int status)
{
    http_conn_t *c = sr->data;
    if (c->state == CONN_CLOSED) return;
    if (status < 0) c->error = status;
    conn_step(c, EV_NONE);
}

/* FLUSHING: once the last answer is written, sends FIN and drains input
 * for a while (LINGER), so the client reads the answer instead of a reset
 * caused by unread bytes. */
static bool conn_step_flushing(http_conn_t *c)
{
    if (c->writes_pending) return false;
    c->shutdown.data = c;
    if (c->peer_eof || uv_shutdown(&c->shutdown, (uv_stream_t *)&c->tcp, on_shutdown) < 0) {
        conn_close(c);
        return true;
    }
    http__conn_set_state(c, CONN_LINGER);
    return true;
}

/* LINGER: closes at the client's EOF or at the linger timeout. */
static bool conn_step_linger(http_conn_t *c, conn_event_t ev)
{
    if (ev == EV_TIMEOUT || c->peer_eof) {
        conn_close(c);
        return true;
    }
    return false;
}

/* CLOSED: the last handle, the timer, is closed once nothing holds the
 * connection (a handler's request, a write); its close callback frees it. */
static bool conn_step_closed(http_conn_t *c)
{
    if (!c->req && !c->writes_pending && !uv_is_closing((uv_handle_t *)&c->timer))
        uv_close((uv_handle_t *)&c->timer, on_handle_closed);
    return false;
}

/* Runs the state functions until the connection waits. A call made while
 * the loop is on the stack (a handler answering at once) returns: the
 * outer loop looks at the state again. */
static void conn_step(http_conn_t *c, conn_event_t ev)
{
    if (c->in_step) return;
    c->in_step = true;
    for (bool again = true; again; ev = EV_NONE) {
        if (c->state != CONN_CLOSED && (c->error || (ev == EV_TIMEOUT && c->writes_pending))) {
            if (!c->error) {
                c->server->stats.timeouts++;
                log_write(LOG_INFO, "client not reading: connection dropped", LF_END);
            }
            conn_close(c);
        }
        switch (c->state) {
        case CONN_IDLE:
        case CONN_HEADERS:
        case CONN_BODY:
            again = conn_step_reading(c, ev);
            break;
        case CONN_DISPATCH:
            again = conn_step_dispatch(c);
            break;
        case CONN_HANDLING:
            again = conn_step_handling(c, ev);
            break;
        case CONN_FLUSHING:
            again = conn_step_flushing(c);
            break;
        case CONN_LINGER:
            again = conn_step_linger(c, ev);
            break;
        case CONN_CLOSED:
            again = conn_step_closed(c);
            break;
        }
    }
    c->in_step = false;
    if (c->state != CONN_CLOSED && c->in_off == c->in_len) {
        c->in_off = c->in_len = 0;
        if (c->in_own && c->in_cap > READ_BUF_SIZE) {
            free(c->in);
            c->in = NULL;
            c->in_cap = 0;
            c->in_own = false;
        }
    }
    conn_update_reading(c);
}

/* ---- what the rest of http/ calls ------------------------------------- */

void http__conn_answered(http_conn_t *c, http_req_t *req)
{
    if (c->req == req) c->req = NULL;
    conn_step(c, EV_NONE);
}

void http__conn_request_done(http_conn_t *c, http_req_t *req)
{
    if (c->req == req) c->req = NULL;
    http__req_free(req);
}

void http__conn_close(http_conn_t *c)
{
    conn_close(c);
    conn_step(c, EV_NONE);
}

void http__conn_drain(http_conn_t *c)
{
    if (c->state == CONN_IDLE) conn_arm_timer(c);
}

/* ---- accepting and freeing -------------------------------------------- */

static void on_handle_closed(uv_handle_t *h)
{
    http_conn_t *c = h->data;
    if (--c->handles_open > 0) return;
    if (c->in_own) free(c->in);
    http__server_conn_closed(c->server, c);
    free(c);
}

/* Sets up a connection around an accepted socket: uv_accept() from the
 * listener (fd < 0) or uv_tcp_open() of a socket accepted by hand. */
static void conn_start(http_server_t *s, int fd)
{
    http_conn_t *c = calloc(1, sizeof *c);
    if (!c || uv_tcp_init(s->loop, &c->tcp) < 0) {
        free(c);
        if (fd >= 0) close(fd);
        return;
    }
    c->server = s;
    c->tcp.data = c;
    uv_timer_init(s->loop, &c->timer);
    c->timer.data = c;
    c->handles_open = 2;
    int rc = fd < 0 ? uv_accept((uv_stream_t *)&s->listener, (uv_stream_t *)&c->tcp)
                    : uv_tcp_open(&c->tcp, fd);
    if (rc < 0) {
        if (fd >= 0) close(fd);
        http__conn_set_state(c, CONN_CLOSED);
        uv_close((uv_handle_t *)&c->tcp, on_handle_closed);
        uv_close((uv_handle_t *)&c->timer, on_handle_closed);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    http__parser_init(c);
    c->next = s->conns;
    if (s->conns) s->conns->prev = c;
    s->conns = c;
    s->nconns++;
    s->stats.connections_accepted++;
    http__conn_set_state(c, CONN_IDLE);
    conn_update_reading(c);
}

void http__conn_accept(http_server_t *s)
{
    conn_start(s, -1);
}

void http__conn_adopt(http_server_t *s, int fd)
{
    conn_start(s, fd);
}
