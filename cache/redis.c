/* L2 on Redis: the link (a state machine around one hiredis async
 * context), commands with deadlines, the service link, the popularity
 * count and warming. */
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hiredis/adapters/libuv.h>

#include "cache/redis.h"
#include "core/metrics.h"
#include "core/log.h"

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

static const char *link_state_name(link_state_t st)
{
    static const char *names[] = {"connecting", "handshake", "ready", "backoff", "closed"};
    return names[st];
}

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

static void link_step(l2_t *l);
static void link_drop(l2_t *l, const char *why);

static void link_set_state(l2_t *l, link_state_t st)
{
    if (l->state != st)
        log_write(LOG_DEBUG, "redis link", LF_STR, "from", link_state_name(l->state), LF_STR, "to",
                  link_state_name(st), LF_END);
    l->state = st;
    link_step(l);
}

/* ---- commands ------------------------------------------------------------ */

static void cmd_closed(uv_handle_t *h)
{
    free(h->data);
}

static void cmd_done(cmd_t *c)
{
    if (uv_is_closing((uv_handle_t *)&c->timer)) { /* closed by the worker's last walk */
        free(c);
        return;
    }
    uv_timer_stop(&c->timer);
    uv_close((uv_handle_t *)&c->timer, cmd_closed);
}

/* hiredis' callback: the reply, or NULL when the context fails or is freed. */
static void on_cmd_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
    (void)ac;
    cmd_t *c = privdata;
    redisReply *r = reply;
    if (c->state == CMD_SENT) {
        c->state = CMD_ANSWERED;
        if (r) c->l->timeouts_in_a_row = 0;
        /* NOSCRIPT is expected after a restart: cache_redis_eval() sends the source */
        if (r && r->type == REDIS_REPLY_ERROR && strncmp(r->str, "NOSCRIPT", 8) != 0) {
            log_write(LOG_WARN, "redis error reply", LF_STR, "error", r->str, LF_END);
            c->l->st.errors++;
        }
        c->fn(c->l, r, c->data);
    }
    cmd_done(c);
}

static void on_cmd_deadline(uv_timer_t *t)
{
    cmd_t *c = t->data;
    l2_t *l = c->l;
    c->state = CMD_TIMED_OUT;
    l->st.timeouts++;
    l->st.errors++;
    c->fn(l, NULL, c->data);
    /* Frozen or stuck (hiredis#538): new commands would only queue up. */
    if (++l->timeouts_in_a_row >= TIMEOUTS_TO_DROP || l->state == LINK_HANDSHAKE)
        link_drop(l, "command deadline");
}

/* Sends a command with a deadline. fn(l, reply, data) runs exactly once,
 * with NULL on failure, unless this returns -1 (link not usable). */
static int cmd_send(l2_t *l, cmd_fn fn, void *data, int argc, const char **argv,
                    const size_t *argvlen)
{
    if (!l->ac || (l->state != LINK_READY && l->state != LINK_HANDSHAKE)) return -1;
    cmd_t *c = calloc(1, sizeof *c);
    if (!c) return -1;
    c->l = l;
    c->fn = fn;
    c->data = data;
    c->state = CMD_SENT;
    if (redisAsyncCommandArgv(l->ac, on_cmd_reply, c, argc, argv, argvlen) != REDIS_OK) {
        free(c);
        return -1;
    }
    uv_timer_init(l->loop, &c->timer);
    c->timer.data = c;
    uv_timer_start(&c->timer, on_cmd_deadline, (uint64_t)l->cfg->redis.command_timeout_ms, 0);
    return 0;
}

/* The same with NUL-terminated arguments. */
static int cmd_sendv(l2_t *l, cmd_fn fn, void *data, int argc, const char **argv)
{
    size_t lens[16];
    for (int i = 0; i < argc; i++)
        lens[i] = strlen(argv[i]);
    return cmd_send(l, fn, data, argc, argv, lens);
}

static void ignore_reply(l2_t *l, redisReply *r, void *data)
{
    (void)l, (void)r, (void)data;
}

/* ---- the link's states ------------------------------------------------------ */

static void version_seen(l2_t *l, int64_t v)
{
    if (l->version_known && v != l->version) {
        log_write(LOG_INFO, "cache version changed: memory tier flushed", LF_INT, "version", v,
                  LF_END);
        if (l->flush_hook) l->flush_hook(l->hook_ctx);
    }
    l->version = v;
    l->version_known = true;
}

static int64_t reply_int(const redisReply *r, int64_t dflt)
{
    if (!r) return dflt;
    if (r->type == REDIS_REPLY_INTEGER) return r->integer;
    if (r->type == REDIS_REPLY_STRING) return strtoll(r->str, NULL, 10);
    return dflt;
}

static void on_handshake_version(l2_t *l, redisReply *r, void *data)
{
    (void)data;
    if (l->state != LINK_HANDSHAKE) return;
    if (!r || (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_NIL)) {
        link_drop(l, r ? "cannot read the cache version" : "no answer to the handshake");
        return;
    }
    version_seen(l, reply_int(r, 0));
    l->backoff_ms = 0;
    log_write(LOG_INFO, "redis ready", LF_STR, "url", l->cfg->redis.url, LF_INT, "version",
              l->version, LF_END);
    link_set_state(l, LINK_READY);
}

static void on_handshake_step(l2_t *l, redisReply *r, void *data)
{
    (void)data;
    if (l->state == LINK_HANDSHAKE && r && r->type == REDIS_REPLY_ERROR)
        link_drop(l, "AUTH or SELECT refused");
}

