/* The store: pools, statements, the write-behind batcher, the local
 * provider. See store.h. */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/metrics.h"
#include "store/sql.h"
#include "store/store.h"

#define STORE_MAX_REPLICAS 8
#define SHUTDOWN_FLUSH_MS 2000
#define SHUTDOWN_STEP_MS 20
#define DROP_LOG_EVERY_NS (10ull * 1000000000ull)
#define PURGE_EVERY_NS (60ull * 1000000000ull)

/* Where a paper row matches the category filter: exact, or a prefix ending at a '.'. */
#define SQL_CATEGORY_MATCH(param)                                                                  \
    "EXISTS (SELECT 1 FROM unnest(p.categories) AS c WHERE lower(c) = lower(" param "::text)"      \
    " OR starts_with(lower(c), lower(" param "::text) || '.'))"

static const store_stmt_t stmts[STORE_Q_COUNT] = {
    [STORE_Q_UPSERT_PAPERS] = {"sf_upsert_papers", "SELECT scifind_upsert_papers($1::jsonb)"},
    [STORE_Q_INSERT_QUERIES] =
        {"sf_insert_queries", "INSERT INTO search_queries (query_text, query_key, results, took_ms)"
                              " SELECT x.q, x.k, x.r, x.t FROM jsonb_to_recordset($1::jsonb)"
                              " AS x(q text, k text, r integer, t integer)"},
    [STORE_Q_CACHE_PUT] = {"sf_cache_put",
                           "INSERT INTO search_cache (key_hash, key, status, body, created_at,"
                           " expires_at) VALUES ($1, $2, $3::integer, $4, now(),"
                           " now() + $5::bigint * interval '1 millisecond')"
                           " ON CONFLICT (key_hash) DO UPDATE SET key = EXCLUDED.key,"
                           " status = EXCLUDED.status, body = EXCLUDED.body,"
                           " created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at"},
    [STORE_Q_CACHE_PURGE] = {"sf_cache_purge",
                             "DELETE FROM search_cache WHERE key_hash IN (SELECT key_hash"
                             " FROM search_cache WHERE expires_at < now() LIMIT 1000)"},
    [STORE_Q_CACHE_DELETE] = {"sf_cache_delete", "DELETE FROM search_cache WHERE key_hash = $1"},
    /* TRUNCATE: the table may hold gigabytes of answers; a DELETE would
     * take long and leave it bloated. */
    [STORE_Q_CACHE_CLEAR] = {"sf_cache_clear", "TRUNCATE search_cache"},
    [STORE_Q_API_KEYS] = {"sf_api_keys",
                          "SELECT key_hash, array_to_string(scopes, ','), coalesce(rate_limit, 0)"
                          " FROM api_keys WHERE revoked_at IS NULL"},
    [STORE_Q_SEARCH] =
        {"sf_search",
         "SELECT scifind_paper_json(p)::text"
         " FROM papers p, websearch_to_tsquery('english', $1::text) AS q"
         " WHERE p.deleted_at IS NULL AND p.tsv @@ q"
         " AND ($2::integer IS NULL OR p.year >= $2::integer)"
         " AND ($3::integer IS NULL OR p.year <= $3::integer)"
         " AND ($4::text IS NULL OR EXISTS (SELECT 1 FROM unnest(p.authors) AS a"
         " WHERE strpos(lower(a), $4::text) > 0))"
         " AND ($5::text IS NULL OR " SQL_CATEGORY_MATCH(
             "$5") ")"
                   " AND (NOT $6::boolean OR p.open_access OR p.pdf_url IS NOT NULL)"
                   " ORDER BY CASE WHEN $7::text = 'date' THEN p.published_at END DESC NULLS LAST,"
                   " CASE WHEN $7::text = 'citations' THEN p.citations END DESC NULLS LAST,"
                   " ts_rank_cd(p.tsv, q) DESC, p.id DESC"
                   " LIMIT $8::integer"},
    [STORE_Q_PAPER_BY_ID] = {"sf_paper_by_id", "SELECT scifind_paper_json(p)::text FROM papers p"
                                               " WHERE p.id = $1::bigint AND p.deleted_at IS NULL"},
    [STORE_Q_PAPER_BY_DOI] = {"sf_paper_by_doi",
                              "SELECT scifind_paper_json(p)::text FROM papers p"
                              " WHERE p.doi = $1::text AND p.deleted_at IS NULL"},
    [STORE_Q_PAPER_BY_ARXIV] = {"sf_paper_by_arxiv",
                                "SELECT scifind_paper_json(p)::text FROM papers p"
                                " WHERE p.arxiv_id = $1::text AND p.deleted_at IS NULL"},
    [STORE_Q_PAPERS_LIST] = {"sf_papers_list",
                             "SELECT scifind_paper_json(p)::text, p.id FROM papers p"
                             " WHERE p.deleted_at IS NULL"
                             " AND ($1::bigint IS NULL OR p.id < $1::bigint)"
                             " AND ($2::text IS NULL OR p.sources @> ARRAY[$2::text])"
                             " AND ($3::integer IS NULL OR p.year = $3::integer)"
                             " AND ($4::text IS NULL OR " SQL_CATEGORY_MATCH(
                                 "$4") ")"
                                       " ORDER BY p.id DESC LIMIT $5::integer"},
    [STORE_Q_POPULAR] = {"sf_popular",
                         "SELECT coalesce(json_agg(json_build_object('query', t.query_text,"
                         " 'count', t.n, 'last_seen', to_char(t.last AT TIME ZONE 'UTC',"
                         " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')) ORDER BY t.n DESC, t.query_text),"
                         " '[]')::text FROM (SELECT query_text, count(*) AS n,"
                         " max(created_at) AS last FROM search_queries"
                         " WHERE created_at > now() - $1::bigint * interval '1 second'"
                         " GROUP BY query_text ORDER BY n DESC, query_text"
                         " LIMIT $2::integer) AS t"},
    [STORE_Q_CACHE_GET] =
        {"sf_cache_get",
         "SELECT body, status, floor(extract(epoch FROM now() - created_at))::bigint"
         " FROM search_cache WHERE key_hash = $1 AND key = $2"
         " AND expires_at > now()"},
};

