/* The export writers (core/export.h): keys, their uniqueness, entry types,
 * names, escaping per format, Accept negotiation. The papers are records
 * of the bundled arXiv corpus (bench/simulator/corpus), as the adapters
 * would give them, and a few made to hit one rule each. Real consumers
 * read the same output back in test/blackbox/test_export.py. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "core/export.h"
#include "core/query.h"
#include "test/test.h"

static const char *schroeder_authors[] = {"Timothy A. Schroeder"};
/* arXiv 0707.1899: TeX in the title, a journal, a DOI. */
static const paper_t schroeder = {
    .title = "The $\\ell^2$-homology of even Coxeter groups",
    .authors = schroeder_authors,
    .nauthors = 1,
    .doi = "10.2140/agt.2009.9.1089",
    .arxiv_id = "0707.1899",
    .year = 2009,
    .published = "2009-06-01",
    .venue = "Algebr. Geom. Topol.",
    .citations = -1,
};

static const char *bianchi_authors[] = {
    "A. Bianchi",     "S. Carretta", "P. Santini", "G. Amoretti",      "Y. Furukawa", "K. Kiuchi",
    "Y. Ajiro",       "Y. Narumi",   "K. Kindo",   "J. Lago",          "E. Micotti",  "P. Arosio",
    "A. Lascialfari", "F. Borsa",    "G. Timco",   "R. E. P. Winpenny"};
static const char *bianchi_cats[] = {"cond-mat.str-el", "Physics"};
/* arXiv 0808.2621: sixteen authors, a preprint, a subscript in braces. */
static const paper_t bianchi = {
    .title = "Magnetization and spin dynamics of a Cr-based magnetic cluster: Cr$_{7}$Ni",
    .authors = bianchi_authors,
    .nauthors = 16,
    .arxiv_id = "0808.2621",
    .year = 2008,
    .published = "2008-08-19",
    .categories = bianchi_cats,
    .ncategories = 2,
    .citations = -1,
};

static const char *baert_authors[] = {"Anne-Elisabeth Baert", "Vlady Ravelomanana",
                                      "Loÿs Thimonier"};
/* arXiv 0706.1642: accents, a DOI with capitals and parentheses. */
static const paper_t baert = {
    .title = "On the growth of components with non fixed excesses",
    .authors = baert_authors,
    .nauthors = 3,
    .doi = "10.1016/s0166-218x(03)00326-3",
    .year = 2003,
    .venue = "Discrete Applied Mathematics",
    .citations = -1,
};

static const char *ruz_authors[] = {"Cristian Ruz", "Françoise Baude", "Virginie Legrand Contes"};
static const paper_t ruz = {
    .title = "Towards Grid Monitoring and deployment in Jade, using ProActive",
    .authors = ruz_authors,
    .nauthors = 3,
    .arxiv_id = "0710.5348",
    .year = 2007,
    .venue = "arXiv.org",
    .citations = -1,
};

static const paper_t anonymous = {.title = "A Note on Nothing", .citations = -1};

static char *render(export_format_t f, const paper_t *const *ps, size_t n)
{
    size_t len;
    char *s = export_write(f, ps, n, &len);
    if (s) ASSERT_EQ(strlen(s), len);
    return s;
}

static const char *key_of(arena_t *a, const paper_t *p)
{
    const char *k;
    const paper_t *ps[] = {p};
    ASSERT_EQ(export_keys(a, ps, 1, &k), 0);
    return k;
}

TEST(key_is_family_year_first_significant_word)
{
    arena_t *a = arena_new(0);
    /* "The" is a stop word, "$\ell^2$" is math, "homology" the word. */
    ASSERT_STR_EQ(key_of(a, &schroeder), "schroeder2009homology");
    ASSERT_STR_EQ(key_of(a, &baert), "baert2003growth");
    ASSERT_STR_EQ(key_of(a, &bianchi), "bianchi2008magnetization");
    arena_free(a);
}

