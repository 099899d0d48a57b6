/* Events on NATS (docs/events.md): "search.completed" for every answered
 * search and "papers.indexed" for every batch the write-behind batcher has
 * stored, published by each worker when nats.url is set.
 *
 * Nothing here is on the reply path or blocks the worker's loop. The loop
 * only copies a few hundred bytes (a search: the answer without its papers;
 * a batch: the rows it already has) into a bounded queue and signals; past
 * nats.queue_max events the new one is dropped and counted. A publisher
 * thread of this worker owns the NATS connection (libnats, reconnecting
 * with backoff and jitter forever), builds each event's JSON and publishes
 * it. Why a thread and not libnats' libuv adapter on the worker's loop: see
 * events.c. */
#ifndef SF_STORE_EVENTS_H
#define SF_STORE_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/query.h"
#include "core/search_service.h"

typedef struct store_events store_events_t;

/* Starts the publisher thread for cfg->nats (cfg must outlive it); it
 * connects in the background. Returns NULL when nats.url is empty, or
 * after logging why it cannot start. */
store_events_t *store_events_new(const sf_config_t *cfg);

/* One answered search (from the worker's loop): r is the answer as sent,
 * request_id the request's id, start_ns when the request began
 * (clock_now_ns()). Copies what it needs; never blocks. */
void store_events_search(store_events_t *ev, const query_t *q, const search_reply_t *r,
                         const char *request_id, uint64_t start_ns);

/* One batch of n papers stored by the batcher: rows is its JSON array
 * (store_paper_row_json rows, malloc'd), owned by the events from now on.
 * Never blocks. */
void store_events_papers(store_events_t *ev, char *rows, size_t n);

/* Stops the thread: what is queued is published within about a second,
 * then the connection closes. Blocks for that long at most (plus one
 * connect attempt that may be under way), so call it once the worker has
 * stopped serving. NULL is a no-op. */
void store_events_free(store_events_t *ev);

#endif
