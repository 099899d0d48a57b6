/* The connection pool: see pool.h. The pool around its connections
 * (pool_conn.c): queries waiting, dispatch, the tick's upkeep (deadlines,
 * retirement, the minimum of connections) and the interface. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "store/pool_internal.h"

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

void store__query_free(store_query_t *q)
{
    for (int i = 0; i < q->nparams; i++)
        free(q->params[i]);
    free(q->params);
    if (q->res) PQclear(q->res);
    free(q);
}

void store__query_finish(store_query_t *q, PGresult *res, const char *err)
{
    store_pool_t *p = q->pool;
    if (res && PQresultStatus(res) == PGRES_FATAL_ERROR) p->query_errors++;
    if (!res) p->query_errors++;
    if (!q->cancelled && q->cb && q->stmt >= 0) q->cb(res, err, q->data);
    store__query_free(q);
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
void store__pool_dispatch(store_pool_t *p)
{
    while (qlist_head(&p->waiting)) {
        pg_conn_t *c = pool_pick(p);
        if (c && c->fifo.n >= CONN_SPREAD && p->nconns < p->opts.max_conns &&
            pool_count(p, PGC_CONNECTING) + pool_count(p, PGC_PREPARING) == 0 &&
            clock_now_ns() >= p->next_connect_ns)
            store__pool_connect(p);
        c = pool_pick(p);
        if (!c || c->fifo.n >= CONN_MAX_IN_FLIGHT) break;
        store_query_t *q = qlist_pop(&p->waiting);
        if (store__pgc_send(c, q) < 0) {
            /* Not closed here: we may be inside c's own step. The query
             * waits again for another connection (or its deadline): its
             * callback must not run inside store_pool_send(). */
            c->broken = true;
            qlist_push_front(&p->waiting, q);
        }
    }
    for (int i = 0; i < p->nconns; i++) {
        pg_conn_t *c = p->conns[i];
        if (c->state == PGC_READY && !c->broken && store__pgc_flush(c) < 0) c->broken = true;
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
    sf_queue_t *it;
    for (it = sf_queue_head(&l->q); it != &l->q && n < EXPIRE_BATCH; it = it->next) {
        store_query_t *q = sf_queue_data(it, store_query_t, node);
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
            store__pgc_close(c, NULL);
            i = -1;
            continue;
        } else if (c->fifo.n == 0 && pgc_expired(p, c, now)) {
            store__pgc_close(c, NULL);
            i = -1;
            continue;
        }
        if (why) {
            store__pgc_close(c, why);
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
        store__pool_connect(p);
    if (p->waiting.n) store__pool_dispatch(p);
}

/* ---- the pool's interface ------------------------------------------------- */

store_pool_t *store_pool_new(uv_loop_t *loop, const store_pool_opts_t *opts)
{
    store_pool_t *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    qlist_init(&p->waiting);
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
        if (store__pool_connect(p) < 0) break;
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
    if (p->nconns == 0 && clock_now_ns() >= p->next_connect_ns) store__pool_connect(p);
    if (!store_pool_up(p)) {
        store__query_free(q);
        return NULL;
    }
    p->queries++;
    qlist_push(&p->waiting, q);
    store__pool_dispatch(p);
    return q;
oom:
    q->nparams = q->params ? nparams : 0;
    store__query_free(q);
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
        store__query_finish(q, NULL, "store closing");
    while (p->nconns)
        store__pgc_close(p->conns[0], NULL);
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
            store__query_free(q);
        free(c);
    }
    store_query_t *q;
    while ((q = qlist_pop(&p->waiting)))
        store__query_free(q);
    free(p->dsn);
    free(p->label);
    free(p);
}