/* ---- the write-behind queues ---------------------------------------------- */

/* A queue's batcher. */
typedef enum {
    WQ_IDLE = 0, /* nothing sent; flushes at batch rows or on the timer */
    WQ_FLUSHING, /* one batch in flight; the next waits for its answer */
} wq_state_t;

typedef struct wqueue {
    store_t *st;
    const char *what; /* "papers", "queries" */
    store_stmt_id_t stmt;
    wq_state_t state;
    char **items; /* JSON objects, malloc'd */
    size_t n, cap, max, batch, in_flight;
    uint64_t queued, written, dropped;
    uint64_t last_drop_log_ns;
    /* The batch in flight, kept for written_cb (papers only), or NULL. */
    char *in_flight_body;
    void (*written_cb)(void *data, char *rows, size_t n);
    void *written_data;
} wqueue_t;

/* Life of the store. */
typedef enum {
    STORE_RUNNING = 0, /* serving */
    STORE_FLUSHING,    /* shutting down: last batches sent, answers awaited */
    STORE_CLOSING,     /* pools and timers closing */
    STORE_CLOSED,      /* every handle closed */
} store_state_t;

struct store {
    uv_loop_t *loop;
    const sf_config_t *cfg;
    store_state_t state;
    store_pool_t *primary;
    store_pool_t *replicas[STORE_MAX_REPLICAS];
    int nreplicas, next_replica;
    wqueue_t papers, queries;
    uv_timer_t batch_timer;
    uv_timer_t shutdown_timer;
    uint64_t shutdown_deadline_ns;
    uint64_t next_purge_ns;
    /* The api_keys table, for the middleware (store_on_api_keys). */
    void (*keys_cb)(void *data, http_auth_t *keys);
    void *keys_data;
    uint64_t next_keys_ns;
    bool keys_loading;
    int keys_failures; /* in a row: only the first is logged as a warning */
    int closing;       /* handles and pools still closing */
    void (*done)(void *);
    void *done_data;
    search_backend_t backend;
    uint64_t l3_hits, l3_misses, l3_writes;
};

