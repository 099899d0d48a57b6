/* The search backend for the HTTP providers: turns "ask provider X for this
 * search" into a request built by X's adapter, sent by the worker's
 * prov_client, and an answer parsed by the adapter while it arrives into an
 * arena of the call's own, which the search's arena adopts only if the
 * answer is good. */
#ifndef SF_PROV_FANOUT_H
#define SF_PROV_FANOUT_H

#include <uv.h>

#include "core/config.h"
#include "core/lookup.h"
#include "core/search.h"
#include "providers/provider.h"
#include "providers/verdict.h"

typedef struct prov_fanout prov_fanout_t;

/* Returns a fan-out for the providers configured in cfg (which must outlive
 * it), or NULL. Exa without an API key is disabled, with a log line. */
prov_fanout_t *prov_fanout_new(uv_loop_t *loop, const sf_config_t *cfg);

/* Sets the group-wide rate limits in the shared region from cfg; a
 * provider whose limits did not change keeps its bucket as it is. */
void prov_fanout_configure_limits(const sf_config_t *cfg);

const search_backend_t *prov_fanout_backend(prov_fanout_t *f);

/* ---- one provider call of any kind ----------------------------------------
 * The search backend above is one user of this; a lookup, a batch or a
 * citation list is another. The call gets the same machinery whatever it
 * asks: the administrator's switch, the concurrency cap, the suspension,
 * the breaker, the rate limit, retries within the deadline and the retry
 * budget, the verdict (providers/verdict.h). What differs is what to
 * build, how to read the answer and where to report: a prov_task_t. */
typedef struct prov_task prov_task_t;

typedef struct prov_task_ops {
    /* Builds the request into out (zeroed; ps has the provider's base URL,
     * key, contact and max_results), strings in t->arena. Returns 0, or -1
     * with a message in err. */
    int (*build)(const prov_task_t *t, const prov_settings_t *ps, prov_request_t *out, char *err,
                 size_t errlen);
    /* The outcome, exactly once (possibly before prov_fanout_call()
     * returns), unless the call was cancelled. papers (may be NULL) live in
     * t->arena; err is the caller's to copy. */
    void (*done)(const prov_task_t *t, search_pstatus_t st, paper_list_t *papers, double latency_ms,
                 const char *err);
} prov_task_ops_t;

struct prov_task {
    const prov_task_ops_t *ops;
    void *owner; /* the caller's object, for its ops */
    void *data;  /* and anything more it needs (e.g. which part of a batch) */
    source_t source;
    arena_t *arena;          /* the request and the papers live here */
    uint64_t deadline_ns;    /* on clock_now_ns(): no retry past it */
    const char *traceparent; /* sent on to the provider; may be NULL */
    prov_reader_t reader;    /* how the answer is read; zero: as a search answer */
    void **slot;             /* holds the call's handle while it runs, NULL after */
};

/* Starts t's call on f (t is copied; what it points at must live until
 * done). While it runs *t->slot is its handle, for prov_fanout_cancel(). */
void prov_fanout_call(prov_fanout_t *f, const prov_task_t *t);

/* Ends a running call now; its done is not called. handle may be NULL. */
void prov_fanout_cancel(void *handle);

/* ---- lookups by id (providers/lookup.c) ----
 * The lookup backend of core/lookup.h on f's provider calls: each part of
 * a lookup is one call built by the adapter's lookup_build. */
typedef struct prov_lookup prov_lookup_t;
prov_lookup_t *prov_lookup_new(prov_fanout_t *f);
const lookup_backend_t *prov_lookup_backend(prov_lookup_t *pl);
void prov_lookup_free(prov_lookup_t *pl);

/* Bit (1u << source_t) per provider enabled in the configuration. */
unsigned prov_fanout_enabled(const prov_fanout_t *f);

/* A JSON object describing each HTTP provider for GET /v1/providers:
 * enabled, breaker, rate limit, calls, errors, latency p50/p95 over the
 * recent window (group-wide, from the shared region), and this worker's
 * calls in flight. Returns a malloc'd string, or NULL. */
char *prov_fanout_describe(const prov_fanout_t *f);

/* Calls in flight. */
size_t prov_fanout_active(const prov_fanout_t *f);

/* Ends the provider calls in flight at once (prov_client_abort): the
 * worker's drain deadline passed. */
void prov_fanout_abort(prov_fanout_t *f);

/* Cancels everything and frees; run the loop once more for handles to close. */
void prov_fanout_free(prov_fanout_t *f);

#endif
