/* libcurl's multi_socket interface on a libuv loop.
 *
 * curl tells us which sockets to watch (on_socket) and when to wake it
 * (on_curl_timer); libuv tells curl what happened (on_poll, on_uv_timer);
 * after each turn, finished transfers are collected (collect_done) and their
 * callbacks run outside libcurl, where starting or cancelling calls is safe.
 *
 * Sockets are closed by us, not by curl (CURLOPT_CLOSESOCKETFUNCTION), and
 * only after their uv_poll handle has closed: otherwise the fd number can be
 * reused while libuv still watches it, which trips libuv's assertions. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "providers/client.h"

typedef struct sock_ctx {
    uv_poll_t poll;
    curl_socket_t fd;
    prov_client_t *client;
    bool closing;  /* uv_close called */
    bool close_fd; /* curl asked to close the fd: do it in the close callback */
} sock_ctx_t;

struct prov_client {
    uv_loop_t *loop;
    CURLM *multi;
    CURLSH *share;
    uv_timer_t timer;
    char *user_agent;
    size_t max_response_bytes;
    bool (*allow_resend)(void *data);
    size_t active;
    sock_ctx_t **by_fd; /* watched sockets by fd number */
    size_t by_fd_len;
    int handles_open; /* timer + polls: the client is freed when this is 0 after free */
    bool freeing;
    prov_call_t *calls; /* in-flight calls, linked by next_done while collecting */
    CURL **pool;        /* idle easy handles, reset, for the next calls */
    size_t pool_len;
};

/* Idle easy handles kept per worker. An easy handle costs a few kB and a
 * dozen allocations to make (its buffers, its state); a reset one keeps
 * them. Past this many idle ones, finished handles are cleaned up. */
#define POOL_MAX 128

static void client_maybe_release(prov_client_t *c)
{
    if (!c->freeing || c->handles_open > 0) return;
    free(c->by_fd);
    free(c->pool);
    free(c->user_agent);
    free(c);
}

/* An easy handle for a new call: a pooled one (reset by easy_give) or a
 * new one. NULL when out of memory. */
static CURL *easy_take(prov_client_t *c)
{
    if (c->pool_len > 0) return c->pool[--c->pool_len];
    return curl_easy_init();
}

/* Takes back the easy handle of a finished or cancelled call, already
 * removed from the multi handle. */
static void easy_give(prov_client_t *c, CURL *e)
{
    if (c->freeing || c->pool_len == POOL_MAX) {
        curl_easy_cleanup(e);
        return;
    }
    if (!c->pool) {
        c->pool = malloc(POOL_MAX * sizeof *c->pool);
        if (!c->pool) {
            curl_easy_cleanup(e);
            return;
        }
    }
    curl_easy_reset(e);
    c->pool[c->pool_len++] = e;
}

static void on_handle_closed(uv_handle_t *h)
{
    prov_client_t *c = h->data;
    c->handles_open--;
    client_maybe_release(c);
}

static void on_poll_closed(uv_handle_t *h)
{
    sock_ctx_t *sc = (sock_ctx_t *)h;
    prov_client_t *c = sc->client;
    if (sc->close_fd) close(sc->fd);
    if ((size_t)sc->fd < c->by_fd_len && c->by_fd[sc->fd] == sc) c->by_fd[sc->fd] = NULL;
    free(sc);
    c->handles_open--;
    client_maybe_release(c);
}

static int on_close_socket(void *clientp, curl_socket_t fd)
{
    prov_client_t *c = clientp;
    sock_ctx_t *sc = (size_t)fd < c->by_fd_len ? c->by_fd[fd] : NULL;
    if (sc) {
        sc->close_fd = true;
        if (!sc->closing) {
            sc->closing = true;
            uv_close((uv_handle_t *)&sc->poll, on_poll_closed);
        }
        return 0;
    }
    return close(fd);
}

static void collect_done(prov_client_t *c);

