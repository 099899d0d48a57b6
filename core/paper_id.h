/* A paper's id as a client gives it, in any of the forms people paste
 * (GET /v1/papers/{id}, the batch's "ids", MCP get_paper), normalised, and
 * the same id in each provider's own form. Pure functions: no I/O.
 *
 * Forms (ASCII case ignored in prefixes; percent-decoded first):
 *   internal  "12345"                    the store's own id (1..18 digits;
 *                                        a bare number is never a PMID)
 *   doi       "doi:10.1000/X", "10.1000/X", "https://doi.org/10.1000/X",
 *             "dx.doi.org/...", "info:doi/..."   -> "10.1000/x" (lower case)
 *   arxiv     "arxiv:2401.01234v2", "2401.01234", "hep-th/9901001",
 *             "https://arxiv.org/abs/...", ".../pdf/....pdf"
 *                                        -> "2401.01234" (version dropped)
 *   s2        "s2:<40 hex>", "<40 hex>", "https://www.semanticscholar.org/
 *             paper/<slug>/<40 hex>", ".../paper/<40 hex>" -> lower-case hex
 *   corpus    "corpus:123", "CorpusId:123", "corpusid:123" -> "123"
 *   openalex  "openalex:W123", "W123", "w123", "https://openalex.org/W123",
 *             "https://api.openalex.org/works/W123"  -> "W123"
 *   pmid      "pmid:123", "PMID:123", "https://pubmed.ncbi.nlm.nih.gov/123/"
 *                                        -> "123"
 * Anything else, empty, longer than PAPER_REF_MAX bytes, a bad escape or
 * a NUL is refused. */
#ifndef SF_CORE_PAPER_ID_H
#define SF_CORE_PAPER_ID_H

#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"
#include "core/paper.h"

#define PAPER_REF_MAX 300

typedef enum {
    PAPER_REF_INTERNAL = 0,
    PAPER_REF_DOI,
    PAPER_REF_ARXIV,
    PAPER_REF_S2,
    PAPER_REF_CORPUS,
    PAPER_REF_OPENALEX,
    PAPER_REF_PMID,
    PAPER_REF_KIND_COUNT
} paper_ref_kind_t;

typedef struct paper_ref {
    paper_ref_kind_t kind;
    const char *value; /* normalised, an arena string */
} paper_ref_t;

/* Parses text (len bytes). Returns 0 with *out filled (strings in a), or
 * -1 when it is no paper id of the forms above. */
int paper_ref_parse(arena_t *a, const char *text, size_t len, paper_ref_t *out);

/* "internal", "doi", "arxiv", "s2", "corpus", "openalex", "pmid". */
const char *paper_ref_kind_name(paper_ref_kind_t k);

/* The canonical form, "doi:10.1000/x", "arxiv:2401.01234", "s2:<hex>",
 * "corpus:123", "openalex:W123", "pmid:123", or the bare internal number:
 * the key of the per-id cache and single-flight. NULL when out of memory. */
char *paper_ref_string(arena_t *a, const paper_ref_t *r);

/* True when provider src can look this kind of id up:
 *   semantic_scholar  doi, arxiv, s2, corpus, pmid
 *   openalex          doi, openalex, pmid
 *   crossref          doi
 *   arxiv             arxiv
 * and no other (Exa has no lookup; the internal id is the store's). */
bool paper_ref_answerable(paper_ref_kind_t k, source_t src);

/* The id as src takes it in a single lookup, or NULL when src cannot
 * answer this kind (or out of memory):
 *   semantic_scholar  "DOI:10.1000/x", "ARXIV:2401.01234", "<hex>",
 *                     "CorpusId:123", "PMID:123"
 *   openalex          "doi:10.1000/x", "W123", "pmid:123"
 *   crossref          "10.1000/x"
 *   arxiv             "2401.01234" */
const char *paper_ref_for(arena_t *a, const paper_ref_t *r, source_t src);

/* True when p (a provider's or a merged paper) is the paper r names, by
 * what p carries: its DOI, arXiv id (or arXiv DataCite DOI), or the
 * provider id of its Semantic Scholar (s2) or OpenAlex source. corpus and
 * pmid are not carried by a paper_t: never true for them. */
bool paper_ref_matches(const paper_ref_t *r, const paper_t *p);

#endif
