#include "http/middleware.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/shm.h"
#include "http/auth.h"
#include "http/client_limit.h"
#include "http/compress.h"
#include "http/cors.h"
#include "http/trace.h"

struct http_mw {
    const sf_config_t *cfg;
    http_hooks_t hooks;
    http_auth_t *auth;       /* from the configuration */
    http_auth_t *store_keys; /* from the store's api_keys table, once loaded */
    bool store_keys_expected;
    http_cors_t *cors;
    http_cidr_t *trusted;
    size_t ntrusted;
    shm_client_bucket_t local_clients[64]; /* without a shared region (tests) */
};

static bool is_search_route(const char *route)
{
    return route && (strcmp(route, "/v1/search") == 0 || strcmp(route, "/v1/search/batch") == 0);
}

/* Routes that answer whatever the keys and limits: probes and scrapes. */
static bool is_open_route(const char *route)
{
    return route && (strcmp(route, "/health") == 0 || strcmp(route, "/health/live") == 0 ||
                     strcmp(route, "/health/ready") == 0 || strcmp(route, "/metrics") == 0);
}

static bool needs_admin(const http_req_t *req)
{
    const char *r = req->route;
    if (!r) return false;
    if (req->method == HTTP_M_DELETE && strncmp(r, "/v1/cache", 9) == 0) return true;
    if (req->method == HTTP_M_PUT && strcmp(r, "/v1/providers/{name}") == 0) return true;
    return strncmp(r, "/v1/admin", 9) == 0;
}

/* The scopes of a presented key, whichever set holds it. */
static unsigned key_scopes(const http_mw_t *mw, const char *key, size_t len)
{
    return http_auth_check(mw->auth, key, len) | http_auth_check(mw->store_keys, key, len);
}

/* The client's identity for the rate limit: its key when valid, else its
 * address. Returns 0 when it cannot be told. */
static uint64_t client_key(http_mw_t *mw, const http_req_t *req, unsigned scopes)
{
    size_t klen;
    const char *key = http_auth_key_of(req, &klen);
    if (key && scopes) return http_client_key("key", key, klen);
    char addr[INET6_ADDRSTRLEN];
    if (http_client_addr(req, mw->trusted, mw->ntrusted, addr, sizeof addr) < 0) return 0;
    return http_client_key("addr", addr, strlen(addr));
}

static void limit(http_mw_t *mw, uint64_t key, bool consume, http_limit_verdict_t *v)
{
    shm_region_t *r = shm_get();
    const sf_config_t *cfg = mw->cfg;
    if (r)
        http_client_limit(r->clients, SHM_CLIENT_BUCKETS, &r->clients_lock, key,
                          (double)cfg->ratelimit.rate, (double)cfg->ratelimit.burst,
                          (int64_t)clock_now_ns(), consume, v);
    else
        http_client_limit(mw->local_clients, 64, NULL, key, (double)cfg->ratelimit.rate,
                          (double)cfg->ratelimit.burst, (int64_t)clock_now_ns(), consume, v);
}

static char *ratelimit_headers(arena_t *a, const http_limit_verdict_t *v)
{
    return arena_sprintf(
        a, "RateLimit-Limit: %ld\r\nRateLimit-Remaining: %ld\r\nRateLimit-Reset: %ld\r\n", v->limit,
        v->remaining, v->reset_s);
}

static bool mw_before(void *ctx, http_req_t *req)
{
    http_mw_t *mw = ctx;
    const sf_config_t *cfg = mw->cfg;
    if (http_trace_apply(req) < 0) log_warn("traceparent: out of memory");
    if (!req->route) return false; /* 404: nothing to guard */
    metrics_http_in_flight(1);
    bool search = is_search_route(req->route);
    if (search) metrics_searches_in_flight(1);

    if (http_cors_preflight(mw->cors, req)) return true;
    if (is_open_route(req->route)) return false;

    /* Keys. */
    size_t klen;
    const char *key = http_auth_key_of(req, &klen);
    unsigned scopes = key ? key_scopes(mw, key, klen) : 0;
    bool guarded = cfg->auth.required || http_auth_count(mw->auth) > 0 ||
                   http_auth_count(mw->store_keys) > 0;
    const char *www = "WWW-Authenticate: Bearer realm=\"scifind\"\r\n";
    if (key && !scopes && mw->store_keys_expected && !mw->store_keys) {
        /* The key may well be in the table we have not read yet. */
        http_respond_error_h(req, 503, "Retry-After: 1\r\n", "service_unavailable",
                             "the API keys are not loaded from the store yet");
        return true;
    }
    if (key && !scopes && guarded) {
        metrics_count(METRIC_UNAUTHORIZED);
        http_respond_error_h(req, 401, www, "unauthorized", "the API key is not valid");
        return true;
    }
    bool admin = needs_admin(req);
    if (!key && (cfg->auth.required || (admin && guarded))) {
        metrics_count(METRIC_UNAUTHORIZED);
        http_respond_error_h(req, 401, www, "unauthorized",
                             "an API key is required (Authorization: Bearer KEY or X-API-Key)");
        return true;
    }
    if (key && guarded && !(scopes & (admin ? HTTP_SCOPE_ADMIN : HTTP_SCOPE_READ))) {
        metrics_count(METRIC_FORBIDDEN);
        http_respond_error(req, 403, "forbidden", "this API key lacks the '%s' scope",
                           admin ? "admin" : "read");
        return true;
    }

    /* Client rate limit. */
    if (cfg->ratelimit.rate > 0) {
        uint64_t ck = client_key(mw, req, scopes);
        http_limit_verdict_t v;
        if (ck) {
            limit(mw, ck, true, &v);
            if (!v.allowed) {
                metrics_count(METRIC_RATE_LIMITED);
                char *h = ratelimit_headers(req->arena, &v);
                char *hdr =
                    h ? arena_sprintf(req->arena, "Retry-After: %ld\r\n%s", v.retry_after, h)
                      : NULL;
                http_respond_error_h(req, 429, hdr, "rate_limited",
                                     "too many requests: %ld per burst, %lld per second", v.limit,
                                     (long long)cfg->ratelimit.rate);
                return true;
            }
        }
    }

    /* Load shedding: this search would be one too many. */
    if (search && cfg->shed.max_in_flight > 0 &&
        metrics_searches_in_flight_now() > cfg->shed.max_in_flight) {
        metrics_count(METRIC_SHED);
        /* Connections stick to a worker: closing lets the client's next
         * connection land on a worker that may have room. */
        http_req_close_after(req);
        char *hdr = arena_sprintf(req->arena, "Retry-After: %lld\r\n",
                                  (long long)((cfg->shed.retry_after_ms + 999) / 1000));
        http_respond_error_h(req, 503, hdr, "service_unavailable",
                             "too many searches in flight; try again shortly");
        return true;
    }
    return false;
}

