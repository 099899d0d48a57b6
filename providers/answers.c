/* What a provider's HTTP answer says beyond its status: throttling or a
 * block in disguise (a 200 "Rate exceeded.", a Cloudflare page), and the
 * provider's own error message, bounded and made safe to show. What only
 * one provider does is its adapter's hook (prov_def_t's throttled,
 * json_error, markup_error); this file holds what is common to all. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "providers/common.h"

#define PEEK_BYTES 4096 /* markers are looked for in the first bytes only */

/* True when needle occurs in the first PEEK_BYTES of [s, s+len), ignoring case. */
static bool has_ci(const char *s, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    if (len > PEEK_BYTES) len = PEEK_BYTES;
    for (size_t i = 0; i + n <= len; i++)
        if (strncasecmp(s + i, needle, n) == 0) return true;
    return false;
}

/* s without leading whitespace; *len adjusted. */
static const char *skip_ws(const char *s, size_t *len)
{
    while (*len > 0 && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n'))
        s++, (*len)--;
    return s;
}

static bool is_html(const char *s, size_t len)
{
    s = skip_ws(s, &len);
    return len >= 5 && (strncasecmp(s, "<!doc", 5) == 0 || strncasecmp(s, "<html", 5) == 0);
}

prov_answer_kind_t prov_answer_kind(source_t src, long status, const char *body, size_t len)
{
    if (body == NULL) len = 0;
    size_t blen = len;
    const char *b = len ? skip_ws(body, &blen) : "";
    const prov_def_t *def = prov_def_for(src);
    if (def && def->throttled && def->throttled(status, b, blen)) return PROV_ANSWER_THROTTLED;
    if (status == 429) return PROV_ANSWER_THROTTLED;
    /* A challenge page stands in for the API whatever the status. */
    if (len > 0 && is_html(body, len) &&
        (has_ci(body, len, "captcha") || has_ci(body, len, "cf-chl") ||
         has_ci(body, len, "challenge-platform") || has_ci(body, len, "Attention Required!") ||
         has_ci(body, len, "Just a moment...")))
        return PROV_ANSWER_BLOCKED;
    if (status == 402) return PROV_ANSWER_BLOCKED;
    if (status == 403) {
        /* OpenAlex documents its 403 as "Rate limit exceeded; slow down". */
        if (has_ci(body, len, "rate limit")) return PROV_ANSWER_THROTTLED;
        return PROV_ANSWER_BLOCKED;
    }
    return PROV_ANSWER_NORMAL;
}

/* Copies [s, s+n) into out as one safe line: control bytes become spaces,
 * whitespace runs one space, cut at a UTF-8 character boundary. */
static void put_safe(char *out, size_t outlen, const char *s, size_t n)
{
    if (outlen == 0) return;
    size_t w = 0;
    bool space = false;
    for (size_t i = 0; i < n && w + 1 < outlen; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f || c == ' ') {
            space = w > 0;
            continue;
        }
        if (space) {
            if (w + 2 >= outlen) break;
            out[w++] = ' ';
            space = false;
        }
        out[w++] = (char)c;
    }
    /* Do not end inside a multi-byte character. */
    if (w > 0 && (unsigned char)out[w - 1] >= 0x80) {
        size_t k = w;
        while (k > 0 && ((unsigned char)out[k - 1] & 0xC0) == 0x80)
            k--;
        if (k > 0 && (unsigned char)out[k - 1] >= 0xC0) {
            unsigned char lead = (unsigned char)out[k - 1];
            size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
            if (w - (k - 1) < need) w = k - 1;
        }
    }
    out[w] = '\0';
}

void prov_msg_add(prov_msg_t *m, const json_t *v)
{
    const char *s = json_string_value(v);
    if (s == NULL) return;
    size_t len = json_string_length(v);
    if (len > sizeof m->buf - 1 - m->n) len = sizeof m->buf - 1 - m->n;
    memcpy(m->buf + m->n, s, len);
    m->n += len;
}

void prov_msg_lit(prov_msg_t *m, const char *lit)
{
    size_t len = strlen(lit);
    if (len > sizeof m->buf - 1 - m->n) len = sizeof m->buf - 1 - m->n;
    memcpy(m->buf + m->n, lit, len);
    m->n += len;
}

/* "error" and "message" of root, or "error.message". */
static void json_message(const json_t *root, prov_msg_t *m)
{
    const json_t *e = prov__json_nonempty(root, "error");
    const json_t *msg = prov__json_nonempty(root, "message");
    if (e != NULL || msg != NULL) {
        if (e != NULL) prov_msg_add(m, e);
        if (e != NULL && msg != NULL) prov_msg_lit(m, ": ");
        if (msg != NULL) prov_msg_add(m, msg);
    } else { /* {"error":{"message"}} */
        prov_msg_add(m, prov__json_nonempty(json_object_get(root, "error"), "message"));
    }
}

void prov_error_text(source_t src, const char *body, size_t len, char *out, size_t outlen)
{
    if (outlen == 0) return;
    out[0] = '\0';
    if (body == NULL || len == 0) return;
    size_t blen = len;
    const char *b = skip_ws(body, &blen);
    if (blen == 0) return;
    const prov_def_t *def = prov_def_for(src);
    prov_msg_t m = {.n = 0};
    if (b[0] == '{') {
        json_t *root = json_loadb(b, blen, JSON_ALLOW_NUL, NULL);
        if (root != NULL) {
            if (!def || !def->json_error || !def->json_error(root, &m)) json_message(root, &m);
            put_safe(out, outlen, m.buf, m.n);
            json_decref(root);
        }
        return;
    }
    if (b[0] == '<') {
        if (is_html(b, blen)) { /* a page: its <title> says enough */
            const char *t = NULL;
            size_t peek = blen < PEEK_BYTES ? blen : PEEK_BYTES;
            for (size_t i = 0; i + 7 <= peek && t == NULL; i++)
                if (strncasecmp(b + i, "<title>", 7) == 0) t = b + i + 7;
            const char *e = t ? memchr(t, '<', (size_t)(b + peek - t)) : NULL;
            if (t && e) put_safe(out, outlen, t, (size_t)(e - t));
            return;
        }
        if (def && def->markup_error) def->markup_error(b, blen, &m);
        put_safe(out, outlen, m.buf, m.n);
        return;
    }
    /* Plain text ("Rate exceeded.", "Resource not found."): its first line. */
    const char *nl = memchr(b, '\n', blen);
    put_safe(out, outlen, b, nl ? (size_t)(nl - b) : blen);
}
