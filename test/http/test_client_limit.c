/* Client rate limit: CIDR matching, the token bucket, the shared table. */
#include <string.h>
#include <sys/socket.h>

#include "http/client_limit.h"
#include "test/test.h"

#define SEC 1000000000ll

static bool in(const char *list, const char *ip)
{
    http_cidr_t *c;
    size_t n;
    char err[128] = "";
    if (http_cidr_list_parse(list, &c, &n, err, sizeof err) < 0) return false;
    bool m = http_cidr_match_str(c, n, ip, strlen(ip));
    free(c);
    return m;
}

TEST(cidr_matching_v4_v6_and_mapped)
{
    ASSERT(in("10.0.0.0/8", "10.1.2.3"));
    ASSERT(!in("10.0.0.0/8", "11.0.0.1"));
    ASSERT(in("192.168.1.0/25", "192.168.1.127"));
    ASSERT(!in("192.168.1.0/25", "192.168.1.128"));
    ASSERT(in("127.0.0.1", "127.0.0.1"));
    ASSERT(!in("127.0.0.1", "127.0.0.2"));
    ASSERT(in("0.0.0.0/0", "8.8.8.8"));
    ASSERT(in("::1", "::1"));
    ASSERT(in("fd00::/8", "fd12:3456::1"));
    ASSERT(!in("fd00::/8", "fe80::1"));
    ASSERT(in("10.0.0.0/8", "::ffff:10.9.9.9")); /* v4-mapped */
    ASSERT(!in("10.0.0.0/8", "fd00::1"));
    ASSERT(in(" 10.0.0.0/8 , 172.16.0.0/12 ", "172.20.1.1"));
    ASSERT(!in("10.0.0.0/8", "not-an-ip"));
}

TEST(bad_cidrs_are_refused)
{
    http_cidr_t *c;
    size_t n;
    char err[128] = "";
    ASSERT_EQ(http_cidr_list_parse("10.0.0.0/33", &c, &n, err, sizeof err), -1);
    ASSERT_STR_CONTAINS(err, "10.0.0.0/33");
    ASSERT_EQ(http_cidr_list_parse("10.0.0.0/", &c, &n, err, sizeof err), -1);
    ASSERT_EQ(http_cidr_list_parse("example.org", &c, &n, err, sizeof err), -1);
    ASSERT_EQ(http_cidr_list_parse("::/129", &c, &n, err, sizeof err), -1);
    ASSERT_EQ(http_cidr_list_parse("", &c, &n, err, sizeof err), 0);
    ASSERT_EQ(n, 0);
}

TEST(bucket_allows_burst_then_refuses_then_refills)
{
    shm_client_bucket_t b = {.key = 1, .tokens = 3, .refilled_ns = 1};
    http_limit_verdict_t v;
    int64_t t = 10 * SEC;
    for (int i = 0; i < 3; i++) {
        http_bucket_take(&b, 2.0, 3.0, t, true, &v);
        ASSERT(v.allowed);
        ASSERT_EQ(v.remaining, 2 - i);
        ASSERT_EQ(v.limit, 3);
    }
    http_bucket_take(&b, 2.0, 3.0, t, true, &v);
    ASSERT(!v.allowed);
    ASSERT_EQ(v.retry_after, 1);
    ASSERT_EQ(v.reset_s, 2);                               /* 3 tokens at 2/s */
    http_bucket_take(&b, 2.0, 3.0, t + SEC / 2, true, &v); /* one token back */
    ASSERT(v.allowed);
    ASSERT_EQ(v.remaining, 0);
    http_bucket_take(&b, 2.0, 3.0, t + 100 * SEC, false, &v); /* never above the burst */
    ASSERT_EQ(v.remaining, 3);
}

TEST(slow_rate_gives_longer_retry_after)
{
    shm_client_bucket_t b = {.key = 1, .tokens = 0, .refilled_ns = SEC};
    http_limit_verdict_t v;
    http_bucket_take(&b, 0.1, 1.0, SEC, true, &v);
    ASSERT(!v.allowed);
    ASSERT_EQ(v.retry_after, 10);
}

TEST(table_keeps_clients_apart)
{
    shm_client_bucket_t table[64];
    memset(table, 0, sizeof table);
    http_limit_verdict_t v;
    uint64_t a = http_client_key("addr", "10.0.0.1", 8), b = http_client_key("addr", "10.0.0.2", 8);
    ASSERT_NE(a, b);
    ASSERT_NE(http_client_key("key", "x", 1), http_client_key("addr", "x", 1));
    for (int i = 0; i < 2; i++) {
        http_client_limit(table, 64, NULL, a, 1.0, 2.0, SEC, true, &v);
        ASSERT(v.allowed);
    }
    http_client_limit(table, 64, NULL, a, 1.0, 2.0, SEC, true, &v);
    ASSERT(!v.allowed);
    http_client_limit(table, 64, NULL, b, 1.0, 2.0, SEC, true, &v);
    ASSERT(v.allowed);
    http_client_limit(table, 64, NULL, a, 1.0, 2.0, SEC, false, &v); /* a look takes nothing */
    ASSERT(!v.allowed);
}

TEST(full_table_evicts_instead_of_refusing)
{
    shm_client_bucket_t table[16];
    memset(table, 0, sizeof table);
    http_limit_verdict_t v;
    /* 100 busy clients in 16 slots: every new one still gets its burst. */
    for (uint64_t k = 1; k <= 100; k++) {
        http_client_limit(table, 16, NULL, k, 0.001, 1.0, SEC + (int64_t)k, true, &v);
        ASSERT(v.allowed);
    }
}

