/* Unit tests for core/merge.c: dedupe, field merging, filters, ranking,
 * sorting, paging and determinism. */
#include "test/core/fixture.h"
#include "test/test.h"

/* ---- dedupe ---------------------------------------------------------------- */

TEST(doi_dedupe_ignores_case_and_prefix)
{
    fx_t f;
    fx_init(&f, "x");
    fx_add(&f, SRC_ARXIV, "One")->doi = "10.1000/ABC.Def";
    fx_add(&f, SRC_CROSSREF, "One")->doi = "https://doi.org/10.1000/abc.def";
    fx_add(&f, SRC_SEMANTIC_SCHOLAR, "Other title")->doi = "doi:10.1000/Abc.DEF";
    fx_add(&f, SRC_OPENALEX, "Unrelated")->doi = "10.1000/xyz";
    merge_result_t r = fx_merge(&f);
    ASSERT_EQ(r.nall, 2);
    ASSERT_EQ(r.all[0].nsources, 3);
    ASSERT_STR_EQ(r.all[0].doi, "10.1000/abc.def");
    ASSERT_EQ(r.all[1].nsources, 1);
    ASSERT_EQ(r.total, 2);
    fx_free(&f);
}

TEST(arxiv_versions_dedupe)
{
    fx_t f;
    fx_init(&f, "x");
    paper_t *a = fx_add(&f, SRC_ARXIV, "Paper");
    a->arxiv_id = "2401.01234v2";
    paper_t *b = fx_add(&f, SRC_SEMANTIC_SCHOLAR, "Paper, published");
    b->arxiv_id = "2401.01234";
    b->arxiv_version = "v1";
    fx_add(&f, SRC_EXA, "Web")->arxiv_id = "arXiv:2401.01234v5";
    fx_add(&f, SRC_EXA, "Another")->arxiv_id = "2401.01235";
    merge_result_t r = fx_merge(&f);
    ASSERT_EQ(r.nall, 2);
    ASSERT_EQ(r.all[0].nsources, 3);
    ASSERT_STR_EQ(r.all[0].arxiv_id, "2401.01234");
    ASSERT_STR_EQ(r.all[0].arxiv_version, "v2"); /* the arXiv provider's */
    ASSERT_STR_EQ(merge_paper_id(f.a, &r.all[0]), "arxiv:2401.01234");
    fx_free(&f);
}

TEST(arxiv_doi_counts_as_arxiv_id)
{
    fx_t f;
    fx_init(&f, "x");
    fx_add(&f, SRC_ARXIV, "P")->arxiv_id = "2312.00001";
    fx_add(&f, SRC_OPENALEX, "P")->doi = "https://doi.org/10.48550/arXiv.2312.00001";
    paper_t *c = fx_add(&f, SRC_CROSSREF, "P");
    c->doi = "10.1145/1234.5678";
    c->arxiv_id = "2312.00001";
    merge_result_t r = fx_merge(&f);
    ASSERT_EQ(r.nall, 1);
    ASSERT_EQ(r.all[0].nsources, 3);
    ASSERT_STR_EQ(r.all[0].doi, "10.1145/1234.5678"); /* the journal DOI beats arXiv's */
    ASSERT_STR_EQ(merge_paper_id(f.a, &r.all[0]), "doi:10.1145/1234.5678");
    fx_free(&f);
}

TEST(title_year_author_dedupe)
{
    fx_t f;
    fx_init(&f, "x");
    paper_t *a = fx_add(&f, SRC_ARXIV, "Attention Is All You Need");
    a->year = 2017;
    fx_authors(&f, a, 2, "Ashish Vaswani", "Noam Shazeer");
    paper_t *b = fx_add(&f, SRC_EXA, "attention is all you need.");
    b->year = 2018; /* one year apart: still the same */
    fx_authors(&f, b, 1, "Vaswani, A.");
    paper_t *c = fx_add(&f, SRC_OPENALEX, "Attention is all  you need");
    c->year = 0; /* unknown year matches */
    fx_authors(&f, c, 1, "A. VASWANI Jr.");
    paper_t *d = fx_add(&f, SRC_SEMANTIC_SCHOLAR, "Attention Is All You Need");
    d->year = 2021; /* too far */
    fx_authors(&f, d, 1, "Ashish Vaswani");
    paper_t *e = fx_add(&f, SRC_CROSSREF, "Attention Is All You Need");
    e->year = 2017; /* another first author */
    fx_authors(&f, e, 1, "Jane Doe");
    merge_result_t r = fx_merge(&f);
    ASSERT_EQ(r.nall, 3);
    ASSERT_EQ(r.all[0].nsources, 3); /* arxiv, exa, openalex */
    ASSERT_EQ(r.all[0].sources[0].source, SRC_ARXIV);
    ASSERT_EQ(r.all[0].sources[1].source, SRC_EXA);
    ASSERT_EQ(r.all[0].sources[2].source, SRC_OPENALEX);
    fx_free(&f);
}

