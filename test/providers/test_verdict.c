/* The provider call's judge, welcome, retry budget and backoff
 * (providers/verdict.c): what the fan-out does with each kind of answer,
 * on answers built by hand and an explicit clock. */
#include <pthread.h>

#include "core/config.h"
#include "providers/verdict.h"
#include "test/providers/helpers.h"

#define MS 1000000ll
#define SEC 1000000000ll

/* A finished call with an HTTP answer (body copied, NUL-terminated). */
static prov_call_t answer(long status, const char *body, long retry_after_s)
{
    prov_call_t c;
    memset(&c, 0, sizeof c);
    c.outcome = PROV_CALL_OK;
    c.http_status = status;
    c.body = body ? strdup(body) : NULL;
    c.body_len = body ? strlen(body) : 0;
    c.retry_after_s = retry_after_s;
    c.budget_limit_usd = c.budget_remaining_usd = c.budget_cost_usd = -1;
    c.budget_reset_s = -1;
    return c;
}

static prov_call_t failed(prov_call_outcome_t outcome, const char *error)
{
    prov_call_t c = answer(0, NULL, -1);
    c.outcome = outcome;
    snprintf(c.error, sizeof c.error, "%s", error);
    return c;
}

static shm_provider_t *fresh_limits(void)
{
    static shm_provider_t p;
    memset(&p, 0, sizeof p);
    pthread_mutex_init(&p.lock, NULL);
    prov_limits_configure(&p, 0, 1);
    return &p;
}

static const sf_config_t *config(void)
{
    static sf_config_t c;
    config_defaults(&c); /* suspend_rate_limited 30s, suspend_blocked 1h, reserve 10 calls */
    return &c;
}

TEST(judge_2xx_parsed_is_ok_with_papers_and_a_success)
{
    arena_t *a = arena_new(0);
    prov_call_t c = answer(200,
                           "{\"meta\":{\"count\":1},\"results\":[{\"id\":"
                           "\"https://openalex.org/W1\",\"title\":\"A paper\"}]}",
                           -1);
    paper_list_t *papers = NULL;
    prov_verdict_t v;
    prov_judge(SRC_OPENALEX, &c, a, &papers, &v);
    ASSERT_EQ(v.status, PSTAT_OK);
    ASSERT_EQ(v.kind, CALL_SUCCESS);
    ASSERT(!v.retryable);
    ASSERT_STR_EQ(v.err, "");
    ASSERT_NOT_NULL(papers);
    ASSERT_EQ(papers->n, 1);
    ASSERT_STR_EQ(papers->items[0].title, "A paper");
    free(c.body);
    arena_free(a);
}

TEST(judge_2xx_unreadable_is_an_error_not_retried)
{
    arena_t *a = arena_new(0);
    prov_call_t c = answer(200, "<html>oops</html>", -1);
    paper_list_t *papers = NULL;
    prov_verdict_t v;
    prov_judge(SRC_OPENALEX, &c, a, &papers, &v);
    ASSERT_EQ(v.status, PSTAT_ERROR);
    ASSERT_EQ(v.kind, CALL_FAILURE);
    ASSERT(!v.retryable);
    ASSERT_NULL(papers);
    ASSERT(v.err[0] != '\0');
    free(c.body);
    arena_free(a);
}

TEST(judge_5xx_is_a_retryable_failure_with_the_providers_words)
{
    arena_t *a = arena_new(0);
    prov_call_t c = answer(503, "{\"error\":\"overloaded\",\"message\":\"try later\"}", -1);
    paper_list_t *papers = NULL;
    prov_verdict_t v;
    prov_judge(SRC_SEMANTIC_SCHOLAR, &c, a, &papers, &v);
    ASSERT_EQ(v.status, PSTAT_ERROR);
    ASSERT_EQ(v.kind, CALL_FAILURE);
    ASSERT(v.retryable);
    ASSERT_EQ(v.retry_after_ns, 0);
    ASSERT_STR_CONTAINS(v.err, "HTTP 503");
    free(c.body);
    arena_free(a);
}

