/* The answer of a search: the providers' lists merged (core/merge.h) and
 * written once as JSON (core/answer_json.h) into an immutable blob that is
 * sent as is to every client waiting for it and kept by the caches. */
#ifndef SF_SEARCH_ANSWER_H
#define SF_SEARCH_ANSWER_H

#include <stdbool.h>

#include "core/arena.h"
#include "core/blob.h"
#include "core/paper.h"
#include "core/query.h"
#include "core/search.h"

typedef struct search_answer_provider {
    search_pstatus_t status;
    const paper_list_t *papers; /* may be empty */
    double latency_ms;
    const char *error;       /* NULL when none */
    unsigned filters_pushed; /* query_filter_t bits its request applied */
} search_answer_provider_t;

typedef struct search_answer_input {
    const query_t *query;
    search_answer_provider_t providers[SRC_COUNT];
    double took_ms;
    bool partial;    /* some provider asked did not answer in full */
    bool all_failed; /* every provider asked failed: the answer is an error (502) */
} search_answer_input_t;

/* Merges and serialises. Scratch memory comes from a, and so do the merged
 * papers (every distinct one, unfiltered) given in *all / *nall when those
 * are not NULL; *total (when not NULL) is the answer's "total". Returns a
 * new blob (refcount 1), or NULL when out of memory. */
blob_t *search_answer_build(const search_answer_input_t *in, arena_t *a, const paper_t **all,
                            size_t *nall, size_t *total);

#endif
