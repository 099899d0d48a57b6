/* L1: a hash table of entries threaded on an LRU list (cache/lru.h), and
 * the service link around it. */
#include <stdlib.h>
#include <string.h>

#include "cache/l1.h"
#include "cache/lru.h"
#include "core/metrics.h"
#include "core/clock.h"
#include "core/defer.h"
#include "core/queue.h"
#include "core/log.h"

typedef struct l1_entry {
    cache_lru_node_t node; /* first: (l1_entry_t *)node; key and hash */
    blob_t *body, *deflate;
    uint32_t crc;
    uint64_t etag;
    int status;
    bool partial; /* the answer's facts (search_reply_t) */
    int64_t total;
    double took_ms;
    uint64_t born_ns;        /* when the answer was computed (now - its age at fill) */
    uint64_t fresh_until_ns; /* served fresh before this */
    uint64_t stale_until_ns; /* served stale before this, dropped after */
    size_t bytes;            /* what it counts against the bound */
    bool refreshing;         /* a background refresh runs for it */
    char key[];
} l1_entry_t;

struct cache_l1 {
    cache_l1_opts_t o;
    cache_lru_t lru;
    cache_stats_t st;
};

cache_l1_t *cache_l1_new(const cache_l1_opts_t *o)
{
    cache_l1_t *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->o = *o;
    if (cache_lru_init(&c->lru, 256) < 0) {
        free(c);
        return NULL;
    }
    return c;
}

static l1_entry_t *entry_find(const cache_l1_t *c, const char *key)
{
    return (l1_entry_t *)cache_lru_find(&c->lru, key, cache_hash(key));
}

/* Takes e out of the table and frees it. */
static void entry_drop(cache_l1_t *c, l1_entry_t *e)
{
    cache_lru_remove(&c->lru, &e->node);
    c->st.bytes -= e->bytes;
    c->st.entries--;
    blob_unref(e->body);
    blob_unref(e->deflate);
    free(e);
}

cache_l1_lookup_t cache_l1_get(cache_l1_t *c, const char *key, search_reply_t *out)
{
    l1_entry_t *e = entry_find(c, key);
    uint64_t now = clock_now_ns();
    if (e && now >= e->stale_until_ns) {
        entry_drop(c, e);
        c->st.expired++;
        e = NULL;
    }
    if (!e) {
        c->st.misses++;
        metrics_cache_miss(METRICS_TIER_L1);
        return CACHE_L1_MISS;
    }
    cache_lru_touch(&c->lru, &e->node);
    bool stale = now >= e->fresh_until_ns;
    *out = (search_reply_t){
        .status = e->status,
        .body = e->body,
        .body_deflate = e->deflate,
        .body_crc32 = e->crc,
        .etag = e->etag,
        .tier = "memory",
        .age_s = (int64_t)((now - e->born_ns) / 1000000000u),
        .stale = stale,
        .partial = e->partial,
        .total = e->total,
        .took_ms = e->took_ms,
    };
    c->st.hits++;
    metrics_cache_hit(METRICS_TIER_L1);
    if (stale) c->st.stale_hits++;
    return stale ? CACHE_L1_STALE : CACHE_L1_FRESH;
}

