/* libFuzzer target: the citation-list readers (providers/cites.h) on one
 * body: S2's citations and references pages, OpenAlex's list and work,
 * S2's record of a paper. The body is copied into a buffer of exactly its
 * size (ASan catches a read past len). A failed read leaves the page as it
 * was; a good one ranks its papers by position, gives S2's every paper its
 * edge info, and the merged list written as an answer is valid JSON. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/cites.h"
#include "providers/cites.h"

static void fatal(const char *what)
{
    fprintf(stderr, "fuzz_cites: %s\n", what);
    abort();
}

static void check_page(const cites_page_t *pg, size_t before, int rc, bool s2)
{
    if (rc < 0 && pg->papers.n != before) fatal("a failed read kept papers");
    for (size_t i = 0; i < pg->papers.n; i++) {
        const paper_t *p = &pg->papers.items[i];
        if (p->title == NULL) fatal("paper with a NULL title");
        if (p->sources[0].rank != (int)i + 1) fatal("rank is not the position");
        if (s2 && (pg->info == NULL || i >= pg->info_cap)) fatal("S2 paper without edge info");
        if (s2)
            for (size_t k = 0; k < pg->info[i].nintents + pg->info[i].ncontexts; k++) {
                const char *s = k < pg->info[i].nintents
                                    ? pg->info[i].intents[k]
                                    : pg->info[i].contexts[k - pg->info[i].nintents];
                if (s == NULL || strlen(s) == (size_t)-1) fatal("NULL intent or context");
            }
    }
    if (pg->more && pg->next == NULL) fatal("more without a next");
}

static void check_answer(arena_t *a, const cites_page_t *s2, const cites_page_t *oa)
{
    const cites_page_t *pages[SRC_COUNT] = {0};
    pages[SRC_SEMANTIC_SCHOLAR] = s2;
    pages[SRC_OPENALEX] = oa;
    cites_params_t p;
    char err[64];
    if (cites_params_parse(&p, "limit=1000", 10, err, sizeof err) < 0) fatal("params");
    cite_list_t l;
    if (cites_merge(a, pages, &p, &l) < 0) fatal("merge failed");
    cites_answer_t ans = {.dir = CITES_CITATIONS, .id = "doi:10.1/x", .list = &l, .params = &p};
    size_t len;
    char *json = cites_answer_write(&ans, &len);
    if (json == NULL) fatal("answer not written");
    json_error_t je;
    json_t *root = json_loadb(json, len, 0, &je);
    if (root == NULL) fatal("answer is not valid JSON");
    json_decref(root);
    free(json);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *body = malloc(size ? size : 1);
    arena_t *a = arena_new(0);
    if (body == NULL || a == NULL) {
        free(body);
        arena_free(a);
        return 0;
    }
    if (size) memcpy(body, data, size);
    char err[256];
    cites_page_t s2 = {0}, oa = {0};
    for (int d = 0; d < 2; d++) {
        size_t before = s2.papers.n;
        int rc = prov_s2_cites_parse((cites_dir_t)d, body, size, a, &s2, err, sizeof err);
        if (rc != 0 && rc != -1) fatal("S2 read returned neither 0 nor -1");
        check_page(&s2, before, rc, true);
    }
    int rc = prov_openalex_list_parse(body, size, a, &oa, err, sizeof err);
    check_page(&oa, 0, rc, false);
    const char *wid, **refs, *doi, *arxiv;
    size_t nrefs;
    if (prov_openalex_work_parse(body, size, a, &wid, &refs, &nrefs, err, sizeof err) == 0) {
        if (wid == NULL || wid[0] != 'W') fatal("work without a W id");
        for (size_t i = 0; i < nrefs; i++)
            if (refs[i] == NULL || refs[i][0] != 'W') fatal("a reference that is no W id");
    }
    if (prov_s2_ids_parse(body, size, a, &doi, &arxiv, err, sizeof err) == 0) {
        if (doi != NULL && strncmp(doi, "10.48550/", 9) == 0) fatal("arXiv's DOI as a DOI");
    }
    check_answer(a, &s2, &oa);
    arena_free(a);
    free(body);
    return 0;
}
