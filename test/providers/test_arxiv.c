/* arXiv adapter: request building and Atom parsing on recorded-format fixtures. */
#include <string.h>

#include "test/providers/helpers.h"

#define BASE "https://export.arxiv.org"

static prov_result_t parse_ok(arena_t *a, const char *fixture)
{
    prov_result_t r;
    char err[256] = "";
    int rc = parse_fixture(&prov_arxiv, fixture, 0, a, &r, err, sizeof(err));
    if (rc != 0) fprintf(stderr, "parse %s: %s\n", fixture, err);
    ASSERT_EQ(rc, 0);
    return r;
}

TEST(build_plain_query)
{
    arena_t *a = arena_new(0);
    query_t q = test_query("attention is all you need");
    prov_settings_t s = test_settings(BASE, NULL, NULL, 25);
    prov_request_t r;
    char err[128];
    ASSERT_EQ(prov_build(&prov_arxiv, &q, &s, a, &r, err, sizeof(err)), 0);
    ASSERT_STR_EQ(r.method, "GET");
    /* A title: its phrase too (build_a_title_adds_its_phrase_in_the_same_call). */
    ASSERT_STR_CONTAINS(r.url, BASE "/api/query?search_query=%28%28all%3Aattention%20AND%20"
                                    /* "is": a stop word */
                                    "all%3Aall%20AND%20all%3Ayou%20AND%20all%3Aneed%29");
    ASSERT_STR_CONTAINS(r.url, "&start=0&max_results=25&sortBy=relevance&sortOrder=descending");
    ASSERT_NULL(r.body);
    ASSERT(has_header(&r, "Accept: application/atom+xml"));
    arena_free(a);
}

TEST(build_with_filters)
{
    arena_t *a = arena_new(0);
    query_t q = test_query("graph (neural) networks:");
    q.author = "yann lecun";
    q.category = "cs.LG";
    q.year_from = 2017;
    q.date_to = "2020-06-30";
    q.sort = SORT_DATE;
    prov_settings_t s = test_settings(BASE, NULL, NULL, 5000);
    prov_request_t r;
    char err[128];
    ASSERT_EQ(prov_build(&prov_arxiv, &q, &s, a, &r, err, sizeof(err)), 0);
    ASSERT_STR_EQ(r.url,
                  BASE "/api/query?search_query=all%3Agraph%20AND%20all%3Aneural%20AND%20"
                       "all%3Anetworks%20AND%20au%3Ayann%20AND%20au%3Alecun%20AND%20"
                       "cat%3Acs.LG%20AND%20submittedDate%3A%5B201701010000%20TO%20202006302359%5D"
                       "&start=0&max_results=2000&sortBy=submittedDate&sortOrder=descending");
    arena_free(a);
}

TEST(build_sends_dates_as_submitted_date)
{
    arena_t *a = arena_new(0);
    query_t q = test_query("x");
    q.year_to = 2001;
    q.date_from = "1999-01-01";
    prov_settings_t s = test_settings(BASE, NULL, NULL, 0);
    prov_request_t r;
    char err[128];
    ASSERT_EQ(prov_build(&prov_arxiv, &q, &s, a, &r, err, sizeof(err)), 0);
    ASSERT_STR_CONTAINS(r.url,
                        "?search_query=all%3Ax%20AND%20submittedDate%3A%5B199901010000%20TO%20"
                        "200112312359%5D");
    query_t only_from = test_query("x");
    only_from.year_from = 2020;
    ASSERT_EQ(prov_build(&prov_arxiv, &only_from, &s, a, &r, err, sizeof(err)), 0);
    ASSERT_STR_CONTAINS(r.url, "submittedDate%3A%5B202001010000%20TO%20999912312359%5D");
    query_t none = test_query("x");
    ASSERT_EQ(prov_build(&prov_arxiv, &none, &s, a, &r, err, sizeof(err)), 0);
    ASSERT(strstr(r.url, "submittedDate") == NULL);
    arena_free(a);
}

