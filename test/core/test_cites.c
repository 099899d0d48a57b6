/* Citation lists (core/cites.h): the parameters and the cursor, the edge
 * merge across sources with the search's identity rules, the answer. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/cites.h"
#include "core/export.h"
#include "test/test.h"

static int parse(cites_params_t *p, const char *qs, char *err)
{
    return cites_params_parse(p, qs, strlen(qs), err, 200);
}

TEST(params_defaults_and_values)
{
    cites_params_t p;
    char err[200] = "";
    ASSERT_EQ(parse(&p, "", err), 0);
    ASSERT_EQ(p.limit, CITES_DEFAULT_LIMIT);
    ASSERT_EQ(p.min_citations, -1);
    ASSERT_EQ(p.sort, CITES_SORT_CITATIONS);
    ASSERT(!p.has_cursor);
    ASSERT_EQ(parse(&p, "limit=1000&year_from=2010&year_to=2020&min_citations=5&sort=date", err),
              0);
    ASSERT_EQ(p.limit, 1000);
    ASSERT_EQ(p.year_from, 2010);
    ASSERT_EQ(p.year_to, 2020);
    ASSERT_EQ(p.min_citations, 5);
    ASSERT_EQ(p.sort, CITES_SORT_DATE);
    ASSERT_EQ(parse(&p, "sort=citations&&limit=1", err), 0);
    ASSERT_EQ(p.limit, 1);
    ASSERT_EQ(p.format, -1); /* absent: Accept decides */
    ASSERT_EQ(parse(&p, "format=csl-json&limit=3", err), 0);
    ASSERT_EQ(p.format, EXPORT_CSL_JSON);
    ASSERT_EQ(parse(&p, "format=bibtex", err), 0);
    ASSERT_EQ(p.format, EXPORT_BIBTEX);
    /* The format is not part of the list: a cursor serves every format. */
    cites_params_t q;
    ASSERT_EQ(parse(&q, "format=ris", err), 0);
    ASSERT_EQ(cites_list_key(CITES_CITATIONS, "doi:10.1/x", &p),
              cites_list_key(CITES_CITATIONS, "doi:10.1/x", &q));
}

