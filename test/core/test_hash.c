/* Unit tests for core/hash.h: FNV-1a 64 on the reference vectors, and the
 * ways of continuing a hash agree with hashing the whole at once. */
#include "core/hash.h"
#include "test/test.h"

TEST(fnv1a_matches_the_reference_vectors)
{
    ASSERT_EQ_U(fnv1a("", 0), UINT64_C(0xcbf29ce484222325));
    ASSERT_EQ_U(fnv1a("a", 1), UINT64_C(0xaf63dc4c8601ec8c));
    ASSERT_EQ_U(fnv1a("foobar", 6), UINT64_C(0x85944171f73967e8));
}

TEST(fnv1a_str_is_fnv1a_of_the_bytes)
{
    ASSERT_EQ_U(fnv1a_str(""), FNV1A_INIT);
    ASSERT_EQ_U(fnv1a_str("foobar"), fnv1a("foobar", 6));
    ASSERT_EQ_U(fnv1a_str("\xff\x80"), fnv1a("\xff\x80", 2)); /* bytes taken unsigned */
}

TEST(fnv1a_continued_equals_fnv1a_of_the_concatenation)
{
    uint64_t h = fnv1a_add_str(fnv1a_add(fnv1a_str("foo"), "\0", 1), "bar");
    ASSERT_EQ_U(h, fnv1a("foo\0bar", 7));
}

TEST(fnv1a_of_embedded_nul_differs_from_the_string)
{
    ASSERT_NE(fnv1a("a\0b", 3) == fnv1a_str("a"), 1);
}

TEST_MAIN()
