/* The author fetch machine (core/author_fetch.c) with a fake backend on a
 * real uv loop: both providers asked, a failure kept with its status, the
 * deadline, the S2 -> OpenAlex-by-ORCID chain of a profile. */
#include <string.h>

#include "core/author_fetch.h"
#include "core/defer.h"
#include "test/test.h"

typedef struct fake {
    author_call_t *calls[4];
    size_t n;
    bool hang_openalex, fail_s2;
} fake_t;

static void fake_start(void *ctx, author_call_t *c)
{
    fake_t *f = ctx;
    f->calls[f->n++] = c;
    if (c->source == SRC_OPENALEX && f->hang_openalex) return;
    if (c->source == SRC_SEMANTIC_SCHOLAR && f->fail_s2) {
        author_call_done(c, PSTAT_ERROR, 1.0, "HTTP 500");
        return;
    }
    author_t *au = author_list_add(c->list, c->arena);
    au->name = "Ada Lovelace";
    au->sources = 1u << c->source;
    au->ids[c->source] = c->source == SRC_OPENALEX ? "A1" : "42";
    au->orcid = "0000-0001-0000-0001";
    c->total = 1;
    author_call_done(c, PSTAT_OK, 1.0, NULL);
}

static void fake_cancel(void *ctx, author_call_t *c)
{
    (void)ctx;
    (void)c;
}

static bool finished;
static void on_done(author_fetch_t *f, void *data)
{
    (void)f;
    (void)data;
    finished = true;
}

static const author_result_t *run(uv_loop_t *loop, fake_t *fk, const author_fetch_opts_t *o,
                                  author_fetch_t **out)
{
    static author_backend_t be;
    be = (author_backend_t){.ctx = fk, .start = fake_start, .cancel = fake_cancel};
    finished = false;
    *out = author_fetch_start(loop, &be, o, on_done, NULL);
    if (*out == NULL) return NULL;
    while (!finished)
        uv_run(loop, UV_RUN_ONCE);
    return author_fetch_result(*out);
}

/* Frees f and closes the loop with every handle it had. */
static void close_all(uv_loop_t *loop, author_fetch_t *f)
{
    author_fetch_free(f);
    sf_defer_loop_close(loop);
    uv_run(loop, UV_RUN_DEFAULT);
    uv_loop_close(loop);
}

static const unsigned both = (1u << SRC_SEMANTIC_SCHOLAR) | (1u << SRC_OPENALEX);

TEST(search_asks_both_and_merges)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    fake_t fk = {0};
    author_fetch_opts_t o = {.query = "ada", .limit = 10, .deadline_ms = 1000, .enabled = both};
    author_fetch_t *f;
    const author_result_t *r = run(&loop, &fk, &o, &f);
    ASSERT_NOT_NULL(r);
    ASSERT_EQ(fk.n, 2);
    ASSERT_EQ(r->merged.n, 1);
    ASSERT_EQ(r->merged.items[0].sources, both);
    ASSERT(!r->partial);
    close_all(&loop, f);
}

TEST(a_failure_and_a_hang_keep_their_status)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    fake_t fk = {.hang_openalex = true, .fail_s2 = true};
    author_fetch_opts_t o = {.query = "ada", .limit = 10, .deadline_ms = 50, .enabled = both};
    author_fetch_t *f;
    const author_result_t *r = run(&loop, &fk, &o, &f);
    ASSERT_NOT_NULL(r);
    ASSERT_EQ(r->providers[SRC_SEMANTIC_SCHOLAR].status, PSTAT_ERROR);
    ASSERT_STR_EQ(r->providers[SRC_SEMANTIC_SCHOLAR].error, "HTTP 500");
    ASSERT_EQ(r->providers[SRC_OPENALEX].status, PSTAT_TIMEOUT);
    ASSERT(r->partial);
    ASSERT_EQ(r->merged.n, 0);
    close_all(&loop, f);
}

TEST(profile_by_s2_id_asks_openalex_by_orcid)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    fake_t fk = {0};
    author_fetch_opts_t o = {.deadline_ms = 1000, .enabled = both};
    o.ids[SRC_SEMANTIC_SCHOLAR] = "42";
    author_fetch_t *f;
    const author_result_t *r = run(&loop, &fk, &o, &f);
    ASSERT_NOT_NULL(r);
    ASSERT_EQ(fk.n, 2);
    ASSERT_EQ(fk.calls[1]->source, SRC_OPENALEX);
    ASSERT_STR_EQ(fk.calls[1]->id, "orcid:0000-0001-0000-0001");
    ASSERT_EQ(r->merged.n, 1);
    ASSERT_STR_EQ(r->merged.items[0].ids[SRC_OPENALEX], "A1");
    close_all(&loop, f);
}

TEST_MAIN()
