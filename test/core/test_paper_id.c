/* core/paper_id: every form of paper id a client may paste, normalised,
 * and each provider's form of it. */
#include <string.h>

#include "core/paper_id.h"
#include "test/test.h"

static paper_ref_t parse_ok(arena_t *a, const char *text)
{
    paper_ref_t r = {0};
    int rc = paper_ref_parse(a, text, strlen(text), &r);
    if (rc != 0) fprintf(stderr, "refused: %s\n", text);
    ASSERT_EQ(rc, 0);
    return r;
}

#define EXPECT(text, k, v)                                                                         \
    do {                                                                                           \
        paper_ref_t r_ = parse_ok(a, text);                                                        \
        ASSERT_STR_EQ(paper_ref_kind_name(r_.kind), paper_ref_kind_name(k));                       \
        ASSERT_STR_EQ(r_.value, v);                                                                \
    } while (0)

TEST(every_form_normalised)
{
    arena_t *a = arena_new(0);
    const char *hex = "649def34f8be52c8b66281af98ae884c09aef38b";
    EXPECT("12345", PAPER_REF_INTERNAL, "12345");
    EXPECT("doi:10.1000/ABC.def", PAPER_REF_DOI, "10.1000/abc.def");
    EXPECT("DOI:10.1000/X", PAPER_REF_DOI, "10.1000/x");
    EXPECT("10.1038/NATURE14539", PAPER_REF_DOI, "10.1038/nature14539");
    EXPECT("https://doi.org/10.1038/nature14539", PAPER_REF_DOI, "10.1038/nature14539");
    EXPECT("http://dx.doi.org/10.1038/nature14539", PAPER_REF_DOI, "10.1038/nature14539");
    EXPECT("doi.org/10.1/a", PAPER_REF_DOI, "10.1/a");
    EXPECT("doi%3A10.1000%2Fxyz", PAPER_REF_DOI, "10.1000/xyz");
    EXPECT("  10.1000/xyz\n", PAPER_REF_DOI, "10.1000/xyz");
    EXPECT("10.48550/arXiv.1706.03762", PAPER_REF_DOI, "10.48550/arxiv.1706.03762");
    EXPECT("arxiv:2401.01234v2", PAPER_REF_ARXIV, "2401.01234");
    EXPECT("arXiv:hep-th/9901001", PAPER_REF_ARXIV, "hep-th/9901001");
    EXPECT("ARXIV:1706.03762", PAPER_REF_ARXIV, "1706.03762");
    EXPECT("1706.03762v5", PAPER_REF_ARXIV, "1706.03762");
    EXPECT("0704.0001", PAPER_REF_ARXIV, "0704.0001");
    EXPECT("hep-th/9901001v1", PAPER_REF_ARXIV, "hep-th/9901001");
    EXPECT("math.GT/0309136", PAPER_REF_ARXIV, "math/0309136");
    EXPECT("https://arxiv.org/abs/1706.03762v5", PAPER_REF_ARXIV, "1706.03762");
    EXPECT("arxiv.org/pdf/1706.03762v5.pdf", PAPER_REF_ARXIV, "1706.03762");
    EXPECT("https://www.arxiv.org/abs/hep-th/9901001", PAPER_REF_ARXIV, "hep-th/9901001");
    EXPECT("https://export.arxiv.org/abs/2401.01234", PAPER_REF_ARXIV, "2401.01234");
    EXPECT("s2:649DEF34F8BE52C8B66281AF98AE884C09AEF38B", PAPER_REF_S2, hex);
    EXPECT(hex, PAPER_REF_S2, hex);
    EXPECT("https://www.semanticscholar.org/paper/Construction-of-the-Literature-Graph/"
           "649def34f8be52c8b66281af98ae884c09aef38b",
           PAPER_REF_S2, hex);
    EXPECT("semanticscholar.org/paper/649def34f8be52c8b66281af98ae884c09aef38b/", PAPER_REF_S2,
           hex);
    EXPECT("corpus:215416146", PAPER_REF_CORPUS, "215416146");
    EXPECT("CorpusId:215416146", PAPER_REF_CORPUS, "215416146");
    EXPECT("corpusid:1", PAPER_REF_CORPUS, "1");
    EXPECT("openalex:W2741809807", PAPER_REF_OPENALEX, "W2741809807");
    EXPECT("W2741809807", PAPER_REF_OPENALEX, "W2741809807");
    EXPECT("w2741809807", PAPER_REF_OPENALEX, "W2741809807");
    EXPECT("https://openalex.org/W2741809807", PAPER_REF_OPENALEX, "W2741809807");
    EXPECT("https://api.openalex.org/works/W2741809807", PAPER_REF_OPENALEX, "W2741809807");
    EXPECT("openalex.org/works/W2741809807?x=1", PAPER_REF_OPENALEX, "W2741809807");
    EXPECT("pmid:29456894", PAPER_REF_PMID, "29456894");
    EXPECT("PMID:29456894", PAPER_REF_PMID, "29456894");
    EXPECT("https://pubmed.ncbi.nlm.nih.gov/29456894/", PAPER_REF_PMID, "29456894");
    arena_free(a);
}

