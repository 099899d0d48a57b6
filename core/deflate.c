#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "core/deflate.h"

/* Starts a stream at level with window bits wbits (negative: raw DEFLATE,
 * no wrapper; 16 + 15: gzip). Returns 0, or -1 (nothing to end). */
static int deflate_begin(z_stream *zs, int level, int wbits)
{
    memset(zs, 0, sizeof *zs);
    if (level < 1 || level > 9) level = SF_DEFLATE_LEVEL_DEFAULT;
    return deflateInit2(zs, level, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY) == Z_OK ? 0 : -1;
}

/* Deflates len bytes into out (cap >= deflateBound()) in one call and ends
 * the stream. Returns the bytes written, or 0 on failure. */
static size_t deflate_finish(z_stream *zs, const void *bytes, size_t len, unsigned char *out,
                             size_t cap)
{
    zs->next_in = (Bytef *)bytes;
    zs->avail_in = (uInt)len;
    zs->next_out = out;
    zs->avail_out = (uInt)cap;
    int rc = deflate(zs, Z_FINISH);
    size_t n = zs->total_out;
    deflateEnd(zs);
    return rc == Z_STREAM_END ? n : 0;
}

unsigned char *sf_deflate_raw(const void *bytes, size_t len, int level, size_t *out_len,
                              uint32_t *crc)
{
    z_stream zs;
    if (deflate_begin(&zs, level, -15) < 0) return NULL;
    size_t cap = deflateBound(&zs, (uLong)len);
    unsigned char *out = malloc(cap);
    if (!out) {
        deflateEnd(&zs);
        return NULL;
    }
    size_t n = deflate_finish(&zs, bytes, len, out, cap);
    if (!n) {
        free(out);
        return NULL;
    }
    *out_len = n;
    *crc = (uint32_t)crc32(0L, (const Bytef *)bytes, (uInt)len);
    return out;
}

void *sf_gzip(arena_t *arena, const void *bytes, size_t len, int level, size_t *out_len)
{
    z_stream zs;
    if (deflate_begin(&zs, level, 15 + 16) < 0) return NULL;
    size_t cap = deflateBound(&zs, (uLong)len);
    unsigned char *out = arena_alloc(arena, cap);
    if (!out) {
        deflateEnd(&zs);
        return NULL;
    }
    size_t n = deflate_finish(&zs, bytes, len, out, cap);
    if (!n) return NULL;
    *out_len = n;
    return out;
}
