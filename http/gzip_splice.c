#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "http/gzip_splice.h"

size_t gzip_splice_head(const char *prefix, size_t plen, unsigned char *out)
{
    if (plen > 65535) return 0;
    static const unsigned char header[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3 /* Unix */};
    memcpy(out, header, sizeof header);
    size_t o = sizeof header;
    out[o++] = 0x00; /* BFINAL 0, BTYPE 00 (stored), then padding to the byte */
    out[o++] = (unsigned char)(plen & 0xff);
    out[o++] = (unsigned char)(plen >> 8);
    out[o++] = (unsigned char)(~plen & 0xff);
    out[o++] = (unsigned char)((~plen >> 8) & 0xff);
    memcpy(out + o, prefix, plen);
    return o + plen;
}

void gzip_splice_trailer(const char *prefix, size_t plen, uint32_t rest_crc, size_t rest_len,
                         unsigned char out[8])
{
    uLong crc = crc32(0L, (const Bytef *)prefix, (uInt)plen);
    crc = crc32_combine(crc, rest_crc, (z_off_t)rest_len);
    uint32_t size = (uint32_t)(plen + rest_len); /* ISIZE is the length mod 2^32 */
    for (int i = 0; i < 4; i++) {
        out[i] = (unsigned char)(crc >> (8 * i));
        out[4 + i] = (unsigned char)(size >> (8 * i));
    }
}

unsigned char *gzip_deflate_raw(const void *bytes, size_t len, size_t *out_len, uint32_t *crc)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    /* Negative window bits: a raw stream, no zlib or gzip wrapper. */
    if (deflateInit2(&zs, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) return NULL;
    size_t cap = deflateBound(&zs, (uLong)len);
    unsigned char *out = malloc(cap);
    if (!out) {
        deflateEnd(&zs);
        return NULL;
    }
    zs.next_in = (Bytef *)bytes;
    zs.avail_in = (uInt)len;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    int rc = deflate(&zs, Z_FINISH);
    *out_len = zs.total_out;
    deflateEnd(&zs);
    if (rc != Z_STREAM_END) {
        free(out);
        return NULL;
    }
    *crc = (uint32_t)crc32(0L, (const Bytef *)bytes, (uInt)len);
    return out;
}