TEST(build_leaves_stop_words_out_of_a_pasted_title)
{
    arena_t *a = arena_new(0);
    prov_settings_t s = test_settings(BASE, NULL, NULL, 10);
    prov_request_t r;
    char err[128];
    query_t q = test_query("A Study of the Effects of Noise on Qubits");
    q.author = "Of"; /* author and category words are kept as given */
    ASSERT_EQ(prov_build(&prov_arxiv, &q, &s, a, &r, err, sizeof(err)), 0);
    ASSERT_STR_CONTAINS(r.url,
                        "search_query=%28%28all%3AStudy%20AND%20all%3AEffects%20AND%20"
                        "all%3ANoise%20AND%20all%3AQubits%29%20OR%20ti%3A%22A%20Study%20of"
                        "%20the%20Effects%20of%20Noise%20on%20Qubits%22%29%20AND%20au%3AOf&");
    query_t only = test_query("to be or to be");
    ASSERT_EQ(prov_build(&prov_arxiv, &only, &s, a, &r, err, sizeof(err)), 0);
    ASSERT_STR_CONTAINS(r.url, "search_query=all%3Ato%20AND%20all%3Abe%20AND%20all%3Aor");
    arena_free(a);
}

TEST(build_refuses_query_without_words)
{
    arena_t *a = arena_new(0);
    query_t q = test_query("\"()\"");
    prov_settings_t s = test_settings(BASE, NULL, NULL, 10);
    prov_request_t r;
    char err[128] = "";
    ASSERT_EQ(prov_build(&prov_arxiv, &q, &s, a, &r, err, sizeof(err)), -1);
    ASSERT_STR_CONTAINS(err, "arxiv");
    arena_free(a);
}

TEST(parse_current_layout)
{
    arena_t *a = arena_new(0);
    prov_result_t r = parse_ok(a, "arxiv/current.xml");
    ASSERT_EQ(r.total, 2);
    ASSERT_EQ(r.papers.n, 2);
    paper_t *p = &r.papers.items[0];
    ASSERT_STR_EQ(p->title, "Attention Is All You Need");
    ASSERT_STR_EQ(p->arxiv_id, "1706.03762");
    ASSERT_STR_EQ(p->arxiv_version, "v7");
    ASSERT_NULL(p->doi);
    ASSERT_EQ(p->year, 2017);
    ASSERT_STR_EQ(p->published, "2017-06-12");
    ASSERT_EQ(p->nauthors, 8);
    ASSERT_STR_EQ(p->authors[0], "Ashish Vaswani");
    ASSERT_STR_EQ(p->authors[7], "Illia Polosukhin");
    ASSERT_EQ(p->ncategories, 2);
    ASSERT_STR_EQ(p->categories[0], "cs.CL");
    ASSERT_STR_EQ(p->categories[1], "cs.LG");
    ASSERT_STR_EQ(p->url, "https://arxiv.org/abs/1706.03762v7");
    ASSERT_STR_EQ(p->pdf_url, "https://arxiv.org/pdf/1706.03762v7");
    ASSERT(p->open_access);
    ASSERT_EQ(p->citations, -1);
    ASSERT_NULL(p->venue);
    ASSERT_STR_CONTAINS(p->abstract, "The dominant sequence transduction models");
    ASSERT_EQ(p->nsources, 1);
    ASSERT_EQ(p->sources[0].source, SRC_ARXIV);
    ASSERT_STR_EQ(p->sources[0].id, "1706.03762v7");
    ASSERT_EQ(p->sources[0].rank, 1);

    p = &r.papers.items[1];
    ASSERT_STR_EQ(p->arxiv_id, "2202.12139");
    ASSERT_STR_EQ(p->doi, "10.1109/icstw55395.2022.00035");
    ASSERT_STR_EQ(p->categories[0], "cs.SE");
    ASSERT_STR_CONTAINS(p->venue, "Artificial Intelligence in Software Testing");
    ASSERT_EQ(p->nauthors, 3);
    ASSERT_EQ(p->sources[0].rank, 2);
    arena_free(a);
}

