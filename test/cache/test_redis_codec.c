/* What the Redis tier stores (cache/redis_codec.c): an answer's value and
 * back, refused when it belongs to another key or is damaged. The tests do
 * not assume the head's layout: they find the parts they damage. */
#include <stdlib.h>
#include <string.h>

#include "cache/redis.h"
#include "test/test.h"

static const char BODY[] = "{\"papers\":[],\"partial\":false}";

static search_reply_t reply(blob_t *body, blob_t *deflate)
{
    return (search_reply_t){.status = 200,
                            .body = body,
                            .body_deflate = deflate,
                            .body_crc32 = 0xdeadbeef,
                            .etag = 0x0123456789abcdefull,
                            .tier = "search"};
}

TEST(redis_value_round_trip_with_deflate)
{
    blob_t *b = blob_new(BODY, sizeof BODY - 1), *d = blob_new("\x01\x02\x03", 3);
    search_reply_t r = reply(b, d), out;
    size_t len;
    char *v = cache_redis_encode("k=1", &r, 1234567890123, &len);
    ASSERT_NOT_NULL(v);
    ASSERT_GT(len, 3 + sizeof BODY - 1 + 3); /* key, body and DEFLATE copy, after a head */
    int64_t created = 0;
    ASSERT_EQ(cache_redis_decode("k=1", v, len, &out, &created), 0);
    ASSERT_EQ(created, 1234567890123);
    ASSERT_EQ(out.status, 200);
    ASSERT_EQ_U(out.etag, 0x0123456789abcdefull);
    ASSERT_EQ_U(out.body_crc32, 0xdeadbeef);
    ASSERT_STR_EQ(out.tier, "redis");
    ASSERT_EQ(out.body->len, sizeof BODY - 1);
    ASSERT_MEM_EQ(out.body->data, BODY, sizeof BODY - 1);
    ASSERT_NOT_NULL(out.body_deflate);
    ASSERT_EQ(out.body_deflate->len, 3);
    ASSERT_MEM_EQ(out.body_deflate->data, "\x01\x02\x03", 3);
    blob_unref(out.body);
    blob_unref(out.body_deflate);
    free(v);
    blob_unref(b);
    blob_unref(d);
}

TEST(redis_value_round_trip_without_deflate)
{
    blob_t *b = blob_new(BODY, sizeof BODY - 1);
    search_reply_t r = reply(b, NULL), out;
    size_t len;
    char *v = cache_redis_encode("k", &r, 5, &len);
    int64_t created;
    ASSERT_EQ(cache_redis_decode("k", v, len, &out, &created), 0);
    ASSERT_NULL(out.body_deflate);
    ASSERT_EQ(created, 5);
    blob_unref(out.body);
    free(v);
    blob_unref(b);
}

/* Another key's value (a hash collision, or a key reused) is not an answer. */
TEST(redis_value_of_another_key_is_refused)
{
    blob_t *b = blob_new(BODY, sizeof BODY - 1);
    search_reply_t r = reply(b, NULL), out;
    size_t len;
    char *v = cache_redis_encode("query=a", &r, 5, &len);
    int64_t created;
    ASSERT_EQ(cache_redis_decode("query=b", v, len, &out, &created), -1);
    ASSERT_EQ(cache_redis_decode("query=aa", v, len, &out, &created), -1);
    ASSERT_EQ(cache_redis_decode("query=", v, len, &out, &created), -1);
    free(v);
    blob_unref(b);
}

TEST(redis_value_damaged_is_refused)
{
    blob_t *b = blob_new(BODY, sizeof BODY - 1), *d = blob_new("zz", 2);
    search_reply_t r = reply(b, d), out;
    size_t len;
    char *v = cache_redis_encode("k", &r, 5, &len);
    int64_t created;
    for (size_t n = 0; n < len; n++) /* every truncation */
        ASSERT_EQ(cache_redis_decode("k", v, n, &out, &created), -1);
    char *longer = malloc(len + 1);
    memcpy(longer, v, len);
    longer[len] = 'x';
    ASSERT_EQ(cache_redis_decode("k", longer, len + 1, &out, &created), -1);
    v[0] = 'X'; /* the magic */
    ASSERT_EQ(cache_redis_decode("k", v, len, &out, &created), -1);
    v[0] = 'S';
    char *body = memmem(v, len, BODY, sizeof BODY - 1);
    ASSERT_NOT_NULL(body);
    body[0] = 'x'; /* no answer body starts so (search_reply_body_ok) */
    ASSERT_EQ(cache_redis_decode("k", v, len, &out, &created), -1);
    body[0] = '{';
    ASSERT_EQ(cache_redis_decode("k", v, len, &out, &created), 0);
    blob_unref(out.body);
    blob_unref(out.body_deflate);
    free(longer);
    free(v);
    blob_unref(b);
    blob_unref(d);
}

TEST(redis_key_lengths_in_the_header_cannot_overflow)
{
    blob_t *b = blob_new(BODY, sizeof BODY - 1);
    search_reply_t r = reply(b, NULL), out;
    char key[78];
    memset(key, 'q', 77); /* 77 = 0x4d: its length is easy to find in the head */
    key[77] = '\0';
    size_t len;
    char *v = cache_redis_encode(key, &r, 5, &len);
    char *k = memmem(v, len, key, 77);
    char *klen = memmem(v, (size_t)(k - v), "\x4d\0\0\0", 4);
    ASSERT_NOT_NULL(klen);
    int64_t created;
    memset(klen, 0xff, 4); /* keylen 2^32 - 1: the sum must not wrap */
    ASSERT_EQ(cache_redis_decode(key, v, len, &out, &created), -1);
    free(v);
    blob_unref(b);
}

/* The answer's facts travel in the value's head, never parsed from the body. */
TEST(redis_value_round_trip_carries_the_facts_and_old_values_are_misses)
{
    blob_t *b = blob_new(BODY, sizeof BODY - 1);
    search_reply_t r = {.status = 200, .body = b, .etag = 7, .tier = "search"}, got;
    r.partial = true;
    r.total = 1234;
    r.took_ms = 87.125;
    size_t len;
    char *v = cache_redis_encode("key", &r, 1700000000000, &len);
    ASSERT_NOT_NULL(v);
    int64_t created;
    ASSERT_EQ(cache_redis_decode("key", v, len, &got, &created), 0);
    ASSERT_EQ(created, 1700000000000);
    ASSERT(got.partial);
    ASSERT_EQ(got.total, 1234);
    ASSERT_DBL_EQ(got.took_ms, 87.125);
    ASSERT_EQ(got.body->len, b->len);
    ASSERT_EQ(memcmp(got.body->data, b->data, b->len), 0);
    blob_unref(got.body);
    blob_unref(got.body_deflate);
    ASSERT_EQ(cache_redis_decode("other key", v, len, &got, &created), -1);
    memcpy(v, "SFC1", 4); /* the format before the facts: a miss */
    ASSERT_EQ(cache_redis_decode("key", v, len, &got, &created), 1);
    free(v);
    blob_unref(b);
}

TEST_MAIN()