TEST(fold_lowers_the_bucket_to_the_instance_wide_tokens)
{
    shm_client_bucket_t b = {.key = 1, .tokens = 4, .refilled_ns = SEC};
    http_limit_verdict_t v;
    http_bucket_fold(&b, 1.0, 4.0, SEC, 0.5); /* the other instances spent the rest */
    http_bucket_take(&b, 1.0, 4.0, SEC, true, &v);
    ASSERT(!v.allowed);
    ASSERT_EQ(v.remaining, 0);
    ASSERT_EQ(v.retry_after, 1);
    http_bucket_fold(&b, 1.0, 4.0, SEC, 3.0); /* never raised: this group's takes count too */
    http_bucket_take(&b, 1.0, 4.0, SEC, false, &v);
    ASSERT(!v.allowed);
}

TEST(fold_refills_first_then_lowers)
{
    shm_client_bucket_t b = {.key = 1, .tokens = 0, .refilled_ns = SEC};
    http_limit_verdict_t v;
    /* 2 s later the bucket holds 2 tokens; Redis says 1.5 are left. */
    http_bucket_fold(&b, 1.0, 4.0, 3 * SEC, 1.5);
    http_bucket_take(&b, 1.0, 4.0, 3 * SEC, true, &v);
    ASSERT(v.allowed);
    ASSERT_EQ(v.remaining, 0);
}

TEST(fold_keeps_a_debt_down_to_minus_burst)
{
    shm_client_bucket_t b = {.key = 1, .tokens = 2, .refilled_ns = SEC};
    http_limit_verdict_t v;
    /* Over-admitted elsewhere: 3 tokens owed, at 1/s the next token is 4 s away. */
    http_bucket_fold(&b, 1.0, 4.0, SEC, -3.0);
    http_bucket_take(&b, 1.0, 4.0, SEC, true, &v);
    ASSERT(!v.allowed);
    ASSERT_EQ(v.remaining, 0); /* the header never goes negative */
    ASSERT_EQ(v.retry_after, 4);
    ASSERT_EQ(v.reset_s, 7);
    http_bucket_fold(&b, 1.0, 4.0, SEC, -100.0); /* floored: at most a burst owed */
    http_bucket_take(&b, 1.0, 4.0, SEC, true, &v);
    ASSERT_EQ(v.retry_after, 5);
}

TEST(table_fold_reaches_the_clients_entry_or_makes_one)
{
    shm_client_bucket_t table[64];
    memset(table, 0, sizeof table);
    http_limit_verdict_t v;
    http_client_limit(table, 64, NULL, 7, 1.0, 3.0, SEC, true, &v);
    ASSERT_EQ(v.remaining, 2);
    http_client_limit_fold(table, 64, NULL, 7, 1.0, 3.0, SEC, 0.0);
    http_client_limit(table, 64, NULL, 7, 1.0, 3.0, SEC, true, &v);
    ASSERT(!v.allowed);
    /* A client this group never saw (or evicted): refused at once all the same. */
    http_client_limit_fold(table, 64, NULL, 8, 1.0, 3.0, SEC, -1.0);
    http_client_limit(table, 64, NULL, 8, 1.0, 3.0, SEC, true, &v);
    ASSERT(!v.allowed);
    ASSERT_EQ(v.retry_after, 2);
}

TEST(shared_reply_is_thousandths_of_tokens)
{
    double t = 99;
    long long ok[] = {-1500};
    ASSERT_EQ(http_client_limit_shared_tokens(ok, 1, &t), 0);
    ASSERT_DBL_EQ(t, -1.5);
    ASSERT_EQ(http_client_limit_shared_tokens(NULL, -1, &t), -1); /* no verdict */
    ASSERT_EQ(http_client_limit_shared_tokens(ok, 0, &t), -1);
}

/* What main.c wires: the script, its key and arguments reach eval. */
static const char *seen_script, *seen_argv[4];
static int seen_nkeys, seen_argc;

static int fake_eval(void *ctx, const char *script, int nkeys, int argc, const char **argv,
                     http_eval_done_fn done, void *data)
{
    (void)ctx, (void)done, (void)data;
    seen_script = script;
    seen_nkeys = nkeys;
    seen_argc = argc;
    for (int i = 0; i < argc && i < 4; i++)
        seen_argv[i] = strdup(argv[i]);
    return 0;
}

TEST(share_sends_the_script_on_the_clients_key)
{
    http_limit_shared_t sh = {.eval = fake_eval};
    ASSERT_EQ(http_client_limit_share(&sh, "sf:", 0xabcull, 3, 5, 20, NULL, NULL), 0);
    ASSERT_PTR_EQ(seen_script, http_client_limit_script);
    ASSERT_STR_CONTAINS(seen_script, "redis.call('TIME')");
    ASSERT_STR_CONTAINS(seen_script, "PEXPIRE");
    ASSERT_EQ(seen_nkeys, 1);
    ASSERT_EQ(seen_argc, 4);
    ASSERT_STR_EQ(seen_argv[0], "sf:rl:0000000000000abc");
    ASSERT_STR_EQ(seen_argv[1], "5");
    ASSERT_STR_EQ(seen_argv[2], "20");
    ASSERT_STR_EQ(seen_argv[3], "3"); /* takes that waited for the call before */
    for (int i = 0; i < 4; i++)
        free((void *)seen_argv[i]);
}

TEST_MAIN()
