/* Unit tests for core/utf8.c. */
#include "core/utf8.h"
#include "test/test.h"

#define VALID(lit) utf8_valid(lit, sizeof(lit) - 1)

TEST(utf8_valid_accepts_ascii_and_well_formed_sequences)
{
    ASSERT(utf8_valid("", 0));
    ASSERT(VALID("plain text"));
    ASSERT(VALID("caf\xc3\xa9"));
    ASSERT(VALID("\xe2\x80\xa6"));
    ASSERT(VALID("\xf0\x9f\x93\x9a"));
    ASSERT(VALID("\xf4\x8f\xbf\xbf")); /* U+10FFFF */
    ASSERT(VALID("a\0b"));             /* NUL is ASCII */
}

TEST(utf8_valid_refuses_bad_leads_continuations_and_forms)
{
    ASSERT(!VALID("\x80"));             /* lone continuation */
    ASSERT(!VALID("\xc3"));             /* cut short */
    ASSERT(!VALID("\xc3("));            /* bad continuation */
    ASSERT(!VALID("\xc0\xaf"));         /* overlong '/' */
    ASSERT(!VALID("\xe0\x80\xaf"));     /* overlong */
    ASSERT(!VALID("\xed\xa0\x80"));     /* surrogate U+D800 */
    ASSERT(!VALID("\xf4\x90\x80\x80")); /* above U+10FFFF */
    ASSERT(!VALID("\xf8\x88\x80\x80\x80"));
    ASSERT(!VALID("ok\xff"));
}

TEST(utf8_seq_gives_the_length_of_one_character)
{
    ASSERT_EQ(utf8_seq((const unsigned char *)"a", 1), 1);
    ASSERT_EQ(utf8_seq((const unsigned char *)"\xc3\xa9", 2), 2);
    ASSERT_EQ(utf8_seq((const unsigned char *)"\xe2\x80\xa6", 3), 3);
    ASSERT_EQ(utf8_seq((const unsigned char *)"\xe2\x80\xa6", 2), 0);
    ASSERT_EQ(utf8_seq((const unsigned char *)"\xf0\x9f\x93\x9a", 4), 4);
}

TEST_MAIN()
