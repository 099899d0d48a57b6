/* The life of the store: its pools, its timers, shutdown, readiness and
 * where a statement goes (replica or primary). See store.h; the other
 * parts are in batcher.c, keys_load.c, local.c, statements.c and l3.c. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/metrics.h"
#include "store/store_internal.h"

#define SHUTDOWN_FLUSH_MS 2000
#define SHUTDOWN_STEP_MS 20
#define PURGE_EVERY_NS (60ull * 1000000000ull)

static void store_set_state(store_t *st, store_state_t s)
{
    static const char *const names[] = {"running", "flushing", "closing", "closed"};
    log_write(LOG_DEBUG, "store state", LF_STR, "from", names[st->state], LF_STR, "to", names[s],
              LF_END);
    st->state = s;
}

static void store_step(store_t *st);

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
        store__wq_flush(&st->papers);
        store__wq_flush(&st->queries);
        if (st->papers.state == WQ_FLUSHING || st->queries.state == WQ_FLUSHING) return;
        if ((st->papers.n || st->queries.n) && store_available(st, NULL)) return;
        if (st->papers.n) store__wq_drop(&st->papers, st->papers.n, "shutting down");
        if (st->queries.n) store__wq_drop(&st->queries, st->queries.n, "shutting down");
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

static void on_batch_timer(uv_timer_t *t)
{
    store_t *st = t->data;
    store__wq_flush(&st->papers);
    store__wq_flush(&st->queries);
    publish_connections(st);
    /* Expired L3 rows go in small slices, from every worker now and then. */
    uint64_t now = clock_now_ns();
    if (now >= st->next_purge_ns && store_available(st, NULL)) {
        st->next_purge_ns = now + PURGE_EVERY_NS;
        store_pool_send(st->primary, STORE_Q_CACHE_PURGE, 0, NULL, on_purged, NULL);
    }
    if (st->state == STORE_RUNNING) store__load_api_keys(st, now);
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
    st->papers.n ? store__wq_drop(&st->papers, st->papers.n, "shutdown timeout") : (void)0;
    st->queries.n ? store__wq_drop(&st->queries, st->queries.n, "shutdown timeout") : (void)0;
    store__wq_free(&st->papers);
    store__wq_free(&st->queries);
    store_step(st);
}

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
        .stmts = store__stmts,
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
    st->backend =
        (search_backend_t){.ctx = st, .start = store__local_start, .cancel = store__local_cancel};
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
    store__wq_free(&st->papers);
    store__wq_free(&st->queries);
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
