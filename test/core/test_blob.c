/* Unit tests for core/blob.c. */
#include "core/blob.h"
#include "test/test.h"

TEST(blob_new_copies_and_adds_nul)
{
    char src[] = "abc";
    blob_t *b = blob_new(src, 3);
    ASSERT_NOT_NULL(b);
    src[0] = 'z';
    ASSERT_EQ(b->len, 3);
    ASSERT_STR_EQ(b->data, "abc");
    ASSERT_EQ(b->data[3], '\0');
    blob_unref(b);
}

TEST(blob_new_empty_accepts_null)
{
    blob_t *b = blob_new(NULL, 0);
    ASSERT_NOT_NULL(b);
    ASSERT_EQ(b->len, 0);
    ASSERT_STR_EQ(b->data, "");
    blob_unref(b);
}

TEST(blob_binary_data_kept_whole)
{
    const char bin[5] = {'a', '\0', 'b', '\0', 'c'};
    blob_t *b = blob_new(bin, sizeof(bin));
    ASSERT_EQ(b->len, 5);
    ASSERT_MEM_EQ(b->data, bin, 5);
    ASSERT_EQ(b->data[5], '\0');
    blob_unref(b);
}

TEST(blob_alloc_is_writable_and_terminated)
{
    blob_t *b = blob_alloc(4);
    ASSERT_NOT_NULL(b);
    memcpy(b->data, "wxyz", 4);
    ASSERT_STR_EQ(b->data, "wxyz");
    blob_unref(b);
}

TEST(blob_ref_and_unref_share_until_last)
{
    blob_t *b = blob_new("shared", 6);
    ASSERT_PTR_EQ(blob_ref(b), b);
    blob_ref(b);
    blob_unref(b);
    blob_unref(b);
    /* still alive: one reference left (ASan would flag a use after free) */
    ASSERT_STR_EQ(b->data, "shared");
    blob_unref(b);
    blob_unref(NULL);
}

TEST(blob_alloc_huge_fails_cleanly)
{
    ASSERT_NULL(blob_alloc(SIZE_MAX));
    ASSERT_NULL(blob_alloc(SIZE_MAX - 8));
}

TEST_MAIN()
