/* libFuzzer target: the HTTP request path, end to end inside one process.
 *
 * The real server code (http/conn.c, server.c, router.c, response.c and
 * the health handlers) runs on a real libuv loop; the connection is one
 * end of an AF_UNIX socketpair adopted with http__conn_adopt(), the
 * harness holds the other end and plays the client.
 *
 * Input layout:
 *   byte 0      flags (F_* below)
 *   bytes 1..4  chunk pattern, used in turn: the low 7 bits are a chunk
 *               size (0 = everything left), the high bit fires the
 *               connection's timer (as if its timeout had expired) after
 *               that chunk
 *   bytes 5..   the bytes the client sends
 * Each chunk is written to the socket on its own and the loop is run until
 * idle before the next one, as TCP would deliver them. The responses read
 * back are checked: each starts with "HTTP/1.1 ", has a valid status and
 * its whole body, and nothing follows one that said "Connection: close".
 * The configuration has small limits so that the 413/414/431 paths and
 * max_requests_per_conn are reached with short inputs. Everything is freed
 * before returning (LeakSanitizer is on). */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/config.h"
#include "core/log.h"
#include "http/conn.h"
#include "http/handlers_health.h"
#include "http/router.h"
#include "http/server.h"

enum {
    F_EOF = 1 << 0,        /* the client half-closes (shutdown SHUT_WR) after sending */
    F_TIMERS_END = 1 << 1, /* fire the connection's timer once everything is sent */
    F_SMALL_BUF = 1 << 2,  /* tiny socket buffers: partial writes, output_full() */
    F_NO_READ = 1 << 3,    /* the client reads nothing until the end (pipelined backlog) */
    F_HTTP10_CFG = 1 << 4, /* max_requests_per_conn = 1 for this input */
};

#define HDR_LEN 5
#define RESP_MAX (4u << 20)
#define PUMP_ROUNDS 64

static uv_loop_t g_loop;
static sf_config_t g_cfg;
static http_router_t *g_router;
static int g_ready;
static bool g_debug; /* FUZZ_HTTP_DEBUG=1: print the responses */

static void fatal(const char *what, const char *p, size_t n)
{
    fprintf(stderr, "fuzz_http: %s\n", what);
    if (p) {
        fprintf(stderr, "--- response bytes (%zu) ---\n", n);
        fwrite(p, 1, n > 2048 ? 2048 : n, stderr);
        fprintf(stderr, "\n---\n");
    }
    abort();
}

/* ---- handlers ---------------------------------------------------------- */

/* POST/PUT /echo: answers "echo:" and the body (never starts with "HTTP/"). */
static void h_echo(http_req_t *req)
{
    char *b = arena_alloc(req->arena, req->body_len + 5);
    if (!b) {
        http_respond_oom(req);
        return;
    }
    memcpy(b, "echo:", 5);
    memcpy(b + 5, req->body, req->body_len);
    http_respond(req, 200, "text/plain", NULL, b, req->body_len + 5);
}

/* GET /items/{id}: a route parameter and a header read back. */
static void h_item(http_req_t *req)
{
    const char *ua = http_req_header(req, "User-Agent");
    char *b = arena_sprintf(req->arena, "{\"id_len\":%zu,\"ua_len\":%zu,\"q_len\":%zu}",
                            req->nparams ? strlen(req->params[0]) : 0, ua ? strlen(ua) : 0,
                            req->query_len);
    if (!b) {
        http_respond_oom(req);
        return;
    }
    http_respond(req, 200, NULL, "X-Item: 1\r\n", b, strlen(b));
}

/* GET/POST /later: answers on the next loop turn, so pipelined input,
 * EOF and timers meet a request still with its handler. */
typedef struct later {
    uv_timer_t t; /* first member */
    http_req_t *req;
} later_t;

static void later_closed(uv_handle_t *h)
{
    free(h);
}

static void later_fire(uv_timer_t *t)
{
    later_t *l = (later_t *)t;
    static const char body[] = "{\"later\":true}";
    http_respond(l->req, 202, NULL, NULL, body, sizeof body - 1);
    uv_close((uv_handle_t *)t, later_closed);
}

static void h_later(http_req_t *req)
{
    later_t *l = malloc(sizeof *l);
    if (!l) {
        http_respond_oom(req);
        return;
    }
    uv_timer_init(&g_loop, &l->t);
    l->req = req;
    uv_timer_start(&l->t, later_fire, 0, 0);
}

/* ---- set-up ------------------------------------------------------------ */