static void on_connect(const redisAsyncContext *ac, int status)
{
    l2_t *l = ac->data;
    if (!l || l->ac != ac) return;
    if (status != REDIS_OK) {
        /* hiredis frees the context after this callback */
        log_write(LOG_WARN, "redis connect failed", LF_STR, "error", ac->errstr, LF_END);
        l->ac = NULL;
        l->st.errors++;
        link_set_state(l, LINK_BACKOFF);
        return;
    }
    redisEnableKeepAlive((redisContext *)&ac->c);
    link_set_state(l, LINK_HANDSHAKE);
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    l2_t *l = ac->data;
    if (!l || l->ac != ac) return; /* we dropped it ourselves */
    l->ac = NULL;                  /* hiredis frees it after this callback */
    log_write(LOG_WARN, "redis connection lost", LF_STR, "error",
              status == REDIS_OK ? "closed" : ac->errstr, LF_END);
    l->st.errors++;
    link_set_state(l, LINK_BACKOFF);
}

/* Frees the context (its pending commands fail) and backs off. Never from
 * inside the connect or disconnect callbacks. */
static void link_drop(l2_t *l, const char *why)
{
    if (l->state == LINK_BACKOFF || l->state == LINK_CLOSED) return;
    log_write(LOG_WARN, "redis link dropped", LF_STR, "reason", why, LF_END);
    redisAsyncContext *ac = l->ac;
    l->ac = NULL;
    l->timeouts_in_a_row = 0;
    l->state = LINK_BACKOFF; /* before the free: its callbacks see a dropped link */
    if (ac) {
        ac->data = NULL;
        redisAsyncFree(ac);
    }
    link_set_state(l, LINK_BACKOFF);
}

static void on_timer(uv_timer_t *t)
{
    l2_t *l = t->data;
    switch (l->state) {
    case LINK_CONNECTING:
        link_drop(l, "connect timeout");
        break;
    case LINK_BACKOFF:
        link_set_state(l, LINK_CONNECTING);
        break;
    default:
        link_step(l);
        break;
    }
}

static void start_connect(l2_t *l)
{
    redisAsyncContext *ac =
        l->port ? redisAsyncConnect(l->host, l->port) : redisAsyncConnectUnix(l->host);
    if (!ac || ac->err) {
        log_write(LOG_WARN, "redis connect failed", LF_STR, "error",
                  ac ? ac->errstr : "out of memory", LF_END);
        if (ac) redisAsyncFree(ac);
        l->st.errors++;
        l->state = LINK_BACKOFF;
        link_step(l);
        return;
    }
    ac->data = l;
    if (redisLibuvAttach(ac, l->loop) != REDIS_OK) {
        ac->data = NULL;
        redisAsyncFree(ac);
        l->state = LINK_BACKOFF;
        link_step(l);
        return;
    }
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    l->ac = ac;
    uv_timer_start(&l->timer, on_timer, (uint64_t)l->cfg->redis.connect_timeout_ms, 0);
}

static void send_handshake(l2_t *l)
{
    uv_timer_stop(&l->timer);
    if (l->password[0]) {
        const char *a[] = {"AUTH", l->user, l->password};
        if (l->user[0])
            cmd_sendv(l, on_handshake_step, NULL, 3, a);
        else {
            const char *b[] = {"AUTH", l->password};
            cmd_sendv(l, on_handshake_step, NULL, 2, b);
        }
    }
    if (l->db) {
        char db[16];
        snprintf(db, sizeof db, "%d", l->db);
        const char *a[] = {"SELECT", db};
        cmd_sendv(l, on_handshake_step, NULL, 2, a);
    }
    char key[128];
    snprintf(key, sizeof key, "%sversion", l->cfg->redis.key_prefix);
    const char *a[] = {"GET", key};
    if (cmd_sendv(l, on_handshake_version, NULL, 2, a) < 0) link_drop(l, "cannot send");
}

static void poll_tick(l2_t *l);

/* Runs the work of the state the link is in. */
static void link_step(l2_t *l)
{
    switch (l->state) {
    case LINK_CONNECTING:
        if (!l->ac) start_connect(l);
        break;
    case LINK_HANDSHAKE:
        send_handshake(l);
        break;
    case LINK_READY:
        poll_tick(l);
        uv_timer_start(&l->timer, on_timer, POLL_MS, 0);
        break;
    case LINK_BACKOFF: {
        l->backoff_ms = l->backoff_ms ? l->backoff_ms * 2 : BACKOFF_MIN_MS;
        if (l->backoff_ms > BACKOFF_MAX_MS) l->backoff_ms = BACKOFF_MAX_MS;
        /* jitter: half to all of the backoff, so workers do not reconnect in step */
        int wait = l->backoff_ms / 2 + (int)(random() % (l->backoff_ms / 2 + 1));
        uv_timer_start(&l->timer, on_timer, (uint64_t)wait, 0);
        break;
    }
    case LINK_CLOSED:
        uv_timer_stop(&l->timer);
        break;
    }
}

/* ---- keys and values ------------------------------------------------------ */

static void rkey_of(const l2_t *l, const char *key, char *out, size_t n)
{
    snprintf(out, n, "%sv%" PRId64 ":%016" PRIx64, l->cfg->redis.key_prefix, l->version,
             cache_hash(key));
}

