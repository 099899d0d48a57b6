/* Exports: papers rendered as BibTeX, RIS or CSL-JSON, the other renderings
 * of an answer (DESIGN.md: never a second implementation of the search).
 *
 * One entry point, export_write(): pure, from merged paper_t records (the
 * search's page, a store row, a lookup's or a citation list's papers) into
 * one malloc'd buffer. Any endpoint that has papers calls it with the
 * format export_negotiate() or export_format_parse() chose, and answers
 * with export_content_type(). Nothing is parsed back from a JSON answer.
 *
 * What every format holds, and how:
 * - Citation keys (BibTeX key, RIS ID, CSL "id"): the first author's family
 *   name, the year and the first title word that is not a stop word, each
 *   lower case and folded to ASCII ("Müller" -> "muller", "Łukasz" ->
 *   "lukasz", other letters dropped): "vaswani2017attention". No author:
 *   "anon"; no year: "nd"; no title word: nothing. Keys that repeat within
 *   one call get a, b, c... (z, then aa, ab...) in answer order, every
 *   repeat including the first ("smith2020deepa", "smith2020deepb"), the
 *   author-year convention: a key never names a different paper than its
 *   twin would alone. Stable: the same papers in the same order give the
 *   same keys.
 * - The entry type (export_kind()) from the paper's type (paper_t.type)
 *   when a provider gave one: article and review a journal article,
 *   proceedings a conference paper, preprint, book, book_chapter, thesis,
 *   dataset as named; an article or conference paper with no venue but
 *   arXiv is cited as its preprint. With no type (or "other"), from what
 *   the record says: an arXiv id and no venue other than arXiv is a
 *   preprint; a venue that reads as a conference (proceedings, conference,
 *   workshop, symposium, or a known series such as NeurIPS) a conference
 *   paper; another venue a journal article; none of these a generic work.
 *   BibTeX (classic types only): @misc with eprint, archivePrefix and
 *   primaryClass for preprints, @inproceedings with booktitle, @article
 *   with journal, @book with series, @incollection with booktitle,
 *   @phdthesis with school, @misc (howpublished) for datasets and other
 *   works. RIS: UNPB (the RIS name of an unpublished work: RIS has no
 *   preprint type), CPAPER, JOUR, BOOK, CHAP, THES, DATA, GEN. CSL:
 *   "article" (CSL 1.0.2: preprints and working papers), "paper-conference",
 *   "article-journal", "book", "chapter", "thesis", "dataset", "document".
 * - Authors: a display name is split into family and given names
 *   (export_split_name()): "Family, Given" as written, else the last word
 *   is the family name with the lower-case particles before it ("van",
 *   "de", "von"...) and a suffix ("Jr.", "III") kept apart. A single word
 *   is a family name, and so is a whole name holding the word "and" (a
 *   group: "Smith and Sons", braced in BibTeX); in CSL a name with no
 *   given part is a "literal".
 *
 * Escaping, per format:
 * - BibTeX keeps UTF-8 as it is (biber, bibtexparser and LaTeX since 2018
 *   read it; turning accents into \'{e} is lossy for any script but Latin
 *   and the readers undo it anyway). The ten LaTeX specials are escaped
 *   (\& \% \$ \# \_ \{ \} \textbackslash{} \textasciitilde{}
 *   \textasciicircum{}), except inside a $...$ span of a title or an
 *   abstract with balanced braces: providers send arXiv titles with TeX math
 *   ("$\mu$Bench"), kept verbatim so LaTeX typesets it. Words of a title
 *   with a capital after their first letter ("BERT", "ImageNet", "GNNs")
 *   are wrapped in braces so a style that lower-cases titles keeps them.
 *   Values are in braces; control characters become spaces.
 * - RIS: "TY  - ", one tag per line ("XX  - value", CRLF line ends as the
 *   RIS specification writes them), one AU line per author, "ER  - " last;
 *   a value never holds a line break (CR, LF, U+2028/9 become spaces).
 * - CSL-JSON: a JSON array of CSL items, escaped as every JSON writer of
 *   the tree does (core/escape.h): valid JSON whatever the input. Dates are
 *   "issued": {"date-parts": [[year, month, day]]} with what is known.
 *
 * Every answer is at least one byte and ends with a line end: an empty
 * BibTeX or RIS list is "\n", an empty CSL list "[]\n". */
