/* Shared helpers of the provider adapters: the source table, URL encoding,
 * a string builder, tolerant JSON getters and markup stripping. */
#include "providers/common.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SOURCE_DEF_(ID, name, kind, ...) SOURCE_IF_HTTP(kind, [SRC_##ID] = &prov_##name, )
static const prov_def_t *const prov_defs[SRC_COUNT] = {SOURCE_TABLE(SOURCE_DEF_)};
#undef SOURCE_DEF_

const prov_def_t *prov_def_for(source_t s)
{
    return (unsigned)s < SRC_COUNT ? prov_defs[s] : NULL;
}

int prov_build(const prov_def_t *def, const query_t *q, const prov_settings_t *ps, arena_t *a,
               prov_request_t *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    if (ps == NULL || ps->base_url == NULL)
        return prov__fail(err, errlen, "%s: no base URL", source_name(def->source));
    return def->build(q, ps, a, out, err, errlen);
}

int prov_parse(const prov_def_t *def, const char *body, size_t len, arena_t *a, prov_result_t *out,
               char *err, size_t errlen)
{
    if (def->parse) return def->parse(body, len, a, out, err, errlen);
    return prov__json_parse(def, body, len, a, out, err, errlen);
}

static bool is_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

char *prov_url_encode(arena_t *a, const char *s)
{
    prov__sb_t b;
    prov__sb_init(&b, a);
    prov__sb_put_encoded(&b, s != NULL ? s : "");
    return prov__sb_str(&b);
}

/* ---- string builder ---- */

void prov__sb_init(prov__sb_t *b, arena_t *a)
{
    memset(b, 0, sizeof(*b));
    b->a = a;
}

/* Makes room for n more bytes and the NUL. */
static bool sb_reserve(prov__sb_t *b, size_t n)
{
    if (b->failed) return false;
    if (b->len + n + 1 <= b->cap) return true;
    size_t cap = b->cap == 0 ? 256 : b->cap;
    while (cap < b->len + n + 1) {
        if (cap > SIZE_MAX / 2) {
            b->failed = true;
            return false;
        }
        cap *= 2;
    }
    char *p = arena_alloc(b->a, cap);
    if (p == NULL) {
        b->failed = true;
        return false;
    }
    if (b->len > 0) memcpy(p, b->p, b->len);
    b->p = p;
    b->cap = cap;
    return true;
}

void prov__sb_putn(prov__sb_t *b, const char *s, size_t n)
{
    if (!sb_reserve(b, n)) return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void prov__sb_puts(prov__sb_t *b, const char *s)
{
    prov__sb_putn(b, s, strlen(s));
}

void prov__sb_printf(prov__sb_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = arena_vsprintf(b->a, fmt, ap);
    va_end(ap);
    if (s == NULL) {
        b->failed = true;
        return;
    }
    prov__sb_puts(b, s);
}

void prov__sb_put_encoded(prov__sb_t *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t len = strlen(s);
    if (!sb_reserve(b, len * 3)) return;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (is_unreserved(c)) {
            b->p[b->len++] = (char)c;
        } else {
            b->p[b->len++] = '%';
            b->p[b->len++] = hex[c >> 4];
            b->p[b->len++] = hex[c & 15];
        }
    }
    b->p[b->len] = '\0';
}

void prov__sb_param(prov__sb_t *b, const char *name, const char *value)
{
    bool first = b->len == 0 || memchr(b->p, '?', b->len) == NULL;
    prov__sb_puts(b, first ? "?" : "&");
    prov__sb_puts(b, name);
    prov__sb_puts(b, "=");
    prov__sb_put_encoded(b, value);
}

void prov__sb_date_bounds(prov__sb_t *b, const query_t *q, const char *from_key, const char *to_key,
                          bool whole_days)
{
    if (prov__has(q->date_from))
        prov__sb_printf(b, "%s%s:%.10s", b->len ? "," : "", from_key, q->date_from);
    else if (q->year_from > 0)
        prov__sb_printf(b, "%s%s:%04d%s", b->len ? "," : "", from_key, q->year_from,
                        whole_days ? "-01-01" : "");
    if (prov__has(q->date_to))
        prov__sb_printf(b, "%s%s:%.10s", b->len ? "," : "", to_key, q->date_to);
    else if (q->year_to > 0)
        prov__sb_printf(b, "%s%s:%04d%s", b->len ? "," : "", to_key, q->year_to,
                        whole_days ? "-12-31" : "");
}