#define VALUE_MAGIC "SFC1"
#define VALUE_HEAD 40

static void put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get_u32(const unsigned char *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static uint64_t get_u64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* magic(4) status(4) created_ms(8) etag(8) crc(4) keylen(4) bodylen(4) deflen(4) key body deflate
 */
char *cache_redis_encode(const char *key, const search_reply_t *r, int64_t created_ms, size_t *len)
{
    size_t klen = strlen(key), blen = r->body->len;
    size_t dlen = r->body_deflate ? r->body_deflate->len : 0;
    *len = VALUE_HEAD + klen + blen + dlen;
    unsigned char *p = malloc(*len);
    if (!p) return NULL;
    memcpy(p, VALUE_MAGIC, 4);
    put_u32(p + 4, (uint32_t)r->status);
    put_u64(p + 8, (uint64_t)created_ms);
    put_u64(p + 16, r->etag);
    put_u32(p + 24, r->body_crc32);
    put_u32(p + 28, (uint32_t)klen);
    put_u32(p + 32, (uint32_t)blen);
    put_u32(p + 36, (uint32_t)dlen);
    memcpy(p + VALUE_HEAD, key, klen);
    memcpy(p + VALUE_HEAD + klen, r->body->data, blen);
    if (dlen) memcpy(p + VALUE_HEAD + klen + blen, r->body_deflate->data, dlen);
    return (char *)p;
}

int cache_redis_decode(const char *key, const char *bytes, size_t len, search_reply_t *out,
                       int64_t *created_ms)
{
    const unsigned char *p = (const unsigned char *)bytes;
    if (len < VALUE_HEAD || memcmp(p, VALUE_MAGIC, 4) != 0) return -1;
    size_t klen = get_u32(p + 28), blen = get_u32(p + 32), dlen = get_u32(p + 36);
    if ((uint64_t)VALUE_HEAD + klen + blen + dlen != len || blen < 2) return -1;
    if (klen != strlen(key) || memcmp(p + VALUE_HEAD, key, klen) != 0) return -1;
    const char *body = bytes + VALUE_HEAD + klen;
    if (body[0] != '{') return -1;
    *out = (search_reply_t){
        .status = (int)get_u32(p + 4),
        .etag = get_u64(p + 16),
        .body_crc32 = get_u32(p + 24),
        .tier = "redis",
    };
    *created_ms = (int64_t)get_u64(p + 8);
    out->body = blob_new(body, blen);
    out->body_deflate = dlen ? blob_new(body + blen, dlen) : NULL;
    if (!out->body || (dlen && !out->body_deflate)) {
        blob_unref(out->body);
        blob_unref(out->body_deflate);
        return -1;
    }
    return 0;
}

/* ---- the service ---------------------------------------------------------- */

static void wait_free(l2_wait_t *w)
{
    l2_t *l = w->l;
    if (w->prev)
        w->prev->next = w->next;
    else
        l->waits = w->next;
    if (w->next) w->next->prev = w->prev;
    if (w->answered_now) *w->answered_now = true;
    arena_free(w->arena);
    free(w);
}

static void on_set_reply(l2_t *l, redisReply *r, void *data)
{
    (void)data;
    if (r && r->type != REDIS_REPLY_ERROR) l->st.fills++;
}

static int64_t partial_ttl(const l2_t *l)
{
    int64_t t = l->cfg->cache.ttl_ms;
    return t < SEARCH_PARTIAL_TTL_MAX_MS ? t : SEARCH_PARTIAL_TTL_MAX_MS;
}

/* Stores r under w's key, for TTL + grace. */
static void store(l2_t *l, const char *key, const char *rkey, const search_reply_t *r)
{
    bool partial = search_reply_partial(r);
    if (l->state != LINK_READY || (!cache_reply_cacheable(r) && !partial)) return;
    size_t len;
    int64_t created = cache_wall_ms() - r->age_s * 1000;
    char *v = cache_redis_encode(key, r, created, &len);
    if (!v) return;
    int64_t left = (partial ? partial_ttl(l) : l->cfg->cache.ttl_ms + l->cfg->cache.stale_ms) -
                   r->age_s * 1000;
    if (left > 0) {
        char px[32];
        snprintf(px, sizeof px, "%" PRId64, left);
        const char *argv[] = {"SET", rkey, v, "PX", px};
        size_t lens[] = {3, strlen(rkey), len, 2, strlen(px)};
        if (cmd_send(l, on_set_reply, NULL, 5, argv, lens) == 0) l->st.bytes += len;
    }
    free(v);
}

static void on_next_reply(const search_reply_t *r, void *data)
{
    l2_wait_t *w = data;
    l2_t *l = w->l;
    w->handle = NULL;
    search_reply_t out;
    blob_t *made = NULL;
    if (!(l->cfg->cache.gzip && (cache_reply_cacheable(r) || search_reply_partial(r)) &&
          cache_reply_with_deflate(r, &out, &made) == 0))
        out = *r;
    store(l, w->req.key, w->rkey, &out);
    if (!w->refresh) w->cb(&out, w->data);
    blob_unref(made);
    wait_free(w);
}

/* Hands w to next (its query must be valid). Returns false when next
 * answered at once (w is freed). */
static bool ask_next(l2_wait_t *w, const search_request_t *req)
{
    l2_t *l = w->l;
    w->state = W_NEXT;
    bool answered = false;
    w->answered_now = &answered;
    void *h = l->next->fetch(l->next, req, on_next_reply, w);
    if (answered) return false;
    w->answered_now = NULL;
    w->handle = h;
    return true;
}

static l2_wait_t *wait_new(l2_t *l, const search_request_t *req, bool copy_query)
{
    l2_wait_t *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->l = l;
    w->arena = arena_new(512);
    if (!w->arena) {
        free(w);
        return NULL;
    }
    w->req = *req;
    w->req.key = arena_strdup(w->arena, req->key);
    w->req.query = &w->query;
    if (!w->req.key || (copy_query && query_copy(&w->query, req->query, w->arena) < 0)) {
        arena_free(w->arena);
        free(w);
        return NULL;
    }
    rkey_of(l, req->key, w->rkey, sizeof w->rkey);
    w->next = l->waits;
    if (l->waits) l->waits->prev = w;
    l->waits = w;
    return w;
}

static bool refresh_running(const l2_t *l, const char *key)
{
    for (const l2_wait_t *w = l->waits; w; w = w->next)
        if (w->refresh && w->state == W_NEXT && strcmp(w->req.key, key) == 0) return true;
    return false;
}

static void on_get_reply(l2_t *l, redisReply *r, void *data)
{
    l2_wait_t *w = data;
    if (w->state == W_CANCELLED || l->freeing) {
        wait_free(w);
        return;
    }
    search_reply_t hit;
    int64_t created;
    if (r && r->type == REDIS_REPLY_STRING &&
        cache_redis_decode(w->req.key, r->str, (size_t)r->len, &hit, &created) == 0) {
        int64_t age_ms = cache_wall_ms() - created;
        if (age_ms < 0) age_ms = 0;
        hit.age_s = age_ms / 1000;
        hit.stale = age_ms >= (search_reply_partial(&hit) ? partial_ttl(l) : l->cfg->cache.ttl_ms);
        l->st.hits++;
        metrics_cache_hit(METRICS_TIER_L2);
        if (hit.stale) l->st.stale_hits++;
        w->cb(&hit, w->data);
        blob_unref(hit.body);
        blob_unref(hit.body_deflate);
        if (hit.stale && !refresh_running(l, w->req.key)) {
            w->refresh = true; /* the same wait goes on, in the background */
            ask_next(w, &w->req);
            return;
        }
        wait_free(w);
        return;
    }
    if (r && r->type == REDIS_REPLY_STRING) l->st.errors++; /* not ours or damaged */
    l->st.misses++;
    metrics_cache_miss(METRICS_TIER_L2);
    ask_next(w, &w->req);
}

static void *l2_fetch(search_service_t *self, const search_request_t *req, search_reply_cb cb,
                      void *data)
{
    l2_t *l = (l2_t *)self;
    bool ready = l->state == LINK_READY;
    l2_wait_t *w = wait_new(l, req, ready);
    if (!w) {
        search_reply_oom(cb, data, "redis");
        return NULL;
    }
    w->cb = cb;
    w->data = data;
    if (ready) {
        const char *argv[] = {"GET", w->rkey};
        w->state = W_GET;
        if (cmd_sendv(l, on_get_reply, w, 2, argv) == 0) return w;
    }
    if (!ready) l->st.errors++; /* bypassed: Redis is not there */
    l->st.misses++;
    metrics_cache_miss(METRICS_TIER_L2);
    return ask_next(w, req) ? w : NULL;
}

static void l2_cancel(search_service_t *self, void *handle)
{
    (void)self;
    l2_wait_t *w = handle;
    if (w->state == W_GET) {
        w->state = W_CANCELLED; /* the GET ends within its deadline */
        return;
    }
    if (w->handle) w->l->next->cancel(w->l->next, w->handle);
    wait_free(w);
}

/* ---- the poll: version, deletions elsewhere, popularity counts ------------ */

static void on_poll_version(l2_t *l, redisReply *r, void *data)
{
    (void)data;
    if (r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_NIL))
        version_seen(l, reply_int(r, 0));
}

