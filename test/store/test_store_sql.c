/* Unit tests of the store's pure parts (store/sql.c): paper rows to and
 * from JSON, their dedupe keys (the merge's, core/paper.h). */
#include <jansson.h>
#include <stdio.h>

#include "core/merge.h"
#include "store/sql.h"
#include "test/test.h"

TEST(family_names)
{
    arena_t *a = arena_new(0);
    ASSERT_STR_EQ(paper_family_key(a, "Ada Lovelace"), "lovelace");
    ASSERT_STR_EQ(paper_family_key(a, "Lovelace, Ada"), "lovelace");
    ASSERT_STR_EQ(paper_family_key(a, "J. R. R. Tolkien."), "tolkien");
    ASSERT_STR_EQ(paper_family_key(a, "O'Brien"), "obrien");
    ASSERT_STR_EQ(paper_family_key(a, "Martin Luther King Jr."), "king");
    ASSERT_STR_EQ(paper_family_key(a, "Jos\xc3\xa9 M\xc3\xbcller"), "muller");
    ASSERT_NULL(paper_family_key(a, ""));
    ASSERT_NULL(paper_family_key(a, ", Ada"));
    arena_free(a);
}

/* The dedupe key of the row the store writes for a paper with this title
 * and first author: "title_key|first_author". */
static char *row_key(arena_t *a, const char *title, const char *author)
{
    paper_t p = {0};
    const char **authors = arena_alloc(a, sizeof *authors);
    authors[0] = author;
    p.title = title;
    p.authors = authors;
    p.nauthors = 1;
    p.year = 2020;
    p.citations = -1;
    p.sources[0] = (paper_source_t){.source = SRC_ARXIV, .id = "x", .rank = 1};
    p.nsources = 1;
    char *row = store_paper_row_json(&p);
    json_t *o = row ? json_loads(row, 0, NULL) : NULL;
    free(row);
    char *key = o ? arena_sprintf(a, "%s|%s", json_string_value(json_object_get(o, "title_key")),
                                  json_string_value(json_object_get(o, "first_author")))
                  : NULL;
    json_decref(o);
    return key;
}

/* True when the merge makes one paper of the two (same year, no ids: only
 * the title key and the first author can join them). */
static bool merged_as_one(arena_t *a, const char *t1, const char *a1, const char *t2,
                          const char *a2)
{
    paper_list_t lists[SRC_COUNT] = {0};
    const paper_list_t *in[SRC_COUNT] = {0};
    const char *titles[2] = {t1, t2}, *names[2] = {a1, a2};
    source_t srcs[2] = {SRC_ARXIV, SRC_CROSSREF};
    for (int i = 0; i < 2; i++) {
        paper_t *p = paper_list_add(&lists[srcs[i]], a);
        const char **authors = arena_alloc(a, sizeof *authors);
        authors[0] = names[i];
        p->title = titles[i];
        p->authors = authors;
        p->nauthors = 1;
        p->year = 2020;
        p->citations = -1;
        p->sources[0] = (paper_source_t){.source = srcs[i], .id = i ? "c" : "a", .rank = 1};
        p->nsources = 1;
        in[srcs[i]] = &lists[srcs[i]];
    }
    query_t q = {.text = "x", .limit = 10};
    merge_result_t r;
    if (merge_papers(a, in, &q, &r) < 0) return false;
    return r.nall == 1;
}

TEST(store_dedupe_key_judges_as_the_merge)
{
    /* Pairs the merge takes for one paper, and pairs it keeps apart: the
     * store's (title_key, first_author) must say the same of each, or the
     * table and the answers disagree on what one paper is. */
    static const char *const pairs[][4] = {
        {"Attention Is All You Need", "Ashish Vaswani", "Attention is all you need", "Vaswani, A."},
        {"Attention Is All You Need", "Ashish Vaswani Jr.", "Attention Is All You Need",
         "A. Vaswani"},
        {"Pre-training Deep Models", "Jose M\xc3\xbcller", "Pretraining deep models", "J. Muller"},
        {"KwaZulu-Natal Birds", "Ann Smith", "KwaZulu Natal birds", "A. Smith"},
        {"Graph Networks", "Ada Lovelace", "Graph Networks", "Charles Babbage"},
        {"Graph Networks", "Ada Lovelace", "Tree Networks", "Ada Lovelace"},
        {"Graph Networks", "\xc3\x89mile Zola", "Graph networks", "Zola, E."},
        {"Graph Networks", "Smith III", "Graph networks", "Smith"},
    };
    arena_t *a = arena_new(0);
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        const char *const *p = pairs[i];
        bool merged = merged_as_one(a, p[0], p[1], p[2], p[3]);
        char *k1 = row_key(a, p[0], p[1]), *k2 = row_key(a, p[2], p[3]);
        ASSERT_NOT_NULL(k1);
        ASSERT_NOT_NULL(k2);
        if (merged != (strcmp(k1, k2) == 0))
            fprintf(stderr, "pair %zu: merge says %s, store keys %s and %s\n", i,
                    merged ? "same" : "different", k1, k2);
        ASSERT_EQ(merged, strcmp(k1, k2) == 0);
    }
    arena_free(a);
}

TEST(cache_key_hash_is_versioned_and_stable)
{
    char h1[20], h2[20];
    store_cache_key_hash("q=graph", h1);
    store_cache_key_hash("q=graph", h2);
    ASSERT_STR_EQ(h1, h2);
    ASSERT_EQ(strncmp(h1, "v1:", 3), 0);
    ASSERT_EQ(strlen(h1), 19);
    store_cache_key_hash("q=graphs", h2);
    ASSERT_STR_NE(h1, h2);
}

