#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/query.h"
#include "http/handlers_cache.h"

/* ---- DELETE ---------------------------------------------------------------- */

/* A DELETE waiting for the tiers. Outlives the request when the client
 * leaves. */
typedef struct del_op {
    http_req_t *req; /* NULL once the client is gone */
    bool all;        /* everything, not one query */
} del_op_t;

static void del_client_gone(http_req_t *req)
{
    del_op_t *op = req->handler_data;
    op->req = NULL;
    http_respond_error(req, 503, "service_unavailable", "client went away");
}

static const char *tier_json_value(cache_tier_result_t r)
{
    return r == CACHE_TIER_ABSENT ? "null" : r == CACHE_TIER_DONE ? "true" : "false";
}

/* Every tier has answered: 200 when each configured one did its part,
 * else 503 naming the one that did not (the rest is done all the same). */
static void on_flushed(void *data, const cache_flush_result_t *r)
{
    del_op_t *op = data;
    http_req_t *req = op->req;
    bool all = op->all;
    free(op);
    if (!req) return;
    const char *failed = r->redis == CACHE_TIER_FAILED      ? "Redis"
                         : r->postgres == CACHE_TIER_FAILED ? "PostgreSQL"
                                                            : NULL;
    char version[32] = "null";
    if (r->version >= 0) snprintf(version, sizeof version, "%" PRId64, r->version);
    char *body =
        all ? arena_sprintf(req->arena, "{\"flushed\":true,\"version\":%s,\"postgres\":%s}",
                            version, tier_json_value(r->postgres))
            : arena_sprintf(req->arena,
                            "{\"deleted\":{\"memory\":%s,\"redis\":%s,\"postgres\":%s}}",
                            r->memory ? "true" : "false", tier_json_value(r->redis),
                            tier_json_value(r->postgres));
    req->on_client_gone = NULL;
    if (!body) {
        http_respond_oom(req);
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

static void cache_delete(http_req_t *req)
{
    cache_admin_t *admin = req->route_data;
    char *key = NULL;
    if (req->query_len) {
        query_t q;
        char err[256];
        if (query_parse_params(&q, req->query, req->query_len, req->arena, err, sizeof err) < 0) {
            http_respond_error(req, 400, "bad_request", "%s", err);
            return;
        }
        key = query_key(&q, req->arena);
        if (!key) {
            http_respond_oom(req);
            return;
        }
    }
    del_op_t *op = calloc(1, sizeof *op);
    if (!op) {
        http_respond_oom(req);
        return;
    }
    *op = (del_op_t){.req = req, .all = key == NULL};
    req->handler_data = op;
    req->on_client_gone = del_client_gone;
    if (admin->flush(admin->ctx, key, on_flushed, op) < 0) {
        req->on_client_gone = NULL;
        free(op);
        http_respond_oom(req);
    }
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
    cache_admin_t *admin = req->route_data;
    arena_t *a = req->arena;
    cache_admin_stats_t st;
    admin->stats(admin->ctx, &st);
    const char *mem = "null", *sf = "null", *rd = "null", *pr = "null";
    if (st.providers_on)
        pr = arena_sprintf(a,
                           "{\"hits\":%" PRIu64 ",\"misses\":%" PRIu64 ",\"stores\":%" PRIu64
                           ",\"evictions\":%" PRIu64 ",\"entries\":%zu,\"bytes\":%zu}",
                           st.p_hits, st.p_misses, st.p_stores, st.p_evictions, st.p_entries,
                           st.p_bytes);
    if (st.memory_on) {
        char *extra = arena_sprintf(a, ",\"max_bytes\":%lld,\"refreshing\":%zu",
                                    (long long)st.memory_max_bytes, st.memory_refreshing);
        mem = extra ? tier_json(a, &st.memory, extra) : NULL;
    }
    if (st.single_flight_on)
        sf = arena_sprintf(a, "{\"flights\":%zu,\"started\":%" PRIu64 ",\"joined\":%" PRIu64 "}",
                           st.flights, st.started, st.joined);
    if (st.redis_on) {
        char *extra = arena_sprintf(a, ",\"state\":\"%s\",\"version\":%" PRId64, st.redis_state,
                                    st.redis_version);
        rd = extra ? tier_json(a, &st.redis, extra) : NULL;
    }
    char *body = mem && sf && rd && pr
                     ? arena_sprintf(a,
                                     "{\"pid\":%ld,\"enabled\":%s,\"tiers\":{\"memory\":%s,"
                                     "\"single_flight\":%s,\"redis\":%s},\"provider_results\":%s}",
                                     (long)getpid(), st.enabled ? "true" : "false", mem, sf, rd, pr)
                     : NULL;
    if (!body) {
        http_respond_oom(req);
        return;
    }
    http_respond(req, 200, "application/json", "Cache-Control: no-store\r\n", body, strlen(body));
}

int http_cache_register(http_router_t *r, cache_admin_t *admin)
{
    if (http_router_add(r, HTTP_M_DELETE, "/v1/cache", HTTP_ROUTE_ADMIN, cache_delete, admin) ||
        http_router_add(r, HTTP_M_GET, "/v1/cache/stats", HTTP_ROUTE_READ, cache_stats, admin))
        return -1;
    return 0;
}
