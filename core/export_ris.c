/* RIS: "TY  - " first, one tag per line, "ER  - " last, CRLF line ends;
 * no value holds a line break (export.h). */
#include <string.h>

#include "core/export_int.h"

/* The value's bytes with every line break and control character a space
 * and each byte that is not UTF-8 U+FFFD. */
static void value(xbuf_t *b, const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f) {
            XB_LIT(b, " ");
            i++;
            continue;
        }
        if (c < 0x80) {
            size_t run = 1;
            while (i + run < n && (unsigned char)s[i + run] >= 0x20 &&
                   (unsigned char)s[i + run] < 0x7f)
                run++;
            export__raw(b, s + i, run);
            i += run;
            continue;
        }
        size_t k = export__char(s + i, n - i);
        if (k == 0) {
            XB_LIT(b, EXPORT_FFFD);
            i++;
        } else {
            if (k == 3 &&
                (memcmp(s + i, "\xe2\x80\xa8", 3) == 0 || memcmp(s + i, "\xe2\x80\xa9", 3) == 0))
                XB_LIT(b, " ");
            else
                export__raw(b, s + i, k);
            i += k;
        }
    }
}

static void line(xbuf_t *b, const char *tag, const char *v)
{
    if (!v || !*v) return;
    export__str(b, tag);
    XB_LIT(b, "  - ");
    value(b, v);
    XB_LIT(b, "\r\n");
}

static void two(xbuf_t *b, int v)
{
    char d[2] = {(char)('0' + v / 10 % 10), (char)('0' + v % 10)};
    export__raw(b, d, 2);
}

static void record(xbuf_t *b, const export_item_t *it)
{
    const paper_t *p = it->p;
    static const char *const types[] = {
        [EXPORT_KIND_ARTICLE] = "JOUR",  [EXPORT_KIND_CONFERENCE] = "CPAPER",
        [EXPORT_KIND_PREPRINT] = "UNPB", [EXPORT_KIND_OTHER] = "GEN",
        [EXPORT_KIND_BOOK] = "BOOK",     [EXPORT_KIND_CHAPTER] = "CHAP",
        [EXPORT_KIND_THESIS] = "THES",   [EXPORT_KIND_DATASET] = "DATA",
    };
    line(b, "TY", types[it->kind]);
    line(b, "ID", it->key);
    for (size_t i = 0; i < it->nauthors; i++) {
        /* "Family, Given, Suffix" (the RIS form), the particle in front. */
        const export_name_t *nm = &it->authors[i];
        XB_LIT(b, "AU  - ");
        if (nm->particle) {
            value(b, nm->particle);
            XB_LIT(b, " ");
        }
        value(b, nm->family);
        if (nm->given || nm->suffix) XB_LIT(b, ", ");
        if (nm->given) value(b, nm->given);
        if (nm->suffix) {
            XB_LIT(b, ", ");
            value(b, nm->suffix);
        }
        XB_LIT(b, "\r\n");
    }
    line(b, "TI", p->title);
    line(b, "T2", it->venue);
    if (it->year) {
        XB_LIT(b, "PY  - ");
        export__int(b, it->year);
        XB_LIT(b, "\r\n");
        /* DA: YYYY/MM/DD/ with what is known. */
        XB_LIT(b, "DA  - ");
        export__int(b, it->year);
        XB_LIT(b, "/");
        if (it->month) two(b, it->month);
        XB_LIT(b, "/");
        if (it->day) two(b, it->day);
        XB_LIT(b, "/\r\n");
    }
    line(b, "DO", p->doi);
    if (p->arxiv_id) {
        XB_LIT(b, "AN  - arXiv:");
        value(b, p->arxiv_id);
        XB_LIT(b, "\r\n");
    }
    if (p->url) {
        line(b, "UR", p->url);
    } else if (p->arxiv_id) {
        XB_LIT(b, "UR  - https://arxiv.org/abs/");
        value(b, p->arxiv_id);
        XB_LIT(b, "\r\n");
    }
    line(b, "L1", p->pdf_url);
    line(b, "AB", p->abstract);
    for (size_t i = 0; i < p->ncategories; i++)
        line(b, "KW", p->categories[i]);
    XB_LIT(b, "ER  - \r\n");
}

void export__ris(xbuf_t *b, const export_item_t *items, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i) XB_LIT(b, "\r\n");
        record(b, &items[i]);
    }
}
