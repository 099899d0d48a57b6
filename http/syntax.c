/* RFC 9112 / 9110 checks on request bytes that llhttp 8.1 leaves to us
 * (http/syntax.h). */
#include <string.h>
#include <strings.h>

#include "http/syntax.h"

long http_head_scan(http_head_scan_t *s, const char *p, size_t n, const char **why)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)p[i];
        if (s->after_cr) {
            if (ch != '\n') {
                *why = "bare CR in the request head";
                return -1;
            }
            s->after_cr = false;
            if (s->in_line) {
                s->in_line = false;
                s->seen_a_line = true;
            } else if (s->seen_a_line) {
                s->done = true; /* the blank line: the head ends here */
                return (long)(i + 1);
            }
            continue;
        }
        if (ch == '\r') {
            s->after_cr = true;
        } else if (ch == '\n') {
            *why = "bare LF in the request head (lines end in CRLF)";
            return -1;
        } else if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
            *why = "control character in the request head";
            return -1;
        } else {
            s->in_line = true;
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
static bool is_reg_name_char(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           (ch && strchr("-._~!$&'()*+,;=", ch));
}

bool http_host_valid(const char *v, size_t n)
{
    size_t i = 0;
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
            } else if (!is_reg_name_char((unsigned char)v[i])) {
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
