/* Unit tests for core/answer_json.c: every answer is parsed back with
 * jansson (which refuses invalid UTF-8), then checked field by field. */
#include "core/answer_json.h"
#include "test/core/fixture.h"
#include "test/test.h"

#include <jansson.h>

/* Merges f and writes the answer; the providers in mask are asked and ok. */
static json_t *answer_of(fx_t *f, unsigned mask, char **text)
{
    merge_result_t r = fx_merge(f);
    answer_t ans = {.query = &f->q, .papers = r.page, .npapers = r.npage, .total = r.total};
    for (int s = 0; s < SRC_COUNT; s++) {
        if (!(mask & (1u << s))) continue;
        ans.providers[s] = (answer_provider_t){
            .asked = true, .status = PSTAT_OK, .results = (long)f->lists[s].n, .latency_ms = 12.4};
    }
    ans.took_ms = 99.6;
    size_t len = 0;
    char *out = answer_json_write(&ans, &len);
    ASSERT_NOT_NULL(out);
    ASSERT_EQ_U(len, strlen(out));
    json_error_t err;
    json_t *j = json_loadb(out, len, 0, &err);
    if (j == NULL) fprintf(stderr, "json error: %s at %d: %s\n", err.text, err.position, out);
    ASSERT_NOT_NULL(j);
    if (text != NULL)
        *text = out;
    else
        free(out);
    return j;
}

