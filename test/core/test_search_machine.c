/* The search state machine (core/search.c) driven on a real uv loop by a
 * fake backend (fake_backend.h): providers that answer after scripted
 * delays, inside start(), late, or never. Also the direct search service
 * (core/search_direct.c) on top of it. Timings are loose on purpose (tens
 * of ms against deadlines of 100+ ms) so the tests hold under ASan on a
 * loaded machine. */
#include <jansson.h>
#include <uv.h>

#include "core/clock.h"
#include "core/defer.h"
#include "core/search.h"
#include "core/search_direct.h"
#include "test/core/fake_backend.h"
#include "test/test.h"

#define ALL_FIVE                                                                                   \
    ((1u << SRC_ARXIV) | (1u << SRC_SEMANTIC_SCHOLAR) | (1u << SRC_EXA) | (1u << SRC_OPENALEX) |   \
     (1u << SRC_CROSSREF))

typedef struct run {
    int done_calls;
    int status;
    json_t *body;
    uint64_t start_ns, done_ns;
    bool in_start; /* search_start() is running */
    bool done_in_start;
} run_t;

static void on_done(search_t *s, void *data)
{
    run_t *r = data;
    r->done_calls++;
    r->done_ns = clock_now_ns();
    r->done_in_start = r->in_start;
    r->status = search_status(s);
    blob_t *b = search_body(s);
    if (!b) abort();
    json_error_t e;
    json_decref(r->body);
    r->body = json_loadb(b->data, b->len, 0, &e);
    if (!r->body) {
        fprintf(stderr, "answer is not JSON: %s\n%.*s\n", e.text, (int)b->len, b->data);
        abort();
    }
}

typedef struct fixture {
    uv_loop_t loop;
    fake_backend_t fb;
    query_t q;
    run_t run;
    search_t *s;
} fixture_t;

static void fx_setup(fixture_t *f)
{
    memset(f, 0, sizeof *f);
    ASSERT_EQ(uv_loop_init(&f->loop), 0);
    fake_init(&f->fb, &f->loop);
    query_init(&f->q);
    f->q.text = "paper";
}

static void fx_start(fixture_t *f, unsigned enabled, int deadline_ms)
{
    f->run.start_ns = clock_now_ns();
    f->run.in_start = true;
    f->s = search_start(&f->loop, &f->q, enabled, &f->fb.backend, deadline_ms, on_done, &f->run);
    f->run.in_start = false;
    ASSERT_NOT_NULL(f->s);
}

/* Runs the loop until nothing is active (the answer is in, and every fake
 * call that was going to answer has). */
static void fx_run(fixture_t *f)
{
    uv_run(&f->loop, UV_RUN_DEFAULT);
}

/* Frees the search, lets every handle close and checks none is left. */
static void fx_teardown(fixture_t *f)
{
    search_free(f->s);
    f->s = NULL;
    uv_run(&f->loop, UV_RUN_DEFAULT);
    ASSERT_EQ(f->fb.live_calls, 0);
    ASSERT_EQ(uv_loop_close(&f->loop), 0);
    json_decref(f->run.body);
}

static double elapsed_ms(const run_t *r)
{
    return (double)(r->done_ns - r->start_ns) / 1e6;
}

static json_t *provider_json(const run_t *r, const char *name)
{
    return json_object_get(json_object_get(r->body, "providers"), name);
}

static const char *pstatus(const run_t *r, const char *name)
{
    json_t *p = provider_json(r, name);
    return p ? json_string_value(json_object_get(p, "status")) : NULL;
}

static const char *perror_of(const run_t *r, const char *name)
{
    json_t *p = provider_json(r, name);
    return p ? json_string_value(json_object_get(p, "error")) : NULL;
}

static long presults(const run_t *r, const char *name)
{
    json_t *p = provider_json(r, name);
    return p ? (long)json_integer_value(json_object_get(p, "results")) : -1;
}

static size_t npapers(const run_t *r)
{
    return json_array_size(json_object_get(r->body, "papers"));
}

static long total_of(const run_t *r)
{
    return (long)json_integer_value(json_object_get(r->body, "total"));
}

static bool partial_of(const run_t *r)
{
    return json_is_true(json_object_get(r->body, "partial"));
}

/* Does some paper of the answer come from provider name? */
static bool has_source(const run_t *r, const char *name)
{
    size_t i, j;
    json_t *p, *src;
    json_array_foreach(json_object_get(r->body, "papers"), i, p)
    {
        json_array_foreach(json_object_get(p, "sources"), j, src)
        {
            if (strcmp(json_string_value(json_object_get(src, "provider")), name) == 0) return true;
        }
    }
    return false;
}

/* ---- every provider answers -------------------------------------------- */

TEST(all_answer_merged_200)
{
    fixture_t f;
    fx_setup(&f);
    /* arXiv, S2 and OpenAlex return the same three papers (same DOIs);
     * Crossref and Exa their own. */
    for (int s = 0; s < SRC_LOCAL; s++) {
        f.fb.script[s].delay_ms = 5 + 5 * s;
        f.fb.script[s].npapers = 3;
    }
    const int shared[] = {SRC_ARXIV, SRC_SEMANTIC_SCHOLAR, SRC_OPENALEX};
    for (int i = 0; i < 3; i++) {
        f.fb.script[shared[i]].title_base = "shared";
        f.fb.script[shared[i]].doi_base = "shared";
    }
    fx_start(&f, ALL_FIVE, 2000);
    ASSERT_EQ(f.run.done_calls, 0); /* nothing answers inside start() */
    fx_run(&f);
    ASSERT_EQ(f.run.done_calls, 1);
    ASSERT_EQ(f.run.status, 200);
    ASSERT_EQ(search_status(f.s), 200);
    ASSERT(!partial_of(&f.run));
    ASSERT_EQ(fake_started_total(&f.fb), 5);
    ASSERT_EQ(fake_cancelled_total(&f.fb), 0);
    ASSERT_EQ(json_object_size(json_object_get(f.run.body, "providers")), 5);
    const char *names[] = {"arxiv", "semantic_scholar", "exa", "openalex", "crossref"};
    for (int i = 0; i < 5; i++) {
        ASSERT_STR_EQ(pstatus(&f.run, names[i]), "ok");
        ASSERT_EQ(presults(&f.run, names[i]), 3);
        ASSERT_NULL(perror_of(&f.run, names[i]));
    }
    /* 3 shared + 3 Exa + 3 Crossref distinct papers. */
    ASSERT_EQ(total_of(&f.run), 9);
    ASSERT_EQ(npapers(&f.run), 9);
    size_t i;
    json_t *p;
    int merged = 0;
    json_array_foreach(json_object_get(f.run.body, "papers"), i, p)
    {
        size_t ns = json_array_size(json_object_get(p, "sources"));
        if (strstr(json_string_value(json_object_get(p, "title")), "shared")) {
            ASSERT_EQ(ns, 3);
            merged++;
        } else {
            ASSERT_EQ(ns, 1);
        }
    }
    ASSERT_EQ(merged, 3);
    /* The shared papers rank first: three providers agree on them. */
    ASSERT_STR_CONTAINS(json_string_value(json_object_get(
                            json_array_get(json_object_get(f.run.body, "papers"), 0), "title")),
                        "shared");
    ASSERT_LT(elapsed_ms(&f.run), 1000);
    fx_teardown(&f);
}

