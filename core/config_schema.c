/* The configuration's schema: one row per setting. Adding a setting is
 * adding a field to sf_config_t (core/config.h) and a row here; adding a
 * provider is a line of core/sources.h, whose nine rows providers.<name>.*
 * expand from PROVIDER_ROWS below. The defaults are the rows' text parsed
 * by the same code as the file and the environment (config_value.c), so a
 * default can never be out of bounds unnoticed. */
#include "core/config_schema.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/sources.h"

#define FIELD(m) offsetof(sf_config_t, m), sizeof(((sf_config_t *)0)->m)

#define KB CONFIG_KB
#define MB CONFIG_MB
#define GB CONFIG_GB
#define SEC CONFIG_SEC
#define HOUR CONFIG_HOUR

/* Row constructors, one per type, so a row reads as one line. */
/* clang-format off */
#define K_STR(k, e, m, d, h)          {k, e, CT_STR, FIELD(m), 0, 0, NULL, d, h}
#define K_INT(k, e, m, lo, hi, d, h)  {k, e, CT_INT, FIELD(m), lo, hi, NULL, d, h}
#define K_SIZE(k, e, m, lo, hi, d, h) {k, e, CT_SIZE, FIELD(m), lo, hi, NULL, d, h}
#define K_DUR(k, e, m, lo, hi, d, h)  {k, e, CT_DURATION, FIELD(m), lo, hi, NULL, d, h}
#define K_BOOL(k, e, m, d, h)         {k, e, CT_BOOL, FIELD(m), 0, 1, NULL, d, h}
#define K_RATIO(k, e, m, d, h)        {k, e, CT_RATIO, FIELD(m), 0, 1, NULL, d, h}
#define K_ENUM(k, e, m, c, d, h)      {k, e, CT_ENUM, FIELD(m), 0, 0, c, d, h}

