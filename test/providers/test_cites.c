/* The citation-list requests and answer readers of Semantic Scholar and
 * OpenAlex (providers/cites.h), on recorded answers where there are some
 * (test/providers/fixtures/README.md). */
#include <string.h>

#include "providers/cites.h"
#include "test/providers/helpers.h"

static prov_settings_t settings(const char *base, const char *key)
{
    return test_settings(base, key, NULL, 10);
}

/* A fixture's bytes, or inline text, parsed by fn into pg. */
static int s2_parse_file(cites_dir_t d, const char *rel, arena_t *a, cites_page_t *pg, char *err)
{
    size_t len = 0;
    char *body = fixture_read(rel, &len);
    int rc = body != NULL ? prov_s2_cites_parse(d, body, len, a, pg, err, 256) : -99;
    free(body);
    return rc;
}

/* A recorded single edge object (Citation.json / Reference.json) inside
 * the envelope S2 sends ({"offset": 0, "data": [...]}, as recorded). */
static int s2_parse_edge(cites_dir_t d, const char *rel, arena_t *a, cites_page_t *pg, char *err)
{
    size_t len = 0, n;
    char *item = fixture_read(rel, &len);
    if (item == NULL) return -99;
    char *body = arena_sprintf(a, "{\"offset\": 0, \"data\": [%.*s]}", (int)len, item);
    free(item);
    char *exact = exact_copy(body, &n);
    int rc = prov_s2_cites_parse(d, exact, n, a, pg, err, 256);
    free(exact);
    return rc;
}

TEST(s2_build_citations_and_references)
{
    arena_t *a = arena_new(0);
    prov_settings_t s = settings("https://api.semanticscholar.org", "k1");
    prov_request_t r;
    char err[256];
    ASSERT_EQ(prov_s2_cites_build(CITES_CITATIONS, "DOI:10.2139/ssrn.2250500", 1000, 1000, &s, a,
                                  &r, err, sizeof(err)),
              0);
    ASSERT_STR_EQ(r.method, "GET");
    ASSERT_STR_CONTAINS(r.url, "https://api.semanticscholar.org/graph/v1/paper/"
                               "DOI:10.2139/ssrn.2250500/citations?fields=contexts,intents,"
                               "isInfluential,paperId,externalIds,");
    ASSERT_STR_CONTAINS(r.url, "&offset=1000&limit=1000");
    ASSERT_EQ(r.nheaders, 2);
    ASSERT_STR_EQ(r.headers[1], "x-api-key: k1");
    ASSERT_EQ(prov_s2_cites_build(CITES_REFERENCES, "ARXIV:hep-th/9901001 x", 0, 5000, &s, a, &r,
                                  err, sizeof(err)),
              0);
    /* ':' and '/' stay, anything else is encoded; limit clamped to 1000. */
    ASSERT_STR_CONTAINS(r.url, "/paper/ARXIV:hep-th/9901001%20x/references?fields=");
    ASSERT_STR_CONTAINS(r.url, "&offset=0&limit=1000");
    ASSERT_EQ(prov_s2_cites_build(CITES_CITATIONS, "", 0, 10, &s, a, &r, err, sizeof(err)), -1);
    arena_free(a);
}

TEST(s2_recorded_references_pages)
{
    arena_t *a = arena_new(0);
    cites_page_t pg = {0};
    char err[256] = "";
    ASSERT_EQ(s2_parse_file(CITES_REFERENCES, "semantic_scholar/real_references.json", a, &pg, err),
              0);
    ASSERT_EQ(pg.papers.n, 6);
    ASSERT(pg.more);
    ASSERT_STR_EQ(pg.next, "50");
    const paper_t *p = &pg.papers.items[0];
    ASSERT_STR_EQ(p->title, "Group lending or individual lending? Evidence from a randomised field "
                            "experiment in Mongolia");
    ASSERT_STR_EQ(p->sources[0].id, "e945ca4fdcf45b1a118f1462db7afa12629a131f");
    ASSERT_EQ(p->sources[0].rank, 1);
    ASSERT_EQ(p->sources[0].source, SRC_SEMANTIC_SCHOLAR);
    /* An unresolved reference: a title, no paperId. */
    ASSERT_NULL(pg.papers.items[4].sources[0].id);
    ASSERT_STR_CONTAINS(pg.papers.items[4].title, "Progress of the World");
    /* fields=title: S2 said nothing of the edges. */
    ASSERT_EQ(pg.info[0].influential, -1);
    ASSERT_EQ(pg.info[0].nintents, 0);
    /* The last page appends, ranks continue, no next. */
    ASSERT_EQ(
        s2_parse_file(CITES_REFERENCES, "semantic_scholar/real_references_last.json", a, &pg, err),
        0);
    ASSERT_EQ(pg.papers.n, 9);
    ASSERT_EQ(pg.papers.items[8].sources[0].rank, 9);
    ASSERT(!pg.more);
    ASSERT_NULL(pg.next);
    arena_free(a);
}