static void on_poll(uv_poll_t *h, int status, int events)
{
    sock_ctx_t *sc = (sock_ctx_t *)h;
    prov_client_t *c = sc->client;
    int flags = 0;
    if (status < 0) {
        flags = CURL_CSELECT_ERR; /* libuv stopped the handle (libuv#3796): tell curl */
    } else {
        if (events & UV_READABLE) flags |= CURL_CSELECT_IN;
        if (events & UV_WRITABLE) flags |= CURL_CSELECT_OUT;
    }
    int running;
    if (!c->multi) return; /* aborted */
    curl_multi_socket_action(c->multi, sc->fd, flags, &running);
    collect_done(c);
}

static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
    (void)easy;
    prov_client_t *c = userp;
    sock_ctx_t *sc = socketp;
    if (what == CURL_POLL_REMOVE) {
        if (sc && !sc->closing) {
            sc->closing = true;
            uv_poll_stop(&sc->poll);
            uv_close((uv_handle_t *)&sc->poll, on_poll_closed);
        }
        curl_multi_assign(c->multi, fd, NULL);
        return 0;
    }
    if (!sc) {
        if ((size_t)fd >= c->by_fd_len) {
            size_t n = c->by_fd_len ? c->by_fd_len : 64;
            while (n <= (size_t)fd)
                n *= 2;
            sock_ctx_t **t = realloc(c->by_fd, n * sizeof *t);
            if (!t) return -1;
            memset(t + c->by_fd_len, 0, (n - c->by_fd_len) * sizeof *t);
            c->by_fd = t;
            c->by_fd_len = n;
        }
        /* curl may bring back a socket it removed while that poll is still
         * closing: uv_close has already detached it from the fd, so a new
         * handle may watch it; the old one's close leaves the fd open. */
        sc = calloc(1, sizeof *sc);
        if (!sc) return -1;
        sc->fd = fd;
        sc->client = c;
        if (uv_poll_init_socket(c->loop, &sc->poll, fd) < 0) {
            free(sc);
            return -1;
        }
        c->handles_open++;
        c->by_fd[fd] = sc;
        curl_multi_assign(c->multi, fd, sc);
    }
    int ev = 0;
    if (what & CURL_POLL_IN) ev |= UV_READABLE;
    if (what & CURL_POLL_OUT) ev |= UV_WRITABLE;
    if (!sc->closing) uv_poll_start(&sc->poll, ev, on_poll);
    return 0;
}

static void on_uv_timer(uv_timer_t *t)
{
    prov_client_t *c = t->data;
    int running;
    if (!c->multi) return; /* aborted */
    curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    collect_done(c);
}

/* libcurl asks to be woken in timeout_ms (-1: never). Socket actions are
 * never run from here: that would recurse into libcurl. */
static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
    (void)multi;
    prov_client_t *c = userp;
    if (timeout_ms < 0)
        uv_timer_stop(&c->timer);
    else
        uv_timer_start(&c->timer, on_uv_timer, (uint64_t)timeout_ms, 0);
    return 0;
}

/* Appends n bytes to the kept body. */
static bool body_keep(prov_call_t *call, const char *ptr, size_t n)
{
    if (call->body_len + n + 1 > call->body_cap) {
        size_t cap = call->body_cap ? call->body_cap : 16384;
        while (cap < call->body_len + n + 1)
            cap *= 2;
        char *b = realloc(call->body, cap);
        if (!b) return false;
        call->body = b;
        call->body_cap = cap;
    }
    memcpy(call->body + call->body_len, ptr, n);
    call->body_len += n;
    call->body[call->body_len] = '\0';
    return true;
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    prov_call_t *call = userdata;
    size_t n = size * nmemb;
    size_t max = call->client->max_response_bytes;
    if (call->body_total + n > max) {
        call->outcome = PROV_CALL_TOO_LARGE;
        return 0; /* a short count aborts the transfer (bodies of unknown length too) */
    }
    call->body_total += n;
    if (call->sink && !call->sink_decided) {
        long code = 0; /* the answer's status is known once its body begins */
        curl_easy_getinfo(call->easy, CURLINFO_RESPONSE_CODE, &code);
        call->sink_decided = true;
        call->streamed = code >= 200 && code < 300;
    }
    if (!call->streamed) return body_keep(call, ptr, n) ? n : 0;
    call->sink(call->sink_ctx, ptr, n);
    size_t peek = call->body_len < PROV_CALL_PEEK ? PROV_CALL_PEEK - call->body_len : 0;
    if (peek > n) peek = n;
    if (peek > 0 && !body_keep(call, ptr, peek)) return 0;
    return n;
}

