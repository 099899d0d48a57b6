/* Search parameters (core/query.c): the URL query string and the JSON body,
 * every parameter, every refusal naming its field, percent-encoding, UTF-8,
 * and the canonical cache key. */
#include "core/arena.h"
#include "core/facets.h"
#include "core/query.h"
#include "test/test.h"

static arena_t *A;
static char err[512];

static int params(query_t *q, const char *qs)
{
    if (!A) A = arena_new(0);
    err[0] = '\0';
    return query_parse_params(q, qs, strlen(qs), A, err, sizeof err);
}

static int body(query_t *q, const char *json)
{
    if (!A) A = arena_new(0);
    err[0] = '\0';
    return query_parse_json(q, json, strlen(json), A, err, sizeof err);
}

/* qs is refused with a message containing want. */
#define REFUSED(qs, want)                                                                          \
    do {                                                                                           \
        query_t q__;                                                                               \
        ASSERT_EQ(params(&q__, (qs)), -1);                                                         \
        ASSERT_STR_CONTAINS(err, (want));                                                          \
    } while (0)

#define REFUSED_JSON(js, want)                                                                     \
    do {                                                                                           \
        query_t q__;                                                                               \
        ASSERT_EQ(body(&q__, (js)), -1);                                                           \
        ASSERT_STR_CONTAINS(err, (want));                                                          \
    } while (0)

static char *key_of(const char *qs)
{
    query_t q;
    if (params(&q, qs) != 0) {
        fprintf(stderr, "refused %s: %s\n", qs, err);
        abort();
    }
    return query_key(&q, A);
}

static char *key_of_json(const char *js)
{
    query_t q;
    if (body(&q, js) != 0) {
        fprintf(stderr, "refused %s: %s\n", js, err);
        abort();
    }
    return query_key(&q, A);
}

/* ---- defaults and every parameter ---------------------------------------- */

TEST(defaults)
{
    query_t q;
    ASSERT_EQ(params(&q, "query=transformers"), 0);
    ASSERT_STR_EQ(q.text, "transformers");
    ASSERT_EQ(q.limit, 20);
    ASSERT_EQ(q.offset, 0);
    ASSERT_EQ(q.sort, SORT_RELEVANCE);
    ASSERT_EQ(q.strategy, STRATEGY_MERGE);
    ASSERT_EQ(q.providers, 0);
    ASSERT_EQ(q.year_from, 0);
    ASSERT_EQ(q.year_to, 0);
    ASSERT_NULL(q.date_from);
    ASSERT_NULL(q.date_to);
    ASSERT_NULL(q.author);
    ASSERT_NULL(q.category);
    ASSERT(!q.open_access);
    ASSERT_EQ(q.deadline_ms, 0);
}

TEST(every_parameter_in_the_query_string)
{
    query_t q;
    ASSERT_EQ(params(&q, "query=Graph+Neural+Networks&limit=5&offset=10&sort=date"
                         "&strategy=fastest&providers=crossref,arxiv&date_from=2019-03-01"
                         "&date_to=2021-12-31&author=Hinton&category=cs.LG&open_access=true"
                         "&timeout_ms=1500"),
              0);
    ASSERT_STR_EQ(q.text, "graph neural networks");
    ASSERT_EQ(q.limit, 5);
    ASSERT_EQ(q.offset, 10);
    ASSERT_EQ(q.sort, SORT_DATE);
    ASSERT_EQ(q.strategy, STRATEGY_FASTEST);
    ASSERT_EQ(q.providers, (1u << SRC_ARXIV) | (1u << SRC_CROSSREF));
    ASSERT_STR_EQ(q.date_from, "2019-03-01");
    ASSERT_STR_EQ(q.date_to, "2021-12-31");
    ASSERT_EQ(q.year_from, 2019); /* dates imply years */
    ASSERT_EQ(q.year_to, 2021);
    ASSERT_STR_EQ(q.author, "hinton");
    ASSERT_STR_EQ(q.category, "cs.LG"); /* categories keep their case */
    ASSERT(q.open_access);
    ASSERT_EQ(q.deadline_ms, 1500);
}

