/* Unit tests for core/facets.c: counts over every paper given, top values
 * and their order, other and missing, grouping, and the answer's member. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/answer_json.h"
#include "core/facets.h"
#include "test/test.h"

static paper_t paper(int year, const char *venue, bool oa)
{
    paper_t p = {.title = "t", .year = year, .venue = venue, .open_access = oa, .citations = -1};
    return p;
}

static const facet_counts_t *count(arena_t *a, paper_t *ps, size_t n, facet_t f, facets_t *out)
{
    const paper_t *ptr[64];
    for (size_t i = 0; i < n; i++)
        ptr[i] = &ps[i];
    ASSERT_EQ(facets_count(a, ptr, n, 1u << f, out), 0);
    return &out->f[f];
}

TEST(names_parse_both_ways)
{
    for (int f = 0; f < FACET_COUNT; f++) {
        const char *n = facet_name((facet_t)f);
        ASSERT_EQ(facet_parse(n, strlen(n)), f);
    }
    ASSERT_EQ(facet_parse("kind", 4), -1);
    ASSERT_EQ(facet_parse("yea", 3), -1);
}

TEST(single_valued_facets_add_up_to_the_papers)
{
    arena_t *a = arena_new(0);
    paper_t ps[] = {paper(2020, "Nature", true),   paper(2021, "nature ", false),
                    paper(2020, "Science", false), paper(0, NULL, false),
                    paper(2019, "  NATURE", true), paper(2020, "", false)};
    facets_t fs;
    const facet_counts_t *y = count(a, ps, 6, FACET_YEAR, &fs);
    ASSERT_EQ(y->ntop, 3);
    ASSERT_STR_EQ(y->top[0].value, "2020");
    ASSERT_EQ(y->top[0].count, 3);
    ASSERT_STR_EQ(y->top[1].value, "2021"); /* ties: newest first */
    ASSERT_STR_EQ(y->top[2].value, "2019");
    ASSERT_EQ(y->missing, 1);
    ASSERT_EQ(y->other, 0);
    const facet_counts_t *v = count(a, ps, 6, FACET_VENUE, &fs);
    ASSERT_EQ(v->ntop, 2);
    ASSERT_STR_EQ(v->top[0].value, "Nature"); /* grouped ignoring case and spaces, first seen */
    ASSERT_EQ(v->top[0].count, 3);
    ASSERT_EQ(v->top[1].count, 1);
    ASSERT_EQ(v->missing, 2);
    ASSERT_EQ(v->top[0].count + v->top[1].count + v->other + v->missing, 6);
    const facet_counts_t *o = count(a, ps, 6, FACET_OPEN_ACCESS, &fs);
    ASSERT_STR_EQ(o->top[0].value, "false");
    ASSERT_EQ(o->top[0].count, 4);
    ASSERT_EQ(o->missing, 0);
    arena_free(a);
}

TEST(past_the_top_values_the_rest_is_other)
{
    arena_t *a = arena_new(0);
    paper_t ps[40];
    for (int i = 0; i < 40; i++)
        ps[i] = paper(1990 + (i < 20 ? 0 : i), NULL, false); /* 1990 x20, then 20 single years */
    facets_t fs;
    const facet_counts_t *y = count(a, ps, 40, FACET_YEAR, &fs);
    ASSERT_EQ(y->ntop, FACET_TOP);
    ASSERT_STR_EQ(y->top[0].value, "1990");
    ASSERT_EQ(y->top[0].count, 20);
    ASSERT_STR_EQ(y->top[1].value, "2029"); /* the singles, newest first */
    ASSERT_EQ(y->distinct, 21);
    ASSERT_EQ(y->other, 40 - 20 - (FACET_TOP - 1));
    arena_free(a);
}

