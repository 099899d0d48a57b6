/* What the Redis tier stores: its keys, and the value of an answer. */
#include "cache/redis_int.h"

void l2__rkey(const l2_t *l, const char *key, char *out, size_t n)
{
    snprintf(out, n, "%sv%" PRId64 ":%016" PRIx64, l->cfg->redis.key_prefix, l->version,
             cache_hash(key));
}

/* "SFC1" values (head of 40 bytes, no facts) are read as misses. */
#define VALUE_MAGIC "SFC2"
#define VALUE_MAGIC_OLD "SFC1"
#define VALUE_HEAD 60
#define VALUE_PARTIAL 1u /* flags */

static void put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get_u32(const unsigned char *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static uint64_t get_u64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* magic(4) status(4) created_ms(8) etag(8) crc(4) keylen(4) bodylen(4) deflen(4)
 * flags(4) total(8) took_us(8) key body deflate, little-endian */
char *cache_redis_encode(const char *key, const search_reply_t *r, int64_t created_ms, size_t *len)
{
    size_t klen = strlen(key), blen = r->body->len;
    size_t dlen = r->body_deflate ? r->body_deflate->len : 0;
    *len = VALUE_HEAD + klen + blen + dlen;
    unsigned char *p = malloc(*len);
    if (!p) return NULL;
    memcpy(p, VALUE_MAGIC, 4);
    put_u32(p + 4, (uint32_t)r->status);
    put_u64(p + 8, (uint64_t)created_ms);
    put_u64(p + 16, r->etag);
    put_u32(p + 24, r->body_crc32);
    put_u32(p + 28, (uint32_t)klen);
    put_u32(p + 32, (uint32_t)blen);
    put_u32(p + 36, (uint32_t)dlen);
    put_u32(p + 40, r->partial ? VALUE_PARTIAL : 0);
    put_u64(p + 44, (uint64_t)(r->total > 0 ? r->total : 0));
    put_u64(p + 52, r->took_ms > 0 ? (uint64_t)(r->took_ms * 1000 + 0.5) : 0);
    memcpy(p + VALUE_HEAD, key, klen);
    memcpy(p + VALUE_HEAD + klen, r->body->data, blen);
    if (dlen) memcpy(p + VALUE_HEAD + klen + blen, r->body_deflate->data, dlen);
    return (char *)p;
}

int cache_redis_decode(const char *key, const char *bytes, size_t len, search_reply_t *out,
                       int64_t *created_ms)
{
    const unsigned char *p = (const unsigned char *)bytes;
    if (len >= 4 && memcmp(p, VALUE_MAGIC_OLD, 4) == 0) return 1;
    if (len < VALUE_HEAD || memcmp(p, VALUE_MAGIC, 4) != 0) return -1;
    size_t klen = get_u32(p + 28), blen = get_u32(p + 32), dlen = get_u32(p + 36);
    if ((uint64_t)VALUE_HEAD + klen + blen + dlen != len || blen < 1) return -1;
    if (klen != strlen(key) || memcmp(p + VALUE_HEAD, key, klen) != 0) return -1;
    const char *body = bytes + VALUE_HEAD + klen;
    if (!search_reply_body_ok(body, blen)) return -1;
    *out = (search_reply_t){
        .status = (int)get_u32(p + 4),
        .etag = get_u64(p + 16),
        .body_crc32 = get_u32(p + 24),
        .tier = "redis",
        .partial = (get_u32(p + 40) & VALUE_PARTIAL) != 0,
        .total = (int64_t)get_u64(p + 44),
        .took_ms = (double)get_u64(p + 52) / 1000,
    };
    *created_ms = (int64_t)get_u64(p + 8);
    out->body = blob_new(body, blen);
    out->body_deflate = dlen ? blob_new(body + blen, dlen) : NULL;
    if (!out->body || (dlen && !out->body_deflate)) {
        blob_unref(out->body);
        blob_unref(out->body_deflate);
        return -1;
    }
    return 0;
}