TEST(title_dedupe_folds_accents_in_family_name)
{
    fx_t f;
    fx_init(&f, "x");
    paper_t *a = fx_add(&f, SRC_ARXIV, "Quantum things");
    a->year = 2020;
    fx_authors(&f, a, 1, "J\xc3\xbcrgen M\xc3\xbcller");
    paper_t *b = fx_add(&f, SRC_CROSSREF, "Quantum Things");
    b->year = 2020;
    fx_authors(&f, b, 1, "MULLER, J.");
    merge_result_t r = fx_merge(&f);
    ASSERT_EQ(r.nall, 1);
    fx_free(&f);
}

TEST(title_dedupe_folds_punctuation_joined_to_a_word)
{
    fx_t f;
    fx_init(&f, "x");
    paper_t *a = fx_add(&f, SRC_OPENALEX, "HIV prevalence in KwaZulu Natal");
    a->year = 2019;
    fx_authors(&f, a, 1, "Thandi Mkhize");
    paper_t *b = fx_add(&f, SRC_CROSSREF, "HIV prevalence in KwaZulu-Natal");
    b->year = 2019;
    fx_authors(&f, b, 1, "T. Mkhize");
    paper_t *c = fx_add(&f, SRC_SEMANTIC_SCHOLAR, "HIV prevalence in KwaZulu\xe2\x80\x90Natal");
    c->year = 2019; /* U+2010 HYPHEN */
    fx_authors(&f, c, 1, "Thandi Mkhize");
    /* The same words by another first author stay apart. */
    paper_t *d = fx_add(&f, SRC_ARXIV, "HIV prevalence in KwaZulu-Natal");
    d->year = 2019;
    fx_authors(&f, d, 1, "Jane Doe");
    merge_result_t r = fx_merge(&f);
    ASSERT_EQ(r.nall, 2);
    ASSERT_EQ(r.all[0].nsources + r.all[1].nsources, 4);
    ASSERT(r.all[0].nsources == 3 || r.all[1].nsources == 3);
    fx_free(&f);
}

TEST(papers_without_any_title_are_left_out)
{
    fx_t f;
    fx_init(&f, "x");
    /* A Crossref journal-issue record: a DOI, no title. */
    fx_add(&f, SRC_CROSSREF, "")->doi = "10.1002/humu.2018.39.issue-6";
    fx_add(&f, SRC_SEMANTIC_SCHOLAR, NULL)->doi = "10.1000/untitled";
    /* Untitled in one provider, titled in another: one paper with the title. */
    fx_add(&f, SRC_OPENALEX, NULL)->doi = "10.1000/both";
    fx_add(&f, SRC_ARXIV, "Titled elsewhere")->doi = "10.1000/both";
    merge_result_t r = fx_merge(&f);
    ASSERT_EQ(r.total, 1);
    ASSERT_EQ(r.npage, 1);
    ASSERT_STR_EQ(r.page[0]->title, "Titled elsewhere");
    ASSERT_EQ(r.page[0]->nsources, 2);
    fx_free(&f);
}

TEST(title_match_refused_on_conflicting_ids)
{
    fx_t f;
    fx_init(&f, "x");
    paper_t *a = fx_add(&f, SRC_CROSSREF, "Deep Learning");
    a->year = 2015, a->doi = "10.1038/nature14539";
    fx_authors(&f, a, 1, "Yann LeCun");
    paper_t *b = fx_add(&f, SRC_OPENALEX, "Deep learning");
    b->year = 2015, b->doi = "10.1000/other";
    fx_authors(&f, b, 1, "Y. LeCun");
    paper_t *c = fx_add(&f, SRC_ARXIV, "Deep learning");
    c->year = 2015, c->arxiv_id = "1501.00001";
    fx_authors(&f, c, 1, "Y LeCun");
    paper_t *d = fx_add(&f, SRC_ARXIV, "Deep learning");
    d->year = 2015, d->arxiv_id = "1501.00002";
    fx_authors(&f, d, 1, "Y LeCun");
    merge_result_t r = fx_merge(&f);
    /* inputs in source order: c, d, b, a. d's arXiv id conflicts with c's;
     * b joins c; a's DOI conflicts with b's, so a joins d */
    ASSERT_EQ(r.nall, 2);
    size_t n0 = r.all[0].nsources, n1 = r.all[1].nsources;
    ASSERT_EQ(n0 + n1, 4);
    ASSERT_STR_NE(r.all[0].doi, r.all[1].doi);
    ASSERT_STR_NE(r.all[0].arxiv_id, r.all[1].arxiv_id);
    fx_free(&f);
}

TEST(no_title_match_without_authors)
{
    fx_t f;
    fx_init(&f, "x");
    fx_add(&f, SRC_ARXIV, "Introduction")->year = 2020;
    fx_add(&f, SRC_CROSSREF, "Introduction")->year = 2020;
    merge_result_t r = fx_merge(&f);
    ASSERT_EQ(r.nall, 2);
    fx_free(&f);
}

