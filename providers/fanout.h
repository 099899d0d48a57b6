/* The search backend for the HTTP providers: turns "ask provider X for this
 * search" into a request built by X's adapter, sent by the worker's
 * prov_client, and an answer parsed by the adapter into the search's arena. */
#ifndef SF_PROV_FANOUT_H
#define SF_PROV_FANOUT_H

#include <uv.h>

#include "core/config.h"
#include "core/search.h"

typedef struct prov_fanout prov_fanout_t;

/* Returns a fan-out for the providers configured in cfg (which must outlive
 * it), or NULL. Exa without an API key is disabled, with a log line. */
prov_fanout_t *prov_fanout_new(uv_loop_t *loop, const sf_config_t *cfg);

/* Sets the group-wide rate limits in the shared region from cfg; a
 * provider whose limits did not change keeps its bucket as it is. */
void prov_fanout_configure_limits(const sf_config_t *cfg);

const search_backend_t *prov_fanout_backend(prov_fanout_t *f);

/* Bit (1u << source_t) per provider enabled in the configuration. */
unsigned prov_fanout_enabled(const prov_fanout_t *f);

/* A JSON object describing each HTTP provider for GET /v1/providers:
 * enabled, breaker, rate limit, calls, errors, latency p50/p95 over the
 * recent window (group-wide, from the shared region), and this worker's
 * calls in flight. Returns a malloc'd string, or NULL. */
char *prov_fanout_describe(const prov_fanout_t *f);

/* Calls in flight. */
size_t prov_fanout_active(const prov_fanout_t *f);

/* Cancels everything and frees; run the loop once more for handles to close. */
void prov_fanout_free(prov_fanout_t *f);

#endif
