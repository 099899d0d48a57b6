/* RFC 9112 / 9110 checks on request bytes that llhttp 8.1 leaves to us
 * (http/syntax.h). */
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "http/syntax.h"

/* What each byte is to the head scan: most are plain and skipped in a
 * tight loop (this runs over every request's head). */
enum { B_PLAIN, B_CR, B_LF, B_BAD };
static const unsigned char head_class[256] = {
    [0x00] = B_BAD, [0x01] = B_BAD, [0x02] = B_BAD, [0x03] = B_BAD, [0x04] = B_BAD, [0x05] = B_BAD,
    [0x06] = B_BAD, [0x07] = B_BAD, [0x08] = B_BAD, ['\n'] = B_LF,  [0x0b] = B_BAD, [0x0c] = B_BAD,
    ['\r'] = B_CR,  [0x0e] = B_BAD, [0x0f] = B_BAD, [0x10] = B_BAD, [0x11] = B_BAD, [0x12] = B_BAD,
    [0x13] = B_BAD, [0x14] = B_BAD, [0x15] = B_BAD, [0x16] = B_BAD, [0x17] = B_BAD, [0x18] = B_BAD,
    [0x19] = B_BAD, [0x1a] = B_BAD, [0x1b] = B_BAD, [0x1c] = B_BAD, [0x1d] = B_BAD, [0x1e] = B_BAD,
    [0x1f] = B_BAD, [0x7f] = B_BAD,
};

/* The high bit of each of the 8 bytes of w that is below 0x20 or is 0x7f
 * (the lowest one set marks the first such byte exactly): "hasless" and
 * "haszero" of Sean Anderson's Bit Twiddling Hacks. */
static inline uint64_t special_bytes(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    uint64_t del = w ^ (ones * 0x7f);
    return (((w - ones * 0x20) & ~w) | ((del - ones) & ~del)) & highs;
}

/* Index of the first byte of u[i..n) that is not plain, or n. Eight bytes
 * at a time where the byte order lets the lowest flag name the byte. */
static size_t skip_plain(const unsigned char *u, size_t i, size_t n)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    while (i + 8 <= n) {
        uint64_t w, m;
        memcpy(&w, u + i, 8);
        m = special_bytes(w);
        if (!m) {
            i += 8;
            continue;
        }
        i += (size_t)__builtin_ctzll(m) / 8;
        if (head_class[u[i]] != B_PLAIN) return i;
        i++; /* a tab */
    }
#endif
    while (i < n && head_class[u[i]] == B_PLAIN)
        i++;
    return i;
}

long http_head_scan(http_head_scan_t *s, const char *p, size_t n, const char **why)
{
    const unsigned char *u = (const unsigned char *)p;
    size_t i = 0;
    while (i < n) {
        if (s->after_cr) {
            if (u[i] != '\n') {
                *why = "bare CR in the request head";
                return -1;
            }
            s->after_cr = false;
            i++;
            if (s->in_line) {
                s->in_line = false;
                s->seen_a_line = true;
            } else if (s->seen_a_line) {
                s->done = true; /* the blank line: the head ends here */
                return (long)i;
            }
            continue;
        }
        size_t start = i;
        i = skip_plain(u, i, n);
        if (i > start) s->in_line = true;
        if (i == n) break;
        switch (head_class[u[i]]) {
        case B_CR:
            s->after_cr = true;
            i++;
            break;
        case B_LF:
            *why = "bare LF in the request head (lines end in CRLF)";
            return -1;
        default:
            *why = "control character in the request head";
            return -1;
        }
    }
    return (long)n;
}

static bool is_hex(unsigned char ch)
{
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

bool http_percent_valid(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '%') continue;
        if (n - i < 3 || !is_hex((unsigned char)s[i + 1]) || !is_hex((unsigned char)s[i + 2]))
            return false;
        i += 2;
    }
    return true;
}

/* unreserved / sub-delims of RFC 3986 (pct-encoded is checked apart). */
static bool reg_name_char[256];

static void reg_name_init(void)
{
    static const char extra[] = "-._~!$&'()*+,;=";
    for (int c = 0; c < 256; c++)
        reg_name_char[c] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                           (c >= '0' && c <= '9') || (c && strchr(extra, c));
}

bool http_host_valid(const char *v, size_t n)
{
    static bool ready;
    size_t i = 0;
    if (!ready) {
        reg_name_init();
        ready = true;
    }
    if (n && v[0] == '[') {
        /* IP-literal: hex digits, ':' and '.' (IPv6 with an embedded IPv4). */
        for (i = 1; i < n && v[i] != ']'; i++)
            if (!is_hex((unsigned char)v[i]) && v[i] != ':' && v[i] != '.') return false;
        if (i == n || i == 1) return false;
        i++;
    } else {
        for (; i < n && v[i] != ':'; i++) {
            if (v[i] == '%') {
                if (!http_percent_valid(v + i, n - i < 3 ? n - i : 3)) return false;
                i += 2;
            } else if (!reg_name_char[(unsigned char)v[i]]) {
                return false;
            }
        }
    }
    if (i == n) return true;
    if (v[i] != ':') return false;
    for (i++; i < n; i++)
        if (v[i] < '0' || v[i] > '9') return false;
    return true;
}

const char *http_absolute_form(const char *target, size_t n, const char **authority,
                               size_t *authority_len, size_t *rest_len)
{
    size_t scheme;
    if (n == 0 || target[0] == '/') return NULL; /* origin form: the common case */
    if (n >= 7 && strncasecmp(target, "http://", 7) == 0)
        scheme = 7;
    else if (n >= 8 && strncasecmp(target, "https://", 8) == 0)
        scheme = 8;
    else
        return NULL;
    const char *a = target + scheme;
    size_t left = n - scheme, alen = 0;
    while (alen < left && a[alen] != '/' && a[alen] != '?')
        alen++;
    *authority = a;
    *authority_len = alen;
    *rest_len = left - alen;
    return a + alen;
}
