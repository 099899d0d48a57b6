/* One connection of the pool: a state machine on libpq's nonblocking
 * interface (pgc_step), driven by a uv_poll on its socket. See
 * pool_internal.h and pool.h. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "store/pool_internal.h"

#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS 5000

static const char *const pgc_state_names[] = {"connecting", "preparing", "ready"};

static void pgc_set_state(pg_conn_t *c, pgc_state_t st)
{
    if (log_enabled(LOG_DEBUG))
        log_write(LOG_DEBUG, "pg connection state", LF_STR, "pool", c->pool->label, LF_STR, "from",
                  pgc_state_names[c->state], LF_STR, "to", pgc_state_names[st], LF_END);
    c->state = st;
}

/* The watcher polls a dup() of libpq's socket, never the socket itself:
 * libpq closes its socket on its own when it finds the connection lost
 * (inside a send or a read), and until we stop the watcher that number may
 * be given to a new socket (an accepted client); stopping a watcher on the
 * old number would then silence the new socket's own. Our copy keeps the
 * number ours until the watcher is closed. */
typedef struct pgc_poll {
    uv_poll_t h; /* first: a pgc_poll_t is its uv_poll_t */
    int fd;      /* the dup, closed with the handle */
} pgc_poll_t;

static void on_poll_closed(uv_handle_t *h)
{
    pgc_poll_t *w = (pgc_poll_t *)h;
    store_pool_t *p = h->data;
    close(w->fd);
    free(w);
    if (p && p->closing && --p->closing_handles == 0 && p->close_done) p->close_done(p->close_data);
}

static void pgc_stop_poll(pg_conn_t *c)
{
    if (!c->poll) return;
    c->poll->data = c->pool->closing ? c->pool : NULL;
    if (c->pool->closing) c->pool->closing_handles++;
    uv_close((uv_handle_t *)c->poll, on_poll_closed);
    c->poll = NULL;
    c->poll_fd = -1;
    c->poll_events = 0;
}

/* True when our copy and libpq's fd are the same socket (libpq may open
 * another one under the same number while it connects). */