TEST(s2_recorded_edges_with_intents_and_contexts)
{
    arena_t *a = arena_new(0);
    cites_page_t pg = {0};
    char err[256] = "";
    ASSERT_EQ(
        s2_parse_edge(CITES_CITATIONS, "semantic_scholar/real_citation_item.json", a, &pg, err), 0);
    ASSERT_EQ(pg.papers.n, 1);
    const paper_t *p = &pg.papers.items[0];
    ASSERT_STR_EQ(p->title,
                  "Learning to Throw With a Handful of Samples Using Decision Transformers");
    ASSERT_STR_EQ(p->doi, "10.1109/lra.2022.3229266");
    ASSERT_EQ(p->year, 2023);
    ASSERT_EQ(p->citations, 2);
    ASSERT_EQ(pg.info[0].influential, 1);
    ASSERT_EQ(pg.info[0].nintents, 3);
    ASSERT_STR_EQ(pg.info[0].intents[0], "result");
    ASSERT_EQ(pg.info[0].ncontexts, 4);
    ASSERT(!pg.more);
    /* A reference's edge: citedPaper, read by the direction. */
    cites_page_t rp = {0};
    ASSERT_EQ(
        s2_parse_edge(CITES_REFERENCES, "semantic_scholar/real_reference_item.json", a, &rp, err),
        0);
    ASSERT_EQ(rp.papers.n, 1);
    ASSERT_STR_EQ(rp.papers.items[0].arxiv_id, "1402.0030");
    ASSERT_EQ(rp.info[0].influential, 0);
    ASSERT_STR_EQ(rp.info[0].intents[0], "background");
    /* The wrong direction's key finds no paper. */
    cites_page_t wrong = {0};
    ASSERT_EQ(
        s2_parse_edge(CITES_CITATIONS, "semantic_scholar/real_reference_item.json", a, &wrong, err),
        0);
    ASSERT_EQ(wrong.papers.n, 0);
    arena_free(a);
}

TEST(s2_errors_and_empty)
{
    static const char *const empty[] = {"{\"offset\": 0}", "{\"offset\": 0, \"data\": []}",
                                        "{\"data\": null}"};
    for (size_t i = 0; i < sizeof(empty) / sizeof(empty[0]); i++) {
        arena_t *a = arena_new(0);
        cites_page_t pg = {0};
        char err[256] = "";
        size_t n;
        char *b = exact_copy(empty[i], &n);
        ASSERT_EQ(prov_s2_cites_parse(CITES_CITATIONS, b, n, a, &pg, err, sizeof(err)), 0);
        ASSERT_EQ(pg.papers.n, 0);
        free(b);
        arena_free(a);
    }
    static const char *const bad[] = {"{\"error\": \"Paper with id X not found\"}",
                                      "{\"message\": \"Endpoint request timed out\"}", "[1,2]",
                                      "{\"data\": [", "not json"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        arena_t *a = arena_new(0);
        cites_page_t pg = {0};
        char err[256] = "";
        size_t n;
        char *b = exact_copy(bad[i], &n);
        ASSERT_EQ(prov_s2_cites_parse(CITES_CITATIONS, b, n, a, &pg, err, sizeof(err)), -1);
        ASSERT_STR_CONTAINS(err, "semantic_scholar");
        ASSERT_EQ(pg.papers.n, 0);
        free(b);
        arena_free(a);
    }
    /* A page cut anywhere is refused whole: nothing of it is kept. */
    size_t len = 0;
    char *body = fixture_read("semantic_scholar/real_references.json", &len);
    for (size_t cut = 1; cut + 2 < len; cut += len / 37 + 1) {
        arena_t *a = arena_new(0);
        cites_page_t pg = {0};
        char err[256];
        ASSERT_EQ(prov_s2_cites_parse(CITES_REFERENCES, body, cut, a, &pg, err, sizeof(err)), -1);
        ASSERT_EQ(pg.papers.n, 0);
        arena_free(a);
    }
    free(body);
}

