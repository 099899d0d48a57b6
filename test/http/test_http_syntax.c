/* http/syntax.c: the head scan (every split of the input, a special byte at
 * every offset across the 8-byte words), Host values, percent-encoding and
 * the absolute form. */
#include <string.h>

#include "http/syntax.h"
#include "test/test.h"

/* Scans s in pieces of `step` bytes. Returns the head's length, -1 when
 * refused, 0 when the head did not end. */
static long scan_in_steps(const char *s, size_t n, size_t step)
{
    http_head_scan_t st = {0};
    const char *why = NULL;
    for (size_t off = 0; off < n; off += step) {
        size_t len = n - off < step ? n - off : step;
        long r = http_head_scan(&st, s + off, len, &why);
        if (r < 0) return -1;
        if (st.done) return (long)off + r;
    }
    return 0;
}

static long scan_all_steps(const char *s)
{
    size_t n = strlen(s);
    long first = scan_in_steps(s, n, n ? n : 1);
    for (size_t step = 1; step < n; step++)
        ASSERT_EQ(scan_in_steps(s, n, step), first);
    return first;
}

TEST(head_scan_finds_the_end_of_the_head)
{
    static const char head[] = "GET /health HTTP/1.1\r\nHost: localhost\r\nX-A: a\tb\r\n\r\n";
    char buf[sizeof head + 32];
    snprintf(buf, sizeof buf, "%sGET /next", head);
    ASSERT_EQ(scan_all_steps(buf), (long)strlen(head));
    ASSERT_EQ(scan_all_steps("\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n"), 29);
    ASSERT_EQ(scan_all_steps("GET / HTTP/1.1\r\nHost: x\r\n"), 0);
}

TEST(head_scan_refuses_a_special_byte_at_any_offset)
{
    static const char bad[] = {'\r', '\n', 0x00, 0x01, 0x0b, 0x1f, 0x7f};
    static const char line[] = "X-Long-Header-Name: a value that spans several words";
    for (size_t b = 0; b < sizeof bad; b++) {
        for (size_t at = 0; at < sizeof line - 1; at++) {
            char buf[256];
            int k = snprintf(buf, sizeof buf, "GET / HTTP/1.1\r\n%.*s", (int)at, line);
            buf[k++] = bad[b];
            if (bad[b] == '\r') buf[k++] = 'x'; /* a CR not before LF */
            k += snprintf(buf + k, sizeof buf - (size_t)k, "%s\r\n\r\n", line + at);
            http_head_scan_t st = {0};
            const char *why = NULL;
            ASSERT_EQ(http_head_scan(&st, buf, (size_t)k, &why), -1);
            ASSERT(why != NULL);
        }
    }
}

TEST(head_scan_takes_tabs_and_high_bytes)
{
    ASSERT_EQ(scan_all_steps("GET / HTTP/1.1\r\nX:\t\t\t\t\t\t\t\t\xc3\xa9\x80\xff\r\n\r\n"), 34);
}

TEST(host_values)
{
    static const char *const good[] = {"h",     "h:8080",   "127.0.0.1:1",
                                       "[::1]", "[::1]:80", "xn--bcher-kva.example",
                                       "a%41b", "",         "h:"};
    static const char *const bad[] = {"a b", "a/b", "u@h",  "h:8x",    "[::1", "[]",
                                      "[x]", "a%4", "a%zz", "h:80:80", "a\"b"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        ASSERT(http_host_valid(good[i], strlen(good[i])));
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        ASSERT(!http_host_valid(bad[i], strlen(bad[i])));
}

TEST(percent_encoding)
{
    ASSERT(http_percent_valid("/a%20b?q=%2F", 12));
    ASSERT(http_percent_valid("", 0));
    ASSERT(!http_percent_valid("/health%", 8));
    ASSERT(!http_percent_valid("/health%2", 9));
    ASSERT(!http_percent_valid("/health%zz", 10));
    ASSERT(!http_percent_valid("/a%2", 3 + 1)); /* the escape cut by the length */
}

TEST(absolute_form)
{
    const char *auth;
    size_t alen, rlen;
    const char *rest = http_absolute_form("http://h:1/p?q", 14, &auth, &alen, &rlen);
    ASSERT(rest != NULL);
    ASSERT_EQ(alen, 3);
    ASSERT(memcmp(auth, "h:1", 3) == 0);
    ASSERT_EQ(rlen, 4);
    ASSERT(memcmp(rest, "/p?q", 4) == 0);
    rest = http_absolute_form("HTTPS://h", 9, &auth, &alen, &rlen);
    ASSERT(rest != NULL);
    ASSERT_EQ(rlen, 0);
    ASSERT(http_absolute_form("/p", 2, &auth, &alen, &rlen) == NULL);
    ASSERT(http_absolute_form("ftp://h/", 8, &auth, &alen, &rlen) == NULL);
}

TEST_MAIN()