TEST(transitive_merge)
{
    fx_t f;
    fx_init(&f, "x");
    /* A = B by DOI, B = C by arXiv id, C = D by title + author; the chain
     * is met in an order where the last link closes it */
    paper_t *d = fx_add(&f, SRC_ARXIV, "A Study of Graphs");
    d->year = 2022;
    fx_authors(&f, d, 1, "Ada Lovelace");
    paper_t *c = fx_add(&f, SRC_SEMANTIC_SCHOLAR, "A study of graphs");
    c->arxiv_id = "2201.00001", c->year = 2022;
    fx_authors(&f, c, 1, "Lovelace, Ada");
    paper_t *b = fx_add(&f, SRC_OPENALEX, "Graph study (journal)");
    b->arxiv_id = "2201.00001v3", b->doi = "10.5/g";
    paper_t *a = fx_add(&f, SRC_CROSSREF, "Graph Study, Journal Version");
    a->doi = "10.5/G";
    fx_add(&f, SRC_EXA, "Something else");
    merge_result_t r = fx_merge(&f);
    ASSERT_EQ(r.nall, 2);
    ASSERT_EQ(r.all[0].nsources, 4);
    ASSERT_STR_EQ(r.all[0].title, "Graph Study, Journal Version"); /* crossref's */
    ASSERT_STR_EQ(r.all[0].doi, "10.5/g");
    ASSERT_STR_EQ(r.all[0].arxiv_id, "2201.00001");
    fx_free(&f);
}

TEST(transitive_merge_reverse_order)
{
    fx_t f;
    fx_init(&f, "x");
    fx_add(&f, SRC_ARXIV, "X")->doi = "10.1/a";
    fx_add(&f, SRC_ARXIV, "Y")->arxiv_id = "1234.5678";
    fx_add(&f, SRC_ARXIV, "Z")->doi = "10.1/b";
    paper_t *bridge1 = fx_add(&f, SRC_CROSSREF, "W");
    bridge1->doi = "10.1/b", bridge1->arxiv_id = "1234.5678";
    paper_t *bridge2 = fx_add(&f, SRC_LOCAL, "V");
    bridge2->arxiv_id = "1234.5678v2";
    paper_t *bridge3 = fx_add(&f, SRC_EXA, "U");
    bridge3->doi = "10.1/A";
    bridge3->arxiv_id = "1234.5678";
    merge_result_t r = fx_merge(&f);
    ASSERT_EQ(r.nall, 1);
    ASSERT_EQ(r.all[0].nsources, 4); /* arxiv (best rank 1), exa, crossref, local */
    ASSERT_EQ(r.all[0].sources[0].source, SRC_ARXIV);
    ASSERT_EQ(r.all[0].sources[0].rank, 1);
    ASSERT_STR_EQ(r.all[0].sources[0].id, "arxiv-1");
    fx_free(&f);
}

/* ---- field merging ---------------------------------------------------------- */

TEST(field_merging_rules)
{
    fx_t f;
    fx_init(&f, "x");
    paper_t *ax = fx_add(&f, SRC_ARXIV, "Title from arXiv");
    ax->arxiv_id = "2001.00001";
    ax->abstract = "short";
    ax->published = "2020-01-05";
    ax->year = 2020;
    ax->pdf_url = "https://arxiv.org/pdf/2001.00001v1";
    ax->citations = -1;
    ax->url = "https://arxiv.org/abs/2001.00001";
    fx_authors(&f, ax, 2, "A One", "B Two");
    fx_cats(&f, ax, 2, "cs.LG", "stat.ML");
    paper_t *s2 = fx_add(&f, SRC_SEMANTIC_SCHOLAR, "Title from S2");
    s2->arxiv_id = "2001.00001";
    s2->doi = "10.9/j";
    s2->abstract = "the longest abstract of them all";
    s2->citations = 42;
    s2->pdf_url = "https://publisher.example/pdf";
    s2->venue = "NeurIPS";
    fx_authors(&f, s2, 3, "A One", "B Two", "C Three");
    fx_cats(&f, s2, 2, "Computer Science", "CS.lg");
    paper_t *cr = fx_add(&f, SRC_CROSSREF, "Title from Crossref");
    cr->doi = "10.9/J";
    cr->abstract = "medium abstract";
    cr->citations = 40;
    cr->published = "2021-03";
    cr->year = 2021;
    cr->venue = "Journal of Things";
    cr->url = "https://doi.org/10.9/j";
    fx_authors(&f, cr, 1, "A One");
    paper_t *ex = fx_add(&f, SRC_EXA, "");
    ex->doi = "10.9/j";
    ex->published = "2019";
    ex->open_access = true;
    merge_result_t r = fx_merge(&f);
    ASSERT_EQ(r.nall, 1);
    paper_t *p = &r.all[0];
    ASSERT_STR_EQ(p->title, "Title from Crossref");
    ASSERT_STR_EQ(p->abstract, "the longest abstract of them all");
    ASSERT_EQ(p->citations, 42);
    ASSERT_STR_EQ(p->pdf_url, "https://arxiv.org/pdf/2001.00001v1");
    ASSERT(p->open_access);
    ASSERT_STR_EQ(p->doi, "10.9/j");
    ASSERT_STR_EQ(p->arxiv_id, "2001.00001");
    ASSERT_STR_EQ(p->published, "2020-01-05"); /* the earliest full date, not exa's "2019" */
    ASSERT_EQ(p->year, 2020);
    ASSERT_STR_EQ(p->venue, "Journal of Things");
    ASSERT_STR_EQ(p->url, "https://doi.org/10.9/j");
    ASSERT_EQ(p->nauthors, 3);
    ASSERT_STR_EQ(p->authors[2], "C Three");
    ASSERT_EQ(p->ncategories, 3); /* "CS.lg" is "cs.LG" */
    ASSERT_STR_EQ(p->categories[0], "Computer Science");
    ASSERT_STR_EQ(p->categories[1], "CS.lg");
    ASSERT_STR_EQ(p->categories[2], "stat.ML");
    ASSERT_EQ(p->nsources, 4);
    fx_free(&f);
}

