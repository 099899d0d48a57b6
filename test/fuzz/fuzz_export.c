/* libFuzzer target: the export writers of core/export.h on papers made of
 * arbitrary bytes, and the Accept parser on the same bytes.
 *
 * The input is split on 0x1f into title, abstract, venue, doi, arXiv id,
 * published, authors (split on 0x1e) and categories (split on 0x1e); its
 * first byte gives the year and how many copies of the paper the answer
 * holds (so keys repeat). Whatever the bytes: BibTeX braces balance, keys
 * are ASCII letters and digits, RIS is one "XX  - value" per CRLF line with
 * no bare line break, CSL-JSON is valid JSON with one item per paper, and
 * every export is valid UTF-8. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/export.h"
#include "core/utf8.h"

static void fatal(const char *what, const char *out)
{
    fprintf(stderr, "fuzz_export: %s\n%s\n", what, out ? out : "");
    abort();
}

/* The fields of p from the input (copied into a, NUL-terminated). */
static void fill(paper_t *p, arena_t *a, const uint8_t *d, size_t n)
{
    const char *f[8] = {0};
    size_t nf = 0, start = 0;
    for (size_t i = 0; i <= n && nf < 8; i++)
        if (i == n || d[i] == 0x1f) {
            f[nf++] = arena_strndup(a, (const char *)d + start, i - start);
            start = i + 1;
        }
    *p = (paper_t){.title = f[0] ? f[0] : "", .citations = -1};
    p->abstract = f[1];
    p->venue = f[2];
    p->doi = f[3];
    p->arxiv_id = f[4] && *f[4] ? f[4] : NULL;
    p->published = f[5];
    for (int list = 0; list < 2; list++) {
        const char *s = f[6 + list];
        if (!s) continue;
        size_t cnt = 1;
        for (const char *c = s; *c; c++)
            cnt += *c == 0x1e;
        const char **v = arena_alloc(a, cnt * sizeof *v);
        size_t k = 0;
        for (const char *c = s;; c++)
            if (*c == 0x1e || *c == '\0') {
                v[k++] = arena_strndup(a, s, (size_t)(c - s));
                if (!*c) break;
                s = c + 1;
            }
        if (list == 0)
            p->authors = v, p->nauthors = k;
        else
            p->categories = v, p->ncategories = k;
    }
}

static void check_bibtex(const char *s)
{
    long depth = 0;
    for (const char *c = s; *c; c++) {
        if (*c == '{') depth++;
        if (*c == '}' && --depth < 0) fatal("BibTeX: a '}' closes nothing", s);
        if (*c == '@' && (c == s || c[-1] == '\n') && depth == 0) {
            const char *k = strchr(c, '{');
            if (!k) fatal("BibTeX: entry without '{'", s);
            for (k++; *k != ',' && *k != '\n'; k++) /* an entry without fields ends its line */
                if (!((*k >= 'a' && *k <= 'z') || (*k >= '0' && *k <= '9')))
                    fatal("BibTeX: key not [a-z0-9]", s);
        }
    }
    if (depth != 0) fatal("BibTeX: braces do not balance", s);
}

static void check_ris(const char *s)
{
    for (const char *line = s; *line;) {
        const char *end = strstr(line, "\r\n");
        if (!end) {
            if (strcmp(line, "\n") == 0 && line == s) return; /* the empty answer */
            fatal("RIS: a line without CRLF", s);
        }
        if (end != line) {
            if (end - line < 6 || memcmp(line + 2, "  - ", 4) != 0 || line[0] < 'A' ||
                line[0] > 'Z')
                fatal("RIS: not a tag line", s);
            for (const char *c = line; c < end; c++)
                if (*c == '\n' || *c == '\r') fatal("RIS: a line break in a value", s);
        }
        line = end + 2;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Accept: the bytes as a header value. */
    char *accept = malloc(size + 1);
    if (!accept) return 0;
    memcpy(accept, data, size);
    accept[size] = '\0';
    export_format_t f;
    if (export_negotiate(accept, &f) == 0 && (unsigned)f >= EXPORT_FORMAT_COUNT)
        fatal("negotiate: no such format", NULL);
    free(accept);
    if (size == 0) return 0;

    arena_t *a = arena_new(0);
    paper_t p;
    fill(&p, a, data + 1, size - 1);
    p.year = data[0] < 0x80 ? 1900 + data[0] : 0;
    size_t copies = (data[0] & 3) + 1;
    const paper_t *ps[4] = {&p, &p, &p, &p};
    for (int fmt = EXPORT_BIBTEX; fmt <= EXPORT_CSL_JSON; fmt++) {
        size_t len;
        char *out = export_write((export_format_t)fmt, ps, copies, &len);
        if (!out) fatal("export_write failed", NULL);
        if (strlen(out) != len) fatal("a NUL inside an export", NULL);
        if (!utf8_valid(out, len)) fatal("an export that is not UTF-8", out);
        if (fmt == EXPORT_BIBTEX) check_bibtex(out);
        if (fmt == EXPORT_RIS) check_ris(out);
        if (fmt == EXPORT_CSL_JSON) {
            json_t *j = json_loadb(out, len, 0, NULL);
            if (!j || json_array_size(j) != copies) fatal("CSL-JSON is not an array of items", out);
            json_decref(j);
        }
        free(out);
    }
    arena_free(a);
    return 0;
}
