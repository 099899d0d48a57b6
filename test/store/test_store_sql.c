/* Unit tests of the store's pure parts (store/sql.c): family names,
 * paper rows to and from JSON. */
#include <jansson.h>

#include "store/sql.h"
#include "test/unit/test.h"

TEST(family_names)
{
    char f[64];
    store_family_name("Ada Lovelace", f, sizeof f);
    ASSERT_STR_EQ(f, "lovelace");
    store_family_name("Lovelace, Ada", f, sizeof f);
    ASSERT_STR_EQ(f, "lovelace");
    store_family_name("J. R. R. Tolkien.", f, sizeof f);
    ASSERT_STR_EQ(f, "tolkien");
    store_family_name("O'Brien", f, sizeof f);
    ASSERT_STR_EQ(f, "obrien");
    store_family_name("", f, sizeof f);
    ASSERT_STR_EQ(f, "");
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
                  "graph neural networks a review");
    ASSERT_EQ(json_integer_value(json_object_get(o, "citations")), 7);
    ASSERT_EQ(json_array_size(json_object_get(o, "sources")), 2); /* local left out */
    ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(o, "source_ids"), "arxiv")),
                  "2401.01234v1");
    ASSERT(json_is_null(json_object_get(o, "venue")));
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
