/* The citation-list requests of the adapters that have a citation graph
 * (Semantic Scholar, OpenAlex) and the readers of their answers, into the
 * edges of core/cites.h. Pure functions like prov_def_t's build and parse;
 * each reader is a streaming shape (providers/jstream.h) fed the whole body,
 * the paper at the edge's other end read by the adapter's item mapping
 * (prov__s2_item, prov__openalex_item), so a paper reads the same in a
 * search and in a citation list. Defined in each adapter's "citation
 * lists" region. */
#ifndef SF_PROV_CITES_H
#define SF_PROV_CITES_H

#include "core/citations.h"
#include "core/cites.h"
#include "providers/provider.h"

/* Semantic Scholar takes at most this many edges per page. */
#define PROV_S2_CITES_MAX 1000
/* OpenAlex: per-page of a list, and values OR-ed in one filter. */
#define PROV_OPENALEX_PAGE_MAX 200
#define PROV_OPENALEX_OR_MAX 100

/* GET {base}/graph/v1/paper/{s2_id}/citations|references?fields=<edge
 * fields and the search's paper fields>&offset=N&limit=M; s2_id is any id
 * S2 takes in a path (paperId, DOI:..., ARXIV:..., CorpusId:..., PMID:...).
 * Returns 0, or -1 with a message in err. */
int prov_s2_cites_build(cites_dir_t d, const char *s2_id, size_t offset, int limit,
                        const prov_settings_t *ps, arena_t *a, prov_request_t *out, char *err,
                        size_t errlen);

/* Reads a 2xx answer {offset, next?, data: [{isInfluential, contexts,
 * intents, citingPaper | citedPaper}]}, appending its edges to pg (ranks
 * continue from pg's papers) with their info; pg->more and pg->next ("N",
 * the next offset) follow "next". An edge whose paper has neither id nor
 * title is left out. Returns 0, or -1 with a message in err. */
int prov_s2_cites_parse(cites_dir_t d, const char *body, size_t len, arena_t *a, cites_page_t *pg,
                        char *err, size_t errlen);

/* GET {base}/graph/v1/paper/{s2_id}?fields=externalIds: S2's record of the
 * paper, for its DOI (OpenAlex's id of it). */
int prov_s2_ids_build(const char *s2_id, const prov_settings_t *ps, arena_t *a, prov_request_t *out,
                      char *err, size_t errlen);

/* Reads that answer with the adapter's item reader: *doi (not arXiv's
 * DataCite DOI) and *arxiv, each NULL when S2 has none. Returns 0, or -1
 * with a message in err. */
int prov_s2_ids_parse(const char *body, size_t len, arena_t *a, const char **doi,
                      const char **arxiv, char *err, size_t errlen);

/* GET {base}/works/{oa_id}?select=id,doi,referenced_works: the work by
 * "W123", "doi:10.1/x" or "pmid:123" (a free singleton), for its W id and
 * its references. */
int prov_openalex_work_build(const char *oa_id, const prov_settings_t *ps, arena_t *a,
                             prov_request_t *out, char *err, size_t errlen);

/* Reads that answer: *wid ("W123") and the W ids of its referenced_works
 * (*refs, *nrefs; arena strings). Returns 0, or -1 with a message in err
 * when it is no work. */
int prov_openalex_work_parse(const char *body, size_t len, arena_t *a, const char **wid,
                             const char ***refs, size_t *nrefs, char *err, size_t errlen);

/* GET {base}/works?filter=cites:{wid}&per-page=N&page=P&select=<the
 * search's fields>: the works citing wid, page P (from 1; OpenAlex pages
 * by number up to 10,000 results, so pages can be asked at once). */
int prov_openalex_cites_build(const char *wid, int page, int per_page, const prov_settings_t *ps,
                              arena_t *a, prov_request_t *out, char *err, size_t errlen);

/* GET {base}/works?filter=openalex:W1|W2|...&per-page=n&select=...: the
 * works of n (1..PROV_OPENALEX_OR_MAX) W ids, for a work's references. */
int prov_openalex_ids_build(const char *const *wids, size_t n, const prov_settings_t *ps,
                            arena_t *a, prov_request_t *out, char *err, size_t errlen);

/* Reads a 2xx /works list answer of either request, appending its works to
 * pg (ranks continue; no edge info: OpenAlex has none); pg->total is
 * meta.count; pg->more and pg->next follow meta.next_cursor (cursor
 * paging). Returns 0, or -1 with a message. */
int prov_openalex_list_parse(const char *body, size_t len, arena_t *a, cites_page_t *pg, char *err,
                             size_t errlen);

/* The citation lists' backend (core/citations.h) over the provider calls
 * of fanout (providers/fanout.h: the same suspension, breaker, rate limit,
 * retries and verdict as a search; a 404 is "no such paper", an empty
 * list): fills be, whose ctx is fanout (providers/cites_backend.c). */
struct prov_fanout;
void prov_cites_backend_init(cites_backend_t *be, struct prov_fanout *fanout);

#endif
