/* The write-behind batcher: papers and analytics rows wait in bounded
 * queues and go to the primary as one jsonb array per batch, never on a
 * reply's path. See store.h. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "store/sql.h"
#include "store/store_internal.h"

#define DROP_LOG_EVERY_NS (10ull * 1000000000ull)

void store__wq_drop(wqueue_t *q, size_t n, const char *why)
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
        store__wq_drop(q, 1, "queue full");
        return;
    }
    if (q->n == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 256;
        char **items = realloc(q->items, cap * sizeof *items);
        if (!items) {
            free(row);
            store__wq_drop(q, 1, "out of memory");
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
        store__wq_drop(q, q->in_flight, why);
    }
    free(q->in_flight_body);
    q->in_flight_body = NULL;
    q->in_flight = 0;
    q->state = WQ_IDLE;
    /* No store_step() here: closing the pools inside a pool's callback
     * would free the connection that is calling; the shutdown timer steps. */
}

void store__wq_flush(wqueue_t *q)
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

void store__wq_free(wqueue_t *q)
{
    free(q->in_flight_body);
    q->in_flight_body = NULL;
    for (size_t i = 0; i < q->n; i++)
        free(q->items[i]);
    free(q->items);
    q->items = NULL;
    q->n = q->cap = 0;
}

void store_papers_enqueue(store_t *st, const paper_t *papers, size_t n)
{
    if (!st || st->state != STORE_RUNNING) return;
    for (size_t i = 0; i < n; i++) {
        char *row = store_paper_row_json(&papers[i]);
        if (row) wq_push(&st->papers, row);
    }
    if (st->papers.n >= st->papers.batch) store__wq_flush(&st->papers);
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
    if (st->queries.n >= st->queries.batch) store__wq_flush(&st->queries);
}

void store_on_search_papers(void *store, const query_t *q, const search_reply_t *r,
                            const paper_t *papers, size_t n)
{
    (void)q;
    (void)r;
    if (papers && n) store_papers_enqueue(store, papers, n);
}

void store_on_search_answered(void *store, const query_t *q, const search_reply_t *r)
{
    if (!store || !r || r->status != 200) return;
    store_analytics_record(store, q, NULL, (long)r->total, r->took_ms);
}

void store_on_papers_written(store_t *st, void (*cb)(void *data, char *rows, size_t n), void *data)
{
    st->papers.written_cb = cb;
    st->papers.written_data = data;
}
