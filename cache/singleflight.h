/* Single-flight: identical searches (same cache key) that arrive while one
 * is being computed in this worker wait for it instead of asking next
 * again. The first answer goes to every waiter, in arrival order. */
#ifndef SF_CACHE_SINGLEFLIGHT_H
#define SF_CACHE_SINGLEFLIGHT_H

#include <stddef.h>

#include "cache/cache.h"
#include "core/search_service.h"

/* A link in front of next. Returns NULL when out of memory. */
search_service_t *cache_singleflight_service(search_service_t *next);

/* Keys being computed now, and the counters (hits = requests that joined a
 * running flight, misses = flights started). */
size_t cache_singleflight_flights(search_service_t *svc);
const cache_stats_t *cache_singleflight_stats(search_service_t *svc);

/* Cancels the flights still running (their waiters get no answer: call
 * after the HTTP side is done) and frees the link. NULL is a no-op. */
void cache_singleflight_free(search_service_t *svc);

#endif