static bool same_socket(const uv_poll_t *h, int fd)
{
    struct stat a, b;
    return fstat(((const pgc_poll_t *)h)->fd, &a) == 0 && fstat(fd, &b) == 0 &&
           a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static void on_poll(uv_poll_t *h, int status, int events);

/* Watches the connection's socket for events (re-creating the watcher
 * when libpq changed sockets). Returns 0 or -1. */
static int pgc_watch(pg_conn_t *c, int events)
{
    int fd = PQsocket(c->pg);
    if (fd < 0) return -1;
    if (c->poll && (c->poll_fd != fd || (c->state == PGC_CONNECTING && !same_socket(c->poll, fd))))
        pgc_stop_poll(c);
    if (!c->poll) {
        pgc_poll_t *w = malloc(sizeof *w);
        if (!w) return -1;
        w->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
        if (w->fd < 0 || uv_poll_init(c->pool->loop, &w->h, w->fd) != 0) {
            if (w->fd >= 0) close(w->fd);
            free(w);
            return -1;
        }
        c->poll = &w->h;
        c->poll->data = c;
        c->poll_fd = fd;
        c->poll_events = 0;
    }
    if (events != c->poll_events) {
        if (uv_poll_start(c->poll, events, on_poll) != 0) return -1;
        c->poll_events = events;
    }
    return 0;
}

static void pool_remove(store_pool_t *p, pg_conn_t *c)
{
    for (int i = 0; i < p->nconns; i++)
        if (p->conns[i] == c) {
            p->conns[i] = p->conns[--p->nconns];
            return;
        }
}

/* Ends the connection: fails its queries, frees it. err NULL: a planned
 * retirement (idle, lifetime, close). Never touch c afterwards. */
void store__pgc_close(pg_conn_t *c, const char *err)
{
    store_pool_t *p = c->pool;
    bool was_connecting = c->state == PGC_CONNECTING || c->state == PGC_PREPARING;
    pool_remove(p, c);
    pgc_stop_poll(c);
    char msg[256];
    if (err) {
        snprintf(msg, sizeof msg, "%s", err);
        size_t n = strlen(msg);
        while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
            msg[--n] = '\0';
        /* Repeated failures log quietly, unless the reason changed. */
        bool same_reason = strcmp(p->last_error, msg) == 0;
        snprintf(p->last_error, sizeof p->last_error, "%s", msg);
        if (was_connecting) {
            p->connect_failures++;
            p->failures++;
            int64_t backoff = BACKOFF_FIRST_MS;
            for (int i = 1; i < p->failures && backoff < BACKOFF_MAX_MS; i++)
                backoff *= 2;
            if (backoff > BACKOFF_MAX_MS) backoff = BACKOFF_MAX_MS;
            p->next_connect_ns = clock_now_ns() + (uint64_t)backoff * 1000000u;
        }
        log_write(was_connecting && p->failures > 1 && same_reason ? LOG_DEBUG : LOG_WARN,
                  was_connecting ? "postgres connection failed" : "postgres connection lost",
                  LF_STR, "pool", p->label, LF_STR, "error", msg, LF_INT, "failures",
                  (int64_t)p->failures, LF_END);
    }
    PQfinish(c->pg);
    c->pg = NULL;
    store_query_t *q;
    while ((q = qlist_pop(&c->fifo)))
        store__query_finish(q, NULL, err ? msg : "connection closed");
    free(c);
    /* Queries waiting for a connection fail when none is left to come. */
    if (p->nconns == 0 && p->failures > 0)
        while ((q = qlist_pop(&p->waiting)))
            store__query_finish(q, NULL, p->last_error);
}

/* Pushes what libpq buffered; watches for writability while some is left.
 * Returns 0, or -1 when the connection failed. */
int store__pgc_flush(pg_conn_t *c)
{
    int rc = PQflush(c->pg);
    if (rc < 0) return -1;
    return pgc_watch(c, rc == 1 ? UV_READABLE | UV_WRITABLE : UV_READABLE);
}

/* Sends q on c (prepared statement + sync). Returns 0 or -1. */
int store__pgc_send(pg_conn_t *c, store_query_t *q)
{
    const store_stmt_t *st = &c->pool->opts.stmts[q->stmt < 0 ? -1 - q->stmt : q->stmt];
    int ok = q->stmt < 0 ? PQsendPrepare(c->pg, st->name, st->sql, 0, NULL)
                         : PQsendQueryPrepared(c->pg, st->name, q->nparams,
                                               (const char *const *)q->params, NULL, NULL, 0);
    if (!ok || !PQpipelineSync(c->pg)) return -1;
    if (c->fifo.n == 0) c->head_sent_ns = clock_now_ns();
    qlist_push(&c->fifo, q);
    c->last_used_ns = clock_now_ns();
    return 0;
}

/* Connected: nonblocking pipeline mode, then every statement prepared. */
static int pgc_start_preparing(pg_conn_t *c)
{
    store_pool_t *p = c->pool;
    if (PQsetnonblocking(c->pg, 1) != 0 || !PQenterPipelineMode(c->pg)) return -1;
    pgc_set_state(c, PGC_PREPARING);
    for (int i = 0; i < p->opts.nstmts; i++) {
        store_query_t *q = calloc(1, sizeof *q);
        if (!q) return -1;
        q->pool = p;
        q->stmt = -1 - i;
        if (store__pgc_send(c, q) < 0) {
            free(q);
            return -1;
        }
    }
    return store__pgc_flush(c);
}

/* Reads every complete result. Returns 0, or -1 when c must close (err set). */
static int pgc_read_results(pg_conn_t *c, const char **err)
{
    int nulls = 0;
    while (qlist_head(&c->fifo) && !PQisBusy(c->pg)) {
        PGresult *r = PQgetResult(c->pg);
        store_query_t *q = qlist_head(&c->fifo);
        if (!r) {
            if (++nulls > 1) break; /* nothing more for now */
            continue;
        }
        nulls = 0;
        if (PQresultStatus(r) != PGRES_PIPELINE_SYNC) {
            if (!q->res)
                q->res = r;
            else
                PQclear(r);
            continue;
        }
        PQclear(r);
        qlist_pop(&c->fifo);
        c->head_sent_ns = clock_now_ns();
        if (q->stmt < 0) { /* our PREPARE */
            bool ok = q->res && PQresultStatus(q->res) == PGRES_COMMAND_OK;
            if (!ok) {
                static char buf[256];
                snprintf(buf, sizeof buf, "preparing statement %s: %s",
                         c->pool->opts.stmts[-1 - q->stmt].name,
                         q->res ? PQresultErrorMessage(q->res) : "no result");
                *err = buf;
                store__query_free(q);
                return -1;
            }
            store__query_free(q);
            continue;
        }
        PGresult *res = q->res; /* cleared with q, after the callback */
        const char *e = !res                                       ? "no result"
                        : PQresultStatus(res) == PGRES_FATAL_ERROR ? PQresultErrorMessage(res)
                                                                   : NULL;
        store__query_finish(q, res, e);
    }
    return 0;
}

/* One step of the connection: whatever the socket said, move on. Returns
 * 0, or -1 when the connection was closed (c is gone). */
static int pgc_step(pg_conn_t *c, int events)
{
    const char *err = NULL;
    switch (c->state) {
    case PGC_CONNECTING:
        switch (PQconnectPoll(c->pg)) {
        case PGRES_POLLING_READING:
            if (pgc_watch(c, UV_READABLE) < 0) goto fail;
            return 0;
        case PGRES_POLLING_WRITING:
            if (pgc_watch(c, UV_WRITABLE) < 0) goto fail;
            return 0;
        case PGRES_POLLING_OK:
            if (pgc_start_preparing(c) < 0) goto fail;
            return 0;
        default:
            goto fail;
        }
    case PGC_PREPARING:
    case PGC_READY:
        if (events & UV_READABLE) {
            if (!PQconsumeInput(c->pg)) goto fail;
            if (pgc_read_results(c, &err) < 0 || c->broken) goto fail;
        }
        if (store__pgc_flush(c) < 0) goto fail;
        if (c->state == PGC_PREPARING && c->fifo.n == 0) {
            store_pool_t *p = c->pool;
            pgc_set_state(c, PGC_READY);
            if (p->failures)
                log_write(LOG_INFO, "postgres connection restored", LF_STR, "pool", p->label,
                          LF_END);
            p->failures = 0;
            p->last_error[0] = '\0';
            c->last_used_ns = clock_now_ns();
            store__pool_dispatch(p);
        }
        return 0;
    }
    return 0;
fail:
    store__pgc_close(c, err ? err : (c->pg ? PQerrorMessage(c->pg) : "connection failed"));
    return -1;
}

static void on_poll(uv_poll_t *h, int status, int events)
{
    pg_conn_t *c = h->data;
    if (!c) return;
    /* An error (status < 0): let libpq read it and report. */
    if (status < 0) events = UV_READABLE | UV_WRITABLE;
    pgc_step(c, events);
}

/* Starts a new connection. Returns 0 or -1 (failure recorded). */
int store__pool_connect(store_pool_t *p)
{
    if (p->nconns >= POOL_MAX_CONNS || p->closing) return -1;
    pg_conn_t *c = calloc(1, sizeof *c);
    if (!c) return -1;
    qlist_init(&c->fifo);
    const char *keys[] = {"dbname", "options", "application_name", NULL};
    /* Replicas show as "scifind-replica" in pg_stat_activity. */
    const char *app = strncmp(p->label, "replica", 7) == 0 ? "scifind-replica" : "scifind";
    const char *vals[] = {p->dsn, p->options, app, NULL};
    c->pool = p;
    c->poll_fd = -1;
    c->born_ns = clock_now_ns();
    c->deadline_ns = c->born_ns + (uint64_t)p->opts.connect_timeout_ms * 1000000u;
    c->pg = PQconnectStartParams(keys, vals, 1);
    p->conns[p->nconns++] = c;
    p->connects++;
    pgc_set_state(c, PGC_CONNECTING);
    if (!c->pg || PQstatus(c->pg) == CONNECTION_BAD) {
        store__pgc_close(c, c->pg ? PQerrorMessage(c->pg) : "out of memory");
        return -1;
    }
    /* As if the last poll said WRITING: wait for the socket to be writable. */
    if (pgc_watch(c, UV_WRITABLE) < 0) {
        store__pgc_close(c, "cannot watch the socket");
        return -1;
    }
    return 0;
}