TEST(sort_and_strategy_values)
{
    query_t q;
    ASSERT_EQ(params(&q, "query=x&sort=relevance"), 0);
    ASSERT_EQ(q.sort, SORT_RELEVANCE);
    ASSERT_EQ(params(&q, "query=x&sort=citations"), 0);
    ASSERT_EQ(q.sort, SORT_CITATIONS);
    ASSERT_EQ(params(&q, "query=x&strategy=merge"), 0);
    ASSERT_EQ(q.strategy, STRATEGY_MERGE);
    REFUSED("query=x&sort=newest", "'sort'");
    REFUSED("query=x&sort=Date", "'sort'");
    ASSERT_EQ(params(&q, "query=x&strategy=first"), 0);
    ASSERT_EQ(q.strategy, STRATEGY_FIRST);
    ASSERT_EQ(params(&q, "query=x&strategy=best_quality"), 0);
    ASSERT_EQ(q.strategy, STRATEGY_BEST_QUALITY);
    REFUSED("query=x&strategy=slowest", "'strategy'");
    REFUSED("query=x&strategy=First", "'strategy'");
}

TEST(facets_values_and_key)
{
    query_t q;
    ASSERT_EQ(params(&q, "query=x&facets=year,%20venue,provider"), 0);
    ASSERT_EQ(q.facets, (1u << FACET_YEAR) | (1u << FACET_VENUE) | (1u << FACET_PROVIDER));
    ASSERT_EQ(body(&q, "{\"query\":\"x\",\"facets\":[\"open_access\",\"category\"]}"), 0);
    ASSERT_EQ(q.facets, (1u << FACET_OPEN_ACCESS) | (1u << FACET_CATEGORY));
    REFUSED("query=x&facets=year,kind", "unknown facet 'kind'");
    REFUSED_JSON("{\"query\":\"x\",\"facets\":[1]}", "'facets' must be a list of names");
    /* Asked facets are another answer; without them the key is unchanged. */
    ASSERT(strcmp(key_of("query=x&facets=year"), key_of("query=x")) != 0);
    ASSERT_STR_EQ(key_of("query=x&facets=venue,year"), key_of("query=x&facets=year,venue"));
    ASSERT(strstr(key_of("query=x"), "|f=") == NULL);
}

TEST(limit_bounds)
{
    query_t q;
    ASSERT_EQ(params(&q, "query=x&limit=1"), 0);
    ASSERT_EQ(q.limit, 1);
    ASSERT_EQ(params(&q, "query=x&limit=100"), 0);
    ASSERT_EQ(q.limit, 100);
    REFUSED("query=x&limit=0", "'limit'");
    REFUSED("query=x&limit=101", "'limit'");
    REFUSED("query=x&limit=-1", "'limit'");
    REFUSED("query=x&limit=five", "'limit'");
    REFUSED("query=x&limit=5x", "'limit'");
    REFUSED("query=x&limit=", "'limit'");
    REFUSED("query=x&limit=+5", "'limit'");
    REFUSED("query=x&limit=99999999999999999999", "'limit'");
}

TEST(offset_bounds)
{
    query_t q;
    ASSERT_EQ(params(&q, "query=x&offset=0"), 0);
    ASSERT_EQ(params(&q, "query=x&offset=10000"), 0);
    ASSERT_EQ(q.offset, 10000);
    REFUSED("query=x&offset=-1", "'offset'");
    REFUSED("query=x&offset=10001", "'offset'");
    REFUSED("query=x&offset=1.5", "'offset'");
}

TEST(timeout_ms_bounds)
{
    query_t q;
    ASSERT_EQ(params(&q, "query=x&timeout_ms=1"), 0);
    ASSERT_EQ(q.deadline_ms, 1);
    REFUSED("query=x&timeout_ms=0", "'timeout_ms'");
    REFUSED("query=x&timeout_ms=600001", "'timeout_ms'");
    REFUSED("query=x&timeout_ms=fast", "'timeout_ms'");
}

