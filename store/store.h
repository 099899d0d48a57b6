/* The PostgreSQL store of one worker: the connection pools (primary and
 * optional read replicas), the write-behind batcher (papers, analytics),
 * the "local" full-text provider, and the reads behind /v1/papers and
 * /v1/analytics. Everything runs on the worker's loop and never blocks it;
 * when PostgreSQL is down, writes are dropped and counted, reads fail fast.
 * See docs/store.md. */
#ifndef SF_STORE_H
#define SF_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#include "core/api_key.h"
#include "core/config.h"
#include "core/paper.h"
#include "core/papers_repo.h"
#include "core/query.h"
#include "core/search.h"
#include "core/search_service.h"
#include "store/pool.h"

typedef struct store store_t;

/* Prepared statements (store.c lists their SQL). */
typedef enum {
    STORE_Q_UPSERT_PAPERS = 0, /* $1 jsonb array of rows (store_paper_row_json) */
    STORE_Q_INSERT_QUERIES,    /* $1 jsonb array of {q, k, r, t} */
    STORE_Q_CACHE_PUT,         /* $1 key_hash, $2 key, $3 status, $4 body, $5 ttl ms */
    STORE_Q_CACHE_PURGE,       /* deletes up to 1000 expired L3 rows */
    STORE_Q_CACHE_DELETE,      /* $1 key_hash: DELETE /v1/cache of one query */
    STORE_Q_CACHE_CLEAR,       /* every L3 row: DELETE /v1/cache */
    STORE_Q_API_KEYS,          /* -> key_hash, scopes "read,admin", rate_limit of the live keys */
    STORE_Q_SEARCH,            /* the local provider (reads from here on) */
    STORE_Q_PAPER_BY_ID,       /* $1 id -> one row: paper JSON text */
    STORE_Q_PAPER_BY_DOI,      /* $1 doi */
    STORE_Q_PAPER_BY_ARXIV,    /* $1 arXiv id */
    STORE_Q_PAPER_BY_SOURCE,   /* $1 source name, $2 its id of the paper (source_ids) */
    STORE_Q_PAPERS_LIST,       /* $1 before id, $2 provider, $3 year, $4 category, $5 limit */
    STORE_Q_POPULAR,           /* $1 window seconds, $2 limit -> query, count */
    STORE_Q_CACHE_GET,         /* $1 key_hash, $2 key -> body, status, age_s */
    STORE_Q_COUNT
} store_stmt_id_t;

/* Returns the store for cfg->pg (dsn set), connecting in the background,
 * or NULL when out of memory. cfg must outlive it. */
store_t *store_new(uv_loop_t *loop, const sf_config_t *cfg);

/* Flushes what the batcher holds (within a short bound), then closes every
 * connection and handle; done(data) runs once all is closed. The store must
 * then be freed with store_free(). Calling it again only waits. */
void store_shutdown(store_t *st, void (*done)(void *), void *data);

/* Frees the store (after store_shutdown's done, or after the loop ended).
 * NULL is a no-op. */
void store_free(store_t *st);

/* The "local" provider: a search backend for SRC_LOCAL. */
const search_backend_t *store_backend(store_t *st);

/* The papers repository (core/papers_repo.h) on this store: the reads
 * behind /v1/papers, /v1/analytics and get_paper. Valid as long as st. */
const papers_repo_t *store_papers_repo(store_t *st);

/* True when the primary is reachable (a connection is ready, or none has
 * failed yet). When false, *retry_after_s (if not NULL) gets the seconds
 * to the next attempt. */
bool store_available(const store_t *st, int *retry_after_s);

/* For /health/ready: true when the primary has a ready connection; detail
 * gets a JSON object ({"status": "ok"|"down"|"connecting", ...}). */
bool store_ready(const store_t *st, char *detail, size_t len);

/* Queues the papers (copied) for the write-behind batcher: flushed at
 * pg.batch_rows rows or every pg.batch_interval. Never blocks; past
 * pg.queue_max papers are dropped and counted. Call it with the merged
 * papers of every search answered by a fan-out (merge_result_t.all). */
void store_papers_enqueue(store_t *st, const paper_t *papers, size_t n);

/* Queues one analytics row: the normalised query text, its cache key,
 * the number of results and the time it took. Same rules as papers. */
void store_analytics_record(store_t *st, const query_t *q, const char *key, long results,
                            double took_ms);

/* The store as an observer of the search chain (core/search_service.h; ctx
 * is the store): computed -> store_on_search_papers (the merged papers of
 * every fan-out go to the write-behind batcher); answered ->
 * store_on_search_answered (every 200 answer, cached or not, is one
 * analytics row with its total and took_ms). */
void store_on_search_papers(void *store, const query_t *q, const search_reply_t *r,
                            const paper_t *papers, size_t n);
void store_on_search_answered(void *store, const query_t *q, const search_reply_t *r);

/* Runs a read statement (replica when one is up, else the primary) or a
 * write statement (the primary). Same contract as store_pool_send(). */
store_query_t *store_query(store_t *st, store_stmt_id_t stmt, int nparams,
                           const char *const *params, store_query_cb cb, void *data);

/* The L3 link of the search service chain (core/search_service.h):
 * answers from search_cache (tier "postgres") when fresh, else asks next
 * and writes a 200 answer behind the reply. Free with store_l3_free() after
 * the store is shut down and nothing waits. */
search_service_t *store_l3_service(store_t *st, search_service_t *next);
void store_l3_free(search_service_t *svc);

/* The live keys of the api_keys table, n rows (valid during the call
 * only; n may be 0: no live key). */
typedef void (*store_keys_cb)(void *data, const api_key_t *keys, size_t n);

/* Loads the api_keys table's live keys now and every auth.store_refresh,
 * and hands each full set to cb. While the store is unreachable cb is not
 * called: the last set stays in force. Rows that are not keys (a hash not
 * of 64 hex digits, a negative rate limit) are left out and logged. */
void store_on_api_keys(store_t *st, store_keys_cb cb, void *data);

/* Drops key's search_cache row, or every row when key is NULL (for DELETE
 * /v1/cache: http_cache_ctx_t.l3_delete, store is a store_t). done(data, ok)
 * runs once, later. Returns 0, or -1 when the store cannot take it now
 * (done is not called). */
int store_l3_delete(void *store, const char *key, void (*done)(void *data, bool ok), void *data);

/* After each batch of papers the batcher has stored, cb(data, rows, n)
 * runs on the loop with the batch's JSON array of n rows
 * (store_paper_row_json), which it then owns (free()). For the
 * papers.indexed events (store/events.h). */
void store_on_papers_written(store_t *st, void (*cb)(void *data, char *rows, size_t n), void *data);

/* Counters for logs and tests. */
typedef struct store_stats {
    uint64_t papers_queued, papers_written, papers_dropped;
    uint64_t queries_queued, queries_written, queries_dropped;
    uint64_t l3_hits, l3_misses, l3_writes;
} store_stats_t;
void store_get_stats(const store_t *st, store_stats_t *out);

#endif
