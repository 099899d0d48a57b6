/* Unit tests for core/arena.c. */
#include "core/arena.h"
#include "test/test.h"

#include <stdint.h>

TEST(arena_new_default_and_free_null)
{
    arena_t *a = arena_new(0);
    ASSERT_NOT_NULL(a);
    ASSERT_EQ(arena_used(a), 0);
    arena_free(a);
    arena_free(NULL);
}

TEST(arena_alloc_is_16_aligned)
{
    arena_t *a = arena_new(64);
    ASSERT_NOT_NULL(a);
    for (size_t n = 0; n < 200; n++) {
        void *p = arena_alloc(a, n);
        ASSERT_NOT_NULL(p);
        ASSERT_EQ((uintptr_t)p % 16, 0);
        memset(p, 0xab, n);
    }
    arena_free(a);
}

TEST(arena_alloc_zero_gives_unique_pointers)
{
    arena_t *a = arena_new(0);
    void *p = arena_alloc(a, 0);
    void *q = arena_alloc(a, 0);
    ASSERT_NOT_NULL(p);
    ASSERT_NOT_NULL(q);
    ASSERT_PTR_NE(p, q);
    arena_free(a);
}

TEST(arena_allocations_do_not_overlap)
{
    arena_t *a = arena_new(128);
    unsigned char *ptrs[300];
    size_t sizes[300];
    for (int i = 0; i < 300; i++) {
        sizes[i] = (size_t)(i * 7 % 97) + 1;
        ptrs[i] = arena_alloc(a, sizes[i]);
        ASSERT_NOT_NULL(ptrs[i]);
        memset(ptrs[i], i & 0xff, sizes[i]);
    }
    for (int i = 0; i < 300; i++)
        for (size_t j = 0; j < sizes[i]; j++)
            ASSERT_EQ(ptrs[i][j], i & 0xff);
    arena_free(a);
}

TEST(arena_big_allocation_gets_own_block_and_head_keeps_filling)
{
    arena_t *a = arena_new(1024);
    char *small1 = arena_alloc(a, 16);
    char *big = arena_alloc(a, 100000);
    char *small2 = arena_alloc(a, 16);
    ASSERT_NOT_NULL(big);
    memset(big, 1, 100000);
    /* the small ones come from the first block, one after the other */
    ASSERT_PTR_EQ(small2, small1 + 16);
    ASSERT_EQ(arena_used(a), 16 + 100000 + 16);
    arena_free(a);
}

TEST(arena_used_counts_aligned_sizes)
{
    arena_t *a = arena_new(0);
    arena_alloc(a, 1);
    ASSERT_EQ(arena_used(a), 16);
    arena_alloc(a, 17);
    ASSERT_EQ(arena_used(a), 48);
    arena_free(a);
}

TEST(arena_reset_keeps_first_block)
{
    arena_t *a = arena_new(256);
    char *first = arena_alloc(a, 32);
    for (int i = 0; i < 100; i++)
        ASSERT_NOT_NULL(arena_alloc(a, 50));
    ASSERT_NOT_NULL(arena_alloc(a, 1 << 20));
    arena_reset(a);
    ASSERT_EQ(arena_used(a), 0);
    /* after reset, allocation starts again at the start of the first block */
    char *again = arena_alloc(a, 32);
    ASSERT_PTR_EQ(again, first);
    /* and the arena still grows */
    for (int i = 0; i < 100; i++)
        ASSERT_NOT_NULL(arena_alloc(a, 50));
    arena_reset(a);
    arena_reset(a);
    arena_free(a);
}

TEST(arena_calloc_zeroes_and_checks_overflow)
{
    arena_t *a = arena_new(0);
    /* dirty the block, reset, then calloc over the same bytes */
    memset(arena_alloc(a, 256), 0xff, 256);
    arena_reset(a);
    unsigned char *p = arena_calloc(a, 16, 16);
    ASSERT_NOT_NULL(p);
    for (int i = 0; i < 256; i++)
        ASSERT_EQ(p[i], 0);
    ASSERT_NULL(arena_calloc(a, SIZE_MAX / 2, 4));
    ASSERT_NULL(arena_alloc(a, SIZE_MAX - 3));
    arena_free(a);
}

