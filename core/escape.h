/* Encodings of bytes that several folders read or write: hex digits,
 * percent-decoding (RFC 3986 targets and query strings) and JSON string
 * escaping. Pure functions on bytes, no allocation. */
#ifndef SF_ESCAPE_H
#define SF_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>

/* The value of the hex digit c (0-9, a-f, A-F), or -1. Callers for which
 * upper case is invalid (traceparent, cursors) check that themselves.
 * Inline: the trace context of every request is read with it (a call
 * each digit cost about 290 instructions per GET /health). */
static inline int hex_digit(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decodes the n bytes at s into out, which has room for n + 1: each %XX
 * becomes its byte and, when plus_is_space (form encoding of a query
 * string), '+' a space. out is NUL-terminated. Returns the decoded length,
 * or -1 when a '%' is not followed by two hex digits. A %00 is decoded like
 * any byte: a caller that wants a C string refuses NULs in out. */
long pct_decode(const char *s, size_t n, char *out, bool plus_is_space);

/* One name=value pair of a query string after another: *pos (start at 0)
 * moves past the pair; empty pairs are skipped. Both sides are
 * percent-decoded (with '+' a space) into name (name_cap bytes with the
 * NUL) and value (value_cap bytes). Returns QS_PAIR with *value_len set,
 * QS_END, or QS_BAD_NAME / QS_BAD_VALUE when that side is too long, badly
 * encoded or holds a NUL; after a bad side the pair is skipped, so the
 * caller may go on or stop. */
enum { QS_END = 0, QS_PAIR = 1, QS_BAD_NAME = -1, QS_BAD_VALUE = -2 };
int qs_next(const char *qs, size_t len, size_t *pos, char *name, size_t name_cap, char *value,
            size_t value_cap, size_t *value_len);

/* JSON string escaping, as every JSON writer of the tree does it: '"', '\\',
 * \n, \r and \t by their short escapes, other control characters and DEL
 * as \u00XX, U+2028/U+2029 as \u2028/\u2029 (the text may be embedded in
 * JavaScript), valid UTF-8 as it is, and each byte that is not part of
 * valid UTF-8 as \ufffd: whatever the input, the output is valid JSON. */

/* Longest output of json_escape_char(). */
#define JSON_ESCAPE_MAX 6

/* How many bytes from s (n left) go into a JSON string as they are, in one
 * run: printable ASCII other than '"' and '\\'. Writers copy the run, then
 * call json_escape_char() for the character after it. */
size_t json_plain_run(const char *s, size_t n);

/* Writes the JSON form of the character at s (n > 0 bytes left) to out,
 * not NUL-terminated, and returns its length (1..JSON_ESCAPE_MAX); *used
 * gets the number of bytes of s it stands for (1..4). */
size_t json_escape_char(const char *s, size_t n, char out[JSON_ESCAPE_MAX], size_t *used);

/* Writes the escaped s (NUL-terminated; no quotes added) into out, cap > 0
 * bytes with the NUL, as far as it fits without cutting an escape or a
 * character. Returns the length written. */
size_t json_escape_into(char *out, size_t cap, const char *s);

#endif
