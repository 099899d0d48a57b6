/* zlib's deflate, wrapped once for everyone who compresses: the HTTP side
 * (gzip answers made per request, http/compress.h) and the cache tiers (the
 * DEFLATE copy kept beside an answer's bytes and spliced into gzip answers,
 * http/gzip_splice.h). */
#ifndef SF_CORE_DEFLATE_H
#define SF_CORE_DEFLATE_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"

/* The level used when one outside 1..9 is asked (compression.level's default). */
#define SF_DEFLATE_LEVEL_DEFAULT 5

/* Compresses bytes at level (1..9, else SF_DEFLATE_LEVEL_DEFAULT) into a
 * raw DEFLATE stream (no header) ending with a final block, and gives its
 * CRC-32. Returns a malloc'd buffer (length in *out_len) or NULL. */
unsigned char *sf_deflate_raw(const void *bytes, size_t len, int level, size_t *out_len,
                              uint32_t *crc);

/* Compresses bytes at level (as above) into a gzip member in arena.
 * Returns it (*out_len set), or NULL on failure. */
void *sf_gzip(arena_t *arena, const void *bytes, size_t len, int level, size_t *out_len);

#endif