TEST(pdf_url_from_arxiv_id_when_none_given)
{
    fx_t f;
    fx_init(&f, "x");
    paper_t *a = fx_add(&f, SRC_SEMANTIC_SCHOLAR, "P");
    a->arxiv_id = "hep-th/9901001v2";
    paper_t *b = fx_add(&f, SRC_OPENALEX, "Q");
    b->pdf_url = "https://repo.example/q.pdf";
    fx_add(&f, SRC_CROSSREF, "R");
    merge_result_t r = fx_merge(&f);
    ASSERT_EQ(r.nall, 3);
    ASSERT_STR_EQ(r.all[0].pdf_url, "https://arxiv.org/pdf/hep-th/9901001");
    ASSERT(r.all[0].open_access);
    ASSERT_STR_EQ(r.all[1].pdf_url, "https://repo.example/q.pdf");
    ASSERT(r.all[1].open_access);
    ASSERT_NULL(r.all[2].pdf_url);
    ASSERT(!r.all[2].open_access);
    fx_free(&f);
}

TEST(inputs_are_not_modified)
{
    fx_t f;
    fx_init(&f, "x");
    paper_t *a = fx_add(&f, SRC_ARXIV, "P");
    a->doi = "10.1/X";
    paper_t *b = fx_add(&f, SRC_CROSSREF, "P");
    b->doi = "10.1/x";
    b->citations = 5;
    paper_t copy_a = *a;
    fx_merge(&f);
    ASSERT_MEM_EQ(&copy_a, &f.lists[SRC_ARXIV].items[0], sizeof(paper_t));
    ASSERT_EQ(f.lists[SRC_ARXIV].items[0].citations, -1);
    fx_free(&f);
}

/* ---- filters ---------------------------------------------------------------- */

/* Returns the titles on the page joined with '|'. */
static const char *page_titles(fx_t *f, const merge_result_t *r)
{
    size_t cap = 1;
    for (size_t i = 0; i < r->npage; i++)
        cap += strlen(r->page[i]->title) + 1;
    char *s = arena_alloc(f->a, cap);
    s[0] = '\0';
    for (size_t i = 0; i < r->npage; i++) {
        if (i > 0) strcat(s, "|");
        strcat(s, r->page[i]->title);
    }
    return s;
}

TEST(filter_year_range)
{
    fx_t f;
    fx_init(&f, "x");
    fx_add(&f, SRC_ARXIV, "y2018")->year = 2018;
    fx_add(&f, SRC_ARXIV, "y2019")->year = 2019;
    fx_add(&f, SRC_ARXIV, "y2021")->year = 2021;
    fx_add(&f, SRC_ARXIV, "unknown");
    fx_add(&f, SRC_ARXIV, "pub2020")->published = "2020-02-02";
    f.q.year_from = 2019;
    f.q.year_to = 2020;
    merge_result_t r = fx_merge(&f);
    ASSERT_EQ(r.total, 2);
    ASSERT_STR_EQ(page_titles(&f, &r), "y2019|pub2020");
    f.q.year_from = 0; /* open lower bound */
    r = fx_merge(&f);
    ASSERT_STR_EQ(page_titles(&f, &r), "y2018|y2019|pub2020");
    fx_free(&f);
}

TEST(filter_date_range_with_partial_dates)
{
    fx_t f;
    fx_init(&f, "x");
    fx_add(&f, SRC_ARXIV, "day-in")->published = "2020-06-15";
    fx_add(&f, SRC_ARXIV, "day-before")->published = "2020-05-31";
    fx_add(&f, SRC_ARXIV, "month-overlaps")->published = "2020-05";
    fx_add(&f, SRC_ARXIV, "year-overlaps")->published = "2020";
    fx_add(&f, SRC_ARXIV, "year-only")->year = 2020;
    fx_add(&f, SRC_ARXIV, "after")->published = "2020-07-01";
    fx_add(&f, SRC_ARXIV, "unknown");
    f.q.date_from = "2020-06-01";
    f.q.date_to = "2020-06-30";
    merge_result_t r = fx_merge(&f);
    ASSERT_STR_EQ(page_titles(&f, &r), "day-in|year-overlaps|year-only");
    f.q.date_to = NULL;
    r = fx_merge(&f);
    ASSERT_STR_EQ(page_titles(&f, &r), "day-in|year-overlaps|year-only|after");
    fx_free(&f);
}