TEST(parse_legacy_layout)
{
    arena_t *a = arena_new(0);
    prov_result_t r = parse_ok(a, "arxiv/legacy.xml");
    ASSERT_EQ(r.total, 1);
    ASSERT_EQ(r.papers.n, 1);
    paper_t *p = &r.papers.items[0];
    ASSERT_STR_EQ(p->title, "An illustrative legacy title wrapped over two lines");
    ASSERT_STR_EQ(p->abstract,
                  "An illustrative abstract with entities: a < b & c, wrapped the legacy way.");
    ASSERT_STR_EQ(p->arxiv_id, "1111.2011");
    ASSERT_STR_EQ(p->arxiv_version, "v2");
    ASSERT_STR_EQ(p->doi, "10.1103/physrevb.85.115117");
    ASSERT_STR_EQ(p->published, "2011-11-08");
    ASSERT_EQ(p->nauthors, 2);
    ASSERT_STR_EQ(p->authors[0], "First Author"); /* affiliation not mixed in */
    ASSERT_EQ(p->ncategories, 2);
    ASSERT_STR_EQ(p->categories[0], "cond-mat.str-el");
    ASSERT_STR_EQ(p->categories[1], "cond-mat.mes-hall");
    ASSERT_STR_EQ(p->pdf_url, "http://arxiv.org/pdf/1111.2011v2");
    ASSERT_STR_EQ(p->venue, "Phys. Rev. B 85, 115117 (2012)");
    arena_free(a);
}

TEST(parse_ignores_order_and_prefixes)
{
    arena_t *a = arena_new(0);
    prov_result_t r = parse_ok(a, "arxiv/reordered.xml");
    ASSERT_EQ(r.total, 42);
    ASSERT_EQ(r.papers.n, 2); /* the entry outside the Atom namespace is not one */
    paper_t *p = &r.papers.items[0];
    ASSERT_STR_EQ(p->title, "Old style");
    ASSERT_STR_EQ(p->arxiv_id, "hep-th/9901001");
    ASSERT_STR_EQ(p->arxiv_version, "v2");
    ASSERT_STR_EQ(p->sources[0].id, "hep-th/9901001v2");
    ASSERT_STR_EQ(p->abstract,
                  "Old-style identifier, CDATA abstract with <b>markup-looking</b> text.");
    ASSERT_STR_EQ(p->authors[0], "Jane Roe");
    ASSERT_EQ(p->year, 1999);
    ASSERT_EQ(p->ncategories, 1);
    ASSERT_STR_EQ(p->pdf_url, "https://arxiv.org/pdf/hep-th/9901001v2");
    ASSERT_STR_EQ(p->url, "https://arxiv.org/abs/hep-th/9901001");
    p = &r.papers.items[1];
    ASSERT_STR_EQ(p->arxiv_id, "2401.01234");
    ASSERT_STR_EQ(p->pdf_url, "https://arxiv.org/pdf/2401.01234v3");
    ASSERT_EQ(p->sources[0].rank, 2);
    arena_free(a);
}

TEST(parse_missing_fields)
{
    arena_t *a = arena_new(0);
    prov_result_t r = parse_ok(a, "arxiv/missing.xml");
    ASSERT_EQ(r.total, -1);
    ASSERT_EQ(r.papers.n, 2); /* the entry with neither id nor title is dropped */
    paper_t *p = &r.papers.items[0];
    ASSERT_STR_EQ(p->title, "");
    ASSERT_NULL(p->abstract);
    ASSERT_EQ(p->nauthors, 0);
    ASSERT_EQ(p->year, 0);
    ASSERT_NULL(p->published);
    ASSERT_STR_EQ(p->arxiv_id, "2202.12139");
    p = &r.papers.items[1];
    ASSERT_STR_EQ(p->title, "Bare");
    ASSERT_NULL(p->arxiv_id);
    ASSERT_NULL(p->doi);
    ASSERT_NULL(p->published);
    ASSERT_EQ(p->ncategories, 0);
    ASSERT_STR_EQ(p->sources[0].id, "not an arxiv id");
    ASSERT_EQ(p->sources[0].rank, 2);
    arena_free(a);
}