TEST(answer_waits_for_the_slowest_provider_within_the_deadline)
{
    fixture_t f;
    fx_setup(&f);
    f.fb.script[SRC_CROSSREF].delay_ms = 120;
    fx_start(&f, ALL_FIVE, 3000);
    fx_run(&f);
    ASSERT_EQ(f.run.done_calls, 1);
    ASSERT_GE(elapsed_ms(&f.run), 110);
    ASSERT_STR_EQ(pstatus(&f.run, "crossref"), "ok");
    ASSERT(!partial_of(&f.run));
    fx_teardown(&f);
}

TEST(limit_and_offset_apply_to_the_merged_list)
{
    fixture_t f;
    fx_setup(&f);
    for (int s = 0; s < SRC_LOCAL; s++)
        f.fb.script[s].npapers = 4;
    f.q.limit = 5;
    f.q.offset = 2;
    fx_start(&f, ALL_FIVE, 2000);
    fx_run(&f);
    ASSERT_EQ(f.run.status, 200);
    ASSERT_EQ(total_of(&f.run), 20);
    ASSERT_EQ(npapers(&f.run), 5);
    ASSERT_EQ(json_integer_value(json_object_get(f.run.body, "limit")), 5);
    ASSERT_EQ(json_integer_value(json_object_get(f.run.body, "offset")), 2);
    fx_teardown(&f);
}

TEST(ok_with_null_papers_counts_zero_results)
{
    fixture_t f;
    fx_setup(&f);
    f.fb.script[SRC_EXA].null_papers = true;
    fx_start(&f, ALL_FIVE, 2000);
    fx_run(&f);
    ASSERT_EQ(f.run.status, 200);
    ASSERT_STR_EQ(pstatus(&f.run, "exa"), "ok");
    ASSERT_EQ(presults(&f.run, "exa"), 0);
    ASSERT(!partial_of(&f.run));
    fx_teardown(&f);
}

/* ---- the deadline ---------------------------------------------------------- */

TEST(slow_provider_past_deadline_times_out_and_answer_is_partial)
{
    fixture_t f;
    fx_setup(&f);
    f.fb.script[SRC_CROSSREF].delay_ms = 3000;
    fx_start(&f, ALL_FIVE, 150);
    fx_run(&f);
    ASSERT_EQ(f.run.done_calls, 1);
    ASSERT_EQ(f.run.status, 200);
    /* At the deadline, not when the slow one would have answered. */
    ASSERT_GE(elapsed_ms(&f.run), 140);
    ASSERT_LT(elapsed_ms(&f.run), 1500);
    ASSERT(partial_of(&f.run));
    ASSERT_STR_EQ(pstatus(&f.run, "crossref"), "timeout");
    ASSERT_STR_CONTAINS(perror_of(&f.run, "crossref"), "deadline");
    ASSERT_EQ(presults(&f.run, "crossref"), 0);
    ASSERT_EQ(f.fb.cancelled[SRC_CROSSREF], 1);
    ASSERT_EQ(fake_cancelled_total(&f.fb), 1);
    ASSERT_STR_EQ(pstatus(&f.run, "arxiv"), "ok");
    ASSERT_EQ(total_of(&f.run), 12); /* the four others' papers are all there */
    ASSERT(!has_source(&f.run, "crossref"));
    /* The timed-out provider's latency is the time it was given. */
    json_t *lat = json_object_get(provider_json(&f.run, "crossref"), "latency_ms");
    ASSERT(json_is_number(lat));
    ASSERT_GE((long)json_number_value(lat), 140);
    fx_teardown(&f);
}

TEST(provider_that_never_answers_times_out)
{
    fixture_t f;
    fx_setup(&f);
    f.fb.script[SRC_OPENALEX].delay_ms = FAKE_NEVER;
    fx_start(&f, ALL_FIVE, 120);
    fx_run(&f);
    ASSERT_EQ(f.run.done_calls, 1);
    ASSERT_EQ(f.run.status, 200);
    ASSERT_STR_EQ(pstatus(&f.run, "openalex"), "timeout");
    ASSERT_EQ(f.fb.cancelled[SRC_OPENALEX], 1);
    ASSERT(partial_of(&f.run));
    fx_teardown(&f);
}

TEST(every_provider_times_out_is_502)
{
    fixture_t f;
    fx_setup(&f);
    for (int s = 0; s < SRC_LOCAL; s++)
        f.fb.script[s].delay_ms = FAKE_NEVER;
    fx_start(&f, ALL_FIVE, 100);
    fx_run(&f);
    ASSERT_EQ(f.run.done_calls, 1);
    ASSERT_EQ(f.run.status, 502);
    ASSERT_EQ(fake_cancelled_total(&f.fb), 5);
    ASSERT_STR_EQ(pstatus(&f.run, "exa"), "timeout");
    ASSERT_EQ(npapers(&f.run), 0);
    fx_teardown(&f);
}

