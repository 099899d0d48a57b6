/* L2 on Redis: the service link, the poll (version, deletions elsewhere,
 * popularity counts), DELETE, and the tier as a whole. The link is in
 * redis_link.c, the stored values in redis_codec.c, warming in
 * redis_warm.c, scripts in redis_eval.c. */
#include "cache/redis_int.h"
#include "core/metrics.h"
#include "core/log.h"

/* ---- the service ---------------------------------------------------------- */

static void wait_free(l2_wait_t *w)
{
    sf_queue_remove(&w->node);
    arena_free(w->arena);
    free(w);
}

static void on_set_reply(void *owner, redisReply *r, void *data)
{
    l2_t *l = owner;
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
    if (!link_ready(l) || (!cache_reply_cacheable(r) && !partial)) return;
    size_t len;
    int64_t created = clock_wall_ms() - r->age_s * 1000;
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
    cache_reply_keep(r, l->cfg->cache.gzip, l->cfg->compression.level, &out, &made);
    store(l, w->req.key, w->rkey, &out);
    if (!w->refresh) w->cb(&out, w->data);
    blob_unref(made);
    wait_free(w);
}

/* Hands w to next (its query must be valid). Returns false when next
 * could not take it (out of memory): w is left to the caller. */
static bool ask_next(l2_wait_t *w, const search_request_t *req)
{
    l2_t *l = w->l;
    w->state = W_NEXT;
    w->handle = l->next->fetch(l->next, req, on_next_reply, w);
    return w->handle != NULL;
}

/* ask_next() from a callback: a client whose question next cannot take
 * gets a 500 answer. */
static void ask_next_later(l2_wait_t *w)
{
    if (ask_next(w, &w->req)) return;
    if (!w->refresh) search_reply_oom(w->cb, w->data, "redis");
    wait_free(w);
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
    l2__rkey(l, req->key, w->rkey, sizeof w->rkey);
    sf_queue_insert_head(&l->waits, &w->node);
    return w;
}

static bool refresh_running(const l2_t *l, const char *key)
{
    const sf_queue_t *q;
    sf_queue_foreach(q, &l->waits)
    {
        const l2_wait_t *w = sf_queue_data(q, l2_wait_t, node);
        if (w->refresh && w->state == W_NEXT && strcmp(w->req.key, key) == 0) return true;
    }
    return false;
}

static void on_get_reply(void *owner, redisReply *r, void *data)
{
    l2_t *l = owner;
    l2_wait_t *w = data;
    if (w->state == W_CANCELLED || l->freeing) {
        wait_free(w);
        return;
    }
    search_reply_t hit;
    int64_t created;
    int got = r && r->type == REDIS_REPLY_STRING
                  ? cache_redis_decode(w->req.key, r->str, (size_t)r->len, &hit, &created)
                  : 1;
    if (got == 0) {
        int64_t age_ms = clock_wall_ms() - created;
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
            ask_next_later(w);
            return;
        }
        wait_free(w);
        return;
    }
    if (got < 0) l->st.errors++; /* not ours or damaged */
    l->st.misses++;
    metrics_cache_miss(METRICS_TIER_L2);
    ask_next_later(w);
}

static void *l2_fetch(search_service_t *self, const search_request_t *req, search_reply_cb cb,
                      void *data)
{
    l2_t *l = (l2_t *)self;
    bool ready = link_ready(l);
    l2_wait_t *w = wait_new(l, req, ready);
    if (!w) return NULL;
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
    if (ask_next(w, req)) return w;
    wait_free(w);
    return NULL;
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

static void on_poll_version(void *owner, redisReply *r, void *data)
{
    l2_t *l = owner;
    (void)data;
    if (r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_NIL))
        version_seen(l, reply_int(r, 0));
}

static void on_poll_deleted(void *owner, redisReply *r, void *data)
{
    l2_t *l = owner;
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
             clock_wall_ms() / 3600000);
    bool any = false;
    for (size_t i = 0; i < NOTE_SLOTS; i++) {
        note_slot_t *s = &l->notes[i];
        if (!s->params) continue;
        snprintf(n, sizeof n, "%u", s->count);
        const char *argv[] = {"ZINCRBY", key, n, s->params};
        cmd_sendv(l, NULL, NULL, 4, argv);
        free(s->params);
        *s = (note_slot_t){0};
        any = true;
    }
    if (any) {
        const char *argv[] = {"EXPIRE", key, "7200"};
        cmd_sendv(l, NULL, NULL, 3, argv);
    }
}

