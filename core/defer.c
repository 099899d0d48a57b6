#include <stdlib.h>

#include "core/defer.h"

typedef struct defer_loop {
    sf_queue_t node; /* in this thread's list of loops */
    uv_loop_t *loop;
    uv_check_t check; /* drains, right after the loop polled: in the turn of the read */
    uv_idle_t idle;   /* active while calls wait: the loop polls without blocking */
    int open;         /* handles not closed yet: the queue is freed with the last */
    sf_queue_t waiting;
} defer_loop_t;

/* One loop per thread in practice (the worker's, or a test's): a short list. */
static _Thread_local sf_queue_t loops;

static defer_loop_t *loop_queue(uv_loop_t *loop)
{
    if (!loops.next) sf_queue_init(&loops);
    sf_queue_t *q;
    sf_queue_foreach(q, &loops)
    {
        defer_loop_t *dl = sf_queue_data(q, defer_loop_t, node);
        if (dl->loop == loop) return dl;
    }
    return NULL;
}

static void on_idle(uv_idle_t *h)
{
    (void)h; /* only there to keep poll from blocking: on_check drains */
}

static void on_check(uv_check_t *h)
{
    defer_loop_t *dl = h->data;
    /* This turn runs what waits now; what these calls defer waits a turn. */
    sf_queue_t now;
    sf_queue_move(&dl->waiting, &now);
    while (!sf_queue_empty(&now)) {
        sf_queue_t *q = sf_queue_head(&now);
        sf_queue_remove(q);
        sf_defer_t *d = sf_queue_data(q, sf_defer_t, node);
        d->cb(d); /* may free d, defer more, or cancel others still in now */
    }
    if (sf_queue_empty(&dl->waiting)) {
        uv_idle_stop(&dl->idle);
        uv_check_stop(&dl->check);
    }
}

void sf_defer_init(sf_defer_t *d)
{
    sf_queue_init(&d->node);
    d->cb = NULL;
}

static defer_loop_t *loop_queue_make(uv_loop_t *loop)
{
    defer_loop_t *dl = loop_queue(loop);
    if (dl) return dl;
    dl = calloc(1, sizeof *dl);
    if (!dl) return NULL;
    dl->loop = loop;
    sf_queue_init(&dl->waiting);
    uv_idle_init(loop, &dl->idle);
    uv_check_init(loop, &dl->check);
    dl->idle.data = dl->check.data = dl;
    dl->open = 2;
    sf_queue_insert_tail(&loops, &dl->node);
    return dl;
}

int sf_defer_loop_init(uv_loop_t *loop)
{
    return loop_queue_make(loop) ? 0 : UV_ENOMEM;
}

int sf_defer(uv_loop_t *loop, sf_defer_t *d, sf_defer_cb cb)
{
    defer_loop_t *dl = loop_queue_make(loop);
    if (!dl) return UV_ENOMEM;
    d->cb = cb;
    sf_queue_insert_tail(&dl->waiting, &d->node);
    if (!uv_is_active((uv_handle_t *)&dl->idle)) {
        uv_idle_start(&dl->idle, on_idle);
        uv_check_start(&dl->check, on_check);
    }
    return 0;
}

void sf_defer_cancel(sf_defer_t *d)
{
    /* Out of the loop's queue (or of the batch on_check is running): the
     * handles stop by themselves once nothing waits. */
    sf_queue_remove(&d->node);
}

bool sf_defer_pending(const sf_defer_t *d)
{
    return sf_queue_linked(&d->node);
}

size_t sf_defer_waiting(uv_loop_t *loop)
{
    defer_loop_t *dl = loop_queue(loop);
    size_t n = 0;
    sf_queue_t *q;
    if (dl) sf_queue_foreach(q, &dl->waiting) n++;
    return n;
}

static void on_closed(uv_handle_t *h)
{
    defer_loop_t *dl = h->data;
    if (--dl->open == 0) free(dl);
}

void sf_defer_loop_close(uv_loop_t *loop)
{
    defer_loop_t *dl = loop_queue(loop);
    if (!dl) return;
    sf_queue_remove(&dl->node);
    while (!sf_queue_empty(&dl->waiting))
        sf_queue_remove(sf_queue_head(&dl->waiting));
    uv_close((uv_handle_t *)&dl->idle, on_closed);
    uv_close((uv_handle_t *)&dl->check, on_closed);
}
