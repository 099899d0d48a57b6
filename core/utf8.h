/* UTF-8: the one validity check every JSON writer uses (the answer, the
 * log lines, the HTTP error bodies). */
#ifndef SF_UTF8_H
#define SF_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* Length of the valid UTF-8 sequence at s (n > 0 bytes left): 1 for ASCII,
 * 2 to 4 for a well-formed multi-byte character, 0 when the bytes there
 * are none (bad lead or continuation byte, overlong form, surrogate, above
 * U+10FFFF, cut short). */
size_t utf8_seq(const unsigned char *s, size_t n);

/* True when the n bytes at s are valid UTF-8 from end to end (no byte
 * utf8_seq() refuses); true for n == 0. */
bool utf8_valid(const char *s, size_t n);

#endif