char *prov__sb_str(prov__sb_t *b)
{
    if (b->failed) return NULL;
    if (b->p == NULL && !sb_reserve(b, 0)) return NULL;
    b->p[b->len] = '\0';
    return b->p;
}

/* ---- small things ---- */

int prov__fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err != NULL && errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

int prov__add_header(prov_request_t *r, arena_t *a, const char *name, const char *value)
{
    if (r->nheaders >= PROV_MAX_HEADERS) return -1;
    char *h = arena_sprintf(a, "%s: %s", name, value);
    if (h == NULL) return -1;
    r->headers[r->nheaders++] = h;
    return 0;
}

int prov__clamp_results(int want, int max)
{
    if (want <= 0) want = QUERY_DEFAULT_LIMIT;
    return want > max ? max : want;
}

bool prov__has(const char *s)
{
    return s != NULL && s[0] != '\0';
}

/* ---- JSON ---- */

json_t *prov__json_load(const char *body, size_t len, const char *who, char *err, size_t errlen)
{
    if (body == NULL || len == 0) {
        prov__fail(err, errlen, "%s: empty response body", who);
        return NULL;
    }
    json_error_t jerr;
    /* JSON_ALLOW_NUL: one "\u0000" in an abstract must not lose the page. */
    json_t *root = json_loadb(body, len, JSON_ALLOW_NUL, &jerr);
    if (root == NULL) {
        prov__fail(err, errlen, "%s: invalid JSON at line %d: %s", who, jerr.line, jerr.text);
        return NULL;
    }
    if (!json_is_object(root)) {
        json_decref(root);
        prov__fail(err, errlen, "%s: response is not a JSON object", who);
        return NULL;
    }
    return root;
}

json_t *prov__json_obj(const json_t *obj, const char *key)
{
    if (!json_is_object(obj)) return NULL;
    json_t *v = json_object_get(obj, key);
    return json_is_object(v) ? v : NULL;
}

json_t *prov__json_arr(const json_t *obj, const char *key)
{
    if (!json_is_object(obj)) return NULL;
    json_t *v = json_object_get(obj, key);
    return json_is_array(v) ? v : NULL;
}

const char *prov__json_str(const json_t *obj, const char *key)
{
    if (!json_is_object(obj)) return NULL;
    const char *s = json_string_value(json_object_get(obj, key));
    return prov__has(s) ? s : NULL;
}

long long prov__json_int(const json_t *obj, const char *key, long long dflt)
{
    if (!json_is_object(obj)) return dflt;
    json_t *v = json_object_get(obj, key);
    if (json_is_integer(v)) return (long long)json_integer_value(v);
    if (json_is_real(v)) {
        double d = json_real_value(v);
        if (d >= -9.0e18 && d <= 9.0e18) return (long long)d;
        return dflt;
    }
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        char *end;
        errno = 0;
        long long n = strtoll(s, &end, 10);
        if (errno == 0 && end != s && *end == '\0') return n;
    }
    return dflt;
}

long prov__json_total(const json_t *obj, const char *key)
{
    long long n = prov__json_int(obj, key, -1);
    return n >= 0 && (long long)(long)n == n ? (long)n : -1;
}

const json_t *prov__json_nonempty(const json_t *obj, const char *key)
{
    const json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
    return json_is_string(v) && json_string_length(v) > 0 ? v : NULL;
}

bool prov__json_bool(const json_t *obj, const char *key)
{
    return json_is_object(obj) && json_is_true(json_object_get(obj, key));
}

/* ---- markup ---- */

static bool ci_eq(const char *s, size_t len, const char *lit)
{
    size_t n = strlen(lit);
    if (len != n) return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (c != lit[i]) return false;
    }
    return true;
}