TEST(judge_4xx_is_our_fault_not_the_providers)
{
    arena_t *a = arena_new(0);
    prov_call_t c = answer(400, "{\"error\":\"bad filter\"}", -1);
    paper_list_t *papers = NULL;
    prov_verdict_t v;
    prov_judge(SRC_OPENALEX, &c, a, &papers, &v);
    ASSERT_EQ(v.status, PSTAT_ERROR);
    ASSERT_EQ(v.kind, CALL_NEUTRAL); /* the breaker does not count it */
    ASSERT(!v.retryable);
    ASSERT_STR_CONTAINS(v.err, "HTTP 400");
    free(c.body);
    arena_free(a);
}

TEST(judge_429_is_rate_limited_and_keeps_retry_after)
{
    arena_t *a = arena_new(0);
    prov_call_t c = answer(429, "slow down", 7);
    paper_list_t *papers = NULL;
    prov_verdict_t v;
    prov_judge(SRC_CROSSREF, &c, a, &papers, &v);
    ASSERT_EQ(v.status, PSTAT_RATE_LIMITED);
    ASSERT_EQ(v.kind, CALL_NEUTRAL);
    ASSERT_EQ(v.answer, PROV_ANSWER_THROTTLED);
    ASSERT(v.retryable);
    ASSERT_EQ(v.retry_after_ns, 7 * SEC);
    ASSERT_STR_CONTAINS(v.err, "HTTP 429 (retry after 7 s)");
    free(c.body);
    arena_free(a);
}

TEST(judge_arxiv_rate_exceeded_200_is_throttling)
{
    arena_t *a = arena_new(0);
    prov_call_t c = answer(200, "Rate exceeded.", -1);
    paper_list_t *papers = NULL;
    prov_verdict_t v;
    prov_judge(SRC_ARXIV, &c, a, &papers, &v);
    ASSERT_EQ(v.status, PSTAT_RATE_LIMITED);
    ASSERT_NULL(papers);
    free(c.body);
    arena_free(a);
}

TEST(judge_403_is_blocked_and_not_counted_by_the_breaker)
{
    arena_t *a = arena_new(0);
    prov_call_t c = answer(403, "Forbidden", -1);
    paper_list_t *papers = NULL;
    prov_verdict_t v;
    prov_judge(SRC_SEMANTIC_SCHOLAR, &c, a, &papers, &v);
    ASSERT_EQ(v.status, PSTAT_ERROR);
    ASSERT_EQ(v.answer, PROV_ANSWER_BLOCKED);
    ASSERT_EQ(v.kind, CALL_NEUTRAL);
    ASSERT(!v.retryable);
    free(c.body);
    arena_free(a);
}

TEST(judge_transport_outcomes)
{
    arena_t *a = arena_new(0);
    paper_list_t *papers = NULL;
    prov_verdict_t v;
    prov_call_t t = failed(PROV_CALL_TIMEOUT, "Operation timed out");
    prov_judge(SRC_EXA, &t, a, &papers, &v);
    ASSERT_EQ(v.status, PSTAT_TIMEOUT);
    ASSERT_EQ(v.kind, CALL_FAILURE);
    ASSERT(!v.retryable);
    ASSERT_STR_EQ(v.err, "Operation timed out");
    prov_call_t e = failed(PROV_CALL_ERROR, "Connection refused");
    prov_judge(SRC_EXA, &e, a, &papers, &v);
    ASSERT_EQ(v.status, PSTAT_ERROR);
    ASSERT(v.retryable);
    prov_call_t big = failed(PROV_CALL_TOO_LARGE, "answer too large");
    prov_judge(SRC_EXA, &big, a, &papers, &v);
    ASSERT_EQ(v.status, PSTAT_ERROR);
    ASSERT(!v.retryable);
    arena_free(a);
}