/* The nine rows of one HTTP provider (a line of core/sources.h). */
#define P_KEY(n, k) "providers." #n "." k
#define P_ENV(ID, e) "SCIFIND_" #ID "_" e
#define PROVIDER_ROWS(ID, n, kind, authority, needs_key, url, interval, burst) SOURCE_IF_HTTP(kind, \
    K_BOOL (P_KEY(n, "enabled"), P_ENV(ID, "ENABLED"), providers.n.enabled, \
            "true", "ask " #n " in every search"), \
    K_STR  (P_KEY(n, "base_url"), P_ENV(ID, "BASE_URL"), providers.n.base_url, \
            url, #n " API base URL (scheme://host[:port]); the API path is appended"), \
    K_STR  (P_KEY(n, "api_key"), P_ENV(ID, "API_KEY"), providers.n.api_key, "", \
            #n " API key; empty = none"), \
    K_DUR  (P_KEY(n, "timeout"), P_ENV(ID, "TIMEOUT"), providers.n.timeout_ms, \
            1, 10 * 60 * SEC, "4s", "longest " #n " call"), \
    K_DUR  (P_KEY(n, "connect_timeout"), P_ENV(ID, "CONNECT_TIMEOUT"), \
            providers.n.connect_timeout_ms, 1, 10 * 60 * SEC, "2s", \
            "longest wait for a connection to " #n), \
    K_INT  (P_KEY(n, "max_results"), P_ENV(ID, "MAX_RESULTS"), \
            providers.n.max_results, 1, 1000, "25", "results asked of " #n " per search"), \
    K_DUR  (P_KEY(n, "rate_interval"), P_ENV(ID, "RATE_INTERVAL"), \
            providers.n.rate_interval_ms, 0, HOUR, interval, \
            "one " #n " call per interval for the whole worker group; 0 = no limit"), \
    K_INT  (P_KEY(n, "rate_burst"), P_ENV(ID, "RATE_BURST"), providers.n.rate_burst, \
            1, 100000, burst, #n " calls allowed at once after a quiet spell"), \
    K_INT  (P_KEY(n, "max_concurrent"), P_ENV(ID, "MAX_CONCURRENT"), \
            providers.n.max_concurrent, 1, 100000, "256", \
            #n " calls in flight per worker; past it a call is refused as rate_limited"),)

const config_key_t config__keys[] = {
    K_STR ("listen", "SCIFIND_LISTEN", listen, "127.0.0.1:8080",
           "address to listen on: HOST:PORT or [IPv6]:PORT"),
    K_INT ("workers", "SCIFIND_WORKERS", workers, -1, 256, "-1",
           "worker processes; -1 = number of cores, 0 = one process in the foreground"),
    K_DUR ("drain_timeout", "SCIFIND_DRAIN_TIMEOUT", drain_timeout_ms, 1, 24 * HOUR, "10s",
           "on SIGTERM, how long in-flight requests may still run"),

    K_ENUM ("log.level", "SCIFIND_LOG_LEVEL", log.level, "debug|info|warn|error", "info",
            "lowest level written"),
    K_STR  ("log.file", "SCIFIND_LOG_FILE", log.file, "",
            "log file (opened O_APPEND, reopened on SIGUSR1); empty = stderr"),
    K_BOOL ("log.access", "SCIFIND_LOG_ACCESS", log.access, "true",
            "write one access line per request"),
    K_RATIO("log.access_sample", "SCIFIND_LOG_ACCESS_SAMPLE", log.access_sample, "1",
            "share of access lines kept, 0..1"),
    K_BOOL ("log.access_skip_health", "SCIFIND_LOG_ACCESS_SKIP_HEALTH", log.access_skip_health,
            "true", "no access lines for /health* and /metrics"),

    K_INT  ("http.max_connections", "SCIFIND_HTTP_MAX_CONNECTIONS", http.max_connections,
            1, 1000000, "10000", "open client connections per worker"),
    K_SIZE ("http.max_url_bytes", "SCIFIND_HTTP_MAX_URL_BYTES", http.max_url_bytes,
            1, GB, "8k", "longest request target (else 414)"),
    K_SIZE ("http.max_header_bytes", "SCIFIND_HTTP_MAX_HEADER_BYTES", http.max_header_bytes,
            1, GB, "16k", "largest header section (else 431)"),
    K_INT  ("http.max_headers", "SCIFIND_HTTP_MAX_HEADERS", http.max_headers,
            1, 10000, "64", "most header fields (else 431)"),
    K_SIZE ("http.max_body_bytes", "SCIFIND_HTTP_MAX_BODY_BYTES", http.max_body_bytes,
            1, GB, "1m", "largest request body (else 413)"),
    K_INT  ("http.max_requests_per_conn", "SCIFIND_HTTP_MAX_REQUESTS_PER_CONN",
            http.max_requests_per_conn, 1, 1000000000, "10000",
            "requests on one keep-alive connection before it is closed"),
    K_SIZE ("http.max_pending_output", "SCIFIND_HTTP_MAX_PENDING_OUTPUT",
            http.max_pending_output, 1, GB, "1m",
            "unsent reply bytes above which the connection stops reading"),
    K_DUR  ("http.header_timeout", "SCIFIND_HTTP_HEADER_TIMEOUT", http.header_timeout_ms,
            1, 24 * HOUR, "10s", "time to receive the whole header section (else 408)"),
    K_DUR  ("http.body_timeout", "SCIFIND_HTTP_BODY_TIMEOUT", http.body_timeout_ms,
            1, 24 * HOUR, "30s", "longest wait between two reads of the body (else 408)"),
    K_DUR  ("http.idle_timeout", "SCIFIND_HTTP_IDLE_TIMEOUT", http.idle_timeout_ms,
            1, 24 * HOUR, "60s", "keep-alive connection idle time before it is closed"),
    K_DUR  ("http.write_timeout", "SCIFIND_HTTP_WRITE_TIMEOUT", http.write_timeout_ms,
            1, 24 * HOUR, "30s", "longest wait for a client to take reply bytes"),


    SOURCE_TABLE(PROVIDER_ROWS)
    K_INT  ("providers.local.max_results", "SCIFIND_LOCAL_MAX_RESULTS",
            providers.local_max_results, 1, 200, "25",
            "results read from the store's own papers per search (more when offset + limit is)"),

    K_STR  ("providers.contact", "SCIFIND_CONTACT", providers.contact, "",
            "contact e-mail sent to providers (User-Agent, mailto) for their polite pools"),
    K_INT  ("providers.max_host_connections", "SCIFIND_PROVIDERS_MAX_HOST_CONNECTIONS",
            providers.max_host_connections, 1, 10000, "16",
            "open connections per provider host, per worker. One call at a time goes over a "
            "connection (HTTP/1.1; HTTP/2 multiplexes), so a worker makes at most this many "
            "calls per provider latency: 16 at 20 ms is about 800 calls/s per provider and "
            "worker, at 200 ms 80; calls past it wait for a free connection. Keep 16 for the "
            "public APIs (it is polite, and their rate limits bind first); raise it for a "
            "provider of your own, a mirror or a proxy that answers fast and should get more "
            "than that from each worker"),
    K_SIZE ("providers.max_response_bytes", "SCIFIND_PROVIDERS_MAX_RESPONSE_BYTES",
            providers.max_response_bytes, 1024, GB, "8m", "largest provider answer accepted"),
    K_INT  ("providers.max_retries", "SCIFIND_PROVIDERS_MAX_RETRIES", providers.max_retries, 0, 10,
            "2", "retries of a failed call (connection error, 5xx, 429), only within the deadline"),
    K_INT  ("providers.breaker_threshold", "SCIFIND_PROVIDERS_BREAKER_THRESHOLD",
            providers.breaker_threshold, 1, 1000, "5",
            "consecutive failures (timeout, connection error, 5xx) that open a provider's breaker"),
    K_DUR  ("providers.breaker_base", "SCIFIND_PROVIDERS_BREAKER_BASE", providers.breaker_base_ms, 1,
            HOUR, "5s", "how long a breaker first stays open; doubles with each opening in a row"),
    K_DUR  ("providers.breaker_max", "SCIFIND_PROVIDERS_BREAKER_MAX", providers.breaker_max_ms, 1,
            24 * HOUR, "5m", "longest a breaker stays open"),
    K_DUR  ("providers.suspend_rate_limited", "SCIFIND_PROVIDERS_SUSPEND_RATE_LIMITED",
            providers.suspend_rate_limited_ms, 0, 24 * HOUR, "30s",
            "no call to a provider for this long after it said slow down (429, arXiv's \"Rate exceeded.\") without a Retry-After"),
    K_DUR  ("providers.suspend_blocked", "SCIFIND_PROVIDERS_SUSPEND_BLOCKED",
            providers.suspend_blocked_ms, 0, 7 * 24 * HOUR, "1h",
            "no call to a provider for this long after it refused us (402, 403, a CAPTCHA or Cloudflare page)"),
    K_INT  ("providers.budget_reserve_calls", "SCIFIND_PROVIDERS_BUDGET_RESERVE_CALLS",
            providers.budget_reserve_calls, 0, 1000000, "10",
            "a metered provider (OpenAlex) is not called once its remaining daily budget pays for fewer calls than this"),

    K_BOOL ("cache.enabled", "SCIFIND_CACHE_ENABLED", cache.enabled, "true",
            "cache answers (memory, then Redis and PostgreSQL when configured)"),
    K_SIZE ("cache.memory_max_bytes", "SCIFIND_CACHE_MEMORY_MAX_BYTES", cache.l1_max_bytes, 0, 64 * GB,
            "64m", "memory cache bound, per worker"),
    K_DUR  ("cache.ttl", "SCIFIND_CACHE_TTL", cache.ttl_ms, 1, 30 * 24 * HOUR, "5m",
            "how long an answer is served as fresh"),
    K_DUR  ("cache.stale_grace", "SCIFIND_CACHE_STALE_GRACE", cache.stale_ms, 0, 24 * HOUR, "1m",
            "past the TTL, how long an answer is still served while one refresh runs"),
    K_DUR  ("cache.provider_ttl", "SCIFIND_CACHE_PROVIDER_TTL", cache.provider_ttl_ms, 0,
            24 * HOUR, "5m", "how long one provider's results are reused; 0 = never"),
    K_SIZE ("cache.provider_max_bytes", "SCIFIND_CACHE_PROVIDER_MAX_BYTES",
            cache.provider_max_bytes, 0, 64 * GB, "16m",
            "memory bound of the per-provider results, per worker (apart from memory_max_bytes)"),
    K_BOOL ("cache.gzip", "SCIFIND_CACHE_GZIP", cache.gzip, "true",
            "keep a gzip copy of each cached answer for clients that accept it"),
    K_INT  ("cache.warm_top", "SCIFIND_CACHE_WARM_TOP", cache.warm_top, 0, 100000, "50",
            "most frequent recent queries refreshed before they expire; 0 = no warming"),
    K_DUR  ("cache.warm_interval", "SCIFIND_CACHE_WARM_INTERVAL", cache.warm_interval_ms, 1,
            24 * HOUR, "60s", "how often the warmer runs"),
    K_INT  ("cache.warm_concurrency", "SCIFIND_CACHE_WARM_CONCURRENCY", cache.warm_concurrency, 1,
            1000, "4", "warming searches at once"),

    K_STR  ("redis.url", "SCIFIND_REDIS_URL", redis.url, "",
            "Redis for the shared cache and client limits: redis://[:password@]host:port/db or unix:///path; empty = none"),
    K_STR  ("redis.key_prefix", "SCIFIND_REDIS_KEY_PREFIX", redis.key_prefix, "scifind:",
            "prefix of every Redis key"),
    K_DUR  ("redis.command_timeout", "SCIFIND_REDIS_COMMAND_TIMEOUT", redis.command_timeout_ms, 1,
            60 * SEC, "50ms", "a Redis reply later than this is dropped and the cache bypassed"),
    K_DUR  ("redis.connect_timeout", "SCIFIND_REDIS_CONNECT_TIMEOUT", redis.connect_timeout_ms, 1,
            60 * SEC, "500ms", "longest wait for a Redis connection"),

    K_STR  ("pg.dsn", "SCIFIND_PG_DSN", pg.dsn, "",
            "PostgreSQL connection string (libpq); empty = run without the store"),
    K_STR  ("pg.replicas", "SCIFIND_PG_REPLICAS", pg.replica_dsns, "",
            "read replicas' connection strings, separated by '|'"),
    K_INT  ("pg.min_connections", "SCIFIND_PG_MIN_CONNECTIONS", pg.min_connections, 0, 1000, "1",
            "connections kept open per worker"),
    K_INT  ("pg.max_connections", "SCIFIND_PG_MAX_CONNECTIONS", pg.max_connections, 1, 1000, "4",
            "most connections per worker"),
    K_DUR  ("pg.max_lifetime", "SCIFIND_PG_MAX_LIFETIME", pg.max_lifetime_ms, 1, 7 * 24 * HOUR,
            "30m", "a connection is replaced after this long"),
    K_DUR  ("pg.idle_timeout", "SCIFIND_PG_IDLE_TIMEOUT", pg.idle_timeout_ms, 1, 7 * 24 * HOUR,
            "5m", "an idle connection above the minimum is closed after this long"),
    K_DUR  ("pg.statement_timeout", "SCIFIND_PG_STATEMENT_TIMEOUT", pg.statement_timeout_ms, 1,
            HOUR, "2s", "statement_timeout of every connection"),
    K_DUR  ("pg.connect_timeout", "SCIFIND_PG_CONNECT_TIMEOUT", pg.connect_timeout_ms, 1, HOUR,
            "2s", "longest wait for a connection to be ready"),
    K_BOOL ("pg.migrate_on_start", "SCIFIND_PG_MIGRATE_ON_START", pg.migrate_on_start, "false",
            "apply pending migrations when the service starts"),
    K_INT  ("pg.batch_rows", "SCIFIND_PG_BATCH_ROWS", pg.batch_rows, 1, 100000, "200",
            "papers per write-behind flush"),
    K_DUR  ("pg.batch_interval", "SCIFIND_PG_BATCH_INTERVAL", pg.batch_interval_ms, 1, HOUR,
            "200ms", "longest a paper waits before it is written"),
    K_INT  ("pg.queue_max", "SCIFIND_PG_QUEUE_MAX", pg.queue_max, 1, 10000000, "20000",
            "papers waiting to be written per worker; past it they are counted and dropped"),

    K_DUR  ("search.deadline", "SCIFIND_SEARCH_DEADLINE", search.deadline_ms, 1, 10 * 60 * SEC,
            "5s", "a search answers with what has arrived by then"),
    K_DUR  ("search.max_deadline", "SCIFIND_SEARCH_MAX_DEADLINE", search.max_deadline_ms, 1,
            10 * 60 * SEC, "30s", "the longest deadline a client may ask for"),
    K_STR  ("search.first_order", "SCIFIND_SEARCH_FIRST_ORDER", search.first_order,
            "semantic_scholar,openalex,arxiv,crossref,exa,local",
            "strategy=first: the providers in order of preference (comma-separated); the answer "
            "is the first one's papers that has any, once those before it answered without; "
            "providers not listed follow it in the order arxiv, semantic_scholar, exa, openalex, crossref, local"),

    K_DUR  ("papers.lookup_deadline", "SCIFIND_PAPERS_LOOKUP_DEADLINE", papers.lookup_deadline_ms,
            1, 10 * 60 * SEC, "5s",
            "a lookup by id (or a batch) answers with what the providers gave by then"),
    K_DUR  ("papers.cache_ttl", "SCIFIND_PAPERS_CACHE_TTL", papers.cache_ttl_ms, 0,
            30 * 24 * HOUR, "1h", "a paper found live is answered from memory (and Redis, with redis.url) this long; 0: never"),
    K_INT  ("papers.cache_entries", "SCIFIND_PAPERS_CACHE_ENTRIES", papers.cache_entries, 0,
            10000000, "10000", "papers kept by the lookup cache per worker"),
    K_DUR  ("citations.cache_ttl", "SCIFIND_CITATIONS_CACHE_TTL", citations.cache_ttl_ms, 0,
            365 * 24 * HOUR, "168h", "how long a worker keeps a whole citation list; 0 = not kept"),
    K_INT  ("citations.cache_lists", "SCIFIND_CITATIONS_CACHE_LISTS", citations.cache_lists, 0,
            1000000, "256", "citation lists kept per worker (least recently used go first)"),
    K_SIZE ("citations.cache_bytes", "SCIFIND_CITATIONS_CACHE_BYTES", citations.cache_bytes, 0,
            64 * GB, "256m", "memory the kept citation lists of a worker may take"),
    K_DUR  ("citations.deadline", "SCIFIND_CITATIONS_DEADLINE", citations.deadline_ms, 1,
            10 * 60 * SEC, "10s", "a citation list answers with what has arrived by then"),
    K_INT  ("citations.max_edges", "SCIFIND_CITATIONS_MAX_EDGES", citations.max_edges, 1, 100000,
            "2000", "edges fetched per provider and list; a longer list says truncated"),
    K_DUR  ("authors.cache_ttl", "SCIFIND_AUTHORS_CACHE_TTL", authors.cache_ttl_ms, 0,
            30 * 24 * HOUR, "1h", "a whole author search or profile answer is kept per worker this long; 0 = not kept"),
    K_INT  ("authors.cache_entries", "SCIFIND_AUTHORS_CACHE_ENTRIES", authors.cache_entries, 0,
            1000000, "10000", "author answers kept per worker (least recently used go first)"),

    K_BOOL ("auth.required", "SCIFIND_AUTH_REQUIRED", auth.required, "false",
            "refuse requests without a valid API key (401); /health*, /metrics and the search "
            "page's files stay open"),
    K_STR  ("auth.keys", "SCIFIND_AUTH_KEYS", auth.keys, "",
            "API keys as sha256hex:scope+scope, comma-separated (scopes: read, admin)"),
    K_STR  ("auth.keys_file", "SCIFIND_AUTH_KEYS_FILE", auth.keys_file, "",
            "file of API keys, one 'sha256hex scope,scope' per line; # starts a comment"),
    K_BOOL ("auth.admin_loopback", "SCIFIND_AUTH_ADMIN_LOOPBACK", auth.admin_loopback, "true",
            "with no API key configured, admin routes answer loopback callers (else 403 to all)"),
    K_DUR  ("auth.store_refresh", "SCIFIND_AUTH_STORE_REFRESH", auth.store_refresh_ms, 0, HOUR,
            "30s", "how often each worker reloads the store's api_keys table; 0 = never read it"),
    K_INT  ("ratelimit.rate", "SCIFIND_RATELIMIT_RATE", ratelimit.rate, 0, 1000000, "0",
            "requests per second per client (key, else address), whole worker group; 0 = off"),
    K_INT  ("ratelimit.burst", "SCIFIND_RATELIMIT_BURST", ratelimit.burst, 1, 1000000, "50",
            "requests a client may send at once after a quiet spell"),
    K_STR  ("ratelimit.trusted_proxies", "SCIFIND_RATELIMIT_TRUSTED_PROXIES",
            ratelimit.trusted_proxies, "",
            "CIDRs (comma-separated) whose X-Forwarded-For / X-Real-IP are believed"),
    K_BOOL ("ratelimit.redis", "SCIFIND_RATELIMIT_REDIS", ratelimit.redis, "true",
            "with redis.url set, each client's bucket also holds across instances (Redis script)"),
    K_INT  ("shed.max_in_flight", "SCIFIND_SHED_MAX_IN_FLIGHT", shed.max_in_flight, 0, 1000000,
            "512", "searches in flight per worker past which new ones get 503; 0 = off"),
    K_DUR  ("shed.retry_after", "SCIFIND_SHED_RETRY_AFTER", shed.retry_after_ms, 1000, HOUR, "1s",
            "Retry-After of shed requests (whole seconds)"),
    K_STR  ("cors.origins", "SCIFIND_CORS_ORIGINS", cors.origins, "",
            "origins allowed by CORS, comma-separated, or *; empty = no CORS headers"),
    K_DUR  ("cors.max_age", "SCIFIND_CORS_MAX_AGE", cors.max_age_ms, 0, 24 * HOUR, "10m",
            "how long browsers may cache a preflight answer"),
    K_BOOL ("compression.enabled", "SCIFIND_COMPRESSION_ENABLED", compression.enabled, "true",
            "gzip answers built per request when the client accepts it"),
    K_SIZE ("compression.min_bytes", "SCIFIND_COMPRESSION_MIN_BYTES", compression.min_bytes, 0,
            GB, "1k", "smallest body worth compressing"),
    K_INT  ("compression.level", "SCIFIND_COMPRESSION_LEVEL", compression.level, 1, 9, "5",
            "zlib compression level"),
    K_BOOL ("metrics.enabled", "SCIFIND_METRICS_ENABLED", metrics.enabled, "true",
            "serve GET /metrics (Prometheus text format)"),

    K_BOOL ("mcp.enabled", "SCIFIND_MCP_ENABLED", mcp.enabled, "true",
            "serve the MCP endpoint /mcp (streamable HTTP; docs/mcp.md)"),
    K_STR  ("mcp.origins", "SCIFIND_MCP_ORIGINS", mcp.origins, "",
            "Origins allowed to call /mcp, comma-separated, or *; a request with another Origin "
            "gets 403, one without Origin passes"),
    K_STR  ("mcp.session_secret", "SCIFIND_MCP_SESSION_SECRET", mcp.session_secret, "",
            "key signing MCP session ids and search cursors, the same on every instance behind "
            "one proxy; empty = a random key per worker group for sessions, a built-in key "
            "for cursors"),
    K_DUR  ("mcp.session_ttl", "SCIFIND_MCP_SESSION_TTL", mcp.session_ttl_ms, 60 * SEC,
            30 * 24 * HOUR, "24h", "how long an MCP session id stays valid"),
    K_INT  ("mcp.max_batch", "SCIFIND_MCP_MAX_BATCH", mcp.max_batch, 1, 10000, "100",
            "most JSON-RPC messages in one batch (protocol 2025-03-26); larger ones are refused"),
    K_SIZE ("mcp.max_bytes", "SCIFIND_MCP_MAX_BYTES", mcp.max_bytes, 2000, 200000, "60k",
            "default byte budget of a tool result (arguments may ask 2000 to 200000)"),

    K_STR  ("nats.url", "SCIFIND_NATS_URL", nats.url, "",
            "NATS server(s) for events (search.completed, papers.indexed): nats://host:port, "
            "comma-separated; empty = no events"),
    K_INT  ("nats.queue_max", "SCIFIND_NATS_QUEUE_MAX", nats.queue_max, 1, 1000000, "10000",
            "events waiting to be published per worker; past it they are counted and dropped"),
    K_SIZE ("nats.buffer_bytes", "SCIFIND_NATS_BUFFER_BYTES", nats.buffer_bytes, 1024, GB, "8m",
            "bytes of events the client keeps while NATS is unreachable, sent on reconnect; past "
            "it they are counted and dropped"),
    K_DUR  ("nats.connect_timeout", "SCIFIND_NATS_CONNECT_TIMEOUT", nats.connect_timeout_ms, 1,
            60 * SEC, "2s", "longest wait for a NATS connection (off the worker's loop)"),
    K_DUR  ("nats.reconnect_wait", "SCIFIND_NATS_RECONNECT_WAIT", nats.reconnect_wait_ms, 1,
            HOUR, "100ms", "first wait before a reconnect; doubled (with jitter) after each failure"),
    K_DUR  ("nats.reconnect_max_wait", "SCIFIND_NATS_RECONNECT_MAX_WAIT",
            nats.reconnect_max_wait_ms, 1, HOUR, "5s", "longest wait between reconnect attempts"),
};
/* clang-format on */

const size_t config__nkeys = sizeof(config__keys) / sizeof(config__keys[0]);

const config_key_t *config__find(const char *key)
{
    for (size_t i = 0; i < config__nkeys; i++)
        if (strcmp(config__keys[i].key, key) == 0) return &config__keys[i];
    return NULL;
}

const config_key_t *config__find_env(const char *name, size_t len)
{
    for (size_t i = 0; i < config__nkeys; i++)
        if (strlen(config__keys[i].env) == len && memcmp(config__keys[i].env, name, len) == 0)
            return &config__keys[i];
    return NULL;
}

bool config__is_section(const char *prefix)
{
    size_t n = strlen(prefix);
    for (size_t i = 0; i < config__nkeys; i++)
        if (strncmp(config__keys[i].key, prefix, n) == 0 && config__keys[i].key[n] == '.')
            return true;
    return false;
}

void config__fmt_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (err == NULL || errlen == 0) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}
