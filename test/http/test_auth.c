/* API keys in the middleware: key lists and files, key rows, constant-time
 * check (SHA-256 and scopes: test/core/test_api_key.c). */
#include <stdio.h>
#include <string.h>

#include "http/auth.h"
#include "test/test.h"

/* sha256("secret") and sha256("other") */
#define H_SECRET "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b"
#define H_OTHER "d9298a10d1b0735837dc4bd85dac641b0f3cef27a47e5d53a54f2f3f5b2fcffa"

TEST(keys_list_gives_scopes_admin_implies_read)
{
    char err[256] = "";
    http_auth_t *a = http_auth_new(H_SECRET ":admin, " H_OTHER ":read", NULL, err, sizeof err);
    ASSERT_NOT_NULL(a);
    ASSERT_EQ(http_auth_count(a), 2);
    ASSERT_EQ(http_auth_check(a, "secret", 6), HTTP_SCOPE_ADMIN | HTTP_SCOPE_READ);
    ASSERT_EQ(http_auth_check(a, "other", 5), HTTP_SCOPE_READ);
    ASSERT_EQ(http_auth_check(a, "secreT", 6), 0);
    ASSERT_EQ(http_auth_check(a, "", 0), 0);
    http_auth_free(a);
}

TEST(a_key_added_with_its_own_rate_limit)
{
    char err[256] = "";
    http_auth_t *a = http_auth_new(NULL, NULL, err, sizeof err);
    ASSERT_NOT_NULL(a);
    ASSERT_EQ(http_auth_add(a, H_SECRET, "read", 120), 0);
    ASSERT_EQ(http_auth_add(a, H_OTHER, "read,admin", 0), 0);
    ASSERT_EQ(http_auth_add(a, H_OTHER, "read", -1), -1);
    ASSERT_EQ(http_auth_add(a, "abc", "read", 0), -1);
    long per_minute = -5;
    ASSERT_EQ(http_auth_lookup(a, "secret", 6, &per_minute), HTTP_SCOPE_READ);
    ASSERT_EQ(per_minute, 120);
    ASSERT_EQ(http_auth_lookup(a, "other", 5, &per_minute), HTTP_SCOPE_ADMIN | HTTP_SCOPE_READ);
    ASSERT_EQ(per_minute, 0);
    ASSERT_EQ(http_auth_lookup(a, "nope", 4, &per_minute), 0);
    ASSERT_EQ(per_minute, 0);
    http_auth_free(a);
}

TEST(uppercase_hex_hashes_are_accepted)
{
    char err[256] = "", up[65];
    for (int i = 0; i < 64; i++)
        up[i] = (char)(H_SECRET[i] >= 'a' ? H_SECRET[i] - 32 : H_SECRET[i]);
    up[64] = '\0';
    char list[128];
    snprintf(list, sizeof list, "%s:read", up);
    http_auth_t *a = http_auth_new(list, "", err, sizeof err);
    ASSERT_NOT_NULL(a);
    ASSERT_EQ(http_auth_check(a, "secret", 6), HTTP_SCOPE_READ);
    http_auth_free(a);
}

TEST(bad_entries_are_refused_with_a_message)
{
    char err[256] = "";
    ASSERT_NULL(http_auth_new("abc:read", NULL, err, sizeof err));
    ASSERT_STR_CONTAINS(err, "auth.keys");
    ASSERT_NULL(http_auth_new(H_SECRET ":root", NULL, err, sizeof err));
    ASSERT_NULL(http_auth_new(H_SECRET, NULL, err, sizeof err));
    ASSERT_NULL(http_auth_new(NULL, "/nonexistent/keys", err, sizeof err));
    ASSERT_STR_CONTAINS(err, "cannot open");
}

TEST(keys_file_with_comments)
{
    char path[] = "/tmp/sf_keysXXXXXX", err[256] = "";
    int fd = mkstemp(path);
    ASSERT_GE(fd, 0);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "# ops keys\n\n%s read,admin  # the admin\n%s read\n", H_SECRET, H_OTHER);
    fclose(f);
    http_auth_t *a = http_auth_new("", path, err, sizeof err);
    ASSERT_NOT_NULL(a);
    ASSERT_EQ(http_auth_count(a), 2);
    ASSERT_EQ(http_auth_check(a, "secret", 6), HTTP_SCOPE_ADMIN | HTTP_SCOPE_READ);
    ASSERT_EQ(http_auth_check(a, "other", 5), HTTP_SCOPE_READ);
    http_auth_free(a);
    f = fopen(path, "w");
    fprintf(f, "%s\n", H_SECRET);
    fclose(f);
    ASSERT_NULL(http_auth_new("", path, err, sizeof err));
    ASSERT_STR_CONTAINS(err, "line 1");
    unlink(path);
}

TEST(key_rows_make_a_set)
{
    /* The rows the store loads from its api_keys table. */
    api_key_t rows[2];
    ASSERT_EQ(api_key_from_text(&rows[0], H_SECRET, 64, "read", 4, 30), 0);
    ASSERT_EQ(api_key_from_text(&rows[1], H_OTHER, 64, "admin", 5, 0), 0);
    http_auth_t *a = http_auth_from_keys(rows, 2);
    ASSERT_NOT_NULL(a);
    ASSERT_EQ(http_auth_count(a), 2);
    long per_minute = -1;
    ASSERT_EQ(http_auth_lookup(a, "secret", 6, &per_minute), HTTP_SCOPE_READ);
    ASSERT_EQ(per_minute, 30);
    ASSERT_EQ(http_auth_check(a, "other", 5), HTTP_SCOPE_ADMIN | HTTP_SCOPE_READ);
    ASSERT_EQ(http_auth_check(a, "nobody", 6), 0);
    http_auth_free(a);
    a = http_auth_from_keys(NULL, 0);
    ASSERT_NOT_NULL(a);
    ASSERT_EQ(http_auth_count(a), 0);
    http_auth_free(a);
}

TEST_MAIN()
