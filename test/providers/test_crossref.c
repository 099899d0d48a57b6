/* Crossref adapter: request building and /works parsing on fixtures. */
#include <string.h>

#include "test/providers/helpers.h"

#define BASE "https://api.crossref.org"
#define SELECT                                                                                     \
    "&select=DOI,title,author,published,published-print,published-online,issued,created,"          \
    "container-title,is-referenced-by-count,abstract,URL,type,subject"

static const prov_def_t *D = &prov_crossref;

TEST(build_plain_query)
{
    arena_t *a = arena_new(0);
    query_t q = test_query("ecology");
    prov_settings_t s = test_settings(BASE, NULL, NULL, 2);
    prov_request_t r;
    char err[128];
    ASSERT_EQ(prov_build(D, &q, &s, a, &r, err, sizeof(err)), 0);
    ASSERT_STR_EQ(r.method, "GET");
    ASSERT_STR_EQ(r.url, BASE "/works?query=ecology&rows=2" SELECT);
    ASSERT_EQ(r.nheaders, 1);
    arena_free(a);
}

TEST(build_with_filters_and_mailto)
{
    arena_t *a = arena_new(0);
    query_t q = test_query("deep learning & forecasting");
    q.author = "carl boettiger";
    q.date_from = "2017-01-01";
    q.year_to = 2019;
    q.sort = SORT_DATE;
    q.open_access = true; /* not expressible: ignored */
    prov_settings_t s = test_settings(BASE, NULL, "dev@example.org", 5000);
    prov_request_t r;
    char err[128];
    ASSERT_EQ(prov_build(D, &q, &s, a, &r, err, sizeof(err)), 0);
    ASSERT_STR_EQ(r.url, BASE "/works?query=deep%20learning%20%26%20forecasting"
                              "&query.author=carl%20boettiger"
                              "&filter=from-pub-date:2017-01-01,until-pub-date:2019"
                              "&rows=1000" SELECT "&sort=published&order=desc"
                              "&mailto=dev%40example.org");
    arena_free(a);
}

TEST(build_plus_token_and_citation_sort)
{
    arena_t *a = arena_new(0);
    query_t q = test_query("x");
    q.sort = SORT_CITATIONS;
    prov_settings_t s = test_settings(BASE, "tok", NULL, 10);
    prov_request_t r;
    char err[128];
    ASSERT_EQ(prov_build(D, &q, &s, a, &r, err, sizeof(err)), 0);
    ASSERT_STR_CONTAINS(r.url, "&sort=is-referenced-by-count&order=desc");
    ASSERT(has_header(&r, "Crossref-Plus-API-Token: Bearer tok"));
    arena_free(a);
}

TEST(parse_works_sample)
{
    arena_t *a = arena_new(0);
    prov_result_t r;
    char err[256] = "";
    ASSERT_EQ(parse_fixture(D, "crossref/works.json", 0, a, &r, err, sizeof(err)), 0);
    ASSERT_EQ(r.total, 1253);
    ASSERT_EQ(r.papers.n, 2);
    paper_t *p = &r.papers.items[0];
    ASSERT_STR_EQ(p->title, "Limits to ecological forecasting: Estimating uncertainty for critical "
                            "transitions with deep learning");
    ASSERT_STR_EQ(p->doi, "10.1111/2041-210x.14013");
    ASSERT(strncmp(p->abstract, "In the current age of a rapidly changing environment", 52) == 0);
    ASSERT_STR_CONTAINS(p->abstract, "examine critical transitions.");
    ASSERT_EQ(p->citations, 17);
    ASSERT_EQ(p->year, 2022);
    ASSERT_STR_EQ(p->published, "2022-11-10");
    ASSERT_STR_EQ(p->venue, "Methods in Ecology and Evolution");
    ASSERT_EQ(p->nauthors, 2);
    ASSERT_STR_EQ(p->authors[0], "Marcus Lapeyrolerie");
    ASSERT_STR_EQ(p->url, "https://doi.org/10.1111/2041-210x.14013");
    ASSERT_NULL(p->arxiv_id);
    ASSERT_EQ(p->sources[0].source, SRC_CROSSREF);
    ASSERT_STR_EQ(p->sources[0].id, "10.1111/2041-210x.14013");
    ASSERT_EQ(p->sources[0].rank, 1);
    p = &r.papers.items[1];
    ASSERT_EQ(p->nauthors, 4);
    ASSERT_STR_EQ(p->authors[1], "Melissa S. Chapman");
    ASSERT_STR_EQ(p->published, "2022-09-14");
    ASSERT_EQ(p->sources[0].rank, 2);
    arena_free(a);
}

TEST(parse_select_with_escaped_slashes)
{
    arena_t *a = arena_new(0);
    prov_result_t r;
    char err[256] = "";
    ASSERT_EQ(parse_fixture(D, "crossref/select.json", 0, a, &r, err, sizeof(err)), 0);
    ASSERT_EQ(r.total, 525905);
    ASSERT_EQ(r.papers.n, 2);
    ASSERT_STR_EQ(r.papers.items[0].doi, "10.1093/obo/9780199830060-0238");
    ASSERT_STR_EQ(r.papers.items[0].title, "Communicating Ecology");
    ASSERT_EQ(r.papers.items[0].citations, -1);
    ASSERT_EQ(r.papers.items[0].year, 0);
    ASSERT_NULL(r.papers.items[0].abstract);
    ASSERT_STR_EQ(r.papers.items[1].url, "https://doi.org/10.1093/obo/9780199830060-0023");
    arena_free(a);
}

