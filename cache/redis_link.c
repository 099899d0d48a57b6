/* The Redis link: a state machine around one hiredis async context
 * (connect, handshake, ready, backoff, closed) and commands with deadlines. */
#include "cache/redis_int.h"
#include "core/log.h"

static const char *link_state_name(link_state_t st)
{
    static const char *names[] = {"connecting", "handshake", "ready", "backoff", "closed"};
    return names[st];
}

void link_set_state(l2_t *l, link_state_t st)
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
int cmd_send(l2_t *l, cmd_fn fn, void *data, int argc, const char **argv,
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
int cmd_sendv(l2_t *l, cmd_fn fn, void *data, int argc, const char **argv)
{
    size_t lens[16];
    for (int i = 0; i < argc; i++)
        lens[i] = strlen(argv[i]);
    return cmd_send(l, fn, data, argc, argv, lens);
}

void ignore_reply(l2_t *l, redisReply *r, void *data)
{
    (void)l, (void)r, (void)data;
}

/* ---- the link's states ------------------------------------------------------ */

void version_seen(l2_t *l, int64_t v)
{
    if (l->version_known && v != l->version) {
        log_write(LOG_INFO, "cache version changed: memory tier flushed", LF_INT, "version", v,
                  LF_END);
        if (l->flush_hook) l->flush_hook(l->hook_ctx);
    }
    l->version = v;
    l->version_known = true;
}

int64_t reply_int(const redisReply *r, int64_t dflt)
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
void link_drop(l2_t *l, const char *why)
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

/* Runs the work of the state the link is in. */
void link_step(l2_t *l)
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