/* Appends code point cp as UTF-8 at out; returns the byte count (0 if invalid). */
static size_t put_utf8(char *out, unsigned long cp)
{
    if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return 0;
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

static const struct {
    const char *name;
    const char *utf8;
} entities[] = {
    {"amp", "&"},         {"lt", "<"},         {"gt", ">"},         {"quot", "\""},
    {"apos", "'"},        {"nbsp", " "},       {"ndash", "\u2013"}, {"mdash", "\u2014"},
    {"hellip", "\u2026"}, {"lsquo", "\u2018"}, {"rsquo", "\u2019"}, {"ldquo", "\u201C"},
    {"rdquo", "\u201D"},  {"copy", "\u00A9"},  {"reg", "\u00AE"},   {"deg", "\u00B0"},
    {"plusmn", "\u00B1"}, {"times", "\u00D7"}, {"minus", "\u2212"}, {"thinsp", " "},
};

size_t prov__decode_entities(char *s, size_t len)
{
    size_t r = 0, w = 0;
    while (r < len) {
        if (s[r] != '&') {
            s[w++] = s[r++];
            continue;
        }
        /* Find ';' within a short window. */
        size_t end = r + 1;
        while (end < len && end - r <= 12 && s[end] != ';' && s[end] != '&')
            end++;
        if (end >= len || s[end] != ';') {
            s[w++] = s[r++];
            continue;
        }
        const char *name = s + r + 1;
        size_t nlen = end - r - 1;
        char buf[4];
        size_t n = 0;
        const char *rep = NULL;
        if (nlen >= 2 && name[0] == '#') {
            unsigned long cp = 0;
            bool hex = name[1] == 'x' || name[1] == 'X';
            size_t i = hex ? 2 : 1;
            bool ok = i < nlen;
            for (; ok && i < nlen; i++) {
                char c = name[i];
                int d = c >= '0' && c <= '9'   ? c - '0'
                        : !hex                 ? -1
                        : c >= 'a' && c <= 'f' ? c - 'a' + 10
                        : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                               : -1;
                if (d < 0 || cp > 0x10FFFF)
                    ok = false;
                else
                    cp = cp * (hex ? 16 : 10) + (unsigned long)d;
            }
            if (ok) n = put_utf8(buf, cp);
            if (n > 0) rep = buf;
        } else {
            for (size_t i = 0; i < sizeof(entities) / sizeof(entities[0]); i++) {
                if (strlen(entities[i].name) == nlen && memcmp(entities[i].name, name, nlen) == 0) {
                    rep = entities[i].utf8;
                    n = strlen(rep);
                    break;
                }
            }
        }
        if (rep == NULL) {
            s[w++] = s[r++];
            continue;
        }
        /* n <= the reference's length, so writing never overtakes reading. */
        memmove(s + w, rep, n);
        w += n;
        r = end + 1;
    }
    return w;
}

static bool is_block_tag(const char *name, size_t len)
{
    static const char *const block[] = {
        "p",     "title",   "list",  "list-item",  "sec",      "br",      "div",
        "li",    "ul",      "ol",    "table",      "tr",       "td",      "th",
        "h1",    "h2",      "h3",    "h4",         "h5",       "h6",      "abstract",
        "label", "caption", "break", "disp-quote", "def-list", "section",
    };
    for (size_t i = 0; i < sizeof(block) / sizeof(block[0]); i++)
        if (ci_eq(name, len, block[i])) return true;
    return false;
}

/* Finds "needle" in [s, s+len); returns its offset or len. */
static size_t find(const char *s, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    if (n > len) return len;
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(s + i, needle, n) == 0) return i;
    return len;
}

/* The offset just past the "</[prefix:]name>" that closes the element whose
 * start tag ended at s, or len when it is not closed. Same-name elements
 * nested inside are skipped. */
static size_t element_end(const char *s, size_t len, const char *name)
{
    size_t nl = strlen(name);
    int depth = 1;
    for (size_t i = 0; i < len; i++) {
        if (s[i] != '<') continue;
        bool closing = i + 1 < len && s[i + 1] == '/';
        size_t j = i + (closing ? 2 : 1), k = j;
        while (k < len && s[k] != '>' && s[k] != ' ' && s[k] != '/' && s[k] != ':')
            k++;
        if (k < len && s[k] == ':') j = ++k; /* a namespace prefix */
        while (k < len && s[k] != '>' && s[k] != ' ' && s[k] != '/')
            k++;
        if (k - j != nl || !ci_eq(s + j, nl, name)) continue;
        const char *gt = memchr(s + k, '>', len - k);
        if (gt == NULL) return len;
        bool empty = gt > s + k && gt[-1] == '/';
        if (closing && --depth == 0) return (size_t)(gt - s) + 1;
        if (!closing && !empty) depth++;
    }
    return len;
}

