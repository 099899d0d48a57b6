/* scifind's entry point: its commands and the wiring of modules (the
 * flags and configuration layers are core/cli.c). The one place that knows
 * every module. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/blob_cache.h"
#include "core/cli.h"
#include "core/config.h"
#include "core/log.h"
#include "core/master.h"
#include "core/page_cursor.h"
#include "core/search_direct.h"
#include "core/shm.h"
#include "core/worker.h"
#include "cache/provider_cache.h"
#include "cache/lookup_l2.h"
#include "cache/redis.h"
#include "cache/tiers.h"
#include "http/handlers_analytics.h"
#include "http/handlers_cache.h"
#include "http/handlers_authors.h"
#include "http/handlers_citations.h"
#include "http/handlers_admin.h"
#include "http/handlers_health.h"
#include "http/handlers_mcp.h"
#include "http/handlers_metrics.h"
#include "http/handlers_papers.h"
#include "http/handlers_providers.h"
#include "http/handlers_search.h"
#include "http/mcp_stdio.h"
#include "http/handlers_ui.h"
#include "http/middleware.h"
#include "http/router.h"
#include "http/server.h"
#include "providers/authors_backend.h"
#include "providers/cites.h"
#include "providers/fanout.h"
#include "store/events.h"
#include "store/keys.h"
#include "store/migrate.h"
#include "store/store.h"

/* ---- the worker's services, wired together ---------------------------- */

typedef struct app {
    const sf_config_t *cfg;
    uv_loop_t *loop;
    http_router_t *router;
    http_server_t *server;
    prov_fanout_t *fanout;
    cites_backend_t cites_be; /* citation lists: their provider calls, and their cache */
    cites_cache_t *cites;
    author_backend_t authors_be; /* author search and profiles: their provider calls */
    http_authors_ctx_t authors;
    /* Which backend asks each source: the fan-out for the HTTP providers,
     * the store for "local". */
    const search_backend_t *backends[SRC_COUNT];
    search_backend_t mux;
    unsigned enabled;
    search_service_t *direct;
    search_chain_t chain;         /* the search service chain's head and observers */
    search_observer_t store_obs;  /* write-behind and analytics */
    search_observer_t events_obs; /* search.completed */
    store_t *store;               /* NULL without pg.dsn */
    store_events_t *events;       /* NATS events, NULL without nats.url */
    search_service_t *l3;         /* the store's cache link */
    cache_tiers_t *cache;         /* L1, single-flight, L2 (cache/tiers.h) */
    cache_provider_t *pcache;     /* each provider's results (cache.provider_ttl), or NULL */
    http_search_ctx_t search;
    http_providers_ctx_t providers;
    http_health_check_t health[2]; /* the dependencies /health/ready reports */
    size_t nhealth;
    http_admin_ctx_t admin;        /* PUT /v1/providers/{name} */
    http_mcp_t *mcp;               /* /mcp, or NULL (mcp.enabled) */
    http_mw_t *mw;                 /* keys, limits, CORS, trace, metrics (http/middleware.h) */
    cache_redis_link_t *rl_link;   /* a Redis link of the app's when the cache has none */
    http_limit_shared_t rl_shared; /* client buckets across instances, on a Redis link */
    prov_lookup_t *plookup;        /* lookups by id: the providers' side (providers/lookup.c) */
    lookup_service_t *lookup;      /* ... the cache, store and merge (core/lookup.h) */
    lookup_cache_t *lookup_l2;     /* ... the per-id cache's Redis tier, or NULL */
    http_papers_ctx_t papers;      /* /v1/papers, /v1/papers/batch, /v1/search/papers/... */
    void (*done)(void);
} app_t;

static app_t the_app;

static void mux_start(void *ctx, search_t *s, source_t src)
{
    const search_backend_t *b = ((app_t *)ctx)->backends[src];
    if (b)
        b->start(b->ctx, s, src);
    else
        search_provider_done(s, src, PSTAT_DISABLED, NULL, 0, "not configured");
}

