/* The last link of the search service chain: no cache, a fan-out search
 * (core/search.c) for every request. */
#ifndef SF_SEARCH_DIRECT_H
#define SF_SEARCH_DIRECT_H

#include <uv.h>

#include "core/search.h"
#include "core/search_service.h"

/* Returns a service running searches on loop through backend over the
 * providers in enabled, or NULL. backend must outlive it. */
search_service_t *search_direct_new(uv_loop_t *loop, const search_backend_t *backend,
                                    unsigned enabled);

/* Called for every finished search with its merged papers (valid during
 * the call only): the store's write-behind hooks in here. */
typedef void (*search_direct_observer)(void *ctx, const query_t *q, const paper_t *papers,
                                       size_t n);
void search_direct_set_observer(search_service_t *svc, search_direct_observer fn, void *ctx);

/* Searches in flight. */
size_t search_direct_in_flight(const search_service_t *svc);

void search_direct_free(search_service_t *svc);

#endif
