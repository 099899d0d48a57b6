/* OpenAlex adapter: request building and /works parsing on fixtures. */
#include <string.h>

#include "test/providers/helpers.h"

#define BASE "https://api.openalex.org"

static const prov_def_t *D = &prov_openalex;

TEST(build_plain_query)
{
    arena_t *a = arena_new(0);
    query_t q = test_query("attention is all you need");
    prov_settings_t s = test_settings(BASE, NULL, NULL, 2);
    prov_request_t r;
    char err[128];
    ASSERT_EQ(prov_build(D, &q, &s, a, &r, err, sizeof(err)), 0);
    ASSERT_STR_EQ(r.method, "GET");
    ASSERT_STR_EQ(
        r.url,
        BASE "/works?search=attention%20is%20all%20you%20need"
             "&sort=relevance_score:desc&per-page=2"
             "&select=id,doi,title,display_name,ids,publication_year,publication_date,authorships,"
             "abstract_inverted_index,primary_location,locations,best_oa_location,"
             "open_access,cited_by_count,primary_topic,type,type_crossref");
    arena_free(a);
}

TEST(build_with_filters_key_and_mailto)
{
    arena_t *a = arena_new(0);
    query_t q = test_query("graph networks");
    q.year_from = 2018;
    q.year_to = 2024;
    q.open_access = true;
    q.sort = SORT_CITATIONS;
    prov_settings_t s = test_settings(BASE, "oa key", "dev@example.org", 1000);
    prov_request_t r;
    char err[128];
    ASSERT_EQ(prov_build(D, &q, &s, a, &r, err, sizeof(err)), 0);
    ASSERT_STR_EQ(
        r.url,
        BASE "/works?search=graph%20networks&filter=publication_year:2018-2024,"
             "is_oa:true&sort=cited_by_count:desc&per-page=200"
             "&select=id,doi,title,display_name,ids,publication_year,publication_date,authorships,"
             "abstract_inverted_index,primary_location,locations,best_oa_location,"
             "open_access,cited_by_count,primary_topic,type,type_crossref"
             "&mailto=dev%40example.org&api_key=oa%20key");
    arena_free(a);
}

TEST(build_pushes_min_citations_and_type_when_it_can)
{
    arena_t *a = arena_new(0);
    query_t q = test_query("graph networks");
    q.min_citations = 50;
    q.types = (1u << PAPER_TYPE_ARTICLE) | (1u << PAPER_TYPE_THESIS);
    q.has_pdf = 1;      /* not pushed: is_oa says nothing of a PDF link */
    q.venue = "nature"; /* not pushed: OpenAlex wants source ids */
    prov_settings_t s = test_settings(BASE, NULL, NULL, 5);
    prov_request_t r;
    char err[128];
    ASSERT_EQ(prov_build(D, &q, &s, a, &r, err, sizeof(err)), 0);
    ASSERT_STR_CONTAINS(r.url, "&filter=cited_by_count:>49,type:article|dissertation&sort=");
    ASSERT_EQ(r.pushed, (unsigned)(QFILTER_MIN_CITATIONS | QFILTER_TYPE));
    /* A type OpenAlex has no name for (a conference paper is its article):
     * the types are left to the merge, the citations still pushed. */
    q.types |= 1u << PAPER_TYPE_PROCEEDINGS;
    ASSERT_EQ(prov_build(D, &q, &s, a, &r, err, sizeof(err)), 0);
    ASSERT_STR_CONTAINS(r.url, "&filter=cited_by_count:>49&sort=");
    ASSERT_EQ(r.pushed, (unsigned)QFILTER_MIN_CITATIONS);
    /* The title call takes the same filters. */
    q.text = "attention is all you need";
    ASSERT_EQ(prov_build_title(D, &q, &s, a, &r, err, sizeof(err)), 0);
    ASSERT_STR_CONTAINS(r.url, ",cited_by_count:>49&");
    ASSERT_EQ(r.pushed, (unsigned)QFILTER_MIN_CITATIONS);
    arena_free(a);
}