TEST(s2_paper_ids_for_openalex)
{
    arena_t *a = arena_new(0);
    prov_settings_t s = settings("https://api.semanticscholar.org", NULL);
    prov_request_t r;
    char err[256];
    ASSERT_EQ(prov_s2_ids_build("CorpusId:14636783", &s, a, &r, err, sizeof(err)), 0);
    ASSERT_STR_EQ(r.url, "https://api.semanticscholar.org/graph/v1/paper/CorpusId:14636783"
                         "?fields=externalIds");
    size_t len = 0;
    char *body = fixture_read("semantic_scholar/real_paper_external_ids.json", &len);
    const char *doi, *arxiv;
    ASSERT_EQ(prov_s2_ids_parse(body, len, a, &doi, &arxiv, err, sizeof(err)), 0);
    ASSERT_STR_EQ(doi, "10.1093/mind/lix.236.433"); /* normalised as the search does */
    ASSERT_NULL(arxiv);
    free(body);
    /* arXiv's DataCite DOI is no journal DOI: the arXiv id is given instead. */
    body = exact_copy("{\"paperId\": \"ab\", \"externalIds\": {\"DOI\": "
                      "\"10.48550/arXiv.1706.03762\", \"ArXiv\": \"1706.03762\"}}",
                      &len);
    ASSERT_EQ(prov_s2_ids_parse(body, len, a, &doi, &arxiv, err, sizeof(err)), 0);
    ASSERT_NULL(doi);
    ASSERT_STR_EQ(arxiv, "1706.03762");
    free(body);
    body = exact_copy("{\"error\": \"Paper with id X not found\"}", &len);
    ASSERT_EQ(prov_s2_ids_parse(body, len, a, &doi, &arxiv, err, sizeof(err)), -1);
    free(body);
    arena_free(a);
}

TEST(openalex_builds)
{
    arena_t *a = arena_new(0);
    prov_settings_t s = test_settings("https://api.openalex.org", "oa", "me@example.org", 10);
    prov_request_t r;
    char err[256];
    ASSERT_EQ(
        prov_openalex_work_build("doi:10.48550/arxiv.1706.03762", &s, a, &r, err, sizeof(err)), 0);
    ASSERT_STR_EQ(r.url, "https://api.openalex.org/works/doi:10.48550/arxiv.1706.03762"
                         "?select=id,doi,referenced_works&mailto=me%40example.org&api_key=oa");
    ASSERT_EQ(prov_openalex_cites_build("W2626778328", 1, 200, &s, a, &r, err, sizeof(err)), 0);
    ASSERT_STR_CONTAINS(r.url, "https://api.openalex.org/works?filter=cites:W2626778328"
                               "&per-page=200&page=1&select=id,doi,");
    ASSERT_EQ(prov_openalex_cites_build("W1", 7, 500, &s, a, &r, err, sizeof(err)), 0);
    ASSERT_STR_CONTAINS(r.url, "&per-page=200&page=7&select=");
    ASSERT_EQ(prov_openalex_cites_build("W1|W2", 1, 10, &s, a, &r, err, sizeof(err)), -1);
    const char *ids[] = {"W1", "W22", "W333"};
    ASSERT_EQ(prov_openalex_ids_build(ids, 3, &s, a, &r, err, sizeof(err)), 0);
    ASSERT_STR_CONTAINS(r.url, "/works?filter=openalex:W1|W22|W333&per-page=3&select=");
    const char *bad[] = {"W1", "W2,is_oa:true"};
    ASSERT_EQ(prov_openalex_ids_build(bad, 2, &s, a, &r, err, sizeof(err)), -1);
    const char *many[PROV_OPENALEX_OR_MAX + 1];
    for (size_t i = 0; i <= PROV_OPENALEX_OR_MAX; i++)
        many[i] = "W7";
    ASSERT_EQ(prov_openalex_ids_build(many, PROV_OPENALEX_OR_MAX, &s, a, &r, err, sizeof(err)), 0);
    ASSERT_EQ(prov_openalex_ids_build(many, PROV_OPENALEX_OR_MAX + 1, &s, a, &r, err, sizeof(err)),
              -1);
    arena_free(a);
}