TEST(providers_list)
{
    query_t q;
    ASSERT_EQ(params(&q, "query=x&providers=arxiv,semantic_scholar,exa,openalex,crossref,local"),
              0);
    ASSERT_EQ(q.providers, (1u << SRC_COUNT) - 1);
    ASSERT_EQ(params(&q, "query=x&providers=%20openalex%20,%20exa"), 0);
    ASSERT_EQ(q.providers, (1u << SRC_OPENALEX) | (1u << SRC_EXA));
    ASSERT_EQ(params(&q, "query=x&providers=arxiv,,arxiv,"), 0); /* empty items, repeats */
    ASSERT_EQ(q.providers, 1u << SRC_ARXIV);
    REFUSED("query=x&providers=google", "google");
    REFUSED("query=x&providers=google", "provider");
    REFUSED("query=x&providers=ArXiv", "ArXiv"); /* names are exact */
    REFUSED("query=x&providers=", "'providers'");
    REFUSED("query=x&providers=,,", "'providers'");
}

TEST(years)
{
    query_t q;
    ASSERT_EQ(params(&q, "query=x&year=2020"), 0);
    ASSERT_EQ(q.year_from, 2020);
    ASSERT_EQ(q.year_to, 2020);
    ASSERT_EQ(params(&q, "query=x&year=2018-2021"), 0);
    ASSERT_EQ(q.year_from, 2018);
    ASSERT_EQ(q.year_to, 2021);
    ASSERT_EQ(params(&q, "query=x&year_from=2015&year_to=2016"), 0);
    ASSERT_EQ(q.year_from, 2015);
    ASSERT_EQ(q.year_to, 2016);
    REFUSED("query=x&year=2021-2018", "'year'");
    REFUSED("query=x&year=20", "'year'");
    REFUSED("query=x&year=twenty", "'year'");
    REFUSED("query=x&year=2018-", "'year'");
    REFUSED("query=x&year=12345678901234567-2020", "'year'");
    REFUSED("query=x&year_from=99", "'year_from'");
    REFUSED("query=x&year_to=abc", "'year_to'");
    REFUSED("query=x&year_from=2022&year_to=2020", "'year_from'");
}

TEST(dates)
{
    query_t q;
    ASSERT_EQ(params(&q, "query=x&date_from=2020-01-31"), 0);
    ASSERT_STR_EQ(q.date_from, "2020-01-31");
    ASSERT_EQ(q.year_from, 2020);
    ASSERT_EQ(q.year_to, 0);
    REFUSED("query=x&date_from=2020-13-01", "'date_from'");
    REFUSED("query=x&date_from=2020-00-10", "'date_from'");
    REFUSED("query=x&date_from=2020-01-32", "'date_from'");
    REFUSED("query=x&date_from=2020-1-01", "'date_from'");
    REFUSED("query=x&date_to=2020/01/01", "'date_to'");
    REFUSED("query=x&date_to=yesterday", "'date_to'");
    REFUSED("query=x&date_to=2020-01-01T00:00", "'date_to'");
    REFUSED("query=x&date_from=2021-05-01&date_to=2021-04-30", "'date_from'");
    /* A date narrows a year range; an empty intersection is refused. */
    ASSERT_EQ(params(&q, "query=x&year=2015-2022&date_from=2018-06-01"), 0);
    ASSERT_EQ(q.year_from, 2018);
    ASSERT_EQ(q.year_to, 2022);
    REFUSED("query=x&year=2015&date_from=2018-06-01", "empty range");
}

