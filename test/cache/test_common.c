/* What the tiers share (cache/common.c): warming keeps a popular query as
 * URL parameters in Redis and parses them back, so query -> params -> query
 * must give the same cache key for every field a query has. */
#include <stdlib.h>
#include <string.h>

#include "cache/cache.h"
#include "test/test.h"

/* Parses qs, writes it back as params, parses those: both keys must match. */
static void round_trip(const char *qs)
{
    arena_t *a = arena_new(4096);
    query_t q, back;
    char err[256];
    if (query_parse_params(&q, qs, strlen(qs), a, err, sizeof err) < 0) {
        fprintf(stderr, "%s: %s\n", qs, err);
        ASSERT(0);
    }
    char *params = cache_query_params(&q, a);
    ASSERT_NOT_NULL(params);
    if (query_parse_params(&back, params, strlen(params), a, err, sizeof err) < 0) {
        fprintf(stderr, "%s -> %s: %s\n", qs, params, err);
        ASSERT(0);
    }
    ASSERT_STR_EQ(query_key(&back, a), query_key(&q, a));
    ASSERT_STR_EQ(cache_query_params(&back, a), params); /* a fixed point */
    arena_free(a);
}

TEST(warming_round_trip_text_only)
{
    round_trip("query=graph+neural+networks");
}

TEST(warming_round_trip_every_field)
{
    round_trip("query=attention&limit=7&offset=14&sort=date&strategy=fastest"
               "&providers=crossref,arxiv&date_from=2019-02-03&date_to=2021-12-31"
               "&author=vaswani&category=cs.CL&open_access=true");
    round_trip("query=x&year_from=2018&year_to=2021&sort=citations");
    round_trip("query=x&year=2020");
    round_trip("query=x&min_citations=50&type=article,book_chapter&has_pdf=false"
               "&venue=Nature+Physics");
    round_trip("query=x&has_pdf=true&journal=cell");
}

TEST(query_params_write_the_numbers)
{
    arena_t *a = arena_new(1024);
    query_t q;
    query_init(&q);
    q.limit = 7;
    q.offset = 140;
    q.year_from = 1999;
    q.year_to = 2021;
    char *p = cache_query_params(&q, a);
    ASSERT_NOT_NULL(p);
    ASSERT_STR_CONTAINS(p, "&limit=7&offset=140&");
    ASSERT_STR_CONTAINS(p, "&year_from=1999&year_to=2021");
    arena_free(a);
}

TEST(warming_round_trip_text_needing_escapes)
{
    round_trip("query=%C3%A9t%C3%A9+%26+hiver%3Dcold+100%25+a%2Bb+%2F%3F%23");
    round_trip("query=quantum&author=o%27brien&category=quant-ph");
}

TEST(warming_round_trip_every_provider)
{
    round_trip("query=x&providers=arxiv,semantic_scholar,exa,openalex,crossref");
}

TEST(query_params_of_a_query_with_no_text)
{
    arena_t *a = arena_new(1024);
    query_t q;
    query_init(&q);
    char *p = cache_query_params(&q, a);
    ASSERT_NOT_NULL(p);
    ASSERT_STR_CONTAINS(p, "query=&limit=20");
    arena_free(a);
}

TEST_MAIN()
