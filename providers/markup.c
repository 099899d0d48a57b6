/* Markup in providers' titles and abstracts: tags stripped (JATS, MathML,
 * HTML), one copy of a formula kept, entities decoded (also when escaped
 * twice), a heading word "Abstract" dropped. The same for every provider. */
#include "providers/common.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

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
    /* Most titles and many abstracts are plain text: with no tag and no
     * entity the strip pass would copy them unchanged, so skip it. */
    if (memchr(s, '<', len) == NULL && memchr(s, '&', len) == NULL)
        return paper_clean_text(a, s, len);
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