TEST(late_answer_after_the_deadline_is_dropped)
{
    fixture_t f;
    fx_setup(&f);
    /* Crossref ignores cancel() and answers 200 ms after a 80 ms deadline. */
    f.fb.script[SRC_CROSSREF].delay_ms = 250;
    f.fb.script[SRC_CROSSREF].ignore_cancel = true;
    f.fb.script[SRC_CROSSREF].npapers = 7;
    fx_start(&f, ALL_FIVE, 80);
    fx_run(&f); /* runs until the late answer too: its timer keeps the loop alive */
    ASSERT_EQ(f.run.done_calls, 1);
    ASSERT_EQ(f.fb.answered_late[SRC_CROSSREF], 1);
    ASSERT_STR_EQ(pstatus(&f.run, "crossref"), "timeout");
    /* The search's own view did not change either. */
    blob_t *b = search_body(f.s);
    json_t *again = json_loadb(b->data, b->len, 0, NULL);
    ASSERT_NOT_NULL(again);
    ASSERT(json_equal(again, f.run.body));
    json_decref(again);
    ASSERT_EQ(search_status(f.s), 200);
    ASSERT_EQ(total_of(&f.run), 12);
    fx_teardown(&f);
}

TEST(second_answer_from_the_same_provider_is_dropped)
{
    fixture_t f;
    fx_setup(&f);
    for (int s = 0; s < SRC_LOCAL; s++)
        f.fb.script[s].delay_ms = FAKE_NEVER;
    f.q.providers = (1u << SRC_ARXIV) | (1u << SRC_EXA);
    fx_start(&f, ALL_FIVE, 2000);
    uv_run(&f.loop, UV_RUN_NOWAIT);
    /* arXiv answers twice; the second (an error) must not overwrite the first. */
    paper_list_t *l = fake__papers(&f.fb.script[SRC_ARXIV], f.s, SRC_ARXIV);
    search_provider_done(f.s, SRC_ARXIV, PSTAT_OK, l, 1, NULL);
    search_provider_done(f.s, SRC_ARXIV, PSTAT_ERROR, NULL, 2, "second answer");
    ASSERT_EQ(f.run.done_calls, 0);
    search_provider_done(f.s, SRC_EXA, PSTAT_OK, NULL, 3, NULL);
    ASSERT_EQ(f.run.done_calls, 1);
    ASSERT_STR_EQ(pstatus(&f.run, "arxiv"), "ok");
    ASSERT_EQ(presults(&f.run, "arxiv"), 3);
    /* After the answer, any report is dropped. */
    search_provider_done(f.s, SRC_EXA, PSTAT_ERROR, NULL, 4, "too late");
    ASSERT_EQ(f.run.done_calls, 1);
    ASSERT_EQ(search_status(f.s), 200);
    /* The fake calls are still pending on their (never started) timers:
     * search_free must not cancel anything once the answer is out. */
    search_free(f.s);
    f.s = NULL;
    ASSERT_EQ(fake_cancelled_total(&f.fb), 0);
    /* Close the fake calls by hand (the search is done with them). */
    fake_close_all(&f.fb);
    fx_teardown(&f);
}

/* ---- failures ---------------------------------------------------------------- */

TEST(all_fail_is_502_with_detail)
{
    fixture_t f;
    fx_setup(&f);
    const char *msgs[] = {"HTTP 500", "connection refused", "unreadable answer", "HTTP 503",
                          "HTTP 429 (retry after 5 s)"};
    for (int s = 0; s < SRC_LOCAL; s++) {
        f.fb.script[s].status = s == SRC_CROSSREF ? PSTAT_RATE_LIMITED : PSTAT_ERROR;
        f.fb.script[s].error = msgs[s];
        f.fb.script[s].delay_ms = 5 + s * 3;
    }
    fx_start(&f, ALL_FIVE, 2000);
    fx_run(&f);
    ASSERT_EQ(f.run.done_calls, 1);
    ASSERT_EQ(f.run.status, 502);
    json_t *err = json_object_get(f.run.body, "error");
    ASSERT(json_is_object(err));
    ASSERT_STR_EQ(json_string_value(json_object_get(err, "code")), "bad_gateway");
    ASSERT_NOT_NULL(json_string_value(json_object_get(err, "message")));
    /* The detail: every provider with its status and its own message (copied
     * by the search: the fake wipes its buffer after reporting). */
    const char *names[] = {"arxiv", "semantic_scholar", "exa", "openalex", "crossref"};
    for (int s = 0; s < SRC_LOCAL; s++) {
        ASSERT_STR_EQ(pstatus(&f.run, names[s]), s == SRC_CROSSREF ? "rate_limited" : "error");
        ASSERT_STR_EQ(perror_of(&f.run, names[s]), msgs[s]);
    }
    ASSERT(partial_of(&f.run));
    ASSERT_EQ(npapers(&f.run), 0);
    ASSERT_EQ(total_of(&f.run), 0);
    fx_teardown(&f);
}

TEST(one_failure_leaves_the_others_intact)
{
    fixture_t f;
    fx_setup(&f);
    f.fb.script[SRC_EXA].status = PSTAT_ERROR;
    f.fb.script[SRC_EXA].error = "HTTP 500";
    f.fb.script[SRC_OPENALEX].status = PSTAT_CIRCUIT_OPEN;
    f.fb.script[SRC_OPENALEX].error = "skipped";
    f.fb.script[SRC_OPENALEX].delay_ms = FAKE_SYNC;
    fx_start(&f, ALL_FIVE, 2000);
    fx_run(&f);
    ASSERT_EQ(f.run.status, 200);
    ASSERT(partial_of(&f.run));
    ASSERT_STR_EQ(pstatus(&f.run, "exa"), "error");
    ASSERT_STR_EQ(perror_of(&f.run, "exa"), "HTTP 500");
    ASSERT_STR_EQ(pstatus(&f.run, "openalex"), "circuit_open");
    ASSERT_EQ(presults(&f.run, "exa"), 0);
    ASSERT_EQ(total_of(&f.run), 9);
    ASSERT(!has_source(&f.run, "exa"));
    ASSERT(has_source(&f.run, "crossref"));
    fx_teardown(&f);
}