static const char *mw_headers(void *ctx, http_req_t *req)
{
    http_mw_t *mw = ctx;
    const char *tp = http_req_header(req, "traceparent");
    http_trace_t t;
    bool trace = tp && http_trace_parse(tp, strlen(tp), &t) == 0;
    const char *cors = http_cors_headers(mw->cors, req);
    char *rl = NULL;
    /* A 429 carries its own; probes and scrapes are not limited. */
    if (mw->cfg->ratelimit.rate > 0 && req->route && req->status != 429 &&
        !is_open_route(req->route) && req->method != HTTP_M_OPTIONS) {
        size_t klen;
        const char *key = http_auth_key_of(req, &klen);
        unsigned scopes = key ? key_scopes(mw, key, klen) : 0;
        uint64_t ck = client_key(mw, req, scopes);
        http_limit_verdict_t v;
        if (ck) {
            limit(mw, ck, false, &v);
            rl = ratelimit_headers(req->arena, &v);
        }
    }
    if (!trace && !cors && !rl) return NULL;
    return arena_sprintf(req->arena, "%s%s%s%s%s", trace ? "traceparent: " : "", trace ? tp : "",
                         trace ? "\r\n" : "", cors ? cors : "", rl ? rl : "");
}

static void mw_after(void *ctx, const http_req_t *req, double duration_ms)
{
    (void)ctx;
    if (req->route) {
        metrics_http_in_flight(-1);
        if (is_search_route(req->route)) metrics_searches_in_flight(-1);
    }
    metrics_http_request(req->route, req->status, duration_ms);
}

http_mw_t *http_mw_new(const sf_config_t *cfg, char *err, size_t errlen)
{
    http_mw_t *mw = calloc(1, sizeof *mw);
    if (!mw) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    err[0] = '\0';
    mw->cfg = cfg;
    mw->auth = http_auth_new(cfg->auth.keys, cfg->auth.keys_file, err, errlen);
    if (!mw->auth) goto fail;
    if (http_cidr_list_parse(cfg->ratelimit.trusted_proxies, &mw->trusted, &mw->ntrusted, err,
                             errlen) < 0)
        goto fail;
    mw->cors = http_cors_new(cfg->cors.origins, cfg->cors.max_age_ms);
    if (!mw->cors) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (cfg->auth.required && http_auth_count(mw->auth) == 0)
        log_warn("auth.required is set but auth.keys and auth.keys_file are empty: only keys of "
                 "the store's api_keys table can pass");
    http_compress_configure(cfg->compression.enabled, (size_t)cfg->compression.min_bytes,
                            (int)cfg->compression.level);
    if (metrics_attach() < 0)
        log_warn("no free metrics slot: this worker's figures are not shared");
    mw->hooks =
        (http_hooks_t){.ctx = mw, .before = mw_before, .after = mw_after, .headers = mw_headers};
    return mw;
fail:
    http_mw_free(mw);
    return NULL;
}

void http_mw_expect_store_keys(http_mw_t *mw)
{
    mw->store_keys_expected = true;
}

void http_mw_set_store_keys(void *mw_, http_auth_t *keys)
{
    http_mw_t *mw = mw_;
    if (!mw->store_keys)
        log_write(LOG_INFO, "API keys loaded from the store", LF_INT, "keys",
                  (int64_t)http_auth_count(keys), LF_END);
    http_auth_free(mw->store_keys);
    mw->store_keys = keys;
}

const http_hooks_t *http_mw_hooks(http_mw_t *mw)
{
    return &mw->hooks;
}

void http_mw_free(http_mw_t *mw)
{
    if (!mw) return;
    metrics_detach();
    http_auth_free(mw->auth);
    http_auth_free(mw->store_keys);
    http_cors_free(mw->cors);
    free(mw->trusted);
    free(mw);
}
