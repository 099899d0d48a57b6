/* core/paper.c normalisers and the shared helpers of providers/common.c. */
#include <string.h>

#include "core/paper.h"
#include "providers/common.h"
#include "test/providers/helpers.h"

TEST(source_names_round_trip)
{
    for (int s = 0; s < SRC_COUNT; s++) {
        const char *n = source_name((source_t)s);
        ASSERT_EQ(source_parse(n, strlen(n)), s);
    }
    ASSERT_STR_EQ(source_name(SRC_SEMANTIC_SCHOLAR), "semantic_scholar");
    ASSERT_EQ(source_parse("arxivx", 5), SRC_ARXIV); /* length-bounded */
    ASSERT_EQ(source_parse("arx", 3), -1);
    ASSERT_EQ(source_parse("ARXIV", 5), -1);
    ASSERT_EQ(source_parse(NULL, 0), -1);
}

TEST(paper_list_add_zeroes_and_grows)
{
    arena_t *a = arena_new(0);
    paper_list_t l = {0};
    for (int i = 0; i < 100; i++) {
        paper_t *p = paper_list_add(&l, a);
        ASSERT_NOT_NULL(p);
        ASSERT_STR_EQ(p->title, "");
        ASSERT_EQ(p->citations, -1);
        ASSERT_EQ(p->nsources, 0);
        p->year = i;
    }
    ASSERT_EQ(l.n, 100);
    for (int i = 0; i < 100; i++)
        ASSERT_EQ(l.items[i].year, i);
    arena_free(a);
}

TEST(clean_text_collapses_whitespace)
{
    arena_t *a = arena_new(0);
    const char *s = "  Attention\n   is\tall \r\n you need  ";
    ASSERT_STR_EQ(paper_clean_text(a, s, strlen(s)), "Attention is all you need");
    ASSERT_STR_EQ(paper_clean_text(a, "abcdef", 3), "abc");
    ASSERT_NULL(paper_clean_text(a, " \n\t ", 4));
    ASSERT_NULL(paper_clean_text(a, "", 0));
    ASSERT_NULL(paper_clean_text(a, NULL, 3));
    ASSERT_STR_EQ(paper_clean_text(a, "a\0b", 3), "ab");
    arena_free(a);
}

TEST(normalize_doi_forms)
{
    arena_t *a = arena_new(0);
#define DOI(in) paper_normalize_doi(a, in, strlen(in))
    ASSERT_STR_EQ(DOI("https://doi.org/10.1/ABC"), "10.1/abc");
    ASSERT_STR_EQ(DOI("http://dx.doi.org/10.1103/PhysRevB.85.115117"),
                  "10.1103/physrevb.85.115117");
    ASSERT_STR_EQ(DOI("doi:10.1/abc"), "10.1/abc");
    ASSERT_STR_EQ(DOI("DOI:10.1/abc"), "10.1/abc");
    ASSERT_STR_EQ(DOI("  10.18653/v1/N19-1423 "), "10.18653/v1/n19-1423");
    ASSERT_STR_EQ(DOI("https://doi.org/10.48550/arXiv.1706.03762"), "10.48550/arxiv.1706.03762");
    ASSERT_NULL(DOI("not a doi"));
    ASSERT_NULL(DOI("10.1234"));
    ASSERT_NULL(DOI("10.1234/"));
    ASSERT_NULL(DOI("10./abc"));
    ASSERT_NULL(DOI("10.1/a b"));
    ASSERT_NULL(DOI(""));
    ASSERT_NULL(paper_normalize_doi(a, NULL, 0));
#undef DOI
    arena_free(a);
}

TEST(normalize_arxiv_new_style)
{
    arena_t *a = arena_new(0);
    const char *v;
#define AX(in) paper_normalize_arxiv_id(a, in, strlen(in), &v)
    ASSERT_STR_EQ(AX("2401.01234v3"), "2401.01234");
    ASSERT_STR_EQ(v, "v3");
    ASSERT_STR_EQ(AX("2401.01234"), "2401.01234");
    ASSERT_NULL(v);
    ASSERT_STR_EQ(AX("http://arxiv.org/abs/1706.03762v7"), "1706.03762");
    ASSERT_STR_EQ(v, "v7");
    ASSERT_STR_EQ(AX("https://arxiv.org/pdf/1706.03762v7.pdf"), "1706.03762");
    ASSERT_STR_EQ(v, "v7");
    ASSERT_STR_EQ(AX("https://arxiv.org/pdf/1706.03762"), "1706.03762");
    ASSERT_STR_EQ(AX("arXiv:1706.03762v2"), "1706.03762");
    ASSERT_STR_EQ(v, "v2");
    ASSERT_STR_EQ(AX("ARXIV:0704.0001"), "0704.0001");
    ASSERT_STR_EQ(AX("10.48550/arXiv.1706.03762"), "1706.03762");
    ASSERT_STR_EQ(AX("https://arxiv.org/abs/2401.01234/"), "2401.01234");
    ASSERT_NULL(AX("1706.037"));
    ASSERT_NULL(AX("1706.037621"));
    ASSERT_NULL(AX("1706.03762x"));
    ASSERT_NULL(AX("1706.03762v"));
    ASSERT_NULL(AX("not an id"));
    ASSERT_NULL(AX(""));
#undef AX
    arena_free(a);
}