TEST(params_refused_with_the_parameter_named)
{
    static const struct {
        const char *qs, *want;
    } bad[] = {
        {"limit=0", "limit"},
        {"limit=1001", "limit"},
        {"limit=ten", "limit"},
        {"limit=", "limit"},
        {"year_from=99", "year_from"},
        {"year_to=2020x", "year_to"},
        {"min_citations=-1", "min_citations"},
        {"sort=relevance", "sort"},
        {"cursor=abc", "cursor"},
        {"cursor=v1.zz.00000000", "cursor"},
        {"cursor=v1.10.0000000", "cursor"},
        {"cursor=v1..00000000", "cursor"},
        {"cursor=v1.10.ABCDEF01", "cursor"},
        {"page=2", "page"},
        {"year_from=2020&year_to=2010", "year_from"},
        {"limit=%zz", "limit"},
        {"format=endnote", "format"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cites_params_t p;
        char err[200] = "";
        ASSERT_EQ(parse(&p, bad[i].qs, err), -1);
        ASSERT_STR_CONTAINS(err, bad[i].want);
    }
}

TEST(cursor_round_trip_and_key)
{
    char cur[48];
    cites_cursor_make(cur, sizeof(cur), 1000, 0xdeadbeefu);
    ASSERT_STR_EQ(cur, "v1.3e8.deadbeef");
    size_t off;
    uint32_t key;
    ASSERT_EQ(cites_cursor_read(cur, strlen(cur), &off, &key), 0);
    ASSERT_EQ(off, 1000);
    ASSERT_EQ_U(key, 0xdeadbeefu);
    cites_params_t p;
    char err[200];
    char qs[80];
    snprintf(qs, sizeof(qs), "cursor=%s&limit=5", cur);
    ASSERT_EQ(parse(&p, qs, err), 0);
    ASSERT(p.has_cursor);
    ASSERT_EQ(p.offset, 1000);
    /* The key tells lists apart: another sort, filter, id or direction. */
    cites_params_t a, b;
    ASSERT_EQ(parse(&a, "", err), 0);
    ASSERT_EQ(parse(&b, "sort=date", err), 0);
    uint32_t k = cites_list_key(CITES_CITATIONS, "doi:10.1/x", &a);
    ASSERT_NE(k, cites_list_key(CITES_CITATIONS, "doi:10.1/x", &b));
    ASSERT_NE(k, cites_list_key(CITES_REFERENCES, "doi:10.1/x", &a));
    ASSERT_NE(k, cites_list_key(CITES_CITATIONS, "doi:10.1/y", &a));
    ASSERT_EQ(k, cites_list_key(CITES_CITATIONS, "doi:10.1/x", &a));
    /* limit is not part of it: pages of other sizes follow each other. */
    ASSERT_EQ(parse(&b, "limit=7", err), 0);
    ASSERT_EQ(k, cites_list_key(CITES_CITATIONS, "doi:10.1/x", &b));
}

/* A paper of src at the next rank of pg. */
static paper_t *add(cites_page_t *pg, arena_t *a, source_t src, const char *id, const char *title,
                    const char *doi, const char *arxiv, int year, long long cites)
{
    paper_t *p = paper_list_add(&pg->papers, a);
    p->title = title;
    p->doi = doi;
    p->arxiv_id = arxiv;
    p->year = year;
    p->citations = cites;
    static const char *first[] = {"A. Author"};
    p->authors = first;
    p->nauthors = 1;
    p->sources[0] = (paper_source_t){.source = src, .id = id, .rank = (int)pg->papers.n};
    p->nsources = 1;
    return p;
}

/* The S2 page and the OpenAlex page of one list: three edges known to
 * both (by DOI, by arXiv id, by title/author/year), one to each alone. */
static void two_sources(arena_t *a, cites_page_t *s2, cites_page_t *oa)
{
    memset(s2, 0, sizeof(*s2));
    memset(oa, 0, sizeof(*oa));
    static const char *intents[] = {"methodology", "result"};
    static const char *contexts[] = {"as shown in [3]"};
    add(s2, a, SRC_SEMANTIC_SCHOLAR, "s2a", "Paper A", "10.1/a", NULL, 2020, 50);
    cite_edge_info_t *in = cites_page_info_add(s2, a);
    in->influential = 1;
    in->intents = intents;
    in->nintents = 2;
    in->contexts = contexts;
    in->ncontexts = 1;
    add(s2, a, SRC_SEMANTIC_SCHOLAR, "s2b", "Paper B", NULL, "2101.00001", 2021, 5);
    cites_page_info_add(s2, a)->influential = 0;
    add(s2, a, SRC_SEMANTIC_SCHOLAR, "s2c", "Paper C: the title", NULL, NULL, 2019, 7);
    cites_page_info_add(s2, a);
    add(s2, a, SRC_SEMANTIC_SCHOLAR, "s2d", "Only in S2", "10.1/d", NULL, 2015, 100);
    cites_page_info_add(s2, a);

    add(oa, a, SRC_OPENALEX, "W4", "Only in OpenAlex", "10.1/e", NULL, 2022, 1);
    add(oa, a, SRC_OPENALEX, "W1", "Paper A (journal)", "10.1/a", NULL, 2020, 60);
    add(oa, a, SRC_OPENALEX, "W2", "Paper B", "10.48550/arxiv.2101.00001", "2101.00001", 2021, 4);
    add(oa, a, SRC_OPENALEX, "W3", "Paper C -- the title", NULL, NULL, 2020, 9);
}

static const cite_edge_t *edge_of(const cite_list_t *l, const char *doi_or_title)
{
    for (size_t i = 0; i < l->n; i++) {
        const paper_t *p = l->edges[i].paper;
        if ((p->doi != NULL && strcmp(p->doi, doi_or_title) == 0) ||
            strcmp(p->title, doi_or_title) == 0)
            return &l->edges[i];
    }
    return NULL;
}

TEST(merge_dedupes_across_sources_and_says_who_knows)
{
    arena_t *a = arena_new(0);
    cites_page_t s2, oa;
    two_sources(a, &s2, &oa);
    const cites_page_t *pages[SRC_COUNT] = {0};
    pages[SRC_SEMANTIC_SCHOLAR] = &s2;
    pages[SRC_OPENALEX] = &oa;
    cites_params_t p;
    char err[200];
    ASSERT_EQ(parse(&p, "", err), 0);
    cite_list_t l;
    ASSERT_EQ(cites_merge(a, pages, &p, &l), 0);
    ASSERT_EQ(l.n, 5);
    ASSERT_EQ(l.nall, 5);
    unsigned both = 1u << SRC_SEMANTIC_SCHOLAR | 1u << SRC_OPENALEX;
    const cite_edge_t *e = edge_of(&l, "10.1/a");
    ASSERT_NOT_NULL(e);
    ASSERT_EQ_U(e->sources, both);
    ASSERT_EQ(e->paper->citations, 60); /* the field merge: the highest known */
    ASSERT_NOT_NULL(e->info);
    ASSERT_EQ(e->info->influential, 1);
    ASSERT_STR_EQ(e->info->intents[1], "result");
    e = edge_of(&l, "10.48550/arxiv.2101.00001");
    ASSERT_NOT_NULL(e);
    ASSERT_EQ_U(e->sources, both);
    ASSERT_EQ(e->info->influential, 0);
    /* By title, first author and year: the title in authority order. */
    e = edge_of(&l, "Paper C -- the title");
    ASSERT_NOT_NULL(e);
    ASSERT_EQ_U(e->sources, both);
    e = edge_of(&l, "10.1/d");
    ASSERT_EQ_U(e->sources, 1u << SRC_SEMANTIC_SCHOLAR);
    e = edge_of(&l, "10.1/e");
    ASSERT_EQ_U(e->sources, 1u << SRC_OPENALEX);
    ASSERT_NULL(e->info); /* OpenAlex alone: nothing said of the edge */
    /* Most cited first (the default order). */
    for (size_t i = 1; i < l.n; i++)
        ASSERT_GE(l.edges[i - 1].paper->citations, l.edges[i].paper->citations);
    arena_free(a);
}

TEST(merge_filters_and_orders)
{
    arena_t *a = arena_new(0);
    cites_page_t s2, oa;
    two_sources(a, &s2, &oa);
    const cites_page_t *pages[SRC_COUNT] = {0};
    pages[SRC_SEMANTIC_SCHOLAR] = &s2;
    pages[SRC_OPENALEX] = &oa;
    cites_params_t p;
    char err[200];
    cite_list_t l;
    ASSERT_EQ(parse(&p, "year_from=2019&year_to=2021&min_citations=6&sort=date", err), 0);
    ASSERT_EQ(cites_merge(a, pages, &p, &l), 0);
    ASSERT_EQ(l.n, 2); /* A (2020, 60) and C (2019/2020, 9); B has 5, D is 2015, E 2022 */
    ASSERT_EQ(l.nall, 5);
    ASSERT_STR_EQ(l.edges[0].paper->doi, "10.1/a"); /* newest first */
    /* One source alone, and none. */
    pages[SRC_OPENALEX] = NULL;
    ASSERT_EQ(parse(&p, "", err), 0);
    ASSERT_EQ(cites_merge(a, pages, &p, &l), 0);
    ASSERT_EQ(l.n, 4);
    pages[SRC_SEMANTIC_SCHOLAR] = NULL;
    ASSERT_EQ(cites_merge(a, pages, &p, &l), 0);
    ASSERT_EQ(l.n, 0);
    arena_free(a);
}

TEST(answer_pages_with_a_cursor)
{
    arena_t *a = arena_new(0);
    cites_page_t s2, oa;
    two_sources(a, &s2, &oa);
    const cites_page_t *pages[SRC_COUNT] = {0};
    pages[SRC_SEMANTIC_SCHOLAR] = &s2;
    pages[SRC_OPENALEX] = &oa;
    cites_params_t p;
    char err[200];
    ASSERT_EQ(parse(&p, "limit=2", err), 0);
    cite_list_t l;
    ASSERT_EQ(cites_merge(a, pages, &p, &l), 0);
    cites_answer_t ans = {.dir = CITES_CITATIONS,
                          .id = "doi:10.1/x",
                          .list = &l,
                          .params = &p,
                          .key = 0x1234abcdu,
                          .took_ms = 12.5};
    ans.providers[SRC_SEMANTIC_SCHOLAR] =
        (answer_provider_t){.asked = true, .status = PSTAT_OK, .results = 4, .latency_ms = 3};
    ans.providers[SRC_OPENALEX] = (answer_provider_t){
        .asked = true, .status = PSTAT_TIMEOUT, .results = 4, .latency_ms = -1, .error = "slow"};
    ans.truncated[SRC_OPENALEX] = true;
    ans.partial = true;
    size_t len;
    char *body = cites_answer_write(&ans, &len);
    ASSERT_NOT_NULL(body);
    ASSERT_EQ(len, strlen(body));
    json_error_t je;
    json_t *j = json_loads(body, 0, &je);
    ASSERT_NOT_NULL(j);
    ASSERT_STR_EQ(json_string_value(json_object_get(j, "direction")), "citations");
    ASSERT_EQ(json_integer_value(json_object_get(j, "total")), 5);
    ASSERT_STR_EQ(json_string_value(json_object_get(j, "next_cursor")), "v1.2.1234abcd");
    json_t *edges = json_object_get(j, "edges");
    ASSERT_EQ(json_array_size(edges), 2);
    json_t *e0 = json_array_get(edges, 0); /* D, most cited, known to S2 alone */
    ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(e0, "paper"), "id")),
                  "doi:10.1/d");
    ASSERT_EQ(json_array_size(json_object_get(e0, "sources")), 1);
    ASSERT(json_is_null(json_object_get(e0, "is_influential")));
    e0 = json_array_get(edges, 1);
    ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(e0, "paper"), "id")),
                  "doi:10.1/a");
    ASSERT_EQ(json_array_size(json_object_get(e0, "sources")), 2);
    ASSERT_STR_EQ(json_string_value(json_array_get(json_object_get(e0, "sources"), 1)), "openalex");
    ASSERT(json_is_true(json_object_get(e0, "is_influential")));
    ASSERT_EQ(json_array_size(json_object_get(e0, "contexts")), 1);
    json_t *oa_st = json_object_get(json_object_get(j, "providers"), "openalex");
    ASSERT_STR_EQ(json_string_value(json_object_get(oa_st, "status")), "timeout");
    ASSERT(json_is_true(json_object_get(oa_st, "truncated")));
    ASSERT(json_is_null(json_object_get(oa_st, "latency_ms")));
    ASSERT(json_is_true(json_object_get(j, "partial")));
    json_decref(j);
    free(body);
    /* The last page: from the cursor's offset, no next cursor. */
    p.offset = 4;
    body = cites_answer_write(&ans, &len);
    j = json_loads(body, 0, &je);
    ASSERT_EQ(json_array_size(json_object_get(j, "edges")), 1);
    ASSERT(json_is_null(json_object_get(j, "next_cursor")));
    json_decref(j);
    free(body);
    /* Past the end: an empty page. */
    p.offset = 99;
    body = cites_answer_write(&ans, &len);
    j = json_loads(body, 0, &je);
    ASSERT_EQ(json_array_size(json_object_get(j, "edges")), 0);
    ASSERT_EQ(json_integer_value(json_object_get(j, "offset")), 5);
    json_decref(j);
    free(body);
    arena_free(a);
}

TEST_MAIN()
