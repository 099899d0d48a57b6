/* A flight per key being computed, in a small hash table; each flight has
 * a FIFO of waiters. A waiter is what fetch() returns as the handle. */
#include <stdlib.h>
#include <string.h>

#include "cache/singleflight.h"
#include "core/log.h"
#include "core/queue.h"

typedef struct sf_flight sf_flight_t;
typedef struct sf_waiter sf_waiter_t;

struct sf_waiter {
    sf_flight_t *flight;
    sf_queue_t node; /* the flight's waiters, in arrival order */
    search_reply_cb cb;
    void *data;
};

/* A flight's life. */
typedef enum {
    FLIGHT_ASKING,    /* next computes the answer; waiters join */
    FLIGHT_ANSWERED,  /* the answer is here: every waiter gets it */
    FLIGHT_ABANDONED, /* the last waiter left (or the link goes): cancel next */
    FLIGHT_DONE,      /* terminal: closed (out of the table, freed) by the step loop */
} sf_flight_state_t;

struct sf_flight {
    sf_flight_state_t state;
    struct sf_svc *svc;
    sf_flight_t *hnext;
    uint64_t hash;
    sf_queue_t waiters;
    void *handle;                /* next's, while it computes */
    const search_reply_t *reply; /* during FLIGHT_ANSWERED */
    char key[];
};

typedef struct sf_svc {
    search_service_t svc; /* first */
    search_service_t *next;
    sf_flight_t *buckets[256];
    size_t nflights;
    cache_stats_t st;
} sf_svc_t;

static const char *flight_state_name(sf_flight_state_t st)
{
    static const char *names[] = {"asking", "answered", "abandoned", "done"};
    return names[st];
}

/* The one writer of f->state (traced at debug level). The work of the new
 * state is done by flight_step(), which the caller runs next. */
static void flight_set_state(sf_flight_t *f, sf_flight_state_t st)
{
    log_write(LOG_DEBUG, "single-flight", LF_STR, "from", flight_state_name(f->state), LF_STR, "to",
              flight_state_name(st), LF_END);
    f->state = st;
}

static sf_flight_t **slot_of(sf_svc_t *s, const char *key, uint64_t h)
{
    sf_flight_t **pp = &s->buckets[h & 255];
    while (*pp && ((*pp)->hash != h || strcmp((*pp)->key, key) != 0))
        pp = &(*pp)->hnext;
    return pp;
}

/* Takes f out of the table: new requests start a new flight. */
static void flight_unlink(sf_flight_t *f)
{
    sf_svc_t *s = f->svc;
    sf_flight_t **pp = slot_of(s, f->key, f->hash);
    if (*pp == f) {
        *pp = f->hnext;
        s->nflights--;
    }
}

/* Every waiter gets the answer, in arrival order. */
static void flight_answer(sf_flight_t *f)
{
    /* Out of the table first: a waiter's callback asking the same key
     * again starts a new flight instead of joining this finished one. */
    flight_unlink(f);
    while (!sf_queue_empty(&f->waiters)) {
        sf_queue_t *q = sf_queue_head(&f->waiters);
        sf_queue_remove(q);
        sf_waiter_t *w = sf_queue_data(q, sf_waiter_t, node);
        w->cb(f->reply, w->data);
        free(w);
    }
}

/* The close of FLIGHT_DONE: the only place a flight is freed. */
static void flight_close(sf_flight_t *f)
{
    flight_unlink(f);
    free(f);
}

/* The step loop: runs the work of each state until the flight waits on
 * next or is done (then closed). */
static void flight_step(sf_flight_t *f)
{
    for (;;) {
        switch (f->state) {
        case FLIGHT_ASKING:
            return; /* next's callback moves it on */
        case FLIGHT_ANSWERED:
            flight_answer(f);
            flight_set_state(f, FLIGHT_DONE);
            break;
        case FLIGHT_ABANDONED:
            if (f->handle) f->svc->next->cancel(f->svc->next, f->handle);
            flight_set_state(f, FLIGHT_DONE);
            break;
        case FLIGHT_DONE:
            flight_close(f);
            return;
        }
    }
}

static void on_reply(const search_reply_t *r, void *data)
{
    sf_flight_t *f = data;
    f->handle = NULL;
    f->reply = r;
    flight_set_state(f, FLIGHT_ANSWERED);
    flight_step(f);
}

static sf_waiter_t *add_waiter(sf_flight_t *f, search_reply_cb cb, void *data)
{
    sf_waiter_t *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->flight = f;
    w->cb = cb;
    w->data = data;
    sf_queue_insert_tail(&f->waiters, &w->node);
    return w;
}

static void *sf_fetch(search_service_t *self, const search_request_t *req, search_reply_cb cb,
                      void *data)
{
    sf_svc_t *s = (sf_svc_t *)self;
    uint64_t h = cache_hash(req->key);
    sf_flight_t **pp = slot_of(s, req->key, h);
    if (*pp) {
        sf_waiter_t *w = add_waiter(*pp, cb, data);
        if (w) s->st.hits++, s->st.joined++;
        return w;
    }
    size_t klen = strlen(req->key);
    sf_flight_t *f = calloc(1, sizeof *f + klen + 1);
    if (f) sf_queue_init(&f->waiters);
    sf_waiter_t *w = f ? add_waiter(f, cb, data) : NULL;
    if (!w) {
        free(f);
        return NULL;
    }
    memcpy(f->key, req->key, klen + 1);
    f->svc = s;
    f->hash = h;
    f->state = FLIGHT_ASKING;
    f->hnext = *pp;
    *pp = f;
    s->nflights++;
    s->st.misses++;
    f->handle = s->next->fetch(s->next, req, on_reply, f);
    if (!f->handle) { /* next could not take it: nor can this link */
        free(w);
        flight_set_state(f, FLIGHT_DONE);
        flight_step(f);
        return NULL;
    }
    return w;
}

static void sf_cancel(search_service_t *self, void *handle)
{
    (void)self;
    sf_waiter_t *w = handle;
    sf_flight_t *f = w->flight;
    sf_queue_remove(&w->node);
    free(w);
    if (sf_queue_empty(&f->waiters) && f->state == FLIGHT_ASKING) {
        flight_set_state(f, FLIGHT_ABANDONED);
        flight_step(f);
    }
}

search_service_t *cache_singleflight_service(search_service_t *next)
{
    sf_svc_t *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->next = next;
    s->svc.ctx = s;
    s->svc.fetch = sf_fetch;
    s->svc.cancel = sf_cancel;
    return &s->svc;
}

size_t cache_singleflight_flights(search_service_t *svc)
{
    return ((sf_svc_t *)svc)->nflights;
}

const cache_stats_t *cache_singleflight_stats(search_service_t *svc)
{
    return &((sf_svc_t *)svc)->st;
}

void cache_singleflight_free(search_service_t *svc)
{
    if (!svc) return;
    sf_svc_t *s = (sf_svc_t *)svc;
    for (int i = 0; i < 256; i++) {
        while (s->buckets[i]) {
            sf_flight_t *f = s->buckets[i];
            while (!sf_queue_empty(&f->waiters)) {
                sf_queue_t *q = sf_queue_head(&f->waiters);
                sf_queue_remove(q);
                free(sf_queue_data(q, sf_waiter_t, node));
            }
            flight_set_state(f, FLIGHT_ABANDONED);
            flight_step(f);
        }
    }
    free(s);
}
