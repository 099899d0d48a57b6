/* A per-worker pool of nonblocking libpq connections on the worker's loop.
 *
 * Each connection is a state machine (pool.c): connected with
 * PQconnectStartParams/PQconnectPoll under our own deadline, switched to
 * nonblocking pipeline mode, every statement prepared once, then it carries
 * many queries in flight (PQsendQueryPrepared + a sync each, so one failing
 * query fails alone). Results come back in order; a FIFO says whose they
 * are. The pool keeps between min and max connections, retires them after
 * their lifetime or an idle spell, reconnects with exponential backoff, and
 * fails a connection whose oldest query waits far past the statement
 * timeout (a dead peer). */
#ifndef SF_STORE_POOL_H
#define SF_STORE_POOL_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

typedef struct store_pool store_pool_t;
typedef struct store_query store_query_t;

/* A query's outcome: res (valid during the call only) when the server
 * answered, whatever its status (PGRES_TUPLES_OK, PGRES_COMMAND_OK or
 * PGRES_FATAL_ERROR: check it); or res NULL and err set when the
 * connection failed or the store is unavailable, err ==
 * STORE_POOL_ERR_TIMEOUT when no answer came within the statement timeout
 * (and a little more: a server that does not answer at all, frozen or cut
 * off, is not waited for longer than one that cancels the statement). */
typedef void (*store_query_cb)(PGresult *res, const char *err, void *data);

#define STORE_POOL_ERR_TIMEOUT "no answer within the statement timeout"

typedef struct store_stmt {
    const char *name;
    const char *sql;
} store_stmt_t;

typedef struct store_pool_opts {
    const char *label; /* "primary", "replica 1": in logs */
    const char *dsn;
    int min_conns, max_conns;
    int64_t max_lifetime_ms, idle_timeout_ms, statement_timeout_ms, connect_timeout_ms;
    const store_stmt_t *stmts; /* prepared on every connection */
    int nstmts;
} store_pool_opts_t;

/* Returns a pool that starts opening its minimum of connections now, or
 * NULL when out of memory. opts->stmts must outlive it; strings are
 * copied. */
store_pool_t *store_pool_new(uv_loop_t *loop, const store_pool_opts_t *opts);

/* Sends statement stmt with params (text, copied; NULL = SQL NULL). Returns
 * a handle for store_pool_cancel(); cb then runs exactly once, later,
 * unless cancelled. Returns NULL without calling cb when the pool is down
 * (no connection and the last attempt failed), closing, or out of memory. */
store_query_t *store_pool_send(store_pool_t *p, int stmt, int nparams, const char *const *params,
                               store_query_cb cb, void *data);

/* The waiter is gone: cb will not run (the query itself finishes on the
 * server, its result is dropped). */
void store_pool_cancel(store_query_t *q);

/* True when a connection is ready, or none has failed yet (still starting). */
bool store_pool_up(const store_pool_t *p);
/* True when a connection is ready now. */
bool store_pool_ready(const store_pool_t *p);
/* Seconds until the next connection attempt (at least 1): Retry-After. */
int store_pool_retry_after_s(const store_pool_t *p);

typedef struct store_pool_stats {
    int ready, connecting, total;
    uint64_t connects, connect_failures, queries, query_errors;
    int consecutive_failures;
    const char *last_error;
} store_pool_stats_t;

void store_pool_stats(const store_pool_t *p, store_pool_stats_t *out);

/* Queries in flight or waiting for a connection. */
size_t store_pool_busy(const store_pool_t *p);

/* Fails what waits, closes every connection and the timer; done(data) runs
 * once every handle is closed. The pool must then be freed. */
void store_pool_close(store_pool_t *p, void (*done)(void *), void *data);

/* Frees a closed pool (or one whose loop is gone). NULL is a no-op. */
void store_pool_free(store_pool_t *p);

#endif