static paper_t sample(arena_t *a)
{
    paper_t p = {0};
    static const char *authors[] = {"Ada Lovelace", "Charles Babbage"};
    static const char *cats[] = {"cs.LG", "stat.ML"};
    p.title = "Graph Neural Networks: A Review";
    p.abstract = "We review.";
    p.authors = authors;
    p.nauthors = 2;
    p.doi = "10.1000/xyz";
    p.arxiv_id = "2401.01234";
    p.year = 2024;
    p.published = "2024-01-02";
    p.categories = cats;
    p.ncategories = 2;
    p.citations = 7;
    p.url = "https://example.org/p";
    p.sources[0] = (paper_source_t){.source = SRC_ARXIV, .id = "2401.01234v1", .rank = 1};
    p.sources[1] = (paper_source_t){.source = SRC_LOCAL, .id = "5", .rank = 2};
    p.sources[2] = (paper_source_t){.source = SRC_CROSSREF, .id = "10.1000/xyz", .rank = 3};
    p.nsources = 3;
    (void)a;
    return p;
}

TEST(paper_row_json_has_the_columns)
{
    arena_t *a = arena_new(0);
    paper_t p = sample(a);
    char *row = store_paper_row_json(&p);
    ASSERT_NOT_NULL(row);
    json_t *o = json_loads(row, 0, NULL);
    ASSERT_NOT_NULL(o);
    ASSERT_STR_EQ(json_string_value(json_object_get(o, "doi")), "10.1000/xyz");
    ASSERT_STR_EQ(json_string_value(json_object_get(o, "first_author")), "lovelace");
    ASSERT_STR_EQ(json_string_value(json_object_get(o, "title_key")),
                  "graphneuralnetworksareview"); /* the merge's dedupe key */
    ASSERT_EQ(json_integer_value(json_object_get(o, "citations")), 7);
    ASSERT_EQ(json_array_size(json_object_get(o, "sources")), 2); /* local left out */
    ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(o, "source_ids"), "arxiv")),
                  "2401.01234v1");
    ASSERT(json_is_null(json_object_get(o, "venue")));
    ASSERT(json_is_null(json_object_get(o, "type"))); /* untyped: NULL, not "" */
    json_decref(o);
    free(row);
    p.type = PAPER_TYPE_BOOK_CHAPTER;
    row = store_paper_row_json(&p);
    o = row ? json_loads(row, 0, NULL) : NULL;
    ASSERT_NOT_NULL(o);
    ASSERT_STR_EQ(json_string_value(json_object_get(o, "type")), "book_chapter");
    /* Read back as the store reads a row: the same type. */
    paper_t back = {0};
    json_object_set_new(o, "id", json_string("1"));
    ASSERT_EQ(store_paper_from_json(o, a, 1, &back), 0);
    ASSERT_EQ(back.type, PAPER_TYPE_BOOK_CHAPTER);
    json_decref(o);
    free(row);
    arena_free(a);
}

TEST(paper_row_json_skips_local_only_and_keyless)
{
    arena_t *a = arena_new(0);
    paper_t p = sample(a);
    p.sources[0] = (paper_source_t){.source = SRC_LOCAL, .id = "5", .rank = 1};
    p.nsources = 1;
    ASSERT_NULL(store_paper_row_json(&p));
    paper_t q = {0};
    q.title = "";
    q.sources[0] = (paper_source_t){.source = SRC_EXA, .id = "x", .rank = 1};
    q.nsources = 1;
    ASSERT_NULL(store_paper_row_json(&q));
    arena_free(a);
}

TEST(paper_row_json_replaces_invalid_utf8)
{
    arena_t *a = arena_new(0);
    paper_t p = sample(a);
    p.title = "bad \xff\xfe title \xc3\xa9";
    char *row = store_paper_row_json(&p);
    ASSERT_NOT_NULL(row);
    json_t *o = json_loads(row, 0, NULL);
    ASSERT_NOT_NULL(o);
    ASSERT_STR_EQ(json_string_value(json_object_get(o, "title")), "bad ?? title \xc3\xa9");
    json_decref(o);
    free(row);
    arena_free(a);
}

TEST(paper_from_json_fills_the_local_source)
{
    arena_t *a = arena_new(0);
    const char *text =
        "{\"id\":\"17\",\"title\":\"T\",\"abstract\":null,\"authors\":[\"A B\",\"C D\"],"
        "\"year\":2020,\"published_at\":\"2020-05\",\"venue\":null,\"doi\":\"10.1/x\","
        "\"arxiv_id\":null,\"categories\":[\"cs.AI\"],\"citation_count\":null,\"url\":null,"
        "\"pdf_url\":\"https://x/p.pdf\",\"is_open_access\":true,\"sources\":[\"arxiv\"]}";
    json_t *o = json_loads(text, 0, NULL);
    paper_t p = {0};
    ASSERT_EQ(store_paper_from_json(o, a, 3, &p), 0);
    ASSERT_STR_EQ(p.title, "T");
    ASSERT_NULL(p.abstract);
    ASSERT_EQ(p.nauthors, 2);
    ASSERT_STR_EQ(p.authors[1], "C D");
    ASSERT_EQ(p.year, 2020);
    ASSERT_EQ(p.citations, -1);
    ASSERT(p.open_access);
    ASSERT_EQ(p.nsources, 1);
    ASSERT_EQ(p.sources[0].source, SRC_LOCAL);
    ASSERT_STR_EQ(p.sources[0].id, "17");
    ASSERT_EQ(p.sources[0].rank, 3);
    json_decref(o);
    paper_t q = {0};
    json_t *bad = json_loads("{\"title\":\"no id\"}", 0, NULL);
    ASSERT_EQ(store_paper_from_json(bad, a, 1, &q), -1);
    json_decref(bad);
    arena_free(a);
}

TEST_MAIN()
