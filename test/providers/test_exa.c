/* Exa adapter: request building (POST JSON body, key required) and parsing. */
#include <jansson.h>
#include <string.h>

#include "providers/common.h"
#include "test/providers/helpers.h"

#define BASE "https://api.exa.ai"

static const prov_def_t *D = &prov_exa;

TEST(build_refuses_without_key)
{
    arena_t *a = arena_new(0);
    query_t q = test_query("transformers");
    prov_request_t r;
    char err[128] = "";
    prov_settings_t s = test_settings(BASE, NULL, NULL, 10);
    ASSERT_EQ(prov_build(D, &q, &s, a, &r, err, sizeof(err)), -1);
    ASSERT_STR_CONTAINS(err, "exa: no API key");
    s.api_key = "";
    err[0] = '\0';
    ASSERT_EQ(prov_build(D, &q, &s, a, &r, err, sizeof(err)), -1);
    ASSERT_STR_CONTAINS(err, "API key");
    arena_free(a);
}

TEST(build_post_body_and_headers)
{
    arena_t *a = arena_new(0);
    query_t q = test_query("attention is all you need \"transformer\"");
    prov_settings_t s = test_settings(BASE, "exa-secret", NULL, 250);
    prov_request_t r;
    char err[128];
    ASSERT_EQ(prov_build(D, &q, &s, a, &r, err, sizeof(err)), 0);
    ASSERT_STR_EQ(r.method, "POST");
    ASSERT_STR_EQ(r.url, BASE "/search");
    ASSERT(has_header(&r, "x-api-key: exa-secret"));
    ASSERT(has_header(&r, "Content-Type: application/json"));
    ASSERT_EQ(r.body_len, strlen(r.body));
    ASSERT_STR_EQ(r.body, "{\"query\":\"attention is all you need \\\"transformer\\\"\","
                          "\"type\":\"auto\",\"category\":\"publication\",\"numResults\":100,"
                          "\"contents\":{\"text\":{\"maxCharacters\":2000}}}");
    arena_free(a);
}

TEST(build_date_range)
{
    arena_t *a = arena_new(0);
    query_t q = test_query("x");
    q.year_from = 2017;
    q.date_to = "2019-06-30";
    prov_settings_t s = test_settings(BASE, "k", NULL, 0);
    prov_request_t r;
    char err[128];
    ASSERT_EQ(prov_build(D, &q, &s, a, &r, err, sizeof(err)), 0);
    json_t *body = json_loadb(r.body, r.body_len, 0, NULL);
    ASSERT_NOT_NULL(body);
    ASSERT_STR_EQ(json_string_value(json_object_get(body, "startPublishedDate")),
                  "2017-01-01T00:00:00.000Z");
    ASSERT_STR_EQ(json_string_value(json_object_get(body, "endPublishedDate")),
                  "2019-06-30T23:59:59.999Z");
    ASSERT_EQ(json_integer_value(json_object_get(body, "numResults")), QUERY_DEFAULT_LIMIT);
    json_decref(body);
    arena_free(a);
}

TEST(parse_search_sample)
{
    arena_t *a = arena_new(0);
    prov_result_t r;
    char err[256] = "";
    ASSERT_EQ(parse_fixture(D, "exa/search.json", 0, a, &r, err, sizeof(err)), 0);
    ASSERT_EQ(r.total, -1);
    ASSERT_EQ(r.papers.n, 2);
    paper_t *p = &r.papers.items[0];
    ASSERT_STR_EQ(p->title, "Attention Is All You Need");
    ASSERT_STR_EQ(p->arxiv_id, "1706.03762");
    ASSERT_STR_EQ(p->url, "https://arxiv.org/abs/1706.03762");
    ASSERT_STR_EQ(p->pdf_url, "https://arxiv.org/pdf/1706.03762");
    ASSERT(p->open_access);
    ASSERT_EQ(p->year, 2017);
    ASSERT_STR_EQ(p->published, "2017-06-12");
    ASSERT_EQ(p->nauthors, 8);
    ASSERT_STR_EQ(p->authors[0], "Ashish Vaswani");
    ASSERT_STR_EQ(p->authors[7], "Illia Polosukhin");
    ASSERT(strncmp(p->abstract, "The dominant sequence transduction models", 41) == 0);
    ASSERT_EQ(p->citations, -1);
    ASSERT_STR_EQ(p->sources[0].id, "https://arxiv.org/abs/1706.03762");
    ASSERT_EQ(p->sources[0].source, SRC_EXA);
    ASSERT_EQ(p->sources[0].rank, 1);
    ASSERT_EQ(r.papers.items[1].sources[0].rank, 2);
    ASSERT_STR_EQ(r.papers.items[1].arxiv_id, "1810.04805");
    arena_free(a);
}

TEST(parse_nulls_and_odd_results)
{
    arena_t *a = arena_new(0);
    prov_result_t r;
    char err[256] = "";
    ASSERT_EQ(parse_fixture(D, "exa/nulls.json", 0, a, &r, err, sizeof(err)), 0);
    ASSERT_EQ(r.papers.n, 2);
    paper_t *p = &r.papers.items[0];
    ASSERT_STR_EQ(p->title, "");
    ASSERT_EQ(p->nauthors, 0);
    ASSERT_EQ(p->year, 0);
    ASSERT_NULL(p->abstract);
    ASSERT_STR_EQ(p->pdf_url, "https://example.org/paper.pdf");
    p = &r.papers.items[1];
    ASSERT_STR_EQ(p->title, "A & B: italic title");
    ASSERT_STR_EQ(p->doi, "10.1145/abc.123");
    ASSERT_NULL(p->arxiv_id);
    ASSERT_EQ(p->nauthors, 1);
    ASSERT_STR_EQ(p->abstract, "Summary only.");
    arena_free(a);
}

