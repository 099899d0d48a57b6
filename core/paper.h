/* The domain: a paper as scifind returns it, the sources it came from, and
 * a list of papers. Every string lives in an arena (the request's or the
 * search's); a paper_t holds no memory of its own. */
#ifndef SF_PAPER_H
#define SF_PAPER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/sources.h"

/* Where papers come from: one per line of core/sources.h, in its order
 * (the order of per-provider entries in answers). */
#define SOURCE_ENUM_(ID, ...) SRC_##ID,
typedef enum { SOURCE_TABLE(SOURCE_ENUM_) SRC_COUNT } source_t;
#undef SOURCE_ENUM_

/* "arxiv", "semantic_scholar", "exa", "openalex", "crossref", "local". */
const char *source_name(source_t s);
/* Returns the source for a name, or -1. */
int source_parse(const char *name, size_t len);
/* Parses a comma-separated list of source names (spaces around names
 * allowed, "" is an empty list) into out. Returns how many, or -1 with a
 * message naming the culprit in err (unknown or repeated name). */
int source_parse_list(const char *csv, source_t out[SRC_COUNT], char *err, size_t errlen);
/* True when s is off until its providers.<name>.api_key is set (Exa). */
bool source_needs_key(source_t s);

typedef struct paper_source {
    source_t source;
    const char *id; /* the provider's own id (arXiv versioned id, S2 paperId, W..., DOI) */
    int rank;       /* 1-based position in that provider's answer */
} paper_source_t;

/* What kind of work a paper is. UNKNOWN (0, a zeroed paper's) when no
 * provider said; OTHER when one said something outside this list
 * (an editorial, a report, an erratum...). */
typedef enum {
    PAPER_TYPE_UNKNOWN = 0,
    PAPER_TYPE_ARTICLE,
    PAPER_TYPE_PREPRINT,
    PAPER_TYPE_PROCEEDINGS, /* a conference paper */
    PAPER_TYPE_BOOK,
    PAPER_TYPE_BOOK_CHAPTER,
    PAPER_TYPE_THESIS,
    PAPER_TYPE_DATASET,
    PAPER_TYPE_REVIEW,
    PAPER_TYPE_OTHER,
    PAPER_TYPE_COUNT
} paper_type_t;

/* "article", "preprint", "proceedings", "book", "book_chapter", "thesis",
 * "dataset", "review", "other"; NULL for PAPER_TYPE_UNKNOWN. */
const char *paper_type_name(paper_type_t t);
/* Maps one provider type word to a type, ASCII case, '-', '_' and spaces
 * ignored, so Crossref's and OpenAlex's "journal-article", "book-chapter",
 * "posted-content", "dissertation" and S2's "JournalArticle", "Conference",
 * "BookSection" all map; also reads paper_type_name()'s names. UNKNOWN for
 * NULL or empty, OTHER for a word it does not know. */
paper_type_t paper_type_parse(const char *s, size_t len);
/* The merge's rule when sources disagree: a known type beats UNKNOWN, a
 * specific one beats OTHER, and a published type beats PREPRINT (the
 * arXiv copy of a journal paper is still the journal paper); otherwise
 * the first source's (cur) stays. */
paper_type_t paper_type_merge(paper_type_t cur, paper_type_t next);

typedef struct paper {
    const char *title;    /* whitespace collapsed; never NULL once parsed ("" if absent) */
    const char *abstract; /* plain text (markup stripped), whitespace collapsed; NULL if absent */
    const char **authors; /* display names, in order */
    size_t nauthors;
    const char
        *doi; /* normalised: lower case, no "https://doi.org/" or "doi:" prefix; NULL if absent */
    const char *arxiv_id; /* without version ("2401.01234", "hep-th/9901001"); NULL if absent */
    const char *arxiv_version; /* "v2" when known, else NULL */
    int year;                  /* 0 when unknown */
    const char *published;     /* "YYYY-MM-DD" (or "YYYY-MM", "YYYY"); NULL when unknown */
    const char *venue;         /* journal / conference; NULL when unknown */
    const char **categories;   /* arXiv categories or the provider's fields of study */
    size_t ncategories;
    int64_t citations;   /* -1 when unknown */
    const char *url;     /* landing page */
    const char *pdf_url; /* open-access PDF link; NULL when none known */
    bool open_access;
    paper_type_t type;
    paper_source_t sources[SRC_COUNT]; /* one per provider that returned it */
    size_t nsources;
    double score; /* ranking score, set by the merge */
} paper_t;

/* A growable array of papers in an arena. */
typedef struct paper_list {
    paper_t *items;
    size_t n, cap;
} paper_list_t;

/* Appends a zeroed paper (citations = -1, title = "") and returns it, or
 * NULL when out of memory. */
paper_t *paper_list_add(paper_list_t *l, arena_t *a);

/* Deep-copies src into dst, every string and array into a. Returns 0, or
 * -1 when out of memory (dst is then partial). */
int paper_list_copy(paper_list_t *dst, const paper_list_t *src, arena_t *a);

/* Normalisers shared by parsers and the merge. Each returns an arena copy,
 * or NULL when the input is NULL or empty after normalising. */

/* Collapses runs of whitespace (space, tab, CR, LF) into one space and trims. */
char *paper_clean_text(arena_t *a, const char *s, size_t len);
/* "https://doi.org/10.1/ABC" / "doi:10.1/abc" / "10.1/ABC" -> "10.1/abc". */
char *paper_normalize_doi(arena_t *a, const char *s, size_t len);
/* "http://arxiv.org/abs/2401.01234v2" / "arXiv:2401.01234v2" / "2401.01234" ->
 * id "2401.01234" and, when present, *version "v2" (version may be NULL). */
char *paper_normalize_arxiv_id(arena_t *a, const char *s, size_t len, const char **version);
/* Lower-cased, punctuation dropped, whitespace collapsed: the title key for dedupe. */
char *paper_title_key(arena_t *a, const char *title);

/* The dedupe keys: two papers with the same title key and the same first
 * author's family key (and years at most one apart, no two different DOIs
 * or arXiv ids) are one paper, in the merge (core/merge.c) and in the
 * store's papers table (store/sql.c writes both keys of each row;
 * migration 0005 computes them the same way in SQL for older rows). */

/* The title key of dedupe: paper_title_key() without its spaces and
 * without Unicode spaces, dashes and quotes (U+00A0, U+2000..U+203F), so
 * "KwaZulu Natal", "KwaZulu-Natal" and "KwaZulu\u2010Natal" are one key.
 * Only words run together or split apart are folded; the first author and
 * the year still have to agree. NULL when nothing is left. */
char *paper_dedupe_title_key(arena_t *a, const char *title);
/* The folded family name of an author display name: the last word (suffixes
 * such as "Jr." skipped) of the part before a comma, or of the whole name
 * without one; ASCII lower case, ASCII punctuation dropped, Latin-1 letters
 * to their base letters ("Müller" -> "muller"), other bytes as they are.
 * "Ashish Vaswani", "Vaswani, A." and "A. Vaswani" give "vaswani". NULL
 * when none or out of memory. */
char *paper_family_key(arena_t *a, const char *name);

/* True when the n bytes at w are an English stop word ("a", "of", "the"...,
 * ASCII case ignored): words search engines do not index, which neither the
 * merge's text match nor a provider query should require. */
bool paper_is_stop_word(const char *w, size_t n);

#endif