static void store_set_state(store_t *st, store_state_t s)
{
    static const char *const names[] = {"running", "flushing", "closing", "closed"};
    log_write(LOG_DEBUG, "store state", LF_STR, "from", names[st->state], LF_STR, "to", names[s],
              LF_END);
    st->state = s;
}

static void store_step(store_t *st);

static void wq_drop(wqueue_t *q, size_t n, const char *why)
{
    q->dropped += n;
    uint64_t now = clock_now_ns();
    if (now - q->last_drop_log_ns >= DROP_LOG_EVERY_NS || q->last_drop_log_ns == 0) {
        q->last_drop_log_ns = now;
        log_write(LOG_WARN, "store: rows dropped", LF_STR, "queue", q->what, LF_INT, "rows",
                  (int64_t)n, LF_INT, "dropped_total", (int64_t)q->dropped, LF_STR, "reason", why,
                  LF_END);
    }
}

static void wq_push(wqueue_t *q, char *row)
{
    if (q->n >= q->max) {
        free(row);
        wq_drop(q, 1, "queue full");
        return;
    }
    if (q->n == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 256;
        char **items = realloc(q->items, cap * sizeof *items);
        if (!items) {
            free(row);
            wq_drop(q, 1, "out of memory");
            return;
        }
        q->items = items;
        q->cap = cap;
    }
    q->items[q->n++] = row;
    q->queued++;
}

static void on_flushed(PGresult *res, const char *err, void *data)
{
    wqueue_t *q = data;
    if (res &&
        (PQresultStatus(res) == PGRES_TUPLES_OK || PQresultStatus(res) == PGRES_COMMAND_OK)) {
        q->written += q->in_flight;
        if (q->in_flight_body && q->written_cb) {
            q->written_cb(q->written_data, q->in_flight_body, q->in_flight); /* it owns it */
            q->in_flight_body = NULL;
        }
    } else {
        char why[300];
        snprintf(why, sizeof why, "%s", err ? err : "failed");
        why[strcspn(why, "\n")] = '\0';
        wq_drop(q, q->in_flight, why);
    }
    free(q->in_flight_body);
    q->in_flight_body = NULL;
    q->in_flight = 0;
    q->state = WQ_IDLE;
    /* No store_step() here: closing the pools inside a pool's callback
     * would free the connection that is calling; the shutdown timer steps. */
}

/* Sends up to one batch when idle and something waits. */
static void wq_flush(wqueue_t *q)
{
    store_t *st = q->st;
    if (q->state != WQ_IDLE || q->n == 0) return;
    if (!store_available(st, NULL)) return; /* kept (bounded) until the primary is back */
    size_t k = q->n < q->batch ? q->n : q->batch;
    size_t len = 2;
    for (size_t i = 0; i < k; i++)
        len += strlen(q->items[i]) + 1;
    char *body = malloc(len + 1);
    if (!body) return;
    size_t o = 0;
    body[o++] = '[';
    for (size_t i = 0; i < k; i++) {
        if (i) body[o++] = ',';
        size_t l = strlen(q->items[i]);
        memcpy(body + o, q->items[i], l);
        o += l;
    }
    body[o++] = ']';
    body[o] = '\0';
    const char *params[1] = {body};
    store_query_t *h = store_pool_send(st->primary, q->stmt, 1, params, on_flushed, q);
    if (!h || !q->written_cb) {
        free(body);
        body = NULL;
    }
    if (!h) return;           /* down: retried on the next tick */
    q->in_flight_body = body; /* for written_cb, once stored */
    for (size_t i = 0; i < k; i++)
        free(q->items[i]);
    memmove(q->items, q->items + k, (q->n - k) * sizeof *q->items);
    q->n -= k;
    q->in_flight = k;
    q->state = WQ_FLUSHING;
}

static void wq_free(wqueue_t *q)
{
    free(q->in_flight_body);
    q->in_flight_body = NULL;
    for (size_t i = 0; i < q->n; i++)
        free(q->items[i]);
    free(q->items);
    q->items = NULL;
    q->n = q->cap = 0;
}