TEST(key_folds_accents_to_ascii)
{
    arena_t *a = arena_new(0);
    const char *au1[] = {"Loÿs Thimonier"}, *au2[] = {"Paul Erdős"}, *au3[] = {"Łukasz Kaiser"},
               *au4[] = {"张 伟"};
    paper_t p = {.title = "Éléments de géométrie", .authors = au1, .nauthors = 1, .year = 1950};
    ASSERT_STR_EQ(key_of(a, &p), "thimonier1950elements");
    p.authors = au2;
    ASSERT_STR_EQ(key_of(a, &p), "erdos1950elements");
    p.authors = au3;
    ASSERT_STR_EQ(key_of(a, &p), "kaiser1950elements");
    /* Nothing ASCII is left of the name: as if there were no author. */
    p.authors = au4;
    ASSERT_STR_EQ(key_of(a, &p), "anon1950elements");
    arena_free(a);
}

TEST(key_without_author_year_or_title_word)
{
    arena_t *a = arena_new(0);
    ASSERT_STR_EQ(key_of(a, &anonymous), "anonndnote");
    paper_t p = {.title = "The Of And", .published = "2021-03"};
    ASSERT_STR_EQ(key_of(a, &p), "anon2021");
    arena_free(a);
}

TEST(keys_unique_within_one_answer)
{
    arena_t *a = arena_new(0);
    paper_t twin = schroeder;
    twin.doi = "10.1/other";
    const paper_t *ps[] = {&schroeder, &baert, &twin, &schroeder};
    const char *k[4];
    ASSERT_EQ(export_keys(a, ps, 4, k), 0);
    ASSERT_STR_EQ(k[0], "schroeder2009homologya");
    ASSERT_STR_EQ(k[1], "baert2003growth");
    ASSERT_STR_EQ(k[2], "schroeder2009homologyb");
    ASSERT_STR_EQ(k[3], "schroeder2009homologyc");
    /* Past z: aa, ab. */
    const paper_t *many[28];
    const char *mk[28];
    for (int i = 0; i < 28; i++)
        many[i] = &anonymous;
    ASSERT_EQ(export_keys(a, many, 28, mk), 0);
    ASSERT_STR_EQ(mk[25], "anonndnotez");
    ASSERT_STR_EQ(mk[26], "anonndnoteaa");
    ASSERT_STR_EQ(mk[27], "anonndnoteab");
    arena_free(a);
}

TEST(kinds_from_the_record)
{
    ASSERT_EQ(export_kind(&schroeder), EXPORT_KIND_ARTICLE);
    ASSERT_EQ(export_kind(&bianchi), EXPORT_KIND_PREPRINT);
    ASSERT_EQ(export_kind(&ruz), EXPORT_KIND_PREPRINT); /* venue arXiv.org is no venue */
    ASSERT_EQ(export_kind(&anonymous), EXPORT_KIND_OTHER);
    paper_t p = baert;
    p.venue = "Proceedings of the 12th Workshop on Graphs";
    ASSERT_EQ(export_kind(&p), EXPORT_KIND_CONFERENCE);
    p.venue = "Advances in Neural Information Processing Systems (NeurIPS)";
    ASSERT_EQ(export_kind(&p), EXPORT_KIND_CONFERENCE);
    p.venue = "Computer Vision and Pattern Recognition"; /* CVPR spelled out */
    ASSERT_EQ(export_kind(&p), EXPORT_KIND_CONFERENCE);
    p.venue = "Neurology"; /* "neur" inside a word is no series */
    ASSERT_EQ(export_kind(&p), EXPORT_KIND_ARTICLE);
}

/* The kind of p with its type set to t. */
static export_kind_t kind_as(paper_t p, paper_type_t t)
{
    p.type = t;
    return export_kind(&p);
}

