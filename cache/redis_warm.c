/* Warming: the popularity count of queries (a sorted set per hour) and
 * the refresh of the most asked ones before they expire, by the one worker
 * of the group that holds a lock. */
#include "cache/redis_int.h"

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

/* ---- warming ---------------------------------------------------------------- */

static void warm_step(warm_job_t *j);

static void warm_set_state(warm_job_t *j, warm_state_t st)
{
    j->state = st;
    warm_step(j);
}

static void warm_pump(l2_t *l)
{
    while (l->warm_running < (size_t)l->cfg->cache.warm_concurrency) {
        warm_job_t *j = NULL;
        sf_queue_t *q;
        sf_queue_foreach(q, &l->warm_jobs)
        {
            warm_job_t *c = sf_queue_data(q, warm_job_t, node);
            if (c->state == WJ_QUEUED) {
                j = c;
                break;
            }
        }
        if (!j) return;
        warm_set_state(j, WJ_FETCH);
    }
}

void l2__warm_free(warm_job_t *j)
{
    sf_queue_remove(&j->node);
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
    cache_reply_keep(r, l->cfg->cache.gzip, l->cfg->compression.level, &out, &made);
    l2__rkey(l, j->key, j->rkey, sizeof j->rkey); /* the version may have moved */
    l2__store(l, j->key, j->rkey, &out);
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
        j->handle = l->next->fetch(l->next, &req, on_warm_reply, j);
        if (!j->handle) { /* out of memory: skipped this round */
            l->warm_running--;
            warm_set_state(j, WJ_DONE);
        }
        break;
    }
    case WJ_DONE:
        l2__warm_free(j);
        if (!l->freeing) warm_pump(l);
        break;
    }
}

static void on_warm_pttl(void *owner, redisReply *r, void *data)
{
    l2_t *l = owner;
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

static void on_warm_top(void *owner, redisReply *r, void *data)
{
    l2_t *l = owner;
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
        l2__rkey(l, j->key, j->rkey, sizeof j->rkey);
        j->state = WJ_PTTL;
        sf_queue_insert_head(&l->warm_jobs, &j->node);
        const char *argv[] = {"PTTL", j->rkey};
        if (cmd_sendv(l, on_warm_pttl, j, 2, argv) < 0) warm_set_state(j, WJ_DONE);
    }
}

static void on_warm_lock(void *owner, redisReply *r, void *data)
{
    l2_t *l = owner;
    (void)data;
    if (!r || r->type != REDIS_REPLY_STATUS || !sf_queue_empty(&l->warm_jobs))
        return; /* not ours, or still busy */
    int64_t hour = clock_wall_ms() / 3600000;
    char sum[128], now[128], prev[128], top[24];
    snprintf(sum, sizeof sum, "%shot:sum", l->cfg->redis.key_prefix);
    snprintf(now, sizeof now, "%shot:%" PRId64, l->cfg->redis.key_prefix, hour);
    snprintf(prev, sizeof prev, "%shot:%" PRId64, l->cfg->redis.key_prefix, hour - 1);
    snprintf(top, sizeof top, "%" PRId64, l->cfg->cache.warm_top - 1);
    const char *u[] = {"ZUNIONSTORE", sum, "2", now, prev};
    cmd_sendv(l, NULL, NULL, 5, u);
    const char *z[] = {"ZREVRANGE", sum, "0", top};
    cmd_sendv(l, on_warm_top, NULL, 4, z);
}

void l2__on_warm_timer(uv_timer_t *t)
{
    l2_t *l = t->data;
    if (!link_ready(l)) return;
    char key[128], px[32], me[32];
    snprintf(key, sizeof key, "%swarm:lock", l->cfg->redis.key_prefix);
    snprintf(px, sizeof px, "%" PRId64, l->cfg->cache.warm_interval_ms * 9 / 10 + 1);
    snprintf(me, sizeof me, "%ld", (long)getpid());
    const char *a[] = {"SET", key, me, "NX", "PX", px};
    cmd_sendv(l, on_warm_lock, NULL, 6, a);
}