void prov_call_stream(prov_call_t *call, prov_body_sink_fn fn, void *ctx)
{
    call->sink = fn;
    call->sink_ctx = ctx;
}

static bool header_is(const char *buf, size_t n, const char *name, size_t len)
{
    return n > len && strncasecmp(buf, name, len) == 0;
}

/* The value of header line buf (n bytes) when it is "name: value", as a
 * number; -1 otherwise. */
static double header_number(const char *buf, size_t n, const char *name)
{
    size_t nl = strlen(name);
    if (n <= nl || strncasecmp(buf, name, nl) != 0) return -1;
    char tmp[32];
    size_t vl = n - nl < sizeof tmp ? n - nl : sizeof tmp - 1;
    memcpy(tmp, buf + nl, vl);
    tmp[vl] = '\0';
    char *end;
    double v = strtod(tmp, &end);
    return end != tmp && v >= 0 && v < 1e15 ? v : -1;
}

static size_t on_header(char *buf, size_t size, size_t nitems, void *userdata)
{
    prov_call_t *call = userdata;
    size_t n = size * nitems;
    double bv;
    if ((bv = header_number(buf, n, "x-ratelimit-limit-usd:")) >= 0) call->budget_limit_usd = bv;
    if ((bv = header_number(buf, n, "x-ratelimit-remaining-usd:")) >= 0)
        call->budget_remaining_usd = bv;
    if ((bv = header_number(buf, n, "x-ratelimit-cost-usd:")) >= 0) call->budget_cost_usd = bv;
    if ((bv = header_number(buf, n, "x-ratelimit-reset:")) >= 0) call->budget_reset_s = (long)bv;
    call->got_header = true;
    if (header_is(buf, n, "HTTP/", 5)) {
        /* A new answer (after a 1xx or a redirect): a header block of its own. */
        call->saw_length = call->saw_chunked = false;
        if (call->body_total > 0) call->restarted = true;
    } else if (header_is(buf, n, "content-length:", 15)) {
        call->saw_length = true;
    } else if (header_is(buf, n, "transfer-encoding:", 18)) {
        call->saw_chunked = call->saw_chunked || memmem(buf, n, "chunked", 7) != NULL;
    } else if (n <= 2 && call->saw_length && call->saw_chunked) {
        /* The end of a header block with both: libcurl would take the
         * chunks and keep the connection, which the provider (or something
         * on the way) may frame differently. A short count aborts the
         * call, and libcurl closes a connection it aborted. */
        call->bad_framing = true;
        return 0;
    } else if (header_is(buf, n, "retry-after:", 12)) {
        char tmp[32];
        size_t vl = n - 12;
        if (vl >= sizeof tmp) vl = sizeof tmp - 1;
        memcpy(tmp, buf + 12, vl);
        tmp[vl] = '\0';
        char *end;
        long v = strtol(tmp, &end, 10);
        if (end != tmp && v >= 0) call->retry_after_s = v;
    }
    return n;
}

/* Before each time the request goes out. A send after one that got no
 * answer at all is libcurl's own retry on a dead reused connection. */
static int on_prereq(void *clientp, char *primary_ip, char *local_ip, int primary_port,
                     int local_port)
{
    prov_call_t *call = clientp;
    (void)primary_ip, (void)local_ip, (void)primary_port, (void)local_port;
    if (call->sends++ > 0 && !call->got_header) {
        prov_client_t *c = call->client;
        if (c->allow_resend && !c->allow_resend(call->data)) {
            call->resend_refused = true;
            return CURL_PREREQFUNC_ABORT;
        }
        call->resends++;
    }
    call->got_header = false;
    return CURL_PREREQFUNC_OK;
}

