/* libFuzzer target: one provider's response reader (prov_parse(), and the
 * streaming reader prov_stream_*() it runs), built once per provider with
 * -DFUZZ_PROV=prov_<name>.
 *
 * The same body is also fed in pieces, cut at points drawn from a hash of
 * the input (so each input the fuzzer makes has its own cuts: 1 to 8 of
 * them), and, up to 2 KiB, one byte at a time: the answer must be the same
 * as whole (status, message, total and every field of every paper).
 *
 * The input is the response body, copied into a malloc'd buffer of exactly
 * its size (no NUL after it) so that a read past the end is caught by
 * AddressSanitizer: the interface promises parsers never read past len.
 * On success every paper is walked (every string must be a readable,
 * NUL-terminated string) and the papers are written as a search answer
 * (core/answer_json.c), which must be valid JSON whatever the provider
 * sent: jansson parses it back. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/answer_json.h"
#include "core/arena.h"
#include "providers/provider.h"

#ifndef FUZZ_PROV
#error "build with -DFUZZ_PROV=prov_<name>"
#endif

static void fatal(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz_provider(%s): %s%s%s\n", source_name(FUZZ_PROV.source), what,
            detail ? ": " : "", detail ? detail : "");
    abort();
}

/* Touches every byte of s up to its NUL (ASan checks each read). */
static size_t walk(const char *s)
{
    return s ? strlen(s) : 0;
}

static void check_paper(const paper_t *p, size_t idx)
{
    if (!p->title) fatal("paper with a NULL title", NULL);
    size_t n = walk(p->title) + walk(p->abstract) + walk(p->doi) + walk(p->arxiv_id) +
               walk(p->arxiv_version) + walk(p->published) + walk(p->venue) + walk(p->url) +
               walk(p->pdf_url);
    if (p->nauthors && !p->authors) fatal("authors count without an array", NULL);
    for (size_t i = 0; i < p->nauthors; i++) {
        if (!p->authors[i]) fatal("NULL author", NULL);
        n += walk(p->authors[i]);
    }
    if (p->ncategories && !p->categories) fatal("categories count without an array", NULL);
    for (size_t i = 0; i < p->ncategories; i++) {
        if (!p->categories[i]) fatal("NULL category", NULL);
        n += walk(p->categories[i]);
    }
    if (p->nsources < 1 || p->nsources > SRC_COUNT) fatal("nsources out of range", NULL);
    if (p->sources[0].source != FUZZ_PROV.source) fatal("sources[0] is another provider", NULL);
    if (p->sources[0].rank != (int)idx + 1) fatal("rank is not the position", NULL);
    for (size_t i = 0; i < p->nsources; i++)
        n += walk(p->sources[i].id);
    (void)n;
}

static void check_answer(const paper_list_t *l)
{
    query_t q;
    query_init(&q);
    q.text = "fuzz";
    const paper_t **page = malloc((l->n ? l->n : 1) * sizeof *page);
    if (!page) return;
    for (size_t i = 0; i < l->n; i++)
        page[i] = &l->items[i];
    answer_t ans = {.query = &q, .papers = page, .npapers = l->n, .total = l->n};
    ans.providers[FUZZ_PROV.source] =
        (answer_provider_t){.asked = true, .status = PSTAT_OK, .results = (long)l->n};
    size_t len = 0;
    char *json = answer_json_write(&ans, &len);
    free(page);
    if (!json) fatal("answer_json_write failed", NULL);
    if (strlen(json) != len) fatal("answer has a NUL inside or a wrong length", NULL);
    json_error_t jerr;
    json_t *root = json_loadb(json, len, 0, &jerr);
    if (!root) {
        fprintf(stderr, "%.*s\n", (int)(len > 4096 ? 4096 : len), json);
        fatal("answer is not valid JSON", jerr.text);
    }
    json_decref(root);
    free(json);
}

static int str_eq(const char *x, const char *y)
{
    return (x == NULL && y == NULL) || (x != NULL && y != NULL && strcmp(x, y) == 0);
}

static void same_paper(const paper_t *p, const paper_t *q)
{
    if (!str_eq(p->title, q->title) || !str_eq(p->abstract, q->abstract) ||
        !str_eq(p->doi, q->doi) || !str_eq(p->arxiv_id, q->arxiv_id) ||
        !str_eq(p->arxiv_version, q->arxiv_version) || !str_eq(p->published, q->published) ||
        !str_eq(p->venue, q->venue) || !str_eq(p->url, q->url) || !str_eq(p->pdf_url, q->pdf_url) ||
        p->year != q->year || p->citations != q->citations || p->open_access != q->open_access ||
        p->nauthors != q->nauthors || p->ncategories != q->ncategories ||
        p->nsources != q->nsources || p->sources[0].rank != q->sources[0].rank ||
        !str_eq(p->sources[0].id, q->sources[0].id))
        fatal("a paper differs when the body is cut", p->title);
    for (size_t k = 0; k < p->nauthors; k++)
        if (!str_eq(p->authors[k], q->authors[k])) fatal("an author differs when cut", NULL);
    for (size_t k = 0; k < p->ncategories; k++)
        if (!str_eq(p->categories[k], q->categories[k])) fatal("a category differs when cut", NULL);
}

