/* core/sha256 and core/api_key: the digest a key is kept as, its scopes,
 * a key row from its text. */
#include <string.h>

#include "core/api_key.h"
#include "core/sha256.h"
#include "test/test.h"

/* sha256("secret") */
#define H_SECRET "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b"

TEST(sha256_hex_matches_known_vectors)
{
    char h[SHA256_HEX_SIZE];
    sha256_hex("", 0, h);
    ASSERT_STR_EQ(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    sha256_hex("abc", 3, h);
    ASSERT_STR_EQ(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    sha256_hex("secret", 6, h);
    ASSERT_STR_EQ(h, H_SECRET);
}

TEST(scopes_parse)
{
    unsigned s = 0;
    ASSERT_EQ(api_key_parse_scopes("read+admin", 10, &s), 0);
    ASSERT_EQ(s, API_SCOPE_READ | API_SCOPE_ADMIN);
    ASSERT_EQ(api_key_parse_scopes("read", 4, &s), 0);
    ASSERT_EQ(s, API_SCOPE_READ);
    ASSERT_EQ(api_key_parse_scopes("admin", 5, &s), 0);
    ASSERT_EQ(s, API_SCOPE_READ | API_SCOPE_ADMIN);
    ASSERT_EQ(api_key_parse_scopes("", 0, &s), -1);
    ASSERT_EQ(api_key_parse_scopes("write", 5, &s), -1);
    ASSERT_EQ(api_key_parse_scopes("read,", 5, &s), 0);
}

TEST(key_row_from_its_text)
{
    api_key_t k;
    unsigned char want[32];
    sha256_digest("secret", 6, want);
    ASSERT_EQ(api_key_from_text(&k, H_SECRET, 64, "read,admin", 10, 120), 0);
    ASSERT_EQ(memcmp(k.hash, want, 32), 0);
    ASSERT_EQ(k.scopes, API_SCOPE_READ | API_SCOPE_ADMIN);
    ASSERT_EQ(k.per_minute, 120);
    char upper[65];
    for (int i = 0; i < 64; i++)
        upper[i] = H_SECRET[i] >= 'a' ? (char)(H_SECRET[i] - 32) : H_SECRET[i];
    upper[64] = '\0';
    ASSERT_EQ(api_key_from_text(&k, upper, 64, "read", 4, 0), 0);
    ASSERT_EQ(memcmp(k.hash, want, 32), 0);
    ASSERT_EQ(api_key_from_text(&k, H_SECRET, 63, "read", 4, 0), -1);
    upper[0] = 'z';
    ASSERT_EQ(api_key_from_text(&k, upper, 64, "read", 4, 0), -1);
    ASSERT_EQ(api_key_from_text(&k, H_SECRET, 64, "write", 5, 0), -1);
    ASSERT_EQ(api_key_from_text(&k, H_SECRET, 64, "read", 4, -1), -1);
}

TEST_MAIN()