TEST(bad_forms_refused)
{
    arena_t *a = arena_new(0);
    const char *bad[] = {"",
                         "   ",
                         "abc",
                         "doi:",
                         "doi:nope",
                         "doi:10.1/a b",
                         "arxiv:",
                         "arxiv:1234.5",
                         "12a",
                         "%zz",
                         "1%00",
                         "1234567890123456789",
                         "x%2",
                         "s2:abc",
                         "s2:649def34f8be52c8b66281af98ae884c09aef38",
                         "corpus:",
                         "corpus:12x",
                         "openalex:A123",
                         "openalex:W",
                         "W12x",
                         "pmid:",
                         "pmid:abc",
                         "https://example.org/10.1/x",
                         "https://openalex.org/A123",
                         "https://arxiv.org/list/cs.LG",
                         "https://www.semanticscholar.org/paper/slug-only",
                         "hep th/9901001",
                         "W1\x01"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        paper_ref_t r;
        if (paper_ref_parse(a, bad[i], strlen(bad[i]), &r) != -1)
            fprintf(stderr, "accepted: '%s'\n", bad[i]);
        ASSERT_EQ(paper_ref_parse(a, bad[i], strlen(bad[i]), &r), -1);
    }
    char longid[400];
    memcpy(longid, "doi:10.1/", 9);
    memset(longid + 9, 'a', sizeof longid - 10);
    longid[sizeof longid - 1] = '\0';
    paper_ref_t r;
    ASSERT_EQ(paper_ref_parse(a, longid, strlen(longid), &r), -1);
    arena_free(a);
}

static const char *form(arena_t *a, const char *text, source_t src)
{
    paper_ref_t r = parse_ok(a, text);
    return paper_ref_for(a, &r, src);
}

TEST(each_providers_form)
{
    arena_t *a = arena_new(0);
    const char *hex = "649def34f8be52c8b66281af98ae884c09aef38b";
    ASSERT_STR_EQ(form(a, "10.1000/X", SRC_SEMANTIC_SCHOLAR), "DOI:10.1000/x");
    ASSERT_STR_EQ(form(a, "arxiv:1706.03762v2", SRC_SEMANTIC_SCHOLAR), "ARXIV:1706.03762");
    ASSERT_STR_EQ(form(a, hex, SRC_SEMANTIC_SCHOLAR), hex);
    ASSERT_STR_EQ(form(a, "corpus:42", SRC_SEMANTIC_SCHOLAR), "CorpusId:42");
    ASSERT_STR_EQ(form(a, "pmid:42", SRC_SEMANTIC_SCHOLAR), "PMID:42");
    ASSERT_NULL(form(a, "W42", SRC_SEMANTIC_SCHOLAR));
    ASSERT_NULL(form(a, "42", SRC_SEMANTIC_SCHOLAR));

    ASSERT_STR_EQ(form(a, "10.1000/X", SRC_OPENALEX), "doi:10.1000/x");
    ASSERT_STR_EQ(form(a, "w42", SRC_OPENALEX), "W42");
    ASSERT_STR_EQ(form(a, "pmid:42", SRC_OPENALEX), "pmid:42");
    ASSERT_NULL(form(a, "arxiv:1706.03762", SRC_OPENALEX));
    ASSERT_NULL(form(a, hex, SRC_OPENALEX));
    ASSERT_NULL(form(a, "corpus:42", SRC_OPENALEX));

    ASSERT_STR_EQ(form(a, "https://doi.org/10.1000/X", SRC_CROSSREF), "10.1000/x");
    ASSERT_NULL(form(a, "arxiv:1706.03762", SRC_CROSSREF));
    ASSERT_NULL(form(a, "pmid:42", SRC_CROSSREF));

    ASSERT_STR_EQ(form(a, "arxiv.org/abs/1706.03762v5", SRC_ARXIV), "1706.03762");
    ASSERT_NULL(form(a, "10.1000/x", SRC_ARXIV));

    ASSERT_NULL(form(a, "10.1000/x", SRC_EXA));
    ASSERT_NULL(form(a, "10.1000/x", SRC_LOCAL));
    arena_free(a);
}

TEST(canonical_string_and_match)
{
    arena_t *a = arena_new(0);
    paper_ref_t r = parse_ok(a, "https://doi.org/10.1000/X");
    ASSERT_STR_EQ(paper_ref_string(a, &r), "doi:10.1000/x");
    r = parse_ok(a, "77");
    ASSERT_STR_EQ(paper_ref_string(a, &r), "77");
    r = parse_ok(a, "W9");
    ASSERT_STR_EQ(paper_ref_string(a, &r), "openalex:W9");

    paper_t p = {.title = "t", .doi = "10.1000/x", .arxiv_id = "1706.03762", .citations = -1};
    p.sources[0] = (paper_source_t){SRC_OPENALEX, "W9", 1};
    p.sources[1] =
        (paper_source_t){SRC_SEMANTIC_SCHOLAR, "649def34f8be52c8b66281af98ae884c09aef38b", 1};
    p.nsources = 2;
    const char *yes[] = {"10.1000/X", "arxiv:1706.03762v1", "W9",
                         "649DEF34F8BE52C8B66281AF98AE884C09AEF38B", "10.48550/arXiv.1706.03762"};
    for (size_t i = 0; i < 5; i++) {
        r = parse_ok(a, yes[i]);
        ASSERT(paper_ref_matches(&r, &p));
    }
    const char *no[] = {"10.1000/y", "arxiv:1706.03763", "W8", "pmid:1", "corpus:1"};
    for (size_t i = 0; i < 5; i++) {
        r = parse_ok(a, no[i]);
        ASSERT(!paper_ref_matches(&r, &p));
    }
    arena_free(a);
}

TEST_MAIN()