static void call_unlink(prov_call_t *call)
{
    prov_client_t *c = call->client;
    for (prov_call_t **pp = &c->calls; *pp; pp = &(*pp)->next_done) {
        if (*pp == call) {
            *pp = call->next_done;
            break;
        }
    }
    call->next_done = NULL;
}

static void call_release(prov_call_t *call)
{
    if (call->easy) curl_easy_cleanup(call->easy);
    curl_slist_free_all(call->headers);
    free(call->body);
    free(call);
}

/* Takes finished transfers out of libcurl, then runs their callbacks. */
static void collect_done(prov_client_t *c)
{
    prov_call_t *done = NULL, **tail = &done;
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(c->multi, &left))) {
        if (msg->msg != CURLMSG_DONE) continue;
        CURL *easy = msg->easy_handle;
        CURLcode res = msg->data.result; /* msg is invalid after remove_handle */
        prov_call_t *call = NULL;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&call);
        curl_multi_remove_handle(c->multi, easy);
        c->active--;
        call_unlink(call);
        call->latency_ms = (double)(clock_now_ns() - call->start_ns) / 1e6;
        curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &call->http_status);
        easy_give(c, easy); /* everything of it is read: the next call reuses it */
        call->easy = NULL;
        if (call->bad_framing) {
            call->outcome = PROV_CALL_ERROR;
            snprintf(call->error, sizeof call->error,
                     "answer with both Content-Length and Transfer-Encoding refused");
        } else if (call->resend_refused) {
            call->outcome = PROV_CALL_ERROR;
            snprintf(call->error, sizeof call->error,
                     "connection lost; no retry left in the retry budget");
        } else if (res == CURLE_OK) {
            call->outcome = PROV_CALL_OK;
        } else if (call->outcome == PROV_CALL_TOO_LARGE) {
            snprintf(call->error, sizeof call->error, "response larger than %zu bytes",
                     c->max_response_bytes);
        } else {
            call->outcome = res == CURLE_OPERATION_TIMEDOUT ? PROV_CALL_TIMEOUT : PROV_CALL_ERROR;
            if (!call->error[0])
                snprintf(call->error, sizeof call->error, "%s", curl_easy_strerror(res));
        }
        *tail = call;
        tail = &call->next_done;
    }
    while (done) {
        prov_call_t *call = done;
        done = call->next_done;
        call->next_done = NULL;
        call->cb(call, call->data);
    }
}

/* Connections kept open after their transfer, for the next calls. libcurl's
 * default is 4 per easy handle in the multi at the time: between bursts
 * only a few are, and it closes the connections it just used, so at a
 * steady 100 searches/s most calls connected anew. Room instead for the cap
 * of each of a few hosts (five providers today, and redirects). */
static long idle_connections_max(const prov_client_opts_t *opts)
{
    return opts->max_host_connections > 0 ? opts->max_host_connections * 8 : 1024;
}

prov_client_t *prov_client_new(uv_loop_t *loop, const prov_client_opts_t *opts)
{
    static bool global_ready;
    if (!global_ready) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) return NULL;
        global_ready = true;
    }
    prov_client_t *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->loop = loop;
    c->user_agent = strdup(opts->user_agent ? opts->user_agent : "scifind");
    c->max_response_bytes = opts->max_response_bytes ? opts->max_response_bytes : 8u << 20;
    c->allow_resend = opts->allow_resend;
    c->multi = curl_multi_init();
    c->share = curl_share_init();
    if (!c->user_agent || !c->multi || !c->share) goto fail;
    /* One worker, one thread: the share needs no locks. */
    curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
    if (opts->max_host_connections > 0)
        curl_multi_setopt(c->multi, CURLMOPT_MAX_HOST_CONNECTIONS, opts->max_host_connections);
    curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, idle_connections_max(opts));
    uv_timer_init(loop, &c->timer);
    c->timer.data = c;
    c->handles_open = 1;
    return c;