TEST(normalize_arxiv_old_style)
{
    arena_t *a = arena_new(0);
    const char *v;
#define AX(in) paper_normalize_arxiv_id(a, in, strlen(in), &v)
    ASSERT_STR_EQ(AX("hep-th/9901001v2"), "hep-th/9901001");
    ASSERT_STR_EQ(v, "v2");
    ASSERT_STR_EQ(AX("http://arxiv.org/abs/hep-th/9901001"), "hep-th/9901001");
    ASSERT_NULL(v);
    ASSERT_STR_EQ(AX("arXiv:math.GT/0309136v1"), "math/0309136");
    ASSERT_STR_EQ(v, "v1");
    ASSERT_STR_EQ(AX("https://arxiv.org/pdf/cond-mat/0102536v1"), "cond-mat/0102536");
    ASSERT_STR_EQ(AX("astro-ph/0601001"), "astro-ph/0601001");
    ASSERT_NULL(AX("hep-th/990100"));
    ASSERT_NULL(AX("hep th/9901001"));
    ASSERT_NULL(AX("/9901001"));
    ASSERT_NULL(paper_normalize_arxiv_id(a, "hep-th/9901001", 10, &v));   /* cut short */
    ASSERT_NOT_NULL(paper_normalize_arxiv_id(a, "2401.01234", 10, NULL)); /* version optional */
#undef AX
    arena_free(a);
}

TEST(title_key_drops_punctuation_and_case)
{
    arena_t *a = arena_new(0);
    ASSERT_STR_EQ(paper_title_key(a, "BERT: Pre-training of Deep  Bidirectional Transformers"),
                  "bert pretraining of deep bidirectional transformers");
    ASSERT_STR_EQ(paper_title_key(a, "Attention is All you Need"),
                  paper_title_key(a, "Attention Is All You Need."));
    ASSERT_STR_EQ(paper_title_key(a, "Caf\xc3\xa9 -- na\xc3\xafve"), "caf\xc3\xa9 na\xc3\xafve");
    ASSERT_NULL(paper_title_key(a, "?!"));
    ASSERT_NULL(paper_title_key(a, NULL));
    arena_free(a);
}

TEST(url_encode_keeps_unreserved)
{
    arena_t *a = arena_new(0);
    ASSERT_STR_EQ(prov_url_encode(a, "a b&c=d/e:f~g-h_i.j"), "a%20b%26c%3Dd%2Fe%3Af~g-h_i.j");
    ASSERT_STR_EQ(prov_url_encode(a, "caf\xc3\xa9"), "caf%C3%A9");
    ASSERT_STR_EQ(prov_url_encode(a, ""), "");
    ASSERT_STR_EQ(prov_url_encode(a, NULL), "");
    arena_free(a);
}

TEST(def_for_each_source)
{
    ASSERT_PTR_EQ(prov_def_for(SRC_ARXIV), &prov_arxiv);
    ASSERT_PTR_EQ(prov_def_for(SRC_SEMANTIC_SCHOLAR), &prov_semantic_scholar);
    ASSERT_PTR_EQ(prov_def_for(SRC_EXA), &prov_exa);
    ASSERT_PTR_EQ(prov_def_for(SRC_OPENALEX), &prov_openalex);
    ASSERT_PTR_EQ(prov_def_for(SRC_CROSSREF), &prov_crossref);
    ASSERT_NULL(prov_def_for(SRC_LOCAL));
    ASSERT_NULL(prov_def_for(SRC_COUNT));
    for (int s = 0; s < SRC_LOCAL; s++) {
        ASSERT_EQ(prov_def_for((source_t)s)->source, s);
        ASSERT(prov_def_for((source_t)s)->stream || prov_def_for((source_t)s)->json);
    }
}

