/* The listening socket of one worker and its set of connections.
 *
 * Each worker accepts on its own socket of the SO_REUSEPORT group
 * (core/listen.h), so the kernel spreads new connections over the workers. */
#include <errno.h>
#include <linux/filter.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"
#include "http/conn.h"

/* How long the last holder of a listening socket goes on accepting once it
 * refuses new handshakes: those already under way need one round trip. */
#define LINGER_MS 250

http_server_t *http_server_new(uv_loop_t *loop, const sf_config_t *cfg, const http_router_t *router)
{
    http_server_t *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->loop = loop;
    s->cfg = cfg;
    s->router = router;
    uint64_t seed[2] = {0, 0};
    if (getentropy(seed, sizeof seed) != 0 || (seed[0] | seed[1]) == 0) {
        seed[0] = (uint64_t)getpid() * 0x9E3779B97F4A7C15u ^ (uint64_t)(uintptr_t)s;
        seed[1] = 0xD1B54A32D192ED03u;
    }
    s->rng[0] = seed[0];
    s->rng[1] = seed[1] | 1;
    return s;
}

/* xorshift128+: request ids need to be unique and cheap, not secret. */
uint64_t http__random64(http_server_t *s)
{
    uint64_t a = s->rng[0], b = s->rng[1];
    s->rng[0] = b;
    a ^= a << 23;
    s->rng[1] = a ^ b ^ (a >> 17) ^ (b >> 26);
    return s->rng[1] + b;
}

void http__request_id_new(http_server_t *s, char *out)
{
    static const char hex[] = "0123456789abcdef";
    uint64_t v[2] = {http__random64(s), http__random64(s)};
    for (int i = 0; i < 32; i++)
        out[i] = hex[(v[i / 16] >> ((i % 16) * 4)) & 15];
    out[32] = '\0';
}

static void on_connection(uv_stream_t *listener, int status)
{
    http_server_t *s = listener->data;
    if (status < 0) {
        log_warn("accept failed: %s", uv_strerror(status));
        return;
    }
    if (s->closing) return;
    /* At the limit, leave the connection with libuv: it stops watching the
     * listener until uv_accept() is called, which a closing connection does. */
    if (s->nconns >= (size_t)s->cfg->http.max_connections) {
        s->accept_waiting = true;
        return;
    }
    http__conn_accept(s);
}

int http_server_listen(http_server_t *s, int fd)
{
    int rc;
    uv_tcp_init(s->loop, &s->listener);
    s->listener.data = s;
    s->listener_open = true;
    rc = uv_tcp_open(&s->listener, fd);
    if (rc < 0) close(fd); /* not the handle's yet */
    if (rc == 0) rc = uv_listen((uv_stream_t *)&s->listener, 4096, on_connection);
    if (rc < 0) {
        uv_close((uv_handle_t *)&s->listener, NULL);
        s->listener_open = false;
        return rc;
    }
    s->listening = true;
    return 0;
}

static void maybe_done(http_server_t *s)
{
    if ((s->draining || s->closing) && s->nconns == 0 && !s->listener_open && !s->linger_open &&
        s->done) {
        void (*done)(http_server_t *) = s->done;
        s->done = NULL;
        done(s);
    }
}

static void on_listener_closed(uv_handle_t *h)
{
    http_server_t *s = h->data;
    s->listener_open = false;
    maybe_done(s);
}

static void stop_listening(http_server_t *s)
{
    if (s->listening) {
        /* Take what the kernel already queued on this socket: closing it
         * would reset those connections. */
        int lfd = -1;
        if (s->draining && uv_fileno((uv_handle_t *)&s->listener, &lfd) == 0) {
            int fd;
            while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0)
                http__conn_adopt(s, fd);
        }
        s->listening = false;
        uv_close((uv_handle_t *)&s->listener, on_listener_closed);
    }
}