/* ---- the store's life ------------------------------------------------------ */

static void on_closed_one(void *data)
{
    store_t *st = data;
    if (--st->closing == 0) {
        store_set_state(st, STORE_CLOSED);
        if (st->done) st->done(st->done_data);
    }
}

static void on_handle_closed(uv_handle_t *h)
{
    on_closed_one(h->data);
}

/* Moves the store on: flushing until the queues are empty (or the bound),
 * then closing. */
static void store_step(store_t *st)
{
    switch (st->state) {
    case STORE_RUNNING:
        return;
    case STORE_FLUSHING:
        wq_flush(&st->papers);
        wq_flush(&st->queries);
        if (st->papers.state == WQ_FLUSHING || st->queries.state == WQ_FLUSHING) return;
        if ((st->papers.n || st->queries.n) && store_available(st, NULL)) return;
        if (st->papers.n) wq_drop(&st->papers, st->papers.n, "shutting down");
        if (st->queries.n) wq_drop(&st->queries, st->queries.n, "shutting down");
        store_set_state(st, STORE_CLOSING);
        st->closing = 2 + 1 + st->nreplicas; /* two timers, the pools */
        uv_close((uv_handle_t *)&st->batch_timer, on_handle_closed);
        uv_close((uv_handle_t *)&st->shutdown_timer, on_handle_closed);
        store_pool_close(st->primary, on_closed_one, st);
        for (int i = 0; i < st->nreplicas; i++)
            store_pool_close(st->replicas[i], on_closed_one, st);
        return;
    case STORE_CLOSING:
    case STORE_CLOSED:
        return;
    }
}

static void on_purged(PGresult *res, const char *err, void *data)
{
    (void)data;
    if (!res || PQresultStatus(res) != PGRES_COMMAND_OK)
        log_write(LOG_DEBUG, "store: purging expired L3 rows failed", LF_STR, "error", err, LF_END);
}

/* scifind_db_connections{status}: this worker's connections, every pool. */
static void publish_connections(store_t *st)
{
    int idle = 0, active = 0, connecting = 0, broken = 0;
    for (int i = -1; i < st->nreplicas; i++) {
        store_pool_t *p = i < 0 ? st->primary : st->replicas[i];
        if (!p) continue;
        store_pool_stats_t ps;
        store_pool_stats(p, &ps);
        int busy = (int)store_pool_busy(p);
        int act = busy < ps.ready ? busy : ps.ready;
        active += act;
        idle += ps.ready - act;
        connecting += ps.connecting;
        broken += ps.total - ps.ready - ps.connecting;
    }
    metrics_db_connections(idle, active, connecting, broken);
}

/* ---- API keys ------------------------------------------------------------- */

#define KEYS_RETRY_NS (1000000000ull) /* after a failed load */

static void on_api_keys(PGresult *res, const char *err, void *data)
{
    store_t *st = data;
    st->keys_loading = false;
    if (!res || PQresultStatus(res) != PGRES_TUPLES_OK) {
        log_write(st->keys_failures++ ? LOG_DEBUG : LOG_WARN,
                  "store: cannot load API keys; the last ones loaded stay", LF_STR, "error", err,
                  LF_END);
        st->next_keys_ns = clock_now_ns() + KEYS_RETRY_NS;
        return;
    }
    st->keys_failures = 0;
    char msg[8];
    http_auth_t *keys = http_auth_new(NULL, NULL, msg, sizeof msg);
    if (!keys) return;
    int n = PQntuples(res), bad = 0;
    for (int i = 0; i < n; i++)
        if (http_auth_add(keys, PQgetvalue(res, i, 0), PQgetvalue(res, i, 1),
                          strtol(PQgetvalue(res, i, 2), NULL, 10)) < 0)
            bad++;
    if (bad)
        log_write(LOG_WARN,
                  "store: api_keys rows left out (key_hash not 64 hex digits, or rate_limit < 0)",
                  LF_INT, "rows", (int64_t)bad, LF_END);
    st->keys_cb(st->keys_data, keys);
}

