/* The connection pool: see pool.h. One state machine per connection
 * (pgc_step), one for the pool's upkeep (the tick). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "store/pool.h"

#define POOL_MAX_CONNS 64
#define POOL_TICK_MS 100
/* A query still unanswered this long after the statement timeout is
 * answered as timed out (store_pool_send): a frozen server costs a request
 * that, not the connection's much longer stuck check. */
#define QUERY_GRACE_MS 250
/* Queries timed out in one tick; the rest wait for the next one. */
#define EXPIRE_BATCH 64
#define CONN_MAX_IN_FLIGHT 512 /* per connection; more wait in the pool's queue */
#define CONN_SPREAD 4          /* open another connection when every one carries this many */
#define POOL_MAX_WAITING 20000
#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS 5000

typedef struct pg_conn pg_conn_t;

/* One query: waiting in the pool, then in flight on a connection. */
struct store_query {
    store_query_t *next;
    store_pool_t *pool;
    int stmt; /* index in opts.stmts; -1 - i: internal PREPARE of statement i */
    int nparams;
    char **params; /* malloc'd copies */
    store_query_cb cb;
    void *data;
    PGresult *res;        /* the first result, kept until the sync arrives */
    uint64_t deadline_ns; /* answered STORE_POOL_ERR_TIMEOUT past it; 0: none */
    bool cancelled;
};

typedef struct qlist {
    store_query_t *head, *tail;
    size_t n;
} qlist_t;

/* Life of a connection. */
typedef enum {
    PGC_CONNECTING = 0, /* PQconnectPoll in progress, until connect_deadline */
    PGC_PREPARING,      /* in pipeline mode, PREPAREs sent, their syncs awaited */
    PGC_READY,          /* carrying queries */
} pgc_state_t;

struct pg_conn {
    store_pool_t *pool;
    pgc_state_t state;
    PGconn *pg;
    uv_poll_t *poll; /* own allocation: freed in its close callback */
    int poll_fd;
    int poll_events;
    qlist_t fifo; /* sent, results awaited, in order */
    uint64_t born_ns, deadline_ns, last_used_ns, head_sent_ns;
    bool broken; /* a send failed outside its step: closed by the next tick */
};

struct store_pool {
    uv_loop_t *loop;
    store_pool_opts_t opts;
    char *dsn, *label;
    char options[128];
    pg_conn_t *conns[POOL_MAX_CONNS];
    int nconns;
    qlist_t waiting; /* no connection ready yet */
    uv_timer_t tick;
    uint64_t next_connect_ns;
    int failures; /* in a row */
    char last_error[256];
    uint64_t connects, connect_failures, queries, query_errors;
    bool closing;
    int closing_handles;
    void (*close_done)(void *);
    void *close_data;
};

static const char *const pgc_state_names[] = {"connecting", "preparing", "ready"};

static void pgc_set_state(pg_conn_t *c, pgc_state_t st)
{
    if (log_enabled(LOG_DEBUG))
        log_write(LOG_DEBUG, "pg connection state", LF_STR, "pool", c->pool->label, LF_STR, "from",
                  pgc_state_names[c->state], LF_STR, "to", pgc_state_names[st], LF_END);
    c->state = st;
}

/* ---- query lists ---------------------------------------------------------- */

static void qlist_push(qlist_t *l, store_query_t *q)
{
    q->next = NULL;
    if (l->tail)
        l->tail->next = q;
    else
        l->head = q;
    l->tail = q;
    l->n++;
}

static void qlist_push_front(qlist_t *l, store_query_t *q)
{
    q->next = l->head;
    l->head = q;
    if (!l->tail) l->tail = q;
    l->n++;
}

static store_query_t *qlist_pop(qlist_t *l)
{
    store_query_t *q = l->head;
    if (!q) return NULL;
    l->head = q->next;
    if (!l->head) l->tail = NULL;
    l->n--;
    q->next = NULL;
    return q;
}

static void query_free(store_query_t *q)
{
    for (int i = 0; i < q->nparams; i++)
        free(q->params[i]);
    free(q->params);
    if (q->res) PQclear(q->res);
    free(q);
}