static void on_poll_deleted(l2_t *l, redisReply *r, void *data)
{
    (void)data;
    if (!r || r->type != REDIS_REPLY_ARRAY) return;
    /* WITHSCORES: member, score, member, score... */
    for (size_t i = 0; i + 1 < r->elements; i += 2) {
        redisReply *m = r->element[i], *sc = r->element[i + 1];
        if (m->type != REDIS_REPLY_STRING) continue;
        int64_t at = reply_int(sc, 0);
        if (at > l->deleted_seen_ms) l->deleted_seen_ms = at;
        if (l->drop_hook) l->drop_hook(l->hook_ctx, m->str);
    }
}

static void flush_notes(l2_t *l)
{
    char key[128], n[16];
    snprintf(key, sizeof key, "%shot:%" PRId64, l->cfg->redis.key_prefix,
             cache_wall_ms() / 3600000);
    bool any = false;
    for (size_t i = 0; i < NOTE_SLOTS; i++) {
        note_slot_t *s = &l->notes[i];
        if (!s->params) continue;
        snprintf(n, sizeof n, "%u", s->count);
        const char *argv[] = {"ZINCRBY", key, n, s->params};
        cmd_sendv(l, ignore_reply, NULL, 4, argv);
        free(s->params);
        *s = (note_slot_t){0};
        any = true;
    }
    if (any) {
        const char *argv[] = {"EXPIRE", key, "7200"};
        cmd_sendv(l, ignore_reply, NULL, 3, argv);
    }
}