TEST(parse_partial_items)
{
    arena_t *a = arena_new(0);
    prov_result_t r;
    char err[256] = "";
    ASSERT_EQ(parse_fixture(D, "crossref/partial.json", 0, a, &r, err, sizeof(err)), 0);
    ASSERT_EQ(r.papers.n, 2); /* items without a DOI are not works */
    paper_t *p = &r.papers.items[0];
    ASSERT_STR_EQ(p->title, "The E. coli genome & RNA folding");
    ASSERT_STR_EQ(p->doi, "10.1002/abc.1");
    ASSERT_EQ(p->year, 2022); /* published [[null]] skipped, issued [[2022]] used */
    ASSERT_STR_EQ(p->published, "2022");
    ASSERT_EQ(p->nauthors, 2);
    ASSERT_STR_EQ(p->authors[0], "The Consortium");
    ASSERT_STR_EQ(p->authors[1], "Solo");
    ASSERT_STR_EQ(p->abstract, "Plain HTML abstract \xe2\x80\x93 with an entity.");
    ASSERT_NULL(p->venue);
    ASSERT_EQ(p->citations, 0);
    p = &r.papers.items[1];
    ASSERT_STR_EQ(p->title, "");
    ASSERT_STR_EQ(p->arxiv_id, "2401.01234");
    ASSERT_STR_EQ(p->published, "2023-03");
    ASSERT_EQ(p->ncategories, 1);
    ASSERT_EQ(p->sources[0].rank, 2);
    arena_free(a);
}

TEST(parse_errors)
{
    arena_t *a = arena_new(0);
    prov_result_t r;
    char err[256] = "";
    ASSERT_EQ(parse_fixture(D, "crossref/error_400.json", 0, a, &r, err, sizeof(err)), -1);
    ASSERT_STR_CONTAINS(err, "Integer specified as notanumber");
    ASSERT_EQ(parse_fixture(D, "crossref/exception_500.json", 0, a, &r, err, sizeof(err)), -1);
    ASSERT_STR_CONTAINS(err, "NullPointerException");
    ASSERT_EQ(parse_fixture(D, "crossref/not_found.txt", 0, a, &r, err, sizeof(err)), -1);
    ASSERT_STR_CONTAINS(err, "crossref: invalid JSON");
    for (size_t i = 0; i < sizeof(garbage_bodies) / sizeof(garbage_bodies[0]); i++) {
        ASSERT_EQ(parse_string(D, garbage_bodies[i], a, &r, err, sizeof(err)), -1);
        ASSERT_STR_CONTAINS(err, "crossref");
    }
    size_t len = 0;
    free(fixture_read("crossref/works.json", &len));
    for (size_t cut = 1; cut + 2 < len; cut += len / 43 + 1)
        ASSERT_EQ(parse_fixture(D, "crossref/works.json", cut, a, &r, err, sizeof(err)), -1);
    arena_free(a);
}

/* A real search answer (see fixtures/README.md): one JATS abstract holds
 * HTML escaped a second time ("<jats:p>&lt;p&gt;..."). */
TEST(parse_real_escaped_html_inside_jats)
{
    arena_t *a = arena_new(0);
    prov_result_t r;
    char err[256] = "";
    ASSERT_EQ(parse_fixture(&prov_crossref, "crossref/real_escaped_jats.json", 0, a, &r, err,
                            sizeof(err)),
              0);
    ASSERT_EQ(r.papers.n, 3);
    const char *ab = r.papers.items[2].abstract;
    ASSERT_NOT_NULL(ab);
    ASSERT(strncmp(ab, "The impact of AI technologies", 29) == 0);
    ASSERT(strstr(ab, "<p>") == NULL && strstr(ab, "</p>") == NULL && strstr(ab, "&lt;") == NULL);
    ASSERT_STR_CONTAINS(r.papers.items[1].abstract, "(Aoun 2017; Gleason 2018; Peters & Jandri");
    arena_free(a);
}

/* A real /members/98/works answer (habanero, see fixtures/README.md): a
 * journal-issue record has a DOI and no title; the merge leaves it out. */
TEST(parse_real_journal_issue_without_title)
{
    arena_t *a = arena_new(0);
    prov_result_t r;
    char err[256] = "";
    ASSERT_EQ(parse_fixture(&prov_crossref, "crossref/real_journal_issue.json", 0, a, &r, err,
                            sizeof(err)),
              0);
    ASSERT_EQ(r.total, 138567);
    ASSERT_EQ(r.papers.n, 3);
    ASSERT_STR_EQ(r.papers.items[1].doi, "10.1002/humu.2018.39.issue-6");
    ASSERT(r.papers.items[1].title == NULL || r.papers.items[1].title[0] == '\0');
    ASSERT_STR_EQ(r.papers.items[0].title,
                  "Assessment of winegrape value in the vineyard\xe2\x80\x94"
                  "Survey of cv. Shiraz from South Australian vineyards in 1992");
    arena_free(a);
}

TEST_MAIN()