static void mux_cancel(void *ctx, search_t *s, source_t src)
{
    const search_backend_t *b = ((app_t *)ctx)->backends[src];
    if (b) b->cancel(b->ctx, s, src);
}

static void app_search_sent(void *data, const search_reply_t *r, const char *request_id,
                            uint64_t start_ns)
{
    store_events_search(data, NULL, r, request_id, start_ns);
}

static void app_papers_written(void *data, char *rows, size_t n)
{
    store_events_papers(data, rows, n);
}

/* The api_keys table's live keys, as the middleware's second key set. */
static void app_store_keys(void *mw, const api_key_t *keys, size_t n)
{
    http_auth_t *set = http_auth_from_keys(keys, n);
    if (set) http_mw_set_store_keys(mw, set); /* out of memory: the last set stays */
}

static const char *health_store(void *data, char *buf, size_t len)
{
    return store_ready(data, buf, len) ? "ok" : "down";
}

static const char *health_redis(void *data, char *buf, size_t len)
{
    app_t *a = data;
    /* The cache's link, or the app's own when the cache is off. */
    const char *st =
        a->rl_link ? cache_redis_link_state(a->rl_link) : cache_tiers_redis_state(a->cache);
    snprintf(buf, len, "{\"status\":\"%s\"}", st);
    return st;
}

static char *app_describe_providers(void *data)
{
    app_t *a = data;
    return a->fanout ? prov_fanout_describe(a->fanout) : NULL;
}

/* A Redis link for what needs one besides the search's L2: the L2's own,
 * or one of the app's when the cache is off. NULL without redis.url. */
static cache_redis_link_t *app_redis_link(app_t *a, uv_loop_t *loop, const sf_config_t *cfg)
{
    if (!cfg->redis.url[0]) return NULL;
    cache_redis_link_t *link = cache_tiers_redis_link(a->cache);
    if (!link && !cfg->cache.enabled && !a->rl_link)
        a->rl_link = cache_redis_link_new(loop, cfg, NULL);
    return link ? link : a->rl_link;
}

/* The client rate limit across instances: on the cache's Redis link, or
 * on a link of its own when the cache is off (docs/operations-metrics.md). */
static void app_share_limit(app_t *a, uv_loop_t *loop, const sf_config_t *cfg)
{
    /* Keys of the store may carry limits of their own (api_keys.rate_limit). */
    bool limited = cfg->ratelimit.rate > 0 || (a->store && cfg->auth.store_refresh_ms > 0);
    if (!limited || !cfg->ratelimit.redis || !cfg->redis.url[0]) return;
    cache_redis_link_t *link = app_redis_link(a, loop, cfg);
    if (!link) {
        log_write(LOG_WARN, "client rate limit per instance: no Redis link", LF_STR, "url",
                  cfg->redis.url, LF_END);
        return;
    }
    a->rl_shared = (http_limit_shared_t){.ctx = link, .eval = cache_redis_eval};
    http_mw_share_limit(a->mw, &a->rl_shared);
}