int cache_l1_put(cache_l1_t *c, const char *key, const search_reply_t *r)
{
    bool partial = search_reply_partial(r);
    if (!cache_reply_cacheable(r) && !(partial && c->o.partial_ttl_ms > 0)) return 1;
    size_t klen = strlen(key);
    size_t bytes = sizeof(l1_entry_t) + klen + 1 + sizeof(blob_t) + r->body->len +
                   (r->body_deflate ? sizeof(blob_t) + r->body_deflate->len : 0);
    uint64_t h = cache_hash(key);
    l1_entry_t *old = (l1_entry_t *)cache_lru_find(&c->lru, key, h);
    if (old) entry_drop(c, old);
    if (bytes > c->o.max_bytes) return 1;
    while (cache_lru_oldest(&c->lru) && c->st.bytes + bytes > c->o.max_bytes) {
        entry_drop(c, (l1_entry_t *)cache_lru_oldest(&c->lru));
        c->st.evictions++;
    }
    l1_entry_t *e = calloc(1, sizeof *e + klen + 1);
    if (!e) return -1;
    memcpy(e->key, key, klen + 1);
    e->node.key = e->key;
    e->node.hash = h;
    e->body = blob_ref(r->body);
    e->deflate = r->body_deflate ? blob_ref(r->body_deflate) : NULL;
    e->crc = r->body_crc32;
    e->etag = r->etag;
    e->status = r->status;
    e->partial = r->partial;
    e->total = r->total;
    e->took_ms = r->took_ms;
    uint64_t now = clock_now_ns();
    uint64_t age_ns = r->age_s > 0 ? (uint64_t)r->age_s * 1000000000u : 0;
    e->born_ns = age_ns < now ? now - age_ns : 0;
    int64_t ttl = partial ? c->o.partial_ttl_ms : c->o.ttl_ms;
    int64_t grace = partial ? 0 : c->o.stale_ms;
    e->fresh_until_ns = e->born_ns + (uint64_t)ttl * 1000000u;
    e->stale_until_ns = e->fresh_until_ns + (uint64_t)grace * 1000000u;
    if (now >= e->stale_until_ns) { /* already too old */
        blob_unref(e->body);
        blob_unref(e->deflate);
        free(e);
        return 1;
    }
    e->bytes = bytes;
    cache_lru_insert(&c->lru, &e->node);
    c->st.bytes += bytes;
    c->st.entries++;
    c->st.fills++;
    return 0;
}

bool cache_l1_delete(cache_l1_t *c, const char *key)
{
    l1_entry_t *e = entry_find(c, key);
    if (!e) return false;
    entry_drop(c, e);
    return true;
}

size_t cache_l1_delete_hash(cache_l1_t *c, uint64_t h)
{
    size_t n = 0;
    cache_lru_node_t *e = cache_lru_bucket(&c->lru, h);
    while (e) {
        cache_lru_node_t *next = e->hnext;
        if (e->hash == h) {
            entry_drop(c, (l1_entry_t *)e);
            n++;
        }
        e = next;
    }
    return n;
}

void cache_l1_clear(cache_l1_t *c)
{
    while (cache_lru_newest(&c->lru))
        entry_drop(c, (l1_entry_t *)cache_lru_newest(&c->lru));
}

const cache_stats_t *cache_l1_stats(const cache_l1_t *c)
{
    return &c->st;
}

const char *cache_l1_lru_key(const cache_l1_t *c, bool oldest)
{
    const cache_lru_node_t *e = oldest ? cache_lru_oldest(&c->lru) : cache_lru_newest(&c->lru);
    return e ? e->key : NULL;
}

void cache_l1_free(cache_l1_t *c)
{
    if (!c) return;
    cache_l1_clear(c);
    cache_lru_fini(&c->lru);
    free(c);
}

/* ---- the service link ------------------------------------------------- */

typedef struct l1_svc l1_svc_t;

/* What l1_fetch() returns: a hit waiting for its turn, or a question to
 * next. Both start with this. */
typedef struct l1_call {
    bool hit;
} l1_call_t;

/* A hit: the answer is delivered on a later turn (core/search_service.h).
 * Hits are recycled, so a hit costs no allocation once the link is warm. */
typedef struct l1_hit {
    l1_call_t super;
    l1_svc_t *svc;
    sf_queue_t node; /* the link's hits pending, or spare */
    sf_defer_t later;
    search_reply_t reply; /* with its own references to the blobs */
    search_reply_cb cb;
    void *data;
} l1_hit_t;

/* One question to next: a miss a client waits for, or a background refresh. */
typedef enum {
    L1W_ASKING,    /* next works on it */
    L1W_ANSWERED,  /* next answered: store, reply */
    L1W_CANCELLED, /* the client left (or the link goes): cancel next */
    L1W_DONE,      /* terminal: closed (unlinked, freed) by the step loop */
} l1_wait_state_t;

typedef struct l1_wait l1_wait_t;
struct l1_wait {
    l1_call_t super;
    l1_wait_state_t state;
    l1_svc_t *svc;
    sf_queue_t node; /* the service's questions out */
    bool refresh;    /* no client: fills the store only */
    search_reply_cb cb;
    void *data;
    void *handle;                /* next's, while it works */
    const search_reply_t *reply; /* during L1W_ANSWERED */
    char key[];
};

