#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache/group.h"
#include "cache/l1.h"
#include "cache/redis.h"
#include "cache/singleflight.h"
#include "core/query.h"
#include "cache/provider_cache.h"
#include "http/handlers_cache.h"

const char *http_cache_redis_state(const http_cache_ctx_t *ctx)
{
    return ctx->l2 ? cache_redis_state(ctx->l2) : "disabled";
}

/* ---- DELETE ---------------------------------------------------------------- */

/* What a lower tier said of a deletion. */
typedef enum { TIER_ABSENT = -1, TIER_FAILED = 0, TIER_DONE = 1 } tier_result_t;

/* A DELETE waiting for Redis and PostgreSQL. Outlives the request when the
 * client leaves. */
typedef struct del_op {
    http_req_t *req; /* NULL once the client is gone */
    char *key;       /* one query; NULL: everything */
    bool memory;     /* this worker's L1 had the entry */
    int pending;     /* tiers still to answer, plus one while starting */
    tier_result_t redis, postgres;
    int64_t version; /* Redis's key version after a flush, -1 when unknown */
} del_op_t;

static void del_client_gone(http_req_t *req)
{
    del_op_t *op = req->handler_data;
    op->req = NULL;
    http_respond_error(req, 503, "service_unavailable", "client went away");
}

static const char *tier_json_value(tier_result_t r)
{
    return r == TIER_ABSENT ? "null" : r == TIER_DONE ? "true" : "false";
}

/* Every tier has answered: 200 when each configured one did its part,
 * else 503 naming the one that did not (the rest is done all the same). */
static void del_finish(del_op_t *op)
{
    http_req_t *req = op->req;
    bool all = op->key == NULL;
    const char *failed = op->redis == TIER_FAILED      ? "Redis"
                         : op->postgres == TIER_FAILED ? "PostgreSQL"
                                                       : NULL;
    char version[32] = "null";
    if (op->version >= 0) snprintf(version, sizeof version, "%" PRId64, op->version);
    char *body = NULL;
    if (req && all)
        body = arena_sprintf(req->arena, "{\"flushed\":true,\"version\":%s,\"postgres\":%s}",
                             version, tier_json_value(op->postgres));
    else if (req)
        body =
            arena_sprintf(req->arena, "{\"deleted\":{\"memory\":%s,\"redis\":%s,\"postgres\":%s}}",
                          op->memory ? "true" : "false", tier_json_value(op->redis),
                          tier_json_value(op->postgres));
    free(op->key);
    free(op);
    if (!req) return;
    req->on_client_gone = NULL;
    if (!body) {
        http_respond_error(req, 500, "internal_error", "out of memory");
    } else if (failed) {
        http_respond_error_h(req, 503, "Retry-After: 1\r\nCache-Control: no-store\r\n",
                             "service_unavailable",
                             "%s did not answer: the other tiers are %s, this one may still "
                             "serve the old answer",
                             failed, all ? "flushed" : "cleared of the entry");
    } else {
        http_respond(req, 200, "application/json", "Cache-Control: no-store\r\n", body,
                     strlen(body));
    }
}

static void del_step(del_op_t *op)
{
    if (--op->pending == 0) del_finish(op);
}

static void on_redis_deleted(void *data, bool ok)
{
    del_op_t *op = data;
    op->redis = ok ? TIER_DONE : TIER_FAILED;
    del_step(op);
}

static void on_bumped(void *data, int64_t version)
{
    del_op_t *op = data;
    op->redis = version >= 0 ? TIER_DONE : TIER_FAILED;
    op->version = version;
    del_step(op);
}

static void on_l3_deleted(void *data, bool ok)
{
    del_op_t *op = data;
    op->postgres = ok ? TIER_DONE : TIER_FAILED;
    del_step(op);
}

/* The lower tiers, at once: Redis (the key, or the version for
 * everything) and PostgreSQL (the row, or every row). */
static void del_lower_tiers(http_cache_ctx_t *ctx, del_op_t *op)
{
    op->pending = 1;
    if (ctx->l2) {
        op->pending++;
        int rc = op->key ? cache_redis_delete(ctx->l2, op->key, on_redis_deleted, op)
                         : cache_redis_bump(ctx->l2, on_bumped, op);
        if (rc < 0) on_redis_deleted(op, false);
    }
    if (ctx->l3_delete) {
        op->pending++;
        if (ctx->l3_delete(ctx->l3, op->key, on_l3_deleted, op) < 0) on_l3_deleted(op, false);
    }
    del_step(op);
}

