/* Semantic Scholar adapter: request building and JSON parsing on fixtures. */
#include <string.h>

#include "test/providers/helpers.h"

#define BASE "https://api.semanticscholar.org"
#define FIELDS                                                                                     \
    "&fields=paperId,externalIds,url,title,abstract,venue,year,publicationDate,journal,"           \
    "citationCount,isOpenAccess,openAccessPdf,fieldsOfStudy,s2FieldsOfStudy,authors,"              \
    "publicationTypes"

static const prov_def_t *D = &prov_semantic_scholar;

TEST(build_plain_query_without_key)
{
    arena_t *a = arena_new(0);
    query_t q = test_query("self-attention is all you need");
    prov_settings_t s = test_settings(BASE, NULL, NULL, 20);
    prov_request_t r;
    char err[128];
    ASSERT_EQ(prov_build(D, &q, &s, a, &r, err, sizeof(err)), 0);
    ASSERT_STR_EQ(r.method, "GET");
    ASSERT_STR_EQ(r.url,
                  BASE "/graph/v1/paper/search?query=self%20attention%20is%20all%20you%20need"
                       "&offset=0&limit=20" FIELDS);
    ASSERT_EQ(r.nheaders, 1);
    ASSERT(has_header(&r, "Accept: application/json"));
    arena_free(a);
}

TEST(build_with_filters_and_key)
{
    arena_t *a = arena_new(0);
    query_t q = test_query("graph networks");
    q.year_from = 2016;
    q.year_to = 2020;
    q.category = "cs.LG";
    q.open_access = true;
    q.author = "someone"; /* not expressible: ignored */
    prov_settings_t s = test_settings(BASE, "s2-secret", NULL, 500);
    prov_request_t r;
    char err[128];
    ASSERT_EQ(prov_build(D, &q, &s, a, &r, err, sizeof(err)), 0);
    ASSERT_STR_EQ(r.url,
                  BASE "/graph/v1/paper/search?query=graph%20networks&offset=0&limit=100" FIELDS
                       "&year=2016-2020&fieldsOfStudy=Computer%20Science&openAccessPdf=");
    ASSERT(has_header(&r, "x-api-key: s2-secret"));
    arena_free(a);
}

TEST(build_pushes_min_citations_and_type_when_it_can)
{
    arena_t *a = arena_new(0);
    query_t q = test_query("graph networks");
    q.min_citations = 7;
    q.types = (1u << PAPER_TYPE_PROCEEDINGS) | (1u << PAPER_TYPE_REVIEW);
    q.venue = "nature"; /* not pushed: S2's venue= is exact names, ours a substring */
    prov_settings_t s = test_settings(BASE, NULL, NULL, 5);
    prov_request_t r;
    char err[128];
    ASSERT_EQ(prov_build(D, &q, &s, a, &r, err, sizeof(err)), 0);
    ASSERT_STR_CONTAINS(r.url, FIELDS "&minCitationCount=7&publicationTypes=Conference,Review");
    ASSERT_EQ(r.pushed, (unsigned)(QFILTER_MIN_CITATIONS | QFILTER_TYPE));
    /* S2 has no preprint type: the types are left to the merge. */
    q.types |= 1u << PAPER_TYPE_PREPRINT;
    ASSERT_EQ(prov_build(D, &q, &s, a, &r, err, sizeof(err)), 0);
    ASSERT(strstr(r.url, "&publicationTypes=") == NULL);
    ASSERT_EQ(r.pushed, (unsigned)QFILTER_MIN_CITATIONS);
    arena_free(a);
}

