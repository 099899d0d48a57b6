/* Configuration: defaults, then a YAML file, then SCIFIND_* environment
 * variables, then command-line flags; each layer overrides the one before.
 *
 * Every setting is one row of a table in config.c: a dotted key (the YAML
 * path, e.g. "http.max_body_bytes"), its environment variable, its type and
 * bounds, and the field of sf_config_t it fills. Unknown keys and bad values
 * are refused with a message naming the key and the reason.
 *
 * Value syntax: integers; sizes ("16384", "16k", "1m", "1g": powers of 1024);
 * durations ("250ms", "10s", "2m", "1h"; a bare integer means milliseconds);
 * booleans (true/false/yes/no/on/off/1/0); ratios (0.0 .. 1.0); strings. */
#ifndef SF_CONFIG_H
#define SF_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/sources.h"

#define CONFIG_STR_MAX 512

/* One scholarly provider's settings (providers.<name>.*). */
typedef struct sf_provider_config {
    bool enabled;                  /* enabled; default true (exa: on only with an api_key) */
    char base_url[CONFIG_STR_MAX]; /* base_url: scheme://host[:port]; the real path is appended */
    char api_key[CONFIG_STR_MAX];  /* api_key: "" = none */
    int64_t timeout_ms;            /* timeout: whole call; default 4s */
    int64_t connect_timeout_ms;    /* connect_timeout; default 2s */
    int64_t max_results;           /* max_results asked of the provider; default 25 */
    int64_t rate_interval_ms;      /* rate_interval: one call per interval, group-wide; 0 = none */
    int64_t rate_burst;            /* rate_burst: calls allowed at once after a quiet spell */
    int64_t max_concurrent;        /* max_concurrent: calls in flight per worker; default 256 */
} sf_provider_config_t;