static void poll_tick(l2_t *l)
{
    if (!l->next) return; /* a link without the tier (cache_redis_link) */
    char key[128], from[32];
    snprintf(key, sizeof key, "%sversion", l->cfg->redis.key_prefix);
    const char *a[] = {"GET", key};
    cmd_sendv(l, on_poll_version, NULL, 2, a);
    if (!l->deleted_seen_ms) l->deleted_seen_ms = cache_wall_ms();
    snprintf(key, sizeof key, "%sdeleted", l->cfg->redis.key_prefix);
    snprintf(from, sizeof from, "(%" PRId64, l->deleted_seen_ms);
    const char *b[] = {"ZRANGEBYSCORE", key, from, "+inf", "WITHSCORES"};
    cmd_sendv(l, on_poll_deleted, NULL, 5, b);
    flush_notes(l);
}

void cache_redis_note(void *svc, const query_t *q)
{
    l2_t *l = svc;
    if (l->cfg->cache.warm_top <= 0) return;
    arena_t *a = arena_new(1024);
    char *p = a ? cache_query_params(q, a) : NULL;
    if (p) {
        uint64_t h = cache_hash(p);
        for (size_t i = 0; i < 8; i++) { /* a short probe; a full table drops the count */
            note_slot_t *s = &l->notes[(h + i) & (NOTE_SLOTS - 1)];
            if (s->params && s->hash == h && strcmp(s->params, p) == 0) {
                s->count++;
                break;
            }
            if (!s->params) {
                s->params = strdup(p);
                if (s->params) {
                    s->hash = h;
                    s->count = 1;
                }
                break;
            }
        }
    }
    arena_free(a);
}

/* ---- DELETE ------------------------------------------------------------------ */

typedef struct admin_op {
    void (*del_done)(void *data, bool ok);
    void (*bump_done)(void *data, int64_t version);
    void *data;
} admin_op_t;

static void on_del_reply(l2_t *l, redisReply *r, void *data)
{
    (void)l;
    admin_op_t *op = data;
    op->del_done(op->data, r && r->type != REDIS_REPLY_ERROR);
    free(op);
}

int cache_redis_delete(search_service_t *svc, const char *key, void (*done)(void *data, bool ok),
                       void *data)
{
    l2_t *l = (l2_t *)svc;
    if (l->state != LINK_READY) return -1;
    admin_op_t *op = calloc(1, sizeof *op);
    if (!op) return -1;
    op->del_done = done;
    op->data = data;
    char rkey[96], dkey[128], now[32];
    rkey_of(l, key, rkey, sizeof rkey);
    snprintf(dkey, sizeof dkey, "%sdeleted", l->cfg->redis.key_prefix);
    snprintf(now, sizeof now, "%" PRId64, cache_wall_ms());
    const char *z[] = {"ZADD", dkey, now, key};
    cmd_sendv(l, ignore_reply, NULL, 4, z);
    /* deletions older than ten minutes are of no use to anyone */
    char old[32];
    snprintf(old, sizeof old, "%" PRId64, cache_wall_ms() - 600000);
    const char *t[] = {"ZREMRANGEBYSCORE", dkey, "-inf", old};
    cmd_sendv(l, ignore_reply, NULL, 4, t);
    const char *d[] = {"DEL", rkey};
    if (cmd_sendv(l, on_del_reply, op, 2, d) < 0) {
        free(op);
        return -1;
    }
    return 0;
}

static void on_bump_reply(l2_t *l, redisReply *r, void *data)
{
    admin_op_t *op = data;
    int64_t v = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
    if (v >= 0) {
        l->version = v; /* this worker's L1 is flushed by the caller */
        l->version_known = true;
    }
    op->bump_done(op->data, v);
    free(op);
}

int cache_redis_bump(search_service_t *svc, void (*done)(void *data, int64_t version), void *data)
{
    l2_t *l = (l2_t *)svc;
    if (l->state != LINK_READY) return -1;
    admin_op_t *op = calloc(1, sizeof *op);
    if (!op) return -1;
    op->bump_done = done;
    op->data = data;
    char key[128];
    snprintf(key, sizeof key, "%sversion", l->cfg->redis.key_prefix);
    const char *a[] = {"INCR", key};
    if (cmd_sendv(l, on_bump_reply, op, 2, a) < 0) {
        free(op);
        return -1;
    }
    return 0;
}

/* ---- warming ---------------------------------------------------------------- */

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

static void warm_step(warm_job_t *j);

static void warm_set_state(warm_job_t *j, warm_state_t st)
{
    j->state = st;
    warm_step(j);
}

static void warm_pump(l2_t *l)
{
    while (l->warm_running < (size_t)l->cfg->cache.warm_concurrency) {
        warm_job_t *j = l->warm_jobs;
        while (j && j->state != WJ_QUEUED)
            j = j->next;
        if (!j) return;
        warm_set_state(j, WJ_FETCH);
    }
}

static void warm_unlink_free(warm_job_t *j)
{
    l2_t *l = j->l;
    for (warm_job_t **pp = &l->warm_jobs; *pp; pp = &(*pp)->next)
        if (*pp == j) {
            *pp = j->next;
            break;
        }
    if (j->answered_now) *j->answered_now = true;
    arena_free(j->arena);
    free(j);
}