TEST(welcome_429_without_retry_after_suspends_and_is_not_retried)
{
    arena_t *a = arena_new(0);
    shm_provider_t *lim = fresh_limits();
    prov_call_t c = answer(429, "", -1);
    paper_list_t *papers = NULL;
    prov_verdict_t v;
    prov_judge(SRC_CROSSREF, &c, a, &papers, &v);
    ASSERT(v.retryable);
    int64_t now = 1000 * SEC;
    prov_welcome(lim, config(), &c, &v, now);
    ASSERT(!v.retryable); /* a quick retry would only annoy it */
    prov_suspend_reason_t why;
    int status;
    ASSERT_EQ(prov_limits_suspended(lim, now, &why, &status), now + 30 * SEC);
    ASSERT_EQ(why, SUSPEND_RATE_LIMITED);
    ASSERT_EQ(status, 429);
    free(c.body);
    arena_free(a);
}

TEST(welcome_429_with_retry_after_suspends_that_long_and_may_retry)
{
    arena_t *a = arena_new(0);
    shm_provider_t *lim = fresh_limits();
    prov_call_t c = answer(429, "", 2);
    paper_list_t *papers = NULL;
    prov_verdict_t v;
    prov_judge(SRC_CROSSREF, &c, a, &papers, &v);
    int64_t now = 1000 * SEC;
    prov_welcome(lim, config(), &c, &v, now);
    ASSERT(v.retryable);
    prov_suspend_reason_t why;
    int status;
    ASSERT_EQ(prov_limits_suspended(lim, now, &why, &status), now + 2 * SEC);
    free(c.body);
    arena_free(a);
}

TEST(welcome_blocked_suspends_for_suspend_blocked_and_says_so)
{
    arena_t *a = arena_new(0);
    shm_provider_t *lim = fresh_limits();
    prov_call_t c = answer(402, "", -1);
    paper_list_t *papers = NULL;
    prov_verdict_t v;
    prov_judge(SRC_OPENALEX, &c, a, &papers, &v);
    ASSERT_EQ(v.answer, PROV_ANSWER_BLOCKED);
    int64_t now = 5 * SEC;
    prov_welcome(lim, config(), &c, &v, now);
    ASSERT_STR_CONTAINS(v.err, "(blocked: no call for 3600 s)");
    prov_suspend_reason_t why;
    int status;
    ASSERT_EQ(prov_limits_suspended(lim, now, &why, &status), now + 3600 * SEC);
    ASSERT_EQ(why, SUSPEND_BLOCKED);
    free(c.body);
    arena_free(a);
}

TEST(welcome_metered_budget_nearly_spent_suspends_until_the_reset)
{
    arena_t *a = arena_new(0);
    shm_provider_t *lim = fresh_limits();
    prov_call_t c = answer(200, "{\"meta\":{\"count\":0},\"results\":[]}", -1);
    c.budget_limit_usd = 1.0;
    c.budget_remaining_usd = 0.005; /* under 10 calls of 0.001 */
    c.budget_cost_usd = 0.001;
    c.budget_reset_s = 600;
    paper_list_t *papers = NULL;
    prov_verdict_t v;
    prov_judge(SRC_OPENALEX, &c, a, &papers, &v);
    ASSERT_EQ(v.status, PSTAT_OK);
    int64_t now = 7 * SEC;
    prov_welcome(lim, config(), &c, &v, now);
    prov_suspend_reason_t why;
    int status;
    ASSERT_EQ(prov_limits_suspended(lim, now, &why, &status), now + 600 * SEC);
    ASSERT_EQ(why, SUSPEND_BUDGET);
    /* with budget to spare, no suspension */
    shm_provider_t *lim2 = fresh_limits();
    c.budget_remaining_usd = 0.5;
    prov_welcome(lim2, config(), &c, &v, now);
    ASSERT_EQ(prov_limits_suspended(lim2, now, &why, &status), 0);
    free(c.body);
    arena_free(a);
}