static int app_start(void *p, uv_loop_t *loop, const sf_config_t *cfg)
{
    app_t *a = p;
    a->cfg = cfg;
    a->loop = loop;
    a->router = http_router_new();
    prov_fanout_configure_limits(cfg); /* a reload may have changed them */
    source_t first_order[SRC_COUNT];
    char order_err[128];
    page_cursor_set_secret(cfg->mcp.session_secret);
    search_set_first_order(first_order, source_parse_list(cfg->search.first_order, first_order,
                                                          order_err, sizeof order_err));
    a->fanout = prov_fanout_new(loop, cfg);
    if (!a->router || !a->fanout) goto oom;
    for (int i = 0; i < SRC_COUNT; i++)
        if (i != SRC_LOCAL) a->backends[i] = prov_fanout_backend(a->fanout);
    a->enabled = prov_fanout_enabled(a->fanout);
    /* The store (when pg.dsn is set) adds the "local" source here. */
    if (cfg->pg.dsn[0]) {
        a->store = store_new(loop, cfg);
        if (!a->store) goto oom;
        a->backends[SRC_LOCAL] = store_backend(a->store);
        a->enabled |= 1u << SRC_LOCAL;
    }
    a->mux = (search_backend_t){.ctx = a, .start = mux_start, .cancel = mux_cancel};

    /* Each provider's results are reused for cache.provider_ttl (cache/provider_cache.h). */
    const search_backend_t *backend = &a->mux;
    if (cfg->cache.enabled && cfg->cache.provider_ttl_ms > 0 && cfg->cache.provider_max_bytes > 0) {
        a->pcache = cache_provider_new(&a->mux, cfg->cache.provider_ttl_ms, 4096,
                                       (size_t)cfg->cache.provider_max_bytes);
        if (!a->pcache) goto oom;
        backend = cache_provider_backend(a->pcache);
    }

    /* The search service chain, built from its last link (core/search_service.h). */
    search_chain_init(&a->chain);
    a->direct = search_direct_new(loop, backend, a->enabled);
    if (!a->direct) goto oom;
    search_direct_set_chain(a->direct, &a->chain);
    a->chain.head = a->direct;
    /* The cache tiers wrap the head here. */
    if (a->store && cfg->cache.enabled) {
        a->l3 = store_l3_service(a->store, a->chain.head);
        if (!a->l3) goto oom;
        a->chain.head = a->l3;
    }
    a->cache = cache_tiers_new(loop, cfg, a->chain.head);
    if (!a->cache) goto oom;
    a->chain.head = cache_tiers_service(a->cache);
    cache_tiers_set_providers(a->cache, a->pcache);
    /* DELETE /v1/cache empties the PostgreSQL tier too */
    if (a->l3) cache_tiers_set_l3(a->cache, store_l3_delete, a->store);
    if (http_cache_register(a->router, cache_tiers_admin(a->cache)) < 0) goto oom;
    a->search = (http_search_ctx_t){.cfg = cfg, .chain = &a->chain};
    a->events = store_events_new(cfg);
    if (a->events) { /* search.completed per answer; papers.indexed per stored batch */
        a->events_obs = (search_observer_t){.sent = app_search_sent, .ctx = a->events};
        search_chain_observe(&a->chain, &a->events_obs);
        if (a->store) store_on_papers_written(a->store, app_papers_written, a->events);
    }
    if (a->store) { /* write-behind of merged papers, analytics of answered queries */
        a->store_obs = (search_observer_t){.computed = store_on_search_papers,
                                           .answered = store_on_search_answered,
                                           .ctx = a->store};
        search_chain_observe(&a->chain, &a->store_obs);
    }
    a->providers = (http_providers_ctx_t){.describe = app_describe_providers, .data = a};
    const papers_repo_t *papers = a->store ? store_papers_repo(a->store) : NULL;
    /* Lookups by id, live: per-id cache, the store, the providers (core/lookup.h). */
    a->plookup = prov_lookup_new(a->fanout);
    lookup_config_t lk = {.deadline_ms = (int)cfg->papers.lookup_deadline_ms,
                          .cache_ttl_ms = cfg->papers.cache_ttl_ms,
                          .cache_entries = (size_t)cfg->papers.cache_entries};
    if (!a->plookup) goto oom;
    /* The per-id cache shared through Redis (cache/lookup_l2.h). */
    cache_redis_link_t *lookup_link =
        cfg->papers.cache_ttl_ms > 0 ? app_redis_link(a, loop, cfg) : NULL;
    if (lookup_link) {
        a->lookup_l2 = cache_lookup_l2_new(lookup_link, cfg->redis.key_prefix);
        if (!a->lookup_l2) goto oom;
        lk.shared = a->lookup_l2;
    }
    a->lookup = lookup_service_new(loop, prov_lookup_backend(a->plookup),
                                   prov_fanout_enabled(a->fanout), papers, &lk);
    if (!a->lookup) goto oom;
    a->papers = (http_papers_ctx_t){.repo = papers, .lookup = a->lookup};
    /* Citation lists (before /v1/papers/{a}/{b}...: routes are tried in order). */
    prov_cites_backend_init(&a->cites_be, a->fanout);
    cites_cache_opts_t co = {
        .ttl_ms = (uint64_t)cfg->citations.cache_ttl_ms,
        .max_lists = cfg->citations.cache_ttl_ms > 0 ? (size_t)cfg->citations.cache_lists : 0,
        .max_bytes = (size_t)cfg->citations.cache_bytes,
        .deadline_ms = (int)cfg->citations.deadline_ms,
        .max_edges = (size_t)cfg->citations.max_edges,
        .enabled = a->enabled};
    a->cites = cites_cache_new(loop, &a->cites_be, &co);
    if (!a->cites || http_citations_register(a->router, a->cites) < 0) goto oom;
    /* Authors, live (under the citation lists' deadline). */
    prov_authors_backend_init(&a->authors_be, a->fanout);
    a->authors = (http_authors_ctx_t){
        .loop = loop,
        .be = &a->authors_be,
        .enabled = a->enabled,
        .deadline_ms = (int)cfg->citations.deadline_ms,
        .cache = blob_cache_new(cfg->authors.cache_ttl_ms, (size_t)cfg->authors.cache_entries)};
    if (a->authors.cache == NULL || http_authors_register(a->router, &a->authors) < 0) goto oom;
    if (a->store) a->health[a->nhealth++] = (http_health_check_t){"store", health_store, a->store};
    a->health[a->nhealth++] = (http_health_check_t){"redis", health_redis, a};
    if (http_health_register(a->router, a->health, a->nhealth) < 0 ||
        http_search_register(a->router, &a->search) < 0 ||
        http_providers_register(a->router, &a->providers) < 0 ||
        http_papers_register(a->router, &a->papers) < 0 ||
        http_analytics_register(a->router, papers) < 0 || http_ui_register(a->router) < 0)
        goto oom;
    if (cfg->mcp.enabled) { /* its tools ask what /v1/search and /v1/papers/{id} ask */
        http_mcp_ctx_t mcp = {.cfg = cfg,
                              .chain = &a->chain,
                              .papers = http_papers_for_mcp(&a->papers),
                              .cites = a->cites,
                              .authors = &a->authors};
        a->mcp = http_mcp_register(a->router, &mcp);
        if (!a->mcp) goto oom;
    }
    a->admin = (http_admin_ctx_t){.cfg = cfg};
    if (http_admin_register(a->router, &a->admin) < 0 ||
        (cfg->metrics.enabled && http_metrics_register(a->router) < 0))
        goto oom;
    a->server = http_server_new(loop, cfg, a->router);
    if (!a->server) goto oom;
    char mw_err[512];
    a->mw = http_mw_new(cfg, mw_err, sizeof mw_err);
    if (!a->mw) {
        log_write(LOG_ERROR, "cannot start the middleware", LF_STR, "error", mw_err, LF_END);
        return -1;
    }
    if (a->store && cfg->auth.store_refresh_ms > 0) { /* keys from the api_keys table too */
        http_mw_expect_store_keys(a->mw);
        store_on_api_keys(a->store, app_store_keys, a->mw);
    }
    app_share_limit(a, loop, cfg);
    http_server_set_hooks(a->server, http_mw_hooks(a->mw));
    return 0;
oom:
    log_error("out of memory while starting the worker");
    return -1;
}