static void on_warm_reply(const search_reply_t *r, void *data)
{
    warm_job_t *j = data;
    l2_t *l = j->l;
    j->handle = NULL;
    search_reply_t out;
    blob_t *made = NULL;
    if (!(l->cfg->cache.gzip && (cache_reply_cacheable(r) || search_reply_partial(r)) &&
          cache_reply_with_deflate(r, &out, &made) == 0))
        out = *r;
    rkey_of(l, j->key, j->rkey, sizeof j->rkey); /* the version may have moved */
    store(l, j->key, j->rkey, &out);
    blob_unref(made);
    l->warm_running--;
    warm_set_state(j, WJ_DONE);
}

static void warm_step(warm_job_t *j)
{
    l2_t *l = j->l;
    switch (j->state) {
    case WJ_PTTL:
    case WJ_QUEUED:
        break;
    case WJ_FETCH: {
        l->warm_running++;
        search_request_t req = {
            .query = &j->query, .key = j->key, .deadline_ms = (int)l->cfg->search.deadline_ms};
        bool answered = false;
        j->answered_now = &answered;
        void *h = l->next->fetch(l->next, &req, on_warm_reply, j);
        if (answered) return;
        j->answered_now = NULL;
        j->handle = h;
        break;
    }
    case WJ_DONE:
        warm_unlink_free(j);
        if (!l->freeing) warm_pump(l);
        break;
    }
}

static void on_warm_pttl(l2_t *l, redisReply *r, void *data)
{
    warm_job_t *j = data;
    int64_t left = reply_int(r, -3);
    int64_t fresh_left = left - l->cfg->cache.stale_ms;
    bool due = left == -2 || (left >= 0 && fresh_left < 2 * l->cfg->cache.warm_interval_ms);
    if (!r || !due || l->freeing) {
        warm_set_state(j, WJ_DONE);
        return;
    }
    warm_set_state(j, WJ_QUEUED);
    warm_pump(l);
}

static void on_warm_top(l2_t *l, redisReply *r, void *data)
{
    (void)data;
    if (!r || r->type != REDIS_REPLY_ARRAY) return;
    for (size_t i = 0; i < r->elements; i++) {
        redisReply *m = r->element[i];
        if (m->type != REDIS_REPLY_STRING) continue;
        warm_job_t *j = calloc(1, sizeof *j);
        if (!j) return;
        j->l = l;
        j->arena = arena_new(1024);
        char err[128];
        if (!j->arena ||
            query_parse_params(&j->query, m->str, (size_t)m->len, j->arena, err, sizeof err) < 0 ||
            !(j->key = query_key(&j->query, j->arena))) {
            arena_free(j->arena);
            free(j);
            continue;
        }
        rkey_of(l, j->key, j->rkey, sizeof j->rkey);
        j->state = WJ_PTTL;
        j->next = l->warm_jobs;
        l->warm_jobs = j;
        const char *argv[] = {"PTTL", j->rkey};
        if (cmd_sendv(l, on_warm_pttl, j, 2, argv) < 0) warm_set_state(j, WJ_DONE);
    }
}

static void on_warm_lock(l2_t *l, redisReply *r, void *data)
{
    (void)data;
    if (!r || r->type != REDIS_REPLY_STATUS || l->warm_jobs) return; /* not ours, or still busy */
    int64_t hour = cache_wall_ms() / 3600000;
    char sum[128], now[128], prev[128], top[24];
    snprintf(sum, sizeof sum, "%shot:sum", l->cfg->redis.key_prefix);
    snprintf(now, sizeof now, "%shot:%" PRId64, l->cfg->redis.key_prefix, hour);
    snprintf(prev, sizeof prev, "%shot:%" PRId64, l->cfg->redis.key_prefix, hour - 1);
    snprintf(top, sizeof top, "%" PRId64, l->cfg->cache.warm_top - 1);
    const char *u[] = {"ZUNIONSTORE", sum, "2", now, prev};
    cmd_sendv(l, ignore_reply, NULL, 5, u);
    const char *z[] = {"ZREVRANGE", sum, "0", top};
    cmd_sendv(l, on_warm_top, NULL, 4, z);
}

static void on_warm_timer(uv_timer_t *t)
{
    l2_t *l = t->data;
    if (l->state != LINK_READY) return;
    char key[128], px[32], me[32];
    snprintf(key, sizeof key, "%swarm:lock", l->cfg->redis.key_prefix);
    snprintf(px, sizeof px, "%" PRId64, l->cfg->cache.warm_interval_ms * 9 / 10 + 1);
    snprintf(me, sizeof me, "%ld", (long)getpid());
    const char *a[] = {"SET", key, me, "NX", "PX", px};
    cmd_sendv(l, on_warm_lock, NULL, 6, a);
}

/* ---- scripts ----------------------------------------------------------------- */

/* One script call: EVALSHA, then EVAL with the same arguments on NOSCRIPT. */
typedef struct eval_op {
    int script;
    bool retried;
    int nkeys, argc;
    char *argv[EVAL_ARGS]; /* copies, in the op's own allocation */
    cache_redis_eval_fn done;
    void *data;
} eval_op_t;

static int eval_send(l2_t *l, eval_op_t *op);

static void on_script_load(l2_t *l, redisReply *r, void *data)
{
    int i = (int)(intptr_t)data;
    l->scripts[i].loading = false;
    if (r && r->type == REDIS_REPLY_STRING && r->len == 40) memcpy(l->scripts[i].sha, r->str, 41);
}