TEST(author_category_open_access)
{
    query_t q;
    ASSERT_EQ(params(&q, "query=x&author=%20Yoshua%20%20Bengio%20"), 0);
    ASSERT_STR_EQ(q.author, "yoshua bengio");
    REFUSED("query=x&author=", "'author'");
    REFUSED("query=x&author=%20%20", "'author'");
    ASSERT_EQ(params(&q, "query=x&category=hep-th"), 0);
    ASSERT_STR_EQ(q.category, "hep-th");
    ASSERT_EQ(params(&q, "query=x&category=math_AG.1"), 0);
    REFUSED("query=x&category=", "'category'");
    REFUSED("query=x&category=cs%20LG", "'category'");
    REFUSED("query=x&category=cs;DROP", "'category'");
    char longcat[128] = "query=x&category=";
    memset(longcat + strlen(longcat), 'a', 65);
    REFUSED(longcat, "'category'");
    ASSERT_EQ(params(&q, "query=x&open_access=1"), 0);
    ASSERT(q.open_access);
    ASSERT_EQ(params(&q, "query=x&open_access=false"), 0);
    ASSERT(!q.open_access);
    ASSERT_EQ(params(&q, "query=x&open_access=0"), 0);
    ASSERT(!q.open_access);
    REFUSED("query=x&open_access=yes", "'open_access'");
    REFUSED("query=x&open_access=TRUE", "'open_access'");
}

TEST(filters_min_citations_type_has_pdf_venue)
{
    query_t q;
    ASSERT_EQ(params(&q, "query=x"), 0);
    ASSERT_EQ(query_filters_asked(&q), 0u);
    ASSERT_EQ(params(&q, "query=x&min_citations=50&type=article,%20book_chapter&has_pdf=true"
                         "&venue=%20Physical%20%20REVIEW%20"),
              0);
    ASSERT_EQ(q.min_citations, 50);
    ASSERT_EQ(q.types, (1u << PAPER_TYPE_ARTICLE) | (1u << PAPER_TYPE_BOOK_CHAPTER));
    ASSERT_EQ(q.has_pdf, 1);
    ASSERT_STR_EQ(q.venue, "physical review");
    ASSERT_EQ(query_filters_asked(&q),
              (unsigned)(QFILTER_MIN_CITATIONS | QFILTER_TYPE | QFILTER_HAS_PDF | QFILTER_VENUE));
    ASSERT_EQ(params(&q, "query=x&has_pdf=0&journal=Nature"), 0);
    ASSERT_EQ(q.has_pdf, -1);
    ASSERT_STR_EQ(q.venue, "nature");
    /* 0 citations is every paper: no filter. */
    ASSERT_EQ(params(&q, "query=x&min_citations=0"), 0);
    ASSERT_EQ(query_filters_asked(&q), 0u);
    REFUSED("query=x&min_citations=-1", "'min_citations'");
    REFUSED("query=x&min_citations=ten", "'min_citations'");
    REFUSED("query=x&has_pdf=yes", "'has_pdf'");
    REFUSED("query=x&venue=%20", "'venue'");
    REFUSED("query=x&journal=", "'journal'");
    REFUSED("query=x&venue=a&journal=b", "'venue'");
    /* Only the answer's names: providers' words and unknown ones refused. */
    REFUSED("query=x&type=journal-article", "'type'");
    REFUSED("query=x&type=article,poem", "'poem'");
    REFUSED("query=x&type=,", "'type'");
    ASSERT_EQ(params(&q, "query=x&type=other"), 0);
    ASSERT_EQ(q.types, 1u << PAPER_TYPE_OTHER);
    ASSERT_EQ(body(&q, "{\"query\":\"x\",\"type\":[\"preprint\",\"thesis\"],"
                       "\"min_citations\":3,\"has_pdf\":false,\"journal\":\"JHEP\"}"),
              0);
    ASSERT_EQ(q.types, (1u << PAPER_TYPE_PREPRINT) | (1u << PAPER_TYPE_THESIS));
    ASSERT_EQ(q.min_citations, 3);
    ASSERT_EQ(q.has_pdf, -1);
    ASSERT_STR_EQ(q.venue, "jhep");
    REFUSED_JSON("{\"query\":\"x\",\"type\":[\"poem\"]}", "'type'");
    query_t c;
    ASSERT_EQ(query_copy(&c, &q, A), 0);
    ASSERT_STR_EQ(c.venue, "jhep");
    ASSERT(c.venue != q.venue);
}

