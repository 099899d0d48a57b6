/* core/queue.h and core/defer.h: the intrusive queue, and calls deferred
 * to a later loop turn (the search chain's protocol rests on them). */
#include <uv.h>

#include "core/defer.h"
#include "core/queue.h"
#include "test/test.h"

typedef struct item {
    int v;
    sf_queue_t node;
} item_t;

TEST(queue_keeps_order_and_removes_from_anywhere)
{
    sf_queue_t h;
    sf_queue_init(&h);
    ASSERT(sf_queue_empty(&h));
    item_t it[4];
    for (int i = 0; i < 4; i++) {
        it[i].v = i;
        sf_queue_insert_tail(&h, &it[i].node);
    }
    sf_queue_remove(&it[1].node);
    ASSERT(!sf_queue_linked(&it[1].node));
    sf_queue_remove(&it[1].node); /* twice: harmless */
    sf_queue_insert_head(&h, &it[1].node);
    int order[4], n = 0;
    sf_queue_t *q;
    sf_queue_foreach(q, &h) order[n++] = sf_queue_data(q, item_t, node)->v;
    ASSERT_EQ(n, 4);
    ASSERT_EQ(order[0], 1);
    ASSERT_EQ(order[1], 0);
    ASSERT_EQ(order[2], 2);
    ASSERT_EQ(order[3], 3);
    ASSERT_EQ(sf_queue_data(sf_queue_tail(&h), item_t, node)->v, 3);
    sf_queue_t moved;
    sf_queue_move(&h, &moved);
    ASSERT(sf_queue_empty(&h));
    ASSERT_EQ(sf_queue_data(sf_queue_head(&moved), item_t, node)->v, 1);
}

typedef struct call {
    sf_defer_t d;
    int *log;
    int *nlog;
    int v;
    struct call *cancel_too; /* cancelled by this call's turn */
    struct call *defer_too;  /* deferred by this call's turn */
    uv_loop_t *loop;
} call_t;

static void on_turn(sf_defer_t *d)
{
    call_t *c = sf_defer_data(d, call_t, d);
    c->log[(*c->nlog)++] = c->v;
    if (c->cancel_too) sf_defer_cancel(&c->cancel_too->d);
    if (c->defer_too) sf_defer(c->loop, &c->defer_too->d, on_turn);
}

TEST(deferred_calls_run_later_in_order_once)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    int log[8], n = 0;
    call_t a = {.log = log, .nlog = &n, .v = 1, .loop = &loop};
    call_t b = a, c = a, late = a;
    b.v = 2;
    c.v = 3;
    late.v = 4;
    a.cancel_too = &b;   /* a's turn cancels b, already waiting in the same batch */
    c.defer_too = &late; /* c's turn defers late: it waits for the next turn */
    sf_defer_init(&a.d);
    sf_defer_init(&b.d);
    sf_defer_init(&c.d);
    sf_defer_init(&late.d);
    ASSERT_EQ(sf_defer(&loop, &a.d, on_turn), 0);
    ASSERT_EQ(sf_defer(&loop, &b.d, on_turn), 0);
    ASSERT_EQ(sf_defer(&loop, &c.d, on_turn), 0);
    ASSERT_EQ(n, 0); /* nothing runs inside sf_defer() */
    ASSERT(sf_defer_pending(&a.d));
    ASSERT_EQ(sf_defer_waiting(&loop), 3);
    uv_run(&loop, UV_RUN_NOWAIT);
    ASSERT_EQ(n, 2);
    ASSERT_EQ(log[0], 1);
    ASSERT_EQ(log[1], 3);
    ASSERT(!sf_defer_pending(&a.d));
    ASSERT(sf_defer_pending(&late.d));
    uv_run(&loop, UV_RUN_NOWAIT);
    ASSERT_EQ(n, 3);
    ASSERT_EQ(log[2], 4);
    /* Nothing waits: the idle handle is stopped and keeps nothing alive. */
    ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
    sf_defer_loop_close(&loop);
    uv_run(&loop, UV_RUN_DEFAULT);
    ASSERT_EQ(uv_loop_close(&loop), 0);
}

TEST(a_waiting_call_keeps_the_loop_from_blocking)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    int log[2], n = 0;
    call_t a = {.log = log, .nlog = &n, .v = 7, .loop = &loop};
    sf_defer_init(&a.d);
    ASSERT_EQ(sf_defer(&loop, &a.d, on_turn), 0);
    uv_run(&loop, UV_RUN_DEFAULT); /* returns once a ran: nothing else is alive */
    ASSERT_EQ(n, 1);
    /* A queue closed with a call waiting drops it; a later one is new. */
    ASSERT_EQ(sf_defer(&loop, &a.d, on_turn), 0);
    sf_defer_loop_close(&loop);
    uv_run(&loop, UV_RUN_DEFAULT);
    ASSERT_EQ(n, 1);
    ASSERT_EQ(uv_loop_close(&loop), 0);
}

TEST_MAIN()