TEST(papers_of_a_failed_provider_are_ignored)
{
    fixture_t f;
    fx_setup(&f);
    f.fb.script[SRC_ARXIV].status = PSTAT_ERROR; /* reports papers anyway */
    f.fb.script[SRC_ARXIV].npapers = 5;
    fx_start(&f, ALL_FIVE, 2000);
    fx_run(&f);
    ASSERT_EQ(f.run.status, 200);
    ASSERT_EQ(presults(&f.run, "arxiv"), 0);
    ASSERT(!has_source(&f.run, "arxiv"));
    fx_teardown(&f);
}

/* ---- strategy "fastest" ------------------------------------------------------- */

TEST(fastest_answers_with_the_first_and_cancels_the_others)
{
    fixture_t f;
    fx_setup(&f);
    f.q.strategy = STRATEGY_FASTEST;
    for (int s = 0; s < SRC_LOCAL; s++)
        f.fb.script[s].delay_ms = 2000;
    f.fb.script[SRC_SEMANTIC_SCHOLAR].delay_ms = 20;
    fx_start(&f, ALL_FIVE, 5000);
    fx_run(&f);
    ASSERT_EQ(f.run.done_calls, 1);
    ASSERT_EQ(f.run.status, 200);
    ASSERT_LT(elapsed_ms(&f.run), 1000);
    ASSERT_EQ(f.fb.cancelled[SRC_SEMANTIC_SCHOLAR], 0);
    const char *others[] = {"arxiv", "exa", "openalex", "crossref"};
    const source_t osrc[] = {SRC_ARXIV, SRC_EXA, SRC_OPENALEX, SRC_CROSSREF};
    for (int i = 0; i < 4; i++) {
        ASSERT_EQ(f.fb.cancelled[osrc[i]], 1);
        ASSERT_STR_EQ(pstatus(&f.run, others[i]), "cancelled");
        ASSERT_EQ(f.fb.answered[osrc[i]], 0);
    }
    ASSERT_STR_EQ(pstatus(&f.run, "semantic_scholar"), "ok");
    ASSERT_EQ(total_of(&f.run), 3);
    ASSERT(has_source(&f.run, "semantic_scholar"));
    ASSERT(!has_source(&f.run, "arxiv"));
    fx_teardown(&f);
}

TEST(fastest_skips_failures_and_empty_answers)
{
    fixture_t f;
    fx_setup(&f);
    f.q.strategy = STRATEGY_FASTEST;
    f.q.providers = (1u << SRC_ARXIV) | (1u << SRC_EXA) | (1u << SRC_CROSSREF);
    f.fb.script[SRC_ARXIV].delay_ms = 5;
    f.fb.script[SRC_ARXIV].status = PSTAT_ERROR;
    f.fb.script[SRC_ARXIV].error = "HTTP 500";
    f.fb.script[SRC_EXA].delay_ms = 15;
    f.fb.script[SRC_EXA].npapers = 0; /* ok but nothing found */
    f.fb.script[SRC_CROSSREF].delay_ms = 40;
    fx_start(&f, ALL_FIVE, 3000);
    fx_run(&f);
    ASSERT_EQ(f.run.done_calls, 1);
    ASSERT_EQ(f.run.status, 200);
    ASSERT_STR_EQ(pstatus(&f.run, "arxiv"), "error");
    ASSERT_STR_EQ(pstatus(&f.run, "exa"), "ok");
    ASSERT_STR_EQ(pstatus(&f.run, "crossref"), "ok");
    ASSERT_EQ(fake_cancelled_total(&f.fb), 0); /* nothing left to cancel */
    ASSERT_EQ(total_of(&f.run), 3);
    fx_teardown(&f);
}

TEST(fastest_with_a_synchronous_answer_cancels_the_others_at_once)
{
    fixture_t f;
    fx_setup(&f);
    f.q.strategy = STRATEGY_FASTEST;
    for (int s = 0; s < SRC_LOCAL; s++)
        f.fb.script[s].delay_ms = FAKE_NEVER;
    f.fb.script[SRC_ARXIV].delay_ms = FAKE_SYNC;
    fx_start(&f, ALL_FIVE, 3000);
    /* arXiv answered inside start(): the answer is ready when search_start returns. */
    ASSERT_EQ(f.run.done_calls, 1);
    ASSERT(f.run.done_in_start);
    ASSERT_EQ(f.run.status, 200);
    /* The others were started (ask everyone first), then cancelled. */
    ASSERT_EQ(fake_started_total(&f.fb), 5);
    ASSERT_EQ(fake_cancelled_total(&f.fb), 4);
    fx_run(&f);
    ASSERT_EQ(f.run.done_calls, 1);
    fx_teardown(&f);
}

/* ---- strategy "first" --------------------------------------------------------- */

static const source_t FIRST_ORDER[] = {SRC_OPENALEX, SRC_ARXIV, SRC_CROSSREF};

TEST(first_waits_for_the_preferred_provider_and_answers_with_it_alone)
{
    fixture_t f;
    fx_setup(&f);
    search_set_first_order(FIRST_ORDER, 3);
    f.q.strategy = STRATEGY_FIRST;
    f.fb.script[SRC_ARXIV].delay_ms = 5; /* answers first, but comes second in the order */
    f.fb.script[SRC_OPENALEX].delay_ms = 60;
    f.fb.script[SRC_CROSSREF].delay_ms = FAKE_NEVER;
    f.fb.script[SRC_SEMANTIC_SCHOLAR].delay_ms = FAKE_NEVER;
    f.fb.script[SRC_EXA].delay_ms = FAKE_NEVER;
    fx_start(&f, ALL_FIVE, 5000);
    fx_run(&f);
    ASSERT_EQ(f.run.done_calls, 1);
    ASSERT_EQ(f.run.status, 200);
    ASSERT_LT(elapsed_ms(&f.run), 1000);
    ASSERT_STR_EQ(pstatus(&f.run, "openalex"), "ok");
    ASSERT_STR_EQ(pstatus(&f.run, "arxiv"), "ok");
    ASSERT(has_source(&f.run, "openalex"));
    ASSERT(!has_source(&f.run, "arxiv")); /* answered, but not the first in the order */
    ASSERT_EQ(total_of(&f.run), 3);
    ASSERT_EQ(f.fb.cancelled[SRC_CROSSREF], 1);
    ASSERT_STR_EQ(pstatus(&f.run, "crossref"), "cancelled");
    search_set_first_order(NULL, -1);
    fx_teardown(&f);
}

