/* A normalised search query: what the client asked for, in one canonical
 * form whose hash is the cache key. */
#ifndef SF_QUERY_H
#define SF_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/paper.h"

typedef enum { SORT_RELEVANCE = 0, SORT_DATE, SORT_CITATIONS } query_sort_t;
typedef enum { STRATEGY_MERGE = 0, STRATEGY_FASTEST } query_strategy_t;

#define QUERY_MAX_LIMIT 100
#define QUERY_DEFAULT_LIMIT 10

typedef struct query {
    const char *text;      /* trimmed, case-folded, whitespace collapsed; never empty */
    int year_from, year_to; /* inclusive; 0 = open */
    const char *date_from;  /* "YYYY-MM-DD" or NULL; implies year_from */
    const char *date_to;
    const char *author;     /* case-folded substring of an author name, or NULL */
    const char *category;   /* e.g. "cs.LG", or NULL */
    bool open_access;       /* only papers with open access */
    unsigned providers;     /* bit (1u << source_t) per provider asked; 0 = all enabled */
    int limit;              /* 1..QUERY_MAX_LIMIT */
    int offset;             /* >= 0 */
    query_sort_t sort;
    query_strategy_t strategy;
    int deadline_ms;        /* 0 = the configured default; the client may ask for less */
} query_t;

#endif