TEST(kinds_from_the_paper_type)
{
    /* baert's venue "Discrete Applied Mathematics" alone reads as a journal. */
    static const struct {
        paper_type_t type;
        export_kind_t kind;
    } cases[] = {
        {PAPER_TYPE_BOOK, EXPORT_KIND_BOOK},
        {PAPER_TYPE_BOOK_CHAPTER, EXPORT_KIND_CHAPTER},
        {PAPER_TYPE_THESIS, EXPORT_KIND_THESIS},
        {PAPER_TYPE_DATASET, EXPORT_KIND_DATASET},
        {PAPER_TYPE_PREPRINT, EXPORT_KIND_PREPRINT}, /* a posted-content with a server as venue */
        {PAPER_TYPE_PROCEEDINGS, EXPORT_KIND_CONFERENCE},
        {PAPER_TYPE_OTHER, EXPORT_KIND_ARTICLE}, /* says nothing: the venue guess */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        ASSERT_EQ(kind_as(baert, cases[i].type), cases[i].kind);
    /* The type beats a venue that reads as a conference (PNAS is a journal). */
    paper_t pnas = baert;
    pnas.venue = "Proceedings of the National Academy of Sciences";
    ASSERT_EQ(kind_as(pnas, PAPER_TYPE_UNKNOWN), EXPORT_KIND_CONFERENCE);
    ASSERT_EQ(kind_as(pnas, PAPER_TYPE_ARTICLE), EXPORT_KIND_ARTICLE);
    ASSERT_EQ(kind_as(pnas, PAPER_TYPE_REVIEW), EXPORT_KIND_ARTICLE);
    /* An "article" known only on arXiv is cited as the preprint. */
    ASSERT_EQ(kind_as(ruz, PAPER_TYPE_ARTICLE), EXPORT_KIND_PREPRINT);
    ASSERT_EQ(kind_as(ruz, PAPER_TYPE_PROCEEDINGS), EXPORT_KIND_PREPRINT);
    ASSERT_EQ(kind_as(anonymous, PAPER_TYPE_ARTICLE), EXPORT_KIND_ARTICLE);
}

TEST(entry_types_per_format_from_the_paper_type)
{
    static const struct {
        paper_type_t type;
        const char *bibtex, *ris, *csl;
    } cases[] = {
        {PAPER_TYPE_ARTICLE, "@article{baert2003growth,", "TY  - JOUR\r\n", "article-journal"},
        {PAPER_TYPE_PROCEEDINGS, "@inproceedings{baert2003growth,", "TY  - CPAPER\r\n",
         "paper-conference"},
        {PAPER_TYPE_BOOK, "@book{baert2003growth,", "TY  - BOOK\r\n", "book"},
        {PAPER_TYPE_BOOK_CHAPTER, "@incollection{baert2003growth,", "TY  - CHAP\r\n", "chapter"},
        {PAPER_TYPE_THESIS, "@phdthesis{baert2003growth,", "TY  - THES\r\n", "thesis"},
        {PAPER_TYPE_DATASET, "@misc{baert2003growth,", "TY  - DATA\r\n", "dataset"},
        {PAPER_TYPE_PREPRINT, "@misc{baert2003growth,", "TY  - UNPB\r\n", "article"},
    };
    static const char *const venue_fields[] = {
        "journal = {", "booktitle = {",    "series = {",       "booktitle = {",
        "school = {",  "howpublished = {", "howpublished = {",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        paper_t p = baert;
        p.type = cases[i].type;
        const paper_t *ps[] = {&p};
        char *s = render(EXPORT_BIBTEX, ps, 1);
        ASSERT_STR_CONTAINS(s, cases[i].bibtex);
        char want[64];
        snprintf(want, sizeof want, "%sDiscrete Applied Mathematics}", venue_fields[i]);
        ASSERT_STR_CONTAINS(s, want);
        free(s);
        s = render(EXPORT_RIS, ps, 1);
        ASSERT(strncmp(s, cases[i].ris, strlen(cases[i].ris)) == 0);
        free(s);
        s = render(EXPORT_CSL_JSON, ps, 1);
        json_t *root = json_loads(s, 0, NULL);
        ASSERT_NOT_NULL(root);
        json_t *it = json_array_get(root, 0);
        ASSERT_STR_EQ(json_string_value(json_object_get(it, "type")), cases[i].csl);
        /* No arXiv id: no arXiv number on a preprint from elsewhere. */
        ASSERT_NULL(json_object_get(it, "number"));
        json_decref(root);
        free(s);
    }
}

TEST(names_split_into_parts)
{
    arena_t *a = arena_new(0);
    export_name_t n;
    ASSERT_EQ(export_split_name(a, "Vaswani, A.", &n), 0);
    ASSERT_STR_EQ(n.family, "Vaswani");
    ASSERT_STR_EQ(n.given, "A.");
    ASSERT_EQ(export_split_name(a, "Ludwig van Beethoven", &n), 0);
    ASSERT_STR_EQ(n.family, "Beethoven");
    ASSERT_STR_EQ(n.particle, "van");
    ASSERT_STR_EQ(n.given, "Ludwig");
    ASSERT_EQ(export_split_name(a, "Johannes Diderik van der Waals", &n), 0);
    ASSERT_STR_EQ(n.particle, "van der");
    ASSERT_STR_EQ(n.given, "Johannes Diderik");
    ASSERT_EQ(export_split_name(a, "Martin Luther King Jr.", &n), 0);
    ASSERT_STR_EQ(n.family, "King");
    ASSERT_STR_EQ(n.suffix, "Jr.");
    ASSERT_STR_EQ(n.given, "Martin Luther");
    ASSERT_EQ(export_split_name(a, "King, Jr., Martin Luther", &n), 0);
    ASSERT_STR_EQ(n.family, "King");
    ASSERT_STR_EQ(n.suffix, "Jr.");
    ASSERT_STR_EQ(n.given, "Martin Luther");
    ASSERT_EQ(export_split_name(a, "van der Waals, J. D.", &n), 0);
    ASSERT_STR_EQ(n.family, "Waals");
    ASSERT_STR_EQ(n.particle, "van der");
    ASSERT_EQ(export_split_name(a, "Plato", &n), 0);
    ASSERT_STR_EQ(n.family, "Plato");
    ASSERT_NULL(n.given);
    ASSERT_EQ(export_split_name(a, "Smith and Sons", &n), 0);
    ASSERT_STR_EQ(n.family, "Smith and Sons");
    ASSERT_NULL(n.given);
    ASSERT_EQ(export_split_name(a, "   ", &n), -1);
    arena_free(a);
}

TEST(bibtex_entry_types_and_fields)
{
    const paper_t *ps[] = {&schroeder, &bianchi, &anonymous};
    char *s = render(EXPORT_BIBTEX, ps, 3);
    ASSERT_NOT_NULL(s);
    ASSERT_STR_CONTAINS(s, "@article{schroeder2009homology,\n  author = {Schroeder, Timothy A.}");
    ASSERT_STR_CONTAINS(s, "journal = {Algebr. Geom. Topol.}");
    ASSERT_STR_CONTAINS(s, "doi = {10.2140/agt.2009.9.1089}");
    ASSERT_STR_CONTAINS(s, "@misc{bianchi2008magnetization,");
    ASSERT_STR_CONTAINS(s, "eprint = {0808.2621},\n  archivePrefix = {arXiv},\n"
                           "  primaryClass = {cond-mat.str-el}");
    ASSERT_STR_CONTAINS(s, "url = {https://arxiv.org/abs/0808.2621}");
    ASSERT_STR_CONTAINS(s, " and Winpenny, R. E. P.}");
    ASSERT_STR_CONTAINS(s, "@misc{anonndnote,\n  title = {A Note on Nothing}\n}");
    free(s);
}

TEST(bibtex_keeps_math_and_escapes_specials)
{
    const paper_t *ps[] = {&schroeder, &bianchi};
    char *s = render(EXPORT_BIBTEX, ps, 2);
    /* "Coxeter": a capital only first, as in any title-case word: not braced. */
    ASSERT_STR_CONTAINS(s, "title = {The $\\ell^2$-homology of even Coxeter groups}");
    ASSERT_STR_CONTAINS(s, "cluster: Cr$_{7}$Ni}");
    free(s);
    paper_t p = {.title = "50% & #1: a_b ~ x^2 {braces} C:\\dir $unclosed {",
                 .abstract = "costs $5 and $\\alpha$ {",
                 .citations = -1};
    const paper_t *one[] = {&p};
    s = render(EXPORT_BIBTEX, one, 1);
    ASSERT_STR_CONTAINS(s, "title = {50\\% \\& \\#1: a\\_b \\textasciitilde{} "
                           "x\\textasciicircum{}2 \\textbraceleft{}braces\\textbraceright{} "
                           "C:\\textbackslash{}dir \\$unclosed \\textbraceleft{}}");
    /* "$5 and $" is a span; "{" after the second one is text. */
    ASSERT_STR_CONTAINS(s, "abstract = {costs $5 and $\\textbackslash{}alpha\\$ "
                           "\\textbraceleft{}}");
    free(s);
}

TEST(bibtex_braces_balance_whatever_the_input)
{
    paper_t p = {.title = "}{ $}$ ${$ $$ \\{ } {{", .venue = "}", .citations = -1};
    const char *au[] = {"Smith and Sons", "{Evil} }"};
    p.authors = au;
    p.nauthors = 2;
    const paper_t *one[] = {&p};
    char *s = render(EXPORT_BIBTEX, one, 1);
    int depth = 0;
    for (const char *c = s; *c; c++) {
        if (*c == '{') depth++;
        if (*c == '}') depth--;
        ASSERT_GE(depth, 0);
    }
    ASSERT_EQ(depth, 0);
    /* Found by fuzz_export: "\{" in a math span is a brace to BibTeX. */
    paper_t m = {.title = "x $ { } \\{ $ y", .citations = -1};
    const paper_t *mm[] = {&m};
    char *ms = render(EXPORT_BIBTEX, mm, 1);
    ASSERT_STR_CONTAINS(ms, "title = {x \\$ \\textbraceleft{} \\textbraceright{} "
                            "\\textbackslash{}\\textbraceleft{} \\$ y}");
    free(ms);
    /* Verbatim fields: percent-encoded where they would break. */
    paper_t v = {.title = "t", .doi = "10.1/a{b}%20c%zz\xff\xc3\xbc", .citations = -1};
    const paper_t *vv[] = {&v};
    char *vs = render(EXPORT_BIBTEX, vv, 1);
    ASSERT_STR_CONTAINS(vs, "doi = {10.1/a%7Bb%7D%20c%25zz%FF\xc3\xbc}");
    free(vs);
    /* "and" inside a name is braced so BibTeX does not split it. */
    ASSERT_STR_CONTAINS(s, "author = {{Smith and Sons} and ");
    free(s);
}

TEST(bibtex_protects_capitals_in_titles_only)
{
    paper_t p = {.title = "BERT: Pre-training of Deep Bidirectional Transformers on ImageNet GNNs",
                 .venue = "NAACL-HLT",
                 .citations = -1};
    const paper_t *one[] = {&p};
    char *s = render(EXPORT_BIBTEX, one, 1);
    ASSERT_STR_CONTAINS(s, "title = {{BERT:} Pre-training of Deep Bidirectional Transformers on "
                           "{ImageNet} {GNNs}}");
    ASSERT_STR_CONTAINS(s, "booktitle = {NAACL-HLT}");
    free(s);
}

TEST(bibtex_invalid_utf8_and_controls_are_replaced)
{
    paper_t p = {.title = "bad \xff byte\tand\nline\xe2\x80\xa8sep", .citations = -1};
    const paper_t *one[] = {&p};
    char *s = render(EXPORT_BIBTEX, one, 1);
    ASSERT_STR_CONTAINS(s, "title = {bad \xef\xbf\xbd byte and line sep}");
    free(s);
}

TEST(ris_one_tag_per_line_no_breaks_in_values)
{
    paper_t p = bianchi;
    p.abstract = "First line\nsecond\r\nthird\xe2\x80\xa9 end";
    p.pdf_url = "https://arxiv.org/pdf/0808.2621";
    const paper_t *ps[] = {&schroeder, &p, &anonymous};
    char *s = render(EXPORT_RIS, ps, 3);
    ASSERT_NOT_NULL(s);
    static const char head[] = "TY  - JOUR\r\nID  - schroeder2009homology\r\n";
    ASSERT(strncmp(s, head, sizeof head - 1) == 0);
    ASSERT_STR_CONTAINS(s, "AU  - Schroeder, Timothy A.\r\n");
    ASSERT_STR_CONTAINS(s, "TY  - UNPB\r\n");
    ASSERT_STR_CONTAINS(s, "AB  - First line second  third  end\r\n");
    ASSERT_STR_CONTAINS(s, "PY  - 2008\r\nDA  - 2008/08/19/\r\n");
    ASSERT_STR_CONTAINS(s, "AN  - arXiv:0808.2621\r\n");
    ASSERT_STR_CONTAINS(s,
                        "TY  - GEN\r\nID  - anonndnote\r\nTI  - A Note on Nothing\r\nER  - \r\n");
    /* Every line: a tag of two capitals or a capital and a digit, "  - ". */
    int records = 0;
    for (char *line = s; *line;) {
        char *end = strstr(line, "\r\n");
        ASSERT_NOT_NULL(end);
        if (end != line) {
            ASSERT(end - line >= 6);
            ASSERT(line[0] >= 'A' && line[0] <= 'Z');
            ASSERT((line[1] >= 'A' && line[1] <= 'Z') || (line[1] >= '0' && line[1] <= '9'));
            ASSERT(memcmp(line + 2, "  - ", 4) == 0);
            ASSERT(memchr(line, '\n', (size_t)(end - line)) == NULL);
            if (memcmp(line, "ER", 2) == 0) records++;
        }
        line = end + 2;
    }
    ASSERT_EQ(records, 3);
    free(s);
}

TEST(csl_json_is_valid_with_csl_variables)
{
    const char *au[] = {"Plato", "Ludwig van Beethoven", "quote \" back\\slash"};
    paper_t p = {.title = "ctl \x01 and \xff", .authors = au, .nauthors = 3, .citations = -1};
    const paper_t *ps[] = {&schroeder, &bianchi, &baert, &p};
    char *s = render(EXPORT_CSL_JSON, ps, 4);
    json_error_t err;
    json_t *root = json_loads(s, 0, &err);
    ASSERT_NOT_NULL(root);
    ASSERT_EQ(json_array_size(root), 4);
    json_t *a = json_array_get(root, 0);
    ASSERT_STR_EQ(json_string_value(json_object_get(a, "id")), "schroeder2009homology");
    ASSERT_STR_EQ(json_string_value(json_object_get(a, "type")), "article-journal");
    ASSERT_STR_EQ(json_string_value(json_object_get(a, "DOI")), "10.2140/agt.2009.9.1089");
    ASSERT_STR_EQ(json_string_value(json_object_get(a, "container-title")), "Algebr. Geom. Topol.");
    json_t *dp = json_array_get(json_object_get(json_object_get(a, "issued"), "date-parts"), 0);
    ASSERT_EQ(json_array_size(dp), 3);
    ASSERT_EQ(json_integer_value(json_array_get(dp, 0)), 2009);
    ASSERT_EQ(json_integer_value(json_array_get(dp, 1)), 6);
    json_t *who = json_array_get(json_object_get(a, "author"), 0);
    ASSERT_STR_EQ(json_string_value(json_object_get(who, "family")), "Schroeder");
    ASSERT_STR_EQ(json_string_value(json_object_get(who, "given")), "Timothy A.");
    json_t *b = json_array_get(root, 1);
    ASSERT_STR_EQ(json_string_value(json_object_get(b, "type")), "article");
    ASSERT_STR_EQ(json_string_value(json_object_get(b, "number")), "arXiv:0808.2621");
    ASSERT_STR_EQ(json_string_value(json_object_get(b, "publisher")), "arXiv");
    ASSERT_EQ(json_array_size(json_object_get(b, "author")), 16);
    json_t *c = json_array_get(root, 2);
    /* Only the year is known: one date part. */
    dp = json_array_get(json_object_get(json_object_get(c, "issued"), "date-parts"), 0);
    ASSERT_EQ(json_array_size(dp), 1);
    json_t *d = json_array_get(root, 3);
    ASSERT_STR_EQ(json_string_value(json_object_get(d, "type")), "document");
    ASSERT_NULL(json_object_get(d, "issued"));
    json_t *da = json_object_get(d, "author");
    ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(da, 0), "literal")), "Plato");
    ASSERT_STR_EQ(
        json_string_value(json_object_get(json_array_get(da, 1), "non-dropping-particle")), "van");
    ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(da, 2), "family")),
                  "back\\slash");
    ASSERT_STR_EQ(json_string_value(json_object_get(d, "title")), "ctl \x01 and \xef\xbf\xbd");
    json_decref(root);
    free(s);
}

