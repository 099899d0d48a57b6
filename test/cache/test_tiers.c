/* The tiers' administration (cache/tiers.c, core/cache_admin.h), as the
 * cache endpoints use it: flush by scope, and the counters as values. No
 * Redis here (test_cache_tiers.py has it); PostgreSQL is a fake deletion. */
#include <string.h>
#include <uv.h>

#include "cache/tiers.h"
#include "core/defer.h"
#include "test/test.h"

static const char BODY[] = "{\"papers\":[],\"partial\":false}";

/* The last link: takes each fetch and answers it with BODY when the test
 * says so (never before fetch returns). */
static int asked;
static search_reply_cb pending_cb;
static void *pending_data;
static void *next_fetch(search_service_t *self, const search_request_t *req, search_reply_cb cb,
                        void *data)
{
    (void)self, (void)req;
    asked++;
    pending_cb = cb;
    pending_data = data;
    return &pending_cb;
}

static void next_answers(void)
{
    if (!pending_cb) return;
    search_reply_cb cb = pending_cb;
    pending_cb = NULL;
    blob_t *b = blob_new(BODY, sizeof BODY - 1);
    search_reply_t r = {.status = 200, .body = b, .etag = 1, .tier = "search"};
    cb(&r, pending_data);
    blob_unref(b);
}

static void next_cancel(search_service_t *self, void *handle)
{
    (void)self, (void)handle;
}

static search_service_t next = {.fetch = next_fetch, .cancel = next_cancel};

static int answers;
static void on_answer(const search_reply_t *r, void *data)
{
    (void)data;
    ASSERT_EQ(r->status, 200);
    answers++;
}

/* One search through the tiers, to its answer (from memory, or from next). */
static void search(uv_loop_t *loop, cache_tiers_t *t, const char *key)
{
    query_t q;
    query_init(&q);
    q.text = "x";
    search_request_t req = {.query = &q, .key = key, .deadline_ms = 100};
    search_service_t *head = cache_tiers_service(t);
    int before = answers;
    head->fetch(head, &req, on_answer, NULL);
    next_answers();
    uv_run(loop, UV_RUN_NOWAIT); /* an answer ready at once may come on the next turn */
    ASSERT_EQ(answers, before + 1);
}

/* The flush's answer. */
static int flushed;
static cache_flush_result_t got;
static void on_flushed(void *data, const cache_flush_result_t *r)
{
    (void)data;
    flushed++;
    got = *r;
}

/* A PostgreSQL tier whose deletion answers when the test says so. */
static int l3_starts, l3_refuse;
static char l3_key[64];
static void (*l3_done)(void *data, bool ok);
static void *l3_data;
static int fake_l3_delete(void *l3, const char *key, void (*done)(void *data, bool ok), void *data)
{
    (void)l3;
    l3_starts++;
    if (l3_refuse) return -1;
    snprintf(l3_key, sizeof l3_key, "%s", key ? key : "(all)");
    l3_done = done;
    l3_data = data;
    return 0;
}

static cache_tiers_t *tiers(uv_loop_t *loop, sf_config_t *cfg)
{
    config_defaults(cfg);
    cfg->cache.enabled = true;
    cfg->redis.url[0] = '\0';
    cache_tiers_t *t = cache_tiers_new(loop, cfg, &next);
    ASSERT_NOT_NULL(t);
    return t;
}

static void done(uv_loop_t *loop, cache_tiers_t *t)
{
    cache_tiers_stop(t);
    sf_defer_loop_close(loop); /* the L1 link's deferred answers */
    uv_run(loop, UV_RUN_DEFAULT);
    cache_tiers_free(t);
    ASSERT_EQ(uv_loop_close(loop), 0);
}

