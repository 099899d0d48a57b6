/* The per-id lookup cache on Redis (cache/lookup_l2.h). */
#include "cache/lookup_l2.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct lookup_l2 {
    lookup_cache_t iface; /* first: the contract's ctx is this */
    cache_redis_link_t *link;
    char prefix[];
} lookup_l2_t;

/* One MGET in the air. It outlives a cancel (got set to NULL) until the
 * link answers, and never needs the tier: the tier may be freed first. */
struct lookup_cache_get {
    lookup_cache_got_fn got;
    void *data;
    size_t n;
};

/* <prefix>paper:<key>, malloc'd. */
static char *l2_key(const lookup_l2_t *t, const char *key, size_t *len)
{
    size_t n = strlen(t->prefix) + sizeof "paper:" - 1 + strlen(key);
    char *k = malloc(n + 1);
    if (k) snprintf(k, n + 1, "%spaper:%s", t->prefix, key);
    *len = n;
    return k;
}

static void on_mget(void *owner, redisReply *r, void *data)
{
    (void)owner;
    lookup_cache_get_t *g = data;
    if (g->got) {
        const char **vals = NULL;
        size_t *lens = NULL;
        if (r && r->type == REDIS_REPLY_ARRAY && r->elements == g->n) {
            vals = calloc(g->n, sizeof *vals);
            lens = calloc(g->n, sizeof *lens);
        }
        for (size_t i = 0; vals && lens && i < g->n; i++) {
            const redisReply *e = r->element[i];
            if (e->type != REDIS_REPLY_STRING) continue; /* nil: a miss */
            vals[i] = e->str;
            lens[i] = e->len;
        }
        if (vals && lens)
            g->got(g->data, vals, lens);
        else
            g->got(g->data, NULL, NULL);
        free(vals);
        free(lens);
    }
    free(g);
}

static lookup_cache_get_t *l2_get(void *ctx, const char *const *keys, size_t n,
                                  lookup_cache_got_fn got, void *data)
{
    lookup_l2_t *t = ctx;
    if (!t->link || !cache_redis_link_ready(t->link) || n == 0) return NULL;
    lookup_cache_get_t *g = calloc(1, sizeof *g);
    const char **argv = calloc(n + 1, sizeof *argv);
    size_t *argvlen = calloc(n + 1, sizeof *argvlen);
    if (!g || !argv || !argvlen) goto fail;
    argv[0] = "MGET";
    argvlen[0] = 4;
    for (size_t i = 0; i < n; i++)
        if (!(argv[i + 1] = l2_key(t, keys[i], &argvlen[i + 1]))) goto fail;
    *g = (lookup_cache_get_t){.got = got, .data = data, .n = n};
    /* hiredis formats the command now: the arguments are ours to free. */
    if (cache_redis_link_send(t->link, on_mget, g, (int)n + 1, argv, argvlen) < 0) goto fail;
    for (size_t i = 1; i <= n; i++)
        free((char *)argv[i]);
    free(argv);
    free(argvlen);
    return g;
fail:
    for (size_t i = 1; argv && i <= n; i++)
        free((char *)argv[i]);
    free(argv);
    free(argvlen);
    free(g);
    return NULL;
}

static void l2_cancel(void *ctx, lookup_cache_get_t *g)
{
    (void)ctx;
    g->got = NULL; /* freed when the link answers */
}

static void l2_put(void *ctx, const char *key, const char *bytes, size_t len, int64_t ttl_ms)
{
    lookup_l2_t *t = ctx;
    if (!t->link || !cache_redis_link_ready(t->link) || ttl_ms <= 0) return;
    char ttl[24];
    size_t klen;
    char *k = l2_key(t, key, &klen);
    if (!k) return;
    snprintf(ttl, sizeof ttl, "%lld", (long long)ttl_ms);
    const char *argv[] = {"SET", k, bytes, "PX", ttl};
    size_t argvlen[] = {3, klen, len, 2, strlen(ttl)};
    cache_redis_link_send(t->link, NULL, NULL, 5, argv, argvlen); /* refused: not kept */
    free(k);
}

lookup_cache_t *cache_lookup_l2_new(cache_redis_link_t *link, const char *prefix)
{
    size_t pl = strlen(prefix);
    lookup_l2_t *t = calloc(1, sizeof *t + pl + 1);
    if (!t) return NULL;
    memcpy(t->prefix, prefix, pl + 1);
    t->link = link;
    t->iface = (lookup_cache_t){.ctx = t, .get = l2_get, .cancel = l2_cancel, .put = l2_put};
    return &t->iface;
}

void cache_lookup_l2_close(lookup_cache_t *c)
{
    if (c) ((lookup_l2_t *)c->ctx)->link = NULL;
}

void cache_lookup_l2_free(lookup_cache_t *c)
{
    if (c) free(c->ctx);
}