TEST(build_year_forms)
{
    static const struct {
        int from, to;
        const char *date_from, *date_to, *want;
    } cases[] = {
        {2019, 2019, NULL, NULL, "&year=2019"},
        {2010, 0, NULL, NULL, "&year=2010-"},
        {0, 2015, NULL, NULL, "&year=-2015"},
        {2016, 2020, "2016-03-05", "2020-06-06", "&publicationDateOrYear=2016-03-05%3A2020-06-06"},
        {1981, 0, "1981-08-25", NULL, "&publicationDateOrYear=1981-08-25%3A"},
        {2014, 2015, NULL, "2015-01-31", "&publicationDateOrYear=2014-01-01%3A2015-01-31"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        arena_t *a = arena_new(0);
        query_t q = test_query("x");
        q.year_from = cases[i].from;
        q.year_to = cases[i].to;
        q.date_from = cases[i].date_from;
        q.date_to = cases[i].date_to;
        prov_settings_t s = test_settings(BASE, "", NULL, 10);
        prov_request_t r;
        char err[128];
        ASSERT_EQ(prov_build(D, &q, &s, a, &r, err, sizeof(err)), 0);
        ASSERT_STR_CONTAINS(r.url, cases[i].want);
        ASSERT_EQ(r.nheaders, 1); /* "" is no key */
        arena_free(a);
    }
}

TEST(parse_search_sample)
{
    arena_t *a = arena_new(0);
    prov_result_t r;
    char err[256] = "";
    ASSERT_EQ(parse_fixture(D, "semantic_scholar/search.json", 0, a, &r, err, sizeof(err)), 0);
    ASSERT_EQ(r.total, 5840);
    ASSERT_EQ(r.papers.n, 2);
    paper_t *p = &r.papers.items[0];
    ASSERT_STR_EQ(p->title, "Attention is All you Need");
    ASSERT_STR_EQ(p->arxiv_id, "1706.03762");
    ASSERT_NULL(p->arxiv_version);
    ASSERT_NULL(p->doi);
    ASSERT_EQ(p->year, 2017);
    ASSERT_STR_EQ(p->published, "2017-06-12");
    ASSERT_STR_EQ(p->venue, "Neural Information Processing Systems");
    ASSERT_EQ(p->citations, 158214);
    ASSERT(!p->open_access);
    ASSERT_NULL(p->pdf_url); /* url "" */
    ASSERT_EQ(p->nauthors, 4);
    ASSERT_STR_EQ(p->authors[1], "Noam M. Shazeer");
    ASSERT_EQ(p->ncategories, 1);
    ASSERT_STR_EQ(p->categories[0], "Computer Science");
    ASSERT_STR_EQ(p->url,
                  "https://www.semanticscholar.org/paper/204e3073870fae3d05bcbc2f6a8e263d9b72e776");
    ASSERT_EQ(p->sources[0].source, SRC_SEMANTIC_SCHOLAR);
    ASSERT_STR_EQ(p->sources[0].id, "204e3073870fae3d05bcbc2f6a8e263d9b72e776");
    ASSERT_EQ(p->sources[0].rank, 1);
    ASSERT_EQ(p->nsources, 1);
    p = &r.papers.items[1];
    ASSERT_STR_EQ(p->doi, "10.18653/v1/n19-1423");
    ASSERT_STR_EQ(p->arxiv_id, "1810.04805");
    ASSERT(p->open_access);
    ASSERT_STR_EQ(p->pdf_url, "https://aclanthology.org/N19-1423.pdf");
    ASSERT_EQ(p->sources[0].rank, 2);
    arena_free(a);
}

TEST(parse_bulk_page)
{
    arena_t *a = arena_new(0);
    prov_result_t r;
    char err[256] = "";
    ASSERT_EQ(parse_fixture(D, "semantic_scholar/bulk.json", 0, a, &r, err, sizeof(err)), 0);
    ASSERT_EQ(r.total, 2463);
    ASSERT_EQ(r.papers.n, 1);
    paper_t *p = &r.papers.items[0];
    ASSERT_STR_EQ(p->doi, "10.3390/s21051910");
    ASSERT_STR_EQ(p->authors[0], "A. Poniszewska-Mara\xc5\x84"
                                 "da");
    ASSERT_EQ(p->ncategories, 3); /* Computer Science, Medicine, Engineering: no duplicates */
    ASSERT_STR_EQ(p->categories[2], "Engineering");
    arena_free(a);
}

TEST(parse_nulls_and_odd_types)
{
    arena_t *a = arena_new(0);
    prov_result_t r;
    char err[256] = "";
    ASSERT_EQ(parse_fixture(D, "semantic_scholar/nulls.json", 0, a, &r, err, sizeof(err)), 0);
    ASSERT_EQ(r.total, 3);    /* "total" as a string */
    ASSERT_EQ(r.papers.n, 2); /* non-objects and id-less, title-less items skipped */
    paper_t *p = &r.papers.items[0];
    ASSERT_STR_EQ(p->title, "Only a title");
    ASSERT_NULL(p->abstract);
    ASSERT_NULL(p->venue);
    ASSERT_NULL(p->url);
    ASSERT_EQ(p->year, 0);
    ASSERT_NULL(p->published);
    ASSERT_EQ(p->citations, -1);
    ASSERT_EQ(p->nauthors, 1);
    ASSERT_STR_EQ(p->authors[0], "Real Name");
    p = &r.papers.items[1];
    ASSERT_STR_EQ(p->title, "");
    ASSERT_STR_EQ(p->doi, "10.1000/xyz");
    ASSERT_STR_EQ(p->venue, "Journal Name");
    ASSERT_STR_EQ(p->published, "2021");
    ASSERT_NULL(p->pdf_url);
    ASSERT_EQ(p->ncategories, 1);
    ASSERT_STR_EQ(p->sources[0].id, "b2");
    ASSERT_EQ(p->sources[0].rank, 2);
    arena_free(a);
}

TEST(parse_empty)
{
    arena_t *a = arena_new(0);
    prov_result_t r;
    char err[256] = "";
    ASSERT_EQ(parse_fixture(D, "semantic_scholar/empty.json", 0, a, &r, err, sizeof(err)), 0);
    ASSERT_EQ(r.total, 0);
    ASSERT_EQ(r.papers.n, 0);
    arena_free(a);
}

/* Recorded live (danielnsilva/semanticscholar test_empty_paginated_results):
 * no "data" key at all when nothing matches. */
TEST(parse_real_zero_hits_without_data_is_ok)
{
    arena_t *a = arena_new(0);
    prov_result_t r;
    char err[256] = "";
    ASSERT_EQ(parse_fixture(D, "semantic_scholar/real_zero_hits.json", 0, a, &r, err, sizeof(err)),
              0);
    ASSERT_EQ(r.total, 0);
    ASSERT_EQ(r.papers.n, 0);
    /* A body that is neither a list nor a zero count is still refused. */
    ASSERT_EQ(parse_string(D, "{\"total\": 3, \"offset\": 0}", a, &r, err, sizeof(err)), -1);
    ASSERT_EQ(parse_string(D, "{\"total\": 0, \"error\": \"x\"}", a, &r, err, sizeof(err)), -1);
    arena_free(a);
}

/* Recorded live (danielnsilva/semanticscholar test_search_paper_bulk_retrieval):
 * a title with a JATS formula given as TeX and as MathML. */
TEST(parse_real_jats_mathml_title_keeps_one_copy_of_the_formula)
{
    arena_t *a = arena_new(0);
    prov_result_t r;
    char err[256] = "";
    ASSERT_EQ(
        parse_fixture(D, "semantic_scholar/real_bulk_mathml.json", 0, a, &r, err, sizeof(err)), 0);
    ASSERT_EQ(r.total, 2674);
    ASSERT_EQ(r.papers.n, 3);
    ASSERT_STR_EQ(r.papers.items[1].title,
                  "$\\mu$Bench: An Open-Source Factory of Benchmark Microservice Applications");
    ASSERT_STR_EQ(r.papers.items[0].title,
                  "RUNNING DATABASES IN A KUBERNETES CLUSTER An evaluation");
    arena_free(a);
}

TEST(parse_abstract_heading_is_dropped)
{
    arena_t *a = arena_new(0);
    prov_result_t r;
    char err[256] = "";
    ASSERT_EQ(
        parse_string(D,
                     "{\"total\": 2, \"data\": [{\"paperId\": \"a\", \"title\": \"T\", "
                     "\"abstract\": \"Abstract We study X.\"}, {\"paperId\": \"b\", \"title\": "
                     "\"U\", \"abstract\": \"Abstract algebra is old.\"}]}",
                     a, &r, err, sizeof(err)),
        0);
    ASSERT_STR_EQ(r.papers.items[0].abstract, "We study X.");
    ASSERT_STR_EQ(r.papers.items[1].abstract, "Abstract algebra is old.");
    arena_free(a);
}

/* Recorded live (danielnsilva/semanticscholar test_search_paper_open_access_pdf,
 * fields=openAccessPdf only): status CLOSED with a URL. */
TEST(parse_real_closed_open_access_pdf_is_not_open_access)
{
    arena_t *a = arena_new(0);
    prov_result_t r;
    char err[256] = "";
    ASSERT_EQ(
        parse_fixture(D, "semantic_scholar/real_open_access_pdf.json", 0, a, &r, err, sizeof(err)),
        0);
    ASSERT_EQ(r.papers.n, 4);
    ASSERT(r.papers.items[0].open_access); /* GOLD */
    ASSERT_STR_EQ(r.papers.items[0].pdf_url, "https://mededu.jmir.org/2023/1/e46939/PDF");
    ASSERT(r.papers.items[1].open_access); /* GREEN */
    for (size_t i = 2; i < 4; i++) {       /* CLOSED */
        ASSERT(!r.papers.items[i].open_access);
        ASSERT_NULL(r.papers.items[i].pdf_url);
    }
    arena_free(a);
}

TEST(parse_error_bodies)
{
    arena_t *a = arena_new(0);
    prov_result_t r;
    char err[256] = "";
    ASSERT_EQ(parse_fixture(D, "semantic_scholar/error_400.json", 0, a, &r, err, sizeof(err)), -1);
    ASSERT_STR_CONTAINS(err, "Unrecognized or unsupported fields");
    ASSERT_EQ(parse_fixture(D, "semantic_scholar/error_429.json", 0, a, &r, err, sizeof(err)), -1);
    ASSERT_STR_CONTAINS(err, "Too Many Requests");
    arena_free(a);
}

TEST(parse_refuses_garbage_and_truncation)
{
    for (size_t i = 0; i < sizeof(garbage_bodies) / sizeof(garbage_bodies[0]); i++) {
        arena_t *a = arena_new(0);
        prov_result_t r;
        char err[256] = "";
        ASSERT_EQ(parse_string(D, garbage_bodies[i], a, &r, err, sizeof(err)), -1);
        ASSERT_STR_CONTAINS(err, "semantic_scholar");
        arena_free(a);
    }
    size_t len = 0;
    free(fixture_read("semantic_scholar/search.json", &len));
    for (size_t cut = 1; cut + 2 < len; cut += len / 41 + 1) {
        arena_t *a = arena_new(0);
        prov_result_t r;
        char err[256] = "";
        ASSERT_EQ(parse_fixture(D, "semantic_scholar/search.json", cut, a, &r, err, sizeof(err)),
                  -1);
        arena_free(a);
    }
}

/* ---- the title call: GET /graph/v1/paper/search/match ---- */

TEST(build_title_asks_the_closest_title_match_with_the_filters)
{
    arena_t *a = arena_new(0);
    query_t q = test_query("mining association rules between");
    q.year_from = 1990;
    q.year_to = 1995;
    q.open_access = true;
    prov_settings_t s = test_settings(BASE, "s2-secret", NULL, 20);
    prov_request_t r;
    char err[128];
    ASSERT_EQ(prov_build_title(D, &q, &s, a, &r, err, sizeof(err)), 0);
    ASSERT_STR_EQ(r.method, "GET");
    ASSERT_STR_EQ(r.url, BASE "/graph/v1/paper/search/match?query=mining%20association%20rules%20"
                              "between" FIELDS "&year=1990-1995&openAccessPdf=");
    ASSERT(has_header(&r, "x-api-key: s2-secret"));
    q.text = "self-attention for graphs";
    ASSERT_EQ(prov_build_title(D, &q, &s, a, &r, err, sizeof(err)), 0);
    ASSERT_STR_CONTAINS(r.url, "?query=self%20attention%20for%20graphs&");
    arena_free(a);
}

TEST(title_match_real_answer_is_its_one_paper)
{
    arena_t *a = arena_new(0);
    prov_result_t res = {0};
    char err[128] = "";
    ASSERT_EQ(parse_fixture(D, "semantic_scholar/real_match.json", 0, a, &res, err, sizeof(err)),
              0);
    ASSERT_EQ(res.papers.n, 1);
    const paper_t *p = &res.papers.items[0];
    ASSERT_STR_EQ(p->title, "Mining association rules between sets of items in large databases");
    ASSERT_STR_EQ(p->doi, "10.1145/170035.170072");
    ASSERT_EQ(p->year, 1993);
    ASSERT_EQ(p->nauthors, 3);
    ASSERT_STR_EQ(p->authors[0], "R. Agrawal");
    ASSERT_EQ(p->citations, 16127);
    ASSERT_EQ(p->sources[0].rank, 1);
    ASSERT_STR_EQ(p->sources[0].id, "6fe8c5bf8dddaadf10c765133d38dfef5714347f");
    arena_free(a);
}

TEST(title_match_not_found_is_no_match_only_as_a_404)
{
    size_t len;
    char *body = fixture_read("semantic_scholar/real_match_not_found.json", &len);
    ASSERT_NOT_NULL(body);
    ASSERT(D->title_none(404, body, len));
    ASSERT(!D->title_none(400, body, len));
    ASSERT(!D->title_none(500, body, len));
    free(body);
    body = exact_copy("{\"error\":\"Paper with id abc not found\"}", &len);
    ASSERT(!D->title_none(404, body, len));
    free(body);
    body = exact_copy("<html>Not Found</html>", &len);
    ASSERT(!D->title_none(404, body, len));
    free(body);
}

TEST_MAIN()