/* The HTTP side is done: nothing waits on providers any more. */
/* The store has flushed its queues and closed its connections. */
static void app_store_closed(void *data)
{
    app_t *a = data;
    if (a->done) a->done();
}

static void app_server_done(http_server_t *s)
{
    (void)s;
    app_t *a = &the_app;
    http_mw_share_limit(a->mw, NULL); /* before its Redis link goes */
    cache_lookup_l2_close(a->lookup_l2);
    cache_redis_link_free(a->rl_link);
    a->rl_link = NULL;
    cache_tiers_stop(a->cache); /* background refreshes first: they use the providers */
    cites_cache_free(a->cites); /* its fetches' calls too */
    a->cites = NULL;
    blob_cache_free(a->authors.cache);
    a->authors.cache = NULL;
    prov_fanout_free(a->fanout);
    a->fanout = NULL;
    if (a->store) {
        store_shutdown(a->store, app_store_closed, a);
        return;
    }
    if (a->done) a->done();
}

static int app_listen(void *p, int fd)
{
    app_t *a = p;
    return http_server_listen(a->server, fd);
}

static void app_drain(void *p, bool socket_shared, void (*done)(void))
{
    app_t *a = p;
    a->done = done;
    http_server_drain(a->server, socket_shared, app_server_done);
}