#ifndef SF_EXPORT_H
#define SF_EXPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"
#include "core/blob.h"
#include "core/paper.h"

typedef enum {
    EXPORT_JSON = 0, /* scifind's own JSON answer (core/answer_json.h), not an export */
    EXPORT_BIBTEX,
    EXPORT_RIS,
    EXPORT_CSL_JSON,
    EXPORT_FORMAT_COUNT
} export_format_t;

/* "json", "bibtex", "ris", "csl-json" (the format= values). */
const char *export_format_name(export_format_t f);
/* The format for a format= value, or -1 for an unknown one. */
int export_format_parse(const char *name, size_t len);
/* The Content-Type of an answer in f ("application/x-bibtex;
 * charset=utf-8", "application/x-research-info-systems; charset=utf-8",
 * "application/vnd.citationstyles.csl+json", "application/json"). */
const char *export_content_type(export_format_t f);

/* Chooses a format from an Accept header (RFC 9110 12.5.1): each offered
 * type's weight is that of the most specific range matching it (exact,
 * type/\*, *\/\*), a q of 0 refuses it; the heaviest wins, ties to the one
 * the client named first, then JSON. The types offered are the four of
 * export_content_type() plus their aliases text/x-bibtex,
 * application/x-bibtex-text-file and application/citeproc+json. NULL or
 * an empty header is JSON. Returns 0 with *out set, or -1 when nothing
 * offered is acceptable (406). */
int export_negotiate(const char *accept, export_format_t *out);

/* What kind of work a record is, for the entry types above. */
typedef enum {
    EXPORT_KIND_ARTICLE = 0, /* a journal article */
    EXPORT_KIND_CONFERENCE,  /* a paper in proceedings */
    EXPORT_KIND_PREPRINT,    /* a preprint (arXiv, or a provider said so) */
    EXPORT_KIND_OTHER,       /* nothing says more */
    EXPORT_KIND_BOOK,
    EXPORT_KIND_CHAPTER, /* a chapter or part of a book */
    EXPORT_KIND_THESIS,
    EXPORT_KIND_DATASET,
} export_kind_t;

export_kind_t export_kind(const paper_t *p);

/* A person's name in parts (arena strings; given, particle and suffix may
 * be NULL, family is never NULL for a non-empty name). */
typedef struct export_name {
    const char *family;   /* without the particle: "Beethoven" */
    const char *given;    /* "Ludwig" */
    const char *particle; /* "van" */
    const char *suffix;   /* "Jr." */
} export_name_t;

/* Splits a display name. Returns 0, or -1 for an empty name or no memory. */
int export_split_name(arena_t *a, const char *display, export_name_t *out);

/* The citation keys of papers[0..n), unique among them, into keys[0..n)
 * (arena strings). Returns 0, or -1 when out of memory. */
int export_keys(arena_t *a, const paper_t *const *papers, size_t n, const char **keys);

/* Hard limit on an export's size: past it, writing fails. */
#define EXPORT_MAX (64u * 1024 * 1024)

/* Writes papers[0..n) in f (not EXPORT_JSON). Returns a malloc'd
 * NUL-terminated buffer (its length in *len when len is not NULL) for the
 * caller to free(), or NULL when out of memory, too large or f is
 * EXPORT_JSON. */
char *export_write(export_format_t f, const paper_t *const *papers, size_t n, size_t *len);

/* The same into a new blob (refcount 1), the form the caches keep. */
blob_t *export_blob(export_format_t f, const paper_t *const *papers, size_t n);

#endif
