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