/* Ends q: its callback (unless cancelled), then its memory. */
static void query_finish(store_query_t *q, PGresult *res, const char *err)
{
    store_pool_t *p = q->pool;
    if (res && PQresultStatus(res) == PGRES_FATAL_ERROR) p->query_errors++;
    if (!res) p->query_errors++;
    if (!q->cancelled && q->cb && q->stmt >= 0) q->cb(res, err, q->data);
    query_free(q);
}

/* ---- one connection ------------------------------------------------------- */

static void on_poll_closed(uv_handle_t *h)
{
    store_pool_t *p = h->data;
    free(h);
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

static void on_poll(uv_poll_t *h, int status, int events);

/* Watches the connection's socket for events (re-creating the watcher
 * when libpq changed sockets). Returns 0 or -1. */
static int pgc_watch(pg_conn_t *c, int events)
{
    int fd = PQsocket(c->pg);
    if (fd < 0) return -1;
    if (c->poll && c->poll_fd != fd) pgc_stop_poll(c);
    if (!c->poll) {
        c->poll = malloc(sizeof *c->poll);
        if (!c->poll || uv_poll_init(c->pool->loop, c->poll, fd) != 0) {
            free(c->poll);
            c->poll = NULL;
            return -1;
        }
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

static void pool_dispatch(store_pool_t *p);

/* Ends the connection: fails its queries, frees it. err NULL: a planned
 * retirement (idle, lifetime, close). Never touch c afterwards. */
static void pgc_close(pg_conn_t *c, const char *err)
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
        query_finish(q, NULL, err ? msg : "connection closed");
    free(c);
    /* Queries waiting for a connection fail when none is left to come. */
    if (p->nconns == 0 && p->failures > 0)
        while ((q = qlist_pop(&p->waiting)))
            query_finish(q, NULL, p->last_error);
}

/* Pushes what libpq buffered; watches for writability while some is left.
 * Returns 0, or -1 when the connection failed. */
static int pgc_flush(pg_conn_t *c)
{
    int rc = PQflush(c->pg);
    if (rc < 0) return -1;
    return pgc_watch(c, rc == 1 ? UV_READABLE | UV_WRITABLE : UV_READABLE);
}

/* Sends q on c (prepared statement + sync). Returns 0 or -1. */
static int pgc_send(pg_conn_t *c, store_query_t *q)
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
        if (pgc_send(c, q) < 0) {
            free(q);
            return -1;
        }
    }
    return pgc_flush(c);
}

/* Reads every complete result. Returns 0, or -1 when c must close (err set). */
static int pgc_read_results(pg_conn_t *c, const char **err)
{
    int nulls = 0;
    while (c->fifo.head && !PQisBusy(c->pg)) {
        PGresult *r = PQgetResult(c->pg);
        store_query_t *q = c->fifo.head;
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
                query_free(q);
                return -1;
            }
            query_free(q);
            continue;
        }
        PGresult *res = q->res; /* cleared with q, after the callback */
        const char *e = !res                                       ? "no result"
                        : PQresultStatus(res) == PGRES_FATAL_ERROR ? PQresultErrorMessage(res)
                                                                   : NULL;
        query_finish(q, res, e);
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
        if (pgc_flush(c) < 0) goto fail;
        if (c->state == PGC_PREPARING && c->fifo.n == 0) {
            store_pool_t *p = c->pool;
            pgc_set_state(c, PGC_READY);
            if (p->failures)
                log_write(LOG_INFO, "postgres connection restored", LF_STR, "pool", p->label,
                          LF_END);
            p->failures = 0;
            p->last_error[0] = '\0';
            c->last_used_ns = clock_now_ns();
            pool_dispatch(p);
        }
        return 0;
    }
    return 0;