TEST(prov_build_refuses_settings_without_a_base_url)
{
    arena_t *a = arena_new(0);
    query_t q = test_query("graph neural networks");
    for (int s = 0; s < SRC_LOCAL; s++) {
        prov_settings_t ps = test_settings(NULL, "key", NULL, 10);
        prov_request_t r;
        memset(&r, 0xff, sizeof r); /* cleared by prov_build() whatever it held */
        char err[128] = "";
        ASSERT_EQ(prov_build(prov_def_for((source_t)s), &q, &ps, a, &r, err, sizeof err), -1);
        ASSERT_STR_CONTAINS(err, source_name((source_t)s));
        ASSERT_STR_CONTAINS(err, "no base URL");
        ASSERT_EQ(r.nheaders, 0);
        ASSERT_NULL(r.url);
    }
    arena_free(a);
}

TEST(strip_markup_jats)
{
    arena_t *a = arena_new(0);
    const char *s =
        "<jats:title>Abstract</jats:title>\n  <jats:p>\n <jats:list><jats:list-item>"
        "<jats:p>First.</jats:p></jats:list-item></jats:list></jats:p><jats:p>Second "
        "has <jats:italic>E.</jats:italic> coli &amp; H<jats:sub>2</jats:sub>O.</jats:p>";
    ASSERT_STR_EQ(prov__strip_markup(a, s, strlen(s)), "First. Second has E. coli & H2O.");
    const char *t = "<jats:sec><jats:title>Background</jats:title><jats:p>Text</jats:p></jats:sec>";
    ASSERT_STR_EQ(prov__strip_markup(a, t, strlen(t)), "Background Text");
    const char *u = "a < b and c > d, <!-- comment --> 1 &lt; 2 &#x2013; &#8212; &bogus; &#0; &";
    ASSERT_STR_EQ(prov__strip_markup(a, u, strlen(u)),
                  "a < b and c > d, 1 < 2 \xe2\x80\x93 \xe2\x80\x94 &bogus; &#0; &");
    const char *w = "<p>cut <b";
    ASSERT_STR_EQ(prov__strip_markup(a, w, strlen(w)), "cut <b");
    ASSERT_NULL(prov__strip_markup(a, "<p></p>", 7));
    ASSERT_STR_EQ(prov__strip_markup(a, "x<i>y</i>", 4), "x"); /* bounded by len */
    arena_free(a);
}

TEST(json_getters_tolerate_missing_and_null)
{
    json_t *o = json_loads("{\"s\":\"x\",\"e\":\"\",\"n\":null,\"i\":5,\"r\":2.5,\"si\":\"42\","
                           "\"bad\":\"4x\",\"t\":true,\"o\":{},\"a\":[]}",
                           0, NULL);
    ASSERT_NOT_NULL(o);
    ASSERT_STR_EQ(prov__json_str(o, "s"), "x");
    ASSERT_NULL(prov__json_str(o, "e"));
    ASSERT_NULL(prov__json_str(o, "n"));
    ASSERT_NULL(prov__json_str(o, "i"));
    ASSERT_NULL(prov__json_str(o, "missing"));
    ASSERT_NULL(prov__json_str(NULL, "s"));
    ASSERT_EQ(prov__json_int(o, "i", -1), 5);
    ASSERT_EQ(prov__json_int(o, "r", -1), 2);
    ASSERT_EQ(prov__json_int(o, "si", -1), 42);
    ASSERT_EQ(prov__json_int(o, "bad", -1), -1);
    ASSERT_EQ(prov__json_int(o, "n", -1), -1);
    ASSERT(prov__json_bool(o, "t"));
    ASSERT(!prov__json_bool(o, "i"));
    ASSERT_NOT_NULL(prov__json_obj(o, "o"));
    ASSERT_NULL(prov__json_obj(o, "a"));
    ASSERT_NOT_NULL(prov__json_arr(o, "a"));
    ASSERT_NULL(prov__json_arr(o, "n"));
    json_decref(o);
}

