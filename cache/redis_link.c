/* The Redis link: a state machine around one hiredis async context
 * (connect, handshake, ready, backoff, closed) and commands with deadlines. */
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/adapters/libuv.h>

#include "cache/redis_link_int.h"
#include "core/log.h"

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 2000
#define TICK_MS 1000
#define TIMEOUTS_TO_DROP 2 /* deadlines in a row without a reply: the link is dropped */
#define SEND_ARGS 16       /* NUL-terminated arguments of one command */

static void link_step(cache_redis_link_t *l);
static void link_drop(cache_redis_link_t *l, const char *why);

static const char *link_state_name(link_state_t st)
{
    static const char *names[] = {"connecting", "handshake", "ready", "backoff", "closed"};
    return names[st];
}

/* The one writer of l->state (traced at debug level). The new state's work
 * is done by link_step(), which the caller runs once it is safe to. */
static void link_set_state(cache_redis_link_t *l, link_state_t st)
{
    if (l->state != st)
        log_write(LOG_DEBUG, "redis link", LF_STR, "from", link_state_name(l->state), LF_STR, "to",
                  link_state_name(st), LF_END);
    l->state = st;
}

/* ---- commands ------------------------------------------------------------ */

/* One command: answered, or failed at its deadline, exactly once. */
typedef enum {
    CMD_SENT,      /* waiting for Redis, deadline armed */
    CMD_ANSWERED,  /* the reply (or NULL: the link failed) was handed on */
    CMD_TIMED_OUT, /* the deadline came first: NULL was handed on, the reply will be dropped */
} cmd_state_t;

typedef struct cmd {
    cmd_state_t state;
    cache_redis_link_t *l;
    uv_timer_t timer; /* the deadline; the command is freed in its close callback */
    void *owner;
    cache_redis_reply_fn fn;
    void *data;
} cmd_t;

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
        if (c->fn) c->fn(c->owner, r, c->data);
    }
    cmd_done(c);
}

static void on_cmd_deadline(uv_timer_t *t)
{
    cmd_t *c = t->data;
    cache_redis_link_t *l = c->l;
    c->state = CMD_TIMED_OUT;
    l->st.timeouts++;
    l->st.errors++;
    if (c->fn) c->fn(c->owner, NULL, c->data);
    /* Frozen or stuck (hiredis#538): new commands would only queue up. */
    if (++l->timeouts_in_a_row >= TIMEOUTS_TO_DROP || l->state == LINK_HANDSHAKE)
        link_drop(l, "command deadline");
}

