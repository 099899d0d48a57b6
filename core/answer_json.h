/* The JSON answer of a search, written once into one buffer:
 *
 *   {"query": {"text", "year_from", "year_to", "date_from", "date_to",
 *              "author", "category", "open_access", "providers": [...],
 *              "sort", "strategy", "limit", "offset"},
 *    "total": N, "offset": k, "limit": n,
 *    "papers": [{"id", "title", "abstract", "authors": [...], "year",
 *                 "published_at", "venue", "doi", "arxiv_id",
 *                 "categories": [...], "citation_count", "url", "pdf_url",
 *                 "is_open_access", "score",
 *                 "sources": [{"provider", "id", "rank"}, ...]}, ...],
 *    "providers": {"arxiv": {"status", "results", "latency_ms", "error"}, ...},
 *    "took_ms": ms, "partial": bool}
 *
 * Every key is always present: an unknown value is null (abstract, year,
 * published, venue, doi, arxiv_id, citations, url, pdf_url, query bounds,
 * a source's id, latency_ms, error), never omitted, so clients read one
 * shape; lists are [] when empty. "id" is merge_paper_id() ("doi:...",
 * "arxiv:...", "<provider>:..."). "score" has 6 decimals at most; times are
 * milliseconds with 3 decimals at most (microseconds). "providers" lists
 * the providers asked, in source_t order. The query's "providers" is its
 * provider list, or those asked when the query left it open.
 *
 * Strings are escaped by hand: quote, backslash and control characters,
 * U+2028/U+2029 (so the answer can be embedded in JavaScript), and every
 * byte that is not part of valid UTF-8 becomes U+FFFD: whatever providers
 * send, the answer is valid JSON. A hand-written writer rather than
 * jansson: jansson builds a tree (an allocation per value, a hash table per
 * object) and refuses invalid UTF-8 outright; bench/merge measures both. */
#ifndef SF_ANSWER_JSON_H
#define SF_ANSWER_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include "core/blob.h"
#include "core/facets.h"
#include "core/paper.h"
#include "core/pstatus.h"
#include "core/query.h"

typedef struct answer_provider {
    bool asked;              /* false: left out of "providers" */
    search_pstatus_t status; /* written by name; pending and not_asked as "error" */
    long results;            /* papers it returned (before the merge) */
    double latency_ms;       /* < 0 when unknown (null) */
    const char *error;       /* NULL when none (null) */
    /* query_filter_t bits: the filters the query asks (0: no
     * "ignored_filters" member) and those the provider's request applied;
     * the others are listed in "ignored_filters". */
    unsigned filters_asked, filters_pushed;
} answer_provider_t;

typedef struct answer {
    const query_t *query;
    const paper_t *const *papers; /* the page, in order */
    size_t npapers;
    size_t total; /* papers passing the filters, before offset/limit */
    answer_provider_t providers[SRC_COUNT];
    double took_ms;
    bool partial;           /* some provider asked did not answer in full */
    const facets_t *facets; /* NULL: no "facets" member */
    /* A list that is not a search pages its own way: its next_cursor (NULL:
     * null) instead of the search's, when own_cursor. */
    bool own_cursor;
    const char *next_cursor;
} answer_t;

/* Hard limit on an answer's size: past it, writing fails. */
#define ANSWER_JSON_MAX (64u * 1024 * 1024)

/* Writes the answer as compact JSON. Returns a malloc'd NUL-terminated
 * buffer (its length in *len when len is not NULL) for the caller to
 * free(), or NULL when out of memory or larger than ANSWER_JSON_MAX. */
char *answer_json_write(const answer_t *ans, size_t *len);

/* The same into a new blob (refcount 1), the form the caches keep.
 * Returns NULL when out of memory or too large. */
blob_t *answer_json_blob(const answer_t *ans);

/* One paper object as in "papers" above (its "score" is the merge's), and
 * the "providers" object alone: for answers that are not a search (a
 * lookup by id, a batch). Malloc'd, NUL-terminated (length in *len when
 * len is not NULL), or NULL when out of memory. */
char *answer_json_paper(const paper_t *p, size_t *len);
char *answer_json_providers(const answer_provider_t providers[SRC_COUNT], size_t *len);

/* For other answers made of papers (the citation lists): one paper as the
 * search writes it ({"id", "title", ..., "sources"}), or one string as a
 * JSON string (escaped the same way; NULL as null), appended to *buf (a
 * malloc'd buffer of *cap bytes, *len used, grown with realloc; NULL and 0
 * to start). Returns 0, or -1 when out of memory or past ANSWER_JSON_MAX
 * (the buffer is then still the caller's to free). */
int answer_json_append_paper(char **buf, size_t *len, size_t *cap, const paper_t *p);
int answer_json_append_str(char **buf, size_t *len, size_t *cap, const char *s);

#endif