static void set(const char *k, const char *v)
{
    char err[256];
    if (config_set(&g_cfg, k, v, err, sizeof err) != 0) fatal(err, NULL, 0);
}

static void init_once(void)
{
    if (g_ready) return;
    signal(SIGPIPE, SIG_IGN); /* as the worker does: a write to a closed peer is EPIPE */
    log_set_level(LOG_ERROR);
    g_debug = getenv("FUZZ_HTTP_DEBUG") != NULL;
    config_defaults(&g_cfg);
    set("log.access", "false");
    set("http.max_url_bytes", "200");
    set("http.max_header_bytes", "600");
    set("http.max_headers", "8");
    set("http.max_body_bytes", "300");
    set("http.max_requests_per_conn", "6");
    set("http.max_pending_output", "2k");
    if (uv_loop_init(&g_loop) != 0) fatal("uv_loop_init", NULL, 0);
    g_router = http_router_new();
    if (!g_router || http_health_register(g_router, NULL, 0) ||
        http_router_add(g_router, HTTP_M_POST | HTTP_M_PUT, "/echo", HTTP_ROUTE_READ, h_echo,
                        NULL) ||
        http_router_add(g_router, HTTP_M_GET, "/items/{id}", HTTP_ROUTE_READ, h_item, NULL) ||
        http_router_add(g_router, HTTP_M_GET | HTTP_M_POST, "/later", HTTP_ROUTE_READ, h_later,
                        NULL))
        fatal("router set-up", NULL, 0);
    g_ready = 1;
}

/* ---- the client side --------------------------------------------------- */

typedef struct client {
    int fd;
    char *resp;
    size_t len, cap;
    bool may_truncate; /* a timer dropped a connection with writes pending */
} client_t;

/* Reads what the server sent. Returns true when bytes came. */
static bool client_read(client_t *cl)
{
    bool got = false;
    for (;;) {
        if (cl->len == cl->cap) {
            if (cl->cap >= RESP_MAX) fatal("more than 4 MiB of responses", NULL, 0);
            size_t cap = cl->cap ? cl->cap * 2 : 16384;
            char *p = realloc(cl->resp, cap);
            if (!p) fatal("out of memory", NULL, 0);
            cl->resp = p;
            cl->cap = cap;
        }
        ssize_t n = read(cl->fd, cl->resp + cl->len, cl->cap - cl->len);
        if (n > 0) {
            cl->len += (size_t)n;
            got = true;
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        return got; /* EAGAIN, EOF or a reset */
    }
}

static http_conn_t *the_conn(http_server_t *s)
{
    return s->conns;
}

static int conn_fd(http_conn_t *c)
{
    uv_os_fd_t fd = -1;
    return uv_fileno((uv_handle_t *)&c->tcp, &fd) == 0 ? fd : -1;
}

/* Runs the loop without blocking until nothing moves: no bytes came back,
 * no input the connection wants is waiting, no write is queued. */
static void pump(http_server_t *s, client_t *cl, bool read_back)
{
    int quiet = 0;
    for (int round = 0; round < PUMP_ROUNDS && quiet < 2; round++) {
        uv_run(&g_loop, UV_RUN_NOWAIT);
        bool got = read_back && client_read(cl);
        bool busy = false;
        http_conn_t *c = the_conn(s);
        if (c && c->state != CONN_CLOSED) {
            int avail = 0;
            if (c->reading && ioctl(conn_fd(c), FIONREAD, &avail) == 0 && avail > 0) busy = true;
            if (c->tcp.write_queue_size && read_back) busy = true;
        }
        quiet = (got || busy) ? 0 : quiet + 1;
    }
}

/* Fires the connection's timer now, as if its timeout had passed. */
static void fire_timer(http_server_t *s, client_t *cl)
{
    http_conn_t *c = the_conn(s);
    if (!c || c->state == CONN_CLOSED || !uv_is_active((uv_handle_t *)&c->timer)) return;
    if (c->writes_pending) cl->may_truncate = true;
    uv_timer_start(&c->timer, c->timer.timer_cb, 0, 0);
}

/* Writes n bytes, running the loop while the socket is full. */
static void client_send(http_server_t *s, client_t *cl, const uint8_t *p, size_t n, bool read_back)
{
    int stuck = 0;
    while (n) {
        ssize_t w = write(cl->fd, p, n);
        if (w > 0) {
            p += w;
            n -= (size_t)w;
            stuck = 0;
            continue;
        }
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && errno == EAGAIN) {
            /* The server is not reading (paused, or its own output is
             * full while we do not read): give up after a few turns. */
            pump(s, cl, read_back);
            if (++stuck > 4) return;
            continue;
        }
        return; /* EPIPE: the server closed */
    }
}

