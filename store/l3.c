/* L3: the search_cache table as a link of the search service chain.
 *
 * A fetch is a small state machine: LOOKUP (the cache row is asked for,
 * under a short deadline of its own), NEXT (a miss: the next link works),
 * then the reply goes out and a fresh 200 answer is written behind it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "store/sql.h"
#include "store/store.h"

#define L3_LOOKUP_MAX_MS 150 /* a slow L3 is skipped, not waited for */

void store__l3_count(store_t *st, int hit, int miss, int write);
const sf_config_t *store__config(const store_t *st);
uv_loop_t *store__loop(const store_t *st);

typedef struct l3 {
    search_service_t svc; /* first */
    store_t *st;
    search_service_t *next;
} l3_t;

typedef enum {
    L3F_LOOKUP = 0, /* the cache row is being read */
    L3F_NEXT,       /* missed: the next link answers */
    L3F_DONE,       /* answered or cancelled; freed when the timer has closed */
} l3f_state_t;

typedef struct l3_fetch {
    l3_t *l3;
    l3f_state_t state;
    arena_t *arena;
    query_t query; /* a copy: the request's is valid during fetch() only */
    char *key;
    char hash[20];
    int deadline_ms;
    search_reply_cb cb;
    void *data;
    store_query_t *lookup;
    void *next_handle;
    uv_timer_t timer;
} l3_fetch_t;

static void l3f_set_state(l3_fetch_t *f, l3f_state_t s)
{
    f->state = s;
}

static void on_timer_closed(uv_handle_t *h)
{
    l3_fetch_t *f = h->data;
    arena_free(f->arena);
}

/* Ends f: stops its timer; its memory goes with the timer's close. */
static void l3f_finish(l3_fetch_t *f)
{
    l3f_set_state(f, L3F_DONE);
    uv_close((uv_handle_t *)&f->timer, on_timer_closed);
}

static void on_put(PGresult *res, const char *err, void *data)
{
    (void)data;
    if (!res || PQresultStatus(res) != PGRES_COMMAND_OK)
        log_write(LOG_DEBUG, "L3 write failed", LF_STR, "error", err, LF_END);
}

static void on_next_reply(const search_reply_t *r, void *data)
{
    l3_fetch_t *f = data;
    l3_t *l = f->l3;
    f->next_handle = NULL;
    f->cb(r, f->data); /* the reply first, the write behind it */
    /* Partial answers (a provider timed out or failed) are not kept here:
     * shared by every instance, they would outlive the provider's hiccup. */
    if (r->status == 200 && r->body && !r->stale && !search_reply_partial(r) &&
        store_available(l->st, NULL)) {
        char ttl[24], status[8], total[24], took[32];
        snprintf(ttl, sizeof ttl, "%lld", (long long)store__config(l->st)->cache.ttl_ms);
        snprintf(status, sizeof status, "%d", r->status);
        snprintf(total, sizeof total, "%lld", (long long)r->total);
        snprintf(took, sizeof took, "%.3f", r->took_ms);
        const char *params[7] = {f->hash, f->key, status, r->body->data, ttl, total, took};
        if (store_query(l->st, STORE_Q_CACHE_PUT, 7, params, on_put, NULL))
            store__l3_count(l->st, 0, 0, 1);
    }
    l3f_finish(f);
}

/* A miss (or L3 unusable): the next link answers. Returns false when it
 * could not take the question (out of memory). */
static bool l3f_ask_next(l3_fetch_t *f)
{
    l3f_set_state(f, L3F_NEXT);
    uv_timer_stop(&f->timer);
    search_request_t req = {.query = &f->query, .key = f->key, .deadline_ms = f->deadline_ms};
    f->next_handle = f->l3->next->fetch(f->l3->next, &req, on_next_reply, f);
    return f->next_handle != NULL;
}

/* l3f_ask_next() from a callback: the client gets a 500 answer when next
 * cannot take it. */
static void l3f_ask_next_later(l3_fetch_t *f)
{
    if (l3f_ask_next(f)) return;
    l3f_finish(f);
    search_reply_oom(f->cb, f->data, "postgres");
}