TEST(filter_author_substring_case_insensitive)
{
    fx_t f;
    fx_init(&f, "x");
    fx_authors(&f, fx_add(&f, SRC_ARXIV, "a"), 2, "Yoshua Bengio", "Geoffrey HINTON");
    fx_authors(&f, fx_add(&f, SRC_ARXIV, "b"), 1, "J\xc3\x9cRGEN M\xc3\x9cLLER");
    fx_authors(&f, fx_add(&f, SRC_ARXIV, "c"), 1, "Someone Else");
    fx_add(&f, SRC_ARXIV, "d");
    f.q.author = "hinton";
    merge_result_t r = fx_merge(&f);
    ASSERT_STR_EQ(page_titles(&f, &r), "a");
    f.q.author = "m\xc3\xbcller"; /* "müller" finds "MÜLLER" */
    r = fx_merge(&f);
    ASSERT_STR_EQ(page_titles(&f, &r), "b");
    f.q.author = "e";
    r = fx_merge(&f);
    ASSERT_STR_EQ(page_titles(&f, &r), "a|b|c");
    fx_free(&f);
}

TEST(filter_category_exact_or_prefix)
{
    fx_t f;
    fx_init(&f, "x");
    fx_cats(&f, fx_add(&f, SRC_ARXIV, "lg"), 1, "cs.LG");
    fx_cats(&f, fx_add(&f, SRC_ARXIV, "cs"), 1, "cs");
    fx_cats(&f, fx_add(&f, SRC_ARXIV, "csx"), 1, "csx.AI");
    fx_cats(&f, fx_add(&f, SRC_ARXIV, "stat"), 2, "stat.ML", "math.ST");
    fx_add(&f, SRC_ARXIV, "none");
    f.q.category = "cs";
    merge_result_t r = fx_merge(&f);
    ASSERT_STR_EQ(page_titles(&f, &r), "lg|cs");
    f.q.category = "cs.lg"; /* queries are case-folded */
    r = fx_merge(&f);
    ASSERT_STR_EQ(page_titles(&f, &r), "lg");
    f.q.category = "cs.L";
    r = fx_merge(&f);
    ASSERT_EQ(r.total, 0);
    f.q.category = "math";
    r = fx_merge(&f);
    ASSERT_STR_EQ(page_titles(&f, &r), "stat");
    fx_free(&f);
}

TEST(filter_open_access)
{
    fx_t f;
    fx_init(&f, "x");
    fx_add(&f, SRC_CROSSREF, "flag")->open_access = true;
    fx_add(&f, SRC_CROSSREF, "pdf")->pdf_url = "https://x/y.pdf";
    fx_add(&f, SRC_CROSSREF, "closed");
    fx_add(&f, SRC_CROSSREF, "arxiv")->arxiv_id = "1111.2222";
    f.q.open_access = true;
    merge_result_t r = fx_merge(&f);
    ASSERT_STR_EQ(page_titles(&f, &r), "flag|pdf|arxiv");
    ASSERT_EQ(r.nall, 4);
    fx_free(&f);
}

TEST(filter_min_citations_type_has_pdf_venue)
{
    fx_t f;
    fx_init(&f, "x");
    paper_t *p = fx_add(&f, SRC_OPENALEX, "cited");
    p->citations = 120, p->type = PAPER_TYPE_ARTICLE, p->venue = "Physical Review Letters";
    p = fx_add(&f, SRC_OPENALEX, "few");
    p->citations = 9, p->type = PAPER_TYPE_BOOK, p->pdf_url = "https://x/few.pdf";
    p = fx_add(&f, SRC_OPENALEX, "unknown");
    p->venue = "Nature Physics";
    p = fx_add(&f, SRC_OPENALEX, "exactly");
    p->citations = 10, p->type = PAPER_TYPE_PREPRINT, p->pdf_url = "https://x/e.pdf";
    p->venue = "physical REVIEW D";
    f.q.min_citations = 10; /* unknown counts (-1) do not pass */
    merge_result_t r = fx_merge(&f);
    ASSERT_STR_EQ(page_titles(&f, &r), "cited|exactly");
    ASSERT_EQ(r.total, 2);
    ASSERT_EQ(r.nall, 4);
    f.q.min_citations = 0;
    f.q.types = (1u << PAPER_TYPE_BOOK) | (1u << PAPER_TYPE_PREPRINT);
    r = fx_merge(&f);
    ASSERT_STR_EQ(page_titles(&f, &r), "few|exactly");
    f.q.types =
        1u << PAPER_TYPE_UNKNOWN; /* never asked by a client; no paper is UNKNOWN here but one */
    r = fx_merge(&f);
    ASSERT_STR_EQ(page_titles(&f, &r), "unknown");
    f.q.types = 0;
    f.q.has_pdf = 1;
    r = fx_merge(&f);
    ASSERT_STR_EQ(page_titles(&f, &r), "few|exactly");
    f.q.has_pdf = -1;
    r = fx_merge(&f);
    ASSERT_STR_EQ(page_titles(&f, &r), "cited|unknown");
    f.q.has_pdf = 0;
    f.q.venue = "physical review"; /* case-insensitive substring; no venue does not pass */
    r = fx_merge(&f);
    ASSERT_STR_EQ(page_titles(&f, &r), "cited|exactly");
    f.q.min_citations = 100;
    r = fx_merge(&f);
    ASSERT_STR_EQ(page_titles(&f, &r), "cited");
    fx_free(&f);
}