/* Reads body fed in pieces ending at cuts[0..n) and checks the answer is
 * the one read whole (rc, err, out). */
static void check_cut(const char *body, size_t size, const size_t *cuts, size_t n, int rc,
                      const char *err, const prov_result_t *out)
{
    arena_t *a = arena_new(0);
    if (!a) return;
    prov_stream_t *s = prov_stream_new(&FUZZ_PROV, a);
    if (!s) {
        arena_free(a);
        return;
    }
    size_t at = 0;
    for (size_t i = 0; i <= n; i++) {
        size_t end = i < n ? cuts[i] : size;
        prov_stream_feed(s, body + at, end - at);
        at = end;
    }
    prov_result_t r;
    char e[256] = "";
    int rc2 = prov_stream_finish(s, &r, e, sizeof e);
    prov_stream_free(s);
    if (rc2 != rc) fatal("the status differs when the body is cut", e);
    /* libxml2's push parser words a well-formedness error by where the
     * piece it was in ended (e.g. "not proper UTF-8" or "invalid Char
     * value" for the same byte): past "invalid XML: " only the status
     * must agree. */
    const char *x = strstr(err, "invalid XML: ");
    size_t same = x != NULL ? (size_t)(x - err) + 13 : strlen(err) + 1;
    if (strncmp(e, err, same) != 0) fatal("the message differs when the body is cut", e);
    if (rc == 0) {
        if (r.total != out->total) fatal("the total differs when the body is cut", NULL);
        if (r.papers.n != out->papers.n) fatal("the number of papers differs when cut", NULL);
        for (size_t i = 0; i < r.papers.n; i++)
            same_paper(&out->papers.items[i], &r.papers.items[i]);
    } else if (r.papers.n != 0) {
        fatal("a failed answer kept papers", NULL);
    }
    arena_free(a);
}

static void check_cuts(const char *body, size_t size, int rc, const char *err,
                       const prov_result_t *out)
{
    if (size < 2) return;
    uint64_t h = 1469598103934665603ull; /* FNV-1a of the input: its own cuts */
    for (size_t i = 0; i < size; i++)
        h = (h ^ (uint8_t)body[i]) * 1099511628211ull;
    size_t cuts[8], n = 1 + (size_t)(h % 8);
    for (size_t i = 0; i < n; i++) {
        h = h * 6364136223846793005ull + 1442695040888963407ull;
        cuts[i] = 1 + (size_t)((h >> 33) % (size - 1));
    }
    for (size_t i = 1; i < n; i++) /* ascending */
        for (size_t k = i; k > 0 && cuts[k - 1] > cuts[k]; k--) {
            size_t t = cuts[k];
            cuts[k] = cuts[k - 1];
            cuts[k - 1] = t;
        }
    check_cut(body, size, cuts, n, rc, err, out);
    if (size <= 2048) {
        size_t *all = malloc(size * sizeof *all);
        if (!all) return;
        for (size_t i = 0; i + 1 < size; i++)
            all[i] = i + 1;
        check_cut(body, size, all, size - 1, rc, err, out);
        free(all);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *body = malloc(size ? size : 1);
    if (!body) return 0;
    if (size) memcpy(body, data, size);
    arena_t *a = arena_new(0);
    if (!a) {
        free(body);
        return 0;
    }
    prov_result_t out;
    memset(&out, 0, sizeof out);
    char err[256];
    memset(err, 'x', sizeof err);
    int rc = prov_parse(&FUZZ_PROV, body, size, a, &out, err, sizeof err);
    if (rc == 0) {
        if (out.total < -1) fatal("total below -1", NULL);
        if (out.papers.n && !out.papers.items) fatal("papers count without an array", NULL);
        for (size_t i = 0; i < out.papers.n; i++)
            check_paper(&out.papers.items[i], i);
        check_answer(&out.papers);
    } else if (rc == -1) {
        if (!memchr(err, '\0', sizeof err)) fatal("error message not NUL-terminated", NULL);
        if (!err[0]) fatal("failure without a message", NULL);
    } else {
        fatal("parse returned neither 0 nor -1", NULL);
    }
    if (rc == 0 || rc == -1) check_cuts(body, size, rc, rc == 0 ? "" : err, &out);
    arena_free(a);
    free(body);
    return 0;
}