TEST(flush_one_key_from_memory)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    sf_config_t cfg;
    cache_tiers_t *t = tiers(&loop, &cfg);
    cache_admin_t *admin = cache_tiers_admin(t);
    search(&loop, t, "k1");
    search(&loop, t, "k1");
    ASSERT_EQ(asked, 1); /* the second from memory */
    flushed = 0;
    ASSERT_EQ(admin->flush(admin->ctx, "k1", on_flushed, NULL), 0);
    ASSERT_EQ(flushed, 1); /* no lower tier to wait for */
    ASSERT(got.memory);
    ASSERT_EQ(got.redis, CACHE_TIER_ABSENT);
    ASSERT_EQ(got.postgres, CACHE_TIER_ABSENT);
    search(&loop, t, "k1");
    ASSERT_EQ(asked, 2);
    ASSERT_EQ(admin->flush(admin->ctx, "other", on_flushed, NULL), 0);
    ASSERT(!got.memory);
    done(&loop, t);
}

TEST(flush_everything_waits_for_postgres)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    sf_config_t cfg;
    cache_tiers_t *t = tiers(&loop, &cfg);
    cache_tiers_set_l3(t, fake_l3_delete, NULL);
    cache_admin_t *admin = cache_tiers_admin(t);
    asked = 0;
    search(&loop, t, "a");
    search(&loop, t, "b");
    flushed = 0;
    ASSERT_EQ(admin->flush(admin->ctx, NULL, on_flushed, NULL), 0);
    ASSERT_EQ(flushed, 0);
    ASSERT_STR_EQ(l3_key, "(all)");
    l3_done(l3_data, true);
    ASSERT_EQ(flushed, 1);
    ASSERT_EQ(got.postgres, CACHE_TIER_DONE);
    ASSERT_EQ(got.version, -1); /* no Redis */
    search(&loop, t, "a");
    search(&loop, t, "b");
    ASSERT_EQ(asked, 4);

    l3_refuse = 1; /* PostgreSQL down: said at once, memory flushed all the same */
    ASSERT_EQ(admin->flush(admin->ctx, "a", on_flushed, NULL), 0);
    ASSERT_EQ(flushed, 2);
    ASSERT(got.memory);
    ASSERT_EQ(got.postgres, CACHE_TIER_FAILED);
    l3_refuse = 0;
    done(&loop, t);
}

TEST(stats_as_values)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    sf_config_t cfg;
    cache_tiers_t *t = tiers(&loop, &cfg);
    cache_admin_t *admin = cache_tiers_admin(t);
    search(&loop, t, "s");
    search(&loop, t, "s");
    cache_admin_stats_t st;
    admin->stats(admin->ctx, &st);
    ASSERT(st.enabled);
    ASSERT(st.memory_on);
    ASSERT_EQ(st.memory.hits, 1);
    ASSERT_EQ(st.memory.misses, 1);
    ASSERT_EQ(st.memory.entries, 1);
    ASSERT_EQ(st.memory_max_bytes, cfg.cache.l1_max_bytes);
    ASSERT(st.single_flight_on);
    ASSERT_EQ(st.started, 1);
    ASSERT(!st.redis_on);
    ASSERT(!st.providers_on);
    ASSERT_STR_EQ(cache_tiers_redis_state(t), "disabled");
    ASSERT_NULL(cache_tiers_redis_link(t));
    done(&loop, t);
}

TEST(cache_off_has_no_tiers)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    sf_config_t cfg;
    config_defaults(&cfg);
    cfg.cache.enabled = false;
    cache_tiers_t *t = cache_tiers_new(&loop, &cfg, &next);
    ASSERT_PTR_EQ(cache_tiers_service(t), &next);
    cache_admin_t *admin = cache_tiers_admin(t);
    cache_admin_stats_t st;
    admin->stats(admin->ctx, &st);
    ASSERT(!st.enabled);
    ASSERT(!st.memory_on);
    ASSERT(!st.single_flight_on);
    flushed = 0;
    ASSERT_EQ(admin->flush(admin->ctx, NULL, on_flushed, NULL), 0);
    ASSERT_EQ(flushed, 1);
    done(&loop, t);
}

TEST_MAIN()
