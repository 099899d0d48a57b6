/* One citation list fetched from the providers: the edges of a paper
 * (citations or references) from Semantic Scholar and OpenAlex, both at
 * once, under a deadline, each with its status. The merge and the answer
 * are core/cites.h's; the list cache in front of it is core/cites_cache.h.
 *
 * A fetch is a state machine (citations.c: states, one setter, one step()).
 * Core knows nothing of libcurl: it reaches the providers through a
 * cites_backend_t that main.c fills in (providers/cites_backend.c), which
 * runs each cites_call_t and reports it with cites_call_done(); callbacks
 * only record what happened and call step().
 *
 * Per provider, the calls of one list:
 *   Semantic Scholar  /paper/{id}/citations|references pages of
 *                     PROV_S2_CITES_MAX, one after the other (each says
 *                     whether more follow), up to max_edges;
 *   OpenAlex          for an arXiv, S2 or CorpusId id, S2's record of the
 *                     paper first (/paper/{id}?fields=externalIds: its DOI);
 *                     the work first when the id is not a W id
 *                     (/works/doi:...: its W id and referenced_works);
 *                     citations: the first cites:W page of 200 (it gives
 *                     the count), then the others up to max_edges four at
 *                     once; references: the referenced works by OR-filters
 *                     of at most 100 ids, eight at once.
 * A provider that cannot take the paper's kind of id is not asked. */
#ifndef SF_CITATIONS_H
#define SF_CITATIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "core/arena.h"
#include "core/cites.h"
#include "core/pstatus.h"

typedef enum {
    CITES_CALL_S2_PAGE,  /* S2's list page: id, offset, limit -> page */
    CITES_CALL_OA_WORK,  /* OpenAlex's work: id -> wid, refs */
    CITES_CALL_OA_CITES, /* OpenAlex's citing works: id (W), pageno, limit -> page */
    CITES_CALL_OA_IDS,   /* OpenAlex's works by W ids: wids -> page */
    CITES_CALL_S2_IDS,   /* S2's record of the paper: id -> doi, arxiv (OpenAlex's id) */
} cites_call_kind_t;

typedef struct cites_fetch cites_fetch_t;

/* One provider request of a list, for the backend. */
typedef struct cites_call {
    /* what to ask (set by the fetch) */
    cites_call_kind_t kind;
    source_t source;
    cites_dir_t dir;
    const char *id; /* S2_PAGE: S2's path id; OA_WORK: OpenAlex's id; OA_CITES: a W id */
    size_t offset;  /* S2_PAGE */
    int limit;      /* S2_PAGE limit, OA_CITES per-page */
    int pageno;     /* OA_CITES: the page, from 1 */
    const char *const *wids;
    size_t nwids;            /* OA_IDS */
    cites_page_t *page;      /* S2_PAGE, OA_CITES, OA_IDS: the edges are appended here */
    arena_t *arena;          /* the request, the edges and refs live here */
    uint64_t deadline_ns;    /* on clock_now_ns(): no retry past it */
    const char *traceparent; /* may be NULL */
    /* OA_WORK's answer, set by the backend before it reports */
    const char *wid;
    const char **refs;
    size_t nrefs;
    /* S2_IDS's answer: the paper's DOI and arXiv id, when S2 knows them */
    const char *doi;
    const char *arxiv;
    /* private to the fetch */
    source_t part;       /* the provider's part of the list it serves (S2_IDS: OpenAlex's) */
    cites_page_t *batch; /* OpenAlex's calls at once: page is this page of its own */
    cites_fetch_t *fetch;
    void *handle; /* the backend's, while the call runs */
    bool running;
    bool started;
} cites_call_t;

typedef struct cites_backend {
    void *ctx;
    /* Starts c. The backend reports it with cites_call_done() exactly once,
     * possibly before start() returns, unless cancel(c) came first. */
    void (*start)(void *ctx, cites_call_t *c);
    void (*cancel)(void *ctx, cites_call_t *c);
} cites_backend_t;

/* The backend reports c: st (PSTAT_OK also for "no such paper": an empty
 * list), its latency and an error message (copied; may be NULL). */
void cites_call_done(cites_call_t *c, search_pstatus_t st, double latency_ms, const char *err);

/* The paper as each provider takes it in a path (ids[s] NULL: s cannot
 * look it up), and its canonical id. oa_via_s2: OpenAlex's id is read
 * from S2's record of the paper first (its DOI, else arXiv's DataCite
 * DOI), ids[SRC_OPENALEX] being the fallback: for arXiv, S2 and CorpusId
 * ids, which OpenAlex cannot look up (a preprint that has a journal
 * version is kept under the journal DOI). */
typedef struct cites_ids {
    const char *canonical;
    const char *ids[SRC_COUNT];
    bool oa_via_s2;
} cites_ids_t;

typedef struct cites_fetch_opts {
    int deadline_ms;
    size_t max_edges;        /* per provider: past it, no more pages (truncated) */
    unsigned enabled;        /* bit per source enabled in the configuration */
    const char *traceparent; /* copied */
} cites_fetch_opts_t;

/* What a fetch found, once done: valid until cites_fetch_free(). */
typedef struct cites_result {
    cites_page_t pages[SRC_COUNT]; /* each provider's edges (empty when not asked) */
    answer_provider_t providers[SRC_COUNT];
    bool truncated[SRC_COUNT];
    bool partial; /* some provider asked did not answer in full */
    double took_ms;
} cites_result_t;

typedef void (*cites_fetch_cb)(cites_fetch_t *f, void *data);

/* Starts the list of dir for ids. done runs once, on a later loop turn or
 * from inside the backend's callbacks, never before this returns. NULL
 * when out of memory (done never runs). */
cites_fetch_t *cites_fetch_start(uv_loop_t *loop, const cites_backend_t *be, cites_dir_t dir,
                                 const cites_ids_t *ids, const cites_fetch_opts_t *o,
                                 cites_fetch_cb done, void *data);

const cites_result_t *cites_fetch_result(const cites_fetch_t *f);
/* The arena every page of the result lives in. */
arena_t *cites_fetch_arena(cites_fetch_t *f);

/* Nobody waits any more (or the result was taken): cancels the calls
 * still running and frees the fetch on a later loop turn (done is not
 * called). */
void cites_fetch_free(cites_fetch_t *f);

#endif
