/* The author merge and writer (core/authors.c). */
#include <stdlib.h>
#include <string.h>

#include "core/authors.h"
#include "test/test.h"

static author_t *person(author_list_t *l, arena_t *a, source_t s, const char *id, const char *name,
                        const char *orcid)
{
    author_t *au = author_list_add(l, a);
    au->ids[s] = id;
    au->name = name;
    au->orcid = orcid != NULL ? author_orcid_norm(a, orcid) : NULL;
    au->sources = 1u << s;
    return au;
}

TEST(same_person_under_two_ids_is_merged_by_orcid)
{
    arena_t *a = arena_new(0);
    author_list_t in[SRC_COUNT] = {0};
    author_t *s2 = person(&in[SRC_SEMANTIC_SCHOLAR], a, SRC_SEMANTIC_SCHOLAR, "1741101", "J. Priem",
                          "0000-0001-6187-6610");
    s2->paper_count = 40;
    s2->h_index = 18;
    author_t *oa = person(&in[SRC_OPENALEX], a, SRC_OPENALEX, "A2208157607", "Jason Priem",
                          "https://orcid.org/0000-0001-6187-6610");
    oa->paper_count = 49;
    oa->citation_count = 38;
    ASSERT_EQ(author_add_affiliation(oa, a, "OurResearch"), 0);
    person(&in[SRC_OPENALEX], a, SRC_OPENALEX, "A9", "Someone Else", NULL);
    author_list_t out = {0};
    ASSERT_EQ(authors_merge(in, a, &out), 0);
    ASSERT_EQ(out.n, 2);
    const author_t *m = &out.items[0];
    ASSERT_STR_EQ(m->name, "J. Priem"); /* the first source's */
    ASSERT_STR_EQ(m->aliases[0], "Jason Priem");
    ASSERT_STR_EQ(m->ids[SRC_SEMANTIC_SCHOLAR], "1741101");
    ASSERT_STR_EQ(m->ids[SRC_OPENALEX], "A2208157607");
    ASSERT_EQ(m->paper_count, 49);
    ASSERT_EQ(m->citation_count, 38);
    ASSERT_EQ(m->h_index, 18);
    ASSERT_EQ(m->naffiliations, 1);
    ASSERT_EQ(m->sources, (1u << SRC_SEMANTIC_SCHOLAR) | (1u << SRC_OPENALEX));
    ASSERT_STR_EQ(out.items[1].name, "Someone Else");
    arena_free(a);
}

TEST(same_name_and_a_shared_paper_merge_and_a_provider_id_too)
{
    arena_t *a = arena_new(0);
    author_list_t in[SRC_COUNT] = {0};
    author_t *x =
        person(&in[SRC_SEMANTIC_SCHOLAR], a, SRC_SEMANTIC_SCHOLAR, "2262347", "A. M. Turing", NULL);
    ASSERT_EQ(author_add_paper(x, a, "10.1093/MIND/LIX.236.433", NULL), 0);
    author_t *y = person(&in[SRC_OPENALEX], a, SRC_OPENALEX, "A1", "a m turing", NULL);
    ASSERT_EQ(author_add_paper(y, a, "https://doi.org/10.1093/mind/lix.236.433", NULL), 0);
    /* OpenAlex knowing S2's id of the person is the second rule. */
    author_t *z = person(&in[SRC_OPENALEX], a, SRC_OPENALEX, "A2", "Somebody", NULL);
    z->ids[SRC_SEMANTIC_SCHOLAR] = "777";
    person(&in[SRC_SEMANTIC_SCHOLAR], a, SRC_SEMANTIC_SCHOLAR, "777", "S. Body", NULL);
    author_list_t out = {0};
    ASSERT_EQ(authors_merge(in, a, &out), 0);
    ASSERT_EQ(out.n, 2);
    ASSERT_STR_EQ(out.items[0].ids[SRC_OPENALEX], "A1");
    ASSERT_STR_EQ(out.items[1].ids[SRC_OPENALEX], "A2");
    arena_free(a);
}

TEST(two_people_of_the_same_name_stay_apart)
{
    arena_t *a = arena_new(0);
    author_list_t in[SRC_COUNT] = {0};
    /* The recorded S2 search gives two "A. Turing"s with different ids. */
    person(&in[SRC_SEMANTIC_SCHOLAR], a, SRC_SEMANTIC_SCHOLAR, "2262347", "A. Turing", NULL);
    person(&in[SRC_SEMANTIC_SCHOLAR], a, SRC_SEMANTIC_SCHOLAR, "2079681806", "A. Turing", NULL);
    /* Same name, no paper in common: not the same person. */
    author_t *y = person(&in[SRC_OPENALEX], a, SRC_OPENALEX, "A1", "A. Turing", NULL);
    ASSERT_EQ(author_add_paper(y, a, NULL, "On computable numbers"), 0);
    /* Same name and a shared paper, but another ORCID: apart. */
    author_t *x = &in[SRC_SEMANTIC_SCHOLAR].items[0];
    x->orcid = "0000-0000-0000-0001";
    ASSERT_EQ(author_add_paper(x, a, NULL, "On Computable Numbers."), 0);
    y->orcid = "0000-0000-0000-0002";
    author_list_t out = {0};
    ASSERT_EQ(authors_merge(in, a, &out), 0);
    ASSERT_EQ(out.n, 3);
    ASSERT(!author_same(&in[SRC_SEMANTIC_SCHOLAR].items[0], &in[SRC_SEMANTIC_SCHOLAR].items[1]));
    y->orcid = NULL; /* without the ORCIDs, name and paper do merge them */
    ASSERT(author_same(x, y));
    arena_free(a);
}

TEST(orcid_and_names_normalise)
{
    arena_t *a = arena_new(0);
    ASSERT_STR_EQ(author_orcid_norm(a, "https://orcid.org/0000-0002-1825-009x"),
                  "0000-0002-1825-009X");
    ASSERT_NULL(author_orcid_norm(a, "0000-0002-1825"));
    ASSERT_NULL(author_orcid_norm(a, "https://orcid.org/0000-0002-1825-0097/x"));
    char b[64];
    author_name_norm("  A.M.  Turing ", b, sizeof(b));
    ASSERT_STR_EQ(b, "a m turing");
    arena_free(a);
}

TEST(json_names_every_id_and_null_counts)
{
    arena_t *a = arena_new(0);
    author_list_t l = {0};
    author_t *au = person(&l, a, SRC_OPENALEX, "A1", "Ada \"L\"", NULL);
    au->ids[SRC_SEMANTIC_SCHOLAR] = "42";
    au->sources |= 1u << SRC_SEMANTIC_SCHOLAR;
    au->h_index = 3;
    char *buf = NULL;
    size_t len = 0, cap = 0;
    ASSERT_EQ(author_json_append(&buf, &len, &cap, au), 0);
    ASSERT_STR_CONTAINS(buf, "\"id\":\"s2:42\"");
    ASSERT_STR_CONTAINS(buf, "\"name\":\"Ada \\\"L\\\"\"");
    ASSERT_STR_CONTAINS(buf, "\"paper_count\":null");
    ASSERT_STR_CONTAINS(buf, "\"h_index\":3");
    ASSERT_STR_CONTAINS(buf, "\"ids\":{\"semantic_scholar\":\"42\",\"openalex\":\"A1\"}");
    ASSERT_STR_CONTAINS(buf, "\"sources\":[\"semantic_scholar\",\"openalex\"]");
    free(buf);
    arena_free(a);
}

TEST_MAIN()