static void app_close(void *p, void (*done)(void))
{
    app_t *a = p;
    a->done = done;
    /* First, in one pass: closing the connections cancels each search's
     * calls, and libcurl's own removal of each is not cheap. */
    prov_fanout_abort(a->fanout);
    http_server_close(a->server, app_server_done);
}

static void app_free(void *p)
{
    app_t *a = p;
    cites_cache_free(a->cites);
    blob_cache_free(a->authors.cache);
    prov_fanout_free(a->fanout);
    cache_redis_link_discard(a->rl_link); /* its takes' callbacks still need the middleware */
    cache_tiers_free(a->cache);
    cache_provider_free(a->pcache);
    search_direct_free(a->direct);
    store_l3_free(a->l3);
    store_free(a->store);
    store_events_free(a->events); /* after the store: its last batches are events too */
    http_server_free(a->server);
    http_mw_free(a->mw);
    http_router_free(a->router);
    http_mcp_free(a->mcp);
    lookup_service_free(a->lookup);
    cache_lookup_l2_free(a->lookup_l2);
    prov_lookup_free(a->plookup);
    memset(a, 0, sizeof *a);
}

static const worker_app_t worker_app = {
    .app = &the_app,
    .start = app_start,
    .listen = app_listen,
    .drain = app_drain,
    .close = app_close,
    .free = app_free,
};

static void report_providers(const sf_config_t *cfg)
{
    for (int src = 0; src < SRC_COUNT; src++) {
        const sf_provider_config_t *pc = config_provider(cfg, src);
        if (!pc || !pc->enabled || config_provider_on(cfg, src)) continue;
        /* enabled, but it needs an API key (core/sources.h) and has none */
        const char *name = source_name((source_t)src);
        char env[64], msg[256];
        size_t n = 0;
        for (; name[n] && n + 1 < sizeof env; n++)
            env[n] = (char)toupper((unsigned char)name[n]);
        env[n] = '\0';
        snprintf(msg, sizeof msg,
                 "%s disabled: it needs an API key (providers.%s.api_key or SCIFIND_%s_API_KEY)",
                 name, name, env);
        log_write(LOG_WARN, msg, LF_END);
    }
}