fail:
    pgc_close(c, err ? err : (c->pg ? PQerrorMessage(c->pg) : "connection failed"));
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
static int pool_connect(store_pool_t *p)
{
    if (p->nconns >= POOL_MAX_CONNS || p->closing) return -1;
    pg_conn_t *c = calloc(1, sizeof *c);
    if (!c) return -1;
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
        pgc_close(c, c->pg ? PQerrorMessage(c->pg) : "out of memory");
        return -1;
    }
    /* As if the last poll said WRITING: wait for the socket to be writable. */
    if (pgc_watch(c, UV_WRITABLE) < 0) {
        pgc_close(c, "cannot watch the socket");
        return -1;
    }
    return 0;
}

static int pool_count(const store_pool_t *p, pgc_state_t st)
{
    int n = 0;
    for (int i = 0; i < p->nconns; i++)
        n += p->conns[i]->state == st;
    return n;
}

/* The ready connection carrying the fewest queries, or NULL. */
static bool pgc_expired(const store_pool_t *p, const pg_conn_t *c, uint64_t now)
{
    return p->opts.max_lifetime_ms > 0 &&
           now - c->born_ns > (uint64_t)p->opts.max_lifetime_ms * 1000000u;
}

/* The ready connection carrying the fewest queries, past its lifetime only
 * when no other is ready (it then drains and the tick closes it), or NULL. */
static pg_conn_t *pool_pick(store_pool_t *p)
{
    pg_conn_t *best = NULL;
    bool best_expired = false;
    uint64_t now = clock_now_ns();
    for (int i = 0; i < p->nconns; i++) {
        pg_conn_t *c = p->conns[i];
        if (c->state != PGC_READY || c->broken) continue;
        bool expired = pgc_expired(p, c, now);
        if (!best || (best_expired && !expired) ||
            (expired == best_expired && c->fifo.n < best->fifo.n)) {
            best = c;
            best_expired = expired;
        }
    }
    return best;
}

/* Moves waiting queries onto ready connections; opens another connection
 * when all are busy and the maximum allows. */
static void pool_dispatch(store_pool_t *p)
{
    while (p->waiting.head) {
        pg_conn_t *c = pool_pick(p);
        if (c && c->fifo.n >= CONN_SPREAD && p->nconns < p->opts.max_conns &&
            pool_count(p, PGC_CONNECTING) + pool_count(p, PGC_PREPARING) == 0 &&
            clock_now_ns() >= p->next_connect_ns)
            pool_connect(p);
        c = pool_pick(p);
        if (!c || c->fifo.n >= CONN_MAX_IN_FLIGHT) break;
        store_query_t *q = qlist_pop(&p->waiting);
        if (pgc_send(c, q) < 0) {
            /* Not closed here: we may be inside c's own step. The query
             * waits again for another connection (or its deadline): its
             * callback must not run inside store_pool_send(). */
            c->broken = true;
            qlist_push_front(&p->waiting, q);
        }
    }
    for (int i = 0; i < p->nconns; i++) {
        pg_conn_t *c = p->conns[i];
        if (c->state == PGC_READY && !c->broken && pgc_flush(c) < 0) c->broken = true;
    }
}

typedef struct expired {
    store_query_cb cb;
    void *data;
} expired_t;

/* Marks the queries of l past their deadline cancelled (their results, if
 * they come, are dropped) and notes whom to tell. Returns the new count. */
static int queries_expire(qlist_t *l, uint64_t now, expired_t *out, int n)
{
    for (store_query_t *q = l->head; q && n < EXPIRE_BATCH; q = q->next) {
        if (q->cancelled || !q->deadline_ns || now < q->deadline_ns) continue;
        q->cancelled = true;
        if (q->cb) out[n++] = (expired_t){q->cb, q->data};
    }
    return n;
}

/* Answers the queries past their deadline, after the lists are walked: a
 * callback may send (and so move) queries. */
static void pool_expire(store_pool_t *p, uint64_t now)
{
    expired_t tell[EXPIRE_BATCH];
    int n = queries_expire(&p->waiting, now, tell, 0);
    for (int i = 0; i < p->nconns; i++)
        n = queries_expire(&p->conns[i]->fifo, now, tell, n);
    for (int i = 0; i < n; i++)
        tell[i].cb(NULL, STORE_POOL_ERR_TIMEOUT, tell[i].data);
}