TEST(first_passes_over_failed_and_empty_providers_in_order)
{
    fixture_t f;
    fx_setup(&f);
    search_set_first_order(FIRST_ORDER, 3);
    f.q.strategy = STRATEGY_FIRST;
    f.q.providers = (1u << SRC_OPENALEX) | (1u << SRC_ARXIV) | (1u << SRC_CROSSREF);
    f.fb.script[SRC_OPENALEX].status = PSTAT_ERROR;
    f.fb.script[SRC_OPENALEX].error = "HTTP 500";
    f.fb.script[SRC_ARXIV].npapers = 0;
    f.fb.script[SRC_ARXIV].delay_ms = 30;
    f.fb.script[SRC_CROSSREF].delay_ms = 10; /* waits for the two before it */
    fx_start(&f, ALL_FIVE, 3000);
    fx_run(&f);
    ASSERT_EQ(f.run.status, 200);
    ASSERT_GE(elapsed_ms(&f.run), 25);
    ASSERT_STR_EQ(pstatus(&f.run, "openalex"), "error");
    ASSERT(has_source(&f.run, "crossref"));
    ASSERT_EQ(total_of(&f.run), 3);
    search_set_first_order(NULL, -1);
    fx_teardown(&f);
}

TEST(first_at_the_deadline_takes_the_first_in_order_that_answered)
{
    fixture_t f;
    fx_setup(&f);
    search_set_first_order(FIRST_ORDER, 3);
    f.q.strategy = STRATEGY_FIRST;
    f.q.providers = (1u << SRC_OPENALEX) | (1u << SRC_ARXIV) | (1u << SRC_CROSSREF);
    f.fb.script[SRC_OPENALEX].delay_ms = FAKE_NEVER;
    f.fb.script[SRC_ARXIV].delay_ms = 5;
    f.fb.script[SRC_ARXIV].title_base = "arxiv only";
    f.fb.script[SRC_CROSSREF].delay_ms = 5;
    fx_start(&f, ALL_FIVE, 150);
    fx_run(&f);
    ASSERT_EQ(f.run.status, 200);
    ASSERT_STR_EQ(pstatus(&f.run, "openalex"), "timeout");
    ASSERT(has_source(&f.run, "arxiv"));
    ASSERT(!has_source(&f.run, "crossref"));
    ASSERT(partial_of(&f.run));
    search_set_first_order(NULL, -1);
    fx_teardown(&f);
}

TEST(first_without_a_configured_order_follows_source_order)
{
    fixture_t f;
    fx_setup(&f);
    search_set_first_order(NULL, -1);
    f.q.strategy = STRATEGY_FIRST;
    f.fb.script[SRC_ARXIV].delay_ms = 40; /* first in source_t order */
    fx_start(&f, ALL_FIVE, 3000);
    fx_run(&f);
    ASSERT_EQ(f.run.status, 200);
    ASSERT(has_source(&f.run, "arxiv"));
    ASSERT(!has_source(&f.run, "semantic_scholar"));
    fx_teardown(&f);
}

/* ---- freeing in flight -------------------------------------------------------- */

TEST(search_free_in_flight_cancels_every_pending_provider)
{
    fixture_t f;
    fx_setup(&f);
    for (int s = 0; s < SRC_LOCAL; s++)
        f.fb.script[s].delay_ms = 1000;
    f.fb.script[SRC_ARXIV].delay_ms = FAKE_SYNC; /* already answered: not cancelled */
    f.fb.script[SRC_EXA].delay_ms = FAKE_NEVER;
    fx_start(&f, ALL_FIVE, 5000);
    uv_run(&f.loop, UV_RUN_NOWAIT);
    ASSERT_EQ(f.run.done_calls, 0);
    uint64_t t0 = clock_now_ns();
    fx_teardown(&f); /* search_free, then the loop must empty at once */
    ASSERT_LT((clock_now_ns() - t0) / 1000000, 500);
    ASSERT_EQ(f.run.done_calls, 0); /* done is not called */
    ASSERT_EQ(f.fb.cancelled[SRC_ARXIV], 0);
    ASSERT_EQ(f.fb.cancelled[SRC_SEMANTIC_SCHOLAR], 1);
    ASSERT_EQ(f.fb.cancelled[SRC_EXA], 1);
    ASSERT_EQ(f.fb.cancelled[SRC_OPENALEX], 1);
    ASSERT_EQ(f.fb.cancelled[SRC_CROSSREF], 1);
    ASSERT_EQ(f.fb.answered[SRC_CROSSREF], 0);
}

TEST(search_free_after_the_answer_cancels_nothing)
{
    fixture_t f;
    fx_setup(&f);
    fx_start(&f, ALL_FIVE, 2000);
    fx_run(&f);
    ASSERT_EQ(f.run.done_calls, 1);
    fx_teardown(&f);
    ASSERT_EQ(fake_cancelled_total(&f.fb), 0);
}

TEST(search_free_twice_in_a_row_is_harmless)
{
    fixture_t f;
    fx_setup(&f);
    for (int s = 0; s < SRC_LOCAL; s++)
        f.fb.script[s].delay_ms = FAKE_NEVER;
    fx_start(&f, ALL_FIVE, 2000);
    search_free(f.s); /* the second call (in teardown) comes before the close callback */
    fx_teardown(&f);
    ASSERT_EQ(fake_cancelled_total(&f.fb), 5);
}

/* ---- answers inside start() ----------------------------------------------------- */