static int cmd_serve(int argc, char **argv)
{
    cli_flags_t fl = {0};
    sf_config_t cfg;
    char err[512];
    int rc = 2;

    if (cli_parse_flags(argc, argv, &fl) < 0) goto out;
    if (cli_load_config(&cfg, err, sizeof err, &fl) < 0) {
        fprintf(stderr, "scifind: configuration error: %s\n", err);
        goto out;
    }
    log_level_t level = LOG_INFO;
    log_level_parse(cfg.log.level, &level);
    if (log_open(cfg.log.file, level) < 0)
        fprintf(stderr, "scifind: cannot open log file '%s': logging to stderr\n", cfg.log.file);
    report_providers(&cfg);
    if (!cfg.pg.dsn[0]) {
        log_write(LOG_INFO, "no store: pg.dsn is empty, running without PostgreSQL", LF_END);
    } else if (cfg.pg.migrate_on_start) {
        if (store_migrate(cfg.pg.dsn, NULL, err, sizeof err) < 0) {
            log_write(LOG_ERROR, "migration failed", LF_STR, "error", err, LF_END);
            goto out;
        }
    }
    if (!shm_create()) {
        log_error("cannot map the shared-memory region");
        goto out;
    }
    if (cfg.workers < 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        cfg.workers = n > 0 ? (int)n : 1;
    }
    if (cfg.workers == 0) {
        log_write(LOG_INFO, "scifind starting: one worker in the foreground", LF_STR, "version",
                  SCIFIND_VERSION, LF_STR, "listen", cfg.listen, LF_END);
        rc = worker_run(&cfg, &worker_app, -1, -1);
    } else {
        log_write(LOG_INFO, "scifind starting", LF_STR, "version", SCIFIND_VERSION, LF_END);
        rc = master_run(&cfg, &worker_app, cli_load_config, &fl);
    }
    shm_destroy();
    log_close();
out:
    cli_free_flags(&fl);
    return rc;
}

/* The configuration of a command that talks to the store (migrate, keys):
 * the options of serve, and pg.dsn required. Returns 0, or -1 after saying
 * why on stderr. */
static int store_command_config(const char *cmd, int argc, char **argv, sf_config_t *cfg)
{
    cli_flags_t fl = {0};
    char err[512];
    int rc = -1;
    if (cli_parse_flags(argc, argv, &fl) < 0) goto out;
    if (cli_load_config(cfg, err, sizeof err, &fl) < 0) {
        fprintf(stderr, "scifind: configuration error: %s\n", err);
        goto out;
    }
    if (!cfg->pg.dsn[0]) {
        fprintf(stderr, "scifind: %s needs pg.dsn (SCIFIND_PG_DSN or --set pg.dsn=...)\n", cmd);
        goto out;
    }
    rc = 0;
out:
    cli_free_flags(&fl);
    return rc;
}

/* `scifind migrate [--config FILE] [--set KEY=VALUE]...`: the schema, now. */
static int cmd_migrate(int argc, char **argv)
{
    sf_config_t cfg;
    char err[1024];
    if (store_command_config("migrate", argc, argv, &cfg) < 0) return 2;
    if (store_migrate(cfg.pg.dsn, stdout, err, sizeof err) >= 0) return 0;
    fprintf(stderr, "scifind: migrate: %s\n", err);
    return 1;
}

static int keys_usage(void)
{
    fprintf(stderr, "usage: scifind keys add NAME [--scopes read|admin|read,admin]"
                    " [--rate-limit PER_MINUTE] [options]\n"
                    "       scifind keys list [options]\n"
                    "       scifind keys revoke NAME [options]\n"
                    "options: --config FILE, --set KEY=VALUE (pg.dsn, as for migrate)\n");
    return 2;
}

/* `scifind keys add NAME [--scopes S] | list | revoke NAME`, then the
 * options of migrate. add prints the key alone on stdout (for scripts:
 * KEY=$(scifind keys add NAME)), what to do with it on stderr. */
