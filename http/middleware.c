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
#include "http/put.h"
#include "http/trace.h"

#define SHARED_TAKES 256 /* clients with a take in flight to Redis, per worker */
#define SHARED_PROBES 8

/* Takes of one client on their way to the instance-wide bucket. One call
 * per client is in flight at a time (per worker): takes admitted meanwhile
 * wait in pending and go together in the next call, so a busy client costs
 * Redis one call per round trip, not one per request. */
typedef struct shared_take {
    http_mw_t *mw;
    uint64_t key; /* 0: a free entry */
    double rate;  /* the client's bucket: tokens per second, burst */
    long burst;
    long sent;    /* takes in the call in flight; 0: none */
    long pending; /* takes admitted since */
    bool heap;    /* malloc'd because the table was full */
} shared_take_t;

struct http_mw {
    const sf_config_t *cfg;
    http_hooks_t hooks;
    http_auth_t *auth;       /* from the configuration */
    http_auth_t *store_keys; /* from the store's api_keys table, once loaded */
    bool store_keys_expected;
    http_cors_t *cors;
    http_cidr_t *trusted;
    size_t ntrusted;
    http_cidr_t *loopback; /* 127.0.0.0/8 and ::1: who may use admin routes without keys */
    size_t nloopback;
    shm_client_bucket_t local_clients[64]; /* without a shared region (tests) */
    const http_limit_shared_t *shared;     /* the instance-wide buckets (Redis), or NULL */
    shared_take_t takes[SHARED_TAKES];     /* clients with a call to them in flight */
};

/* True when the request's TCP peer (not X-Forwarded-For) is on loopback. */
static bool peer_is_loopback(const http_mw_t *mw, const http_req_t *req)
{
    char peer[64];
    if (http_client_addr(req, NULL, 0, peer, sizeof peer) < 0) return false;
    return http_cidr_match_str(mw->loopback, mw->nloopback, peer, strlen(peer));
}

/* What a presented key may do, whichever set holds it: its scopes, and its
 * own rate limit in requests per minute (0: the configured one). */
static unsigned key_scopes(const http_mw_t *mw, const char *key, size_t len, long *per_minute)
{
    long from_config, from_store;
    unsigned scopes = http_auth_lookup(mw->auth, key, len, &from_config) |
                      http_auth_lookup(mw->store_keys, key, len, &from_store);
    *per_minute = from_store ? from_store : from_config;
    return scopes;
}

/* A client's bucket: its key's own limit (api_keys.rate_limit, per minute,
 * bursts of at most that many) or ratelimit.*. Returns false: no limit. */
static bool client_rate(const http_mw_t *mw, long per_minute, double *rate, long *burst)
{
    const sf_config_t *cfg = mw->cfg;
    if (per_minute > 0) {
        *rate = (double)per_minute / 60.0;
        *burst = cfg->ratelimit.burst < per_minute ? (long)cfg->ratelimit.burst : per_minute;
        return true;
    }
    *rate = (double)cfg->ratelimit.rate;
    *burst = (long)cfg->ratelimit.burst;
    return cfg->ratelimit.rate > 0;
}

/* The client's identity for the rate limit: its key when valid, else its
 * address. Returns 0 when it cannot be told. */
static uint64_t client_key(http_mw_t *mw, const http_req_t *req, const char *key, size_t klen,
                           unsigned scopes)
{
    if (key && scopes) return http_client_key("key", key, klen);
    char addr[INET6_ADDRSTRLEN];
    if (http_client_addr(req, mw->trusted, mw->ntrusted, addr, sizeof addr) < 0) return 0;
    return http_client_key("addr", addr, strlen(addr));
}

/* A request's client bucket, worked out once by before() (req->hook_data)
 * for the limit and for headers()' RateLimit-* fields. */
typedef struct req_limit {
    uint64_t client;
    double rate;
    long burst;
} req_limit_t;

/* The request's bucket, or NULL when it has no limit or no identity. */
static req_limit_t *req_limit_new(http_mw_t *mw, http_req_t *req, const char *key, size_t klen,
                                  unsigned scopes, long per_minute)
{
    double rate;
    long burst;
    if (!client_rate(mw, scopes ? per_minute : 0, &rate, &burst)) return NULL;
    uint64_t client = client_key(mw, req, key, klen, scopes);
    req_limit_t *l = client ? arena_alloc(req->arena, sizeof *l) : NULL;
    if (l) *l = (req_limit_t){.client = client, .rate = rate, .burst = burst};
    return l;
}

/* The client buckets: the group's in shared memory, else this worker's
 * own (tests without a region; lock NULL). */
