/* One search: a query asked of every provider at once, answered within a
 * deadline with what has arrived, merged, ranked and serialised once.
 *
 * A search is a state machine (search.c: states, one setter, one step()).
 * Core knows nothing of libcurl or libpq: it reaches the providers through a
 * search_backend_t that main.c fills in (providers/fanout.c, store/...), and
 * every backend callback only records what happened and calls step(). */
#ifndef SF_SEARCH_H
#define SF_SEARCH_H

#include <stdbool.h>
#include <uv.h>

#include "core/arena.h"
#include "core/blob.h"
#include "core/paper.h"
#include "core/pstatus.h"
#include "core/query.h"

typedef struct search search_t;

/* The way to the providers. start() asks src for the search's query; the
 * backend then calls search_provider_done() exactly once for it, possibly
 * before start() returns, unless cancel() came first. */
typedef struct search_backend {
    void *ctx;
    void (*start)(void *ctx, search_t *s, source_t src);
    void (*cancel)(void *ctx, search_t *s, source_t src);
    /* Optional: told of each provider's outcome as it is recorded (the
     * per-provider result cache keeps the answers it sees here). */
    void (*observe)(void *ctx, search_t *s, source_t src, search_pstatus_t status,
                    const paper_list_t *papers);
} search_backend_t;

/* Strategy "first": the order in which providers are preferred (n of
 * them; the others follow in source_t order). Set once per process from
 * search.first_order, before any search; by default source_t order. */
void search_set_first_order(const source_t *order, int n);

/* Called once the answer is ready (search_status()/search_body()). */
typedef void (*search_done_cb)(search_t *s, void *data);

/* Starts a search of q (copied) over the providers in enabled (bit per
 * source; further narrowed by q->providers). deadline_ms bounds it. Returns
 * NULL when out of memory. done is called from a later loop turn or from
 * inside this call. */
search_t *search_start(uv_loop_t *loop, const query_t *q, unsigned enabled,
                       const search_backend_t *backend, int deadline_ms, search_done_cb done,
                       void *data);

/* The backend reports a provider's outcome. papers (may be NULL) must live
 * in search_arena(s); error is copied. */
void search_provider_done(search_t *s, source_t src, search_pstatus_t status, paper_list_t *papers,
                          double latency_ms, const char *error);

/* The backend says which of the query's filters (query_filter_t bits) the
 * provider's request applied itself; the answer lists the others in that
 * provider's ignored_filters. */
void search_provider_pushed(search_t *s, source_t src, unsigned filters);

/* Per-provider slot for the backend's own state (e.g. its call handle). */
void **search_backend_slot(search_t *s, source_t src);

arena_t *search_arena(search_t *s);
/* When the search answers, on the clock_now_ns() clock. */
uint64_t search_deadline_ns(const search_t *s);
const query_t *search_query(const search_t *s);

/* The answer: HTTP status (200, or 502 when every provider asked failed)
 * and the JSON body, a blob the caller may keep with blob_ref(). */
int search_status(const search_t *s);
blob_t *search_body(const search_t *s);

/* The answer's facts, as body says them: "partial", "total", "took_ms". */
bool search_partial(const search_t *s);
size_t search_total(const search_t *s);
double search_took_ms(const search_t *s);

/* Every distinct paper the providers returned, merged and unfiltered (in
 * the search's arena: valid until search_free()), once the answer is ready. */
const paper_t *search_merged(const search_t *s, size_t *n);

/* Nobody waits any more: cancels the providers still running and frees
 * the search (done is not called). Also the way to free a finished one. */
void search_free(search_t *s);

#endif
