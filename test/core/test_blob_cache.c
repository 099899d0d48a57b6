/* Unit tests for core/blob_cache.c. */
#include "core/blob_cache.h"
#include "core/clock.h"
#include "test/test.h"

TEST(blob_cache_keeps_a_copy_until_the_ttl)
{
    clock_fake_start(1000000000u, 0);
    blob_cache_t *c = blob_cache_new(1000, 10);
    ASSERT_NOT_NULL(c);
    char v[] = "value";
    blob_cache_put(c, "k", v, 5);
    v[0] = 'x';
    blob_t *b = blob_cache_get(c, "k");
    ASSERT_NOT_NULL(b);
    ASSERT_STR_EQ(b->data, "value");
    ASSERT_NULL(blob_cache_get(c, "other"));
    clock_fake_advance_ms(1000);
    ASSERT_NULL(blob_cache_get(c, "k")); /* expired, and dropped */
    ASSERT_EQ(blob_cache_size(c), 0);
    ASSERT_STR_EQ(b->data, "value"); /* the caller's reference outlives it */
    blob_unref(b);
    blob_cache_free(c);
    clock_fake_stop();
}

TEST(blob_cache_put_replaces)
{
    blob_cache_t *c = blob_cache_new(1000, 10);
    blob_cache_put(c, "k", "one", 3);
    blob_cache_put(c, "k", "two", 3);
    ASSERT_EQ(blob_cache_size(c), 1);
    blob_t *b = blob_cache_get(c, "k");
    ASSERT_STR_EQ(b->data, "two");
    blob_unref(b);
    blob_cache_free(c);
}

TEST(blob_cache_least_recently_used_goes_first)
{
    blob_cache_t *c = blob_cache_new(1000, 2);
    blob_cache_put(c, "a", "1", 1);
    blob_cache_put(c, "b", "2", 1);
    blob_unref(blob_cache_get(c, "a")); /* b is now the oldest */
    blob_cache_put(c, "c", "3", 1);
    ASSERT_EQ(blob_cache_size(c), 2);
    blob_t *b = blob_cache_get(c, "b");
    ASSERT_NULL(b);
    blob_t *a = blob_cache_get(c, "a");
    ASSERT_NOT_NULL(a);
    blob_unref(a);
    blob_cache_free(c);
}

TEST(blob_cache_ttl_zero_keeps_nothing)
{
    blob_cache_t *c = blob_cache_new(0, 10);
    blob_cache_put(c, "k", "v", 1);
    ASSERT_NULL(blob_cache_get(c, "k"));
    ASSERT_EQ(blob_cache_size(c), 0);
    blob_cache_free(c);
    c = blob_cache_new(1000, 0);
    blob_cache_put(c, "k", "v", 1);
    ASSERT_EQ(blob_cache_size(c), 0);
    blob_cache_free(c);
}

TEST_MAIN()