/* ---- sorting, paging ------------------------------------------------------ */

TEST(sort_by_date_newest_first_unknown_last)
{
    fx_t f;
    fx_init(&f, "x");
    fx_add(&f, SRC_ARXIV, "unknown");
    fx_add(&f, SRC_ARXIV, "2019")->published = "2019-12-31";
    fx_add(&f, SRC_ARXIV, "2021-year")->year = 2021;
    fx_add(&f, SRC_ARXIV, "2021-03")->published = "2021-03";
    fx_add(&f, SRC_ARXIV, "2021-03-02")->published = "2021-03-02";
    f.q.sort = SORT_DATE;
    merge_result_t r = fx_merge(&f);
    ASSERT_STR_EQ(page_titles(&f, &r), "2021-03-02|2021-03|2021-year|2019|unknown");
    fx_free(&f);
}

TEST(sort_by_citations_unknown_last)
{
    fx_t f;
    fx_init(&f, "x");
    fx_add(&f, SRC_ARXIV, "unknown");
    fx_add(&f, SRC_ARXIV, "zero")->citations = 0;
    fx_add(&f, SRC_ARXIV, "many")->citations = 1000;
    fx_add(&f, SRC_ARXIV, "some")->citations = 10;
    fx_add(&f, SRC_ARXIV, "some-too")->citations = 10; /* tie: relevance (rank) decides */
    f.q.sort = SORT_CITATIONS;
    merge_result_t r = fx_merge(&f);
    ASSERT_STR_EQ(page_titles(&f, &r), "many|some|some-too|zero|unknown");
    fx_free(&f);
}

TEST(best_quality_orders_by_record_quality_then_relevance)
{
    fx_t f;
    fx_init(&f, "x");
    fx_add(&f, SRC_ARXIV, "bare"); /* rank 1 at arXiv, nothing else known */
    paper_t *full = fx_add(&f, SRC_ARXIV, "complete");
    full->abstract = "An abstract.";
    fx_authors(&f, full, 1, "Ann Author");
    full->year = 2020;
    full->doi = "10.1/complete";
    full->venue = "Journal";
    full->open_access = true;
    full->citations = 5;
    paper_t *cited = fx_add(&f, SRC_ARXIV, "cited");
    cited->citations = 9000;
    fx_add(&f, SRC_ARXIV, "agreed")->doi = "10.1/agreed";
    fx_add(&f, SRC_OPENALEX, "agreed too")->doi = "10.1/agreed"; /* two sources agree */
    merge_result_t r = fx_merge(&f);
    /* relevance: consensus, then rank */
    ASSERT_STR_EQ(page_titles(&f, &r), "agreed too|bare|complete|cited");
    f.q.strategy = STRATEGY_BEST_QUALITY;
    r = fx_merge(&f);
    /* complete .4 + .3 * .19 = .46; agreed .4 / 7 + .3 = .36; cited .4 / 7 + .3 * .99 = .35 */
    ASSERT_STR_EQ(page_titles(&f, &r), "complete|agreed too|cited|bare");
    f.q.sort = SORT_DATE; /* an explicit sort still wins */
    r = fx_merge(&f);
    ASSERT_STR_EQ(page_titles(&f, &r), "complete|agreed too|bare|cited");
    fx_free(&f);
}

TEST(best_quality_keeps_a_pasted_title_first)
{
    fx_t f;
    fx_init(&f, "sparse little note");
    paper_t *full = fx_add(&f, SRC_ARXIV, "A complete record");
    full->abstract = "An abstract.";
    fx_authors(&f, full, 1, "Ann Author");
    full->year = 2020;
    full->doi = "10.1/complete";
    full->citations = 5000;
    fx_add(&f, SRC_ARXIV, "Sparse Little Note");
    f.q.strategy = STRATEGY_BEST_QUALITY;
    merge_result_t r = fx_merge(&f);
    ASSERT_STR_EQ(page_titles(&f, &r), "Sparse Little Note|A complete record");
    fx_free(&f);
}

TEST(offset_and_limit)
{
    fx_t f;
    fx_init(&f, "x");
    for (int i = 0; i < 5; i++)
        fx_add(&f, SRC_ARXIV, arena_sprintf(f.a, "p%d", i));
    f.q.offset = 3;
    merge_result_t r = fx_merge(&f);
    ASSERT_EQ(r.total, 5);
    ASSERT_STR_EQ(page_titles(&f, &r), "p3|p4");
    f.q.offset = 1, f.q.limit = 2;
    r = fx_merge(&f);
    ASSERT_STR_EQ(page_titles(&f, &r), "p1|p2");
    f.q.offset = 5;
    r = fx_merge(&f);
    ASSERT_EQ(r.total, 5);
    ASSERT_EQ(r.npage, 0);
    f.q.offset = 1000;
    r = fx_merge(&f);
    ASSERT_EQ(r.npage, 0);
    fx_free(&f);
}

