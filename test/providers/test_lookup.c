/* Lookups by id in the adapters (providers/lookup.c and each adapter's
 * lookup region): the requests built for one id and for a batch, and the
 * answers read into one paper per id in the ids' order, on answers the
 * live APIs really sent (fixtures/README.md). */
#include "core/paper_id.h"
#include "test/providers/helpers.h"

static paper_ref_t ref(arena_t *a, const char *text)
{
    paper_ref_t r;
    ASSERT_EQ(paper_ref_parse(a, text, strlen(text), &r), 0);
    return r;
}

static bool starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static const prov_settings_t ps = {.base_url = "https://api.example", .mailto = "me@example.org"};

TEST(s2_single_and_batch_requests)
{
    arena_t *a = arena_new(0);
    paper_ref_t ids[3] = {ref(a, "corpus:470667"), ref(a, "10.2139/ssrn.2250500"),
                          ref(a, "0f40b1f08821e22e859c6050916cec3667778613")};
    prov_request_t rq = {0};
    char err[200];
    ASSERT_EQ(prov_semantic_scholar.lookup_build(&ids[1], 1, &ps, a, &rq, err, sizeof err), 0);
    ASSERT_STR_EQ(rq.method, "GET");
    ASSERT(starts(rq.url, "https://api.example/graph/v1/paper/DOI:10.2139/ssrn.2250500?fields="));
    memset(&rq, 0, sizeof rq);
    ASSERT_EQ(prov_semantic_scholar.lookup_build(ids, 3, &ps, a, &rq, err, sizeof err), 0);
    ASSERT_STR_EQ(rq.method, "POST");
    ASSERT(starts(rq.url, "https://api.example/graph/v1/paper/batch?fields="));
    ASSERT_STR_EQ(rq.body, "{\"ids\":[\"CorpusId:470667\",\"DOI:10.2139/ssrn.2250500\","
                           "\"0f40b1f08821e22e859c6050916cec3667778613\"]}");
    arena_free(a);
}

TEST(s2_batch_answer_in_order_with_its_null)
{
    /* danielnsilva/semanticscholar's recorded batch of four: the first unknown. */
    arena_t *a = arena_new(0);
    paper_ref_t ids[4] = {ref(a, "corpus:211530585"), ref(a, "corpus:470667"),
                          ref(a, "10.2139/ssrn.2250500"),
                          ref(a, "0f40b1f08821e22e859c6050916cec3667778613")};
    size_t len;
    char *body = fixture_read("semantic_scholar/real_batch_not_found.json", &len);
    paper_list_t *out = NULL;
    char err[200] = "";
    ASSERT_EQ(prov_lookup_read(&prov_semantic_scholar, ids, 4, body, len, a, &out, err, sizeof err),
              0);
    ASSERT_EQ(out->n, 4);
    ASSERT_EQ(out->items[0].nsources, 0);
    ASSERT_STR_EQ(out->items[1].title,
                  "How Much Should We Trust Differences-in-Differences Estimates?");
    ASSERT_STR_EQ(out->items[1].sources[0].id, "c31c87c591a25c64fbaa82e8ac6a81831b6ac7ce");
    ASSERT_STR_EQ(out->items[2].doi, "10.2139/ssrn.2250500");
    ASSERT_STR_EQ(out->items[3].doi, "10.1257/rct.1355");
    ASSERT_EQ(out->items[3].sources[0].source, SRC_SEMANTIC_SCHOLAR);
    free(body);
    /* The single-paper path: the object itself. */
    body = fixture_read("semantic_scholar/real_paper_title.json", &len);
    paper_ref_t one = ref(a, "10.1093/mind/lix.236.433");
    ASSERT_EQ(
        prov_lookup_read(&prov_semantic_scholar, &one, 1, body, len, a, &out, err, sizeof err), 0);
    ASSERT_EQ(out->n, 1);
    ASSERT_STR_EQ(out->items[0].title, "Computing Machinery and Intelligence");
    free(body);
    arena_free(a);
}

