/* What the files of the store share and nothing else sees: the store's
 * struct, its write-behind queues and the statements' text. store.c holds
 * the life of the store, batcher.c the queues, statements.c the SQL,
 * keys_load.c the api_keys refresh, local.c the local provider, papers.c
 * the papers repository; l3.c
 * declares the few it uses itself. */
#ifndef SF_STORE_INTERNAL_H
#define SF_STORE_INTERNAL_H

#include "store/store.h"

#define STORE_MAX_REPLICAS 8

/* Every prepared statement, indexed by store_stmt_id_t (statements.c). */
extern const store_stmt_t store__stmts[STORE_Q_COUNT];

/* ---- the write-behind queues (batcher.c) ---------------------------------- */

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

/* Counts n rows dropped (logged at most every 10 s). */
void store__wq_drop(wqueue_t *q, size_t n, const char *why);
/* Sends up to one batch when idle, something waits and the primary is up. */
void store__wq_flush(wqueue_t *q);
/* Frees what the queue holds (its rows are not counted as dropped). */
void store__wq_free(wqueue_t *q);

/* ---- the store ------------------------------------------------------------ */

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
    store_keys_cb keys_cb;
    void *keys_data;
    uint64_t next_keys_ns;
    bool keys_loading;
    int keys_failures; /* in a row: only the first is logged as a warning */
    int closing;       /* handles and pools still closing */
    void (*done)(void *);
    void *done_data;
    search_backend_t backend;
    papers_repo_t repo; /* store_papers_repo (papers.c) */
    uint64_t l3_hits, l3_misses, l3_writes;
};

/* Loads the api_keys table when its refresh is due (keys_load.c). */
void store__load_api_keys(store_t *st, uint64_t now);

/* The local provider's backend functions (local.c). */
void store__local_start(void *ctx, search_t *s, source_t src);
void store__local_cancel(void *ctx, search_t *s, source_t src);

#endif