static int cmd_keys(int argc, char **argv)
{
    const char *sub = argc > 0 ? argv[0] : "";
    bool add = strcmp(sub, "add") == 0, revoke = strcmp(sub, "revoke") == 0;
    if (!add && !revoke && strcmp(sub, "list") != 0) return keys_usage();
    const char *name = NULL, *scopes = "read", *rate = NULL;
    int first = 1;
    if (add || revoke) {
        if (argc < 2 || argv[1][0] == '-') return keys_usage();
        name = argv[1];
        first = 2;
    }
    char *rest[128];
    int nrest = 0;
    for (int i = first; i < argc; i++) {
        if (add && strcmp(argv[i], "--scopes") == 0 && i + 1 < argc)
            scopes = argv[++i];
        else if (add && strncmp(argv[i], "--scopes=", 9) == 0)
            scopes = argv[i] + 9;
        else if (add && strcmp(argv[i], "--rate-limit") == 0 && i + 1 < argc)
            rate = argv[++i];
        else if (add && strncmp(argv[i], "--rate-limit=", 13) == 0)
            rate = argv[i] + 13;
        else if (nrest < (int)(sizeof rest / sizeof rest[0]))
            rest[nrest++] = argv[i];
        else
            return keys_usage();
    }
    long per_minute = 0;
    if (rate) {
        char *end;
        errno = 0;
        per_minute = strtol(rate, &end, 10);
        if (errno || end == rate || *end || per_minute < 1 || per_minute > 100000000) {
            fprintf(stderr, "scifind: --rate-limit takes requests per minute, 1 to 100000000\n");
            return 2;
        }
    }
    sf_config_t cfg;
    char err[1024];
    if (store_command_config("keys", nrest, rest, &cfg) < 0) return 2;
    if (add) {
        char key[STORE_KEY_SIZE];
        if (store_keys_add(cfg.pg.dsn, name, scopes, per_minute, key, err, sizeof err) < 0)
            goto fail;
        printf("%s\n", key);
        fprintf(stderr, "scifind: key '%s' added; it is shown this once, only its hash is kept\n",
                name);
        if (cfg.auth.store_refresh_ms <= 0)
            fprintf(stderr, "scifind: warning: auth.store_refresh is 0 here, so servers with this "
                            "configuration do not read the store's keys\n");
        return 0;
    }
    if (revoke) {
        int r = store_keys_revoke(cfg.pg.dsn, name, err, sizeof err);
        if (r < 0) goto fail;
        if (r == 0) {
            fprintf(stderr, "scifind: no live key is called '%s'\n", name);
            return 1;
        }
        printf("revoked %s\n", name);
        return 0;
    }
    if (store_keys_list(cfg.pg.dsn, stdout, err, sizeof err) >= 0) return 0;
fail:
    fprintf(stderr, "scifind: keys %s: %s\n", sub, err);
    return 1;
}

/* The engine of `scifind mcp` without --url: one worker on a thread of
 * this process, on a loopback socket only the stdio bridge knows. */
typedef struct mcp_engine {
    sf_config_t cfg;
    int listen_fd, ready_fd;
    int rc;
    volatile bool stopping; /* the bridge asked the worker to stop */
} mcp_engine_t;

static void *mcp_engine_main(void *data)
{
    mcp_engine_t *e = data;
    e->rc = worker_run(&e->cfg, &worker_app, e->ready_fd, e->listen_fd);
    /* Stopped by a signal of its own (Ctrl-C, SIGTERM): the bridge has
     * nothing left to talk to, so the process ends with the worker. */
    if (!e->stopping) exit(e->rc);
    return NULL;
}

/* A listening TCP socket on 127.0.0.1 and a free port. Returns the fd, or
 * -1 (errno set). */
static int loopback_listener(int *port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 64) < 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
        close(fd);
        return -1;
    }
    *port = ntohs(a.sin_port);
    return fd;
}

/* `scifind mcp [serve's options]`: MCP over stdio with the engine in this
 * process, configured as `serve` would be (providers, caches, store). */