TEST(crossref_work_and_batch_request)
{
    /* sckott/habanero's recorded /works/10.1371/journal.pone.0033693. */
    arena_t *a = arena_new(0);
    paper_ref_t ids[2] = {ref(a, "doi:10.1371/journal.pone.0033693"), ref(a, "10.1/b")};
    prov_request_t rq = {0};
    char err[200];
    ASSERT_EQ(prov_crossref.lookup_build(ids, 1, &ps, a, &rq, err, sizeof err), 0);
    ASSERT_STR_EQ(rq.url,
                  "https://api.example/works/10.1371/journal.pone.0033693?mailto=me%40example.org");
    memset(&rq, 0, sizeof rq);
    ASSERT_EQ(prov_crossref.lookup_build(ids, 2, &ps, a, &rq, err, sizeof err), 0);
    ASSERT(strstr(rq.url, "/works?filter=doi:10.1371%2Fjournal.pone.0033693,doi:10.1%2Fb&rows=2"));
    size_t len;
    char *body = fixture_read("crossref/real_work.json", &len);
    paper_list_t *out = NULL;
    ASSERT_EQ(prov_lookup_read(&prov_crossref, ids, 1, body, len, a, &out, err, sizeof err), 0);
    ASSERT_EQ(out->n, 1);
    ASSERT_STR_EQ(out->items[0].doi, "10.1371/journal.pone.0033693");
    ASSERT_STR_CONTAINS(out->items[0].title, "Methylphenidate Exposure");
    /* In a list answer ({"message": {"items": [work]}}, the recorded work
     * put in one), the work is matched to its id by DOI. */
    const char *m = memmem(body, len, "\"message\": {", 12); /* body has no NUL */
    ASSERT_NOT_NULL(m);
    m += strlen("\"message\": ");
    size_t mlen = len - (size_t)(m - body) - 1; /* the message object, without the root's '}' */
    while (mlen && body[(m - body) + mlen - 1] != '}')
        mlen--;
    char *list = arena_sprintf(a, "{\"message\":{\"items\":[%.*s]}}", (int)mlen, m);
    ASSERT_EQ(
        prov_lookup_read(&prov_crossref, ids, 2, list, strlen(list), a, &out, err, sizeof err), 0);
    ASSERT_EQ(out->items[0].nsources, 1);
    ASSERT_EQ(out->items[1].nsources, 0);
    free(body);
    arena_free(a);
}

TEST(openalex_requests_by_kind)
{
    arena_t *a = arena_new(0);
    paper_ref_t w[2] = {ref(a, "W2741809807"), ref(a, "https://openalex.org/W1")};
    paper_ref_t d = ref(a, "10.7717/peerj.4375");
    prov_request_t rq = {0};
    char err[200];
    ASSERT_EQ(prov_openalex.lookup_build(&d, 1, &ps, a, &rq, err, sizeof err), 0);
    ASSERT(starts(rq.url, "https://api.example/works/doi:10.7717/peerj.4375?select="));
    memset(&rq, 0, sizeof rq);
    ASSERT_EQ(prov_openalex.lookup_build(w, 2, &ps, a, &rq, err, sizeof err), 0);
    ASSERT(starts(rq.url, "https://api.example/works?filter=openalex:W2741809807%7CW1&per-page=2"));
    paper_ref_t mixed[2] = {w[0], d};
    memset(&rq, 0, sizeof rq);
    ASSERT_EQ(prov_openalex.lookup_build(mixed, 2, &ps, a, &rq, err, sizeof err), -1);
    arena_free(a);
}

TEST(dois_with_filter_separators_are_asked_alone)
{
    arena_t *a = arena_new(0);
    paper_ref_t plain = ref(a, "10.7717/peerj.4375"), comma = ref(a, "doi:10.1000/a,b"),
                bar = ref(a, "doi:10.1000/a|b"), wid = ref(a, "W1");
    /* OpenAlex's OR-filter splits on both, Crossref's filter list on ",". */
    ASSERT(!prov_openalex.lookup_alone(&plain));
    ASSERT(prov_openalex.lookup_alone(&comma));
    ASSERT(prov_openalex.lookup_alone(&bar));
    ASSERT(!prov_openalex.lookup_alone(&wid));
    ASSERT(!prov_crossref.lookup_alone(&plain));
    ASSERT(prov_crossref.lookup_alone(&comma));
    ASSERT(!prov_crossref.lookup_alone(&bar));
    /* Alone, it is a path segment, where neither separates anything. */
    prov_request_t rq = {0};
    char err[200];
    ASSERT_EQ(prov_openalex.lookup_build(&bar, 1, &ps, a, &rq, err, sizeof err), 0);
    ASSERT(starts(rq.url, "https://api.example/works/doi:10.1000/a"));
    ASSERT(strstr(rq.url, "filter=") == NULL);
    arena_free(a);
}

TEST(arxiv_id_list_matched_by_id)
{
    /* lukasschwab/arxiv.py's recorded feed: its entries found by their ids. */
    arena_t *a = arena_new(0);
    paper_ref_t ids[3] = {ref(a, "arxiv:2405.13786"), ref(a, "arxiv:9999.99999"),
                          ref(a, "2202.12139v3")};
    prov_request_t rq = {0};
    char err[200];
    ASSERT_EQ(prov_arxiv.lookup_build(ids, 3, &ps, a, &rq, err, sizeof err), 0);
    ASSERT_STR_EQ(rq.url, "https://api.example/api/query?id_list=2405.13786,9999.99999,2202.12139"
                          "&start=0&max_results=3");
    size_t len;
    char *body = fixture_read("arxiv/real_q_testing.xml", &len);
    paper_list_t *out = NULL;
    ASSERT_EQ(prov_lookup_read(&prov_arxiv, ids, 3, body, len, a, &out, err, sizeof err), 0);
    ASSERT_EQ(out->n, 3);
    ASSERT_STR_EQ(out->items[0].arxiv_id, "2405.13786");
    ASSERT_EQ(out->items[1].nsources, 0);
    ASSERT_STR_EQ(out->items[2].arxiv_id, "2202.12139");
    free(body);
    arena_free(a);
}

TEST_MAIN()
