/* The citation lists of one worker: a cache of the lists fetched (the
 * providers' edges of a paper and direction, before the merge), with a
 * long TTL (citations change slowly), and single-flight: requests for a
 * list being fetched wait for that fetch. Each request then merges,
 * filters, sorts and pages the list as it asks (core/cites.h).
 *
 * A partial list (a provider failed or was too slow) is answered but not
 * kept. The protocol is the chain's (core/search_service.h): get() never
 * calls back before it returns; a list in the cache is delivered on a
 * later loop turn. */
#ifndef SF_CITES_CACHE_H
#define SF_CITES_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "core/citations.h"

typedef struct cites_cache cites_cache_t;
typedef struct cites_wait cites_wait_t;

typedef struct cites_cache_opts {
    uint64_t ttl_ms;  /* how long a whole list is kept */
    size_t max_lists; /* lists kept at most (least recently used go first) */
    size_t max_bytes; /* and the memory they may take (their arenas) */
    int deadline_ms;  /* of each fetch */
    size_t max_edges; /* per provider and list */
    unsigned enabled; /* bit per source enabled */
} cites_cache_opts_t;

/* Returns a cache fetching through be (which must outlive it), or NULL. */
cites_cache_t *cites_cache_new(uv_loop_t *loop, const cites_backend_t *be,
                               const cites_cache_opts_t *o);

/* The list: r is valid during the callback only; cached says it came from
 * the cache (no provider asked for this request). */
typedef void (*cites_wait_cb)(void *data, const cites_result_t *r, bool cached);

/* Asks for the list of dir for ids. Returns a handle; cb runs once, later,
 * unless cites_wait_cancel() comes first. NULL when out of memory (cb
 * never runs). */
cites_wait_t *cites_cache_get(cites_cache_t *c, cites_dir_t dir, const cites_ids_t *ids,
                              const char *traceparent, cites_wait_cb cb, void *data);

/* cb will not run. The fetch goes on (it fills the cache). */
void cites_wait_cancel(cites_wait_t *w);

/* Lists kept, and fetches running (for tests and stats). */
size_t cites_cache_size(const cites_cache_t *c);
size_t cites_cache_fetching(const cites_cache_t *c);

/* Cancels every fetch and waiter (no callbacks) and frees the cache;
 * run the loop once more for the fetches' handles to close. */
void cites_cache_free(cites_cache_t *c);

#endif