TEST(arena_strdup_and_strndup)
{
    arena_t *a = arena_new(0);
    char *s = arena_strdup(a, "hello");
    ASSERT_STR_EQ(s, "hello");
    char *t = arena_strndup(a, "hello world", 5);
    ASSERT_STR_EQ(t, "hello");
    char *e = arena_strndup(a, NULL, 0);
    ASSERT_STR_EQ(e, "");
    arena_free(a);
}

TEST(arena_sprintf_formats_long_strings)
{
    arena_t *a = arena_new(64);
    char *s = arena_sprintf(a, "%s-%d", "x", 42);
    ASSERT_STR_EQ(s, "x-42");
    char *long_s = arena_sprintf(a, "%5000d", 7);
    ASSERT_NOT_NULL(long_s);
    ASSERT_EQ(strlen(long_s), 5000);
    ASSERT_EQ(long_s[4999], '7');
    arena_free(a);
}

/* Formatted in place when it fits the head block, else measured first:
 * every length around a block's end, in blocks of odd sizes, stays intact. */
TEST(arena_sprintf_at_the_end_of_a_block)
{
    for (size_t first = 37; first < 200; first += 23) {
        arena_t *a = arena_new(first);
        char *got[120];
        for (int i = 0; i < 120; i++)
            got[i] = arena_sprintf(a, "%0*d", i + 1, i);
        for (int i = 0; i < 120; i++) {
            ASSERT_NOT_NULL(got[i]);
            ASSERT_EQ(strlen(got[i]), (size_t)i + 1);
            char want[16];
            snprintf(want, sizeof want, "%d", i);
            ASSERT_STR_EQ(got[i] + (size_t)i + 1 - strlen(want), want);
        }
        arena_free(a);
    }
}

TEST(arena_footprint_counts_blocks)
{
    arena_t *a = arena_new(0);
    ASSERT_NOT_NULL(a);
    size_t empty = arena_footprint(a);
    ASSERT(empty >= 4096);                   /* the first block, though nothing is handed out */
    ASSERT_NOT_NULL(arena_alloc(a, 100000)); /* a block of its own */
    ASSERT(arena_footprint(a) >= empty + 100000);
    ASSERT(arena_footprint(a) >= arena_used(a));
    arena_free(a);
}

/* Adopted memory stays valid, is counted by its new arena and freed with
 * it (ASan sees a leak or a double free), whichever blocks either had. */
TEST(arena_adopt_moves_blocks_without_copying)
{
    for (int shape = 0; shape < 4; shape++) {
        arena_t *into = arena_new(256);
        arena_t *from = arena_new(256);
        ASSERT_NOT_NULL(into);
        ASSERT_NOT_NULL(from);
        if (shape & 1) /* into's head is no longer its first block */
            for (int i = 0; i < 40; i++)
                ASSERT_NOT_NULL(arena_alloc(into, 48));
        char *kept[50];
        for (int i = 0; i < 50; i++)
            kept[i] = arena_sprintf(from, "paper %d", i);
        if (shape & 2) ASSERT_NOT_NULL(arena_alloc(from, 10000)); /* a big block last */
        size_t used = arena_used(into) + arena_used(from);
        size_t footprint = arena_footprint(into) + arena_footprint(from);
        arena_adopt(into, from);
        ASSERT_EQ_U(arena_used(into), used);
        ASSERT_LE_U(arena_footprint(into), footprint); /* from's struct is gone */
        ASSERT(arena_footprint(into) + 64 >= footprint);
        /* into goes on filling, and a big block after the splice */
        ASSERT_NOT_NULL(arena_alloc(into, 100));
        ASSERT_NOT_NULL(arena_alloc(into, 20000));
        for (int i = 0; i < 50; i++) {
            char want[16];
            snprintf(want, sizeof want, "paper %d", i);
            ASSERT_STR_EQ(kept[i], want);
        }
        /* adopting again after a reset: the chain's end was kept right */
        arena_reset(into);
        ASSERT_EQ_U(arena_used(into), 0);
        arena_t *again = arena_new(0);
        ASSERT_NOT_NULL(arena_strdup(again, "x"));
        arena_adopt(into, again);
        ASSERT_NOT_NULL(arena_alloc(into, 50000));
        arena_free(into);
    }
}

TEST_MAIN()