TEST(openalex_work_references)
{
    arena_t *a = arena_new(0);
    size_t len = 0;
    char *body = fixture_read("openalex/work_refs.json", &len);
    const char *wid, **refs;
    size_t n;
    char err[256];
    ASSERT_EQ(prov_openalex_work_parse(body, len, a, &wid, &refs, &n, err, sizeof(err)), 0);
    ASSERT_STR_EQ(wid, "W2626778328");
    ASSERT_EQ(n, 3); /* a duplicate, a bad id and a null left out */
    ASSERT_STR_EQ(refs[0], "W1902237438");
    ASSERT_STR_EQ(refs[1], "W2064675550");
    ASSERT_STR_EQ(refs[2], "W2950635152");
    free(body);
    body = exact_copy("{\"error\": \"Not Found\", \"message\": \"Work x not found\"}", &len);
    ASSERT_EQ(prov_openalex_work_parse(body, len, a, &wid, &refs, &n, err, sizeof(err)), -1);
    ASSERT_STR_CONTAINS(err, "openalex");
    free(body);
    arena_free(a);
}

TEST(openalex_recorded_list_as_edges)
{
    arena_t *a = arena_new(0);
    size_t len = 0;
    char *body = fixture_read("openalex/real_abstract_heading.json", &len);
    cites_page_t pg = {0};
    char err[256] = "";
    ASSERT_EQ(prov_openalex_list_parse(body, len, a, &pg, err, sizeof(err)), 0);
    ASSERT_EQ(pg.papers.n, 2);
    ASSERT_STR_EQ(pg.papers.items[0].sources[0].id, "W2981863007");
    ASSERT_EQ(pg.papers.items[1].sources[0].rank, 2);
    ASSERT_NULL(pg.info); /* OpenAlex says nothing of its edges */
    ASSERT(!pg.more);     /* that answer was no cursor page */
    /* The same reader as the search: the search's parse gives the same papers. */
    prov_result_t r;
    ASSERT_EQ(prov_parse(&prov_openalex, body, len, a, &r, err, sizeof(err)), 0);
    ASSERT_EQ(r.papers.n, pg.papers.n);
    ASSERT_STR_EQ(r.papers.items[0].title, pg.papers.items[0].title);
    free(body);
    /* A cursor page: next_cursor is kept while results come. */
    body = exact_copy(
        "{\"meta\": {\"count\": 3, \"next_cursor\": \"Wzk5XQ\"}, \"results\": "
        "[{\"id\": \"https://openalex.org/W5\", \"title\": \"Five\"}], \"group_by\": []}",
        &len);
    ASSERT_EQ(prov_openalex_list_parse(body, len, a, &pg, err, sizeof(err)), 0);
    ASSERT_EQ(pg.papers.n, 3);
    ASSERT_EQ(pg.papers.items[2].sources[0].rank, 3);
    ASSERT(pg.more);
    ASSERT_STR_EQ(pg.next, "Wzk5XQ");
    ASSERT_EQ(pg.total, 3);
    free(body);
    body = exact_copy("{\"meta\": {\"count\": 3, \"next_cursor\": \"Wzk6XQ\"}, \"results\": []}",
                      &len);
    ASSERT_EQ(prov_openalex_list_parse(body, len, a, &pg, err, sizeof(err)), 0);
    ASSERT(!pg.more);
    ASSERT_NULL(pg.next);
    free(body);
    body = exact_copy("{\"error\": \"Invalid query parameters error.\", \"message\": \"x\"}", &len);
    ASSERT_EQ(prov_openalex_list_parse(body, len, a, &pg, err, sizeof(err)), -1);
    ASSERT_EQ(pg.papers.n, 3);
    free(body);
    arena_free(a);
}

TEST_MAIN()