/* ---- the query text ---------------------------------------------------------- */

TEST(query_is_required_and_not_empty)
{
    REFUSED("", "'query' is required");
    REFUSED("limit=5", "'query' is required");
    REFUSED("query=", "'query'");
    REFUSED("query", "'query'");
    REFUSED("query=+++", "'query'");
    REFUSED("query=%09%0A%20", "'query'");
}

TEST(query_text_is_normalised)
{
    query_t q;
    ASSERT_EQ(params(&q, "query=%20%20Graph%09%09NEURAL%0Anetworks%20"), 0);
    ASSERT_STR_EQ(q.text, "graph neural networks");
    /* Control bytes carry no meaning; non-ASCII letters are kept as they are. */
    ASSERT_EQ(params(&q, "query=caf%C3%A9%01%7F+%C3%89T%C3%89"), 0);
    ASSERT_STR_EQ(q.text, "caf\xc3\xa9 \xc3\x89t\xc3\x89");
}

TEST(query_length_is_counted_in_characters)
{
    query_t q;
    /* 1000 x "é" (2000 bytes, percent-encoded 6000) is 1000 characters: accepted. */
    size_t n = 6 + 1000 * 6 + 1;
    char *qs = malloc(n + 6);
    strcpy(qs, "query=");
    for (int i = 0; i < 1000; i++)
        strcat(qs, "%C3%A9");
    ASSERT_EQ(params(&q, qs), 0);
    ASSERT_EQ(strlen(q.text), 2000);
    strcat(qs, "a"); /* 1001 characters */
    REFUSED(qs, "'query'");
    free(qs);
    /* 1000 ASCII characters pass, 1001 do not. */
    char ascii[1100] = "query=";
    memset(ascii + 6, 'a', 1000);
    ASSERT_EQ(params(&q, ascii), 0);
    ascii[1006] = 'a';
    REFUSED(ascii, "longer than 1000");
}

TEST(value_too_long_names_the_field)
{
    char *qs = malloc(6000);
    strcpy(qs, "query=x&author=");
    memset(qs + strlen(qs), 'b', 4097);
    qs[15 + 4097] = '\0';
    REFUSED(qs, "'author'");
    free(qs);
}

/* ---- the query string's syntax -------------------------------------------------- */

TEST(repeated_parameter_is_refused)
{
    REFUSED("query=a&query=b", "'query' is repeated");
    REFUSED("query=a&limit=5&limit=5", "'limit' is repeated");
    /* Spelled differently, still the same key. */
    REFUSED("query=a&%6Cimit=5&limit=6", "'limit' is repeated");
}

TEST(unknown_parameter_is_refused)
{
    REFUSED("query=a&q=b", "unknown parameter 'q'");
    REFUSED("query=a&Limit=5", "unknown parameter 'Limit'");
    REFUSED("query=a&=5", "unknown parameter");
    REFUSED("query=a&aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=1", "unknown parameter");
}

TEST(empty_pairs_are_ignored)
{
    query_t q;
    ASSERT_EQ(params(&q, "&&query=a&&limit=3&"), 0);
    ASSERT_STR_EQ(q.text, "a");
    ASSERT_EQ(q.limit, 3);
}

TEST(percent_encoding)
{
    query_t q;
    ASSERT_EQ(params(&q, "query=c%2B%2B+templates%26more%3D1"), 0);
    ASSERT_STR_EQ(q.text, "c++ templates&more=1");
    ASSERT_EQ(params(&q, "%71uery=lower%2fUPPER%2F"), 0); /* keys are decoded too */
    ASSERT_STR_EQ(q.text, "lower/upper/");
    REFUSED("query=100%", "percent-encoding");
    REFUSED("query=100%2", "percent-encoding");
    REFUSED("query=100%zz", "percent-encoding");
    REFUSED("query=a%00b", "NUL");
    REFUSED("query=a%00b", "'query'");
}