static void cache_delete(http_req_t *req)
{
    http_cache_ctx_t *ctx = req->route_data;
    del_op_t *op = calloc(1, sizeof *op);
    if (!op) {
        http_respond_error(req, 500, "internal_error", "out of memory");
        return;
    }
    *op = (del_op_t){.req = req, .redis = TIER_ABSENT, .postgres = TIER_ABSENT, .version = -1};
    if (req->query_len) {
        query_t q;
        char err[256];
        if (query_parse_params(&q, req->query, req->query_len, req->arena, err, sizeof err) < 0) {
            free(op);
            http_respond_error(req, 400, "bad_request", "%s", err);
            return;
        }
        char *key = query_key(&q, req->arena);
        op->key = key ? strdup(key) : NULL;
        if (!op->key) {
            free(op);
            http_respond_error(req, 500, "internal_error", "out of memory");
            return;
        }
        op->memory = ctx->l1 && cache_l1_delete(cache_l1_of(ctx->l1), op->key);
    } else if (ctx->l1) {
        cache_l1_clear(cache_l1_of(ctx->l1));
    }
    cache_group_delete(op->key); /* the other workers' memory tiers */
    /* Provider results are keyed by text and filters: cheaper to drop them all. */
    if (ctx->providers) cache_provider_clear(ctx->providers);
    req->handler_data = op;
    req->on_client_gone = del_client_gone;
    del_lower_tiers(ctx, op);
}

/* ---- stats --------------------------------------------------------------- */

static char *tier_json(arena_t *a, const cache_stats_t *s, const char *extra)
{
    return arena_sprintf(a,
                         "{\"hits\":%" PRIu64 ",\"stale_hits\":%" PRIu64 ",\"misses\":%" PRIu64
                         ",\"errors\":%" PRIu64 ",\"timeouts\":%" PRIu64 ",\"fills\":%" PRIu64
                         ",\"evictions\":%" PRIu64 ",\"expired\":%" PRIu64 ",\"bytes\":%" PRIu64
                         ",\"entries\":%" PRIu64 "%s}",
                         s->hits, s->stale_hits, s->misses, s->errors, s->timeouts, s->fills,
                         s->evictions, s->expired, s->bytes, s->entries, extra);
}

static void cache_stats(http_req_t *req)
{
    http_cache_ctx_t *ctx = req->route_data;
    arena_t *a = req->arena;
    const char *mem = "null", *sf = "null", *rd = "null", *pr = "null";
    if (ctx->providers) {
        cache_provider_stats_t ps = cache_provider_stats(ctx->providers);
        pr = arena_sprintf(a,
                           "{\"hits\":%" PRIu64 ",\"misses\":%" PRIu64 ",\"stores\":%" PRIu64
                           ",\"evictions\":%" PRIu64 ",\"entries\":%zu,\"bytes\":%zu}",
                           ps.hits, ps.misses, ps.stores, ps.evictions, ps.entries, ps.bytes);
    }
    if (ctx->l1) {
        char *extra =
            arena_sprintf(a, ",\"max_bytes\":%lld,\"refreshing\":%zu",
                          (long long)ctx->cfg->cache.l1_max_bytes, cache_l1_refreshing(ctx->l1));
        mem = extra ? tier_json(a, cache_l1_stats(cache_l1_of(ctx->l1)), extra) : NULL;
    }
    if (ctx->sflight) {
        const cache_stats_t *s = cache_singleflight_stats(ctx->sflight);
        sf = arena_sprintf(a, "{\"flights\":%zu,\"started\":%" PRIu64 ",\"joined\":%" PRIu64 "}",
                           cache_singleflight_flights(ctx->sflight), s->misses, s->joined);
    }
    if (ctx->l2) {
        char *extra = arena_sprintf(a, ",\"state\":\"%s\",\"version\":%" PRId64,
                                    cache_redis_state(ctx->l2), cache_redis_version(ctx->l2));
        cache_stats_t rs = cache_redis_stats(ctx->l2);
        rd = extra ? tier_json(a, &rs, extra) : NULL;
    }
    char *body = mem && sf && rd && pr
                     ? arena_sprintf(a,
                                     "{\"pid\":%ld,\"enabled\":%s,\"tiers\":{\"memory\":%s,"
                                     "\"single_flight\":%s,\"redis\":%s},\"provider_results\":%s}",
                                     (long)getpid(), ctx->cfg->cache.enabled ? "true" : "false",
                                     mem, sf, rd, pr)
                     : NULL;
    if (!body) {
        http_respond_error(req, 500, "internal_error", "out of memory");
        return;
    }
    http_respond(req, 200, "application/json", "Cache-Control: no-store\r\n", body, strlen(body));
}

int http_cache_register(http_router_t *r, http_cache_ctx_t *ctx)
{
    if (http_router_add(r, HTTP_M_DELETE, "/v1/cache", cache_delete, ctx) ||
        http_router_add(r, HTTP_M_GET, "/v1/cache/stats", cache_stats, ctx))
        return -1;
    return 0;
}