/* ---- response checks --------------------------------------------------- */

static const char *find(const char *p, size_t n, const char *needle)
{
    return memmem(p, n, needle, strlen(needle));
}

static void check_responses(const client_t *cl)
{
    const char *p = cl->resp;
    size_t n = cl->len, off = 0;
    bool closed = false;
    while (off < n) {
        const char *r = p + off;
        size_t left = n - off;
        if (closed) fatal("bytes after a response that said Connection: close", p, n);
        if (left < 13 || memcmp(r, "HTTP/1.1 ", 9) != 0) fatal("response not HTTP/1.1", r, left);
        int status = 0;
        for (int i = 9; i < 12; i++) {
            if (r[i] < '0' || r[i] > '9') fatal("status is not 3 digits", r, left);
            status = status * 10 + (r[i] - '0');
        }
        if (status < 100 || status > 599 || r[12] != ' ') fatal("bad status line", r, left);
        const char *end = find(r, left, "\r\n\r\n");
        if (!end) fatal("response header section not terminated", r, left);
        size_t hlen = (size_t)(end - r) + 4;
        if (status < 200) { /* 100 Continue: no body, no Content-Length */
            off += hlen;
            continue;
        }
        const char *cl_hdr = find(r, hlen, "\r\nContent-Length: ");
        if (!cl_hdr) fatal("no Content-Length", r, left);
        size_t blen = strtoul(cl_hdr + 18, NULL, 10);
        if (find(r, hlen, "\r\nConnection: close\r\n")) closed = true;
        size_t after = left - hlen;
        /* A HEAD answer carries Content-Length without the body: bodies
         * here never start with "HTTP/" (JSON, or "echo:"). */
        if (blen && (after == 0 || (after >= 5 && memcmp(r + hlen, "HTTP/", 5) == 0))) {
            off += hlen;
            continue;
        }
        if (after < blen) {
            if (cl->may_truncate) return;
            fatal("response body truncated", r, left);
        }
        off += hlen + blen;
    }
}

/* ---- the target -------------------------------------------------------- */

static bool g_closed;

static void on_server_closed(http_server_t *s)
{
    (void)s;
    g_closed = true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < HDR_LEN) return 0;
    init_once();
    unsigned flags = data[0];
    const uint8_t *pat = data + 1;
    const uint8_t *in = data + HDR_LEN;
    size_t n = size - HDR_LEN;

    g_cfg.http.max_requests_per_conn = (flags & F_HTTP10_CFG) ? 1 : 6;

    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0)
        fatal("socketpair", NULL, 0);
    if (flags & F_SMALL_BUF) {
        int small = 1024; /* the kernel rounds up to its minimum */
        setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
        setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    }
    http_server_t *s = http_server_new(&g_loop, &g_cfg, g_router);
    if (!s) fatal("http_server_new", NULL, 0);
    http__conn_adopt(s, sv[0]);

    client_t cl = {.fd = sv[1]};
    bool read_back = !(flags & F_NO_READ);
    size_t off = 0;
    for (unsigned i = 0; off < n; i++) {
        uint8_t c = pat[i % 4];
        size_t want = c & 0x7f;
        if (want == 0 || want > n - off) want = n - off;
        client_send(s, &cl, in + off, want, read_back);
        off += want;
        pump(s, &cl, read_back);
        if (c & 0x80) {
            fire_timer(s, &cl);
            pump(s, &cl, read_back);
        }
    }
    if (flags & F_EOF) {
        shutdown(cl.fd, SHUT_WR);
        pump(s, &cl, read_back);
    }
    pump(s, &cl, true);
    if (flags & F_TIMERS_END) {
        fire_timer(s, &cl);
        pump(s, &cl, true);
    }
    client_read(&cl);

    /* Tear down: every handle closed, every request freed. */
    g_closed = false;
    http_server_close(s, on_server_closed);
    uv_run(&g_loop, UV_RUN_DEFAULT);
    if (!g_closed) fatal("server close never completed", NULL, 0);
    client_read(&cl);
    close(cl.fd);
    http_server_free(s);

    if (g_debug) {
        fprintf(stderr, "--- %zu response bytes ---\n", cl.len);
        fwrite(cl.resp, 1, cl.len, stderr);
        fprintf(stderr, "\n---\n");
    }
    check_responses(&cl);
    free(cl.resp);
    return 0;
}