typedef struct sf_config {
    char listen[CONFIG_STR_MAX]; /* listen: "HOST:PORT", "[v6]:PORT"; default 127.0.0.1:8080 */
    int workers;                 /* workers: -1 = number of cores (default), 0 = foreground */
    int64_t drain_timeout_ms;    /* drain_timeout: in-flight grace on SIGTERM; default 10s */

    struct {
        char level[16];            /* log.level: debug|info|warn|error; default info */
        char file[CONFIG_STR_MAX]; /* log.file: "" = stderr (default) */
        bool access;               /* log.access: write access lines; default true */
        double access_sample;      /* log.access_sample: 0..1 share of lines kept; default 1 */
        bool access_skip_health; /* log.access_skip_health: skip /health*, /metrics; default true */
    } log;

    struct {
        int64_t max_connections;       /* http.max_connections; default 10000 */
        int64_t max_url_bytes;         /* http.max_url_bytes: request target; 414; default 8k */
        int64_t max_header_bytes;      /* http.max_header_bytes: all headers; 431; default 16k */
        int64_t max_headers;           /* http.max_headers: header count; 431; default 64 */
        int64_t max_body_bytes;        /* http.max_body_bytes: 413; default 1m */
        int64_t max_requests_per_conn; /* http.max_requests_per_conn; default 10000 */
        int64_t max_pending_output;    /* http.max_pending_output: stop reading above; default 1m */
        int64_t header_timeout_ms; /* http.header_timeout: whole header section; 408; default 10s */
        int64_t body_timeout_ms;   /* http.body_timeout: between body reads; 408; default 30s */
        int64_t idle_timeout_ms;   /* http.idle_timeout: keep-alive idle; default 60s */
        int64_t write_timeout_ms;  /* http.write_timeout: client not reading; default 30s */
    } http;

    struct {
        /* One per HTTP source of core/sources.h: providers.arxiv, ... */
#define SOURCE_CONFIG_FIELD_(ID, name, kind, ...) SOURCE_IF_HTTP(kind, sf_provider_config_t name;)
        SOURCE_TABLE(SOURCE_CONFIG_FIELD_)
#undef SOURCE_CONFIG_FIELD_
        char
            contact[CONFIG_STR_MAX]; /* providers.contact: mailto for polite pools, in User-Agent */
        int64_t max_host_connections; /* providers.max_host_connections per worker; default 16 */
        int64_t max_response_bytes;   /* providers.max_response_bytes; default 8m */
        int64_t max_retries; /* providers.max_retries per call, within the deadline; default 2 */
        int64_t breaker_threshold; /* providers.breaker_threshold: failures in a row that open it */
        int64_t breaker_base_ms;   /* providers.breaker_base: first open time; doubles each time */
        int64_t breaker_max_ms;    /* providers.breaker_max: longest open time */
        int64_t suspend_rate_limited_ms; /* providers.suspend_rate_limited: after a 429 */
        int64_t suspend_blocked_ms;      /* providers.suspend_blocked: after 402/403/CAPTCHA */
        int64_t budget_reserve_calls;    /* providers.budget_reserve_calls: metered budget kept */
        int64_t local_max_results; /* providers.local.max_results: store rows read; default 25 */
    } providers;

    struct {
        bool enabled; /* cache.enabled: the memory tier (and the ones below); default true */
        int64_t l1_max_bytes; /* cache.memory_max_bytes: L1 bound per worker; default 64m */
        int64_t ttl_ms;       /* cache.ttl: an answer is fresh this long; default 5m */
        int64_t stale_ms;     /* cache.stale_grace: then served stale while refreshed; default 1m */
        int64_t provider_ttl_ms;    /* cache.provider_ttl: per-provider results; default 5m */
        int64_t provider_max_bytes; /* cache.provider_max_bytes: their bound per worker; 16m */
        bool gzip;        /* cache.gzip: keep a compressed copy of each answer; default true */
        int64_t warm_top; /* cache.warm_top: popular queries kept warm; 0 = off; default 50 */
        int64_t warm_interval_ms; /* cache.warm_interval; default 60s */
        int64_t warm_concurrency; /* cache.warm_concurrency; default 4 */
    } cache;

    struct {
        char url[CONFIG_STR_MAX]; /* redis.url: redis://[:password@]host:port/db or unix:///path; ""
                                     = no L2 */
        char key_prefix[64];      /* redis.key_prefix; default "scifind:" */
        int64_t command_timeout_ms; /* redis.command_timeout; default 50ms */
        int64_t connect_timeout_ms; /* redis.connect_timeout; default 500ms */
    } redis;

    struct {
        char dsn[CONFIG_STR_MAX];          /* pg.dsn: libpq connection string; "" = no store */
        char replica_dsns[CONFIG_STR_MAX]; /* pg.replicas: read replicas, separated by '|' */
        int64_t min_connections;           /* pg.min_connections per worker; default 1 */
        int64_t max_connections;           /* pg.max_connections per worker; default 4 */
        int64_t max_lifetime_ms;           /* pg.max_lifetime; default 30m */
        int64_t idle_timeout_ms;           /* pg.idle_timeout; default 5m */
        int64_t statement_timeout_ms;      /* pg.statement_timeout; default 2s */
        int64_t connect_timeout_ms;        /* pg.connect_timeout; default 2s */
        bool migrate_on_start;             /* pg.migrate_on_start; default false */
        int64_t batch_rows;                /* pg.batch_rows: write-behind flush size; default 200 */
        int64_t batch_interval_ms; /* pg.batch_interval: flush at least this often; default 200ms */
        int64_t queue_max;         /* pg.queue_max: papers waiting to be written; default 20000 */
    } pg;

    struct {
        int64_t deadline_ms;     /* search.deadline: default answer deadline; default 5s */
        int64_t max_deadline_ms; /* search.max_deadline: most a client may ask; default 30s */
        char first_order[CONFIG_STR_MAX]; /* search.first_order: strategy "first"'s order */
    } search;

    /* Lookups by id (core/lookup.h): GET /v1/papers/{id}, POST /v1/papers/batch. */
    struct {
        int64_t lookup_deadline_ms; /* papers.lookup_deadline; default 5s */
        int64_t cache_ttl_ms;       /* papers.cache_ttl: a paper found live is kept; default 1h */
        int64_t cache_entries;      /* papers.cache_entries per worker; default 10000 */
    } papers;
    /* Citation lists (core/cites_cache.h, docs/api.md). */
    struct {
        int64_t cache_ttl_ms; /* citations.cache_ttl: how long a list is kept; default 168h */
        int64_t cache_lists;  /* citations.cache_lists: lists kept per worker; default 256 */
        int64_t cache_bytes;  /* citations.cache_bytes: their memory per worker; default 256m */
        int64_t deadline_ms;  /* citations.deadline: a list answers by then; default 10s */
        int64_t max_edges;    /* citations.max_edges: fetched per provider and list; default 2000 */
    } citations;
    /* Author answers (http/handlers_authors.h, docs/api.md). */
    struct {
        int64_t cache_ttl_ms;  /* authors.cache_ttl: how long an answer is kept; default 1h */
        int64_t cache_entries; /* authors.cache_entries: answers kept per worker; default 10000 */
    } authors;

    /* Events on NATS (store/events.h, docs/events.md). */
    struct {
        char url[CONFIG_STR_MAX];      /* nats.url: nats://host:port[,...]; "" = no events */
        int64_t queue_max;             /* nats.queue_max: events per worker; default 10000 */
        int64_t buffer_bytes;          /* nats.buffer_bytes: kept while disconnected; default 8m */
        int64_t connect_timeout_ms;    /* nats.connect_timeout; default 2s */
        int64_t reconnect_wait_ms;     /* nats.reconnect_wait: first backoff; default 100ms */
        int64_t reconnect_max_wait_ms; /* nats.reconnect_max_wait: backoff cap; default 5s */
    } nats;

    /* Operations (docs/operations-metrics.md): keys, client limits, shedding, CORS, gzip. */
    struct {
        bool required;             /* auth.required: refuse requests without a key; default false */
        char keys[CONFIG_STR_MAX]; /* auth.keys: "sha256hex:scope+scope,..."; default "" */
        char keys_file[CONFIG_STR_MAX]; /* auth.keys_file: lines "sha256hex scope,scope"; default ""
                                         */
        int64_t store_refresh_ms; /* auth.store_refresh: api_keys reload period; default 30s */
        bool admin_loopback; /* auth.admin_loopback: keyless admin from loopback; default true */
    } auth;
    struct {
        int64_t rate;  /* ratelimit.rate: requests/s per client; 0 = off */
        int64_t burst; /* ratelimit.burst; default 50 */
        char
            trusted_proxies[CONFIG_STR_MAX]; /* ratelimit.trusted_proxies: CIDRs, comma-separated */
        bool redis; /* ratelimit.redis: buckets also across instances (redis.url); default true */
    } ratelimit;
    struct {
        int64_t max_in_flight;  /* shed.max_in_flight: searches per worker; 0 = off; default 512 */
        int64_t retry_after_ms; /* shed.retry_after; default 1s */
    } shed;
    struct {
        char origins[CONFIG_STR_MAX]; /* cors.origins: comma-separated, or "*"; "" = no CORS */
        int64_t max_age_ms;           /* cors.max_age: preflight cache; default 10m */
    } cors;
    struct {
        bool enabled;      /* compression.enabled: gzip answers built per request; default true */
        int64_t min_bytes; /* compression.min_bytes; default 1k */
        int64_t level;     /* compression.level: zlib level 1..9; default 5 */
    } compression;
    struct {
        bool enabled; /* metrics.enabled: serve GET /metrics; default true */
    } metrics;
    /* MCP endpoint (docs/mcp.md). */
    struct {
        bool enabled;                        /* mcp.enabled: serve /mcp; default true */
        char origins[CONFIG_STR_MAX];        /* mcp.origins: Origins allowed; "" = none */
        char session_secret[CONFIG_STR_MAX]; /* mcp.session_secret: "" = the group's key */
        int64_t session_ttl_ms;              /* mcp.session_ttl; default 24h */
        int64_t max_batch;                   /* mcp.max_batch: messages per batch; default 100 */
        int64_t max_bytes;                   /* mcp.max_bytes: a tool result's budget; 60k */
    } mcp;
} sf_config_t;