static shm_client_bucket_t *client_table(http_mw_t *mw, size_t *n, pthread_mutex_t **lock)
{
    shm_region_t *r = shm_get();
    *n = r ? SHM_CLIENT_BUCKETS : sizeof mw->local_clients / sizeof mw->local_clients[0];
    *lock = r ? &r->clients_lock : NULL;
    return r ? r->clients : mw->local_clients;
}

static void limit(http_mw_t *mw, uint64_t key, double rate, long burst, bool consume,
                  http_limit_verdict_t *v)
{
    size_t n;
    pthread_mutex_t *lock;
    shm_client_bucket_t *table = client_table(mw, &n, &lock);
    http_client_limit(table, n, lock, key, rate, (double)burst, (int64_t)clock_now_ns(), consume,
                      v);
}

static void take_send(shared_take_t *t);

static void take_release(shared_take_t *t)
{
    if (t->heap)
        free(t);
    else
        t->key = 0;
}

/* No verdict for n takes: this group's bucket alone decided them. */
static void takes_failed(long n)
{
    for (long i = 0; i < n; i++)
        metrics_count(METRIC_RATELIMIT_REDIS_ERROR);
}

/* Redis's verdict: the tokens the client has left across instances become
 * the most this group's bucket holds. Then the takes that waited go. */
static void on_shared_verdict(void *data, const long long *ints, int n)
{
    shared_take_t *t = data;
    double tokens;
    if (http_client_limit_shared_tokens(ints, n, &tokens) < 0) {
        takes_failed(t->sent);
    } else {
        size_t nslots;
        pthread_mutex_t *lock;
        shm_client_bucket_t *table = client_table(t->mw, &nslots, &lock);
        http_client_limit_fold(table, nslots, lock, t->key, t->rate, (double)t->burst,
                               (int64_t)clock_now_ns(), tokens);
    }
    t->sent = 0;
    if (t->pending)
        take_send(t);
    else
        take_release(t);
}

/* Sends t's pending takes in one call; on failure they are counted and t
 * is released. */
static void take_send(shared_take_t *t)
{
    const sf_config_t *cfg = t->mw->cfg;
    t->sent = t->pending;
    t->pending = 0;
    if (http_client_limit_share(t->mw->shared, cfg->redis.key_prefix, t->key, t->sent, t->rate,
                                t->burst, on_shared_verdict, t) < 0) {
        takes_failed(t->sent); /* Redis not ready: this group's bucket alone decides */
        take_release(t);
    }
}

/* The entry of client key: its own, a free one, or a malloc'd one when the
 * probed entries are all busy. NULL when out of memory. */
static shared_take_t *take_entry(http_mw_t *mw, uint64_t key)
{
    shared_take_t *free_one = NULL;
    for (size_t i = 0; i < SHARED_PROBES; i++) {
        shared_take_t *t = &mw->takes[(key + i) % SHARED_TAKES];
        if (t->key == key) return t;
        if (!t->key && !free_one) free_one = t;
    }
    shared_take_t *t = free_one ? free_one : malloc(sizeof *t);
    if (t) *t = (shared_take_t){.mw = mw, .key = key, .heap = !free_one};
    return t;
}

/* Takes the admitted request from the client's instance-wide bucket too,
 * without waiting for the answer. */
static void share_take(http_mw_t *mw, uint64_t key, double rate, long burst)
{
    metrics_count(METRIC_RATELIMIT_REDIS_TAKE);
    shared_take_t *t = take_entry(mw, key);
    if (!t) {
        takes_failed(1);
        return;
    }
    t->rate = rate;
    t->burst = burst;
    t->pending++;
    if (!t->sent) take_send(t);
}

/* v in decimal, '-' first when negative: at most 21 characters. */
static char *put_long(char *d, long v)
{
    if (v < 0) *d++ = '-';
    return http__put_uint(d, v < 0 ? 0 - (uint64_t)v : (uint64_t)v);
}

/* By hand, not arena_sprintf: every limited answer carries them. */
static char *ratelimit_headers(arena_t *a, const http_limit_verdict_t *v)
{
    static const char l1[] = "RateLimit-Limit: ", l2[] = "\r\nRateLimit-Remaining: ",
                      l3[] = "\r\nRateLimit-Reset: ";
    char *out = arena_alloc(a, sizeof l1 + sizeof l2 + sizeof l3 + 3 * 21 + 3);
    if (!out) return NULL;
    char *d = put_long(HTTP_PUT_LIT(out, l1), v->limit);
    d = put_long(HTTP_PUT_LIT(d, l2), v->remaining);
    d = put_long(HTTP_PUT_LIT(d, l3), v->reset_s);
    d = HTTP_PUT_LIT(d, "\r\n");
    *d = '\0';
    return out;
}

