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

/* The chain told of every answer computed here (search_chain_computed()),
 * with its merged papers; NULL: nobody. chain must outlive svc. */
void search_direct_set_chain(search_service_t *svc, const search_chain_t *chain);

/* Searches in flight. */
size_t search_direct_in_flight(const search_service_t *svc);

void search_direct_free(search_service_t *svc);

#endif