TEST(empty_answers_are_one_line)
{
    char *s = render(EXPORT_BIBTEX, NULL, 0);
    ASSERT_STR_EQ(s, "\n");
    free(s);
    s = render(EXPORT_RIS, NULL, 0);
    ASSERT_STR_EQ(s, "\n");
    free(s);
    s = render(EXPORT_CSL_JSON, NULL, 0);
    ASSERT_STR_EQ(s, "[]\n");
    free(s);
    ASSERT_NULL(export_write(EXPORT_JSON, NULL, 0, NULL));
}

TEST(formats_by_name)
{
    ASSERT_EQ(export_format_parse("bibtex", 6), EXPORT_BIBTEX);
    ASSERT_EQ(export_format_parse("ris", 3), EXPORT_RIS);
    ASSERT_EQ(export_format_parse("csl-json", 8), EXPORT_CSL_JSON);
    ASSERT_EQ(export_format_parse("json", 4), EXPORT_JSON);
    ASSERT_EQ(export_format_parse("BibTeX", 6), -1);
    ASSERT_EQ(export_format_parse("bib", 3), -1);
    ASSERT_STR_EQ(export_content_type(EXPORT_RIS),
                  "application/x-research-info-systems; charset=utf-8");
}

static int neg(const char *accept)
{
    export_format_t f;
    return export_negotiate(accept, &f) < 0 ? -1 : (int)f;
}