TEST(parse_empty_and_errors)
{
    arena_t *a = arena_new(0);
    prov_result_t r;
    char err[256] = "";
    ASSERT_EQ(parse_fixture(D, "exa/empty.json", 0, a, &r, err, sizeof(err)), 0);
    ASSERT_EQ(r.papers.n, 0);
    ASSERT_EQ(parse_fixture(D, "exa/error.json", 0, a, &r, err, sizeof(err)), -1);
    ASSERT_STR_CONTAINS(err, "Invalid request body");
    ASSERT_STR_CONTAINS(err, "INVALID_REQUEST_BODY");
    for (size_t i = 0; i < sizeof(garbage_bodies) / sizeof(garbage_bodies[0]); i++) {
        ASSERT_EQ(parse_string(D, garbage_bodies[i], a, &r, err, sizeof(err)), -1);
        ASSERT_STR_CONTAINS(err, "exa");
    }
    size_t len = 0;
    free(fixture_read("exa/search.json", &len));
    for (size_t cut = 1; cut + 2 < len; cut += len / 29 + 1)
        ASSERT_EQ(parse_fixture(D, "exa/search.json", cut, a, &r, err, sizeof(err)), -1);
    arena_free(a);
}

/* The example answer of Exa's API reference (see fixtures/README.md): the
 * author string is one name followed by its affiliation. */
TEST(parse_real_author_with_affiliation_is_one_author)
{
    arena_t *a = arena_new(0);
    prov_result_t r;
    char err[256] = "";
    ASSERT_EQ(parse_fixture(&prov_exa, "exa/real_docs_search.json", 0, a, &r, err, sizeof(err)), 0);
    ASSERT_EQ(r.papers.n, 1);
    paper_t *p = &r.papers.items[0];
    ASSERT_EQ(p->nauthors, 1);
    ASSERT_STR_EQ(p->authors[0], "Humza Naveed");
    ASSERT_STR_EQ(p->arxiv_id, "2307.06435");
    ASSERT_STR_EQ(p->abstract, "Large Language Models (LLMs) have recently demonstrated remarkable "
                               "capabilities...");
    arena_free(a);
}

TEST(parse_author_lists_with_affiliations)
{
    /* The subpage of the same recorded answer: six people, each followed by
     * an affiliation, and an obfuscated address. */
    static const char body[] =
        "{\"results\": [{\"id\": \"https://arxiv.org/abs/2303.17580\", \"title\": \"HuggingGPT\", "
        "\"author\": \"Yongliang  Shen, Microsoft Research Asia, Kaitao  Song, Microsoft Research "
        "Asia, Xu  Tan, Microsoft Research Asia, Dongsheng  Li, Microsoft Research Asia, Weiming  "
        "Lu, "
        "Microsoft Research Asia, Yueting  Zhuang, Microsoft Research Asia, [email protected], "
        "Zhejiang  University, Microsoft Research Asia, Microsoft  Research, Microsoft Research "
        "Asia\"}, {\"id\": \"x\", \"title\": \"T\", \"author\": \"Aristotle\"}]}";
    arena_t *a = arena_new(0);
    prov_result_t r;
    char err[256] = "";
    ASSERT_EQ(parse_string(&prov_exa, body, a, &r, err, sizeof(err)), 0);
    paper_t *p = &r.papers.items[0];
    ASSERT_EQ(p->nauthors, 6);
    ASSERT_STR_EQ(p->authors[0], "Yongliang Shen");
    ASSERT_STR_EQ(p->authors[5], "Yueting Zhuang");
    ASSERT_EQ(r.papers.items[1].nauthors, 1);
    ASSERT_STR_EQ(r.papers.items[1].authors[0], "Aristotle");
    arena_free(a);
}

TEST(category_falls_back_once_on_a_400_that_names_it)
{
    prov__exa_category_reset();
    ASSERT_STR_EQ(prov__exa_category(), "publication");
    const char *other = "{\"error\":\"Invalid request body | Validation error: Too big at "
                        "\\\"numResults\\\"\",\"tag\":\"INVALID_REQUEST_BODY\"}";
    ASSERT(!prov_exa.adapt(400, other, strlen(other)));
    const char *named = "{\"error\":\"Invalid request body | Validation error: Invalid option: "
                        "expected one of \\\"company\\\"|\\\"research paper\\\" at "
                        "\\\"category\\\"\",\"tag\":\"INVALID_REQUEST_BODY\"}";
    ASSERT(!prov_exa.adapt(401, named, strlen(named)));
    ASSERT(prov_exa.adapt(400, named, strlen(named)));
    ASSERT_STR_EQ(prov__exa_category(), "research paper");
    /* Remembered: the next request is built with it. */
    arena_t *a = arena_new(0);
    query_t q = test_query("graphs");
    prov_settings_t st = test_settings("https://api.exa.ai", "k", NULL, 10);
    prov_request_t r;
    char err[128];
    ASSERT_EQ(prov_build(&prov_exa, &q, &st, a, &r, err, sizeof(err)), 0);
    ASSERT(strstr(r.body, "\"category\":\"research paper\"") != NULL);
    prov__exa_category_reset();
    arena_free(a);
}

TEST_MAIN()