struct l1_svc {
    search_service_t svc; /* first: (l1_svc_t *)svc */
    search_service_t *next;
    cache_l1_t *store;
    uv_loop_t *loop;
    sf_queue_t waits;
    sf_queue_t hits;       /* delivered on a later turn */
    sf_queue_t spare_hits; /* for the next ones */
    size_t refreshing;
};

static const char *l1_wait_state_name(l1_wait_state_t st)
{
    static const char *names[] = {"asking", "answered", "cancelled", "done"};
    return names[st];
}

/* The one writer of w->state (traced at debug level). The work of the new
 * state is done by l1_wait_step(), which the caller runs next. */
static void l1_wait_set_state(l1_wait_t *w, l1_wait_state_t st)
{
    log_write(LOG_DEBUG, "l1 wait", LF_STR, "from", l1_wait_state_name(w->state), LF_STR, "to",
              l1_wait_state_name(st), LF_END);
    w->state = st;
}

/* The close of L1W_DONE: the only place a wait is freed. */
static void l1_wait_close(l1_wait_t *w)
{
    l1_svc_t *s = w->svc;
    sf_queue_remove(&w->node);
    if (w->refresh) s->refreshing--;
    free(w);
}

/* Stores what next answered and hands it to the client, gzip copy included. */
static void l1_wait_answered(l1_wait_t *w)
{
    l1_svc_t *s = w->svc;
    search_reply_t r;
    blob_t *made = NULL;
    const search_reply_t *in = w->reply;
    if (cache_reply_keep(in, s->store->o.gzip, s->store->o.gzip_level, &r, &made))
        cache_l1_put(s->store, w->key, &r);
    if (w->refresh) { /* done, stored or not: a later stale hit may try again */
        l1_entry_t *e = entry_find(s->store, w->key);
        if (e) e->refreshing = false;
    }
    if (!w->refresh) w->cb(&r, w->data);
    blob_unref(made);
}

/* The step loop: runs the work of each state until the wait waits on next
 * or is done (then closed). */
static void l1_wait_step(l1_wait_t *w)
{
    for (;;) {
        switch (w->state) {
        case L1W_ASKING:
            return; /* next's callback moves it on */
        case L1W_ANSWERED:
            l1_wait_answered(w);
            l1_wait_set_state(w, L1W_DONE);
            break;
        case L1W_CANCELLED:
            if (w->handle) w->svc->next->cancel(w->svc->next, w->handle);
            l1_wait_set_state(w, L1W_DONE);
            break;
        case L1W_DONE:
            l1_wait_close(w);
            return;
        }
    }
}

static void on_next_reply(const search_reply_t *r, void *data)
{
    l1_wait_t *w = data;
    w->handle = NULL;
    w->reply = r;
    l1_wait_set_state(w, L1W_ANSWERED);
    l1_wait_step(w);
}

/* Asks next for req; with refresh, nobody waits. Returns the wait, or NULL
 * when out of memory (next could not take it either). */
static l1_wait_t *ask_next(l1_svc_t *s, const search_request_t *req, bool refresh,
                           search_reply_cb cb, void *data)
{
    size_t klen = strlen(req->key);
    l1_wait_t *w = calloc(1, sizeof *w + klen + 1);
    if (!w) return NULL;
    memcpy(w->key, req->key, klen + 1);
    w->svc = s;
    w->refresh = refresh;
    w->cb = cb;
    w->data = data;
    w->state = L1W_ASKING;
    w->handle = s->next->fetch(s->next, req, on_next_reply, w);
    if (!w->handle) {
        free(w);
        return NULL;
    }
    sf_queue_insert_head(&s->waits, &w->node);
    if (refresh) s->refreshing++;
    return w;
}

static void hit_recycle(l1_hit_t *h)
{
    blob_unref(h->reply.body);
    blob_unref(h->reply.body_deflate);
    h->reply = (search_reply_t){0};
    sf_queue_remove(&h->node);
    sf_queue_insert_head(&h->svc->spare_hits, &h->node);
}

static void on_hit_turn(sf_defer_t *later)
{
    l1_hit_t *h = sf_defer_data(later, l1_hit_t, later);
    h->cb(&h->reply, h->data);
    hit_recycle(h);
}

