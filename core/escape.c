/* Hex digits, percent-decoding and JSON string escaping: escape.h. */
#include "core/escape.h"

#include <string.h>

#include "core/utf8.h"

long pct_decode(const char *s, size_t n, char *out, bool plus_is_space)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%') {
            int h = i + 2 < n ? hex_digit((unsigned char)s[i + 1]) : -1;
            int l = i + 2 < n ? hex_digit((unsigned char)s[i + 2]) : -1;
            if (h < 0 || l < 0) return -1;
            out[o++] = (char)(h * 16 + l);
            i += 2;
        } else if (s[i] == '+' && plus_is_space) {
            out[o++] = ' ';
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
    return (long)o;
}

int qs_next(const char *qs, size_t len, size_t *pos, char *name, size_t name_cap, char *value,
            size_t value_cap, size_t *value_len)
{
    size_t p = *pos, end;
    for (;; p = end + 1) {
        if (p >= len) {
            *pos = len;
            return QS_END;
        }
        end = p;
        while (end < len && qs[end] != '&')
            end++;
        if (end > p) break;
    }
    *pos = end + 1;
    const char *kv = qs + p, *eq = memchr(kv, '=', end - p);
    size_t nl = eq != NULL ? (size_t)(eq - kv) : end - p;
    size_t vl = eq != NULL ? end - p - nl - 1 : 0;
    long k = nl < name_cap ? pct_decode(kv, nl, name, true) : -1;
    if (k < 0 || strlen(name) != (size_t)k) return QS_BAD_NAME;
    long v = vl < value_cap ? pct_decode(eq != NULL ? eq + 1 : "", vl, value, true) : -1;
    if (v < 0 || strlen(value) != (size_t)v) return QS_BAD_VALUE;
    *value_len = (size_t)v;
    return QS_PAIR;
}

size_t json_plain_run(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && (unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f && s[i] != '"' &&
           s[i] != '\\')
        i++;
    return i;
}

size_t json_escape_char(const char *s, size_t n, char out[JSON_ESCAPE_MAX], size_t *used)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *u = (const unsigned char *)s;
    unsigned char c = u[0];
    const char *esc = NULL;
    *used = 1;
    switch (c) {
    case '"':
        esc = "\\\"";
        break;
    case '\\':
        esc = "\\\\";
        break;
    case '\n':
        esc = "\\n";
        break;
    case '\r':
        esc = "\\r";
        break;
    case '\t':
        esc = "\\t";
        break;
    default:
        break;
    }
    if (esc) {
        memcpy(out, esc, 2);
        return 2;
    }
    if (c < 0x20 || c == 0x7f) {
        memcpy(out, "\\u00", 4);
        out[4] = hex[c >> 4];
        out[5] = hex[c & 15];
        return 6;
    }
    size_t len = utf8_seq(u, n);
    if (len == 0) {
        memcpy(out, "\\ufffd", 6);
        return 6;
    }
    *used = len;
    if (len == 3 && c == 0xe2 && u[1] == 0x80 && (u[2] == 0xa8 || u[2] == 0xa9)) {
        memcpy(out, u[2] == 0xa8 ? "\\u2028" : "\\u2029", 6);
        return 6;
    }
    memcpy(out, s, len);
    return len;
}

size_t json_escape_into(char *out, size_t cap, const char *s)
{
    size_t n = strlen(s), o = 0, i = 0;
    while (i < n) {
        size_t run = json_plain_run(s + i, n - i);
        if (run > cap - 1 - o) run = cap - 1 - o;
        memcpy(out + o, s + i, run);
        o += run;
        i += run;
        if (i == n || o == cap - 1) break;
        char e[JSON_ESCAPE_MAX];
        size_t used, k = json_escape_char(s + i, n - i, e, &used);
        if (k > cap - 1 - o) break;
        memcpy(out + o, e, k);
        o += k;
        i += used;
    }
    out[o] = '\0';
    return o;
}