/* Has the kernel drop new connection requests (a SYN without ACK) sent to
 * the listening socket, while handshakes under way still complete. A client
 * whose SYN is dropped sends it again a second later, to another socket of
 * the group or to a closed port (refused): either beats being queued here
 * and reset when the socket closes. A classic BPF socket filter: it sees
 * the TCP header at offset 0, whose byte 13 holds the flags. */
static int refuse_new_handshakes(int fd)
{
    struct sock_filter code[] = {
        BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 13),
        BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x10, 2, 0), /* ACK: keep */
        BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x02, 0, 1), /* SYN: drop */
        BPF_STMT(BPF_RET | BPF_K, 0),
        BPF_STMT(BPF_RET | BPF_K, 0xffffffff),
    };
    struct sock_fprog prog;
    memset(&prog, 0, sizeof prog); /* the padding too: the kernel reads it all */
    prog.len = sizeof code / sizeof code[0];
    prog.filter = code;
    return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog);
}

static void on_linger_closed(uv_handle_t *h)
{
    http_server_t *s = h->data;
    s->linger_open = false;
    maybe_done(s);
}

static void end_linger(http_server_t *s)
{
    if (!s->linger_open || uv_is_closing((uv_handle_t *)&s->linger)) return;
    uv_close((uv_handle_t *)&s->linger, on_linger_closed);
}

static void on_linger_end(uv_timer_t *t)
{
    http_server_t *s = t->data;
    end_linger(s);
    stop_listening(s);
}

/* Starts the linger of a last holder: returns false when the socket cannot
 * refuse new handshakes (it is then closed at once, as a shared one is). */
static bool start_linger(http_server_t *s)
{
    int lfd = -1;
    if (!s->listening || uv_fileno((uv_handle_t *)&s->listener, &lfd) != 0) return false;
    if (refuse_new_handshakes(lfd) != 0) {
        log_warn("cannot filter the listening socket: %s", strerror(errno));
        return false;
    }
    uv_timer_init(s->loop, &s->linger);
    s->linger.data = s;
    s->linger_open = true;
    uv_timer_start(&s->linger, on_linger_end, LINGER_MS, 0);
    return true;
}

void http__server_conn_closed(http_server_t *s, http_conn_t *c)
{
    bool linked = c->prev || s->conns == c;
    if (linked) {
        if (c->prev)
            c->prev->next = c->next;
        else
            s->conns = c->next;
        if (c->next) c->next->prev = c->prev;
        s->nconns--;
    }
    if (s->accept_waiting && s->listening && s->nconns < (size_t)s->cfg->http.max_connections) {
        s->accept_waiting = false;
        http__conn_accept(s);
    }
    maybe_done(s);
}

void http_server_drain(http_server_t *s, bool socket_shared, void (*done)(http_server_t *s))
{
    s->draining = true;
    s->done = done;
    if (socket_shared || !start_linger(s)) stop_listening(s);
    /* Busy connections close after their answer; idle ones after a short
     * grace (their timers are re-armed for it). */
    for (http_conn_t *c = s->conns; c; c = c->next)
        http__conn_drain(c);
    maybe_done(s);
}

void http_server_close(http_server_t *s, void (*done)(http_server_t *s))
{
    s->closing = true;
    s->done = done;
    end_linger(s);
    stop_listening(s);
    for (http_conn_t *c = s->conns, *next; c; c = next) {
        next = c->next;
        http__conn_close(c);
    }
    maybe_done(s);
}

void http_server_free(http_server_t *s)
{
    if (!s) return;
    free(s->rbuf);
    free(s);
}

bool http_server_draining(const http_server_t *s)
{
    return s->draining;
}

size_t http_server_connections(const http_server_t *s)
{
    return s->nconns;
}

const http_server_stats_t *http_server_stats(const http_server_t *s)
{
    return &s->stats;
}

void http_server_set_hooks(http_server_t *s, const http_hooks_t *hooks)
{
    s->hooks = *hooks;
}

void http_server_set_data(http_server_t *s, void *data)
{
    s->data = data;
}

void *http_server_data_of(const http_req_t *req)
{
    return req->conn->server->data;
}