/* The pool's upkeep: deadlines, retirement, the minimum of connections. */
static void on_tick(uv_timer_t *t)
{
    store_pool_t *p = t->data;
    uint64_t now = clock_now_ns();
    pool_expire(p, now);
    uint64_t stuck_ns =
        (uint64_t)(p->opts.statement_timeout_ms > 0 ? p->opts.statement_timeout_ms * 2 + 5000
                                                    : 60000) *
        1000000u;
    for (int i = 0; i < p->nconns; i++) {
        pg_conn_t *c = p->conns[i];
        const char *why = NULL;
        if (c->broken) {
            why = c->pg ? PQerrorMessage(c->pg) : "broken";
        } else if (c->state != PGC_READY) {
            if (now > c->deadline_ns) why = "connect timeout";
        } else if (c->fifo.n && now - c->head_sent_ns > stuck_ns) {
            why = "no answer long past the statement timeout";
        } else if (c->fifo.n == 0 && p->nconns > p->opts.min_conns &&
                   now - c->last_used_ns > (uint64_t)p->opts.idle_timeout_ms * 1000000u) {
            pgc_close(c, NULL);
            i = -1;
            continue;
        } else if (c->fifo.n == 0 && pgc_expired(p, c, now)) {
            pgc_close(c, NULL);
            i = -1;
            continue;
        }
        if (why) {
            pgc_close(c, why);
            i = -1;
        }
    }
    int live = p->nconns, fresh = 0, starting = 0;
    for (int i = 0; i < p->nconns; i++) {
        fresh += !pgc_expired(p, p->conns[i], now);
        starting += p->conns[i]->state != PGC_READY;
    }
    /* A busy connection past its lifetime gets a replacement (one over the
     * maximum for a moment) so it can drain and close. */
    bool replace = live > 0 && fresh == 0 && starting == 0 && store_pool_busy(p) > 0;
    if (!p->closing && now >= p->next_connect_ns &&
        (live < p->opts.min_conns || replace || (live == 0 && (p->waiting.n || p->failures))))
        pool_connect(p);
    if (p->waiting.n) pool_dispatch(p);
}

/* ---- the pool's interface ------------------------------------------------- */

store_pool_t *store_pool_new(uv_loop_t *loop, const store_pool_opts_t *opts)
{
    store_pool_t *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->loop = loop;
    p->opts = *opts;
    if (p->opts.min_conns < 0) p->opts.min_conns = 0;
    if (p->opts.max_conns < 1) p->opts.max_conns = 1;
    if (p->opts.max_conns > POOL_MAX_CONNS) p->opts.max_conns = POOL_MAX_CONNS;
    if (p->opts.min_conns > p->opts.max_conns) p->opts.min_conns = p->opts.max_conns;
    if (p->opts.connect_timeout_ms <= 0) p->opts.connect_timeout_ms = 2000;
    p->dsn = strdup(opts->dsn);
    p->label = strdup(opts->label ? opts->label : "primary");
    if (!p->dsn || !p->label) goto fail;
    p->opts.dsn = p->dsn;
    p->opts.label = p->label;
    /* Custom plans: full-text selectivity and the optional filters ($n IS
     * NULL OR ...) vary per call; a generic plan is blind to both. */
    snprintf(p->options, sizeof p->options,
             "-c statement_timeout=%lld -c plan_cache_mode=force_custom_plan",
             (long long)(opts->statement_timeout_ms > 0 ? opts->statement_timeout_ms : 0));
    uv_timer_init(loop, &p->tick);
    p->tick.data = p;
    uv_timer_start(&p->tick, on_tick, POOL_TICK_MS, POOL_TICK_MS);
    uv_unref((uv_handle_t *)&p->tick);
    for (int i = 0; i < p->opts.min_conns; i++)
        if (pool_connect(p) < 0) break;
    return p;
fail:
    free(p->dsn);
    free(p->label);
    free(p);
    return NULL;
}

