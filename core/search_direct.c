#include <stdlib.h>
#include <string.h>

#include "core/defer.h"
#include "core/search_direct.h"

typedef struct direct {
    search_service_t svc; /* first: (direct_t *)svc */
    uv_loop_t *loop;
    const search_backend_t *backend;
    unsigned enabled;
    size_t in_flight;
    const search_chain_t *chain; /* told of each answer computed, or NULL */
} direct_t;

typedef struct waiter {
    direct_t *d;
    search_t *search;
    search_reply_cb cb;
    void *data;
    sf_defer_t later; /* the answer's delivery: never inside fetch() */
} waiter_t;

/* The answer, on the turn after the search finished (it may finish inside
 * search_start(), within fetch()). */
static void deliver(sf_defer_t *later)
{
    waiter_t *w = sf_defer_data(later, waiter_t, later);
    search_t *s = w->search;
    blob_t *body = search_body(s);
    search_reply_t r = {
        .status = search_status(s),
        .body = body,
        .etag = search_reply_etag(body->data, body->len),
        .tier = "search",
        .partial = search_partial(s),
        .total = (int64_t)search_total(s),
        .took_ms = search_took_ms(s),
    };
    w->d->in_flight--;
    size_t n;
    const paper_t *papers = search_merged(s, &n);
    search_chain_computed(w->d->chain, search_query(s), &r, papers, papers ? n : 0);
    w->cb(&r, w->data);
    search_free(s);
    free(w);
}

static void on_done(search_t *s, void *data)
{
    waiter_t *w = data;
    w->search = s;                            /* also when done runs inside search_start() */
    sf_defer(w->d->loop, &w->later, deliver); /* cannot fail: the queue was made in _new() */
}

static void *direct_fetch(search_service_t *self, const search_request_t *req, search_reply_cb cb,
                          void *data)
{
    direct_t *d = (direct_t *)self;
    waiter_t *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->d = d;
    w->cb = cb;
    w->data = data;
    sf_defer_init(&w->later);
    search_t *s =
        search_start(d->loop, req->query, d->enabled, d->backend, req->deadline_ms, on_done, w);
    if (!s) {
        free(w);
        return NULL;
    }
    w->search = s;
    d->in_flight++;
    return w;
}

static void direct_cancel(search_service_t *self, void *handle)
{
    direct_t *d = (direct_t *)self;
    waiter_t *w = handle;
    d->in_flight--;
    sf_defer_cancel(&w->later);
    search_free(w->search); /* cancels the provider calls still running */
    free(w);
}

search_service_t *search_direct_new(uv_loop_t *loop, const search_backend_t *backend,
                                    unsigned enabled)
{
    if (sf_defer_loop_init(loop) < 0) return NULL;
    direct_t *d = calloc(1, sizeof *d);
    if (!d) return NULL;
    d->loop = loop;
    d->backend = backend;
    d->enabled = enabled;
    d->svc.ctx = d;
    d->svc.fetch = direct_fetch;
    d->svc.cancel = direct_cancel;
    return &d->svc;
}

void search_direct_set_chain(search_service_t *svc, const search_chain_t *chain)
{
    ((direct_t *)svc)->chain = chain;
}

size_t search_direct_in_flight(const search_service_t *svc)
{
    return ((const direct_t *)svc)->in_flight;
}

void search_direct_free(search_service_t *svc)
{
    free(svc);
}