TEST(empty_input)
{
    fx_t f;
    fx_init(&f, "x");
    merge_result_t r = fx_merge(&f);
    ASSERT_EQ(r.nall, 0);
    ASSERT_EQ(r.total, 0);
    ASSERT_EQ(r.npage, 0);
    const paper_list_t *none[SRC_COUNT] = {0};
    ASSERT_EQ(merge_papers(f.a, none, &f.q, &r), 0);
    ASSERT_EQ(r.total, 0);
    fx_free(&f);
}

/* ---- ranking ---------------------------------------------------------------- */

TEST(rrf_consensus_beats_single_top_rank)
{
    fx_t f;
    fx_init(&f, "zzz");
    fx_add(&f, SRC_ARXIV, "solo top");
    paper_t *a = fx_add(&f, SRC_ARXIV, "shared");
    a->doi = "10.1/s";
    fx_add(&f, SRC_CROSSREF, "other top");
    fx_add(&f, SRC_CROSSREF, "shared")->doi = "10.1/s";
    merge_result_t r = fx_merge(&f);
    ASSERT_STR_EQ(page_titles(&f, &r), "shared|solo top|other top");
    /* 0.6 * (2 / 62) * 61 / 2 */
    ASSERT_DBL_EQ(r.page[0]->score, 0.6 * (2.0 / 62.0) * 61.0 / 2.0);
    ASSERT_DBL_EQ(r.page[1]->score, 0.6 * (1.0 / 61.0) * 61.0 / 2.0);
    fx_free(&f);
}

TEST(rrf_ties_break_by_first_seen)
{
    fx_t f;
    fx_init(&f, "zzz");
    fx_add(&f, SRC_CROSSREF, "crossref 1");
    fx_add(&f, SRC_SEMANTIC_SCHOLAR, "s2 1");
    fx_add(&f, SRC_ARXIV, "arxiv 1");
    fx_add(&f, SRC_ARXIV, "arxiv 2");
    fx_add(&f, SRC_SEMANTIC_SCHOLAR, "s2 2");
    merge_result_t r = fx_merge(&f);
    ASSERT_DBL_EQ(r.page[0]->score, r.page[1]->score);
    ASSERT_STR_EQ(page_titles(&f, &r), "arxiv 1|s2 1|crossref 1|arxiv 2|s2 2");
    fx_free(&f);
}

TEST(text_match_breaks_rrf_ties_title_above_abstract)
{
    fx_t f;
    fx_init(&f, "graph neural networks");
    fx_add(&f, SRC_ARXIV, "Unrelated words");
    fx_add(&f, SRC_SEMANTIC_SCHOLAR, "Something")->abstract = "We study graph neural networks.";
    fx_add(&f, SRC_CROSSREF, "Graph Neural Network Survey");
    fx_add(&f, SRC_OPENALEX, "A survey of GRAPH neural networks");
    merge_result_t r = fx_merge(&f);
    ASSERT_STR_EQ(page_titles(&f, &r),
                  "A survey of GRAPH neural networks|Graph Neural Network Survey|Something|"
                  "Unrelated words");
    fx_free(&f);
}

TEST(a_pasted_title_finds_its_paper_first)
{
    fx_t f;
    fx_init(&f, "Graph neural networks: a review of methods");
    /* Ranked first by three providers, a paper with the words but another title. */
    for (int s = SRC_ARXIV; s <= SRC_OPENALEX; s++)
        fx_add(&f, (source_t)s, "A review of methods for graph neural networks")->doi =
            "10.1000/other";
    /* The paper itself, second at one provider; its title differs in case
     * and punctuation only. */
    fx_add(&f, SRC_CROSSREF, "Other");
    fx_add(&f, SRC_CROSSREF, "Graph Neural Networks - A Review of Methods.");
    merge_result_t r = fx_merge(&f);
    ASSERT_EQ(r.npage, 3);
    ASSERT_STR_EQ(r.page[0]->title, "Graph Neural Networks - A Review of Methods.");
    fx_free(&f);
}

TEST(a_piece_of_a_title_in_a_row_points_at_it)
{
    fx_t f;
    fx_init(&f, "effects of the earth's oscillations on");
    /* The same words, not in a row: first at both providers. The paper:
     * second at one, 40th at the other. */
    fx_add(&f, SRC_ARXIV, "The effects of oscillations on the Earth's crust")->doi = "10.1/a";
    fx_add(&f, SRC_ARXIV, "Tidal effects of the Earth's oscillations on satellites")->doi =
        "10.1/b";
    fx_add(&f, SRC_OPENALEX, "The effects of oscillations on the Earth's crust")->doi = "10.1/a";
    for (int i = 0; i < 38; i++)
        fx_add(&f, SRC_OPENALEX, "Unrelated")->doi = arena_sprintf(f.a, "10.2/%d", i);
    fx_add(&f, SRC_OPENALEX, "Tidal effects of the Earth's oscillations on satellites")->doi =
        "10.1/b";
    merge_result_t r = fx_merge(&f);
    ASSERT_STR_EQ(r.page[0]->title, "Tidal effects of the Earth's oscillations on satellites");
    fx_free(&f);
}

