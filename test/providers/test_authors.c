/* The author readers and requests (providers/authors.c) on the providers'
 * answers (test/providers/fixtures/README.md says where each comes from). */
#include <stdlib.h>
#include <string.h>

#include "providers/authors.h"
#include "test/providers/helpers.h"
#include "test/test.h"

static const prov_settings_t s2_ps = {.base_url = "http://127.0.0.1:1", .api_key = "k"};
static const prov_settings_t oa_ps = {.base_url = "http://127.0.0.1:2", .mailto = "a@b.c"};

TEST(s2_author_search_reads_the_recorded_answer)
{
    size_t len;
    char *body = fixture_read("semantic_scholar/real_author_search.json", &len);
    ASSERT_NOT_NULL(body);
    arena_t *a = arena_new(0);
    author_list_t l = {0};
    long total = 0;
    char err[256] = "";
    ASSERT_EQ(prov_s2_authors_parse(body, len, false, a, &l, &total, err, sizeof(err)), 0);
    ASSERT_EQ(total, 55);
    ASSERT_EQ(l.n, 3);
    ASSERT_STR_EQ(l.items[0].ids[SRC_SEMANTIC_SCHOLAR], "2262347");
    ASSERT_STR_EQ(l.items[0].name, "A. Turing");
    ASSERT_EQ(l.items[0].paper_count, 59);
    ASSERT_EQ(l.items[0].citation_count, 13236);
    ASSERT_EQ(l.items[0].h_index, 22);
    ASSERT_NULL(l.items[0].homepage);
    ASSERT_NULL(l.items[0].orcid);
    ASSERT_EQ(l.items[0].npapers, 2);
    ASSERT_STR_EQ(l.items[0].papers[1], "doi:10.1080/01611194.2019.1650846");
    ASSERT_STR_EQ(l.items[1].name, "J. Turing");
    ASSERT_STR_EQ(l.items[2].ids[SRC_SEMANTIC_SCHOLAR], "2079681806");
    ASSERT_EQ(l.items[2].sources, 1u << SRC_SEMANTIC_SCHOLAR);
    arena_free(a);
    free(body);
}

TEST(s2_author_profile_and_errors)
{
    const char *one =
        "{\"authorId\":\"1741101\",\"name\":\"Oren Etzioni\",\"aliases\":[\"O. "
        "Etzioni\"],\"affiliations\":[\"Allen Institute for AI\"],\"homepage\":"
        "\"https://allenai.org\",\"externalIds\":{\"ORCID\":[\"0000-0002-1825-009x\"]},"
        "\"paperCount\":10,\"hIndex\":3}";
    arena_t *a = arena_new(0);
    author_list_t l = {0};
    char err[256] = "";
    ASSERT_EQ(prov_s2_authors_parse(one, strlen(one), true, a, &l, NULL, err, sizeof(err)), 0);
    ASSERT_EQ(l.n, 1);
    ASSERT_STR_EQ(l.items[0].orcid, "0000-0002-1825-009X");
    ASSERT_STR_EQ(l.items[0].aliases[0], "O. Etzioni");
    ASSERT_STR_EQ(l.items[0].affiliations[0], "Allen Institute for AI");
    ASSERT_EQ(l.items[0].citation_count, -1);
    const char *bad = "{\"error\":\"Author with id 0 not found\"}";
    ASSERT_EQ(prov_s2_authors_parse(bad, strlen(bad), false, a, &l, NULL, err, sizeof(err)), -1);
    ASSERT_STR_CONTAINS(err, "not found");
    ASSERT_EQ(l.n, 1);
    ASSERT_EQ(prov_s2_authors_parse("{\"data\":[", 9, false, a, &l, NULL, err, sizeof(err)), -1);
    ASSERT_EQ(l.n, 1);
    arena_free(a);
}