/* The slot of script (claimed on first use), or -1 when the table is full. */
static int script_slot(l2_t *l, const char *script)
{
    for (int i = 0; i < SCRIPTS; i++) {
        if (l->scripts[i].source == script) return i;
        if (!l->scripts[i].source) {
            l->scripts[i].source = script;
            return i;
        }
    }
    return -1;
}

static void on_eval_reply(l2_t *l, redisReply *r, void *data)
{
    eval_op_t *op = data;
    if (r && r->type == REDIS_REPLY_ERROR && strncmp(r->str, "NOSCRIPT", 8) == 0 && !op->retried) {
        op->retried = true; /* Redis restarted or flushed its scripts: EVAL loads it again */
        if (eval_send(l, op) == 0) return;
        r = NULL;
    }
    long long ints[EVAL_INTS];
    int n = -1;
    if (r && r->type == REDIS_REPLY_INTEGER) {
        ints[0] = r->integer;
        n = 1;
    } else if (r && r->type == REDIS_REPLY_ARRAY) {
        for (n = 0; n < (int)r->elements && n < EVAL_INTS; n++) {
            if (r->element[n]->type != REDIS_REPLY_INTEGER) break;
            ints[n] = r->element[n]->integer;
        }
    }
    op->done(op->data, n >= 0 ? ints : NULL, n);
    free(op);
}

/* Sends op: EVALSHA when the script's SHA1 is known and op was not refused
 * it, else EVAL (and SCRIPT LOAD once, to learn the SHA1). Returns 0, or -1
 * when the link cannot send (on_eval_reply will not run). */
static int eval_send(l2_t *l, eval_op_t *op)
{
    const char *script = l->scripts[op->script].source;
    char *sha = l->scripts[op->script].sha;
    bool by_sha = sha[0] && !op->retried;
    if (!sha[0] && !l->scripts[op->script].loading) {
        const char *load[] = {"SCRIPT", "LOAD", script};
        if (cmd_sendv(l, on_script_load, (void *)(intptr_t)op->script, 3, load) == 0)
            l->scripts[op->script].loading = true;
    }
    char nkeys[16];
    snprintf(nkeys, sizeof nkeys, "%d", op->nkeys);
    const char *argv[3 + EVAL_ARGS] = {by_sha ? "EVALSHA" : "EVAL", by_sha ? sha : script, nkeys};
    for (int i = 0; i < op->argc; i++)
        argv[3 + i] = op->argv[i];
    return cmd_sendv(l, on_eval_reply, op, 3 + op->argc, argv);
}

int cache_redis_eval(void *svc, const char *script, int nkeys, int argc, const char **argv,
                     cache_redis_eval_fn done, void *data)
{
    l2_t *l = svc;
    if (l->state != LINK_READY || argc > EVAL_ARGS || nkeys > argc) return -1;
    int slot = script_slot(l, script);
    if (slot < 0) return -1;
    size_t bytes = sizeof(eval_op_t);
    for (int i = 0; i < argc; i++)
        bytes += strlen(argv[i]) + 1;
    eval_op_t *op = malloc(bytes);
    if (!op) return -1;
    *op = (eval_op_t){.script = slot, .nkeys = nkeys, .argc = argc, .done = done, .data = data};
    char *p = (char *)(op + 1);
    for (int i = 0; i < argc; i++) {
        size_t n = strlen(argv[i]) + 1;
        op->argv[i] = memcpy(p, argv[i], n);
        p += n;
    }
    if (eval_send(l, op) < 0) {
        free(op);
        return -1;
    }
    return 0;
}

/* ---- the link as a whole ------------------------------------------------------- */

int cache_redis_parse_url(const char *url, char *host, size_t hostlen, int *port, char *user,
                          size_t userlen, char *password, size_t pwlen, int *db)
{
    *port = 6379;
    *db = 0;
    user[0] = password[0] = host[0] = '\0';
    if (strncmp(url, "unix://", 7) == 0) {
        *port = 0;
        const char *path = url + 7;
        if (*path != '/' || strlen(path) >= hostlen) return -1;
        const char *q = strchr(path, '?'); /* unix:///run/redis.sock?db=2 */
        size_t n = q ? (size_t)(q - path) : strlen(path);
        memcpy(host, path, n);
        host[n] = '\0';
        if (q && strncmp(q, "?db=", 4) == 0) *db = atoi(q + 4);
        return 0;
    }
    if (strncmp(url, "redis://", 8) != 0) return -1;
    const char *p = url + 8;
    const char *at = strrchr(p, '@');
    if (at) {
        const char *colon = memchr(p, ':', (size_t)(at - p));
        size_t ul = colon ? (size_t)(colon - p) : 0;
        const char *pw = colon ? colon + 1 : p;
        size_t pl = (size_t)(at - pw);
        if (ul >= userlen || pl >= pwlen) return -1;
        memcpy(user, p, ul);
        user[ul] = '\0';
        memcpy(password, pw, pl);
        password[pl] = '\0';
        p = at + 1;
    }
    const char *end = p + strcspn(p, "/");
    const char *hend = end;
    if (*p == '[') { /* [::1]:6379 */
        const char *rb = memchr(p, ']', (size_t)(end - p));
        if (!rb) return -1;
        if ((size_t)(rb - p - 1) >= hostlen) return -1;
        memcpy(host, p + 1, (size_t)(rb - p - 1));
        host[rb - p - 1] = '\0';
        if (rb[1] == ':') *port = atoi(rb + 2);
    } else {
        const char *colon = memchr(p, ':', (size_t)(end - p));
        if (colon) {
            hend = colon;
            *port = atoi(colon + 1);
        }
        if ((size_t)(hend - p) >= hostlen || hend == p) return -1;
        memcpy(host, p, (size_t)(hend - p));
        host[hend - p] = '\0';
    }
    if (*end == '/' && end[1]) *db = atoi(end + 1);
    if (*port <= 0 || *port > 65535 || *db < 0) return -1;
    return 0;
}