/* One strip pass (prov__strip_markup): tags out, entities decoded, the
 * text not yet whitespace-collapsed; its length in *outlen. */
static char *strip_pass(arena_t *a, const char *s, size_t len, size_t *outlen);

/* True when s (decoded once) still carries markup that was escaped in the
 * provider's answer: "&amp;gt;" became "&gt;", "&lt;p&gt;" became "<p>".
 * Only a closing tag counts as markup, so "x <y and y> z" stays text. */
static bool escaped_twice(const char *s, size_t len)
{
    for (size_t i = 0; i + 3 < len; i++) {
        if (s[i] == '&') {
            size_t j = i + 1;
            while (j < len && j - i <= 8 && ((s[j] >= 'a' && s[j] <= 'z') || s[j] == '#'))
                j++;
            if (j > i + 1 && j < len && s[j] == ';') return true;
        } else if (s[i] == '<' && s[i + 1] == '/' &&
                   ((s[i + 2] >= 'a' && s[i + 2] <= 'z') || (s[i + 2] >= 'A' && s[i + 2] <= 'Z'))) {
            return true;
        }
    }
    return false;
}

char *prov__strip_markup(arena_t *a, const char *s, size_t len)
{
    if (s == NULL || len == 0) return NULL;
    size_t w = 0;
    char *out = strip_pass(a, s, len, &w);
    if (out == NULL) return NULL;
    /* Once more for markup the provider escaped twice (OpenAlex "&amp;gt;",
     * Crossref JATS holding "&lt;p&gt;"); never more: a third level is text. */
    bool twice = false;
    for (size_t i = 0; i + 4 < len && !twice; i++)
        twice = s[i] == '&' && (memcmp(s + i, "&amp;", 5) == 0 || memcmp(s + i, "&lt;/", 5) == 0);
    if (twice && escaped_twice(out, w)) {
        char *again = strip_pass(a, out, w, &w);
        if (again == NULL) return NULL;
        out = again;
    }
    return paper_clean_text(a, out, w);
}

