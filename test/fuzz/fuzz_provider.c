/* libFuzzer target: one provider's response parser (prov_parse()),
 * built once per provider with -DFUZZ_PROV=prov_<name>.
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
    arena_free(a);
    free(body);
    return 0;
}