TEST(dates)
{
    arena_t *a = arena_new(0);
    ASSERT_EQ(prov__year_of("2017-06-12T17:57:34Z"), 2017);
    ASSERT_EQ(prov__year_of("2017"), 2017);
    ASSERT_EQ(prov__year_of("201"), 0);
    ASSERT_EQ(prov__year_of("20171"), 0);
    ASSERT_EQ(prov__year_of(NULL), 0);
    ASSERT_STR_EQ(prov__date_of(a, "2017-06-12T17:57:34Z"), "2017-06-12");
    ASSERT_STR_EQ(prov__date_of(a, "2017-06"), "2017-06");
    ASSERT_STR_EQ(prov__date_of(a, "2017-6-1"), "2017");
    ASSERT_NULL(prov__date_of(a, "garbage"));
    arena_free(a);
}

TEST(strip_markup_keeps_one_copy_of_a_formula)
{
    arena_t *a = arena_new(0);
    const char *alt = "A <inline-formula><alternatives><tex-math>$x^2$</tex-math><mml:math>"
                      "<mml:msup><mml:mi>x</mml:mi><mml:mn>2</mml:mn></mml:msup></mml:math>"
                      "<inline-graphic/></alternatives></inline-formula> law";
    ASSERT_STR_EQ(prov__strip_markup(a, alt, strlen(alt)), "A $x^2$ law");
    const char *mml = "<mml:math><mml:mi>\xce\xbc</mml:mi></mml:math>Bench";
    ASSERT_STR_EQ(prov__strip_markup(a, mml, strlen(mml)), "\xce\xbc"
                                                           "Bench");
    const char *open = "x <alternatives><tex-math>y"; /* never closed: bounded */
    ASSERT_STR_EQ(prov__strip_markup(a, open, strlen(open)), "x y");
    /* One level of escaping is text; two are undone once, no further. */
    ASSERT_STR_EQ(prov__strip_markup(a, "a &lt; b &gt; c", 15), "a < b > c");
    const char *deep = "&amp;amp;lt;";
    ASSERT_STR_EQ(prov__strip_markup(a, deep, strlen(deep)), "&lt;");
    arena_free(a);
}

TEST(drop_heading)
{
    ASSERT_STR_EQ(prov__drop_heading("Abstract: We show"), "We show");
    ASSERT_STR_EQ(prov__drop_heading("ABSTRACT we show"), "we show");
    ASSERT_STR_EQ(prov__drop_heading("Abstract We show"), "We show");
    ASSERT_STR_EQ(prov__drop_heading("Abstract algebra"), "Abstract algebra");
    ASSERT_STR_EQ(prov__drop_heading("Abstracts of talks"), "Abstracts of talks");
    ASSERT_NULL(prov__drop_heading("Abstract."));
    ASSERT_NULL(prov__drop_heading(NULL));
}

TEST(title_query_rule)
{
    static const struct {
        const char *text;
        bool title;
    } cases[] = {
        {"attention is all you need", true},
        {"on the duals of skew", true},   /* two words not stop words */
        {"graph neural networks", false}, /* three words: keywords */
        {"quantum error correction codes", true},
        {"of the in a", false},        /* stop words */
        {"in the (of) graphs", false}, /* one word not a stop word */
        {"bert: pre-training of deep bidirectional transformers", true}, /* a colon and a space */
        {"ti:attention is all you need", false},                         /* field syntax */
        {"see doi:10.1000/xyz for the paper", false},
        {"a b c d e f g h i j k l m n o p q r s t u v w x y z a b c d e f g h i j k l m n o",
         false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        query_t q = test_query(cases[i].text);
        if (prov_title_query(&q) != cases[i].title) {
            fprintf(stderr, "case %zu: %s\n", i, cases[i].text);
            ASSERT(false);
        }
    }
    ASSERT(!prov_title_query(NULL));
    /* Adapters with a title call, and without. */
    ASSERT_NOT_NULL(prov_semantic_scholar.build_title);
    ASSERT_NOT_NULL(prov_openalex.build_title);
    ASSERT_NULL(prov_arxiv.build_title); /* its phrase goes in the search's call */
    ASSERT_NULL(prov_crossref.build_title);
    ASSERT_NULL(prov_exa.build_title);
    arena_t *a = arena_new(0);
    query_t q = test_query("attention is all you need");
    prov_settings_t ps = {.base_url = "http://x", .max_results = 5};
    prov_request_t r;
    char err[64];
    ASSERT_EQ(prov_build_title(&prov_crossref, &q, &ps, a, &r, err, sizeof err), -1);
    ps.base_url = NULL;
    ASSERT_EQ(prov_build_title(&prov_openalex, &q, &ps, a, &r, err, sizeof err), -1);
    ASSERT_STR_CONTAINS(err, "no base URL");
    arena_free(a);
}

TEST_MAIN()
