/* Inside the Redis tier (cache/redis.h): the types its files share (the
 * link, the tier's waits, warming) and the functions one file calls in
 * another. Not for use outside cache/redis*.c. */
#ifndef SF_CACHE_REDIS_INT_H
#define SF_CACHE_REDIS_INT_H

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hiredis/adapters/libuv.h>

#include "cache/redis.h"

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 2000
#define POLL_MS 1000
#define TIMEOUTS_TO_DROP 2 /* deadlines in a row without a reply: the link is dropped */
#define NOTE_SLOTS 256     /* distinct queries counted between two flushes */
#define SCRIPTS 4          /* distinct Lua scripts run through cache_redis_eval() */
#define EVAL_ARGS 8        /* keys + arguments of one script call */
#define EVAL_INTS 8        /* integers of a script's reply handed on */

typedef struct l2 l2_t;

/* ---- the link ------------------------------------------------------------ */

/* The connection's life. */
typedef enum {
    LINK_CONNECTING, /* connect under way, connect_timeout armed */
    LINK_HANDSHAKE,  /* connected: AUTH/SELECT/GET version sent; ready at the answer */
    LINK_READY,      /* commands flow; a poll every second */
    LINK_BACKOFF,    /* dropped: waiting (backoff + jitter) before connecting again */
    LINK_CLOSED,     /* closed for good (drain): nothing more */
} link_state_t;

/* One command: answered, or failed at its deadline, exactly once. */
typedef enum {
    CMD_SENT,      /* waiting for Redis, deadline armed */
    CMD_ANSWERED,  /* the reply (or NULL: the link failed) was handed on */
    CMD_TIMED_OUT, /* the deadline came first: NULL was handed on, the reply will be dropped */
} cmd_state_t;

typedef void (*cmd_fn)(l2_t *l, redisReply *r, void *data); /* r NULL: failed */

typedef struct cmd {
    cmd_state_t state;
    l2_t *l;
    uv_timer_t timer; /* the deadline; the command is freed in its close callback */
    cmd_fn fn;
    void *data;
} cmd_t;

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
    l2_wait_t *prev, *next; /* the link's list */
    bool refresh;           /* nobody waits: a stale entry or warming is refreshed */
    search_reply_cb cb;
    void *data;
    void *handle;       /* next's */
    bool *answered_now; /* set while next->fetch() runs */
    arena_t *arena;     /* the query and key, kept past fetch() */
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
    /* the link */
    link_state_t state;
    redisAsyncContext *ac;
    char host[CONFIG_STR_MAX], user[128], password[256];
    int port, db;
    uv_timer_t timer; /* connect deadline, backoff, then the poll */
    uv_timer_t warm_timer;
    int backoff_ms;
    int timeouts_in_a_row;
    int open_handles; /* timers not closed yet (freeing waits for them) */
    bool freeing;
    /* keys */
    int64_t version;
    bool version_known;
    int64_t deleted_seen_ms; /* deletions up to here are applied */
    /* the tier */
    l2_wait_t *waits;
    cache_stats_t st;
    void (*flush_hook)(void *ctx);
    void (*drop_hook)(void *ctx, const char *key);
    void *hook_ctx;
    /* popularity and warming */
    note_slot_t notes[NOTE_SLOTS];
    size_t warm_running;
    struct warm_job *warm_jobs;
    /* scripts: known by their source's address; sha once SCRIPT LOAD told it */
    struct {
        const char *source;
        char sha[41];
        bool loading;
    } scripts[SCRIPTS];
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
    struct warm_job *next;
    arena_t *arena;
    query_t query;
    char *key;
    char rkey[96];
    void *handle;
    bool *answered_now;
} warm_job_t;

/* redis_link.c: the link's state machine and its commands. */
void link_step(l2_t *l);
void link_drop(l2_t *l, const char *why);
void link_set_state(l2_t *l, link_state_t st);
int cmd_send(l2_t *l, cmd_fn fn, void *data, int argc, const char **argv, const size_t *argvlen);
int cmd_sendv(l2_t *l, cmd_fn fn, void *data, int argc, const char **argv);
void ignore_reply(l2_t *l, redisReply *r, void *data);
void version_seen(l2_t *l, int64_t v);
int64_t reply_int(const redisReply *r, int64_t dflt);

/* redis_codec.c: the Redis key of a query key. */
void rkey_of(const l2_t *l, const char *key, char *out, size_t n);

/* redis.c: the tier. */
void poll_tick(l2_t *l);
void x__redis_store(l2_t *l, const char *key, const char *rkey, const search_reply_t *r);

/* redis_warm.c: warming. */
void warm_unlink_free(warm_job_t *j);
void on_warm_timer(uv_timer_t *t);

#endif
