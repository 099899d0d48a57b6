/* Helpers shared by the provider adapters (internal to providers/): a string
 * builder over an arena, tolerant jansson getters, markup stripping and
 * small date/id utilities. Names are prov__ (cross-file internals). */
#ifndef SF_PROV_COMMON_H
#define SF_PROV_COMMON_H

#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/paper.h"
#include "providers/provider.h"

/* A growable string in an arena. On out-of-memory the builder turns
 * "failed" and prov__sb_str() returns NULL; appends after that are no-ops. */
typedef struct prov__sb {
    arena_t *a;
    char *p;
    size_t len, cap;
    bool failed;
} prov__sb_t;

void prov__sb_init(prov__sb_t *b, arena_t *a);
void prov__sb_putn(prov__sb_t *b, const char *s, size_t n);
void prov__sb_puts(prov__sb_t *b, const char *s);
void prov__sb_printf(prov__sb_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s percent-encoded (RFC 3986 unreserved characters kept). */
void prov__sb_put_encoded(prov__sb_t *b, const char *s);
/* Appends s as a path's piece: percent-encoded, '/' and ':' kept (a DOI's
 * slashes, "DOI:" and "doi:" prefixes, as the providers' paths take them). */
void prov__sb_put_path(prov__sb_t *b, const char *s);
/* Appends "&name=" (or "?name=" for the first parameter) and the encoded value. */
void prov__sb_param(prov__sb_t *b, const char *name, const char *value);
/* Appends the query's date bounds as filters "from_key:<from>" and
 * "to_key:<to>", each after a ',' when b holds something already: the
 * query's date when it has one, else its year ("YYYY", or with whole_days
 * "YYYY-01-01" / "YYYY-12-31"); a bound the query lacks is left out. */
void prov__sb_date_bounds(prov__sb_t *b, const query_t *q, const char *from_key, const char *to_key,
                          bool whole_days);
/* The NUL-terminated string, or NULL when an allocation failed. */
char *prov__sb_str(prov__sb_t *b);

/* Writes a message into err (may be NULL) and returns -1. */
int prov__fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Adds a "Name: value" header line to a request; -1 when full or out of memory. */
int prov__add_header(prov_request_t *r, arena_t *a, const char *name, const char *value);

/* Clamps a requested result count into 1..max (<= 0 picks QUERY_DEFAULT_LIMIT). */
int prov__clamp_results(int want, int max);

/* True when s is non-NULL and not "". */
bool prov__has(const char *s);

/* Tolerant getters: NULL / dflt when obj is not an object, the key is missing,
 * null, or of another type. */
json_t *prov__json_obj(const json_t *obj, const char *key);
json_t *prov__json_arr(const json_t *obj, const char *key);
const char *prov__json_str(const json_t *obj, const char *key); /* NULL for "" too */
/* Integers, reals and numeric strings are accepted. */
long long prov__json_int(const json_t *obj, const char *key, long long dflt);
/* A result count: obj.key as prov__json_int(), or -1 (unknown) when absent
 * or negative. */
long prov__json_total(const json_t *obj, const char *key);
bool prov__json_bool(const json_t *obj, const char *key);
/* obj.key when it is a non-empty JSON string (NULs kept), else NULL. */
const json_t *prov__json_nonempty(const json_t *obj, const char *key);

/* Strips XML/HTML tags (JATS included), decodes entities, collapses
 * whitespace. Block-level tags (p, title, list-item, sec, br, div...) become
 * a space; inline ones (i, b, sup, scp...) vanish. A leading title "Abstract"
 * or "Summary" is dropped. Returns an arena copy, or NULL if empty. */
char *prov__strip_markup(arena_t *a, const char *s, size_t len);

/* t without a leading heading word "Abstract" or "Summary" (followed by
 * ':', '.', '-' or a capitalised word, or written in capitals), or t itself;
 * NULL when nothing follows the heading. */
const char *prov__drop_heading(const char *t);

/* An abstract as every provider's is read: prov__strip_markup(), then
 * prov__drop_heading(). */
char *prov__abstract(arena_t *a, const char *s, size_t len);

/* Decodes HTML/XML character references in place (the common named ones and
 * &#N; / &#xH;) into UTF-8; unknown references are kept as they are.
 * Returns the new length. */
size_t prov__decode_entities(char *s, size_t len);

/* The year of a "YYYY[-MM[-DD...]]" string, or 0. */
int prov__year_of(const char *date);
/* An arena copy of the date part of an ISO-8601 timestamp ("YYYY-MM-DD",
 * "YYYY-MM" or "YYYY"), or NULL when it does not start with a year. */
const char *prov__date_of(arena_t *a, const char *iso);

/* Sets the single source entry of a freshly parsed paper. */
void prov__set_source(paper_t *p, source_t s, const char *id, int rank);

/* Fills p->arxiv_id (and version) from a DOI "10.48550/arxiv.<id>" or an
 * arXiv URL, when p has none yet. Returns true when it set one. */
bool prov__arxiv_from(paper_t *p, arena_t *a, const char *s);

/* Appends s to a growable arena array of strings (*arr, *n) unless an equal
 * string is already there. Returns -1 on out-of-memory. */
int prov__strv_add(arena_t *a, const char ***arr, size_t *n, size_t *cap, const char *s);

/* Exa's research-paper category as it is sent now, and back to the first
 * choice (tests). */
const char *prov__exa_category(void);
void prov__exa_category_reset(void);

#endif