static void poll_tick(l2_t *l)
{
    char key[128], from[32];
    const char *a[] = {"GET", l->version_key};
    cmd_sendv(l, on_poll_version, NULL, 2, a);
    if (!l->deleted_seen_ms) l->deleted_seen_ms = clock_wall_ms();
    snprintf(key, sizeof key, "%sdeleted", l->cfg->redis.key_prefix);
    snprintf(from, sizeof from, "(%" PRId64, l->deleted_seen_ms);
    const char *b[] = {"ZRANGEBYSCORE", key, from, "+inf", "WITHSCORES"};
    cmd_sendv(l, on_poll_deleted, NULL, 5, b);
    flush_notes(l);
}

/* ---- DELETE ------------------------------------------------------------------ */

typedef struct admin_op {
    void (*del_done)(void *data, bool ok);
    void (*bump_done)(void *data, int64_t version);
    void *data;
} admin_op_t;

static void on_del_reply(void *owner, redisReply *r, void *data)
{
    (void)owner;
    admin_op_t *op = data;
    op->del_done(op->data, r && r->type != REDIS_REPLY_ERROR);
    free(op);
}

int cache_redis_delete(search_service_t *svc, const char *key, void (*done)(void *data, bool ok),
                       void *data)
{
    l2_t *l = (l2_t *)svc;
    if (!link_ready(l)) return -1;
    admin_op_t *op = calloc(1, sizeof *op);
    if (!op) return -1;
    op->del_done = done;
    op->data = data;
    char rkey[96], dkey[128], now[32];
    l2__rkey(l, key, rkey, sizeof rkey);
    snprintf(dkey, sizeof dkey, "%sdeleted", l->cfg->redis.key_prefix);
    snprintf(now, sizeof now, "%" PRId64, clock_wall_ms());
    const char *z[] = {"ZADD", dkey, now, key};
    cmd_sendv(l, NULL, NULL, 4, z);
    /* deletions older than ten minutes are of no use to anyone */
    char old[32];
    snprintf(old, sizeof old, "%" PRId64, clock_wall_ms() - 600000);
    const char *t[] = {"ZREMRANGEBYSCORE", dkey, "-inf", old};
    cmd_sendv(l, NULL, NULL, 4, t);
    const char *d[] = {"DEL", rkey};
    if (cmd_sendv(l, on_del_reply, op, 2, d) < 0) {
        free(op);
        return -1;
    }
    return 0;
}

static void on_bump_reply(void *owner, redisReply *r, void *data)
{
    l2_t *l = owner;
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
    if (!link_ready(l)) return -1;
    admin_op_t *op = calloc(1, sizeof *op);
    if (!op) return -1;
    op->bump_done = done;
    op->data = data;
    const char *a[] = {"INCR", l->version_key};
    if (cmd_sendv(l, on_bump_reply, op, 2, a) < 0) {
        free(op);
        return -1;
    }
    return 0;
}
/* For warming, which stores what it refreshed the same way. */
void l2__store(l2_t *l, const char *key, const char *rkey, const search_reply_t *r)
{
    store(l, key, rkey, r);
}

/* ---- the tier as a whole ------------------------------------------------------ */

/* The handshake's last answer, GET <prefix>version: the keys to use. */
static const char *on_handshake_version(void *owner, redisReply *r)
{
    l2_t *l = owner;
    if (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_NIL)
        return "cannot read the cache version";
    version_seen(l, reply_int(r, 0));
    log_write(LOG_DEBUG, "cache version read", LF_INT, "version", l->version, LF_END);
    return NULL;
}

static void on_link_tick(void *owner)
{
    poll_tick(owner);
}