static void load_api_keys(store_t *st, uint64_t now)
{
    if (!st->keys_cb || st->keys_loading || now < st->next_keys_ns) return;
    st->next_keys_ns = now + (uint64_t)st->cfg->auth.store_refresh_ms * 1000000u;
    if (store_pool_send(st->primary, STORE_Q_API_KEYS, 0, NULL, on_api_keys, st))
        st->keys_loading = true;
    else
        st->next_keys_ns = now + KEYS_RETRY_NS;
}

void store_on_api_keys(store_t *st, void (*cb)(void *data, http_auth_t *keys), void *data)
{
    if (st->cfg->auth.store_refresh_ms <= 0) return;
    st->keys_cb = cb;
    st->keys_data = data;
}

static void on_batch_timer(uv_timer_t *t)
{
    store_t *st = t->data;
    wq_flush(&st->papers);
    wq_flush(&st->queries);
    publish_connections(st);
    /* Expired L3 rows go in small slices, from every worker now and then. */
    uint64_t now = clock_now_ns();
    if (now >= st->next_purge_ns && store_available(st, NULL)) {
        st->next_purge_ns = now + PURGE_EVERY_NS;
        store_pool_send(st->primary, STORE_Q_CACHE_PURGE, 0, NULL, on_purged, NULL);
    }
    if (st->state == STORE_RUNNING) load_api_keys(st, now);
}

/* Steps the shutdown every SHUTDOWN_STEP_MS (from the loop, never inside a
 * pool callback); past the deadline, forces it. */
static void on_shutdown_timer(uv_timer_t *t)
{
    store_t *st = t->data;
    if (st->state != STORE_FLUSHING) return;
    if (clock_now_ns() < st->shutdown_deadline_ns) {
        store_step(st);
        return;
    }
    /* Out of time: what is still in flight is dropped with the connections. */
    st->papers.state = st->queries.state = WQ_IDLE;
    st->papers.n ? wq_drop(&st->papers, st->papers.n, "shutdown timeout") : (void)0;
    st->queries.n ? wq_drop(&st->queries, st->queries.n, "shutdown timeout") : (void)0;
    wq_free(&st->papers);
    wq_free(&st->queries);
    store_step(st);
}

static void local_start(void *ctx, search_t *s, source_t src);
static void local_cancel(void *ctx, search_t *s, source_t src);

static store_pool_t *new_pool(store_t *st, const char *label, const char *dsn)
{
    const sf_config_t *c = st->cfg;
    store_pool_opts_t o = {
        .label = label,
        .dsn = dsn,
        .min_conns = (int)c->pg.min_connections,
        .max_conns = (int)c->pg.max_connections,
        .max_lifetime_ms = c->pg.max_lifetime_ms,
        .idle_timeout_ms = c->pg.idle_timeout_ms,
        .statement_timeout_ms = c->pg.statement_timeout_ms,
        .connect_timeout_ms = c->pg.connect_timeout_ms,
        .stmts = stmts,
        .nstmts = STORE_Q_COUNT,
    };
    return store_pool_new(st->loop, &o);
}