TEST(every_provider_answering_inside_start)
{
    fixture_t f;
    fx_setup(&f);
    for (int s = 0; s < SRC_LOCAL; s++)
        f.fb.script[s].delay_ms = FAKE_SYNC;
    fx_start(&f, ALL_FIVE, 2000);
    ASSERT_EQ(f.run.done_calls, 1);
    ASSERT(f.run.done_in_start);
    ASSERT_EQ(f.run.status, 200);
    ASSERT_EQ(fake_started_total(&f.fb), 5);
    ASSERT_EQ(total_of(&f.run), 15);
    ASSERT(!partial_of(&f.run));
    fx_run(&f); /* the deadline timer is stopped: returns at once */
    ASSERT_EQ(f.run.done_calls, 1);
    fx_teardown(&f);
}

TEST(one_provider_answering_inside_start_the_others_later)
{
    fixture_t f;
    fx_setup(&f);
    f.fb.script[SRC_ARXIV].delay_ms = FAKE_SYNC;
    f.fb.script[SRC_ARXIV].status = PSTAT_ERROR;
    f.fb.script[SRC_ARXIV].error = "cannot build the request";
    fx_start(&f, ALL_FIVE, 2000);
    ASSERT_EQ(f.run.done_calls, 0);
    /* Every provider was asked even though the first answered at once. */
    ASSERT_EQ(fake_started_total(&f.fb), 5);
    fx_run(&f);
    ASSERT_EQ(f.run.done_calls, 1);
    ASSERT_EQ(f.run.status, 200);
    ASSERT_STR_EQ(pstatus(&f.run, "arxiv"), "error");
    ASSERT_STR_EQ(perror_of(&f.run, "arxiv"), "cannot build the request");
    fx_teardown(&f);
}

TEST(every_provider_failing_inside_start_is_502_at_once)
{
    fixture_t f;
    fx_setup(&f);
    for (int s = 0; s < SRC_LOCAL; s++) {
        f.fb.script[s].delay_ms = FAKE_SYNC;
        f.fb.script[s].status = PSTAT_CIRCUIT_OPEN;
        f.fb.script[s].error = "skipped after repeated failures";
    }
    fx_start(&f, ALL_FIVE, 2000);
    ASSERT_EQ(f.run.done_calls, 1);
    ASSERT_EQ(f.run.status, 502);
    ASSERT_STR_EQ(pstatus(&f.run, "crossref"), "circuit_open");
    fx_teardown(&f);
}

/* ---- which providers are asked ---------------------------------------------------- */

TEST(query_providers_narrow_the_fanout)
{
    fixture_t f;
    fx_setup(&f);
    f.q.providers = (1u << SRC_ARXIV) | (1u << SRC_CROSSREF);
    fx_start(&f, ALL_FIVE, 2000);
    fx_run(&f);
    ASSERT_EQ(f.run.status, 200);
    ASSERT_EQ(f.fb.started[SRC_ARXIV], 1);
    ASSERT_EQ(f.fb.started[SRC_CROSSREF], 1);
    ASSERT_EQ(fake_started_total(&f.fb), 2);
    json_t *prov = json_object_get(f.run.body, "providers");
    ASSERT_EQ(json_object_size(prov), 2);
    ASSERT_NOT_NULL(json_object_get(prov, "arxiv"));
    ASSERT_NOT_NULL(json_object_get(prov, "crossref"));
    ASSERT_NULL(json_object_get(prov, "exa"));
    json_t *qp = json_object_get(json_object_get(f.run.body, "query"), "providers");
    ASSERT_EQ(json_array_size(qp), 2);
    ASSERT_STR_EQ(json_string_value(json_array_get(qp, 0)), "arxiv");
    ASSERT_STR_EQ(json_string_value(json_array_get(qp, 1)), "crossref");
    ASSERT_EQ(total_of(&f.run), 6);
    fx_teardown(&f);
}

TEST(disabled_providers_are_reported_not_asked)
{
    fixture_t f;
    fx_setup(&f);
    unsigned enabled = ALL_FIVE & ~(1u << SRC_EXA);
    f.q.providers = (1u << SRC_ARXIV) | (1u << SRC_EXA);
    fx_start(&f, enabled, 2000);
    fx_run(&f);
    ASSERT_EQ(f.run.status, 200);
    ASSERT_EQ(f.fb.started[SRC_EXA], 0);
    ASSERT_EQ(f.fb.started[SRC_ARXIV], 1);
    ASSERT_STR_EQ(pstatus(&f.run, "exa"), "disabled");
    ASSERT(json_is_null(json_object_get(provider_json(&f.run, "exa"), "latency_ms")));
    ASSERT_STR_EQ(pstatus(&f.run, "arxiv"), "ok");
    /* A disabled provider is a fact of the configuration, not a failure. */
    ASSERT(!partial_of(&f.run));
    fx_teardown(&f);
}

TEST(without_a_provider_list_only_enabled_providers_are_asked_and_listed)
{
    fixture_t f;
    fx_setup(&f);
    unsigned enabled = (1u << SRC_OPENALEX) | (1u << SRC_SEMANTIC_SCHOLAR);
    fx_start(&f, enabled, 2000);
    fx_run(&f);
    ASSERT_EQ(f.run.status, 200);
    ASSERT_EQ(fake_started_total(&f.fb), 2);
    ASSERT_EQ(json_object_size(json_object_get(f.run.body, "providers")), 2);
    json_t *qp = json_object_get(json_object_get(f.run.body, "query"), "providers");
    ASSERT_EQ(json_array_size(qp), 2);
    fx_teardown(&f);
}

TEST(only_disabled_providers_asked_answers_at_once)
{
    fixture_t f;
    fx_setup(&f);
    f.q.providers = 1u << SRC_EXA;
    fx_start(&f, ALL_FIVE & ~(1u << SRC_EXA), 2000);
    /* Nobody to wait for: the answer is ready inside search_start(). */
    ASSERT_EQ(f.run.done_calls, 1);
    ASSERT_EQ(fake_started_total(&f.fb), 0);
    ASSERT_STR_EQ(pstatus(&f.run, "exa"), "disabled");
    ASSERT_EQ(npapers(&f.run), 0);
    /* Documented choice: not a gateway failure (nothing was asked). */
    ASSERT_EQ(f.run.status, 200);
    fx_teardown(&f);
}

/* ---- the answer's query echo ---------------------------------------------------- */

