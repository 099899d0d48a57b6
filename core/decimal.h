/* Integers as decimal text without printf (vsnprintf costs hundreds of
 * instructions a call on paths that write many small numbers). */
#ifndef SF_DECIMAL_H
#define SF_DECIMAL_H

#include <stddef.h>

/* Room decimal_put() needs: "-9223372036854775808". No NUL is written. */
#define DECIMAL_MAX 20

/* Writes v in decimal at d and returns the end. */
static inline char *decimal_put(char *d, long long v)
{
    char tmp[DECIMAL_MAX];
    size_t n = 0;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u > 0);
    if (v < 0) *d++ = '-';
    while (n > 0)
        *d++ = tmp[--n];
    return d;
}

#endif