store_t *store_new(uv_loop_t *loop, const sf_config_t *cfg)
{
    store_t *st = calloc(1, sizeof *st);
    if (!st) return NULL;
    st->loop = loop;
    st->cfg = cfg;
    st->primary = new_pool(st, "primary", cfg->pg.dsn);
    if (!st->primary) goto fail;
    char list[CONFIG_STR_MAX];
    snprintf(list, sizeof list, "%s", cfg->pg.replica_dsns);
    char *save = NULL;
    for (char *d = strtok_r(list, "|", &save); d && st->nreplicas < STORE_MAX_REPLICAS;
         d = strtok_r(NULL, "|", &save)) {
        while (*d == ' ')
            d++;
        if (!*d) continue;
        char label[32];
        snprintf(label, sizeof label, "replica %d", st->nreplicas + 1);
        st->replicas[st->nreplicas] = new_pool(st, label, d);
        if (!st->replicas[st->nreplicas]) goto fail;
        st->nreplicas++;
    }
    size_t batch = cfg->pg.batch_rows > 0 ? (size_t)cfg->pg.batch_rows : 200;
    size_t max = cfg->pg.queue_max > 0 ? (size_t)cfg->pg.queue_max : 20000;
    st->papers = (wqueue_t){
        .st = st, .what = "papers", .stmt = STORE_Q_UPSERT_PAPERS, .max = max, .batch = batch};
    st->queries = (wqueue_t){
        .st = st, .what = "queries", .stmt = STORE_Q_INSERT_QUERIES, .max = max, .batch = 1000};
    uv_timer_init(loop, &st->batch_timer);
    uv_timer_init(loop, &st->shutdown_timer);
    st->batch_timer.data = st->shutdown_timer.data = st;
    uint64_t every = cfg->pg.batch_interval_ms > 0 ? (uint64_t)cfg->pg.batch_interval_ms : 200;
    uv_timer_start(&st->batch_timer, on_batch_timer, every, every);
    uv_unref((uv_handle_t *)&st->batch_timer);
    st->backend = (search_backend_t){.ctx = st, .start = local_start, .cancel = local_cancel};
    log_write(LOG_INFO, "store: PostgreSQL configured", LF_INT, "replicas", (int64_t)st->nreplicas,
              LF_INT, "min_connections", cfg->pg.min_connections, LF_INT, "max_connections",
              cfg->pg.max_connections, LF_END);
    return st;
fail:
    for (int i = 0; i < st->nreplicas; i++)
        store_pool_free(st->replicas[i]);
    store_pool_free(st->primary);
    free(st);
    return NULL;
}

void store_shutdown(store_t *st, void (*done)(void *), void *data)
{
    st->done = done;
    st->done_data = data;
    if (st->state != STORE_RUNNING) {
        if (st->state == STORE_CLOSED && done) done(data);
        return;
    }
    store_set_state(st, STORE_FLUSHING);
    st->shutdown_deadline_ns = clock_now_ns() + SHUTDOWN_FLUSH_MS * 1000000ull;
    uv_timer_start(&st->shutdown_timer, on_shutdown_timer, 0, SHUTDOWN_STEP_MS);
}

void store_free(store_t *st)
{
    if (!st) return;
    wq_free(&st->papers);
    wq_free(&st->queries);
    for (int i = 0; i < st->nreplicas; i++)
        store_pool_free(st->replicas[i]);
    store_pool_free(st->primary);
    free(st);
}

bool store_available(const store_t *st, int *retry_after_s)
{
    if (st->state >= STORE_CLOSING) {
        if (retry_after_s) *retry_after_s = 1;
        return false;
    }
    if (store_pool_up(st->primary)) return true;
    if (retry_after_s) *retry_after_s = store_pool_retry_after_s(st->primary);
    return false;
}

static json_t *pool_json(const store_pool_t *p)
{
    store_pool_stats_t s;
    store_pool_stats(p, &s);
    const char *status = s.ready ? "ok" : s.consecutive_failures ? "down" : "connecting";
    json_t *o = json_pack("{s:s, s:i, s:i, s:I, s:I}", "status", status, "ready", s.ready,
                          "connecting", s.connecting, "connects", (json_int_t)s.connects,
                          "query_errors", (json_int_t)s.query_errors);
    if (o && s.last_error && !s.ready) {
        char e[161];
        snprintf(e, sizeof e, "%s", s.last_error);
        e[strcspn(e, "\n\t")] = '\0';
        json_object_set_new(o, "last_error", json_string(e) ?: json_null());
    }
    return o;
}

