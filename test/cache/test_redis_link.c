/* redis.url as the Redis link reads it (cache/redis_link.c). */
#include <string.h>

#include "cache/redis_link.h"
#include "test/test.h"

typedef struct url {
    int rc;
    char host[64], user[16], password[16];
    int port, db;
} url_t;

static url_t parse(const char *s)
{
    url_t u;
    memset(&u, 0, sizeof u);
    u.rc = cache_redis_parse_url(s, u.host, sizeof u.host, &u.port, u.user, sizeof u.user,
                                 u.password, sizeof u.password, &u.db);
    return u;
}

TEST(redis_url_host_port_db)
{
    url_t u = parse("redis://cache.example:6380/3");
    ASSERT_EQ(u.rc, 0);
    ASSERT_STR_EQ(u.host, "cache.example");
    ASSERT_EQ(u.port, 6380);
    ASSERT_EQ(u.db, 3);
    ASSERT_STR_EQ(u.user, "");
    ASSERT_STR_EQ(u.password, "");
}

TEST(redis_url_defaults_port_6379_db_0)
{
    url_t u = parse("redis://localhost");
    ASSERT_EQ(u.rc, 0);
    ASSERT_STR_EQ(u.host, "localhost");
    ASSERT_EQ(u.port, 6379);
    ASSERT_EQ(u.db, 0);
    u = parse("redis://localhost/");
    ASSERT_EQ(u.rc, 0);
    ASSERT_EQ(u.db, 0);
}

TEST(redis_url_user_and_password)
{
    url_t u = parse("redis://app:s3cret@10.0.0.5:6379/1");
    ASSERT_EQ(u.rc, 0);
    ASSERT_STR_EQ(u.user, "app");
    ASSERT_STR_EQ(u.password, "s3cret");
    ASSERT_STR_EQ(u.host, "10.0.0.5");
    ASSERT_EQ(u.db, 1);
    u = parse("redis://:only@h"); /* AUTH with a password alone */
    ASSERT_EQ(u.rc, 0);
    ASSERT_STR_EQ(u.user, "");
    ASSERT_STR_EQ(u.password, "only");
    u = parse("redis://p@ss@h"); /* the last @ ends the credentials */
    ASSERT_EQ(u.rc, 0);
    ASSERT_STR_EQ(u.password, "p@ss");
    ASSERT_STR_EQ(u.host, "h");
}

TEST(redis_url_ipv6)
{
    url_t u = parse("redis://[::1]:6390/2");
    ASSERT_EQ(u.rc, 0);
    ASSERT_STR_EQ(u.host, "::1");
    ASSERT_EQ(u.port, 6390);
    ASSERT_EQ(u.db, 2);
    u = parse("redis://[::1]");
    ASSERT_EQ(u.rc, 0);
    ASSERT_EQ(u.port, 6379);
    ASSERT_EQ(parse("redis://[::1:6379").rc, -1);
}

TEST(redis_url_unix_socket)
{
    url_t u = parse("unix:///run/redis/redis.sock");
    ASSERT_EQ(u.rc, 0);
    ASSERT_STR_EQ(u.host, "/run/redis/redis.sock");
    ASSERT_EQ(u.port, 0);
    ASSERT_EQ(u.db, 0);
    u = parse("unix:///run/redis.sock?db=4");
    ASSERT_EQ(u.rc, 0);
    ASSERT_STR_EQ(u.host, "/run/redis.sock");
    ASSERT_EQ(u.db, 4);
    ASSERT_EQ(parse("unix://relative.sock").rc, -1);
}

TEST(redis_url_refused)
{
    const char *bad[] = {
        "",
        "http://localhost:6379",
        "rediss://localhost", /* TLS is not supported */
        "redis://",
        "redis://:6379",
        "redis://h:0",
        "redis://h:65536",
        "redis://h:-1",
        "redis://h/-1",
        "redis://averyveryveryverylonguser:pw@h",    /* longer than the user buffer */
        "redis://u:averyveryveryverylongpassword@h", /* longer than the password buffer */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        url_t u = parse(bad[i]);
        if (u.rc != -1) fprintf(stderr, "accepted: %s\n", bad[i]);
        ASSERT_EQ(u.rc, -1);
    }
}

TEST_MAIN()