static bool mw_before(void *ctx, http_req_t *req)
{
    http_mw_t *mw = ctx;
    const sf_config_t *cfg = mw->cfg;
    if (http_trace_apply(req) < 0) log_warn("traceparent: out of memory");
    if (!req->route) return false; /* 404: nothing to guard */
    metrics_http_in_flight(1);
    bool search = req->route_class == HTTP_ROUTE_SEARCH;
    if (search) metrics_searches_in_flight(1);

    if (http_cors_preflight(mw->cors, req)) return true;
    if (req->route_class == HTTP_ROUTE_OPEN) return false;

    /* Keys. */
    size_t klen;
    const char *key = http_auth_key_of(req, &klen);
    long per_minute = 0;
    unsigned scopes = key ? key_scopes(mw, key, klen, &per_minute) : 0;
    req_limit_t *lim = req_limit_new(mw, req, key, klen, scopes, per_minute);
    req->hook_data = lim; /* answers refused below carry RateLimit-* too */
    bool guarded =
        cfg->auth.required || http_auth_count(mw->auth) > 0 || http_auth_count(mw->store_keys) > 0;
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
    bool admin = req->route_class == HTTP_ROUTE_ADMIN;
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
    if (admin && !guarded) {
        /* No keys at all (the default): admin routes are closed, but to
         * loopback callers when auth.admin_loopback allows them. */
        if (mw->store_keys_expected && !mw->store_keys) {
            http_respond_error_h(req, 503, "Retry-After: 1\r\n", "service_unavailable",
                                 "the API keys are not loaded from the store yet");
            return true;
        }
        if (!cfg->auth.admin_loopback || !peer_is_loopback(mw, req)) {
            metrics_count(METRIC_FORBIDDEN);
            http_respond_error(req, 403, "forbidden",
                               "admin routes are closed: configure an API key with the admin "
                               "scope%s",
                               cfg->auth.admin_loopback ? ", or call from loopback" : "");
            return true;
        }
    }

    /* Client rate limit. */
    if (lim) {
        http_limit_verdict_t v;
        limit(mw, lim->client, lim->rate, lim->burst, true, &v);
        if (!v.allowed) {
            metrics_count(METRIC_RATE_LIMITED);
            char *h = ratelimit_headers(req->arena, &v);
            char *hdr =
                h ? arena_sprintf(req->arena, "Retry-After: %ld\r\n%s", v.retry_after, h) : NULL;
            http_respond_error_h(req, 429, hdr, "rate_limited",
                                 "too many requests: %ld per burst, %.3g per second", v.limit,
                                 lim->rate);
            return true;
        }
        if (mw->shared) share_take(mw, lim->client, lim->rate, lim->burst);
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
    /* Only this hop's (valid by construction): never a caller's unchecked. */
    const char *tp = req->traceparent;
    bool trace = tp != NULL;
    const char *cors = http_cors_headers(mw->cors, req);
    char *rl = NULL;
    /* Only requests before() gave a bucket (probes, scrapes and unrouted
     * ones have none); a 429 carries its own. */
    const req_limit_t *lim = req->hook_data;
    if (lim && req->status != 429 && req->method != HTTP_M_OPTIONS) {
        http_limit_verdict_t v;
        limit(mw, lim->client, lim->rate, lim->burst, false, &v);
        rl = ratelimit_headers(req->arena, &v);
    }
    if (!trace && !cors && !rl) return NULL;
    /* By hand, not arena_sprintf: every answer comes here (http/put.h). */
    static const char name[] = "traceparent: ";
    size_t ntp = trace ? HTTP_TRACEPARENT_LEN : 0, ncors = cors ? strlen(cors) : 0,
           nrl = rl ? strlen(rl) : 0;
    char *out = arena_alloc(req->arena, sizeof name + ntp + 2 + ncors + nrl);
    if (!out) return NULL;
    char *d = out;
    if (trace) {
        d = HTTP_PUT_LIT(d, name);
        d = http__put(d, tp, ntp);
        d = HTTP_PUT_LIT(d, "\r\n");
    }
    if (cors) d = http__put(d, cors, ncors);
    if (rl) d = http__put(d, rl, nrl);
    *d = '\0';
    return out;
}

static void mw_after(void *ctx, const http_req_t *req, double duration_ms)
{
    (void)ctx;
    if (req->route) {
        metrics_http_in_flight(-1);
        if (req->route_class == HTTP_ROUTE_SEARCH) metrics_searches_in_flight(-1);
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
    if (http_cidr_list_parse("127.0.0.0/8,::1/128", &mw->loopback, &mw->nloopback, err, errlen) < 0)
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

void http_mw_share_limit(http_mw_t *mw, const http_limit_shared_t *shared)
{
    mw->shared = shared;
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
    free(mw->loopback);
    free(mw);
}