TEST(utf8_is_validated)
{
    query_t q;
    ASSERT_EQ(params(&q, "query=%F0%9F%94%AC+microscopy"), 0); /* U+1F52C, 4 bytes */
    ASSERT_EQ(params(&q, "query=%E2%88%87f"), 0);              /* U+2207 */
    REFUSED("query=%FF", "not valid UTF-8");
    REFUSED("query=%FF", "'query'");
    REFUSED("query=%C3", "UTF-8");             /* truncated sequence at the end */
    REFUSED("query=%C3x", "UTF-8");            /* bad continuation byte */
    REFUSED("query=%C0%AF", "UTF-8");          /* overlong "/" */
    REFUSED("query=%E0%80%AF", "UTF-8");       /* overlong, 3 bytes */
    REFUSED("query=%ED%A0%80", "UTF-8");       /* a UTF-16 surrogate */
    REFUSED("query=%F4%90%80%80", "UTF-8");    /* past U+10FFFF */
    REFUSED("query=%80abc", "UTF-8");          /* a lone continuation byte */
    REFUSED("query=x&author=%FE", "'author'"); /* every field is checked */
}

/* ---- JSON bodies ------------------------------------------------------------ */

TEST(json_every_field)
{
    query_t q;
    ASSERT_EQ(body(&q, "{\"query\": \"Graph  Neural\", \"limit\": 5, \"offset\": 2,"
                       " \"providers\": [\"openalex\", \"arxiv\"], \"sort\": \"citations\","
                       " \"strategy\": \"fastest\", \"date_from\": \"2019-01-01\","
                       " \"date_to\": \"2020-12-31\", \"author\": \"LeCun\","
                       " \"category\": \"cs.CV\", \"open_access\": true, \"timeout_ms\": 800}"),
              0);
    ASSERT_STR_EQ(q.text, "graph neural");
    ASSERT_EQ(q.limit, 5);
    ASSERT_EQ(q.offset, 2);
    ASSERT_EQ(q.providers, (1u << SRC_ARXIV) | (1u << SRC_OPENALEX));
    ASSERT_EQ(q.sort, SORT_CITATIONS);
    ASSERT_EQ(q.strategy, STRATEGY_FASTEST);
    ASSERT_EQ(q.year_from, 2019);
    ASSERT_EQ(q.year_to, 2020);
    ASSERT_STR_EQ(q.author, "lecun");
    ASSERT_STR_EQ(q.category, "cs.CV");
    ASSERT(q.open_access);
    ASSERT_EQ(q.deadline_ms, 800);
}

TEST(json_numbers_as_strings_and_providers_as_a_string)
{
    query_t q;
    ASSERT_EQ(body(&q, "{\"query\": \"x\", \"limit\": \"7\", \"providers\": \"exa,crossref\","
                       " \"year\": 2020, \"open_access\": \"false\"}"),
              0);
    ASSERT_EQ(q.limit, 7);
    ASSERT_EQ(q.providers, (1u << SRC_EXA) | (1u << SRC_CROSSREF));
    ASSERT_EQ(q.year_from, 2020);
    ASSERT_EQ(q.year_to, 2020);
    ASSERT(!q.open_access);
}

