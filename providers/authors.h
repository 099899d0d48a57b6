/* The author requests of Semantic Scholar and OpenAlex and the readers of
 * their answers into core/authors.h's records. Pure functions like
 * prov_def_t's build and parse; each reader is a streaming shape
 * (providers/jstream.h) fed the whole body (providers/authors.c). */
#ifndef SF_PROV_AUTHORS_H
#define SF_PROV_AUTHORS_H

#include "core/authors.h"
#include "providers/provider.h"

/* Semantic Scholar's author fields (the brief of both requests). */
#define PROV_S2_AUTHOR_FIELDS                                                                      \
    "name,aliases,affiliations,homepage,paperCount,citationCount,hIndex,externalIds"

/* GET {base}/graph/v1/author/search?query=..&fields=..&offset=N&limit=M. */
int prov_s2_author_search_build(const char *query, size_t offset, int limit,
                                const prov_settings_t *ps, arena_t *a, prov_request_t *out,
                                char *err, size_t errlen);
/* GET {base}/graph/v1/author/{id}?fields=..: one author by S2 authorId. */
int prov_s2_author_build(const char *id, const prov_settings_t *ps, arena_t *a, prov_request_t *out,
                         char *err, size_t errlen);

/* Reads a 2xx answer of either request: {total, offset, next?, data: [author]}
 * (single false) or the author object itself (single true), appending its
 * authors to out (each with ids[SRC_SEMANTIC_SCHOLAR], externalIds.ORCID,
 * and papers[].externalIds.DOI / title as sample papers when present);
 * *total (may be NULL) is "total", -1 when absent. Returns 0, or -1 with a
 * message in err ({error} / {message} bodies included). */
int prov_s2_authors_parse(const char *body, size_t len, bool single, arena_t *a, author_list_t *out,
                          long *total, char *err, size_t errlen);

/* GET {base}/authors?search=..&per-page=N&page=P[&mailto=..][&api_key=..]. */
int prov_openalex_author_search_build(const char *query, int page, int per_page,
                                      const prov_settings_t *ps, arena_t *a, prov_request_t *out,
                                      char *err, size_t errlen);
/* GET {base}/authors/{id}: id "A123" or "orcid:0000-...". */
int prov_openalex_author_build(const char *id, const prov_settings_t *ps, arena_t *a,
                               prov_request_t *out, char *err, size_t errlen);

/* Reads a 2xx answer: {meta{count}, results: [author]} (single false) or
 * one author object (single true): id (its "A123"), orcid, display_name,
 * display_name_alternatives, works_count, cited_by_count,
 * summary_stats.h_index, last_known_institutions[] and
 * affiliations[].institution display names. *total is meta.count. */
int prov_openalex_authors_parse(const char *body, size_t len, bool single, arena_t *a,
                                author_list_t *out, long *total, char *err, size_t errlen);

/* An author's papers, read as each adapter's search answer (prov_parse):
 * GET {base}/graph/v1/author/{id}/papers?fields=<the search's>&offset=N&limit=M
 * (limit 1..PROV_S2_CITES_MAX), and GET {base}/works?filter=author.id:A123
 * (or author.orcid:0000-... for an id "orcid:0000-...")&per-page=N&select=..
 * (the first page, OpenAlex's order: most cited first). */
int prov_s2_author_papers_build(const char *author_id, size_t offset, int limit,
                                const prov_settings_t *ps, arena_t *a, prov_request_t *out,
                                char *err, size_t errlen);
int prov_openalex_author_works_build(const char *author_id, int per_page, const prov_settings_t *ps,
                                     arena_t *a, prov_request_t *out, char *err, size_t errlen);

#endif