TEST(a_piece_of_stop_words_and_two_terms_in_a_row_points_at_it)
{
    fx_t f;
    /* Five words, two of them terms ("duals", "skew"): a piece of a title. */
    fx_init(&f, "on the duals of skew");
    /* The terms, not in a row: first at three providers. The paper: second at two. */
    fx_add(&f, SRC_ARXIV, "Self-dual codes of skew symmetric type")->doi = "10.1/a";
    fx_add(&f, SRC_ARXIV, "A note on the duals of skew constacyclic codes")->doi = "10.1/b";
    fx_add(&f, SRC_OPENALEX, "Self-dual codes of skew symmetric type")->doi = "10.1/a";
    fx_add(&f, SRC_OPENALEX, "A note on the duals of skew constacyclic codes")->doi = "10.1/b";
    fx_add(&f, SRC_CROSSREF, "Self-dual codes of skew symmetric type")->doi = "10.1/a";
    merge_result_t r = fx_merge(&f);
    ASSERT_STR_EQ(r.page[0]->title, "A note on the duals of skew constacyclic codes");
    fx_free(&f);
}

TEST(text_match_stop_words_only_query)
{
    fx_t f;
    fx_init(&f, "the");
    fx_add(&f, SRC_ARXIV, "Nothing here");
    fx_add(&f, SRC_CROSSREF, "The end");
    merge_result_t r = fx_merge(&f);
    ASSERT_STR_EQ(page_titles(&f, &r), "The end|Nothing here");
    fx_free(&f);
}

TEST(deterministic_output)
{
    fx_t f;
    fx_init(&f, "learning");
    for (int i = 0; i < 40; i++) {
        source_t s = (source_t)(i % SRC_COUNT);
        paper_t *p = fx_add(&f, s, arena_sprintf(f.a, "Learning paper %d", i % 13));
        p->year = 2000 + i % 13;
        fx_authors(&f, p, 1, "Same Author");
        if (i % 3 == 0) p->doi = arena_sprintf(f.a, "10.1/%d", i % 7);
        p->citations = i % 4 == 0 ? -1 : i % 5;
    }
    f.q.limit = 100;
    for (int sort = SORT_RELEVANCE; sort <= SORT_CITATIONS; sort++) {
        f.q.sort = (query_sort_t)sort;
        merge_result_t r1 = fx_merge(&f);
        merge_result_t r2 = fx_merge(&f);
        ASSERT_EQ(r1.npage, r2.npage);
        ASSERT_GT(r1.npage, 0);
        for (size_t i = 0; i < r1.npage; i++) {
            ASSERT_STR_EQ(merge_paper_id(f.a, r1.page[i]), merge_paper_id(f.a, r2.page[i]));
            ASSERT_DBL_EQ(r1.page[i]->score, r2.page[i]->score);
        }
    }
    fx_free(&f);
}

TEST(paper_id_fallbacks)
{
    paper_t p;
    memset(&p, 0, sizeof(p));
    const char *prefix, *value;
    merge_paper_id_parts(&p, &prefix, &value);
    ASSERT_STR_EQ(prefix, "");
    p.sources[0] = (paper_source_t){.source = SRC_OPENALEX, .id = "W123", .rank = 1};
    p.sources[1] = (paper_source_t){.source = SRC_SEMANTIC_SCHOLAR, .id = "abc", .rank = 1};
    p.nsources = 2;
    merge_paper_id_parts(&p, &prefix, &value);
    ASSERT_STR_EQ(prefix, "semantic_scholar:");
    ASSERT_STR_EQ(value, "abc");
    p.doi = "10.48550/arxiv.2401.00001";
    merge_paper_id_parts(&p, &prefix, &value);
    ASSERT_STR_EQ(prefix, "doi:");
    p.arxiv_id = "2401.00001";
    merge_paper_id_parts(&p, &prefix, &value);
    ASSERT_STR_EQ(prefix, "arxiv:");
    p.doi = "10.1/x";
    merge_paper_id_parts(&p, &prefix, &value);
    ASSERT_STR_EQ(prefix, "doi:");
    ASSERT_STR_EQ(value, "10.1/x");
}

TEST(many_duplicates_stay_linear)
{
    /* 6 x 2000 papers, all one DOI: one group, quickly */
    fx_t f;
    fx_init(&f, "x");
    for (int s = 0; s < SRC_COUNT; s++)
        for (int i = 0; i < 2000; i++)
            fx_add(&f, (source_t)s, "same")->doi = "10.1/same";
    merge_result_t r = fx_merge(&f);
    ASSERT_EQ(r.nall, 1);
    ASSERT_EQ(r.all[0].nsources, SRC_COUNT);
    fx_free(&f);
}

TEST_MAIN()
