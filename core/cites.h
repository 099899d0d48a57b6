/* Citation lists: who cites a paper (citations) and what it cites
 * (references), as the providers give them and as scifind answers them.
 * Pure functions of their inputs (no I/O): the lists' request parameters
 * and cursor, the edge merge, and the answer's JSON. The state machine that
 * asks the providers is core/citations.h.
 *
 * An edge joins the asked paper to the paper at its other end (the citing
 * paper of a citation, the cited paper of a reference). Each provider gives
 * its edges as a list of those other-end papers, read by the adapter's own
 * item reader, plus what it says of the edge itself: Semantic Scholar's
 * isInfluential, intents and contexts. The merge dedupes the other-end
 * papers with the search's identity rules (core/merge.h: DOI, arXiv id,
 * title with first author and year), so one edge known to two providers is
 * one edge, and says which sources know it. */
#ifndef SF_CITES_H
#define SF_CITES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/answer_json.h"
#include "core/arena.h"
#include "core/paper.h"

typedef enum { CITES_CITATIONS = 0, CITES_REFERENCES } cites_dir_t;

/* "citations" / "references". */
const char *cites_dir_name(cites_dir_t d);

/* What a source says of one edge beyond its other end (S2's fields). */
typedef struct cite_edge_info {
    int influential; /* 1, 0, or -1 when the source did not say */
    const char **intents;
    size_t nintents;
    const char **contexts;
    size_t ncontexts;
} cite_edge_info_t;

/* One provider's edges of one list, grown page by page: the other-end
 * papers in the provider's order (sources[0] set, ranks 1..n across
 * pages) and info[i] for papers.items[i] (NULL when the provider says
 * nothing of its edges). Everything in one arena. */
typedef struct cites_page {
    paper_list_t papers;
    cite_edge_info_t *info;
    size_t info_cap;
    long total;       /* the edges the provider says it has (OpenAlex's meta.count); 0 unknown */
    bool more;        /* the provider has more edges after these */
    const char *next; /* how to ask for them: S2's next offset, OpenAlex's
                         next_cursor (NULL at the end) */
} cites_page_t;

/* Appends a zeroed info slot for papers.items[papers.n - 1] (influential
 * -1). Returns it, or NULL when out of memory. */
cite_edge_info_t *cites_page_info_add(cites_page_t *pg, arena_t *a);

typedef enum { CITES_SORT_CITATIONS = 0, CITES_SORT_DATE } cites_sort_t;

#define CITES_DEFAULT_LIMIT 100
#define CITES_MAX_LIMIT 1000

/* A client's request for one page of a list (the query string of GET
 * /v1/papers/{id}/citations|references). */
typedef struct cites_params {
    int limit;               /* 1..CITES_MAX_LIMIT, default CITES_DEFAULT_LIMIT */
    size_t offset;           /* from the cursor; 0 without one */
    bool has_cursor;         /* a cursor was given */
    uint32_t cursor_key;     /* the list key the cursor was made for */
    int year_from, year_to;  /* inclusive; 0 = open */
    long long min_citations; /* -1 = none */
    cites_sort_t sort;       /* citations (most first, the default) or date (newest first) */
    int format;              /* format= (an export_format_t), -1 when absent: Accept decides */
} cites_params_t;

/* Parses a URL query string (len bytes, percent-encoded) into p: limit,
 * cursor, year_from, year_to, min_citations, sort, format (json, bibtex,
 * ris, csl-json; not part of the list key: a cursor serves every format). Returns 0, or -1 with
 * a message naming the parameter in err (an unknown parameter, a bad
 * value, a malformed cursor). */
int cites_params_parse(cites_params_t *p, const char *qs, size_t len, char *err, size_t errlen);

/* The key of a list page's filters and order for a paper and direction:
 * the cursor is refused on another list (e.g. the same cursor with another
 * sort). canonical_id is the paper id's canonical form. */
uint32_t cites_list_key(cites_dir_t d, const char *canonical_id, const cites_params_t *p);

/* The opaque cursor of the page at offset of the list with key:
 * "v1.<offset hex>.<key hex>". Writes at most outlen bytes. */
void cites_cursor_make(char *out, size_t outlen, size_t offset, uint32_t key);

/* Reads a cursor made by cites_cursor_make(). Returns 0, or -1 when it is
 * malformed. */
int cites_cursor_read(const char *s, size_t len, size_t *offset, uint32_t *key);

/* One edge of a merged list. */
typedef struct cite_edge {
    const paper_t *paper;         /* the merged paper at the other end */
    unsigned sources;             /* bit (1u << source_t) per source knowing the edge */
    const cite_edge_info_t *info; /* S2's word on it, or NULL */
} cite_edge_t;

/* A merged list: every distinct edge passing p's filters, in p's order. */
typedef struct cite_list {
    cite_edge_t *edges;
    size_t n;
    size_t nall; /* distinct edges before the filters */
} cite_list_t;

/* Merges pages[s] (provider s's edges, or NULL) into out, with p's year
 * and citation filters and order; everything in a. An edge known to
 * several sources takes S2's info. A paper with no title is left out (as
 * in the search). Returns 0, or -1 when out of memory. */
int cites_merge(arena_t *a, const cites_page_t *const pages[SRC_COUNT], const cites_params_t *p,
                cite_list_t *out);

/* The page of l that p asks for: edges [*off, *end). */
void cites_page_bounds(const cite_list_t *l, const cites_params_t *p, size_t *off, size_t *end);

/* The answer to one page of a list:
 *
 *   {"id": "<canonical id>", "direction": "citations" | "references",
 *    "total": N, "offset": k, "limit": n, "next_cursor": "v1..." | null,
 *    "edges": [{"paper": {the paper as the search writes it},
 *               "sources": ["semantic_scholar", "openalex"],
 *               "is_influential": bool | null, "intents": [...],
 *               "contexts": [...]}, ...],
 *    "providers": {"semantic_scholar": {"status", "results", "latency_ms",
 *                  "error", "truncated"}, ...},
 *    "took_ms": ms, "partial": bool}
 *
 * "total" counts the merged edges passing the filters; "truncated" says the
 * provider has more edges than scifind fetched (citations.max_edges). */
typedef struct cites_answer {
    cites_dir_t dir;
    const char *id;
    const cite_list_t *list;
    const cites_params_t *params;
    uint32_t key; /* cites_list_key(), for the next cursor */
    answer_provider_t providers[SRC_COUNT];
    bool truncated[SRC_COUNT];
    double took_ms;
    bool partial;
} cites_answer_t;

/* Writes the answer as compact JSON: a malloc'd NUL-terminated buffer (its
 * length in *len) for the caller to free(), or NULL when out of memory. */
char *cites_answer_write(const cites_answer_t *ans, size_t *len);

#endif
