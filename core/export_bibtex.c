/* BibTeX: one entry per paper, values in braces, UTF-8 kept, the LaTeX
 * specials escaped, math spans of titles and abstracts kept, capitals of
 * titles protected (export.h says why). */
#include <string.h>
#include <strings.h>

#include "core/escape.h"
#include "core/export_int.h"

/* A $...$ span starting at s[i]: the index of its closing '$', or 0 when
 * there is none, the span is empty or "$$", its braces do not balance (as
 * BibTeX counts them: \{ too) or it holds a control character or bytes
 * that are not UTF-8 (then the '$' is escaped as text). */
static size_t math_span(const char *s, size_t n, size_t i)
{
    if (i > 0 && s[i - 1] == '\\') return 0;
    int depth = 0;
    for (size_t j = i + 1; j < n; j++) {
        unsigned char c = (unsigned char)s[j];
        if (c < 0x20 || c == 0x7f) return 0;
        if (c >= 0x80) { /* copied verbatim: only valid UTF-8 */
            size_t k = export__char(s + j, n - j);
            if (k == 0) return 0;
            j += k - 1;
            continue;
        }
        if (c == '\\' && j + 1 < n && s[j + 1] == '$') {
            j++; /* \$ does not end the span */
            continue;
        }
        /* Braces count even after a backslash: BibTeX counts them so. */
        if (c == '{') depth++;
        if (c == '}' && --depth < 0) return 0;
        if (c == '$') return j > i + 1 && depth == 0 ? j : 0;
    }
    return 0;
}

/* Appends the character at s (n left) escaped for a BibTeX value; returns
 * the bytes of s it stood for. */
static size_t tex_char(xbuf_t *b, const char *s, size_t n)
{
    unsigned char c = (unsigned char)s[0];
    switch (c) {
    case '&':
    case '%':
    case '$':
    case '#':
    case '_':
        export__raw(b, "\\", 1);
        export__raw(b, s, 1);
        return 1;
    case '{':
        XB_LIT(b, "\\textbraceleft{}");
        return 1;
    case '}':
        XB_LIT(b, "\\textbraceright{}");
        return 1;
    case '~':
        XB_LIT(b, "\\textasciitilde{}");
        return 1;
    case '^':
        XB_LIT(b, "\\textasciicircum{}");
        return 1;
    case '\\':
        XB_LIT(b, "\\textbackslash{}");
        return 1;
    default:
        break;
    }
    if (c < 0x20 || c == 0x7f) {
        XB_LIT(b, " ");
        return 1;
    }
    if (c < 0x80) {
        export__raw(b, s, 1);
        return 1;
    }
    size_t k = export__char(s, n);
    if (k == 0) {
        XB_LIT(b, EXPORT_FFFD);
        return 1;
    }
    /* U+2028 and U+2029 separate lines: a space, as a control character. */
    if (k == 3 && (memcmp(s, "\xe2\x80\xa8", 3) == 0 || memcmp(s, "\xe2\x80\xa9", 3) == 0))
        XB_LIT(b, " ");
    else
        export__raw(b, s, k);
    return k;
}

/* How many bytes from s (n left) go into a value as they are, in one run:
 * printable ASCII but the specials, '$' and, when words matter (a title's
 * capitals), the space. Runs are copied at once: byte by byte cost several
 * times more. */
static size_t plain_run(const char *s, size_t n, bool words)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || (words && c == ' ') || c >= 0x7f || c == '&' || c == '%' || c == '$' ||
            c == '#' || c == '_' || c == '{' || c == '}' || c == '~' || c == '^' || c == '\\')
            break;
        i++;
    }
    return i;
}

static void tex_run(xbuf_t *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        size_t run = plain_run(s + i, n - i, false);
        export__raw(b, s + i, run);
        i += run;
        if (i < n) i += tex_char(b, s + i, n - i);
    }
}

/* A word whose case a style must keep: an ASCII capital after its first letter. */
static bool needs_braces(const char *w, size_t n)
{
    size_t i = 0;
    while (i < n && !((w[i] >= 'A' && w[i] <= 'Z') || (w[i] >= 'a' && w[i] <= 'z') ||
                      (unsigned char)w[i] >= 0x80))
        i++;
    for (i++; i < n; i++)
        if (w[i] >= 'A' && w[i] <= 'Z') return true;
    return false;
}

/* Text of a title (protect) or an abstract: math spans kept as they are. */
static void tex_text(xbuf_t *b, const char *s, bool protect)
{
    size_t n = strlen(s);
    bool word_start = true;
    for (size_t i = 0; i < n;) {
        if (s[i] == '$') {
            size_t end = math_span(s, n, i);
            if (end) {
                export__raw(b, s + i, end - i + 1);
                i = end + 1;
                word_start = false;
                continue;
            }
        }
        if (protect && word_start && s[i] != ' ') {
            size_t e = i;
            while (e < n && s[e] != ' ' && s[e] != '$')
                e++;
            word_start = false;
            if (needs_braces(s + i, e - i)) {
                XB_LIT(b, "{");
                tex_run(b, s + i, e - i);
                XB_LIT(b, "}");
                i = e;
                continue;
            }
        }
        size_t run = plain_run(s + i, n - i, protect);
        if (run) {
            export__raw(b, s + i, run);
            i += run;
            word_start = false;
            continue;
        }
        word_start = s[i] == ' ';
        i += tex_char(b, s + i, n - i);
    }
}

