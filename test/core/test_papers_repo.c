/* core/papers_repo: the ids, cursors and windows clients send to the
 * papers repository's reads. */
#include <string.h>

#include "core/papers_repo.h"
#include "test/test.h"

TEST(paper_id_internal_doi_arxiv)
{
    arena_t *a = arena_new(0);
    paper_id_kind_t k;
    const char *v;
    ASSERT_EQ(papers_parse_id(a, "12345", 5, &k, &v), 0);
    ASSERT_EQ(k, PAPER_ID_INTERNAL);
    ASSERT_STR_EQ(v, "12345");
    const char *doi = "doi:10.1000/ABC.def";
    ASSERT_EQ(papers_parse_id(a, doi, strlen(doi), &k, &v), 0);
    ASSERT_EQ(k, PAPER_ID_DOI);
    ASSERT_STR_EQ(v, "10.1000/abc.def");
    const char *enc = "doi%3A10.1000%2Fxyz";
    ASSERT_EQ(papers_parse_id(a, enc, strlen(enc), &k, &v), 0);
    ASSERT_STR_EQ(v, "10.1000/xyz");
    const char *ax = "arxiv:2401.01234v2";
    ASSERT_EQ(papers_parse_id(a, ax, strlen(ax), &k, &v), 0);
    ASSERT_EQ(k, PAPER_ID_ARXIV);
    ASSERT_STR_EQ(v, "2401.01234");
    const char *old = "arXiv:hep-th/9901001";
    ASSERT_EQ(papers_parse_id(a, old, strlen(old), &k, &v), 0);
    ASSERT_STR_EQ(v, "hep-th/9901001");
    arena_free(a);
}

TEST(paper_id_refuses_the_rest)
{
    arena_t *a = arena_new(0);
    paper_id_kind_t k;
    const char *v;
    const char *bad[] = {"",         "abc",         "doi:",
                         "doi:nope", "arxiv:",      "12a",
                         "%zz",      "1%00",        "1234567890123456789",
                         "x%2",      "doi:10.1/a b"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ASSERT_EQ(papers_parse_id(a, bad[i], strlen(bad[i]), &k, &v), -1);
    arena_free(a);
}

TEST(cursor_round_trip_and_garbage)
{
    char c[32];
    int64_t id;
    int64_t ids[] = {1, 42, 999999, INT64_MAX / 2};
    for (size_t i = 0; i < 4; i++) {
        papers_cursor_encode(ids[i], c);
        ASSERT_EQ(papers_cursor_decode(c, strlen(c), &id), 0);
        ASSERT_EQ(id, ids[i]);
        ASSERT(strstr(c, "42") == NULL || ids[i] != 42);
    }
    const char *bad[] = {"", "c1", "c2abc", "c1XYZ", "c1ABC", "12", "c1ffffffffffffffffff"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ASSERT_EQ(papers_cursor_decode(bad[i], strlen(bad[i]), &id), -1);
}

TEST(window_durations)
{
    ASSERT_EQ(papers_parse_window("24h", 3), 86400);
    ASSERT_EQ(papers_parse_window("30m", 3), 1800);
    ASSERT_EQ(papers_parse_window("7d", 2), 7 * 86400);
    ASSERT_EQ(papers_parse_window("1w", 2), 7 * 86400);
    ASSERT_EQ(papers_parse_window("90s", 3), 90);
    ASSERT_EQ(papers_parse_window("0h", 2), -1);
    ASSERT_EQ(papers_parse_window("h", 1), -1);
    ASSERT_EQ(papers_parse_window("24", 2), -1);
    ASSERT_EQ(papers_parse_window("367d", 4), -1);
    ASSERT_EQ(papers_parse_window("-1h", 3), -1);
    ASSERT_EQ(papers_parse_window("1y", 2), -1);
}

TEST_MAIN()