TEST(accept_negotiation)
{
    ASSERT_EQ(neg(NULL), EXPORT_JSON);
    ASSERT_EQ(neg(""), EXPORT_JSON);
    ASSERT_EQ(neg("*/*"), EXPORT_JSON);
    ASSERT_EQ(neg("application/x-bibtex"), EXPORT_BIBTEX);
    ASSERT_EQ(neg("text/x-bibtex; charset=utf-8"), EXPORT_BIBTEX);
    ASSERT_EQ(neg("Application/X-Research-Info-Systems"), EXPORT_RIS);
    ASSERT_EQ(neg("application/vnd.citationstyles.csl+json"), EXPORT_CSL_JSON);
    /* A browser's header: JSON through the wildcard. */
    ASSERT_EQ(neg("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"), EXPORT_JSON);
    /* Weights decide; ties go to the type named first. */
    ASSERT_EQ(neg("application/json;q=0.5, application/x-bibtex"), EXPORT_BIBTEX);
    ASSERT_EQ(neg("application/x-research-info-systems, application/x-bibtex"), EXPORT_RIS);
    ASSERT_EQ(neg("application/x-bibtex, */*;q=0.1"), EXPORT_BIBTEX);
    /* The exact range's q wins over the wildcard's for that type. */
    ASSERT_EQ(neg("application/json;q=0, */*"), EXPORT_BIBTEX);
    /* Nothing we have. */
    ASSERT_EQ(neg("text/html"), -1);
    ASSERT_EQ(neg("application/x-bibtex;q=0"), -1);
    ASSERT_EQ(neg("image/*"), -1);
    ASSERT_EQ(neg("application/x-bibtex;q=bad"), -1);
}