static char *strip_pass(arena_t *a, const char *s, size_t len, size_t *outlen)
{
    *outlen = 0;
    char *out = arena_alloc(a, len + 1);
    if (out == NULL) return NULL;
    size_t w = 0, i = 0;
    bool seen_text = false;
    size_t title_start = (size_t)-1; /* output offset of a leading <title> */
    size_t formula_at = (size_t)-1;  /* output offset of the open formula's start */
    while (i < len) {
        char c = s[i];
        if (c != '<') {
            if (c != ' ' && c != '\n' && c != '\t' && c != '\r') seen_text = true;
            out[w++] = c;
            i++;
            continue;
        }
        const char *rest = s + i;
        size_t rlen = len - i;
        if (rlen >= 4 && memcmp(rest, "<!--", 4) == 0) {
            size_t e = find(rest + 4, rlen - 4, "-->");
            i += 4 + e + (e < rlen - 4 ? 3 : 0);
            continue;
        }
        if (rlen >= 9 && memcmp(rest, "<![CDATA[", 9) == 0) {
            size_t e = find(rest + 9, rlen - 9, "]]>");
            memcpy(out + w, rest + 9, e);
            w += e;
            seen_text = seen_text || e > 0;
            i += 9 + e + (e < rlen - 9 ? 3 : 0);
            continue;
        }
        /* A tag is '<', optional '/', a name starting with a letter. */
        size_t j = 1;
        bool closing = j < rlen && rest[j] == '/';
        if (closing) j++;
        bool letter =
            j < rlen && ((rest[j] >= 'a' && rest[j] <= 'z') || (rest[j] >= 'A' && rest[j] <= 'Z') ||
                         rest[j] == '!' || rest[j] == '?');
        const char *gt = letter ? memchr(rest, '>', rlen) : NULL;
        if (gt == NULL) { /* a lone '<' is text ("a < b") */
            out[w++] = c;
            i++;
            seen_text = true;
            continue;
        }
        const char *name = rest + j;
        size_t nlen = 0;
        while (name + nlen < gt && name[nlen] != ' ' && name[nlen] != '/' && name[nlen] != '\t' &&
               name[nlen] != '\n' && name[nlen] != '\r')
            nlen++;
        const char *colon = memchr(name, ':', nlen); /* "jats:p" -> "p" */
        if (colon != NULL) {
            nlen -= (size_t)(colon + 1 - name);
            name = colon + 1;
        }
        /* A formula given several ways (TeX, MathML, an image) keeps one:
         * the first, or none more when the formula already has text. */
        if (!closing && ci_eq(name, nlen, "alternatives")) {
            size_t body = (size_t)(gt - rest) + 1;
            size_t end = body + element_end(rest + body, rlen - body, "alternatives");
            if (formula_at != (size_t)-1 && w > formula_at) {
                i += end;
                continue;
            }
            /* The first child element, stripped on its own. */
            const char *inner = rest + body;
            size_t ilen = end - body;
            const char *lt = memchr(inner, '<', ilen);
            if (lt != NULL) {
                size_t off = (size_t)(lt - inner);
                const char *cgt = memchr(lt, '>', ilen - off);
                size_t cn = 0;
                while (lt + 1 + cn < inner + ilen && lt[1 + cn] != '>' && lt[1 + cn] != ' ' &&
                       lt[1 + cn] != '/')
                    cn++;
                if (cgt != NULL && cgt[-1] != '/') {
                    char cname[64];
                    const char *cs = lt + 1;
                    const char *ccolon = memchr(cs, ':', cn);
                    if (ccolon != NULL) cn -= (size_t)(ccolon + 1 - cs), cs = ccolon + 1;
                    if (cn > 0 && cn < sizeof(cname)) {
                        memcpy(cname, cs, cn);
                        cname[cn] = '\0';
                        size_t cbody = (size_t)(cgt - inner) + 1;
                        size_t cend = cbody + element_end(inner + cbody, ilen - cbody, cname);
                        size_t sub = 0;
                        char *t = strip_pass(a, inner + off, cend - off, &sub);
                        if (t == NULL) return NULL;
                        memcpy(out + w, t, sub); /* sub <= the child's length */
                        w += sub;
                        seen_text = seen_text || sub > 0;
                    }
                }
            }
            i += end;
            continue;
        }
        if (ci_eq(name, nlen, "inline-formula") || ci_eq(name, nlen, "disp-formula"))
            formula_at = closing ? (size_t)-1 : w;
        if (ci_eq(name, nlen, "title")) {
            if (!closing && !seen_text) {
                title_start = w;
            } else if (closing && title_start != (size_t)-1) {
                const char *t = out + title_start;
                size_t tl = w - title_start;
                while (tl > 0 && (*t == ' ' || *t == '\n' || *t == '\t' || *t == '\r'))
                    t++, tl--;
                while (tl > 0 && (t[tl - 1] == ' ' || t[tl - 1] == '\n' || t[tl - 1] == '\t' ||
                                  t[tl - 1] == '\r'))
                    tl--;
                if (ci_eq(t, tl, "abstract") || ci_eq(t, tl, "summary")) w = title_start;
                title_start = (size_t)-1;
            }
        }
        if (is_block_tag(name, nlen)) out[w++] = ' ';
        i += (size_t)(gt - rest) + 1;
    }
    *outlen = prov__decode_entities(out, w);
    return out;
}

const char *prov__drop_heading(const char *t)
{
    static const char *const words[] = {"abstract", "summary"};
    if (t == NULL) return NULL;
    for (size_t k = 0; k < sizeof(words) / sizeof(words[0]); k++) {
        size_t n = strlen(words[k]);
        if (strlen(t) <= n || !ci_eq(t, n, words[k])) continue;
        const char *r = t + n;
        bool caps = true; /* "ABSTRACT" is a heading whatever follows */
        for (size_t i = 0; i < n; i++)
            caps = caps && t[i] >= 'A' && t[i] <= 'Z';
        bool punct = *r == ':' || *r == '.' || *r == '-';
        /* "Abstract According to..." is a heading, "Abstract algebra is..." is not. */
        bool next_upper = *r == ' ' && (r[1] >= 'A' && r[1] <= 'Z');
        if (!caps && !punct && !next_upper) continue;
        while (*r == ' ' || *r == ':' || *r == '.' || *r == '-')
            r++;
        return *r != '\0' ? r : NULL;
    }
    return t;
}

