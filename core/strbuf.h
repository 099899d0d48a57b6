/* Growing a malloc'd byte buffer: the one growth rule of the project's
 * text writers (the JSON answer, the exports, the citation and lookup
 * answers). Each writer keeps its own buffer struct and "failed" flag and
 * asks here for room. */
#ifndef SF_CORE_STRBUF_H
#define SF_CORE_STRBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/* Makes *buf (capacity *cap, len bytes used) hold n more bytes and a NUL:
 * capacity doubles from first, never past max. Returns false (buffer
 * untouched) when that needs more than max or memory runs out. */
static inline bool sf_strbuf_grow(char **buf, size_t *cap, size_t len, size_t n, size_t first,
                                  size_t max)
{
    if (len + n + 1 <= *cap) return true;
    if (n > max || len + n + 1 > max) return false;
    size_t c = *cap ? *cap : first;
    while (c < len + n + 1)
        c *= 2;
    if (c > max) c = max;
    char *b = realloc(*buf, c);
    if (b == NULL) return false;
    *buf = b;
    *cap = c;
    return true;
}

#endif