bool store_ready(const store_t *st, char *detail, size_t len)
{
    bool ready = store_pool_ready(st->primary);
    json_t *o = pool_json(st->primary);
    if (o) {
        json_object_set_new(o, "write_queue", json_integer((json_int_t)st->papers.n));
        json_object_set_new(o, "papers_written", json_integer((json_int_t)st->papers.written));
        json_object_set_new(o, "papers_dropped", json_integer((json_int_t)st->papers.dropped));
        if (st->nreplicas) {
            json_t *r = json_array();
            for (int i = 0; i < st->nreplicas; i++)
                json_array_append_new(r, pool_json(st->replicas[i]));
            json_object_set_new(o, "replicas", r);
        }
    }
    /* Fit the caller's buffer: drop the replicas' detail, then the error. */
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    for (int i = 0; s && strlen(s) >= len && i < 2; i++) {
        json_object_del(o, i == 0 ? "replicas" : "last_error");
        free(s);
        s = json_dumps(o, JSON_COMPACT);
    }
    snprintf(detail, len, "%s", s && strlen(s) < len ? s : "{\"status\":\"unknown\"}");
    free(s);
    json_decref(o);
    return ready;
}

void store_papers_enqueue(store_t *st, const paper_t *papers, size_t n)
{
    if (!st || st->state != STORE_RUNNING) return;
    for (size_t i = 0; i < n; i++) {
        char *row = store_paper_row_json(&papers[i]);
        if (row) wq_push(&st->papers, row);
    }
    if (st->papers.n >= st->papers.batch) wq_flush(&st->papers);
}

void store_analytics_record(store_t *st, const query_t *q, const char *key, long results,
                            double took_ms)
{
    if (!st || st->state != STORE_RUNNING || !q || !q->text) return;
    arena_t *a = key ? NULL : arena_new(0);
    if (!key && a) key = query_key(q, a);
    json_t *o = json_pack("{s:s?, s:s?, s:I, s:I}", "q", q->text, "k", key ? key : q->text, "r",
                          (json_int_t)results, "t", (json_int_t)(took_ms + 0.5));
    arena_free(a);
    char *row = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (row) wq_push(&st->queries, row);
    if (st->queries.n >= st->queries.batch) wq_flush(&st->queries);
}

void store_on_search_papers(void *store, const query_t *q, const paper_t *papers, size_t n)
{
    (void)q;
    store_papers_enqueue(store, papers, n);
}

/* The integer after `,"name":` in a JSON answer (a string's quotes are
 * escaped, so the pattern cannot start inside one), or -1. */
static long answer_number(const blob_t *b, const char *pattern)
{
    const char *p = b ? strstr(b->data, pattern) : NULL;
    return p ? strtol(p + strlen(pattern), NULL, 10) : -1;
}

void store_on_search_answered(void *store, const query_t *q, const search_reply_t *r)
{
    if (!store || !r || r->status != 200) return;
    store_analytics_record(store, q, NULL, answer_number(r->body, ",\"total\":"),
                           (double)answer_number(r->body, ",\"took_ms\":"));
}

store_query_t *store_query(store_t *st, store_stmt_id_t stmt, int nparams,
                           const char *const *params, store_query_cb cb, void *data)
{
    if (st->state != STORE_RUNNING && st->state != STORE_FLUSHING) return NULL;
    if (stmt >= STORE_Q_SEARCH && st->nreplicas) {
        for (int k = 0; k < st->nreplicas; k++) {
            int i = (st->next_replica + k) % st->nreplicas;
            if (!store_pool_ready(st->replicas[i])) continue;
            st->next_replica = (i + 1) % st->nreplicas;
            store_query_t *h = store_pool_send(st->replicas[i], stmt, nparams, params, cb, data);
            if (h) return h;
        }
    }
    return store_pool_send(st->primary, stmt, nparams, params, cb, data);
}

void store_on_papers_written(store_t *st, void (*cb)(void *data, char *rows, size_t n), void *data)
{
    st->papers.written_cb = cb;
    st->papers.written_data = data;
}

void store_get_stats(const store_t *st, store_stats_t *out)
{
    *out = (store_stats_t){
        .papers_queued = st->papers.queued,
        .papers_written = st->papers.written,
        .papers_dropped = st->papers.dropped,
        .queries_queued = st->queries.queued,
        .queries_written = st->queries.written,
        .queries_dropped = st->queries.dropped,
        .l3_hits = st->l3_hits,
        .l3_misses = st->l3_misses,
        .l3_writes = st->l3_writes,
    };
}

