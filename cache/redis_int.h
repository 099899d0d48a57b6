/* Inside the Redis tier (cache/redis.h): the types its files share (the
 * tier, its waits, warming's jobs) and the functions one file calls in
 * another (l2__*). Not for use outside cache/redis.c, redis_codec.c and
 * redis_warm.c; the link itself is cache/redis_link.h. */
#ifndef SF_CACHE_REDIS_INT_H
#define SF_CACHE_REDIS_INT_H

#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache/redis.h"
#include "core/clock.h"
#include "core/queue.h"

#define NOTE_SLOTS 256 /* distinct queries counted between two flushes */

typedef struct l2 l2_t;

/* ---- the service ------------------------------------------------------- */

/* One request through L2. */
typedef enum {
    W_GET,       /* GET sent; the answer (or its deadline) moves it on */
    W_NEXT,      /* next computes it */
    W_CANCELLED, /* the client left during the GET: freed when the GET ends */
} wait_state_t;

typedef struct l2_wait l2_wait_t;
struct l2_wait {
    wait_state_t state;
    l2_t *l;
    sf_queue_t node; /* the link's waits */
    bool refresh;    /* nobody waits: a stale entry or warming is refreshed */
    search_reply_cb cb;
    void *data;
    void *handle;   /* next's */
    arena_t *arena; /* the query and key, kept past fetch() */
    query_t query;
    search_request_t req;
    char rkey[96]; /* the Redis key */
};

typedef struct note_slot {
    uint64_t hash;
    char *params; /* malloc'd */
    unsigned count;
} note_slot_t;

struct l2 {
    search_service_t svc; /* first: (l2_t *)svc */
    search_service_t *next;
    uv_loop_t *loop;
    const sf_config_t *cfg;
    cache_redis_link_t *link;
    char version_key[128]; /* <prefix>version */
    uv_timer_t warm_timer; /* the tier is freed at its close */
    bool freeing;
    /* keys */
    int64_t version;
    bool version_known;
    int64_t deleted_seen_ms; /* deletions up to here are applied */
    /* the tier */
    sf_queue_t waits;
    cache_stats_t st;
    void (*flush_hook)(void *ctx);
    void (*drop_hook)(void *ctx, const char *key);
    void *hook_ctx;
    /* popularity and warming */
    note_slot_t notes[NOTE_SLOTS];
    size_t warm_running;
    sf_queue_t warm_jobs;
};

/* One popular query checked, and refreshed when it is close to expiring. */
typedef enum {
    WJ_PTTL,   /* asking Redis how long its entry has left */
    WJ_QUEUED, /* to refresh, waiting for a free slot (warm_concurrency) */
    WJ_FETCH,  /* next computes it */
    WJ_DONE,   /* finished: freed */
} warm_state_t;

typedef struct warm_job {
    warm_state_t state;
    l2_t *l;
    sf_queue_t node; /* the tier's warm_jobs */
    arena_t *arena;
    query_t query;
    char *key;
    char rkey[96];
    void *handle;
} warm_job_t;

/* Commands on the tier's link (cache/redis_link.h): fn(l, reply, data). */
static inline int cmd_send(l2_t *l, cache_redis_reply_fn fn, void *data, int argc,
                           const char **argv, const size_t *argvlen)
{
    return cache_redis_link_send(l->link, fn, data, argc, argv, argvlen);
}

static inline int cmd_sendv(l2_t *l, cache_redis_reply_fn fn, void *data, int argc,
                            const char **argv)
{
    return cache_redis_link_send(l->link, fn, data, argc, argv, NULL);
}

static inline bool link_ready(const l2_t *l)
{
    return cache_redis_link_ready(l->link);
}

/* An integer reply, or a string holding one; dflt otherwise. */
static inline int64_t reply_int(const redisReply *r, int64_t dflt)
{
    if (!r) return dflt;
    if (r->type == REDIS_REPLY_INTEGER) return r->integer;
    if (r->type == REDIS_REPLY_STRING) return strtoll(r->str, NULL, 10);
    return dflt;
}

/* redis_codec.c: the Redis key of a query key. */
void l2__rkey(const l2_t *l, const char *key, char *out, size_t n);

/* redis.c: the tier. */
void l2__store(l2_t *l, const char *key, const char *rkey, const search_reply_t *r);

/* redis_warm.c: warming. */
void l2__warm_free(warm_job_t *j);
void l2__on_warm_timer(uv_timer_t *t);

#endif
