/* Writing header text without printf: each helper appends at d, which the
 * caller sized, and returns the new end. On the answer's hot path
 * vsnprintf cost about a third of the instructions of a small answer. */
#ifndef SF_HTTP_PUT_H
#define SF_HTTP_PUT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline char *http__put(char *d, const char *s, size_t n)
{
    memcpy(d, s, n);
    return d + n;
}

/* A string literal. */
#define HTTP_PUT_LIT(d, lit) http__put(d, lit, sizeof lit - 1)

/* v in decimal: at most 20 characters. */
static inline char *http__put_uint(char *d, uint64_t v)
{
    char tmp[20];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0);
    while (n > 0)
        *d++ = tmp[--n];
    return d;
}

/* v as 16 lowercase hex digits, zero-padded ("%016" PRIx64). */
static inline char *http__put_hex16(char *d, uint64_t v)
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 15; i >= 0; i--, v >>= 4)
        d[i] = hex[v & 15];
    return d + 16;
}

/* ns as milliseconds with three decimals ("%.3f" of ns / 1e6, rounded to
 * the microsecond): at most 24 characters. */
static inline char *http__put_ms3(char *d, uint64_t ns)
{
    uint64_t us = (ns + 500) / 1000;
    d = http__put_uint(d, us / 1000);
    *d++ = '.';
    unsigned f = (unsigned)(us % 1000);
    *d++ = (char)('0' + f / 100);
    *d++ = (char)('0' + f / 10 % 10);
    *d++ = (char)('0' + f % 10);
    return d;
}

#endif