TEST(json_wrong_types_name_the_field)
{
    REFUSED_JSON("{\"query\": \"x\", \"limit\": 5.5}", "'limit'");
    REFUSED_JSON("{\"query\": \"x\", \"limit\": null}", "'limit'");
    REFUSED_JSON("{\"query\": \"x\", \"limit\": [5]}", "'limit'");
    REFUSED_JSON("{\"query\": \"x\", \"limit\": true}", "'limit'");
    REFUSED_JSON("{\"query\": \"x\", \"limit\": 1000}", "'limit'");
    REFUSED_JSON("{\"query\": null}", "'query'");
    REFUSED_JSON("{\"query\": {\"text\": \"x\"}}", "'query'");
    REFUSED_JSON("{\"query\": [\"x\"]}", "'query'");
    REFUSED_JSON("{\"query\": \"x\", \"providers\": [\"arxiv\", 3]}", "'providers'");
    REFUSED_JSON("{\"query\": \"x\", \"providers\": [\"arxiv\", \"nope\"]}", "nope");
    REFUSED_JSON("{\"query\": \"x\", \"providers\": []}", "'providers'");
    REFUSED_JSON("{\"query\": \"x\", \"open_access\": \"maybe\"}", "'open_access'");
    REFUSED_JSON("{\"query\": \"x\", \"sort\": 1}", "'sort'");
    REFUSED_JSON("{\"query\": \"x\", \"date_from\": 20200101}", "'date_from'");
    REFUSED_JSON("{\"query\": \"x\", \"colour\": \"red\"}", "unknown parameter 'colour'");
    REFUSED_JSON("{\"limit\": 5}", "'query' is required");
    REFUSED_JSON("{}", "'query' is required");
    /* jansson refuses \u0000 itself (no JSON_ALLOW_NUL). */
    REFUSED_JSON("{\"query\": \"a\\u0000b\"}", "not valid JSON");
}

TEST(json_body_must_be_one_valid_object)
{
    REFUSED_JSON("", "not valid JSON");
    REFUSED_JSON("{\"query\": ", "not valid JSON");
    REFUSED_JSON("{'query': 'x'}", "not valid JSON");
    REFUSED_JSON("[{\"query\": \"x\"}]", "JSON object");
    REFUSED_JSON("\"x\"", "not valid JSON"); /* a bare scalar (no JSON_DECODE_ANY) */
    REFUSED_JSON("{\"query\": \"a\", \"query\": \"b\"}", "duplicate");
    REFUSED_JSON("{\"query\": \"\xff\"}", "not valid JSON"); /* invalid UTF-8 */
    REFUSED_JSON("{\"query\": \"x\"} trailing", "not valid JSON");
}

/* ---- the canonical key ------------------------------------------------------------ */

/* query_key() is written by hand: the same bytes as its printf format,
 * which every tier's stored keys were made with. */
TEST(key_has_the_bytes_of_its_printf_format)
{
    if (!A) A = arena_new(0);
    query_t q = {0};
    const char *fmt = "v1|q=%s|p=%x|l=%d|o=%d|s=%s|st=%s|y=%d-%d|d=%s-%s|a=%s|c=%s|oa=%d";
    char want[512];
    q.text = "graph neural";
    q.providers = 0xdeadbeefu;
    q.limit = 1000;
    q.offset = 0;
    q.sort = SORT_CITATIONS;
    q.year_from = -2147483647 - 1;
    q.year_to = 2024;
    q.author = "Ada";
    q.open_access = true;
    snprintf(want, sizeof want, fmt, q.text, q.providers, q.limit, q.offset, "citations", "merge",
             q.year_from, q.year_to, "", "", "Ada", "", 1);
    ASSERT_STR_EQ(query_key(&q, A), want);
    query_t z = {0};
    snprintf(want, sizeof want, fmt, "", 0u, 0, 0, "relevance", "merge", 0, 0, "", "", "", "", 0);
    ASSERT_STR_EQ(query_key(&z, A), want);
    z.date_from = "2020-01-01";
    z.date_to = "2021-12-31";
    z.category = "cs.LG";
    z.offset = 123456789;
    snprintf(want, sizeof want, fmt, "", 0u, 0, 123456789, "relevance", "merge", 0, 0, "2020-01-01",
             "2021-12-31", "", "cs.LG", 0);
    ASSERT_STR_EQ(query_key(&z, A), want);
    z.facets = 0x1au;
    size_t n = strlen(want);
    snprintf(want + n, sizeof want - n, "|f=%x", z.facets);
    ASSERT_STR_EQ(query_key(&z, A), want);
    z.min_citations = 1000000000;
    z.types = 0x1ffu;
    z.has_pdf = -1;
    z.venue = "physical review letters";
    n = strlen(want);
    snprintf(want + n, sizeof want - n, "|mc=%ld|ty=%x|pdf=0|v=%s", z.min_citations, z.types,
             z.venue);
    ASSERT_STR_EQ(query_key(&z, A), want);
}

