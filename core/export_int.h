/* Shared by core/export*.c only: the output buffer and one paper made ready
 * for the writers (key, kind, names, date parts), so each format writes
 * fields and nothing is decided twice. */
#ifndef SF_EXPORT_INT_H
#define SF_EXPORT_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "core/export.h"

typedef struct xbuf {
    char *buf;
    size_t len, cap;
    bool failed; /* out of memory or past EXPORT_MAX: later writes are no-ops */
} xbuf_t;

void export__raw(xbuf_t *b, const char *s, size_t n);
void export__str(xbuf_t *b, const char *s);
void export__int(xbuf_t *b, long long v);

#define XB_LIT(b, lit) export__raw((b), (lit), sizeof(lit) - 1)

/* The UTF-8 character at s (n > 0 left): its length, 0 for a byte that is
 * not valid UTF-8 (a writer puts U+FFFD and skips one byte). */
size_t export__char(const char *s, size_t n);

#define EXPORT_FFFD "\xef\xbf\xbd"

typedef struct export_item {
    const paper_t *p;
    const char *key;
    export_kind_t kind;
    export_name_t *authors; /* the split names; a name that did not split is left out */
    size_t nauthors;
    int year, month, day;      /* 0 when unknown */
    const char *primary_class; /* the first arXiv category, or NULL */
    const char *venue;         /* NULL for none or arXiv itself */
} export_item_t;

void export__bibtex(xbuf_t *b, const export_item_t *items, size_t n);
void export__ris(xbuf_t *b, const export_item_t *items, size_t n);
void export__csl(xbuf_t *b, const export_item_t *items, size_t n);

#endif