search_service_t *cache_redis_service(search_service_t *next, uv_loop_t *loop,
                                      const sf_config_t *cfg)
{
    if (!cfg->redis.url[0]) return NULL;
    l2_t *l = calloc(1, sizeof *l);
    if (!l) return NULL;
    l->next = next;
    l->loop = loop;
    l->cfg = cfg;
    sf_queue_init(&l->waits);
    sf_queue_init(&l->warm_jobs);
    l->svc.ctx = l;
    l->svc.fetch = l2_fetch;
    l->svc.cancel = l2_cancel;
    snprintf(l->version_key, sizeof l->version_key, "%sversion", cfg->redis.key_prefix);
    cache_redis_link_hooks_t hooks = {
        .owner = l,
        .ready_argc = 2,
        .ready_argv = {"GET", l->version_key},
        .ready = on_handshake_version,
        .tick = on_link_tick,
    };
    l->link = cache_redis_link_new(loop, cfg, &hooks);
    if (!l->link) {
        free(l);
        return NULL;
    }
    uv_timer_init(loop, &l->warm_timer);
    l->warm_timer.data = l;
    if (cfg->cache.warm_top > 0 && cfg->cache.warm_interval_ms > 0)
        uv_timer_start(&l->warm_timer, l2__on_warm_timer, (uint64_t)cfg->cache.warm_interval_ms,
                       (uint64_t)cfg->cache.warm_interval_ms);
    return &l->svc;
}

cache_redis_link_t *cache_redis_link_of(search_service_t *svc)
{
    return ((l2_t *)svc)->link;
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
    return cache_redis_link_state(((l2_t *)svc)->link);
}

cache_stats_t cache_redis_stats(search_service_t *svc)
{
    l2_t *l = (l2_t *)svc;
    cache_stats_t s = l->st;
    cache_redis_link_stats_t ls = cache_redis_link_stats(l->link);
    s.errors += ls.errors; /* the link's failures are the tier's */
    s.timeouts += ls.timeouts;
    return s;
}

int64_t cache_redis_version(search_service_t *svc)
{
    return ((l2_t *)svc)->version;
}

void cache_redis_close(search_service_t *svc)
{
    l2_t *l = (l2_t *)svc;
    uv_timer_stop(&l->warm_timer);
    cache_redis_link_close(l->link); /* pending GETs fail: their requests go to next */
}

static void on_warm_timer_closed(uv_handle_t *h)
{
    free(h->data);
}

void cache_redis_service_free(search_service_t *svc)
{
    if (!svc) return;
    l2_t *l = (l2_t *)svc;
    l->freeing = true;
    while (!sf_queue_empty(&l->warm_jobs)) {
        warm_job_t *j = sf_queue_data(sf_queue_head(&l->warm_jobs), warm_job_t, node);
        if (j->state == WJ_FETCH && j->handle) l->next->cancel(l->next, j->handle);
        if (j->state == WJ_PTTL) { /* its PTTL callback still comes: let it free the job */
            sf_queue_remove(&j->node);
            continue;
        }
        l2__warm_free(j);
    }
    sf_queue_t *q, *nq;
    for (q = sf_queue_head(&l->waits); q != &l->waits; q = nq) {
        nq = q->next;
        l2_wait_t *w = sf_queue_data(q, l2_wait_t, node);
        if (w->state == W_NEXT) {
            if (w->handle) l->next->cancel(l->next, w->handle);
            wait_free(w);
        } else {
            w->state = W_CANCELLED; /* freed by its GET's callback, below */
        }
    }
    cache_redis_close(svc);
    cache_redis_link_free(l->link);
    for (size_t i = 0; i < NOTE_SLOTS; i++)
        free(l->notes[i].params);
    uv_close((uv_handle_t *)&l->warm_timer, on_warm_timer_closed);
}

void cache_redis_service_discard(search_service_t *svc)
{
    if (!svc) return;
    l2_t *l = (l2_t *)svc;
    l->freeing = true;
    cache_redis_link_discard(l->link);
    while (!sf_queue_empty(&l->waits))
        wait_free(sf_queue_data(sf_queue_head(&l->waits), l2_wait_t, node));
    while (!sf_queue_empty(&l->warm_jobs))
        l2__warm_free(sf_queue_data(sf_queue_head(&l->warm_jobs), warm_job_t, node));
    for (size_t i = 0; i < NOTE_SLOTS; i++)
        free(l->notes[i].params);
    free(l);
}