TEST(openalex_author_search_reads_the_documented_shape)
{
    size_t len;
    char *body = fixture_read("openalex/authors_search.json", &len);
    ASSERT_NOT_NULL(body);
    arena_t *a = arena_new(0);
    author_list_t l = {0};
    long total = 0;
    char err[256] = "";
    ASSERT_EQ(prov_openalex_authors_parse(body, len, false, a, &l, &total, err, sizeof(err)), 0);
    ASSERT_EQ(total, 2);
    ASSERT_EQ(l.n, 2);
    const author_t *p = &l.items[0];
    ASSERT_STR_EQ(p->ids[SRC_OPENALEX], "A2208157607");
    ASSERT_STR_EQ(p->orcid, "0000-0001-6187-6610");
    ASSERT_EQ(p->naliases, 1); /* the display name itself is no alias */
    ASSERT_STR_EQ(p->aliases[0], "Jason R Priem");
    ASSERT_EQ(p->h_index, 20);
    ASSERT_EQ(p->paper_count, 49);
    ASSERT_EQ(p->naffiliations, 2); /* OurResearch once, though named twice */
    ASSERT_STR_EQ(p->affiliations[0], "University of Washington");
    ASSERT_NULL(l.items[1].orcid);
    ASSERT_EQ(l.items[1].naffiliations, 0);
    arena_free(a);
    free(body);
}

TEST(requests_name_the_documented_paths)
{
    arena_t *a = arena_new(0);
    prov_request_t r;
    char err[256];
    ASSERT_EQ(prov_s2_author_search_build("alan turing", 0, 20, &s2_ps, a, &r, err, sizeof(err)),
              0);
    ASSERT_STR_EQ(r.url,
                  "http://127.0.0.1:1/graph/v1/author/"
                  "search?query=alan%20turing&fields=" PROV_S2_AUTHOR_FIELDS "&offset=0&limit=20");
    ASSERT_EQ(prov_s2_author_build("2262347", &s2_ps, a, &r, err, sizeof(err)), 0);
    ASSERT_STR_EQ(r.url,
                  "http://127.0.0.1:1/graph/v1/author/2262347?fields=" PROV_S2_AUTHOR_FIELDS);
    ASSERT_EQ(prov_openalex_author_search_build("turing", 2, 25, &oa_ps, a, &r, err, sizeof(err)),
              0);
    ASSERT_STR_EQ(r.url,
                  "http://127.0.0.1:2/authors?search=turing&per-page=25&page=2&mailto=a%40b.c");
    ASSERT_EQ(
        prov_openalex_author_build("orcid:0000-0001-6187-6610", &oa_ps, a, &r, err, sizeof(err)),
        0);
    ASSERT_STR_EQ(r.url, "http://127.0.0.1:2/authors/orcid:0000-0001-6187-6610?mailto=a%40b.c");
    ASSERT_EQ(prov_s2_author_search_build("", 0, 20, &s2_ps, a, &r, err, sizeof(err)), -1);
    arena_free(a);
}

TEST(papers_requests_ask_the_search_fields)
{
    arena_t *a = arena_new(0);
    prov_request_t r;
    char err[256];
    ASSERT_EQ(prov_s2_author_papers_build("2262347", 0, 40, &s2_ps, a, &r, err, sizeof(err)), 0);
    ASSERT_STR_CONTAINS(r.url, "http://127.0.0.1:1/graph/v1/author/2262347/papers?fields=paperId,");
    ASSERT_STR_CONTAINS(r.url, "&offset=0&limit=40");
    ASSERT_EQ(prov_openalex_author_works_build("A5023888391", 40, &oa_ps, a, &r, err, sizeof(err)),
              0);
    ASSERT_STR_CONTAINS(r.url, "http://127.0.0.1:2/works?filter=author.id:A5023888391&per-page=40");
    ASSERT_EQ(prov_openalex_author_works_build("orcid:0000-0001-6187-6610", 40, &oa_ps, a, &r, err,
                                               sizeof(err)),
              0);
    ASSERT_STR_CONTAINS(r.url, "/works?filter=author.orcid:0000-0001-6187-6610&per-page=40");
    ASSERT_STR_CONTAINS(r.url, "&select=");
    ASSERT_EQ(prov_s2_author_papers_build("", 0, 40, &s2_ps, a, &r, err, sizeof(err)), -1);
    arena_free(a);
}

TEST_MAIN()