TEST(retry_budget_allows_three_then_a_fifth_of_the_calls_alive)
{
    size_t retrying = 0;
    bool holds[8] = {0};
    for (int i = 0; i < 3; i++)
        ASSERT(prov_retry_budget_take(4, &retrying, &holds[i]));
    ASSERT(!prov_retry_budget_take(4, &retrying, &holds[3]));
    ASSERT_EQ(retrying, 3);
    ASSERT(prov_retry_budget_take(4, &retrying, &holds[0])); /* keeps its place */
    ASSERT_EQ(retrying, 3);
    /* 20 calls alive: a fifth, four, may retry */
    ASSERT(prov_retry_budget_take(20, &retrying, &holds[3]));
    ASSERT(!prov_retry_budget_take(20, &retrying, &holds[4]));
    ASSERT_EQ(retrying, 4);
}

TEST(backoff_is_full_jitter_over_a_doubling_base)
{
    for (int attempt = 0; attempt < 4; attempt++) {
        int64_t cap = PROV_RETRY_BASE_NS << attempt;
        ASSERT_EQ(prov_backoff_ns(attempt, 0, 0), 1 * MS);
        ASSERT_EQ(prov_backoff_ns(attempt, 0, (uint64_t)cap - 1), cap - 1 + 1 * MS);
        ASSERT_EQ(prov_backoff_ns(attempt, 0, (uint64_t)cap), 1 * MS); /* wraps */
    }
    ASSERT_EQ(prov_backoff_ns(0, 0, 12345 * MS), (12345 * MS) % (100 * MS) + 1 * MS);
}

TEST(backoff_follows_the_providers_retry_after)
{
    ASSERT_EQ(prov_backoff_ns(0, 3 * SEC, 999), 3 * SEC);
    ASSERT_EQ(prov_backoff_ns(5, 1 * SEC, 0), 1 * SEC);
}

TEST(retry_fits_only_with_time_for_the_call_before_the_deadline)
{
    int64_t now = 10 * SEC;
    ASSERT(prov_retry_fits(now, 50 * MS, now + 50 * MS + PROV_RETRY_MIN_CALL_NS + 1));
    ASSERT(!prov_retry_fits(now, 50 * MS, now + 50 * MS + PROV_RETRY_MIN_CALL_NS));
    ASSERT(!prov_retry_fits(now, 3 * SEC, now + 2 * SEC));
}

static int adapt_calls;
static bool adapt_yes(long status, const char *body, size_t len)
{
    (void)status, (void)body, (void)len;
    adapt_calls++;
    return true;
}

TEST(adapt_again_once_for_a_plain_4xx_the_adapter_knows)
{
    prov_def_t def = {.source = SRC_EXA, .adapt = adapt_yes};
    arena_t *a = arena_new(0);
    paper_list_t *papers = NULL;
    prov_verdict_t v;
    prov_call_t c = answer(400, "{\"error\":\"bad category\"}", -1);
    prov_judge(SRC_EXA, &c, a, &papers, &v);
    ASSERT(prov_adapt_again(&def, &c, &v, false));
    ASSERT(!prov_adapt_again(&def, &c, &v, true)); /* once per call */
    prov_call_t s = answer(503, "", -1);
    prov_judge(SRC_EXA, &s, a, &papers, &v);
    ASSERT(!prov_adapt_again(&def, &s, &v, false)); /* a 5xx is retried, not adapted */
    prov_call_t t = answer(429, "", -1);
    prov_judge(SRC_EXA, &t, a, &papers, &v);
    ASSERT(!prov_adapt_again(&def, &t, &v, false)); /* throttling is not a refusal */
    ASSERT_EQ(adapt_calls, 1);
    prov_def_t none = {.source = SRC_EXA};
    prov_judge(SRC_EXA, &c, a, &papers, &v);
    ASSERT(!prov_adapt_again(&none, &c, &v, false));
    free(c.body);
    free(s.body);
    free(t.body);
    arena_free(a);
}

