/* core/page_cursor: the deep-paging cursor round-trips, and a malformed,
 * tampered, expired or other query's cursor is refused. */
#include <string.h>

#include "core/clock.h"
#include "core/page_cursor.h"
#include "test/test.h"

static const char secret[] = "deployment-secret";
#define NOW 1700000000000LL

static void sample(page_cursor_t *c, const char *key)
{
    memset(c, 0, sizeof *c);
    page_cursor_query_hash(key, c->query_hash);
    c->expires_ms = NOW + 60000;
    c->consumed = 40;
    c->prov[0].has_pos = 1;
    strcpy(c->prov[0].pos, "IlsxNjA5MzcyODAwMDAwLCAnaHR0cHM6Ly9vcGVuYWxleC5vcmcvVzI0ODgnXSI=");
    c->prov[1].done = 1;
    if (SRC_COUNT > 2) {
        c->prov[2].has_pos = 1;
        strcpy(c->prov[2].pos, "40");
    }
}

static page_cursor_status_t decode(const char *text, const char *key, int64_t now,
                                   page_cursor_t *out)
{
    unsigned char h[16];
    page_cursor_query_hash(key, h);
    return page_cursor_decode(text, strlen(text), secret, sizeof secret - 1, h, now, out);
}

TEST(round_trip_keeps_every_position)
{
    page_cursor_t c, d;
    char text[PAGE_CURSOR_TEXT_MAX];
    sample(&c, "q=graph neural");
    int n = page_cursor_encode(&c, secret, sizeof secret - 1, text);
    ASSERT_GT(n, 0);
    ASSERT_EQ(strspn(text, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
              (size_t)n);
    ASSERT_EQ(decode(text, "q=graph neural", NOW, &d), PAGE_CURSOR_OK);
    ASSERT_EQ(d.consumed, 40);
    ASSERT_EQ(d.expires_ms, NOW + 60000);
    for (int s = 0; s < SRC_COUNT; s++) {
        ASSERT_EQ(d.prov[s].has_pos, c.prov[s].has_pos);
        ASSERT_EQ(d.prov[s].done, c.prov[s].done);
        ASSERT_STR_EQ(d.prov[s].pos, c.prov[s].pos);
    }
}

TEST(every_length_of_position_round_trips)
{
    /* the base64url tail has 0, 1 or 2 leftover bytes */
    for (int len = 0; len < 8; len++) {
        page_cursor_t c, d;
        char text[PAGE_CURSOR_TEXT_MAX];
        sample(&c, "k");
        memset(c.prov[0].pos, 'x', (size_t)len);
        c.prov[0].pos[len] = '\0';
        ASSERT_GT(page_cursor_encode(&c, secret, sizeof secret - 1, text), 0);
        ASSERT_EQ(decode(text, "k", NOW, &d), PAGE_CURSOR_OK);
        ASSERT_STR_EQ(d.prov[0].pos, c.prov[0].pos);
    }
}

TEST(malformed_is_refused)
{
    page_cursor_t d;
    ASSERT_EQ(decode("", "k", NOW, &d), PAGE_CURSOR_MALFORMED);
    ASSERT_EQ(decode("not a cursor!", "k", NOW, &d), PAGE_CURSOR_MALFORMED);
    ASSERT_EQ(decode("AAAA", "k", NOW, &d), PAGE_CURSOR_MALFORMED);
    page_cursor_t c;
    char text[PAGE_CURSOR_TEXT_MAX];
    sample(&c, "k");
    int n = page_cursor_encode(&c, secret, sizeof secret - 1, text);
    text[n - 5] = '\0'; /* truncated */
    ASSERT_NE(decode(text, "k", NOW, &d), PAGE_CURSOR_OK);
}

TEST(tampered_or_other_secret_is_refused)
{
    page_cursor_t c, d;
    char text[PAGE_CURSOR_TEXT_MAX];
    sample(&c, "k");
    int n = page_cursor_encode(&c, secret, sizeof secret - 1, text);
    /* change one character of the consumed count's region */
    text[40] = text[40] == 'A' ? 'B' : 'A';
    ASSERT_EQ(decode(text, "k", NOW, &d), PAGE_CURSOR_TAMPERED);
    unsigned char h[16];
    page_cursor_query_hash("k", h);
    page_cursor_encode(&c, "other", 5, text);
    ASSERT_EQ(page_cursor_decode(text, (size_t)n, secret, sizeof secret - 1, h, NOW, &d),
              PAGE_CURSOR_TAMPERED);
}

TEST(expired_is_refused)
{
    page_cursor_t c, d;
    char text[PAGE_CURSOR_TEXT_MAX];
    sample(&c, "k");
    page_cursor_encode(&c, secret, sizeof secret - 1, text);
    ASSERT_EQ(decode(text, "k", NOW + 59999, &d), PAGE_CURSOR_OK);
    ASSERT_EQ(decode(text, "k", NOW + 60000, &d), PAGE_CURSOR_EXPIRED);
}

TEST(other_query_is_refused)
{
    page_cursor_t c, d;
    char text[PAGE_CURSOR_TEXT_MAX];
    sample(&c, "q=graph neural");
    page_cursor_encode(&c, secret, sizeof secret - 1, text);
    ASSERT_EQ(decode(text, "q=graph neural networks", NOW, &d), PAGE_CURSOR_OTHER_QUERY);
}

TEST(too_long_position_is_not_written)
{
    page_cursor_t c;
    char text[PAGE_CURSOR_TEXT_MAX];
    sample(&c, "k");
    for (int s = 0; s < SRC_COUNT; s++) {
        c.prov[s].has_pos = 1;
        memset(c.prov[s].pos, 'y', PAGE_CURSOR_POS_MAX);
        c.prov[s].pos[PAGE_CURSOR_POS_MAX] = '\0';
    }
    /* SRC_COUNT full positions are more than a cursor holds */
    if (SRC_COUNT * (PAGE_CURSOR_POS_MAX + 3) > (PAGE_CURSOR_TEXT_MAX - 1) / 4 * 3)
        ASSERT_EQ(page_cursor_encode(&c, secret, sizeof secret - 1, text), -1);
}

TEST(next_then_apply_gives_the_next_offset_until_expiry)
{
    arena_t *a = arena_new(0);
    query_t q;
    char err[128], text[PAGE_CURSOR_TEXT_MAX];
    clock_fake_start(1, NOW);
    ASSERT_EQ(query_parse_params(&q, "query=graph&limit=5&offset=10", 29, a, err, sizeof err), 0);
    ASSERT_EQ(page_cursor_next(&q, 5, 100, a, text), 1);
    ASSERT_EQ(page_cursor_next(&q, 5, 15, a, text), 0); /* the last page */
    ASSERT_EQ(page_cursor_next(&q, 5, 100, a, text), 1);
    query_t n;
    ASSERT_EQ(query_parse_params(&n, "query=graph&limit=5", 19, a, err, sizeof err), 0);
    n.cursor = text;
    ASSERT_EQ(page_cursor_apply(&n, a), PAGE_CURSOR_OK);
    ASSERT_EQ(n.offset, 15);
    n.offset = 0;
    n.limit = 6; /* another limit is another query */
    ASSERT_EQ(page_cursor_apply(&n, a), PAGE_CURSOR_OTHER_QUERY);
    n.limit = 5;
    n.offset = 3;
    ASSERT_EQ(page_cursor_apply(&n, a), PAGE_CURSOR_WITH_OFFSET);
    n.offset = 0;
    clock_fake_advance_ms(PAGE_CURSOR_TTL_MS + PAGE_CURSOR_EXPIRY_STEP_MS);
    ASSERT_EQ(page_cursor_apply(&n, a), PAGE_CURSOR_EXPIRED);
    clock_fake_stop();
    arena_free(a);
}

TEST_MAIN()
