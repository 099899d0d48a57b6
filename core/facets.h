/* Facets: counts over a search's whole merged, deduplicated and filtered
 * result set (not only the page), asked for with facets=year,venue,...
 *
 * Each facet is its top values by count (ties: by value), "other" (what
 * the values past the top ones count) and "missing" (papers without any
 * value). For single-valued facets (year, venue, open_access, type) the values,
 * other and missing add up to the answer's total; a paper counts once per
 * value for the multi-valued ones (category, provider). A facet no paper
 * has a value for is left out of the answer, not written as zeros. */
#ifndef SF_CORE_FACETS_H
#define SF_CORE_FACETS_H

#include <stddef.h>

#include "core/arena.h"
#include "core/paper.h"

typedef enum {
    FACET_YEAR = 0,
    FACET_VENUE,
    FACET_CATEGORY,
    FACET_PROVIDER,
    FACET_OPEN_ACCESS,
    FACET_TYPE, /* paper_t.type's name; a paper no provider typed is missing */
    FACET_COUNT
} facet_t;

#define FACET_TOP 10 /* values kept per facet */

/* Its name in the query and the answer ("year", "venue", ...). */
const char *facet_name(facet_t f);
/* The facet named by name (len bytes), or -1. */
int facet_parse(const char *name, size_t len);

typedef struct facet_value {
    const char *value; /* as written: the year's digits, "true"/"false", a name */
    size_t count;
} facet_value_t;

typedef struct facet_counts {
    facet_value_t top[FACET_TOP]; /* by count, then value */
    size_t ntop;
    size_t other;   /* counted by values past the top ones */
    size_t missing; /* papers with no value */
    size_t distinct;
} facet_counts_t;

typedef struct facets {
    unsigned asked;                /* bit (1u << facet_t) per facet counted */
    facet_counts_t f[FACET_COUNT]; /* f[i] valid when asked has bit i */
} facets_t;

/* Counts the facets in asked (bit per facet_t) over papers[0..n) into out;
 * scratch and strings from a. Returns 0, or -1 when out of memory. */
int facets_count(arena_t *a, const paper_t *const *papers, size_t n, unsigned asked, facets_t *out);

#endif