store_query_t *store_pool_send(store_pool_t *p, int stmt, int nparams, const char *const *params,
                               store_query_cb cb, void *data)
{
    if (p->closing || !store_pool_up(p) || p->waiting.n >= POOL_MAX_WAITING) return NULL;
    store_query_t *q = calloc(1, sizeof *q);
    if (!q) return NULL;
    q->pool = p;
    q->stmt = stmt;
    q->cb = cb;
    q->data = data;
    if (p->opts.statement_timeout_ms > 0)
        q->deadline_ns =
            clock_now_ns() + (uint64_t)(p->opts.statement_timeout_ms + QUERY_GRACE_MS) * 1000000u;
    q->nparams = nparams;
    q->params = nparams ? calloc((size_t)nparams, sizeof *q->params) : NULL;
    if (nparams && !q->params) goto oom;
    for (int i = 0; i < nparams; i++)
        if (params[i] && !(q->params[i] = strdup(params[i]))) goto oom;
    /* Connect before q waits: a connection failing at once fails the
     * waiting queries, and q's callback must not run in here. */
    if (p->nconns == 0 && clock_now_ns() >= p->next_connect_ns) pool_connect(p);
    if (!store_pool_up(p)) {
        query_free(q);
        return NULL;
    }
    p->queries++;
    qlist_push(&p->waiting, q);
    pool_dispatch(p);
    return q;
oom:
    q->nparams = q->params ? nparams : 0;
    query_free(q);
    return NULL;
}

void store_pool_cancel(store_query_t *q)
{
    if (q) q->cancelled = true;
}

bool store_pool_ready(const store_pool_t *p)
{
    for (int i = 0; i < p->nconns; i++)
        if (p->conns[i]->state == PGC_READY) return true;
    return false;
}

bool store_pool_up(const store_pool_t *p)
{
    return p->failures == 0 || store_pool_ready(p);
}

int store_pool_retry_after_s(const store_pool_t *p)
{
    uint64_t now = clock_now_ns();
    if (p->next_connect_ns <= now) return 1;
    int s = (int)((p->next_connect_ns - now + 999999999ull) / 1000000000ull);
    return s < 1 ? 1 : s;
}

void store_pool_stats(const store_pool_t *p, store_pool_stats_t *out)
{
    out->ready = pool_count(p, PGC_READY);
    out->connecting = pool_count(p, PGC_CONNECTING) + pool_count(p, PGC_PREPARING);
    out->total = p->nconns;
    out->connects = p->connects;
    out->connect_failures = p->connect_failures;
    out->queries = p->queries;
    out->query_errors = p->query_errors;
    out->consecutive_failures = p->failures;
    out->last_error = p->last_error[0] ? p->last_error : NULL;
}

size_t store_pool_busy(const store_pool_t *p)
{
    size_t n = p->waiting.n;
    for (int i = 0; i < p->nconns; i++)
        n += p->conns[i]->fifo.n;
    return n;
}

static void on_tick_closed(uv_handle_t *h)
{
    store_pool_t *p = h->data;
    if (--p->closing_handles == 0 && p->close_done) p->close_done(p->close_data);
}

void store_pool_close(store_pool_t *p, void (*done)(void *), void *data)
{
    if (p->closing) return;
    p->closing = true;
    p->close_done = done;
    p->close_data = data;
    p->closing_handles = 1; /* the timer */
    store_query_t *q;
    while ((q = qlist_pop(&p->waiting)))
        query_finish(q, NULL, "store closing");
    while (p->nconns)
        pgc_close(p->conns[0], NULL);
    uv_close((uv_handle_t *)&p->tick, on_tick_closed);
}

void store_pool_free(store_pool_t *p)
{
    if (!p) return;
    while (p->nconns) { /* only when the loop went away without a close */
        pg_conn_t *c = p->conns[--p->nconns];
        PQfinish(c->pg);
        store_query_t *q;
        while ((q = qlist_pop(&c->fifo)))
            query_free(q);
        free(c);
    }
    store_query_t *q;
    while ((q = qlist_pop(&p->waiting)))
        query_free(q);
    free(p->dsn);
    free(p->label);
    free(p);
}