TEST(build_date_forms)
{
    static const struct {
        int from, to;
        const char *df, *dt, *want;
    } cases[] = {
        {2017, 2017, NULL, NULL, "&filter=publication_year:2017&"},
        {2017, 0, NULL, NULL, "&filter=from_publication_date:2017-01-01&"},
        {0, 2015, NULL, NULL, "&filter=to_publication_date:2015-12-31&"},
        {2017, 2019, "2017-03-01", NULL,
         "&filter=from_publication_date:2017-03-01,to_publication_date:2019-12-31&"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        arena_t *a = arena_new(0);
        query_t q = test_query("x");
        q.year_from = cases[i].from;
        q.year_to = cases[i].to;
        q.date_from = cases[i].df;
        q.date_to = cases[i].dt;
        q.sort = SORT_DATE;
        prov_settings_t s = test_settings(BASE, NULL, NULL, 10);
        prov_request_t r;
        char err[128];
        ASSERT_EQ(prov_build(D, &q, &s, a, &r, err, sizeof(err)), 0);
        ASSERT_STR_CONTAINS(r.url, cases[i].want);
        ASSERT_STR_CONTAINS(r.url, "&sort=publication_date:desc");
        arena_free(a);
    }
}

TEST(parse_works_sample)
{
    arena_t *a = arena_new(0);
    prov_result_t r;
    char err[256] = "";
    ASSERT_EQ(parse_fixture(D, "openalex/works.json", 0, a, &r, err, sizeof(err)), 0);
    ASSERT_EQ(r.total, 1287);
    ASSERT_EQ(r.papers.n, 2);
    paper_t *p = &r.papers.items[0];
    ASSERT_STR_EQ(p->title, "Attention Is All You Need");
    ASSERT_STR_EQ(p->doi, "10.48550/arxiv.1706.03762");
    ASSERT_STR_EQ(p->arxiv_id, "1706.03762");
    ASSERT_STR_EQ(p->abstract, "The dominant sequence transduction models are based on complex "
                               "recurrent or convolutional neural networks.");
    ASSERT_EQ(p->year, 2017);
    ASSERT_STR_EQ(p->published, "2017-06-12");
    ASSERT_EQ(p->citations, 6536);
    ASSERT_EQ(p->nauthors, 2);
    ASSERT_STR_EQ(p->authors[1], "Noam Shazeer");
    ASSERT_STR_EQ(p->venue, "arXiv (Cornell University)");
    ASSERT(p->open_access);
    ASSERT_STR_EQ(p->pdf_url, "https://arxiv.org/pdf/1706.03762");
    ASSERT_STR_EQ(p->url, "https://arxiv.org/abs/1706.03762");
    ASSERT_STR_EQ(p->sources[0].id, "W2626778328");
    ASSERT_EQ(p->sources[0].source, SRC_OPENALEX);
    ASSERT_EQ(p->sources[0].rank, 1);
    p = &r.papers.items[1];
    ASSERT_STR_EQ(p->doi, "10.18653/v1/n19-1423");
    ASSERT_NULL(p->arxiv_id);
    ASSERT_STR_EQ(p->abstract, "We introduce a new language representation model called BERT.");
    ASSERT_STR_EQ(p->sources[0].id, "W2896457183");
    ASSERT_EQ(p->sources[0].rank, 2);
    arena_free(a);
}

TEST(parse_data_drift_and_nulls)
{
    arena_t *a = arena_new(0);
    prov_result_t r;
    char err[256] = "";
    ASSERT_EQ(parse_fixture(D, "openalex/drift.json", 0, a, &r, err, sizeof(err)), 0);
    ASSERT_EQ(r.papers.n, 2);
    paper_t *p = &r.papers.items[0];
    ASSERT_STR_EQ(p->title, "Attention Is All You Need"); /* from display_name */
    ASSERT_STR_EQ(p->doi, "10.65215/2q58a426");           /* the top-level one, as given */
    ASSERT_STR_EQ(p->arxiv_id, "1706.03762");             /* from ids.doi */
    ASSERT_NULL(p->venue);                                /* source: null */
    ASSERT_NULL(p->abstract);
    ASSERT_EQ(p->citations, -1);
    ASSERT_EQ(p->year, 2025);
    ASSERT_STR_EQ(p->published, "2025");
    ASSERT_EQ(p->nauthors, 1);
    ASSERT_STR_EQ(p->authors[0], "A. Vaswani");
    ASSERT_STR_EQ(p->pdf_url, "https://arxiv.org/pdf/1706.03762"); /* best_oa_location */
    p = &r.papers.items[1];
    ASSERT_STR_EQ(p->title, "");
    ASSERT_STR_EQ(p->abstract, "first second third second");
    ASSERT(!p->open_access);
    ASSERT_STR_EQ(p->url, "https://openalex.org/W1");
    ASSERT_EQ(p->ncategories, 2);
    ASSERT_STR_EQ(p->categories[1], "Artificial Intelligence");
    arena_free(a);
}

TEST(parse_empty_and_errors)
{
    arena_t *a = arena_new(0);
    prov_result_t r;
    char err[256] = "";
    ASSERT_EQ(parse_fixture(D, "openalex/empty.json", 0, a, &r, err, sizeof(err)), 0);
    ASSERT_EQ(r.total, 0);
    ASSERT_EQ(r.papers.n, 0);
    ASSERT_EQ(parse_fixture(D, "openalex/error_400.json", 0, a, &r, err, sizeof(err)), -1);
    ASSERT_STR_CONTAINS(err, "nonsense_field is not a valid field");
    ASSERT_EQ(parse_fixture(D, "openalex/error_429.json", 0, a, &r, err, sizeof(err)), -1);
    ASSERT_STR_CONTAINS(err, "Rate limit exceeded");
    for (size_t i = 0; i < sizeof(garbage_bodies) / sizeof(garbage_bodies[0]); i++) {
        ASSERT_EQ(parse_string(D, garbage_bodies[i], a, &r, err, sizeof(err)), -1);
        ASSERT_STR_CONTAINS(err, "openalex");
    }
    size_t len = 0;
    free(fixture_read("openalex/works.json", &len));
    for (size_t cut = 1; cut + 2 < len; cut += len / 31 + 1)
        ASSERT_EQ(parse_fixture(D, "openalex/works.json", cut, a, &r, err, sizeof(err)), -1);
    arena_free(a);
}

TEST(parse_abstract_with_huge_positions)
{
    arena_t *a = arena_new(0);
    prov_result_t r;
    char err[256] = "";
    const char *body = "{\"meta\":{\"count\":1},\"results\":[{\"id\":\"https://openalex.org/W9\","
                       "\"abstract_inverted_index\":{\"end\":[9000000000000],\"start\":[0]}}]}";
    ASSERT_EQ(parse_string(D, body, a, &r, err, sizeof(err)), 0);
    ASSERT_STR_EQ(r.papers.items[0].abstract, "start end");
    ASSERT_STR_EQ(r.papers.items[0].url, "https://openalex.org/W9");
    arena_free(a);
}

/* A real search answer (see fixtures/README.md): the inverted index starts
 * with the heading word "Abstract". */
TEST(parse_real_abstract_heading_is_dropped)
{
    arena_t *a = arena_new(0);
    prov_result_t r;
    char err[256] = "";
    ASSERT_EQ(parse_fixture(&prov_openalex, "openalex/real_abstract_heading.json", 0, a, &r, err,
                            sizeof(err)),
              0);
    ASSERT_EQ(r.total, 734594);
    ASSERT_EQ(r.papers.n, 2);
    ASSERT_STR_EQ(r.papers.items[0].abstract,
                  "According to various international reports, Artificial Intelligence in "
                  "Education (AIEd) is one of the currently emerging fields in educational "
                  "technology. Whilst it has been around for about");
    ASSERT_NULL(r.papers.items[1].abstract);
    ASSERT_STR_EQ(r.papers.items[0].doi, "10.1186/s41239-019-0171-0");
    arena_free(a);
}

TEST(parse_double_escaped_entities_in_the_index)
{
    arena_t *a = arena_new(0);
    prov_result_t r;
    char err[256] = "";
    ASSERT_EQ(
        parse_string(&prov_openalex,
                     "{\"meta\": {\"count\": 1}, \"results\": [{\"id\": \"W1\", \"title\": "
                     "\"T\", \"abstract_inverted_index\": {\"In\": [0], \"&amp;gt;80%\": [1], "
                     "\"of\": [2], \"cases\": [3], \"x &lt; y\": [4]}}]}",
                     a, &r, err, sizeof(err)),
        0);
    ASSERT_STR_EQ(r.papers.items[0].abstract, "In >80% of cases x < y");
    arena_free(a);
}

/* ---- the title call: filter=title.search ---- */

TEST(build_title_searches_titles_with_the_filters)
{
    arena_t *a = arena_new(0);
    query_t q = test_query("deep learning, a survey: part|one!");
    q.year_from = 2019;
    q.year_to = 2020;
    q.open_access = true;
    q.sort = SORT_DATE; /* the title call ranks by relevance all the same */
    prov_settings_t s = test_settings(BASE, "oa key", "dev@example.org", 50);
    prov_request_t r;
    char err[128];
    ASSERT_EQ(prov_build_title(D, &q, &s, a, &r, err, sizeof(err)), 0);
    ASSERT_STR_EQ(r.method, "GET");
    /* ',' '|' '!' ':' are filter syntax: left out of the title. */
    ASSERT_STR_EQ(
        r.url,
        BASE "/works?filter=title.search:deep%20learning%20a%20survey%20part%20one,"
             "publication_year:2019-2020,is_oa:true"
             "&sort=relevance_score:desc&per-page=10"
             "&select=id,doi,title,display_name,ids,publication_year,publication_date,authorships,"
             "abstract_inverted_index,primary_location,locations,best_oa_location,"
             "open_access,cited_by_count,primary_topic,type,type_crossref&mailto=dev%40example.org&"
             "api_key=oa%20key");
    ASSERT(has_header(&r, "Accept: application/json"));
    arena_free(a);
}

TEST(build_title_with_dates_and_few_results)
{
    arena_t *a = arena_new(0);
    query_t q = test_query("attention is all you need");
    q.date_from = "2017-06-01";
    prov_settings_t s = test_settings(BASE, NULL, NULL, 3);
    prov_request_t r;
    char err[128];
    ASSERT_EQ(prov_build_title(D, &q, &s, a, &r, err, sizeof(err)), 0);
    ASSERT_STR_CONTAINS(r.url, "/works?filter=title.search:attention%20is%20all%20you%20need,"
                               "from_publication_date:2017-06-01&sort=relevance_score:desc"
                               "&per-page=3&");
    arena_free(a);
}

TEST_MAIN()
