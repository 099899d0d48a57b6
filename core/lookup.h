/* Looking papers up by id, live: GET /v1/papers/{id}, POST /v1/papers/batch,
 * GET /v1/search/papers/{provider}/{id}, MCP get_paper.
 *
 * A lookup takes 1..LOOKUP_MAX_IDS parsed ids (core/paper_id.h) and falls
 * through, per id: the per-id memory cache (papers.cache_ttl), its shared
 * tier when there is one (core/lookup_cache.h: Redis; every id of a batch
 * in one round trip, under redis.command_timeout; a failure or a late
 * answer is a miss, a hit fills the memory cache), the store
 * (core/papers_repo.h: internal, DOI, arXiv, S2 and OpenAlex ids; the
 * store keeps no corpus id or PMID), then every enabled
 * provider that can answer that kind of id, in parallel under one deadline
 * (papers.lookup_deadline). The ids left for a provider are grouped into
 * its own calls: one single-paper call for a lookup of one id, batch calls
 * of at most max_ids() ids (of one kind unless the provider mixes them)
 * for more. The papers the providers gave for one id are merged with the
 * search's dedupe and field rules (core/merge.h) into one paper with every
 * source id. Two lookups of the same single id at once make one set of
 * calls (single-flight), and an id given twice in one lookup is asked once
 * (its twins copy its answer); a batch does not yet join another lookup's
 * flight. Every provider asked has a status, as in a
 * search answer; the answer is partial when one of them failed.
 *
 * A lookup is a state machine (lookup.c: states, one setter, one step);
 * the store's and the backend's callbacks and the deadline only record
 * what happened and call step. The callback runs once, on a later loop
 * turn than lookup_start(), unless lookup_free() comes first.
 *
 * The backend (providers/lookup.c, filled in by main.c) is asked for
 * parts: one part is one provider call for some ids. */
#ifndef SF_CORE_LOOKUP_H
#define SF_CORE_LOOKUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "core/answer_json.h"
#include "core/arena.h"
#include "core/lookup_cache.h"
#include "core/paper.h"
#include "core/paper_id.h"
#include "core/papers_repo.h"
#include "core/pstatus.h"

#define LOOKUP_MAX_IDS 500

typedef struct lookup lookup_t;
typedef struct lookup_part lookup_part_t;
typedef struct lookup_service lookup_service_t;

typedef struct lookup_backend {
    void *ctx;
    /* How many ids one call of src takes (0: src looks nothing up, or is
     * off) and whether ids of different kinds may share it. */
    size_t (*max_ids)(void *ctx, source_t src, bool *mixed);
    /* Optional: true when id cannot share a call of src with others (it
     * gets a call of its own). */
    bool (*alone)(void *ctx, source_t src, const paper_ref_t *id);
    /* Asks the part's provider for its ids; the backend then calls
     * lookup_part_done() exactly once, possibly before start() returns,
     * unless cancel() came first. */
    void (*start)(void *ctx, lookup_t *l, lookup_part_t *part);
    void (*cancel)(void *ctx, lookup_t *l, lookup_part_t *part);
} lookup_backend_t;

/* The part's ids (all answerable by its provider) and its provider. */
const paper_ref_t *lookup_part_ids(const lookup_part_t *part, size_t *n);
source_t lookup_part_source(const lookup_part_t *part);
/* A place for the backend's handle of the part's call. */
void **lookup_part_slot(lookup_part_t *part);
/* The lookup's arena (papers reported must live in it), its deadline on
 * clock_now_ns(), the request's traceparent (or NULL). */
arena_t *lookup_arena(lookup_t *l);
uint64_t lookup_deadline_ns(const lookup_t *l);
const char *lookup_traceparent(const lookup_t *l);

/* The backend reports a part: papers (may be NULL when status is not ok)
 * holds exactly one paper per id of the part in its order, one with no
 * source (nsources 0) for an id the provider does not know. */