/* format= in the query (core/query.c): parsed, named when unknown, and
 * the end of the cache key, JSON's key unchanged. */
TEST(format_parameter_and_cache_key)
{
    arena_t *a = arena_new(0);
    query_t q;
    char err[256];
    ASSERT_EQ(query_parse_params(&q, "query=x", 7, a, err, sizeof err), 0);
    ASSERT_EQ(q.format, EXPORT_JSON);
    ASSERT(!q.format_given);
    char *json_key = query_key(&q, a);
    ASSERT(strstr(json_key, "|fmt=") == NULL);
    ASSERT(json_key[strlen(json_key) - 1] == '0'); /* ends with oa=0, as always */
    ASSERT_EQ(query_parse_params(&q, "query=x&format=json", 19, a, err, sizeof err), 0);
    ASSERT(q.format_given);
    ASSERT_STR_EQ(query_key(&q, a), json_key);
    ASSERT_EQ(query_parse_params(&q, "query=x&format=bibtex", 21, a, err, sizeof err), 0);
    ASSERT_EQ(q.format, EXPORT_BIBTEX);
    char *bib_key = query_key(&q, a);
    ASSERT_STR_EQ(bib_key + strlen(json_key), "|fmt=bibtex");
    ASSERT_EQ(
        query_parse_json(&q, "{\"query\":\"x\",\"format\":\"csl-json\"}", 33, a, err, sizeof err),
        0);
    ASSERT_EQ(q.format, EXPORT_CSL_JSON);
    ASSERT_EQ(query_parse_params(&q, "query=x&format=endnote", 22, a, err, sizeof err), -1);
    ASSERT_STR_CONTAINS(err, "'format'");
    ASSERT_STR_CONTAINS(err, "'endnote'");
    ASSERT_EQ(query_parse_params(&q, "query=x&format=ris&format=ris", 29, a, err, sizeof err), -1);
    arena_free(a);
}

TEST_MAIN()