TEST(parse_empty_feed)
{
    arena_t *a = arena_new(0);
    prov_result_t r = parse_ok(a, "arxiv/empty.xml");
    ASSERT_EQ(r.total, 0);
    ASSERT_EQ(r.papers.n, 0);
    arena_free(a);
}

TEST(parse_error_entry_is_an_error)
{
    arena_t *a = arena_new(0);
    prov_result_t r;
    char err[256] = "";
    ASSERT_EQ(parse_fixture(&prov_arxiv, "arxiv/error.xml", 0, a, &r, err, sizeof(err)), -1);
    ASSERT_STR_CONTAINS(err, "incorrect id format for abc");
    ASSERT_EQ(r.papers.n, 0);
    ASSERT_EQ(r.total, -1);
    arena_free(a);
}

TEST(parse_refuses_garbage)
{
    static const char *const bodies[] = {
        "Rate exceeded.",
        "",
        "<html><body>503</body></html>",
        "<?xml version='1.0'?><feed xmlns='http://example.org/not-atom'/>",
        "<feed xmlns='http://www.w3.org/2005/Atom'><entry>",
        "\xef\xbb\xbf<",
    };
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        arena_t *a = arena_new(0);
        prov_result_t r;
        char err[256] = "";
        ASSERT_EQ(parse_string(&prov_arxiv, bodies[i], a, &r, err, sizeof(err)), -1);
        ASSERT_STR_CONTAINS(err, "arxiv:");
        arena_free(a);
    }
}

TEST(parse_refuses_truncated_body)
{
    size_t len = 0;
    char *full = fixture_read("arxiv/current.xml", &len);
    ASSERT_NOT_NULL(full);
    free(full);
    for (size_t cut = 1; cut + 8 < len;
         cut += len / 37 + 1) { /* the tail "</feed>\n" would be whole */
        arena_t *a = arena_new(0);
        prov_result_t r;
        char err[256] = "";
        ASSERT_EQ(parse_fixture(&prov_arxiv, "arxiv/current.xml", cut, a, &r, err, sizeof(err)),
                  -1);
        arena_free(a);
    }
}

TEST(parse_refuses_dtd_and_entities)
{
    const char *xxe =
        "<?xml version='1.0'?><!DOCTYPE feed [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>"
        "<feed xmlns='http://www.w3.org/2005/Atom'><entry><id>&x;</id>"
        "<title>t</title></entry></feed>";
    const char *lol = "<?xml version='1.0'?><!DOCTYPE feed [<!ENTITY a 'aaaaaaaaaa'>"
                      "<!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;'>"
                      "<!ENTITY c '&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;'>]>"
                      "<feed xmlns='http://www.w3.org/2005/Atom'><entry><title>&c;</title>"
                      "</entry></feed>";
    arena_t *a = arena_new(0);
    prov_result_t r;
    char err[256] = "";
    ASSERT_EQ(parse_string(&prov_arxiv, xxe, a, &r, err, sizeof(err)), -1);
    ASSERT_STR_CONTAINS(err, "DTD");
    ASSERT_EQ(parse_string(&prov_arxiv, lol, a, &r, err, sizeof(err)), -1);
    arena_free(a);
}