fail:
    if (c->multi) curl_multi_cleanup(c->multi);
    if (c->share) curl_share_cleanup(c->share);
    free(c->user_agent);
    free(c);
    return NULL;
}

prov_call_t *prov_client_start(prov_client_t *c, const prov_request_t *req, long connect_timeout_ms,
                               long timeout_ms, prov_call_cb cb, void *data)
{
    if (c->freeing || !c->multi) return NULL;
    prov_call_t *call = calloc(1, sizeof *call);
    if (!call) return NULL;
    call->client = c;
    call->cb = cb;
    call->data = data;
    call->retry_after_s = -1;
    call->budget_limit_usd = call->budget_remaining_usd = call->budget_cost_usd = -1;
    call->budget_reset_s = -1;
    CURL *e = easy_take(c);
    if (!e) goto fail;
    call->easy = e;
    for (size_t i = 0; i < req->nheaders; i++) {
        struct curl_slist *l = curl_slist_append(call->headers, req->headers[i]);
        if (!l) goto fail;
        call->headers = l;
    }
    curl_easy_setopt(e, CURLOPT_URL, req->url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, (char *)call);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_USERAGENT, c->user_agent);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, ""); /* every encoding libcurl can decode */
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, call->headers);
    curl_easy_setopt(e, CURLOPT_SHARE, c->share);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, call->error);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, connect_timeout_ms);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, call);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, call);
    curl_easy_setopt(e, CURLOPT_PREREQFUNCTION, on_prereq);
    curl_easy_setopt(e, CURLOPT_PREREQDATA, call);
    curl_easy_setopt(e, CURLOPT_CLOSESOCKETFUNCTION, on_close_socket);
    curl_easy_setopt(e, CURLOPT_CLOSESOCKETDATA, c);
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
    curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(e, CURLOPT_MAXREDIRS, 3L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    if (req->method && strcmp(req->method, "POST") == 0) {
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)req->body_len);
        curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, req->body ? req->body : "");
    }
    call->start_ns = clock_now_ns();
    if (curl_multi_add_handle(c->multi, e) != CURLM_OK) goto fail;
    c->active++;
    call->next_done = c->calls;
    c->calls = call;
    return call;
fail:
    call_release(call);
    return NULL;
}

void prov_call_cancel(prov_call_t *call)
{
    if (!call) return;
    prov_client_t *c = call->client;
    if (c->multi) curl_multi_remove_handle(c->multi, call->easy);
    c->active--;
    call_unlink(call);
    easy_give(c, call->easy);
    call->easy = NULL;
    call_release(call);
}

void prov_call_free(prov_call_t *call)
{
    if (call) call_release(call);
}

size_t prov_client_active(const prov_client_t *c)
{
    return c->active;
}

void prov_client_abort(prov_client_t *c)
{
    if (!c || !c->multi) return;
    /* libcurl 7.88's curl_multi_remove_handle walks its whole queue of
     * calls waiting for a connection: removing thousands one by one is
     * quadratic (seconds past the drain deadline). curl_multi_cleanup
     * detaches them all in one pass; the easy handles stay usable. */
    curl_multi_cleanup(c->multi);
    c->multi = NULL;
    uv_timer_stop(&c->timer);
}

void prov_client_free(prov_client_t *c)
{
    if (!c) return;
    prov_client_abort(c); /* the calls left are cancelled cheaply */
    while (c->calls)
        prov_call_cancel(c->calls);
    c->freeing = true;
    while (c->pool_len > 0)
        curl_easy_cleanup(c->pool[--c->pool_len]);
    curl_share_cleanup(c->share);
    /* Sockets curl forgot to report as removed. */
    for (size_t fd = 0; fd < c->by_fd_len; fd++) {
        sock_ctx_t *sc = c->by_fd[fd];
        if (sc && !sc->closing) {
            sc->closing = true;
            uv_close((uv_handle_t *)&sc->poll, on_poll_closed);
        }
    }
    uv_close((uv_handle_t *)&c->timer, on_handle_closed);
}