TEST(key_is_equal_for_equivalent_queries)
{
    char *a = key_of("query=Graph%20Neural&limit=5&providers=crossref,arxiv&sort=date");
    char *b = key_of("sort=date&providers=arxiv,crossref&limit=5&query=graph+neural");
    char *c = key_of("query=+GRAPH++neural+&providers=arxiv,crossref,arxiv&sort=date&limit=05");
    char *d = key_of_json(
        "{\"sort\": \"date\", \"query\": \"graph neural\", \"providers\": [\"crossref\","
        " \"arxiv\"], \"limit\": 5}");
    ASSERT_STR_EQ(a, b);
    ASSERT_STR_EQ(a, c);
    ASSERT_STR_EQ(a, d);
    /* Defaults spelled out or left out. */
    ASSERT_STR_EQ(key_of("query=x"),
                  key_of("query=x&limit=20&offset=0&sort=relevance&strategy=merge"
                         "&open_access=false"));
    /* year=Y is year_from=Y&year_to=Y. */
    ASSERT_STR_EQ(key_of("query=x&year=2020"), key_of("query=x&year_from=2020&year_to=2020"));
    /* The deadline is not part of the answer. */
    ASSERT_STR_EQ(key_of("query=x"), key_of("query=x&timeout_ms=900"));
}

TEST(key_differs_when_the_answer_would)
{
    const char *base = key_of("query=graph");
    const char *other[] = {
        "query=graphs",
        "query=graph&limit=21",
        "query=graph&offset=1",
        "query=graph&sort=date",
        "query=graph&strategy=fastest",
        "query=graph&providers=arxiv",
        "query=graph&year=2020",
        "query=graph&author=smith",
        "query=graph&category=cs.LG",
        "query=graph&open_access=true",
        "query=graph&date_to=2020-01-01",
        "query=graph&min_citations=1",
        "query=graph&type=article",
        "query=graph&has_pdf=true",
        "query=graph&has_pdf=false",
        "query=graph&venue=nature",
    };
    for (size_t i = 0; i < sizeof other / sizeof *other; i++)
        ASSERT_STR_NE(base, key_of(other[i]));
    /* The category is case-sensitive (arXiv's are), the author is not. */
    ASSERT_STR_NE(key_of("query=x&category=cs.lg"), key_of("query=x&category=cs.LG"));
    ASSERT_STR_EQ(key_of("query=x&author=Smith"), key_of("query=x&author=smith"));
    /* Filters: order, case and the alias do not matter; 0 citations is none. */
    ASSERT_STR_EQ(key_of("query=x&type=book,article"), key_of("query=x&type=Article,book"));
    ASSERT_STR_EQ(key_of("query=x&venue=Nature"), key_of("query=x&journal=nature"));
    ASSERT_STR_EQ(key_of("query=x&min_citations=0"), key_of("query=x"));
    ASSERT_STR_NE(key_of("query=x&has_pdf=true"), key_of("query=x&has_pdf=false"));
}

TEST(normalize_text)
{
    arena_t *a = arena_new(0);
    ASSERT_STR_EQ(query_normalize_text(a, " A\tB  C ", 8), "a b c");
    ASSERT_NULL(query_normalize_text(a, " \t\n", 3));
    ASSERT_NULL(query_normalize_text(a, "", 0));
    arena_free(a);
}

TEST_MAIN()