/* arxiv.py's recorded answer to search_query=testing (see fixtures/README.md). */
TEST(parse_real_current_feed)
{
    arena_t *a = arena_new(0);
    prov_result_t r;
    char err[256] = "";
    ASSERT_EQ(parse_fixture(&prov_arxiv, "arxiv/real_q_testing.xml", 0, a, &r, err, sizeof(err)),
              0);
    ASSERT_EQ(r.total, 214881);
    ASSERT_EQ(r.papers.n, 10);
    paper_t *p = &r.papers.items[0];
    ASSERT_STR_EQ(p->arxiv_id, "2202.12139");
    ASSERT_STR_EQ(p->arxiv_version, "v1");
    ASSERT_STR_EQ(p->doi, "10.1109/icstw55395.2022.00035");
    ASSERT_STR_EQ(p->categories[0], "cs.SE");
    ASSERT_EQ(p->nauthors, 3);
    for (size_t i = 0; i < r.papers.n; i++)
        ASSERT(r.papers.items[i].title != NULL && r.papers.items[i].title[0] != '\0');
    arena_free(a);
}

/* ---- a title: ti:"..." in the same call ---- */

TEST(build_a_title_adds_its_phrase_in_the_same_call)
{
    arena_t *a = arena_new(0);
    query_t q = test_query("attention is \"all\" you need");
    prov_settings_t s = test_settings(BASE, NULL, NULL, 25);
    prov_request_t r;
    char err[128];
    ASSERT_NULL(prov_arxiv.build_title); /* no second call against one call per 3 s */
    ASSERT_EQ(prov_build(&prov_arxiv, &q, &s, a, &r, err, sizeof(err)), 0);
    /* Stop words stay in the phrase; the user's quotes do not. */
    ASSERT_STR_EQ(r.url, BASE "/api/query?search_query=%28%28all%3Aattention%20AND%20all%3Aall%20"
                              "AND%20all%3Ayou%20AND%20all%3Aneed%29%20OR%20ti%3A%22attention%20"
                              "is%20all%20you%20need%22%29"
                              "&start=0&max_results=25&sortBy=relevance&sortOrder=descending");
    q.author = "del_maestro";
    q.year_from = 2010;
    ASSERT_EQ(prov_build(&prov_arxiv, &q, &s, a, &r, err, sizeof(err)), 0);
    ASSERT_STR_CONTAINS(r.url, "need%22%29%20AND%20au%3Adel_maestro%20AND%20submittedDate%3A%5B"
                               "201001010000%20TO%20999912312359%5D&");
    /* Keywords (three words): no phrase. */
    q = test_query("graph neural networks");
    ASSERT_EQ(prov_build(&prov_arxiv, &q, &s, a, &r, err, sizeof(err)), 0);
    ASSERT_STR_CONTAINS(r.url, "search_query=all%3Agraph%20AND%20all%3Aneural%20AND%20all%3A"
                               "networks&");
    arena_free(a);
}

TEST(title_phrase_real_answer)
{
    arena_t *a = arena_new(0);
    prov_result_t res = {0};
    char err[128] = "";
    ASSERT_EQ(parse_fixture(&prov_arxiv, "arxiv/real_ti_phrase.xml", 0, a, &res, err, sizeof(err)),
              0);
    ASSERT_EQ(res.total, 2);
    ASSERT_EQ(res.papers.n, 2);
    ASSERT_STR_EQ(res.papers.items[0].title,
                  "Quantum Criticality for Extended Nodes on a Bethe Lattice in the Large "
                  "Connectivity Limit");
    ASSERT_STR_EQ(res.papers.items[0].arxiv_id, "1111.2011");
    ASSERT_STR_EQ(res.papers.items[0].doi, "10.1103/physrevb.85.115117"); /* normalised */
    ASSERT_STR_EQ(res.papers.items[1].arxiv_id, "cond-mat/0607501");
    ASSERT_EQ(res.papers.items[1].sources[0].rank, 2);
    arena_free(a);
}

TEST_MAIN()