TEST(answer_echoes_the_query)
{
    fixture_t f;
    fx_setup(&f);
    f.q.text = "graph neural networks";
    f.q.sort = SORT_CITATIONS;
    f.q.strategy = STRATEGY_MERGE;
    f.q.limit = 7;
    f.q.year_from = 2019;
    f.q.year_to = 2022;
    f.q.author = "hinton";
    for (int s = 0; s < SRC_LOCAL; s++)
        f.fb.script[s].npapers = 0;
    fx_start(&f, ALL_FIVE, 2000);
    fx_run(&f);
    json_t *q = json_object_get(f.run.body, "query");
    ASSERT_STR_EQ(json_string_value(json_object_get(q, "text")), "graph neural networks");
    ASSERT_STR_EQ(json_string_value(json_object_get(q, "sort")), "citations");
    ASSERT_STR_EQ(json_string_value(json_object_get(q, "strategy")), "merge");
    ASSERT_EQ(json_integer_value(json_object_get(q, "limit")), 7);
    ASSERT_EQ(json_integer_value(json_object_get(q, "year_from")), 2019);
    ASSERT_EQ(json_integer_value(json_object_get(q, "year_to")), 2022);
    ASSERT_STR_EQ(json_string_value(json_object_get(q, "author")), "hinton");
    ASSERT(json_is_null(json_object_get(q, "category")));
    ASSERT(json_is_number(json_object_get(f.run.body, "took_ms")));
    ASSERT_EQ(json_array_size(json_object_get(f.run.body, "papers")), 0);
    fx_teardown(&f);
}

/* On the fake clock (core/clock.h) the search's times are exact and no
 * test has to sleep for them: the providers answer when the test says,
 * after the test moved the clock on. */
TEST(took_ms_and_latencies_read_the_fake_clock)
{
    fixture_t f;
    fx_setup(&f);
    unsigned two = (1u << SRC_ARXIV) | (1u << SRC_CROSSREF);
    f.fb.script[SRC_ARXIV].delay_ms = FAKE_NEVER;
    f.fb.script[SRC_CROSSREF].delay_ms = FAKE_NEVER;
    clock_fake_start(5000000000ull, 1700000000000);
    fx_start(&f, two, 10000);
    ASSERT_EQ_U(search_deadline_ns(f.s), 5000000000ull + 10000000000ull);
    clock_fake_advance_ms(250);
    search_provider_done(f.s, SRC_ARXIV, PSTAT_OK, NULL, 250, NULL);
    ASSERT_EQ(f.run.done_calls, 0);
    clock_fake_advance_ms(50);
    search_provider_done(f.s, SRC_CROSSREF, PSTAT_ERROR, NULL, 300, "HTTP 500");
    ASSERT_EQ(f.run.done_calls, 1);
    ASSERT_DBL_EQ(json_number_value(json_object_get(f.run.body, "took_ms")), 300.0);
    ASSERT_DBL_EQ(search_took_ms(f.s), 300.0);
    ASSERT(search_partial(f.s)); /* crossref failed */
    ASSERT_EQ(json_is_true(json_object_get(f.run.body, "partial")), search_partial(f.s));
    ASSERT_EQ_U(search_total(f.s),
                (size_t)json_integer_value(json_object_get(f.run.body, "total")));
    clock_fake_stop();
    fake_close_all(&f.fb);
    fx_teardown(&f);
}

/* ---- the direct search service ---------------------------------------------------- */

typedef struct reply_rec {
    int calls;
    int status;
    uint64_t etag;
    char tier[16];
    size_t body_len;
} reply_rec_t;

static void on_reply(const search_reply_t *r, void *data)
{
    reply_rec_t *rec = data;
    rec->calls++;
    rec->status = r->status;
    rec->etag = r->etag;
    rec->body_len = r->body->len;
    snprintf(rec->tier, sizeof rec->tier, "%s", r->tier);
    ASSERT_EQ_U(r->etag, search_reply_etag(r->body->data, r->body->len));
}

TEST(direct_service_answers_through_the_callback)
{
    fixture_t f;
    fx_setup(&f);
    search_service_t *svc = search_direct_new(&f.loop, &f.fb.backend, ALL_FIVE);
    ASSERT_NOT_NULL(svc);
    reply_rec_t rec = {0};
    search_request_t req = {.query = &f.q, .key = "k", .deadline_ms = 2000};
    void *h = svc->fetch(svc, &req, on_reply, &rec);
    ASSERT_NOT_NULL(h);
    ASSERT_EQ(search_direct_in_flight(svc), 1);
    uv_run(&f.loop, UV_RUN_DEFAULT);
    ASSERT_EQ(rec.calls, 1);
    ASSERT_EQ(rec.status, 200);
    ASSERT_STR_EQ(rec.tier, "search");
    ASSERT_GT(rec.body_len, 10);
    ASSERT_EQ(search_direct_in_flight(svc), 0);
    search_direct_free(svc);
    sf_defer_loop_close(&f.loop);
    uv_run(&f.loop, UV_RUN_DEFAULT);
    ASSERT_EQ(f.fb.live_calls, 0);
    ASSERT_EQ(uv_loop_close(&f.loop), 0);
}

/* Every provider answers inside its start, so the search is done inside
 * fetch(): the answer still comes on a later turn (core/search_service.h). */
TEST(direct_service_answer_ready_inside_fetch_arrives_after_it_returned)
{
    fixture_t f;
    fx_setup(&f);
    for (int s = 0; s < SRC_LOCAL; s++)
        f.fb.script[s].delay_ms = FAKE_SYNC;
    search_service_t *svc = search_direct_new(&f.loop, &f.fb.backend, ALL_FIVE);
    reply_rec_t rec = {0};
    search_request_t req = {.query = &f.q, .key = "k", .deadline_ms = 2000};
    void *h = svc->fetch(svc, &req, on_reply, &rec);
    ASSERT_NOT_NULL(h);
    ASSERT_EQ(rec.calls, 0);
    ASSERT_EQ(search_direct_in_flight(svc), 1);
    uv_run(&f.loop, UV_RUN_NOWAIT);
    ASSERT_EQ(rec.calls, 1);
    ASSERT_EQ(rec.status, 200);
    ASSERT_EQ(search_direct_in_flight(svc), 0);
    /* Cancelled before its turn: never answered, nothing left behind. */
    h = svc->fetch(svc, &req, on_reply, &rec);
    ASSERT_NOT_NULL(h);
    svc->cancel(svc, h);
    uv_run(&f.loop, UV_RUN_NOWAIT);
    ASSERT_EQ(rec.calls, 1);
    ASSERT_EQ(search_direct_in_flight(svc), 0);
    search_direct_free(svc);
    sf_defer_loop_close(&f.loop);
    uv_run(&f.loop, UV_RUN_DEFAULT);
    ASSERT_EQ(uv_loop_close(&f.loop), 0);
}