static void on_lookup(PGresult *res, const char *err, void *data)
{
    (void)err;
    l3_fetch_t *f = data;
    f->lookup = NULL;
    if (res && PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
        const char *body = PQgetvalue(res, 0, 0);
        size_t len = (size_t)PQgetlength(res, 0, 0);
        blob_t *b = search_reply_body_ok(body, len) ? blob_new(body, len) : NULL;
        if (b) {
            search_reply_t r = {
                .status = atoi(PQgetvalue(res, 0, 1)),
                .body = b,
                .etag = search_reply_etag(b->data, b->len),
                .tier = "postgres",
                .age_s = atoll(PQgetvalue(res, 0, 2)),
                .total = atoll(PQgetvalue(res, 0, 3)),
                .took_ms = atof(PQgetvalue(res, 0, 4)),
            };
            store__l3_count(f->l3->st, 1, 0, 0);
            l3f_finish(f);
            f->cb(&r, f->data);
            blob_unref(b);
            return;
        }
    }
    store__l3_count(f->l3->st, 0, 1, 0);
    l3f_ask_next_later(f);
}

static void on_lookup_timeout(uv_timer_t *t)
{
    l3_fetch_t *f = t->data;
    if (f->state != L3F_LOOKUP) return;
    store_pool_cancel(f->lookup);
    f->lookup = NULL;
    store__l3_count(f->l3->st, 0, 1, 0);
    l3f_ask_next_later(f);
}

static void *l3_fetch(search_service_t *self, const search_request_t *req, search_reply_cb cb,
                      void *data)
{
    l3_t *l = (l3_t *)self;
    arena_t *a = arena_new(0);
    l3_fetch_t *f = a ? arena_calloc(a, 1, sizeof *f) : NULL;
    /* The whole query, traceparent included: the lookup outlives the
     * request's arena when the request leaves and a single-flight waiter
     * stays behind it. */
    if (!f || query_copy(&f->query, req->query, a) < 0 ||
        !(f->key = arena_strdup(a, req->key ? req->key : ""))) {
        arena_free(a);
        return NULL;
    }
    f->l3 = l;
    f->arena = a;
    f->cb = cb;
    f->data = data;
    f->deadline_ms = req->deadline_ms;
    uv_timer_init(store__loop(l->st), &f->timer);
    f->timer.data = f;
    store_cache_key_hash(f->key, f->hash);
    const char *params[2] = {f->hash, f->key};
    f->lookup = store_available(l->st, NULL)
                    ? store_query(l->st, STORE_Q_CACHE_GET, 2, params, on_lookup, f)
                    : NULL;
    if (!f->lookup) { /* L3 unusable: straight to next */
        if (l3f_ask_next(f)) return f;
        l3f_finish(f);
        return NULL;
    }
    int wait = req->deadline_ms / 4;
    if (wait > L3_LOOKUP_MAX_MS || wait <= 0) wait = L3_LOOKUP_MAX_MS;
    uv_timer_start(&f->timer, on_lookup_timeout, (uint64_t)wait, 0);
    return f;
}

static void l3_cancel(search_service_t *self, void *handle)
{
    (void)self;
    l3_fetch_t *f = handle;
    if (f->state == L3F_LOOKUP) {
        store_pool_cancel(f->lookup);
        f->lookup = NULL;
    } else if (f->state == L3F_NEXT && f->next_handle) {
        f->l3->next->cancel(f->l3->next, f->next_handle);
        f->next_handle = NULL;
    }
    if (f->state != L3F_DONE) l3f_finish(f);
}

search_service_t *store_l3_service(store_t *st, search_service_t *next)
{
    l3_t *l = calloc(1, sizeof *l);
    if (!l) return NULL;
    l->st = st;
    l->next = next;
    l->svc.fetch = l3_fetch;
    l->svc.cancel = l3_cancel;
    return &l->svc;
}

void store_l3_free(search_service_t *svc)
{
    free(svc);
}

/* ---- DELETE /v1/cache ------------------------------------------------------ */

typedef struct l3_delete {
    void (*done)(void *data, bool ok);
    void *data;
} l3_delete_t;

static void on_deleted(PGresult *res, const char *err, void *data)
{
    l3_delete_t *d = data;
    bool ok = res && PQresultStatus(res) == PGRES_COMMAND_OK;
    if (!ok) log_write(LOG_WARN, "L3 delete failed", LF_STR, "error", err, LF_END);
    d->done(d->data, ok);
    free(d);
}

int store_l3_delete(void *store, const char *key, void (*done)(void *data, bool ok), void *data)
{
    store_t *st = store;
    if (!store_available(st, NULL)) return -1;
    l3_delete_t *d = malloc(sizeof *d);
    if (!d) return -1;
    *d = (l3_delete_t){.done = done, .data = data};
    char hash[20];
    const char *params[1] = {hash};
    if (key) store_cache_key_hash(key, hash);
    if (!store_query(st, key ? STORE_Q_CACHE_DELETE : STORE_Q_CACHE_CLEAR, key ? 1 : 0, params,
                     on_deleted, d)) {
        free(d);
        return -1;
    }
    return 0;
}
