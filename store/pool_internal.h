/* What the two files of the connection pool share (pool.h is its
 * interface): the query, the connection and the pool. pool_conn.c is one
 * connection's state machine (connect, prepare, carry queries, close);
 * pool.c the pool around them (queries waiting, dispatch, the tick's
 * upkeep, the interface). Nothing outside these two includes it. */
#ifndef SF_STORE_POOL_INTERNAL_H
#define SF_STORE_POOL_INTERNAL_H

#include "core/queue.h"
#include "store/pool.h"

#define POOL_MAX_CONNS 64

typedef struct pg_conn pg_conn_t;

/* One query: waiting in the pool, then in flight on a connection. */
struct store_query {
    sf_queue_t node; /* in the pool's waiting list or a connection's fifo */
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
    sf_queue_t q;
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
    uv_poll_t *poll; /* polls a dup of libpq's socket (pool_conn.c); freed when closed */
    int poll_fd;     /* libpq's socket number the watcher was made for */
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

/* ---- query lists ---------------------------------------------------------- */

static inline void qlist_init(qlist_t *l)
{
    sf_queue_init(&l->q);
    l->n = 0;
}

/* The first query of l, or NULL. */
static inline store_query_t *qlist_head(const qlist_t *l)
{
    return sf_queue_empty(&l->q) ? NULL : sf_queue_data(sf_queue_head(&l->q), store_query_t, node);
}

static inline void qlist_push(qlist_t *l, store_query_t *q)
{
    sf_queue_insert_tail(&l->q, &q->node);
    l->n++;
}

static inline void qlist_push_front(qlist_t *l, store_query_t *q)
{
    sf_queue_insert_head(&l->q, &q->node);
    l->n++;
}

static inline store_query_t *qlist_pop(qlist_t *l)
{
    store_query_t *q = qlist_head(l);
    if (!q) return NULL;
    sf_queue_remove(&q->node);
    l->n--;
    return q;
}

/* ---- across the two files ------------------------------------------------- */

/* Frees q and its copies (its callback is not called). */
void store__query_free(store_query_t *q);
/* Ends q: its callback (unless cancelled), then its memory. */
void store__query_finish(store_query_t *q, PGresult *res, const char *err);
/* Moves waiting queries onto ready connections (pool.c). */
void store__pool_dispatch(store_pool_t *p);

/* Starts a new connection. Returns 0 or -1 (failure recorded). */
int store__pool_connect(store_pool_t *p);
/* Ends the connection: fails its queries, frees it. err NULL: a planned
 * retirement (idle, lifetime, close). Never touch c afterwards. */
void store__pgc_close(pg_conn_t *c, const char *err);
/* Sends q on c (prepared statement + sync). Returns 0 or -1. */
int store__pgc_send(pg_conn_t *c, store_query_t *q);
/* Pushes what libpq buffered. Returns 0, or -1 when the connection failed. */
int store__pgc_flush(pg_conn_t *c);

#endif