/* The settings of one HTTP provider by its source number (core/paper.h's
 * source_t), or NULL for a source that has none ("local"). */
const sf_provider_config_t *config_provider(const sf_config_t *c, int source);

/* True when the configuration lets source be asked: an HTTP provider that
 * is enabled and has the API key its source needs (core/sources.h). */
bool config_provider_on(const sf_config_t *c, int source);

/* Fills c with the defaults. */
void config_defaults(sf_config_t *c);

/* Sets one key from its text form (the same syntax as the YAML values).
 * Returns 0, or -1 with a message in err ("key 'x': reason"). */
int config_set(sf_config_t *c, const char *key, const char *value, char *err, size_t errlen);

/* Reads a YAML file: a mapping whose nested mappings make dotted keys
 * (log: {level: debug} sets "log.level"). An empty file is fine. Returns 0,
 * or -1 with a message naming the file, line and key in err. */
int config_load_file(sf_config_t *c, const char *path, char *err, size_t errlen);

/* Applies every known SCIFIND_* variable of envp (NULL-terminated "K=V").
 * Unknown SCIFIND_* names are not errors: each is reported through warn()
 * when warn is not NULL. Returns 0, or -1 with a message naming the
 * variable in err. */
int config_load_env(sf_config_t *c, char *const *envp, void (*warn)(const char *name), char *err,
                    size_t errlen);

/* Cross-key checks after all layers (e.g. listen must parse). Returns 0, or
 * -1 with a message in err. */
int config_validate(const sf_config_t *c, char *err, size_t errlen);

/* Splits c->listen into host and port. Returns 0 or -1. host gets the
 * address without brackets. */
int config_parse_listen(const char *listen, char *host, size_t hostlen, int *port);

/* Writes the list of keys with their env names, types and defaults to f
 * (for --help and docs/configuration.md). f is a FILE *. */
void config_print_keys(void *f);

/* The same as a Markdown table with each key's meaning: the reference in
 * docs/configuration.md (a test checks that it is there, unchanged). */
void config_print_reference(void *f);

#endif