search_service_t *cache_redis_service(search_service_t *next, uv_loop_t *loop,
                                      const sf_config_t *cfg)
{
    if (!cfg->redis.url[0]) return NULL;
    l2_t *l = calloc(1, sizeof *l);
    if (!l) return NULL;
    if (cache_redis_parse_url(cfg->redis.url, l->host, sizeof l->host, &l->port, l->user,
                              sizeof l->user, l->password, sizeof l->password, &l->db) < 0) {
        log_write(LOG_ERROR,
                  "redis.url is not redis://[user:password@]host:port/db or unix:///path", LF_STR,
                  "url", cfg->redis.url, LF_END);
        free(l);
        return NULL;
    }
    l->next = next;
    l->loop = loop;
    l->cfg = cfg;
    l->svc.ctx = l;
    l->svc.fetch = l2_fetch;
    l->svc.cancel = l2_cancel;
    srandom((unsigned)getpid() ^ (unsigned)cache_wall_ms());
    uv_timer_init(loop, &l->timer);
    l->timer.data = l;
    uv_timer_init(loop, &l->warm_timer);
    l->warm_timer.data = l;
    l->open_handles = 2;
    if (next && cfg->cache.warm_top > 0 && cfg->cache.warm_interval_ms > 0)
        uv_timer_start(&l->warm_timer, on_warm_timer, (uint64_t)cfg->cache.warm_interval_ms,
                       (uint64_t)cfg->cache.warm_interval_ms);
    l->state = LINK_CONNECTING;
    link_step(l);
    return &l->svc;
}

search_service_t *cache_redis_link(uv_loop_t *loop, const sf_config_t *cfg)
{
    return cache_redis_service(NULL, loop, cfg);
}

void cache_redis_set_hooks(search_service_t *svc, void (*flush)(void *ctx),
                           void (*drop)(void *ctx, const char *key), void *ctx)
{
    l2_t *l = (l2_t *)svc;
    l->flush_hook = flush;
    l->drop_hook = drop;
    l->hook_ctx = ctx;
}

const char *cache_redis_state(search_service_t *svc)
{
    return ((l2_t *)svc)->state == LINK_READY ? "ok" : "degraded";
}

const cache_stats_t *cache_redis_stats(search_service_t *svc)
{
    return &((l2_t *)svc)->st;
}

int64_t cache_redis_version(search_service_t *svc)
{
    return ((l2_t *)svc)->version;
}

void cache_redis_close(search_service_t *svc)
{
    l2_t *l = (l2_t *)svc;
    if (l->state == LINK_CLOSED) return;
    redisAsyncContext *ac = l->ac;
    l->ac = NULL;
    l->state = LINK_CLOSED;
    uv_timer_stop(&l->warm_timer);
    if (ac) {
        ac->data = NULL;
        redisAsyncFree(ac); /* pending GETs fail: their requests go to next */
    }
    link_step(l);
}

static void on_link_timer_closed(uv_handle_t *h)
{
    l2_t *l = h->data;
    if (--l->open_handles == 0) free(l);
}

void cache_redis_service_free(search_service_t *svc)
{
    if (!svc) return;
    l2_t *l = (l2_t *)svc;
    l->freeing = true;
    while (l->warm_jobs) {
        warm_job_t *j = l->warm_jobs;
        if (j->state == WJ_FETCH && j->handle) l->next->cancel(l->next, j->handle);
        if (j->state == WJ_PTTL) { /* its PTTL callback still comes: let it free the job */
            l->warm_jobs = j->next;
            j->next = NULL;
            continue;
        }
        warm_unlink_free(j);
    }
    for (l2_wait_t *w = l->waits, *nx; w; w = nx) {
        nx = w->next;
        if (w->state == W_NEXT) {
            if (w->handle) l->next->cancel(l->next, w->handle);
            wait_free(w);
        } else {
            w->state = W_CANCELLED; /* freed by its GET's callback, below */
        }
    }
    cache_redis_close(svc);
    for (size_t i = 0; i < NOTE_SLOTS; i++)
        free(l->notes[i].params);
    uv_close((uv_handle_t *)&l->timer, on_link_timer_closed);
    uv_close((uv_handle_t *)&l->warm_timer, on_link_timer_closed);
}

void cache_redis_service_discard(search_service_t *svc)
{
    if (!svc) return;
    l2_t *l = (l2_t *)svc;
    l->freeing = true;
    l->state = LINK_CLOSED;
    redisAsyncContext *ac = l->ac;
    l->ac = NULL;
    if (ac) {
        /* The adapter's poll handle is closed already: free its memory here
         * instead of letting hiredis close it again. */
        void *ev = ac->ev.data;
        ac->ev.cleanup = NULL;
        ac->data = NULL;
        redisAsyncFree(ac);
        free(ev);
    }
    while (l->waits)
        wait_free(l->waits);
    while (l->warm_jobs)
        warm_unlink_free(l->warm_jobs);
    for (size_t i = 0; i < NOTE_SLOTS; i++)
        free(l->notes[i].params);
    free(l);
}
