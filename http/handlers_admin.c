#include "http/handlers_admin.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/paper.h"
#include "core/shm.h"

/* Reads an optional integer member within lo..hi. Returns 1 (set), 0
 * (absent) or -1 (bad: an error answer was sent). */
static int get_int(http_req_t *req, json_t *o, const char *name, json_int_t lo, json_int_t hi,
                   json_int_t *out)
{
    json_t *v = json_object_get(o, name);
    if (!v) return 0;
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
        http_respond_error(req, 400, "bad_request", "'%s' must be an integer from %lld to %lld",
                           name, (long long)lo, (long long)hi);
        return -1;
    }
    *out = json_integer_value(v);
    return 1;
}

static void admin_provider_put(http_req_t *req)
{
    http_admin_ctx_t *ctx = req->route_data;
    const char *name = req->params[0];
    int src = source_parse(name, strlen(name));
    const sf_provider_config_t *pc = src >= 0 ? config_provider(ctx->cfg, src) : NULL;
    if (!pc) {
        http_respond_error(req, 404, "not_found", "no provider named '%s'", name);
        return;
    }
    json_error_t jerr;
    json_t *body = json_loadb(req->body, req->body_len, 0, &jerr);
    if (!json_is_object(body)) {
        json_decref(body);
        http_respond_error(req, 400, "bad_request", "the body must be a JSON object");
        return;
    }
    const char *known[] = {"enabled", "timeout_ms", "rate_limit", "suspended"};
    const char *key;
    json_t *val;
    json_object_foreach(body, key, val)
    {
        size_t i;
        for (i = 0; i < 4 && strcmp(key, known[i]) != 0; i++) {
        }
        if (i == 4) {
            http_respond_error(req, 400, "bad_request",
                               "unknown member '%s' (enabled, timeout_ms, rate_limit, suspended)",
                               key);
            goto out;
        }
    }
    json_t *en = json_object_get(body, "enabled");
    if (en && !json_is_boolean(en)) {
        http_respond_error(req, 400, "bad_request", "'enabled' must be true or false");
        goto out;
    }
    if (en && json_is_true(en) && !config_provider_on(ctx->cfg, src)) {
        http_respond_error(req, 409, "conflict",
                           "%s is off in the configuration; only the configuration can turn it on",
                           name);
        goto out;
    }
    /* "suspended": false lifts a suspension (the operator sorted it out). */
    json_t *susp = json_object_get(body, "suspended");
    if (susp && !json_is_false(susp)) {
        http_respond_error(req, 400, "bad_request", "'suspended' can only be set to false");
        goto out;
    }
    json_int_t timeout = 0, interval = -1, burst = -1;
    if (get_int(req, body, "timeout_ms", 1, 600000, &timeout) < 0) goto out;
    json_t *rl = json_object_get(body, "rate_limit");
    if (rl) {
        if (!json_is_object(rl)) {
            http_respond_error(req, 400, "bad_request", "'rate_limit' must be an object");
            goto out;
        }
        if (get_int(req, rl, "interval_ms", 0, 3600000, &interval) < 0 ||
            get_int(req, rl, "burst", 1, 100000, &burst) < 0)
            goto out;
    }

    shm_region_t *r = shm_get();
    if (!r) {
        http_respond_error(req, 503, "service_unavailable", "no shared-memory region");
        goto out;
    }
    shm_provider_t *p = &r->providers[src];
    shm_lock(&p->lock);
    if (en) p->admin_enabled = json_is_true(en) ? 1 : -1;
    if (susp) p->suspended_until_ns = 0, p->suspend_reason = 0, p->suspend_status = 0;
    if (timeout) p->admin_timeout_ms = timeout;
    if (interval >= 0 || burst >= 0) {
        if (interval >= 0) p->interval_ns = interval * 1000000;
        if (burst >= 0) p->burst = (double)burst;
        p->tokens = p->burst; /* as prov_limits_configure() does */
        p->refilled_ns = (int64_t)clock_now_ns();
        p->admin_rate_set = 1;
    }
    bool enabled = p->admin_enabled ? p->admin_enabled > 0 : config_provider_on(ctx->cfg, src);
    long long t_ms = p->admin_timeout_ms ? p->admin_timeout_ms : pc->timeout_ms;
    long long i_ms = p->interval_ns / 1000000, b = (long long)p->burst;
    shm_unlock(&p->lock);

    char *out =
        arena_sprintf(req->arena,
                      "{\"provider\":\"%s\",\"enabled\":%s,\"timeout_ms\":%lld,"
                      "\"rate_limit\":{\"interval_ms\":%lld,\"burst\":%lld}}",
                      source_name((source_t)src), enabled ? "true" : "false", t_ms, i_ms, b);
    if (out)
        http_respond(req, 200, "application/json", "Cache-Control: no-store\r\n", out, strlen(out));
    else
        http_respond_oom(req);
out:
    json_decref(body);
}

int http_admin_register(http_router_t *r, http_admin_ctx_t *ctx)
{
    return http_router_add(r, HTTP_M_PUT, "/v1/providers/{name}", HTTP_ROUTE_ADMIN,
                           admin_provider_put, ctx);
}