static int mcp_in_process(int argc, char **argv)
{
    cli_flags_t fl = {0};
    static mcp_engine_t e; /* the thread may outlive this frame on exit() */
    char err[512], url[64];
    int rc = 2, ready[2] = {-1, -1}, port = 0;
    pthread_t th;

    if (cli_parse_flags(argc, argv, &fl) < 0) goto out;
    if (cli_load_config(&e.cfg, err, sizeof err, &fl) < 0) {
        fprintf(stderr, "scifind: configuration error: %s\n", err);
        goto out;
    }
    e.cfg.workers = 0;
    log_level_t level = LOG_WARN;
    log_level_parse(e.cfg.log.level, &level);
    if (log_open(e.cfg.log.file, level) < 0)
        fprintf(stderr, "scifind: cannot open log file '%s': logging to stderr\n", e.cfg.log.file);
    if (!shm_create()) {
        fprintf(stderr, "scifind: cannot map the shared-memory region\n");
        goto out;
    }
    e.listen_fd = loopback_listener(&port);
    if (e.listen_fd < 0 || pipe2(ready, O_CLOEXEC) < 0) {
        fprintf(stderr, "scifind: mcp: cannot listen on loopback: %s\n", strerror(errno));
        goto out_shm;
    }
    e.ready_fd = ready[1];
    if (pthread_create(&th, NULL, mcp_engine_main, &e) != 0) {
        fprintf(stderr, "scifind: mcp: cannot start the engine\n");
        close(ready[1]);
        goto out_shm;
    }
    char byte;
    if (read(ready[0], &byte, 1) != 1) { /* the worker closed it without a word: it failed */
        pthread_join(th, NULL);
        rc = e.rc ? e.rc : 2;
        goto out_shm;
    }
    snprintf(url, sizeof url, "http://127.0.0.1:%d/mcp", port);
    rc = http_mcp_stdio(url, stdin, stdout);
    e.stopping = true;
    pthread_kill(th, SIGTERM); /* the worker's own SIGTERM: drain, then return */
    pthread_join(th, NULL);
out_shm:
    if (ready[0] >= 0) close(ready[0]);
    shm_destroy();
    log_close();
out:
    cli_free_flags(&fl);
    return rc;
}

/* MCP over stdio: forwarded to a running scifind with --url
 * (http/mcp_stdio.h), else with the engine in this process. */
static int cmd_mcp(int argc, char **argv)
{
    if (argc >= 1 && (strcmp(argv[0], "--url") == 0 || strncmp(argv[0], "--url=", 6) == 0)) {
        const char *url = argv[0][5] == '=' ? argv[0] + 6 : argc >= 2 ? argv[1] : NULL;
        if (!url || argc > (argv[0][5] == '=' ? 1 : 2)) {
            fprintf(stderr, "usage: scifind mcp --url http://HOST:PORT[/mcp]\n"
                            "       scifind mcp [--config FILE] [--set KEY=VALUE]...\n");
            return 2;
        }
        return http_mcp_stdio(url, stdin, stdout);
    }
    return mcp_in_process(argc, argv);
}

static int cmd_config(int argc, char **argv)
{
    if (argc >= 1 && strcmp(argv[0], "keys") == 0) {
        config_print_keys(stdout);
        return 0;
    }
    if (argc >= 1 && strcmp(argv[0], "reference") == 0) {
        config_print_reference(stdout);
        return 0;
    }
    if (argc != 2 || strcmp(argv[0], "check") != 0) {
        fprintf(stderr, "usage: scifind config check FILE | scifind config keys\n");
        return 2;
    }
    sf_config_t cfg;
    char err[512];
    config_defaults(&cfg);
    if (config_load_file(&cfg, argv[1], err, sizeof err) < 0 ||
        config_validate(&cfg, err, sizeof err) < 0) {
        fprintf(stderr, "scifind: %s\n", err);
        return 1;
    }
    printf("%s: ok\n", argv[1]);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        cli_usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        cli_usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
        printf("scifind %s\n", SCIFIND_VERSION);
        return 0;
    }
    if (strcmp(cmd, "serve") == 0) return cmd_serve(argc - 2, argv + 2);
    if (strcmp(cmd, "config") == 0) return cmd_config(argc - 2, argv + 2);
    if (strcmp(cmd, "migrate") == 0) return cmd_migrate(argc - 2, argv + 2);
    if (strcmp(cmd, "keys") == 0) return cmd_keys(argc - 2, argv + 2);
    if (strcmp(cmd, "mcp") == 0) return cmd_mcp(argc - 2, argv + 2);
    fprintf(stderr, "scifind: unknown command '%s' (see scifind --help)\n", cmd);
    return 2;
}