int redis__send(cache_redis_link_t *l, void *owner, cache_redis_reply_fn fn, void *data, int argc,
                const char **argv, const size_t *argvlen)
{
    if (!l->ac || (l->state != LINK_READY && l->state != LINK_HANDSHAKE)) return -1;
    size_t lens[SEND_ARGS];
    if (!argvlen) {
        if (argc > SEND_ARGS) return -1;
        for (int i = 0; i < argc; i++)
            lens[i] = strlen(argv[i]);
        argvlen = lens;
    }
    cmd_t *c = calloc(1, sizeof *c);
    if (!c) return -1;
    c->l = l;
    c->owner = owner;
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

int cache_redis_link_send(cache_redis_link_t *l, cache_redis_reply_fn fn, void *data, int argc,
                          const char **argv, const size_t *argvlen)
{
    if (l->state != LINK_READY) return -1;
    return redis__send(l, l->hooks.owner, fn, data, argc, argv, argvlen);
}

/* ---- the link's states ------------------------------------------------------ */

static void on_handshake_ready(void *owner, redisReply *r, void *data)
{
    (void)owner;
    cache_redis_link_t *l = data;
    if (l->state != LINK_HANDSHAKE) return;
    const char *why = !r                             ? "no answer to the handshake"
                      : l->hooks.ready               ? l->hooks.ready(l->hooks.owner, r)
                      : r->type == REDIS_REPLY_ERROR ? "handshake refused"
                                                     : NULL;
    if (why) {
        link_drop(l, why);
        return;
    }
    l->backoff_ms = 0;
    log_write(LOG_INFO, "redis ready", LF_STR, "url", l->cfg->redis.url, LF_END);
    link_set_state(l, LINK_READY);
    link_step(l);
}

static void on_handshake_step(void *owner, redisReply *r, void *data)
{
    (void)owner;
    cache_redis_link_t *l = data;
    if (l->state == LINK_HANDSHAKE && r && r->type == REDIS_REPLY_ERROR)
        link_drop(l, "AUTH or SELECT refused");
}

static void on_connect(const redisAsyncContext *ac, int status)
{
    cache_redis_link_t *l = ac->data;
    if (!l || l->ac != ac) return;
    if (status != REDIS_OK) {
        /* hiredis frees the context after this callback */
        log_write(LOG_WARN, "redis connect failed", LF_STR, "error", ac->errstr, LF_END);
        l->ac = NULL;
        l->st.errors++;
        link_set_state(l, LINK_BACKOFF);
        link_step(l);
        return;
    }
    redisEnableKeepAlive((redisContext *)&ac->c);
    link_set_state(l, LINK_HANDSHAKE);
    link_step(l);
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    cache_redis_link_t *l = ac->data;
    if (!l || l->ac != ac) return; /* we dropped it ourselves */
    l->ac = NULL;                  /* hiredis frees it after this callback */
    log_write(LOG_WARN, "redis connection lost", LF_STR, "error",
              status == REDIS_OK ? "closed" : ac->errstr, LF_END);
    l->st.errors++;
    link_set_state(l, LINK_BACKOFF);
    link_step(l);
}

/* Frees the context (its pending commands fail) and backs off. Never from
 * inside the connect or disconnect callbacks. */
static void link_drop(cache_redis_link_t *l, const char *why)
{
    if (l->state == LINK_BACKOFF || l->state == LINK_CLOSED) return;
    log_write(LOG_WARN, "redis link dropped", LF_STR, "reason", why, LF_END);
    redisAsyncContext *ac = l->ac;
    l->ac = NULL;
    l->timeouts_in_a_row = 0;
    link_set_state(l, LINK_BACKOFF); /* before the free: its callbacks see a dropped link */
    if (ac) {
        ac->data = NULL;
        redisAsyncFree(ac);
    }
    link_step(l);
}

static void on_timer(uv_timer_t *t)
{
    cache_redis_link_t *l = t->data;
    switch (l->state) {
    case LINK_CONNECTING:
        link_drop(l, "connect timeout");
        break;
    case LINK_BACKOFF:
        link_set_state(l, LINK_CONNECTING);
        link_step(l);
        break;
    default:
        link_step(l);
        break;
    }
}

static void start_connect(cache_redis_link_t *l)
{
    redisAsyncContext *ac =
        l->port ? redisAsyncConnect(l->host, l->port) : redisAsyncConnectUnix(l->host);
    if (!ac || ac->err) {
        log_write(LOG_WARN, "redis connect failed", LF_STR, "error",
                  ac ? ac->errstr : "out of memory", LF_END);
        if (ac) redisAsyncFree(ac);
        l->st.errors++;
        link_set_state(l, LINK_BACKOFF);
        link_step(l);
        return;
    }
    ac->data = l;
    if (redisLibuvAttach(ac, l->loop) != REDIS_OK) {
        ac->data = NULL;
        redisAsyncFree(ac);
        link_set_state(l, LINK_BACKOFF);
        link_step(l);
        return;
    }
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    l->ac = ac;
    uv_timer_start(&l->timer, on_timer, (uint64_t)l->cfg->redis.connect_timeout_ms, 0);
}

static void send_handshake(cache_redis_link_t *l)
{
    uv_timer_stop(&l->timer);
    if (l->password[0]) {
        const char *a[] = {"AUTH", l->user, l->password};
        if (l->user[0])
            redis__send(l, NULL, on_handshake_step, l, 3, a, NULL);
        else {
            const char *b[] = {"AUTH", l->password};
            redis__send(l, NULL, on_handshake_step, l, 2, b, NULL);
        }
    }
    if (l->db) {
        char db[16];
        snprintf(db, sizeof db, "%d", l->db);
        const char *a[] = {"SELECT", db};
        redis__send(l, NULL, on_handshake_step, l, 2, a, NULL);
    }
    const char *ping[] = {"PING"};
    int argc = l->hooks.ready_argc ? l->hooks.ready_argc : 1;
    const char **argv = l->hooks.ready_argc ? l->hooks.ready_argv : ping;
    if (redis__send(l, NULL, on_handshake_ready, l, argc, argv, NULL) < 0)
        link_drop(l, "cannot send");
}

/* Runs the work of the state the link is in. */
static void link_step(cache_redis_link_t *l)
{
    switch (l->state) {
    case LINK_CONNECTING:
        if (!l->ac) start_connect(l);
        break;
    case LINK_HANDSHAKE:
        send_handshake(l);
        break;
    case LINK_READY:
        if (l->hooks.tick) l->hooks.tick(l->hooks.owner);
        if (l->state == LINK_READY) uv_timer_start(&l->timer, on_timer, TICK_MS, 0);
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

/* ---- the link as a whole --------------------------------------------------- */

cache_redis_link_t *cache_redis_link_new(uv_loop_t *loop, const sf_config_t *cfg,
                                         const cache_redis_link_hooks_t *hooks)
{
    if (!cfg->redis.url[0]) return NULL;
    cache_redis_link_t *l = calloc(1, sizeof *l);
    if (!l) return NULL;
    if (cache_redis_parse_url(cfg->redis.url, l->host, sizeof l->host, &l->port, l->user,
                              sizeof l->user, l->password, sizeof l->password, &l->db) < 0) {
        log_write(LOG_ERROR,
                  "redis.url is not redis://[user:password@]host:port/db or unix:///path", LF_STR,
                  "url", cfg->redis.url, LF_END);
        free(l);
        return NULL;
    }
    l->loop = loop;
    l->cfg = cfg;
    if (hooks) l->hooks = *hooks;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    srandom((unsigned)getpid() ^ (unsigned)(ts.tv_sec * 1000 + ts.tv_nsec / 1000000));
    uv_timer_init(loop, &l->timer);
    l->timer.data = l;
    link_set_state(l, LINK_CONNECTING);
    link_step(l);
    return l;
}

bool cache_redis_link_ready(const cache_redis_link_t *l)
{
    return l->state == LINK_READY;
}

const char *cache_redis_link_state(const cache_redis_link_t *l)
{
    return l->state == LINK_READY ? "ok" : "degraded";
}

cache_redis_link_stats_t cache_redis_link_stats(const cache_redis_link_t *l)
{
    return l->st;
}

void cache_redis_link_close(cache_redis_link_t *l)
{
    if (l->state == LINK_CLOSED) return;
    redisAsyncContext *ac = l->ac;
    l->ac = NULL;
    link_set_state(l, LINK_CLOSED);
    if (ac) {
        ac->data = NULL;
        redisAsyncFree(ac); /* pending commands fail: their callbacks run now */
    }
    link_step(l);
}

static void on_link_timer_closed(uv_handle_t *h)
{
    free(h->data);
}

void cache_redis_link_free(cache_redis_link_t *l)
{
    if (!l) return;
    cache_redis_link_close(l);
    uv_close((uv_handle_t *)&l->timer, on_link_timer_closed);
}

void cache_redis_link_discard(cache_redis_link_t *l)
{
    if (!l) return;
    link_set_state(l, LINK_CLOSED);
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
    free(l);
}

/* ---- redis.url ----------------------------------------------------------------- */

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