char *prov__abstract(arena_t *a, const char *s, size_t len)
{
    return (char *)prov__drop_heading(prov__strip_markup(a, s, len));
}

/* ---- dates, ids ---- */

static bool digits_at(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return false;
    return true;
}

int prov__year_of(const char *date)
{
    if (date == NULL || strnlen(date, 4) < 4 || !digits_at(date, 4)) return 0;
    if (date[4] >= '0' && date[4] <= '9') return 0;
    int y = (date[0] - '0') * 1000 + (date[1] - '0') * 100 + (date[2] - '0') * 10 + (date[3] - '0');
    return y > 0 ? y : 0;
}

const char *prov__date_of(arena_t *a, const char *iso)
{
    if (prov__year_of(iso) == 0) return NULL;
    size_t n = 4;
    if (iso[4] == '-' && strnlen(iso + 5, 2) == 2 && digits_at(iso + 5, 2)) {
        n = 7;
        if (iso[7] == '-' && strnlen(iso + 8, 2) == 2 && digits_at(iso + 8, 2)) n = 10;
    }
    return arena_strndup(a, iso, n);
}

/* Each object of items through fn (prov__json_parse). */
static int json_items(const json_t *items, source_t src, prov_json_item_fn fn, arena_t *a,
                      prov_result_t *out)
{
    int rank = 0;
    for (size_t i = 0; i < json_array_size(items); i++) {
        const json_t *it = json_array_get(items, i);
        if (!json_is_object(it)) continue;
        paper_t *p = paper_list_add(&out->papers, a);
        const char *id = NULL;
        int rc = p == NULL ? -1 : fn(it, a, p, &id);
        if (rc < 0) return -1;
        if (rc > 0) {
            out->papers.n--;
            continue;
        }
        prov__set_source(p, src, id, ++rank);
    }
    return 0;
}

const json_t *prov__json_empty_list(void)
{
    static json_t *empty; /* never freed: one per process, still reachable */
    if (empty == NULL) empty = json_array();
    return empty;
}

int prov__json_parse(const prov_def_t *def, const char *body, size_t len, arena_t *a,
                     prov_result_t *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    out->total = -1;
    const char *who = source_name(def->source);
    json_t *root = prov__json_load(body, len, who, err, errlen);
    if (root == NULL) return -1;
    int rc = -1;
    const json_t *items = def->json_list(root, &out->total, err, errlen);
    if (items != NULL) {
        rc = json_items(items, def->source, def->json_item, a, out);
        if (rc < 0) prov__fail(err, errlen, "%s: out of memory", who);
    }
    json_decref(root);
    if (rc < 0) {
        out->papers.n = 0;
        out->total = -1;
    }
    return rc;
}

void prov__set_source(paper_t *p, source_t s, const char *id, int rank)
{
    p->sources[0].source = s;
    p->sources[0].id = id;
    p->sources[0].rank = rank;
    p->nsources = 1;
}

bool prov__arxiv_from(paper_t *p, arena_t *a, const char *s)
{
    if (p->arxiv_id != NULL || s == NULL) return false;
    size_t len = strlen(s);
    bool looks = false;
    for (size_t i = 0; i + 5 <= len && !looks; i++)
        looks = ci_eq(s + i, 5, "arxiv");
    if (!looks) return false;
    const char *version = NULL;
    char *id = paper_normalize_arxiv_id(a, s, len, &version);
    if (id == NULL) return false;
    p->arxiv_id = id;
    if (p->arxiv_version == NULL) p->arxiv_version = version;
    return true;
}

int prov__strv_add(arena_t *a, const char ***arr, size_t *n, size_t *cap, const char *s)
{
    if (s == NULL) return -1;
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*arr)[i], s) == 0) return 0;
    if (*n == *cap) {
        size_t nc = *cap == 0 ? 8 : *cap * 2;
        const char **na = arena_alloc(a, nc * sizeof(*na));
        if (na == NULL) return -1;
        if (*n > 0) memcpy(na, *arr, *n * sizeof(*na));
        *arr = na;
        *cap = nc;
    }
    (*arr)[(*n)++] = s;
    return 0;
}