/* Keeps r (borrowed from the store) for delivery on the next turn. Returns
 * NULL when out of memory. */
static l1_hit_t *hit_later(l1_svc_t *s, const search_reply_t *r, search_reply_cb cb, void *data)
{
    l1_hit_t *h;
    if (!sf_queue_empty(&s->spare_hits)) {
        sf_queue_t *q = sf_queue_head(&s->spare_hits);
        sf_queue_remove(q);
        h = sf_queue_data(q, l1_hit_t, node);
    } else {
        h = calloc(1, sizeof *h);
        if (!h) return NULL;
        h->super.hit = true;
        h->svc = s;
        sf_queue_init(&h->node);
        sf_defer_init(&h->later);
    }
    /* The answer holds its own references: a store change before its turn
     * (or while it is written) cannot free the bytes. */
    h->reply = *r;
    blob_ref(r->body);
    if (r->body_deflate) blob_ref(r->body_deflate);
    h->cb = cb;
    h->data = data;
    sf_queue_insert_tail(&s->hits, &h->node);
    sf_defer(s->loop, &h->later, on_hit_turn); /* cannot fail: made in cache_l1_service() */
    return h;
}

static void *l1_fetch(search_service_t *self, const search_request_t *req, search_reply_cb cb,
                      void *data)
{
    l1_svc_t *s = (l1_svc_t *)self;
    if (s->store->o.note) s->store->o.note(s->store->o.note_ctx, req->query);
    search_reply_t r;
    cache_l1_lookup_t got = cache_l1_get(s->store, req->key, &r);
    if (got == CACHE_L1_MISS) return ask_next(s, req, false, cb, data);
    l1_hit_t *h = hit_later(s, &r, cb, data);
    if (!h) return NULL;
    if (got == CACHE_L1_STALE) {
        l1_entry_t *e = entry_find(s->store, req->key);
        if (!e->refreshing) {
            e->refreshing = true;
            if (!ask_next(s, req, true, NULL, NULL)) e->refreshing = false;
        }
    }
    return h;
}

static void l1_cancel(search_service_t *self, void *handle)
{
    (void)self;
    if (((l1_call_t *)handle)->hit) {
        l1_hit_t *h = handle;
        sf_defer_cancel(&h->later);
        hit_recycle(h);
        return;
    }
    l1_wait_set_state(handle, L1W_CANCELLED);
    l1_wait_step(handle);
}

search_service_t *cache_l1_service(search_service_t *next, const cache_l1_opts_t *o)
{
    if (sf_defer_loop_init(o->loop) < 0) return NULL;
    l1_svc_t *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->store = cache_l1_new(o);
    if (!s->store) {
        free(s);
        return NULL;
    }
    s->next = next;
    s->loop = o->loop;
    sf_queue_init(&s->waits);
    sf_queue_init(&s->hits);
    sf_queue_init(&s->spare_hits);
    s->svc.ctx = s;
    s->svc.fetch = l1_fetch;
    s->svc.cancel = l1_cancel;
    return &s->svc;
}

cache_l1_t *cache_l1_of(search_service_t *svc)
{
    return ((l1_svc_t *)svc)->store;
}

size_t cache_l1_refreshing(search_service_t *svc)
{
    return ((l1_svc_t *)svc)->refreshing;
}

void cache_l1_service_free(search_service_t *svc)
{
    if (!svc) return;
    l1_svc_t *s = (l1_svc_t *)svc;
    while (!sf_queue_empty(&s->waits)) {
        l1_wait_t *w = sf_queue_data(sf_queue_head(&s->waits), l1_wait_t, node);
        l1_wait_set_state(w, L1W_CANCELLED);
        l1_wait_step(w);
    }
    while (!sf_queue_empty(&s->hits)) {
        l1_hit_t *h = sf_queue_data(sf_queue_head(&s->hits), l1_hit_t, node);
        sf_defer_cancel(&h->later);
        hit_recycle(h);
    }
    while (!sf_queue_empty(&s->spare_hits)) {
        sf_queue_t *q = sf_queue_head(&s->spare_hits);
        sf_queue_remove(q);
        free(sf_queue_data(q, l1_hit_t, node));
    }
    cache_l1_free(s->store);
    free(s);
}
