/* A normalised search query: what the client asked for, in one canonical
 * form whose hash is the cache key. */
#ifndef SF_QUERY_H
#define SF_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/export.h"
#include "core/paper.h"

typedef enum { SORT_RELEVANCE = 0, SORT_DATE, SORT_CITATIONS } query_sort_t;
/* How the providers' answers become one (docs/api.md "strategy"):
 * merge     every provider up to the deadline, merged and ranked;
 * fastest   the first provider answering with a paper; the others cancelled;
 * first     the first provider in search.first_order that answers with a
 *           paper (those before it answered empty or failed);
 * best_quality  merge, then order by the quality of the merged records. */
typedef enum {
    STRATEGY_MERGE = 0,
    STRATEGY_FASTEST,
    STRATEGY_FIRST,
    STRATEGY_BEST_QUALITY,
    STRATEGY_COUNT
} query_strategy_t;

#define QUERY_MAX_LIMIT 100
#define QUERY_DEFAULT_LIMIT 20
#define QUERY_MAX_OFFSET 10000

typedef struct query {
    const char *text;       /* trimmed, case-folded, whitespace collapsed; never empty */
    int year_from, year_to; /* inclusive; 0 = open */
    const char *date_from;  /* "YYYY-MM-DD" or NULL; implies year_from */
    const char *date_to;
    const char *author;   /* case-folded substring of an author name, or NULL */
    const char *category; /* e.g. "cs.LG", or NULL */
    bool open_access;     /* only papers with open access */
    /* The filters of issue 14 (core/merge.c applies them after the merge;
     * the providers that can, before). Each is in the key only when given. */
    long min_citations; /* papers with at least this many known citations; 0 = none */
    unsigned types;     /* bit (1u << paper_type_t) per work type asked; 0 = any */
    int has_pdf;        /* 1: with a PDF link, -1: without, 0: either */
    const char *venue;  /* case-folded substring of the venue (alias journal), or NULL */
    unsigned providers; /* bit (1u << source_t) per provider asked; 0 = all enabled */
    int limit;          /* 1..QUERY_MAX_LIMIT */
    int offset;         /* >= 0 */
    /* cursor=: a next_cursor (core/page_cursor.h) as given, or NULL; the
     * search handler checks it and turns it into offset; not in the key */
    const char *cursor;
    query_sort_t sort;
    query_strategy_t strategy;
    unsigned facets; /* bit (1u << facet_t, core/facets.h) per facet asked; 0 = none */
    int deadline_ms; /* timeout_ms; 0 = the configured default; the client may ask for less */
    /* The request's W3C traceparent (this hop's), passed on to the
     * providers; NULL when none. Context of the request, not of the
     * question: not part of query_key(). */
    const char *traceparent;
    /* format=: how the answer is rendered (core/export.h). Part of the key
     * (each format is its own cached answer), except JSON, whose key is
     * as it always was. format_given: the request named it, so Accept
     * does not choose (not part of the key). */
    export_format_t format;
    bool format_given;
} query_t;

/* The filters above as bits, for the providers' pushdown (prov_request_t's
 * pushed) and the answer's ignored_filters; query_filters_asked() gives the
 * ones q asks, query_filter_name() the parameter's name. */
typedef enum {
    QFILTER_MIN_CITATIONS = 1u << 0,
    QFILTER_TYPE = 1u << 1,
    QFILTER_HAS_PDF = 1u << 2,
    QFILTER_VENUE = 1u << 3,
} query_filter_t;
#define QFILTER_COUNT 4
unsigned query_filters_asked(const query_t *q);
/* "min_citations", "type", "has_pdf", "venue" for bit i (0..QFILTER_COUNT). */
const char *query_filter_name(int i);

/* The names clients use: "relevance", "date", "citations"; "merge",
 * "fastest", "first", "best_quality". */
const char *query_sort_name(query_sort_t s);
const char *query_strategy_name(query_strategy_t s);

/* Fills q with the defaults (limit 20, relevance, merge, all providers). */
void query_init(query_t *q);

/* Parses a URL query string ("query=graph+neural&limit=5&providers=arxiv,crossref").
 * Keys: query (required, 1..1000 characters), limit (1..100, default 20),
 * offset, sort (relevance|date|citations), strategy (merge|fastest|first|best_quality),
 * providers (comma list), date_from, date_to (YYYY-MM-DD), year ("2020" or
 * "2018-2021"), year_from, year_to, author, category, open_access
 * (true|false|1|0), facets (comma list of core/facets.h names), timeout_ms,
 * format (json|bibtex|ris|csl-json), min_citations (>= 0), type (comma
 * list of paper_type_name()'s names), has_pdf (true|false), venue or its
 * alias journal (a substring), cursor (a next_cursor, kept as text:
 * core/page_cursor.h checks it). Unknown keys, repeated keys and bad
 * values are refused. Strings are copied into a. Returns 0, or -1 with a
 * message for the client (naming the field) in err. */
int query_parse_params(query_t *q, const char *qs, size_t len, arena_t *a, char *err,
                       size_t errlen);

/* The same from a JSON object body with the same keys ("providers" may be
 * an array of names, numbers may be JSON numbers). */
int query_parse_json(query_t *q, const char *body, size_t len, arena_t *a, char *err,
                     size_t errlen);

/* The same from a JSON object already parsed (jansson's json_t): the MCP
 * tool arguments. */
struct json_t;
int query_parse_object(query_t *q, const struct json_t *obj, arena_t *a, char *err, size_t errlen);

/* Trims, case-folds ASCII letters and collapses whitespace runs into one
 * space. Returns an arena copy, or NULL when nothing is left. */
char *query_normalize_text(arena_t *a, const char *s, size_t len);

/* Copies src into dst with its strings in a, so that dst outlives the
 * request src came from. Returns 0, or -1 when out of memory. */
int query_copy(query_t *dst, const query_t *src, arena_t *a);

/* The canonical form of q, identical for equivalent queries whatever the
 * order or spelling of their parameters: the cache key. The deadline is not
 * part of it. Returns an arena string, or NULL when out of memory. */
char *query_key(const query_t *q, arena_t *a);

#endif
