/* CSL-JSON: an array of CSL items (CSL 1.0.2 variable names), escaped as
 * every JSON writer of the tree escapes (core/escape.h). */
#include <string.h>

#include "core/escape.h"
#include "core/export_int.h"

/* The escaped body of a JSON string (no quotes). */
static void jbody(xbuf_t *b, const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        size_t run = json_plain_run(s + i, n - i);
        export__raw(b, s + i, run);
        i += run;
        if (i == n) break;
        char e[JSON_ESCAPE_MAX];
        size_t used, k = json_escape_char(s + i, n - i, e, &used);
        export__raw(b, e, k);
        i += used;
    }
}

static void jstr(xbuf_t *b, const char *s)
{
    XB_LIT(b, "\"");
    jbody(b, s);
    XB_LIT(b, "\"");
}

/* ,"name":"value" when value is known. */
static void member(xbuf_t *b, const char *name, const char *v)
{
    if (!v || !*v) return;
    XB_LIT(b, ",\"");
    export__str(b, name);
    XB_LIT(b, "\":");
    jstr(b, v);
}

static void person(xbuf_t *b, const export_name_t *nm)
{
    if (!nm->given && !nm->particle && !nm->suffix) {
        /* One word: CSL prints a literal as it is, in every style. */
        XB_LIT(b, "{\"literal\":");
        jstr(b, nm->family);
        XB_LIT(b, "}");
        return;
    }
    XB_LIT(b, "{\"family\":");
    jstr(b, nm->family);
    member(b, "given", nm->given);
    member(b, "non-dropping-particle", nm->particle);
    member(b, "suffix", nm->suffix);
    XB_LIT(b, "}");
}

static void item(xbuf_t *b, const export_item_t *it)
{
    const paper_t *p = it->p;
    static const char *const types[] = {
        [EXPORT_KIND_ARTICLE] = "article-journal",
        [EXPORT_KIND_CONFERENCE] = "paper-conference",
        [EXPORT_KIND_PREPRINT] = "article",
        [EXPORT_KIND_OTHER] = "document",
        [EXPORT_KIND_BOOK] = "book",
        [EXPORT_KIND_CHAPTER] = "chapter",
        [EXPORT_KIND_THESIS] = "thesis",
        [EXPORT_KIND_DATASET] = "dataset",
    };
    XB_LIT(b, "{\"id\":");
    jstr(b, it->key);
    XB_LIT(b, ",\"type\":");
    jstr(b, types[it->kind]);
    member(b, "title", p->title);
    if (it->nauthors) {
        XB_LIT(b, ",\"author\":[");
        for (size_t i = 0; i < it->nauthors; i++) {
            if (i) XB_LIT(b, ",");
            person(b, &it->authors[i]);
        }
        XB_LIT(b, "]");
    }
    if (it->year) {
        XB_LIT(b, ",\"issued\":{\"date-parts\":[[");
        export__int(b, it->year);
        if (it->month) {
            XB_LIT(b, ",");
            export__int(b, it->month);
            if (it->day) {
                XB_LIT(b, ",");
                export__int(b, it->day);
            }
        }
        XB_LIT(b, "]]}");
    }
    member(b, "container-title", it->venue);
    member(b, "DOI", p->doi);
    if (it->kind == EXPORT_KIND_PREPRINT && p->arxiv_id) {
        /* As Zotero writes an arXiv preprint: number arXiv:ID, publisher
         * arXiv (on a published paper a style would print the number as
         * an article number). */
        XB_LIT(b, ",\"number\":\"arXiv:");
        jbody(b, p->arxiv_id);
        XB_LIT(b, "\"");
        member(b, "publisher", "arXiv");
    }
    if (p->url) {
        member(b, "URL", p->url);
    } else if (p->arxiv_id) {
        XB_LIT(b, ",\"URL\":\"https://arxiv.org/abs/");
        jbody(b, p->arxiv_id);
        XB_LIT(b, "\"");
    }
    member(b, "abstract", p->abstract);
    XB_LIT(b, "}");
}

void export__csl(xbuf_t *b, const export_item_t *items, size_t n)
{
    if (n == 0) {
        XB_LIT(b, "[]\n");
        return;
    }
    XB_LIT(b, "[\n");
    for (size_t i = 0; i < n; i++) {
        if (i) XB_LIT(b, ",\n");
        item(b, &items[i]);
    }
    XB_LIT(b, "\n]\n");
}
