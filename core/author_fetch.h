/* One author search or profile fetched from the providers: Semantic
 * Scholar and OpenAlex at once, under a deadline, each with its status;
 * their records merged by core/authors.h.
 *
 * A fetch is a state machine (author_fetch.c: START -> FETCHING -> DONE ->
 * CLOSED, one setter, one step()). Core knows nothing of libcurl: it
 * reaches the providers through an author_backend_t that main.c fills in
 * (providers/authors_backend.c), which runs each author_call_t and reports
 * it with author_call_done(). */
#ifndef SF_AUTHOR_FETCH_H
#define SF_AUTHOR_FETCH_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "core/answer_json.h"
#include "core/arena.h"
#include "core/authors.h"

typedef enum {
    AUTHOR_CALL_SEARCH,  /* query, offset, limit -> list, total */
    AUTHOR_CALL_PROFILE, /* id (the provider's: S2 authorId, "A123", "orcid:...") -> list */
    AUTHOR_CALL_PAPERS,  /* id, limit -> papers (the person's first limit papers) */
} author_call_kind_t;

typedef struct author_fetch author_fetch_t;

typedef struct author_call {
    author_call_kind_t kind;
    source_t source;
    const char *query; /* SEARCH */
    size_t offset;     /* SEARCH */
    int limit;         /* SEARCH */
    const char *id;    /* PROFILE, PAPERS */
    arena_t *arena;
    uint64_t deadline_ns;
    const char *traceparent;
    /* the answer, set by the backend before it reports */
    author_list_t *list;
    paper_list_t *papers; /* PAPERS */
    long total;
    /* private to the fetch */
    author_fetch_t *fetch;
    void *handle;
    bool running;
} author_call_t;

typedef struct author_backend {
    void *ctx;
    /* Starts c; reported with author_call_done() exactly once (possibly
     * before start() returns) unless cancel(c) came first. */
    void (*start)(void *ctx, author_call_t *c);
    void (*cancel)(void *ctx, author_call_t *c);
} author_backend_t;

/* st PSTAT_OK also for "no such author" (an empty list). */
void author_call_done(author_call_t *c, search_pstatus_t st, double latency_ms, const char *err);

/* What to fetch: a search (query set), a profile or, with papers, a
 * person's papers (ids[s]: each provider's id of the person, NULL: not
 * asked). */
typedef struct author_fetch_opts {
    const char *query;
    size_t offset;
    int limit;
    const char *ids[SRC_COUNT];
    bool papers; /* the person's papers (limit of each provider), not the profile */
    int deadline_ms;
    unsigned enabled; /* bit per source enabled in the configuration */
    const char *traceparent;
} author_fetch_opts_t;

typedef struct author_result {
    author_list_t lists[SRC_COUNT]; /* each provider's records */
    author_list_t merged;
    paper_list_t papers[SRC_COUNT]; /* each provider's papers (opts.papers), unmerged */
    long totals[SRC_COUNT];         /* -1 unknown */
    answer_provider_t providers[SRC_COUNT];
    bool partial;
    double took_ms;
} author_result_t;

typedef void (*author_fetch_cb)(author_fetch_t *f, void *data);

/* Starts a fetch; done runs once on a later loop turn. NULL when out of memory. */
author_fetch_t *author_fetch_start(uv_loop_t *loop, const author_backend_t *be,
                                   const author_fetch_opts_t *o, author_fetch_cb done, void *data);
const author_result_t *author_fetch_result(const author_fetch_t *f);
/* Cancels what still runs and frees the fetch on a later loop turn. */
void author_fetch_free(author_fetch_t *f);

#endif
