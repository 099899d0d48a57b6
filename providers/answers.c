/* What a provider's HTTP answer says beyond its status: throttling or a
 * block in disguise (a 200 "Rate exceeded.", a Cloudflare page), and the
 * provider's own error message, bounded and made safe to show. */
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
    /* arXiv throttles with HTTP 200 (or 503) and a plain "Rate exceeded.",
     * and sometimes with 406 at its edge. */
    if (src == SRC_ARXIV && blen >= 13 && strncasecmp(b, "Rate exceeded", 13) == 0)
        return PROV_ANSWER_THROTTLED;
    if (src == SRC_ARXIV && status == 406) return PROV_ANSWER_THROTTLED;
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

/* Appends len bytes of s to buf, as far as they fit. */
static void add_bytes(char *buf, size_t *n, size_t cap, const char *s, size_t len)
{
    if (len > cap - 1 - *n) len = cap - 1 - *n;
    memcpy(buf + *n, s, len);
    *n += len;
}

/* Appends JSON string v (NULs included: put_safe makes them spaces). */
static void add(char *buf, size_t *n, size_t cap, const json_t *v)
{
    const char *s = json_string_value(v);
    if (s != NULL) add_bytes(buf, n, cap, s, json_string_length(v));
}

static void add_lit(char *buf, size_t *n, size_t cap, const char *lit)
{
    add_bytes(buf, n, cap, lit, strlen(lit));
}

/* obj.key when it is a non-empty string, else NULL. */
static const json_t *jstr(const json_t *obj, const char *key)
{
    const json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
    return json_is_string(v) && json_string_length(v) > 0 ? v : NULL;
}

static void json_message(source_t src, const json_t *root, char *out, size_t outlen)
{
    const json_t *e = jstr(root, "error"), *m = jstr(root, "message");
    char buf[1024];
    size_t n = 0;
    if (src == SRC_CROSSREF) { /* {"message":[{"type","value","message"}]} or {"message":{...}} */
        const json_t *msg = json_object_get(root, "message");
        const json_t *cm = jstr(json_array_get(msg, 0), "message");
        if (cm == NULL) cm = jstr(msg, "description");
        if (cm != NULL) add(buf, &n, sizeof buf, cm);
    } else if (src == SRC_EXA && e != NULL) {
        const json_t *tag = jstr(root, "tag");
        add(buf, &n, sizeof buf, e);
        if (tag != NULL) {
            add_lit(buf, &n, sizeof buf, " (");
            add(buf, &n, sizeof buf, tag);
            add_lit(buf, &n, sizeof buf, ")");
        }
    } else if (e != NULL || m != NULL) {
        if (e != NULL) add(buf, &n, sizeof buf, e);
        if (e != NULL && m != NULL) add_lit(buf, &n, sizeof buf, ": ");
        if (m != NULL) add(buf, &n, sizeof buf, m);
    } else { /* {"error":{"message"}} */
        const json_t *nm = jstr(json_object_get(root, "error"), "message");
        if (nm != NULL) add(buf, &n, sizeof buf, nm);
    }
    put_safe(out, outlen, buf, n);
}

void prov_error_text(source_t src, const char *body, size_t len, char *out, size_t outlen)
{
    if (outlen == 0) return;
    out[0] = '\0';
    if (body == NULL || len == 0) return;
    size_t blen = len;
    const char *b = skip_ws(body, &blen);
    if (blen == 0) return;
    if (b[0] == '{') {
        json_t *root = json_loadb(b, blen, JSON_ALLOW_NUL, NULL);
        if (root != NULL) {
            json_message(src, root, out, outlen);
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
        /* arXiv's Atom error feed: one entry whose summary is the message. */
        arena_t *a = arena_new(0);
        prov_result_t r;
        char err[512] = "";
        if (a != NULL && src == SRC_ARXIV &&
            prov_parse(&prov_arxiv, b, blen, a, &r, err, sizeof err) < 0) {
            const char *m = strstr(err, "API error: ");
            if (m != NULL) put_safe(out, outlen, m + 11, strlen(m + 11));
        }
        arena_free(a);
        return;
    }
    /* Plain text ("Rate exceeded.", "Resource not found."): its first line. */
    const char *nl = memchr(b, '\n', blen);
    put_safe(out, outlen, b, nl ? (size_t)(nl - b) : blen);
}