static const char *jstr(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

TEST(answer_shape_and_nulls)
{
    fx_t f;
    fx_init(&f, "graph");
    paper_t *p = fx_add(&f, SRC_ARXIV, "Graphs");
    p->arxiv_id = "2101.00001";
    fx_authors(&f, p, 2, "A B", "C D");
    fx_cats(&f, p, 1, "cs.DM");
    fx_add(&f, SRC_CROSSREF, "Bare");
    f.q.year_to = 2030;
    json_t *j = answer_of(&f, (1u << SRC_ARXIV) | (1u << SRC_CROSSREF), NULL);

    json_t *q = json_object_get(j, "query");
    ASSERT_STR_EQ(jstr(q, "text"), "graph");
    ASSERT(json_is_null(json_object_get(q, "year_from")));
    ASSERT_EQ(json_integer_value(json_object_get(q, "year_to")), 2030);
    ASSERT(json_is_null(json_object_get(q, "author")));
    ASSERT_STR_EQ(jstr(q, "sort"), "relevance");
    ASSERT_STR_EQ(jstr(q, "strategy"), "merge");
    ASSERT_EQ(json_array_size(json_object_get(q, "providers")), 2);
    ASSERT_STR_EQ(json_string_value(json_array_get(json_object_get(q, "providers"), 1)),
                  "crossref");
    ASSERT_EQ(json_integer_value(json_object_get(j, "total")), 0); /* year_to drops both: no year */

    f.q.year_to = 0;
    json_decref(j);
    j = answer_of(&f, (1u << SRC_ARXIV) | (1u << SRC_CROSSREF), NULL);
    ASSERT_EQ(json_integer_value(json_object_get(j, "total")), 2);
    ASSERT_EQ(json_integer_value(json_object_get(j, "offset")), 0);
    ASSERT_EQ(json_integer_value(json_object_get(j, "limit")), 10);
    json_t *res = json_object_get(j, "papers");
    ASSERT_EQ(json_array_size(res), 2);

    json_t *a = json_array_get(res, 0);
    ASSERT_STR_EQ(jstr(a, "id"), "arxiv:2101.00001");
    ASSERT_STR_EQ(jstr(a, "title"), "Graphs");
    ASSERT_EQ(json_array_size(json_object_get(a, "authors")), 2);
    ASSERT_STR_EQ(json_string_value(json_array_get(json_object_get(a, "categories"), 0)), "cs.DM");
    ASSERT_STR_EQ(jstr(a, "pdf_url"), "https://arxiv.org/pdf/2101.00001");
    ASSERT(json_is_true(json_object_get(a, "is_open_access")));
    ASSERT(json_is_real(json_object_get(a, "score")));
    json_t *src = json_array_get(json_object_get(a, "sources"), 0);
    ASSERT_STR_EQ(jstr(src, "provider"), "arxiv");
    ASSERT_STR_EQ(jstr(src, "id"), "arxiv-1");
    ASSERT_EQ(json_integer_value(json_object_get(src, "rank")), 1);

    json_t *b = json_array_get(res, 1);
    ASSERT_STR_EQ(jstr(b, "id"), "crossref:crossref-1");
    const char *nulls[] = {"abstract", "year",           "published_at", "venue",  "doi",
                           "arxiv_id", "citation_count", "url",          "pdf_url"};
    for (size_t i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++) {
        json_t *v = json_object_get(b, nulls[i]);
        if (!json_is_null(v)) fprintf(stderr, "key %s is not null\n", nulls[i]);
        ASSERT(json_is_null(v));
    }
    ASSERT_EQ(json_array_size(json_object_get(b, "authors")), 0);
    ASSERT_EQ(json_array_size(json_object_get(b, "categories")), 0);
    ASSERT(json_is_false(json_object_get(b, "is_open_access")));

    json_t *prov = json_object_get(j, "providers");
    ASSERT_EQ(json_object_size(prov), 2);
    json_t *ax = json_object_get(prov, "arxiv");
    ASSERT_STR_EQ(jstr(ax, "status"), "ok");
    ASSERT_EQ(json_integer_value(json_object_get(ax, "results")), 1);
    ASSERT_EQ((long long)json_number_value(json_object_get(ax, "latency_ms")), 12);
    ASSERT(json_is_null(json_object_get(ax, "error")));
    ASSERT_EQ(llround(json_number_value(json_object_get(j, "took_ms"))), 100);
    ASSERT(json_is_false(json_object_get(j, "partial")));
    json_decref(j);
    fx_free(&f);
}

TEST(answer_escapes_nasty_strings)
{
    fx_t f;
    fx_init(&f, "q \"quoted\" \\ back");
    paper_t *p =
        fx_add(&f, SRC_EXA, "Quote \" back \\ slash / tab \t nl \n cr \r bell \x07 del \x7f");
    p->abstract =
        "bad \xff byte, cut \xe2\x82, surrogate \xed\xa0\x80, overlong \xc0\xaf, "
        "big \xf4\x90\x80\x80, ok \xe2\x82\xac \xf0\x9f\x98\x80, sep \xe2\x80\xa8\xe2\x80\xa9";
    fx_authors(&f, p, 2, "\x01\x1f", "</script>");
    fx_cats(&f, p, 1, "tail \xe2");
    p->sources[0].id = "id\"with\\quote";
    p->url = "";
    char *text = NULL;
    json_t *j = answer_of(&f, 1u << SRC_EXA, &text);
    ASSERT(strstr(text, "\\u2028\\u2029") != NULL);
    json_t *a = json_array_get(json_object_get(j, "papers"), 0);
    ASSERT_STR_EQ(jstr(a, "title"),
                  "Quote \" back \\ slash / tab \t nl \n cr \r bell \x07 del \x7f");
    ASSERT_STR_EQ(jstr(a, "abstract"),
                  "bad \xef\xbf\xbd byte, cut \xef\xbf\xbd\xef\xbf\xbd, surrogate "
                  "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd, overlong \xef\xbf\xbd\xef\xbf\xbd, "
                  "big \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd, ok \xe2\x82\xac "
                  "\xf0\x9f\x98\x80, sep \xe2\x80\xa8\xe2\x80\xa9");
    ASSERT_STR_EQ(json_string_value(json_array_get(json_object_get(a, "authors"), 0)), "\x01\x1f");
    ASSERT_STR_EQ(json_string_value(json_array_get(json_object_get(a, "categories"), 0)),
                  "tail \xef\xbf\xbd");
    ASSERT_STR_EQ(jstr(a, "id"), "exa:id\"with\\quote");
    ASSERT(json_is_null(json_object_get(a, "url"))); /* "" is unknown */
    ASSERT_STR_EQ(jstr(json_object_get(j, "query"), "text"), "q \"quoted\" \\ back");
    json_decref(j);
    free(text);
    fx_free(&f);
}

TEST(answer_provider_statuses)
{
    fx_t f;
    fx_init(&f, "x");
    f.q.providers = (1u << SRC_ARXIV) | (1u << SRC_EXA) | (1u << SRC_LOCAL);
    merge_result_t r = fx_merge(&f);
    answer_t ans = {.query = &f.q, .papers = r.page, .npapers = r.npage, .total = r.total};
    ans.providers[SRC_ARXIV] = (answer_provider_t){
        .asked = true, .status = PSTAT_TIMEOUT, .latency_ms = 3000, .error = "deadline"};
    ans.providers[SRC_EXA] = (answer_provider_t){
        .asked = true, .status = PSTAT_RATE_LIMITED, .latency_ms = -1, .error = "429 \"slow\""};
    ans.providers[SRC_LOCAL] = (answer_provider_t){.asked = true, .status = PSTAT_CACHED};
    ans.partial = true;
    ans.took_ms = -5;
    char *out = answer_json_write(&ans, NULL);
    ASSERT_NOT_NULL(out);
    json_t *j = json_loads(out, 0, NULL);
    ASSERT_NOT_NULL(j);
    json_t *prov = json_object_get(j, "providers");
    ASSERT_EQ(json_object_size(prov), 3);
    ASSERT_STR_EQ(jstr(json_object_get(prov, "arxiv"), "status"), "timeout");
    ASSERT_STR_EQ(jstr(json_object_get(prov, "arxiv"), "error"), "deadline");
    ASSERT_STR_EQ(jstr(json_object_get(prov, "exa"), "status"), "rate_limited");
    ASSERT(json_is_null(json_object_get(json_object_get(prov, "exa"), "latency_ms")));
    ASSERT_STR_EQ(jstr(json_object_get(prov, "exa"), "error"), "429 \"slow\"");
    ASSERT_STR_EQ(jstr(json_object_get(prov, "local"), "status"), "cached");
    ASSERT(json_is_true(json_object_get(j, "partial")));
    ASSERT_EQ((long long)json_number_value(json_object_get(j, "took_ms")), 0);
    ASSERT_EQ(json_array_size(json_object_get(j, "papers")), 0);
    ASSERT_STR_EQ(
        out,
        "{\"query\":{\"text\":\"x\",\"year_from\":null,\"year_to\":null,"
        "\"date_from\":null,\"date_to\":null,\"author\":null,\"category\":null,"
        "\"open_access\":false,\"providers\":[\"arxiv\",\"exa\",\"local\"],"
        "\"sort\":\"relevance\",\"strategy\":\"merge\",\"limit\":10,\"offset\":0},"
        "\"total\":0,\"offset\":0,\"limit\":10,\"next_cursor\":null,\"papers\":[],\"providers\":{"
        "\"arxiv\":{\"status\":\"timeout\",\"results\":0,\"latency_ms\":3000.0,"
        "\"error\":\"deadline\"},\"exa\":{\"status\":\"rate_limited\",\"results\":0,"
        "\"latency_ms\":null,\"error\":\"429 \\\"slow\\\"\"},\"local\":{\"status\":"
        "\"cached\",\"results\":0,\"latency_ms\":0.0,\"error\":null}},\"took_ms\":0.0,"
        "\"partial\":true}");
    for (int s = 0; s <= PSTAT_COUNT; s++)
        ASSERT_NOT_NULL(search_pstatus_name((search_pstatus_t)s));
    ASSERT_STR_EQ(search_pstatus_name(PSTAT_COUNT), "unknown");
    ASSERT_STR_EQ(search_pstatus_name(PSTAT_CIRCUIT_OPEN), "circuit_open");
    json_decref(j);
    free(out);
    fx_free(&f);
}

TEST(answer_filters_echoed_and_ignored_per_provider)
{
    fx_t f;
    fx_init(&f, "x");
    f.q.min_citations = 5;
    f.q.types = (1u << PAPER_TYPE_ARTICLE) | (1u << PAPER_TYPE_PREPRINT);
    f.q.has_pdf = -1;
    f.q.venue = "nature";
    merge_result_t r = fx_merge(&f);
    answer_t ans = {.query = &f.q, .papers = r.page, .npapers = r.npage, .total = r.total};
    unsigned asked = QFILTER_MIN_CITATIONS | QFILTER_TYPE | QFILTER_HAS_PDF | QFILTER_VENUE;
    ans.providers[SRC_ARXIV] =
        (answer_provider_t){.asked = true, .status = PSTAT_OK, .filters_asked = asked};
    ans.providers[SRC_OPENALEX] =
        (answer_provider_t){.asked = true,
                            .status = PSTAT_OK,
                            .filters_asked = asked,
                            .filters_pushed = QFILTER_MIN_CITATIONS | QFILTER_TYPE};
    char *out = answer_json_write(&ans, NULL);
    ASSERT_NOT_NULL(out);
    ASSERT_STR_CONTAINS(out, "\"open_access\":false,\"min_citations\":5,"
                             "\"type\":[\"article\",\"preprint\"],\"has_pdf\":false,"
                             "\"venue\":\"nature\",\"providers\":[");
    ASSERT_STR_CONTAINS(out, "\"error\":null,\"ignored_filters\":[\"min_citations\",\"type\","
                             "\"has_pdf\",\"venue\"]}");
    ASSERT_STR_CONTAINS(out, "\"error\":null,\"ignored_filters\":[\"has_pdf\",\"venue\"]}");
    free(out);
    /* No filter asked: no member (answers as they were). */
    ans.providers[SRC_ARXIV].filters_asked = ans.providers[SRC_OPENALEX].filters_asked = 0;
    out = answer_json_write(&ans, NULL);
    ASSERT(strstr(out, "ignored_filters") == NULL);
    free(out);
    fx_free(&f);
}

TEST(answer_score_format)
{
    fx_t f;
    fx_init(&f, "x");
    fx_add(&f, SRC_ARXIV, "a");
    merge_result_t r = fx_merge(&f);
    paper_t p = *r.page[0];
    const paper_t *page[] = {&p};
    answer_t ans = {.query = &f.q, .papers = page, .npapers = 1, .total = 1};
    struct {
        double v;
        const char *want;
    } cases[] = {{0.0, "\"score\":0.0,"},
                 {1.0, "\"score\":1.0,"},
                 {0.5, "\"score\":0.5,"},
                 {0.1234564, "\"score\":0.123456,"},
                 {0.1234566, "\"score\":0.123457,"},
                 {12.000001, "\"score\":12.000001,"},
                 {-0.25, "\"score\":-0.25,"},
                 {1.0 / 0.0, "\"score\":0.0,"}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        p.score = cases[i].v;
        char *out = answer_json_write(&ans, NULL);
        ASSERT_NOT_NULL(out);
        ASSERT_STR_CONTAINS(out, cases[i].want);
        json_t *j = json_loads(out, 0, NULL);
        ASSERT_NOT_NULL(j);
        json_decref(j);
        free(out);
    }
    fx_free(&f);
}

TEST(answer_blob_matches_write_and_is_deterministic)
{
    fx_t f;
    fx_init(&f, "deep learning");
    for (int i = 0; i < 60; i++) {
        paper_t *p =
            fx_add(&f, (source_t)(i % SRC_COUNT), arena_sprintf(f.a, "Deep learning %d", i % 17));
        p->abstract = "Some learning abstract with \"quotes\" and a \\ backslash.";
        p->year = 2010 + i % 9;
        fx_authors(&f, p, 1, "Yann LeCun");
    }
    f.q.limit = 100;
    merge_result_t r1 = fx_merge(&f);
    merge_result_t r2 = fx_merge(&f);
    answer_t a1 = {.query = &f.q, .papers = r1.page, .npapers = r1.npage, .total = r1.total};
    answer_t a2 = {.query = &f.q, .papers = r2.page, .npapers = r2.npage, .total = r2.total};
    size_t len;
    char *text = answer_json_write(&a1, &len);
    blob_t *b = answer_json_blob(&a2);
    ASSERT_NOT_NULL(text);
    ASSERT_NOT_NULL(b);
    ASSERT_EQ_U(b->len, len);
    ASSERT_MEM_EQ(b->data, text, len);
    blob_t *b2 = answer_json_blob(&a1);
    ASSERT_EQ_U(b2->len, len);
    ASSERT_MEM_EQ(b2->data, text, len);
    json_t *j = json_loadb(b->data, b->len, 0, NULL);
    ASSERT_NOT_NULL(j);
    ASSERT_EQ(json_integer_value(json_object_get(j, "total")), (long long)r1.total);
    json_decref(j);
    blob_unref(b);
    blob_unref(b2);
    free(text);
    fx_free(&f);
}

TEST(answer_large_output_grows)
{
    fx_t f;
    fx_init(&f, "x");
    char *big = arena_alloc(f.a, 100001);
    for (int i = 0; i < 100000; i++)
        big[i] = (char)(i % 3 == 0 ? '"' : 'a');
    big[100000] = '\0';
    for (int i = 0; i < 30; i++)
        fx_add(&f, SRC_ARXIV, "t")->abstract = big;
    f.q.limit = 30;
    char *text = NULL;
    json_t *j = answer_of(&f, 1u << SRC_ARXIV, &text);
    ASSERT_EQ(json_array_size(json_object_get(j, "papers")), 30);
    ASSERT_GT(strlen(text), 30 * 130000); /* 4 MB: well past the 1 MiB scratch */
    blob_t *b;                            /* past 1 MiB the scratch is given back: no leak report */
    merge_result_t r = fx_merge(&f);
    answer_t ans = {.query = &f.q, .papers = r.page, .npapers = r.npage, .total = r.total};
    b = answer_json_blob(&ans);
    ASSERT_NOT_NULL(b);
    ASSERT_GT(b->len, 30 * 130000);
    json_t *jb = json_loadb(b->data, b->len, 0, NULL);
    ASSERT_NOT_NULL(jb);
    json_decref(jb);
    blob_unref(b);
    json_decref(j);
    free(text);
    fx_free(&f);
}

TEST_MAIN()