TEST(multi_valued_facets_count_each_value)
{
    arena_t *a = arena_new(0);
    const char *c1[] = {"cs.LG", "stat.ML"}, *c2[] = {"CS.lg"};
    paper_t ps[] = {paper(0, NULL, false), paper(0, NULL, false), paper(0, NULL, false)};
    ps[0].categories = c1, ps[0].ncategories = 2;
    ps[1].categories = c2, ps[1].ncategories = 1;
    ps[0].sources[0].source = SRC_ARXIV, ps[0].sources[1].source = SRC_OPENALEX;
    ps[0].nsources = 2;
    ps[1].sources[0].source = SRC_ARXIV, ps[1].nsources = 1;
    facets_t fs;
    const facet_counts_t *c = count(a, ps, 3, FACET_CATEGORY, &fs);
    ASSERT_STR_EQ(c->top[0].value, "cs.LG");
    ASSERT_EQ(c->top[0].count, 2);
    ASSERT_EQ(c->missing, 1);
    const facet_counts_t *p = count(a, ps, 3, FACET_PROVIDER, &fs);
    ASSERT_STR_EQ(p->top[0].value, "arxiv");
    ASSERT_EQ(p->top[0].count, 2);
    ASSERT_STR_EQ(p->top[1].value, "openalex");
    ASSERT_EQ(p->missing, 1);
    arena_free(a);
}

TEST(type_counts_the_typed_papers_only)
{
    arena_t *a = arena_new(0);
    paper_t ps[] = {paper(0, NULL, false), paper(0, NULL, false), paper(0, NULL, false),
                    paper(0, NULL, false), paper(0, NULL, false)};
    ps[0].type = PAPER_TYPE_PREPRINT;
    ps[1].type = PAPER_TYPE_ARTICLE;
    ps[2].type = PAPER_TYPE_PREPRINT;
    ps[3].type = PAPER_TYPE_OTHER; /* a provider said something else: a value */
    facets_t fs;
    const facet_counts_t *t = count(a, ps, 5, FACET_TYPE, &fs);
    ASSERT_EQ(t->ntop, 3);
    ASSERT_STR_EQ(t->top[0].value, "preprint");
    ASSERT_EQ(t->top[0].count, 2);
    ASSERT_STR_EQ(t->top[1].value, "article"); /* ties: by value */
    ASSERT_STR_EQ(t->top[2].value, "other");
    ASSERT_EQ(t->missing, 1); /* no provider typed it: not a value */
    ASSERT_EQ(t->distinct, 3);
    /* Nobody typed any: every paper missing, so the answer leaves it out. */
    paper_t untyped[] = {paper(2020, NULL, false), paper(2021, NULL, false)};
    t = count(a, untyped, 2, FACET_TYPE, &fs);
    ASSERT_EQ(t->ntop, 0);
    ASSERT_EQ(t->missing, 2);
    arena_free(a);
}

TEST(the_answer_leaves_out_a_facet_no_paper_has)
{
    arena_t *a = arena_new(0);
    paper_t ps[] = {paper(2020, NULL, true), paper(2018, NULL, false)};
    const paper_t *ptr[] = {&ps[0], &ps[1]};
    facets_t fs;
    ASSERT_EQ(facets_count(a, ptr, 2,
                           (1u << FACET_YEAR) | (1u << FACET_VENUE) | (1u << FACET_OPEN_ACCESS) |
                               (1u << FACET_TYPE),
                           &fs),
              0);
    query_t q;
    query_init(&q);
    q.text = "x";
    answer_t ans = {.query = &q, .papers = ptr, .npapers = 2, .total = 2, .facets = &fs};
    size_t len;
    char *text = answer_json_write(&ans, &len);
    ASSERT_NOT_NULL(text);
    json_t *j = json_loads(text, 0, NULL);
    ASSERT_NOT_NULL(j);
    json_t *f = json_object_get(j, "facets");
    ASSERT(json_is_object(f));
    ASSERT_NULL(json_object_get(f, "venue")); /* nobody gave one: absent, not zeros */
    ASSERT_NULL(json_object_get(f, "type"));
    json_t *y = json_array_get(json_object_get(json_object_get(f, "year"), "values"), 0);
    ASSERT_EQ(json_integer_value(json_object_get(y, "value")), 2020);
    json_t *o = json_array_get(json_object_get(json_object_get(f, "open_access"), "values"), 0);
    ASSERT(json_is_boolean(json_object_get(o, "value")));
    json_decref(j);
    free(text);
    arena_free(a);
}

TEST_MAIN()
