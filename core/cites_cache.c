/* The citation lists of one worker: cache and single-flight
 * (core/cites_cache.h). An entry is FETCHING (a fetch runs, its waiters
 * queue) or READY (the fetch's result is kept until it expires). Waiters
 * of a READY entry are answered through the deferred queue. */
#include "core/cites_cache.h"

#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/defer.h"
#include "core/queue.h"

typedef enum { CE_FETCHING, CE_READY } ce_state_t;

typedef struct cites_entry cites_entry_t;

struct cites_wait {
    sf_queue_t node; /* in its entry's waiters */
    sf_defer_t later;
    cites_entry_t *entry;
    cites_wait_cb cb;
    void *data;
};

struct cites_entry {
    sf_queue_t node; /* in the cache's list, most recently used first */
    ce_state_t state;
    char *key; /* "<dir>|<canonical id>" */
    cites_cache_t *cache;
    cites_fetch_t *fetch; /* while fetching, and then the result it holds */
    uint64_t expires_ns;
    size_t bytes; /* its arena's footprint, once ready */
    sf_queue_t waiters;
};

struct cites_cache {
    uv_loop_t *loop;
    const cites_backend_t *be;
    cites_cache_opts_t opts;
    sf_queue_t entries;
    size_t nready, nfetching;
    size_t bytes; /* of the ready lists */
};

cites_cache_t *cites_cache_new(uv_loop_t *loop, const cites_backend_t *be,
                               const cites_cache_opts_t *o)
{
    cites_cache_t *c = calloc(1, sizeof(*c));
    if (c == NULL) return NULL;
    c->loop = loop;
    c->be = be;
    c->opts = *o;
    sf_queue_init(&c->entries);
    if (sf_defer_loop_init(loop) < 0) {
        free(c);
        return NULL;
    }
    return c;
}

static void entry_free(cites_entry_t *e)
{
    cites_cache_t *c = e->cache;
    sf_queue_remove(&e->node);
    if (e->state == CE_READY) {
        c->nready--;
        c->bytes -= e->bytes;
    } else
        c->nfetching--;
    cites_fetch_free(e->fetch);
    free(e->key);
    free(e);
}

/* Drops expired lists and the least recently used past max_lists or
 * max_bytes; an entry someone waits on stays. */
static void trim(cites_cache_t *c)
{
    uint64_t now = clock_now_ns();
    sf_queue_t *q = sf_queue_tail(&c->entries);
    while (q != &c->entries) {
        cites_entry_t *e = sf_queue_data(q, cites_entry_t, node);
        q = q->prev;
        if (e->state != CE_READY || !sf_queue_empty(&e->waiters)) continue;
        if (e->expires_ns <= now || c->nready > c->opts.max_lists || c->bytes > c->opts.max_bytes)
            entry_free(e);
    }
}

static void deliver(cites_wait_t *w, const cites_result_t *r, bool cached)
{
    sf_queue_remove(&w->node);
    cites_wait_cb cb = w->cb;
    void *data = w->data;
    free(w);
    cb(data, r, cached);
}

/* The fetch is done: every waiter hears of it; a whole list is kept. */
static void on_fetched(cites_fetch_t *f, void *data)
{
    cites_entry_t *e = data;
    cites_cache_t *c = e->cache;
    const cites_result_t *r = cites_fetch_result(f);
    while (!sf_queue_empty(&e->waiters))
        deliver(sf_queue_data(sf_queue_head(&e->waiters), cites_wait_t, node), r, false);
    if (r->partial || c->opts.max_lists == 0) {
        entry_free(e);
        return;
    }
    e->state = CE_READY;
    c->nfetching--;
    c->nready++;
    e->bytes = arena_footprint(cites_fetch_arena(f));
    c->bytes += e->bytes;
    e->expires_ns = clock_now_ns() + c->opts.ttl_ms * 1000000u;
    trim(c);
}

static void on_hit(sf_defer_t *d)
{
    cites_wait_t *w = sf_defer_data(d, cites_wait_t, later);
    cites_entry_t *e = w->entry;
    deliver(w, cites_fetch_result(e->fetch), true);
    trim(e->cache);
}

static char *make_key(cites_dir_t dir, const char *canonical)
{
    size_t n = strlen(canonical);
    char *k = malloc(n + 3);
    if (k == NULL) return NULL;
    k[0] = dir == CITES_REFERENCES ? 'r' : 'c';
    k[1] = '|';
    memcpy(k + 2, canonical, n + 1);
    return k;
}

cites_wait_t *cites_cache_get(cites_cache_t *c, cites_dir_t dir, const cites_ids_t *ids,
                              const char *traceparent, cites_wait_cb cb, void *data)
{
    char *key = make_key(dir, ids->canonical != NULL ? ids->canonical : "");
    if (key == NULL) return NULL;
    cites_entry_t *e = NULL;
    sf_queue_t *q;
    uint64_t now = clock_now_ns();
    sf_queue_foreach(q, &c->entries)
    {
        cites_entry_t *x = sf_queue_data(q, cites_entry_t, node);
        if (strcmp(x->key, key) == 0) {
            e = x;
            break;
        }
    }
    if (e != NULL && e->state == CE_READY && e->expires_ns <= now && sf_queue_empty(&e->waiters)) {
        entry_free(e);
        e = NULL;
    }
    cites_wait_t *w = calloc(1, sizeof(*w));
    if (w == NULL) goto fail;
    w->cb = cb;
    w->data = data;
    sf_defer_init(&w->later);
    if (e == NULL) {
        e = calloc(1, sizeof(*e));
        if (e == NULL) goto fail;
        e->key = key;
        key = NULL;
        e->cache = c;
        e->state = CE_FETCHING;
        sf_queue_init(&e->waiters);
        cites_fetch_opts_t fo = {.deadline_ms = c->opts.deadline_ms,
                                 .max_edges = c->opts.max_edges,
                                 .enabled = c->opts.enabled,
                                 .traceparent = traceparent};
        e->fetch = cites_fetch_start(c->loop, c->be, dir, ids, &fo, on_fetched, e);
        if (e->fetch == NULL) {
            free(e->key);
            free(e);
            goto fail;
        }
        c->nfetching++;
        sf_queue_insert_head(&c->entries, &e->node);
    } else {
        free(key);
        key = NULL;
        sf_queue_remove(&e->node); /* most recently used first */
        sf_queue_insert_head(&c->entries, &e->node);
    }
    w->entry = e;
    sf_queue_insert_tail(&e->waiters, &w->node);
    if (e->state == CE_READY) sf_defer(c->loop, &w->later, on_hit); /* the loop's queue exists */
    return w;
fail:
    free(key);
    free(w);
    return NULL;
}

void cites_wait_cancel(cites_wait_t *w)
{
    if (w == NULL) return;
    sf_defer_cancel(&w->later);
    sf_queue_remove(&w->node);
    free(w);
}

size_t cites_cache_size(const cites_cache_t *c)
{
    return c->nready;
}

size_t cites_cache_fetching(const cites_cache_t *c)
{
    return c->nfetching;
}

void cites_cache_free(cites_cache_t *c)
{
    if (c == NULL) return;
    while (!sf_queue_empty(&c->entries)) {
        cites_entry_t *e = sf_queue_data(sf_queue_head(&c->entries), cites_entry_t, node);
        while (!sf_queue_empty(&e->waiters))
            cites_wait_cancel(sf_queue_data(sf_queue_head(&e->waiters), cites_wait_t, node));
        entry_free(e);
    }
    free(c);
}