/* A DOI, URL or arXiv id: biblatex reads these verbatim, so nothing is
 * escaped; the bytes that would break the value or a URL are
 * percent-encoded instead. */
static void verbatim(xbuf_t *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        size_t k = c >= 0x80 ? export__char(s + i, n - i) : 1;
        if (k > 1) { /* valid UTF-8 stays as it is */
            export__raw(b, s + i, k);
            i += k - 1;
            continue;
        }
        /* '%' stays when it already starts an escape. */
        bool escape = c == '%' && i + 2 < n && hex_digit(s[i + 1]) >= 0 && hex_digit(s[i + 2]) >= 0;
        if (!escape && (c == '{' || c == '}' || c == '\\' || c <= 0x20 || c >= 0x7f || c == '%')) {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            export__raw(b, e, 3);
        } else {
            export__raw(b, s + i, 1);
        }
    }
}

static void field_start(xbuf_t *b, const char *name)
{
    XB_LIT(b, ",\n  ");
    export__str(b, name);
    XB_LIT(b, " = {");
}

/* A name part in braces when BibTeX would split it: it holds the word "and". */
static void name_part(xbuf_t *b, const char *s)
{
    size_t n = strlen(s);
    bool and_word = false;
    for (size_t i = 0; i + 3 <= n; i++)
        if (strncasecmp(s + i, "and", 3) == 0 && (i == 0 || s[i - 1] == ' ') &&
            (i + 3 == n || s[i + 3] == ' '))
            and_word = true;
    if (and_word) XB_LIT(b, "{");
    tex_run(b, s, n);
    if (and_word) XB_LIT(b, "}");
}

/* "von Last, Jr, First" (BibTeX's full form), parts left out when absent. */
static void author(xbuf_t *b, const export_name_t *nm)
{
    if (nm->particle) {
        name_part(b, nm->particle);
        XB_LIT(b, " ");
    }
    name_part(b, nm->family);
    if (nm->suffix || nm->given) XB_LIT(b, ", ");
    if (nm->suffix) {
        name_part(b, nm->suffix);
        if (nm->given) XB_LIT(b, ", ");
    }
    if (nm->given) name_part(b, nm->given);
}

static void entry(xbuf_t *b, const export_item_t *it)
{
    const paper_t *p = it->p;
    /* Classic BibTeX types (no biblatex @dataset or @online), so bibtex,
     * biber and bibtexparser all read them; the venue goes in the field
     * that type has for it: a book's container is its series, a thesis's
     * (a university repository) its school. */
    static const struct {
        const char *type, *venue_field;
    } types[] = {
        [EXPORT_KIND_ARTICLE] = {"article", "journal"},
        [EXPORT_KIND_CONFERENCE] = {"inproceedings", "booktitle"},
        [EXPORT_KIND_PREPRINT] = {"misc", "howpublished"},
        [EXPORT_KIND_OTHER] = {"misc", "howpublished"},
        [EXPORT_KIND_BOOK] = {"book", "series"},
        [EXPORT_KIND_CHAPTER] = {"incollection", "booktitle"},
        [EXPORT_KIND_THESIS] = {"phdthesis", "school"},
        [EXPORT_KIND_DATASET] = {"misc", "howpublished"},
    };
    XB_LIT(b, "@");
    export__str(b, types[it->kind].type);
    XB_LIT(b, "{");
    export__str(b, it->key); /* ASCII letters and digits only */
    if (it->nauthors) {
        field_start(b, "author");
        for (size_t i = 0; i < it->nauthors; i++) {
            if (i) XB_LIT(b, " and ");
            author(b, &it->authors[i]);
        }
        XB_LIT(b, "}");
    }
    if (p->title && *p->title) {
        field_start(b, "title");
        tex_text(b, p->title, true);
        XB_LIT(b, "}");
    }
    if (it->venue) {
        field_start(b, types[it->kind].venue_field);
        tex_run(b, it->venue, strlen(it->venue));
        XB_LIT(b, "}");
    }
    if (it->year) {
        field_start(b, "year");
        export__int(b, it->year);
        XB_LIT(b, "}");
    }
    if (p->doi) {
        field_start(b, "doi");
        verbatim(b, p->doi);
        XB_LIT(b, "}");
    }
    if (p->arxiv_id) {
        field_start(b, "eprint");
        verbatim(b, p->arxiv_id);
        XB_LIT(b, "}");
        field_start(b, "archivePrefix");
        XB_LIT(b, "arXiv}");
        if (it->primary_class) {
            field_start(b, "primaryClass");
            verbatim(b, it->primary_class);
            XB_LIT(b, "}");
        }
    }
    if (p->url || p->arxiv_id) {
        field_start(b, "url");
        if (p->url) {
            verbatim(b, p->url);
        } else {
            XB_LIT(b, "https://arxiv.org/abs/");
            verbatim(b, p->arxiv_id);
        }
        XB_LIT(b, "}");
    }
    if (p->abstract && *p->abstract) {
        field_start(b, "abstract");
        tex_text(b, p->abstract, false);
        XB_LIT(b, "}");
    }
    XB_LIT(b, "\n}\n");
}

void export__bibtex(xbuf_t *b, const export_item_t *items, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i) XB_LIT(b, "\n");
        entry(b, &items[i]);
    }
}