void lookup_part_done(lookup_t *l, lookup_part_t *part, search_pstatus_t status,
                      paper_list_t *papers, double latency_ms, const char *error);

typedef struct lookup_config {
    int deadline_ms;      /* papers.lookup_deadline */
    int64_t cache_ttl_ms; /* papers.cache_ttl; 0: no cache */
    size_t cache_entries; /* papers.cache_entries per worker */
    /* The per-id cache's shared tier (filled with cache_ttl_ms too), or
     * NULL: memory only. Must outlive the service. */
    const lookup_cache_t *shared;
} lookup_config_t;

/* A lookup service per worker: the per-id cache and the flights in the
 * air. backend must outlive it; repo may be NULL (no store). enabled: bit
 * per provider that may be asked. */
lookup_service_t *lookup_service_new(uv_loop_t *loop, const lookup_backend_t *backend,
                                     unsigned enabled, const papers_repo_t *repo,
                                     const lookup_config_t *cfg);
/* Frees the service; every lookup must have been freed first. */
void lookup_service_free(lookup_service_t *svc);

typedef void (*lookup_done_cb)(lookup_t *l, void *data);

/* A bit of lookup_start()'s providers: the whole fall-through but the
 * per-id cache (which keeps JSON, not the paper: an export needs the paper). */
#define LOOKUP_SKIP_CACHE (1u << 31)

/* Starts a lookup of ids[0..n) (1 <= n <= LOOKUP_MAX_IDS; copied).
 * providers: 0 for the whole fall-through, or bits of the only providers
 * to ask (then neither the cache nor the store, and no single-flight: "what
 * does this provider say"). Returns NULL when out of memory (cb never runs). */
lookup_t *lookup_start(lookup_service_t *svc, const paper_ref_t *ids, size_t n, unsigned providers,
                       const char *traceparent, lookup_done_cb cb, void *data);

typedef enum {
    LOOKUP_FOUND = 0,
    LOOKUP_NOT_FOUND,    /* every source asked answered without it, or none can answer it */
    LOOKUP_TIMEOUT,      /* a source that might know it did not answer in time */
    LOOKUP_RATE_LIMITED, /* ... was held back: rate limit, suspension or breaker */
    LOOKUP_FAILED,       /* ... failed otherwise */
} lookup_outcome_t;

/* "found", "not_found", "timeout", "rate_limited", "error". */
const char *lookup_outcome_name(lookup_outcome_t o);

typedef enum {
    LOOKUP_FROM_NONE = 0,
    LOOKUP_FROM_CACHE,     /* the per-id cache (memory or its shared tier) */
    LOOKUP_FROM_STORE,     /* the store's record (its own shape: core/papers_repo.h) */
    LOOKUP_FROM_PROVIDERS, /* merged from the providers' answers now */
} lookup_from_t;

/* "none", "cache", "store", "providers". */
const char *lookup_from_name(lookup_from_t f);

typedef struct lookup_item {
    lookup_outcome_t outcome;
    lookup_from_t from;
    const char *json; /* LOOKUP_FOUND: the paper object, NUL-terminated */
    size_t len;
    const paper_t *paper; /* the paper (from the providers or the store), NULL from the cache */
} lookup_item_t;

/* Once done: id i's answer (valid until lookup_free()). */
void lookup_item(const lookup_t *l, size_t i, lookup_item_t *out);
/* The providers asked (per provider: the worst status of its calls, the
 * papers it gave, its longest call, its first error), as answer_json. */
void lookup_providers(const lookup_t *l, answer_provider_t out[SRC_COUNT]);
/* Calls made to src (a batch groups many ids into one). */
size_t lookup_calls(const lookup_t *l, source_t src);
bool lookup_partial(const lookup_t *l);
double lookup_took_ms(const lookup_t *l);

/* Nobody waits for l any more: cancels what it still waits for (unless
 * another lookup shares its flight) and frees it; its callback will not
 * run. Also the way to free a finished one. */
void lookup_free(lookup_t *l);

#endif
