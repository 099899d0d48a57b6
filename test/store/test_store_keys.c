/* Unit tests of the API keys' pure parts (store/keys.c): the keys made
 * for `scifind keys add` and the names they may have. */
#include <string.h>

#include "core/api_key.h"
#include "core/sha256.h"
#include "http/auth.h"
#include "store/keys.h"
#include "test/test.h"

static int is_base64url(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

TEST(generated_key_is_prefix_and_43_base64url_characters)
{
    char key[STORE_KEY_SIZE];
    ASSERT_EQ(store_keys_generate(key), 0);
    ASSERT_EQ(strncmp(key, "sf_", 3), 0);
    ASSERT_EQ(strlen(key), 3 + 43);
    for (size_t i = 3; key[i]; i++)
        ASSERT(is_base64url(key[i]));
}

TEST(generated_keys_differ)
{
    char a[STORE_KEY_SIZE], b[STORE_KEY_SIZE];
    ASSERT_EQ(store_keys_generate(a), 0);
    ASSERT_EQ(store_keys_generate(b), 0);
    ASSERT(strcmp(a, b) != 0);
}

TEST(generated_key_is_accepted_by_its_hash)
{
    /* What `keys add` stores is what the middleware matches. */
    char key[STORE_KEY_SIZE], hash[SHA256_HEX_SIZE];
    ASSERT_EQ(store_keys_generate(key), 0);
    sha256_hex(key, strlen(key), hash);
    char msg[64];
    http_auth_t *set = http_auth_new(NULL, NULL, msg, sizeof msg);
    ASSERT_NOT_NULL(set);
    ASSERT_EQ(http_auth_add(set, hash, "read,admin", 0), 0);
    ASSERT_EQ_U(http_auth_check(set, key, strlen(key)), HTTP_SCOPE_READ | HTTP_SCOPE_ADMIN);
    ASSERT_EQ_U(http_auth_check(set, key, strlen(key) - 1), 0);
    http_auth_free(set);
}

TEST(key_names_are_plain_words)
{
    ASSERT_EQ(store_keys_check_name("team-a"), 0);
    ASSERT_EQ(store_keys_check_name("ops@example.org"), 0);
    ASSERT_EQ(store_keys_check_name("ci_2026.11"), 0);
    ASSERT_EQ(store_keys_check_name(""), -1);
    ASSERT_EQ(store_keys_check_name("two words"), -1);
    ASSERT_EQ(store_keys_check_name("semi;colon"), -1);
    ASSERT_EQ(store_keys_check_name("tab\there"), -1);
    char longest[STORE_KEY_NAME_MAX + 2];
    memset(longest, 'a', sizeof longest);
    longest[STORE_KEY_NAME_MAX] = '\0';
    ASSERT_EQ(store_keys_check_name(longest), 0);
    longest[STORE_KEY_NAME_MAX] = 'a';
    longest[STORE_KEY_NAME_MAX + 1] = '\0';
    ASSERT_EQ(store_keys_check_name(longest), -1);
}

TEST_MAIN()
