/* Authors as the providers describe them (Semantic Scholar's /author
 * objects, OpenAlex's /authors), and their merge into one list of people.
 *
 * Two records are the same person when, in this order:
 *   1. they carry the same ORCID;
 *   2. they carry the same id of one provider (a source that knows the
 *      other's id of the person, or two answers of one source);
 *   3. their normalised names are equal and they share a sample paper
 *      (DOI, else normalised title), when both sources gave papers.
 * Two records whose ORCIDs differ, or whose ids of one provider differ,
 * are never merged: two people of the same name stay apart. */
#ifndef SF_AUTHORS_H
#define SF_AUTHORS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"
#include "core/paper.h"

typedef struct author {
    const char *name;     /* the display name (the first source's) */
    const char **aliases; /* other spellings, no duplicates, name excluded */
    size_t naliases, aliases_cap;
    const char *orcid; /* bare "0000-0002-1825-0097", or NULL */
    const char **affiliations;
    size_t naffiliations, affiliations_cap;
    const char *homepage;       /* NULL when none */
    long paper_count;           /* -1 when no source gives it */
    long citation_count;        /* -1 likewise */
    long h_index;               /* -1 likewise */
    const char *ids[SRC_COUNT]; /* each provider's id of the person, or NULL */
    unsigned sources;           /* bit (1u << source_t) per source that described it */
    /* sample papers, for the name rule: "doi:10.x/y" or "t:<normalised title>" */
    const char **papers;
    size_t npapers, papers_cap;
} author_t;

typedef struct author_list {
    author_t *items;
    size_t n, cap;
} author_list_t;

/* A new zeroed author (counts -1) at the end of l, or NULL when out of memory. */
author_t *author_list_add(author_list_t *l, arena_t *a);

/* Appends s (copied) to one of a's string lists unless an equal one is
 * there; NULL and "" are left out. Returns -1 when out of memory. */
int author_add_alias(author_t *au, arena_t *a, const char *s);
int author_add_affiliation(author_t *au, arena_t *a, const char *s);
/* A sample paper by DOI (any case, with or without https://doi.org/) or,
 * when doi is NULL, by title. */
int author_add_paper(author_t *au, arena_t *a, const char *doi, const char *title);

/* An ORCID as the providers write it ("https://orcid.org/0000-...", bare,
 * lower-case x) as a bare, upper-case-X arena string, or NULL when it is
 * none (not 4x4 digits). */
const char *author_orcid_norm(arena_t *a, const char *s);

/* A name for comparison: lower case, letters and digits only, words
 * separated by one space ("A. M. Turing" -> "a m turing"); in buf. */
void author_name_norm(const char *name, char *buf, size_t size);

/* Whether x and y are the same person by the rules above. */
bool author_same(const author_t *x, const author_t *y);

/* Merges the lists of each source (lists[s], may be empty) into out: the
 * first source's order, then the people only later sources gave, each
 * person once, described by every source that knew them (the first
 * source's name, the largest counts). Returns 0, or -1 when out of memory. */
int authors_merge(const author_list_t lists[SRC_COUNT], arena_t *a, author_list_t *out);

/* One author as the answers write it ({"id", "name", "aliases", "orcid",
 * "affiliations", "homepage", "paper_count", "citation_count", "h_index",
 * "ids": {"semantic_scholar": ..., "openalex": ...}, "sources": [...]}),
 * appended to *buf (a malloc'd buffer of *cap bytes holding *len). Its "id"
 * is "orcid:...", else "s2:...", else "openalex:A...". Returns -1 when out
 * of memory. */
int author_json_append(char **buf, size_t *len, size_t *cap, const author_t *au);

/* The id an answer gives au (see above), in buf. */
void author_public_id(const author_t *au, char *buf, size_t size);

#endif
