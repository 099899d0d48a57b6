/* A gzip answer made of a few bytes written per request and a DEFLATE
 * stream compressed once and cached.
 *
 * A DEFLATE stream is a sequence of blocks; a stored (uncompressed) block
 * that is not the last one ends on a byte boundary. So the gzip member
 *   header | stored block(prefix) | cached DEFLATE(rest) | CRC-32, size
 * is valid, and the CRC of prefix + rest is combined from the two parts
 * (zlib's crc32_combine), without touching the cached bytes. This lets a
 * cached answer go out compressed with the request's id in front. The
 * DEFLATE stream itself is made by sf_deflate_raw() (core/deflate.h). */
#ifndef SF_HTTP_GZIP_SPLICE_H
#define SF_HTTP_GZIP_SPLICE_H

#include <stddef.h>
#include <stdint.h>

/* Bytes gzip_splice_head() adds around the prefix. */
#define GZIP_SPLICE_OVERHEAD 15

/* Writes the gzip header and a stored, non-final block holding prefix
 * (at most 65535 bytes) into out, which has room for plen +
 * GZIP_SPLICE_OVERHEAD bytes. Returns the bytes written, or 0 when prefix
 * is too long. */
size_t gzip_splice_head(const char *prefix, size_t plen, unsigned char *out);

/* Writes the 8-byte gzip trailer for prefix followed by rest (rest_crc is
 * the CRC-32 of rest's rest_len uncompressed bytes). */
void gzip_splice_trailer(const char *prefix, size_t plen, uint32_t rest_crc, size_t rest_len,
                         unsigned char out[8]);

#endif