/* The fan-out link tells the chain's observers of each answer it computed,
 * with the merged papers and the answer's facts. */
static int computed_calls;
static size_t computed_papers;
static search_reply_t computed_reply;
static void on_computed(void *ctx, const query_t *q, const search_reply_t *r, const paper_t *papers,
                        size_t n)
{
    (void)ctx;
    (void)q;
    (void)papers;
    computed_calls++;
    computed_papers = n;
    computed_reply = *r;
}

TEST(direct_service_tells_the_chain_observers_what_it_computed)
{
    fixture_t f;
    fx_setup(&f);
    for (int s = 0; s < SRC_LOCAL; s++)
        f.fb.script[s].delay_ms = FAKE_SYNC;
    search_chain_t chain;
    search_chain_init(&chain);
    search_observer_t obs = {.computed = on_computed};
    search_chain_observe(&chain, &obs);
    search_service_t *svc = search_direct_new(&f.loop, &f.fb.backend, ALL_FIVE);
    search_direct_set_chain(svc, &chain);
    chain.head = svc;
    reply_rec_t rec = {0};
    search_request_t req = {.query = &f.q, .key = "k", .deadline_ms = 2000};
    ASSERT_NOT_NULL(svc->fetch(svc, &req, on_reply, &rec));
    uv_run(&f.loop, UV_RUN_NOWAIT);
    ASSERT_EQ(rec.calls, 1);
    ASSERT_EQ(computed_calls, 1);
    ASSERT_EQ(computed_papers, 15); /* 3 distinct papers from each of five */
    ASSERT_EQ(computed_reply.total, 15);
    ASSERT(!computed_reply.partial);
    search_direct_free(svc);
    sf_defer_loop_close(&f.loop);
    uv_run(&f.loop, UV_RUN_DEFAULT);
    ASSERT_EQ(uv_loop_close(&f.loop), 0);
}

TEST(direct_service_cancel_stops_the_providers)
{
    fixture_t f;
    fx_setup(&f);
    for (int s = 0; s < SRC_LOCAL; s++)
        f.fb.script[s].delay_ms = 1000;
    search_service_t *svc = search_direct_new(&f.loop, &f.fb.backend, ALL_FIVE);
    reply_rec_t rec = {0};
    search_request_t req = {.query = &f.q, .key = "k", .deadline_ms = 5000};
    void *h = svc->fetch(svc, &req, on_reply, &rec);
    ASSERT_NOT_NULL(h);
    uv_run(&f.loop, UV_RUN_NOWAIT);
    svc->cancel(svc, h);
    ASSERT_EQ(search_direct_in_flight(svc), 0);
    ASSERT_EQ(fake_cancelled_total(&f.fb), 5);
    uint64_t t0 = clock_now_ns();
    uv_run(&f.loop, UV_RUN_DEFAULT);
    ASSERT_LT((clock_now_ns() - t0) / 1000000, 500);
    ASSERT_EQ(rec.calls, 0);
    ASSERT_EQ(f.fb.live_calls, 0);
    search_direct_free(svc);
    sf_defer_loop_close(&f.loop);
    uv_run(&f.loop, UV_RUN_DEFAULT);
    ASSERT_EQ(uv_loop_close(&f.loop), 0);
}

TEST(many_searches_share_one_loop)
{
    fixture_t f;
    fx_setup(&f);
    enum { N = 200 };
    search_t *ss[N];
    run_t runs[N];
    memset(runs, 0, sizeof runs);
    for (int s = 0; s < SRC_LOCAL; s++)
        f.fb.script[s].delay_ms = 5 + s;
    f.fb.script[SRC_CROSSREF].delay_ms = FAKE_NEVER;
    for (int i = 0; i < N; i++) {
        ss[i] = search_start(&f.loop, &f.q, ALL_FIVE, &f.fb.backend, 100, on_done, &runs[i]);
        ASSERT_NOT_NULL(ss[i]);
    }
    uv_run(&f.loop, UV_RUN_DEFAULT);
    for (int i = 0; i < N; i++) {
        ASSERT_EQ(runs[i].done_calls, 1);
        ASSERT_EQ(runs[i].status, 200);
        ASSERT_STR_EQ(pstatus(&runs[i], "crossref"), "timeout");
        json_decref(runs[i].body);
        search_free(ss[i]);
    }
    ASSERT_EQ(f.fb.cancelled[SRC_CROSSREF], N);
    uv_run(&f.loop, UV_RUN_DEFAULT);
    ASSERT_EQ(f.fb.live_calls, 0);
    ASSERT_EQ(uv_loop_close(&f.loop), 0);
}

TEST(pstatus_names)
{
    ASSERT_STR_EQ(search_pstatus_name(PSTAT_OK), "ok");
    ASSERT_STR_EQ(search_pstatus_name(PSTAT_TIMEOUT), "timeout");
    ASSERT_STR_EQ(search_pstatus_name(PSTAT_ERROR), "error");
    ASSERT_STR_EQ(search_pstatus_name(PSTAT_RATE_LIMITED), "rate_limited");
    ASSERT_STR_EQ(search_pstatus_name(PSTAT_CIRCUIT_OPEN), "circuit_open");
    ASSERT_STR_EQ(search_pstatus_name(PSTAT_DISABLED), "disabled");
    ASSERT_STR_EQ(search_pstatus_name(PSTAT_CACHED), "cached");
    ASSERT_STR_EQ(search_pstatus_name(PSTAT_CANCELLED), "cancelled");
}

TEST_MAIN()