TEST(judge_title_s2_no_match_is_ok_empty_and_a_success)
{
    arena_t *a = arena_new(0);
    prov_call_t c = answer(404, "{\"error\":\"Title match not found\"}", -1);
    paper_list_t *papers = NULL;
    prov_verdict_t v;
    prov_judge_title(SRC_SEMANTIC_SCHOLAR, &c, a, &papers, &v);
    ASSERT_EQ(v.status, PSTAT_OK);
    ASSERT_EQ(v.kind, CALL_SUCCESS);
    ASSERT_NOT_NULL(papers);
    ASSERT_EQ(papers->n, 0);
    ASSERT_STR_EQ(v.err, "");
    /* The same answer to a search is an error (our request, not the provider: neutral). */
    papers = NULL;
    prov_judge(SRC_SEMANTIC_SCHOLAR, &c, a, &papers, &v);
    ASSERT_EQ(v.status, PSTAT_ERROR);
    ASSERT_EQ(v.kind, CALL_NEUTRAL);
    /* A provider without that meaning: an error as usual. */
    prov_judge_title(SRC_OPENALEX, &c, a, &papers, &v);
    ASSERT_EQ(v.status, PSTAT_ERROR);
    free(c.body);
    /* Other answers of a title call are judged as a search's. */
    c = answer(503, "{\"message\":\"busy\"}", -1);
    prov_judge_title(SRC_SEMANTIC_SCHOLAR, &c, a, &papers, &v);
    ASSERT_EQ(v.status, PSTAT_ERROR);
    ASSERT_EQ(v.kind, CALL_FAILURE);
    ASSERT(v.retryable);
    free(c.body);
    c = answer(200, "{\"data\":[{\"paperId\":\"p1\",\"title\":\"A title\",\"matchScore\":9.5}]}",
               -1);
    papers = NULL;
    prov_judge_title(SRC_SEMANTIC_SCHOLAR, &c, a, &papers, &v);
    ASSERT_EQ(v.status, PSTAT_OK);
    ASSERT_EQ(papers->n, 1);
    free(c.body);
    arena_free(a);
}

/* A call that is not a search reads its answer its own way, and may take
 * a 404 for "no such paper". */
static int read_one(void *data, const char *body, size_t len, arena_t *a, paper_list_t **papers,
                    char *err, size_t errlen)
{
    (void)data;
    if (len == 0 || body[0] != '{') {
        snprintf(err, errlen, "not an object");
        return -1;
    }
    *papers = arena_calloc(a, 1, sizeof **papers);
    paper_t *p = paper_list_add(*papers, a);
    p->title = arena_strndup(a, body, len);
    return 0;
}

TEST(judge_with_a_reader_and_not_found)
{
    arena_t *a = arena_new(0);
    prov_reader_t rd = {.read = read_one, .not_found_ok = true};
    prov_call_t c = answer(200, "{}", -1);
    paper_list_t *papers = NULL;
    prov_verdict_t v;
    prov_judge_with(SRC_SEMANTIC_SCHOLAR, &c, &rd, a, &papers, &v);
    ASSERT_EQ(v.status, PSTAT_OK);
    ASSERT_EQ(papers->n, 1);
    ASSERT_STR_EQ(papers->items[0].title, "{}");
    free(c.body);

    c = answer(200, "[]", -1);
    papers = NULL;
    prov_judge_with(SRC_SEMANTIC_SCHOLAR, &c, &rd, a, &papers, &v);
    ASSERT_EQ(v.status, PSTAT_ERROR);
    ASSERT_NULL(papers);
    ASSERT_STR_EQ(v.err, "not an object");
    free(c.body);

    c = answer(404, "{\"error\":\"Paper with id DOI:10.1/x not found\"}", -1);
    prov_judge_with(SRC_SEMANTIC_SCHOLAR, &c, &rd, a, &papers, &v);
    ASSERT_EQ(v.status, PSTAT_OK);
    ASSERT_EQ(v.kind, CALL_SUCCESS);
    ASSERT_EQ(papers->n, 0);
    /* Without not_found_ok a 404 stays a refused request. */
    rd.not_found_ok = false;
    papers = NULL;
    prov_judge_with(SRC_SEMANTIC_SCHOLAR, &c, &rd, a, &papers, &v);
    ASSERT_EQ(v.status, PSTAT_ERROR);
    ASSERT_EQ(v.kind, CALL_NEUTRAL);
    free(c.body);
    arena_free(a);
}

TEST_MAIN()
