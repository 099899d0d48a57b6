/* Merge: the providers' answers become one deduplicated, filtered, ranked
 * and paged list of papers (step 6 of a search, see DESIGN.md).
 *
 * Dedupe. Two papers are one when they share, in this order of strength:
 *   1. a DOI (normalised: case, "https://doi.org/" and "doi:" prefixes);
 *   2. an arXiv id without its version ("2401.01234v1" = "2401.01234v3");
 *      an arXiv DataCite DOI "10.48550/arxiv.<id>" counts as that arXiv id;
 *   3. the title key (paper_title_key, its spaces and Unicode spaces,
 *      dashes and quotes left out: "KwaZulu Natal" = "KwaZulu-Natal")
 *      and the first author's family name
 *      (last name word, or the part before a comma; case, punctuation and
 *      Latin-1 accents folded; "Jr", "II"... skipped), with years at most
 *      one apart (preprint in December, journal in January) or unknown.
 *      Each side is everything already matched to it, so a paper without
 *      a year cannot bridge a 2017 and a 2021 paper of the same title. A
 *      title match is refused when both sides already carry
 *      different DOIs (arXiv DOIs aside) or different arXiv ids: same title
 *      and author but two registered works (a conference and a journal
 *      version, an erratum) stay apart. Papers without any author are never
 *      matched by title.
 * Matches are transitive (union-find): A = B by DOI and B = C by arXiv id
 * make A, B and C one paper.
 *
 * A merged paper with no title at all is left out of the page and the
 * total (it still counts in nall: its ids helped the merge).
 *
 * Field merging (authority order, most trusted first: crossref, openalex,
 * semantic_scholar, arxiv, local, exa; "first" below means earliest in that
 * order, then in the providers' rank order):
 *   title      first non-empty in authority order;
 *   abstract   the longest (ties: authority order);
 *   authors    the list with the most names (ties: authority order);
 *   doi        first non-arXiv DOI in authority order, else the arXiv DOI;
 *   arxiv_id   the arXiv provider's, else any (arxiv_version goes with it);
 *   published  the most precise date (day > month > year), earliest of
 *              those; year follows it, else the smallest known year;
 *   venue, url first known in authority order;
 *   citations  the highest known;
 *   pdf_url    the arXiv provider's, else "https://arxiv.org/pdf/<arxiv_id>"
 *              when an arXiv id is known, else first known in authority
 *              order;
 *   open_access  any source says so, or a pdf_url is known;
 *   categories the union in authority order, deduplicated ignoring case;
 *   sources    one entry per provider (its best rank), in source_t order.
 *
 * Filters (every provider's answer is filtered again here):
 *   year_from/year_to  on the merged year; unknown year fails any bound;
 *   date_from/date_to  a partial date ("2020", "2020-05") passes when the
 *                      period it names overlaps the range; no date falls
 *                      back to the year; nothing known fails;
 *   author     case-insensitive (ASCII and Latin-1) substring of any name;
 *   category   case-insensitive, exact or a prefix ending at a '.': "cs"
 *              matches "cs.LG" and "cs", not "csx"; "cs.L" does not
 *              match "cs.LG";
 *   open_access  open_access or a pdf_url.
 *
 * Relevance:
 *   rrf   = sum over the paper's providers of 1 / (60 + rank)
 *   rrf_n = rrf * 61 / P, P = providers that returned anything (so rank 1
 *           everywhere is 1.0, rank 1 at one of five providers is 0.2);
 *   text  = 0.6 * title_coverage + 0.3 * abstract_coverage + 0.1 * phrase,
 *           coverage = share of the query's terms (words, stop words dropped
 *           unless that leaves none, ASCII case folded) found as words of the
 *           title / abstract, a word matching a term when equal or when one
 *           is a prefix of the other, the shorter at least 4 bytes and the
 *           longer at most 3 more ("network" ~ "networks", "learn" ~
 *           "learning"); phrase = 1 when the query (two words or more)
 *           appears word for word in the title;
 *   exact = 1 when the query (two words or more) is the paper's whole
 *           title, compared by the dedupe title key (case, punctuation and
 *           spacing aside): a pasted title finds its paper first;
 *   run   = phrase, when the query has three words or more of which two
 *           are terms (a piece of a title pasted);
 *   score = 0.6 * rrf_n + 0.4 * text + 0.3 * run + 0.5 * exact.
 * Consensus between providers weighs most; the text match corrects
 * providers whose own ranking is loose and breaks near-ties.
 *
 * Sorting (every order is total, so output is deterministic):
 *   relevance  score desc, then more providers, then best rank, then first
 *              seen (source_t order, then rank);
 *   date       newest published (or year) first, unknown last, then relevance;
 *   citations  most first, unknown last, then relevance.
 * With strategy best_quality, "relevance" orders by the record's quality
 * instead, then relevance:
 *   quality = 0.4 * complete + 0.3 * cited + 0.3 * agree + exact (a pasted
 *             title still finds its paper first),
 *   complete = share of abstract, authors, year, an id (DOI or arXiv),
 *              venue, open access (or a pdf_url), citations known;
 *   cited    = log10(1 + citations) / 4, at most 1 (10,000 citations);
 *   agree    = (sources - 1) / (P - 1), 0 when P is 1.
 * Then offset / limit.
 */
#ifndef SF_MERGE_H
#define SF_MERGE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"
#include "core/paper.h"
#include "core/query.h"

typedef struct merge_result {
    paper_t *all; /* every distinct paper, unfiltered, first-seen order (for the store) */
    size_t nall;
    const paper_t **ranked; /* every paper passing the filters, sorted (total of them) */
    const paper_t **page;   /* the answer: ranked + offset, at most limit of them */
    size_t npage;
    size_t total; /* papers passing the filters, before offset/limit */
} merge_result_t;

/* Merges lists[s] (the answer of provider s in its rank order, or NULL when
 * it gave none) for q into out; everything is allocated in a. Inputs are
 * not modified; merged papers point at their strings. Returns 0, or -1
 * when out of memory (out is then zeroed). */
int merge_papers(arena_t *a, const paper_list_t *const lists[SRC_COUNT], const query_t *q,
                 merge_result_t *out);

/* Returns true when p passes every filter of q (years, dates, author,
 * category, open access). */
bool merge_matches(const paper_t *p, const query_t *q);

/* The stable id of a merged paper, as two parts: "doi:" + the DOI when it
 * has one that is not an arXiv DataCite DOI, else "arxiv:" + the arXiv id,
 * else "doi:" + the (arXiv) DOI, else "<provider>:" + that provider's id for
 * the first provider in source_t order that gave an id; "" and "" when it
 * has nothing (never after a merge). */
void merge_paper_id_parts(const paper_t *p, const char **prefix, const char **value);

/* The same id as one arena string, or NULL when out of memory. */
char *merge_paper_id(arena_t *a, const paper_t *p);

#endif