/* Cross-file internals for l3.c. */
void store__l3_count(store_t *st, int hit, int miss, int write)
{
    st->l3_hits += (uint64_t)hit;
    st->l3_misses += (uint64_t)miss;
    st->l3_writes += (uint64_t)write;
    if (hit) metrics_cache_hit(METRICS_TIER_L3);
    if (miss) metrics_cache_miss(METRICS_TIER_L3);
}

const sf_config_t *store__config(const store_t *st)
{
    return st->cfg;
}

uv_loop_t *store__loop(const store_t *st)
{
    return st->loop;
}

/* ---- the local provider ------------------------------------------------------ */

typedef struct local_call {
    store_t *st;
    search_t *search;
    store_query_t *q;
    uint64_t start_ns;
} local_call_t;

static void local_done(PGresult *res, const char *err, void *data)
{
    local_call_t *lc = data;
    search_t *s = lc->search;
    double ms = (double)(clock_now_ns() - lc->start_ns) / 1e6;
    *search_backend_slot(s, SRC_LOCAL) = NULL;
    if (!res || PQresultStatus(res) != PGRES_TUPLES_OK) {
        char msg[256];
        snprintf(msg, sizeof msg, "store: %s", err ? err : "query failed");
        msg[strcspn(msg, "\n")] = '\0';
        bool timeout = err && strstr(err, "statement timeout");
        search_provider_done(s, SRC_LOCAL, timeout ? PSTAT_TIMEOUT : PSTAT_ERROR, NULL, ms, msg);
        return;
    }
    arena_t *a = search_arena(s);
    paper_list_t *list = arena_calloc(a, 1, sizeof *list);
    int n = PQntuples(res);
    for (int i = 0; list && i < n; i++) {
        json_t *o = json_loads(PQgetvalue(res, i, 0), 0, NULL);
        paper_t *p = o ? paper_list_add(list, a) : NULL;
        if (p && store_paper_from_json(o, a, i + 1, p) < 0) list->n--;
        json_decref(o);
    }
    search_provider_done(s, SRC_LOCAL, list ? PSTAT_OK : PSTAT_ERROR, list, ms,
                         list ? NULL : "out of memory");
}

static void local_start(void *ctx, search_t *s, source_t src)
{
    store_t *st = ctx;
    const query_t *q = search_query(s);
    arena_t *a = search_arena(s);
    int retry;
    if (!store_available(st, &retry)) {
        search_provider_done(s, src, PSTAT_ERROR, NULL, 0, "store unavailable");
        return;
    }
    local_call_t *lc = arena_calloc(a, 1, sizeof *lc);
    if (!lc) {
        search_provider_done(s, src, PSTAT_ERROR, NULL, 0, "out of memory");
        return;
    }
    int want = q->offset + q->limit;
    int max = (int)st->cfg->providers.arxiv.max_results;
    if (want < max) want = max;
    if (want > 200) want = 200;
    const char *params[8] = {
        q->text,
        q->year_from ? arena_sprintf(a, "%d", q->year_from) : NULL,
        q->year_to ? arena_sprintf(a, "%d", q->year_to) : NULL,
        q->author,
        q->category,
        q->open_access ? "true" : "false",
        q->sort == SORT_DATE        ? "date"
        : q->sort == SORT_CITATIONS ? "citations"
                                    : "relevance",
        arena_sprintf(a, "%d", want),
    };
    lc->st = st;
    lc->search = s;
    lc->start_ns = clock_now_ns();
    lc->q = store_query(st, STORE_Q_SEARCH, 8, params, local_done, lc);
    if (!lc->q) {
        search_provider_done(s, src, PSTAT_ERROR, NULL, 0, "store unavailable");
        return;
    }
    *search_backend_slot(s, src) = lc;
}

static void local_cancel(void *ctx, search_t *s, source_t src)
{
    (void)ctx;
    local_call_t *lc = *search_backend_slot(s, src);
    if (!lc) return;
    store_pool_cancel(lc->q);
    *search_backend_slot(s, src) = NULL;
}

const search_backend_t *store_backend(store_t *st)
{
    return &st->backend;
}
