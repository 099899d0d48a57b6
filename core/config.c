/* Configuration, table-driven. Each setting is one row of config_keys[]:
 * adding a setting is adding a field to sf_config_t and a row here. The
 * defaults are the rows' text defaults parsed by the same code as the file and
 * the environment, so a default can never be out of bounds unnoticed. */
#include "core/config.h"
#include "core/paper.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

typedef enum {
    CT_STR,      /* char[size]; bounds are unused */
    CT_INT,      /* int or int64_t (by size); min..max */
    CT_SIZE,     /* int64_t bytes, "64k"; min..max */
    CT_DURATION, /* int64_t milliseconds, "10s"; min..max */
    CT_BOOL,     /* bool */
    CT_RATIO,    /* double 0..1 */
    CT_ENUM,     /* char[size] holding one of choices */
} config_type_t;

typedef struct config_key {
    const char *key; /* dotted YAML path */
    const char *env; /* environment variable */
    config_type_t type;
    size_t offset;       /* of the field in sf_config_t */
    size_t size;         /* of the field */
    int64_t min, max;    /* CT_INT, CT_SIZE, CT_DURATION */
    const char *choices; /* CT_ENUM: "a|b|c" */
    const char *def;     /* default, in the value syntax */
    const char *help;    /* one line, for --help and docs */
} config_key_t;

#define FIELD(m) offsetof(sf_config_t, m), sizeof(((sf_config_t *)0)->m)

#define KB INT64_C(1024)
#define MB (KB * 1024)
#define GB (MB * 1024)
#define SEC INT64_C(1000)
#define HOUR (3600 * SEC)

/* Row constructors, one per type, so a row reads as one line. */
/* clang-format off */
#define K_STR(k, e, m, d, h)          {k, e, CT_STR, FIELD(m), 0, 0, NULL, d, h}
#define K_INT(k, e, m, lo, hi, d, h)  {k, e, CT_INT, FIELD(m), lo, hi, NULL, d, h}
#define K_SIZE(k, e, m, lo, hi, d, h) {k, e, CT_SIZE, FIELD(m), lo, hi, NULL, d, h}
#define K_DUR(k, e, m, lo, hi, d, h)  {k, e, CT_DURATION, FIELD(m), lo, hi, NULL, d, h}
#define K_BOOL(k, e, m, d, h)         {k, e, CT_BOOL, FIELD(m), 0, 1, NULL, d, h}
#define K_RATIO(k, e, m, d, h)        {k, e, CT_RATIO, FIELD(m), 0, 1, NULL, d, h}
#define K_ENUM(k, e, m, c, d, h)      {k, e, CT_ENUM, FIELD(m), 0, 0, c, d, h}

static const config_key_t config_keys[] = {
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

    K_BOOL ("providers.arxiv.enabled", "SCIFIND_ARXIV_ENABLED", providers.arxiv.enabled,
            "true", "ask arxiv in every search"),
    K_STR  ("providers.arxiv.base_url", "SCIFIND_ARXIV_BASE_URL", providers.arxiv.base_url,
            "https://export.arxiv.org", "arxiv API base URL (scheme://host[:port]); the API path is appended"),
    K_STR  ("providers.arxiv.api_key", "SCIFIND_ARXIV_API_KEY", providers.arxiv.api_key, "",
            "arxiv API key; empty = none"),
    K_DUR  ("providers.arxiv.timeout", "SCIFIND_ARXIV_TIMEOUT", providers.arxiv.timeout_ms,
            1, 10 * 60 * SEC, "4s", "longest arxiv call"),
    K_DUR  ("providers.arxiv.connect_timeout", "SCIFIND_ARXIV_CONNECT_TIMEOUT",
            providers.arxiv.connect_timeout_ms, 1, 10 * 60 * SEC, "2s",
            "longest wait for a connection to arxiv"),
    K_INT  ("providers.arxiv.max_results", "SCIFIND_ARXIV_MAX_RESULTS",
            providers.arxiv.max_results, 1, 1000, "25", "results asked of arxiv per search"),
    K_DUR  ("providers.arxiv.rate_interval", "SCIFIND_ARXIV_RATE_INTERVAL",
            providers.arxiv.rate_interval_ms, 0, HOUR, "3s",
            "one arxiv call per interval for the whole worker group; 0 = no limit"),
    K_INT  ("providers.arxiv.rate_burst", "SCIFIND_ARXIV_RATE_BURST", providers.arxiv.rate_burst,
            1, 100000, "1", "arxiv calls allowed at once after a quiet spell"),
    K_INT  ("providers.arxiv.max_concurrent", "SCIFIND_ARXIV_MAX_CONCURRENT",
            providers.arxiv.max_concurrent, 1, 100000, "256",
            "arxiv calls in flight per worker; past it a call is refused as rate_limited"),
    K_BOOL ("providers.semantic_scholar.enabled", "SCIFIND_SEMANTIC_SCHOLAR_ENABLED", providers.semantic_scholar.enabled,
            "true", "ask semantic_scholar in every search"),
    K_STR  ("providers.semantic_scholar.base_url", "SCIFIND_SEMANTIC_SCHOLAR_BASE_URL", providers.semantic_scholar.base_url,
            "https://api.semanticscholar.org", "semantic_scholar API base URL (scheme://host[:port]); the API path is appended"),
    K_STR  ("providers.semantic_scholar.api_key", "SCIFIND_SEMANTIC_SCHOLAR_API_KEY", providers.semantic_scholar.api_key, "",
            "semantic_scholar API key; empty = none"),
    K_DUR  ("providers.semantic_scholar.timeout", "SCIFIND_SEMANTIC_SCHOLAR_TIMEOUT", providers.semantic_scholar.timeout_ms,
            1, 10 * 60 * SEC, "4s", "longest semantic_scholar call"),
    K_DUR  ("providers.semantic_scholar.connect_timeout", "SCIFIND_SEMANTIC_SCHOLAR_CONNECT_TIMEOUT",
            providers.semantic_scholar.connect_timeout_ms, 1, 10 * 60 * SEC, "2s",
            "longest wait for a connection to semantic_scholar"),
    K_INT  ("providers.semantic_scholar.max_results", "SCIFIND_SEMANTIC_SCHOLAR_MAX_RESULTS",
            providers.semantic_scholar.max_results, 1, 1000, "25", "results asked of semantic_scholar per search"),
    K_DUR  ("providers.semantic_scholar.rate_interval", "SCIFIND_SEMANTIC_SCHOLAR_RATE_INTERVAL",
            providers.semantic_scholar.rate_interval_ms, 0, HOUR, "1s",
            "one semantic_scholar call per interval for the whole worker group; 0 = no limit"),
    K_INT  ("providers.semantic_scholar.rate_burst", "SCIFIND_SEMANTIC_SCHOLAR_RATE_BURST", providers.semantic_scholar.rate_burst,
            1, 100000, "1", "semantic_scholar calls allowed at once after a quiet spell"),
    K_INT  ("providers.semantic_scholar.max_concurrent", "SCIFIND_SEMANTIC_SCHOLAR_MAX_CONCURRENT",
            providers.semantic_scholar.max_concurrent, 1, 100000, "256",
            "semantic_scholar calls in flight per worker; past it a call is refused as rate_limited"),
    K_BOOL ("providers.exa.enabled", "SCIFIND_EXA_ENABLED", providers.exa.enabled,
            "true", "ask exa in every search"),
    K_STR  ("providers.exa.base_url", "SCIFIND_EXA_BASE_URL", providers.exa.base_url,
            "https://api.exa.ai", "exa API base URL (scheme://host[:port]); the API path is appended"),
    K_STR  ("providers.exa.api_key", "SCIFIND_EXA_API_KEY", providers.exa.api_key, "",
            "exa API key; empty = none"),
    K_DUR  ("providers.exa.timeout", "SCIFIND_EXA_TIMEOUT", providers.exa.timeout_ms,
            1, 10 * 60 * SEC, "4s", "longest exa call"),
    K_DUR  ("providers.exa.connect_timeout", "SCIFIND_EXA_CONNECT_TIMEOUT",
            providers.exa.connect_timeout_ms, 1, 10 * 60 * SEC, "2s",
            "longest wait for a connection to exa"),
    K_INT  ("providers.exa.max_results", "SCIFIND_EXA_MAX_RESULTS",
            providers.exa.max_results, 1, 1000, "25", "results asked of exa per search"),
    K_DUR  ("providers.exa.rate_interval", "SCIFIND_EXA_RATE_INTERVAL",
            providers.exa.rate_interval_ms, 0, HOUR, "100ms",
            "one exa call per interval for the whole worker group; 0 = no limit"),
    K_INT  ("providers.exa.rate_burst", "SCIFIND_EXA_RATE_BURST", providers.exa.rate_burst,
            1, 100000, "10", "exa calls allowed at once after a quiet spell"),
    K_INT  ("providers.exa.max_concurrent", "SCIFIND_EXA_MAX_CONCURRENT",
            providers.exa.max_concurrent, 1, 100000, "256",
            "exa calls in flight per worker; past it a call is refused as rate_limited"),
    K_BOOL ("providers.openalex.enabled", "SCIFIND_OPENALEX_ENABLED", providers.openalex.enabled,
            "true", "ask openalex in every search"),
    K_STR  ("providers.openalex.base_url", "SCIFIND_OPENALEX_BASE_URL", providers.openalex.base_url,
            "https://api.openalex.org", "openalex API base URL (scheme://host[:port]); the API path is appended"),
    K_STR  ("providers.openalex.api_key", "SCIFIND_OPENALEX_API_KEY", providers.openalex.api_key, "",
            "openalex API key; empty = none"),
    K_DUR  ("providers.openalex.timeout", "SCIFIND_OPENALEX_TIMEOUT", providers.openalex.timeout_ms,
            1, 10 * 60 * SEC, "4s", "longest openalex call"),
    K_DUR  ("providers.openalex.connect_timeout", "SCIFIND_OPENALEX_CONNECT_TIMEOUT",
            providers.openalex.connect_timeout_ms, 1, 10 * 60 * SEC, "2s",
            "longest wait for a connection to openalex"),
    K_INT  ("providers.openalex.max_results", "SCIFIND_OPENALEX_MAX_RESULTS",
            providers.openalex.max_results, 1, 1000, "25", "results asked of openalex per search"),
    K_DUR  ("providers.openalex.rate_interval", "SCIFIND_OPENALEX_RATE_INTERVAL",
            providers.openalex.rate_interval_ms, 0, HOUR, "100ms",
            "one openalex call per interval for the whole worker group; 0 = no limit"),
    K_INT  ("providers.openalex.rate_burst", "SCIFIND_OPENALEX_RATE_BURST", providers.openalex.rate_burst,
            1, 100000, "10", "openalex calls allowed at once after a quiet spell"),
    K_INT  ("providers.openalex.max_concurrent", "SCIFIND_OPENALEX_MAX_CONCURRENT",
            providers.openalex.max_concurrent, 1, 100000, "256",
            "openalex calls in flight per worker; past it a call is refused as rate_limited"),
    K_BOOL ("providers.crossref.enabled", "SCIFIND_CROSSREF_ENABLED", providers.crossref.enabled,
            "true", "ask crossref in every search"),
    K_STR  ("providers.crossref.base_url", "SCIFIND_CROSSREF_BASE_URL", providers.crossref.base_url,
            "https://api.crossref.org", "crossref API base URL (scheme://host[:port]); the API path is appended"),
    K_STR  ("providers.crossref.api_key", "SCIFIND_CROSSREF_API_KEY", providers.crossref.api_key, "",
            "crossref API key; empty = none"),
    K_DUR  ("providers.crossref.timeout", "SCIFIND_CROSSREF_TIMEOUT", providers.crossref.timeout_ms,
            1, 10 * 60 * SEC, "4s", "longest crossref call"),
    K_DUR  ("providers.crossref.connect_timeout", "SCIFIND_CROSSREF_CONNECT_TIMEOUT",
            providers.crossref.connect_timeout_ms, 1, 10 * 60 * SEC, "2s",
            "longest wait for a connection to crossref"),
    K_INT  ("providers.crossref.max_results", "SCIFIND_CROSSREF_MAX_RESULTS",
            providers.crossref.max_results, 1, 1000, "25", "results asked of crossref per search"),
    K_DUR  ("providers.crossref.rate_interval", "SCIFIND_CROSSREF_RATE_INTERVAL",
            providers.crossref.rate_interval_ms, 0, HOUR, "20ms",
            "one crossref call per interval for the whole worker group; 0 = no limit"),
    K_INT  ("providers.crossref.rate_burst", "SCIFIND_CROSSREF_RATE_BURST", providers.crossref.rate_burst,
            1, 100000, "20", "crossref calls allowed at once after a quiet spell"),
    K_INT  ("providers.crossref.max_concurrent", "SCIFIND_CROSSREF_MAX_CONCURRENT",
            providers.crossref.max_concurrent, 1, 100000, "256",
            "crossref calls in flight per worker; past it a call is refused as rate_limited"),
    K_INT  ("providers.local.max_results", "SCIFIND_LOCAL_MAX_RESULTS",
            providers.local_max_results, 1, 200, "25",
            "results read from the store's own papers per search (more when offset + limit is)"),
    K_STR  ("providers.contact", "SCIFIND_CONTACT", providers.contact, "",
            "contact e-mail sent to providers (User-Agent, mailto) for their polite pools"),
    K_INT  ("providers.max_host_connections", "SCIFIND_PROVIDERS_MAX_HOST_CONNECTIONS",
            providers.max_host_connections, 1, 10000, "16",
            "open connections per provider host, per worker"),
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
            "key signing MCP session ids, the same on every instance behind one proxy; empty = "
            "a random key per worker group"),
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

#define NKEYS (sizeof(config_keys) / sizeof(config_keys[0]))

static const config_key_t *key_find(const char *key)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (strcmp(config_keys[i].key, key) == 0) return &config_keys[i];
    return NULL;
}

static const config_key_t *key_find_env(const char *name, size_t len)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (strlen(config_keys[i].env) == len && memcmp(config_keys[i].env, name, len) == 0)
            return &config_keys[i];
    return NULL;
}

/* A key that is the start of a longer key ("http" of "http.max_headers"). */
static bool key_is_section(const char *prefix)
{
    size_t n = strlen(prefix);
    for (size_t i = 0; i < NKEYS; i++)
        if (strncmp(config_keys[i].key, prefix, n) == 0 && config_keys[i].key[n] == '.')
            return true;
    return false;
}

static void fmt_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fmt_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (err == NULL || errlen == 0) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* ---- value syntax ---- */

/* Parses an unsigned decimal prefix of s into *out; returns the end, or NULL
 * when there is no digit or the number overflows. */
static const char *parse_digits(const char *s, int64_t *out)
{
    int64_t v = 0;
    const char *p = s;
    while (*p >= '0' && *p <= '9') {
        int d = *p - '0';
        if (v > (INT64_MAX - d) / 10) return NULL;
        v = v * 10 + d;
        p++;
    }
    if (p == s) return NULL;
    *out = v;
    return p;
}

static int parse_int(const char *s, int64_t *out)
{
    bool neg = false;
    if (*s == '-' || *s == '+') neg = *s++ == '-';
    int64_t v;
    const char *end = parse_digits(s, &v);
    if (end == NULL || *end != '\0') return -1;
    *out = neg ? -v : v;
    return 0;
}

static int parse_size(const char *s, int64_t *out)
{
    int64_t v;
    const char *end = parse_digits(s, &v);
    if (end == NULL) return -1;
    int64_t mul = 1;
    switch (*end) {
    case '\0':
        break;
    case 'k':
    case 'K':
        mul = KB, end++;
        break;
    case 'm':
    case 'M':
        mul = MB, end++;
        break;
    case 'g':
    case 'G':
        mul = GB, end++;
        break;
    default:
        return -1;
    }
    if (*end != '\0' || v > INT64_MAX / mul) return -1;
    *out = v * mul;
    return 0;
}

static int parse_duration(const char *s, int64_t *out)
{
    int64_t v;
    const char *end = parse_digits(s, &v);
    if (end == NULL) return -1;
    int64_t mul;
    if (*end == '\0' || strcmp(end, "ms") == 0)
        mul = 1;
    else if (strcmp(end, "s") == 0)
        mul = SEC;
    else if (strcmp(end, "m") == 0)
        mul = 60 * SEC;
    else if (strcmp(end, "h") == 0)
        mul = HOUR;
    else
        return -1;
    if (v > INT64_MAX / mul) return -1;
    *out = v * mul;
    return 0;
}

static int parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return -1;
}

static int parse_ratio(const char *s, double *out)
{
    if (*s == '\0' || isspace((unsigned char)*s)) return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (*end != '\0' || errno != 0 || isnan(v)) return -1;
    *out = v;
    return 0;
}

static bool enum_has(const char *choices, const char *s)
{
    size_t n = strlen(s);
    const char *p = choices;
    while (*p != '\0') {
        const char *bar = strchr(p, '|');
        size_t len = bar != NULL ? (size_t)(bar - p) : strlen(p);
        if (len == n && n > 0 && memcmp(p, s, n) == 0) return true;
        if (bar == NULL) break;
        p = bar + 1;
    }
    return false;
}

/* Writes v in the row's own syntax, choosing the largest exact unit, so
 * messages show bounds the way a user writes them ("1g", "24h"). */
static void fmt_value(const config_key_t *k, int64_t v, char *buf, size_t len)
{
    if (k->type == CT_SIZE) {
        if (v != 0 && v % GB == 0)
            snprintf(buf, len, "%lldg", (long long)(v / GB));
        else if (v != 0 && v % MB == 0)
            snprintf(buf, len, "%lldm", (long long)(v / MB));
        else if (v != 0 && v % KB == 0)
            snprintf(buf, len, "%lldk", (long long)(v / KB));
        else
            snprintf(buf, len, "%lld", (long long)v);
    } else if (k->type == CT_DURATION) {
        if (v != 0 && v % HOUR == 0)
            snprintf(buf, len, "%lldh", (long long)(v / HOUR));
        else if (v != 0 && v % (60 * SEC) == 0)
            snprintf(buf, len, "%lldm", (long long)(v / (60 * SEC)));
        else if (v != 0 && v % SEC == 0)
            snprintf(buf, len, "%llds", (long long)(v / SEC));
        else
            snprintf(buf, len, "%lldms", (long long)v);
    } else {
        snprintf(buf, len, "%lld", (long long)v);
    }
}

static int key_set(sf_config_t *c, const config_key_t *k, const char *value, char *err,
                   size_t errlen)
{
    char *field = (char *)c + k->offset;
    int64_t v = 0;
    int rc = 0;
    const char *expected = NULL;

    switch (k->type) {
    case CT_STR:
        if (strlen(value) >= k->size) {
            fmt_err(err, errlen, "key '%s': value too long (at most %zu bytes)", k->key,
                    k->size - 1);
            return -1;
        }
        memcpy(field, value, strlen(value) + 1);
        return 0;
    case CT_ENUM:
        if (!enum_has(k->choices, value) || strlen(value) >= k->size) {
            char list[256];
            size_t j = 0;
            for (const char *q = k->choices; *q != '\0' && j + 3 < sizeof(list); q++) {
                if (*q == '|') {
                    list[j++] = ',';
                    list[j++] = ' ';
                } else {
                    list[j++] = *q;
                }
            }
            list[j] = '\0';
            fmt_err(err, errlen, "key '%s': expected one of %s, got '%s'", k->key, list, value);
            return -1;
        }
        memcpy(field, value, strlen(value) + 1);
        return 0;
    case CT_BOOL: {
        bool b;
        if (parse_bool(value, &b) != 0) {
            fmt_err(err, errlen,
                    "key '%s': expected true or false (also yes/no, on/off, 1/0), "
                    "got '%s'",
                    k->key, value);
            return -1;
        }
        *(bool *)field = b;
        return 0;
    }
    case CT_RATIO: {
        double d;
        if (parse_ratio(value, &d) != 0 || d < 0 || d > 1) {
            fmt_err(err, errlen, "key '%s': expected a number from 0 to 1, got '%s'", k->key,
                    value);
            return -1;
        }
        *(double *)field = d;
        return 0;
    }
    case CT_INT:
        rc = parse_int(value, &v);
        expected = "an integer";
        break;
    case CT_SIZE:
        rc = parse_size(value, &v);
        expected = "a size like 1048576, 64k or 1m";
        break;
    case CT_DURATION:
        rc = parse_duration(value, &v);
        expected = "a duration like 250ms, 10s, 2m or 1h";
        break;
    }
    if (rc != 0) {
        fmt_err(err, errlen, "key '%s': expected %s, got '%s'", k->key, expected, value);
        return -1;
    }
    if (v < k->min || v > k->max) {
        char lo[32], hi[32];
        fmt_value(k, k->min, lo, sizeof(lo));
        fmt_value(k, k->max, hi, sizeof(hi));
        fmt_err(err, errlen, "key '%s': must be from %s to %s, got '%s'", k->key, lo, hi, value);
        return -1;
    }
    if (k->size == sizeof(int))
        *(int *)field = (int)v;
    else
        *(int64_t *)field = v;
    return 0;
}

void config_defaults(sf_config_t *c)
{
    memset(c, 0, sizeof(*c));
    for (size_t i = 0; i < NKEYS; i++) {
        char err[256];
        if (key_set(c, &config_keys[i], config_keys[i].def, err, sizeof(err)) != 0) {
            /* a bad row is a programming error: fail loudly at startup */
            fprintf(stderr, "config: bad default: %s\n", err);
            abort();
        }
    }
}

int config_set(sf_config_t *c, const char *key, const char *value, char *err, size_t errlen)
{
    const config_key_t *k = key_find(key);
    if (k == NULL) {
        fmt_err(err, errlen, "unknown key '%s'", key);
        return -1;
    }
    return key_set(c, k, value, err, errlen);
}

/* ---- YAML ---- */

#define YAML_MAX_DEPTH 8
#define YAML_KEY_MAX 256

typedef struct yaml_ctx {
    yaml_parser_t parser;
    const char *path;
    sf_config_t *c;
    bool seen[NKEYS]; /* a key given twice in one file is refused */
    char *err;
    size_t errlen;
} yaml_ctx_t;

static int next_event(yaml_ctx_t *y, yaml_event_t *ev)
{
    if (yaml_parser_parse(&y->parser, ev)) return 0;
    fmt_err(y->err, y->errlen, "%s:%zu: YAML syntax error: %s%s%s", y->path,
            (size_t)y->parser.problem_mark.line + 1,
            y->parser.problem != NULL ? y->parser.problem : "unknown problem",
            y->parser.context != NULL ? " " : "",
            y->parser.context != NULL ? y->parser.context : "");
    return -1;
}

static size_t ev_line(const yaml_event_t *ev)
{
    return (size_t)ev->start_mark.line + 1;
}

/* Plain ~, null and an empty value mean "no value": the empty string. */
static const char *scalar_text(const yaml_event_t *ev)
{
    const char *s = (const char *)ev->data.scalar.value;
    if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
        (strcmp(s, "~") == 0 || strcmp(s, "null") == 0 || strcmp(s, "Null") == 0 ||
         strcmp(s, "NULL") == 0))
        return "";
    return s;
}

static int parse_mapping(yaml_ctx_t *y, const char *prefix, int depth);

/* Handles the value event of key (already dotted). */
static int parse_value(yaml_ctx_t *y, const char *key, size_t line, yaml_event_t *ev, int depth)
{
    const config_key_t *k = key_find(key);
    switch (ev->type) {
    case YAML_SCALAR_EVENT: {
        if (k == NULL) {
            fmt_err(y->err, y->errlen, "%s:%zu: unknown key '%s'", y->path, line, key);
            return -1;
        }
        size_t idx = (size_t)(k - config_keys);
        if (y->seen[idx]) {
            fmt_err(y->err, y->errlen, "%s:%zu: key '%s' is given twice", y->path, line, key);
            return -1;
        }
        y->seen[idx] = true;
        char msg[512];
        if (key_set(y->c, k, scalar_text(ev), msg, sizeof(msg)) != 0) {
            fmt_err(y->err, y->errlen, "%s:%zu: %s", y->path, line, msg);
            return -1;
        }
        return 0;
    }
    case YAML_MAPPING_START_EVENT:
        if (k != NULL) {
            fmt_err(y->err, y->errlen, "%s:%zu: key '%s': expected a single value, got a mapping",
                    y->path, line, key);
            return -1;
        }
        if (!key_is_section(key)) {
            fmt_err(y->err, y->errlen, "%s:%zu: unknown key '%s'", y->path, line, key);
            return -1;
        }
        return parse_mapping(y, key, depth + 1);
    case YAML_SEQUENCE_START_EVENT:
        if (k == NULL) {
            fmt_err(y->err, y->errlen, "%s:%zu: unknown key '%s'", y->path, line, key);
            return -1;
        }
        fmt_err(y->err, y->errlen,
                "%s:%zu: key '%s': expected a single value, got a list "
                "(quote a value that starts with '[', like \"[::1]:8080\")",
                y->path, line, key);
        return -1;
    case YAML_ALIAS_EVENT:
        fmt_err(y->err, y->errlen, "%s:%zu: key '%s': aliases are not supported", y->path, line,
                key);
        return -1;
    default:
        fmt_err(y->err, y->errlen, "%s:%zu: key '%s': unexpected YAML element", y->path, line, key);
        return -1;
    }
}

/* Reads key/value pairs up to the end of the mapping whose start was just
 * read. prefix is "" at the top. */
static int parse_mapping(yaml_ctx_t *y, const char *prefix, int depth)
{
    if (depth > YAML_MAX_DEPTH) {
        fmt_err(y->err, y->errlen, "%s: nested too deep at '%s'", y->path, prefix);
        return -1;
    }
    for (;;) {
        yaml_event_t kev, vev;
        if (next_event(y, &kev) != 0) return -1;
        if (kev.type == YAML_MAPPING_END_EVENT) {
            yaml_event_delete(&kev);
            return 0;
        }
        size_t line = ev_line(&kev);
        if (kev.type != YAML_SCALAR_EVENT) {
            fmt_err(y->err, y->errlen, "%s:%zu: keys must be plain names", y->path, line);
            yaml_event_delete(&kev);
            return -1;
        }
        char key[YAML_KEY_MAX];
        int n = snprintf(key, sizeof(key), "%s%s%s", prefix, prefix[0] != '\0' ? "." : "",
                         (const char *)kev.data.scalar.value);
        yaml_event_delete(&kev);
        if (n < 0 || (size_t)n >= sizeof(key)) {
            fmt_err(y->err, y->errlen, "%s:%zu: key too long", y->path, line);
            return -1;
        }
        if (next_event(y, &vev) != 0) return -1;
        int rc = parse_value(y, key, line, &vev, depth);
        yaml_event_delete(&vev);
        if (rc != 0) return -1;
    }
}

int config_load_file(sf_config_t *c, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fmt_err(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    yaml_ctx_t y;
    memset(&y, 0, sizeof(y));
    y.path = path;
    y.c = c;
    y.err = err;
    y.errlen = errlen;
    if (!yaml_parser_initialize(&y.parser)) {
        fclose(f);
        fmt_err(err, errlen, "%s: out of memory", path);
        return -1;
    }
    yaml_parser_set_input_file(&y.parser, f);

    /* Work on a copy so a file with an error leaves c untouched. */
    sf_config_t tmp = *c;
    y.c = &tmp;

    int rc = -1;
    int docs = 0;
    for (;;) {
        yaml_event_t ev;
        if (next_event(&y, &ev) != 0) goto done;
        yaml_event_type_t t = ev.type;
        size_t line = ev_line(&ev);
        int r = 0;
        switch (t) {
        case YAML_STREAM_START_EVENT:
        case YAML_DOCUMENT_END_EVENT:
            break;
        case YAML_DOCUMENT_START_EVENT:
            if (++docs > 1) {
                fmt_err(err, errlen, "%s:%zu: only one YAML document is allowed", path, line);
                r = -1;
            }
            break;
        case YAML_MAPPING_START_EVENT:
            r = parse_mapping(&y, "", 0);
            break;
        case YAML_SCALAR_EVENT:
            /* an empty document ("---" alone) is fine */
            if (scalar_text(&ev)[0] != '\0') {
                fmt_err(err, errlen, "%s:%zu: expected a mapping of keys at the top", path, line);
                r = -1;
            }
            break;
        case YAML_STREAM_END_EVENT:
            yaml_event_delete(&ev);
            rc = 0;
            goto done;
        default:
            fmt_err(err, errlen, "%s:%zu: expected a mapping of keys at the top", path, line);
            r = -1;
            break;
        }
        yaml_event_delete(&ev);
        if (r != 0) goto done;
    }
done:
    yaml_parser_delete(&y.parser);
    fclose(f);
    if (rc == 0) *c = tmp;
    return rc;
}

/* ---- environment ---- */

#define ENV_PREFIX "SCIFIND_"

int config_load_env(sf_config_t *c, char *const *envp, void (*warn)(const char *name), char *err,
                    size_t errlen)
{
    if (envp == NULL) return 0;
    for (char *const *e = envp; *e != NULL; e++) {
        const char *kv = *e;
        if (strncmp(kv, ENV_PREFIX, strlen(ENV_PREFIX)) != 0) continue;
        const char *eq = strchr(kv, '=');
        if (eq == NULL) continue;
        size_t nlen = (size_t)(eq - kv);
        const config_key_t *k = key_find_env(kv, nlen);
        if (k == NULL) {
            if (warn != NULL) {
                char name[128];
                snprintf(name, sizeof(name), "%.*s", (int)(nlen < 127 ? nlen : 127), kv);
                warn(name);
            }
            continue;
        }
        char msg[512];
        if (key_set(c, k, eq + 1, msg, sizeof(msg)) != 0) {
            fmt_err(err, errlen, "environment %s: %s", k->env, msg);
            return -1;
        }
    }
    return 0;
}

/* ---- listen ---- */

static bool host_name_ok(const char *h)
{
    size_t n = strlen(h);
    if (n == 0 || n > 253) return false;
    bool all_num = true;
    for (const char *p = h; *p != '\0'; p++) {
        if (!(isalnum((unsigned char)*p) || *p == '-' || *p == '.')) return false;
        if (isalpha((unsigned char)*p) || *p == '-') all_num = false;
    }
    if (all_num) {
        /* digits and dots: must be a dotted-quad IPv4 address */
        struct in_addr a;
        return inet_pton(AF_INET, h, &a) == 1;
    }
    /* labels: 1..63 characters, no leading or trailing '-' */
    const char *label = h;
    for (const char *p = h;; p++) {
        if (*p == '.' || *p == '\0') {
            size_t len = (size_t)(p - label);
            if (len == 0 || len > 63 || label[0] == '-' || p[-1] == '-') return false;
            if (*p == '\0') break;
            label = p + 1;
        }
    }
    return true;
}

int config_parse_listen(const char *listen, char *host, size_t hostlen, int *port)
{
    const char *h;
    size_t hlen;
    const char *p;
    char tmp[CONFIG_STR_MAX];

    if (listen == NULL) return -1;
    if (listen[0] == '[') {
        const char *close = strchr(listen, ']');
        if (close == NULL || close[1] != ':') return -1;
        h = listen + 1;
        hlen = (size_t)(close - h);
        p = close + 2;
        if (hlen == 0 || hlen >= sizeof(tmp)) return -1;
        memcpy(tmp, h, hlen);
        tmp[hlen] = '\0';
        struct in6_addr a6;
        if (inet_pton(AF_INET6, tmp, &a6) != 1) return -1;
    } else {
        const char *colon = strchr(listen, ':');
        if (colon == NULL || strchr(colon + 1, ':') != NULL)
            return -1; /* no port, or IPv6 without brackets */
        h = listen;
        hlen = (size_t)(colon - h);
        p = colon + 1;
        if (hlen == 0 || hlen >= sizeof(tmp)) return -1;
        memcpy(tmp, h, hlen);
        tmp[hlen] = '\0';
        if (!host_name_ok(tmp)) return -1;
    }
    int64_t v;
    const char *end = parse_digits(p, &v);
    if (end == NULL || *end != '\0' || v < 1 || v > 65535) return -1;
    if (hlen >= hostlen) return -1;
    memcpy(host, tmp, hlen + 1);
    *port = (int)v;
    return 0;
}

const sf_provider_config_t *config_provider(const sf_config_t *c, int source)
{
    switch (source) {
    case SRC_ARXIV:
        return &c->providers.arxiv;
    case SRC_SEMANTIC_SCHOLAR:
        return &c->providers.semantic_scholar;
    case SRC_EXA:
        return &c->providers.exa;
    case SRC_OPENALEX:
        return &c->providers.openalex;
    case SRC_CROSSREF:
        return &c->providers.crossref;
    default:
        return NULL;
    }
}

int config_validate(const sf_config_t *c, char *err, size_t errlen)
{
    char host[CONFIG_STR_MAX];
    int port;
    if (config_parse_listen(c->listen, host, sizeof(host), &port) != 0) {
        fmt_err(err, errlen,
                "key 'listen': expected HOST:PORT or [IPv6]:PORT with a port from 1 to 65535, "
                "got '%s'",
                c->listen);
        return -1;
    }
    for (int src = 0; src < SRC_COUNT; src++) {
        const sf_provider_config_t *p = config_provider(c, src);
        if (!p) continue;
        const char *u = p->base_url;
        const char *rest = strncmp(u, "http://", 7) == 0    ? u + 7
                           : strncmp(u, "https://", 8) == 0 ? u + 8
                                                            : NULL;
        if (!rest || !*rest || strchr(rest, '/') || strchr(rest, '?') || strchr(rest, ' ')) {
            fmt_err(err, errlen,
                    "key 'providers.%s.base_url': expected scheme://host[:port] "
                    "(http or https, no path), got '%s'",
                    source_name((source_t)src), u);
            return -1;
        }
    }
    if (c->search.deadline_ms > c->search.max_deadline_ms) {
        fmt_err(err, errlen, "key 'search.deadline': %lld ms is over search.max_deadline (%lld ms)",
                (long long)c->search.deadline_ms, (long long)c->search.max_deadline_ms);
        return -1;
    }
    return 0;
}

/* ---- listing ---- */

static const char *type_name(const config_key_t *k)
{
    switch (k->type) {
    case CT_STR:
        return "string";
    case CT_INT:
        return "int";
    case CT_SIZE:
        return "size";
    case CT_DURATION:
        return "duration";
    case CT_BOOL:
        return "bool";
    case CT_RATIO:
        return "ratio";
    case CT_ENUM:
        return k->choices;
    }
    return "?";
}

/* A Markdown table cell: '|' would end it. */
static void md_cell(FILE *f, const char *before, const char *s, const char *after)
{
    fputs(before, f);
    for (; *s; s++) {
        if (*s == '|') fputc('\\', f);
        fputc(*s, f);
    }
    fputs(after, f);
}

void config_print_reference(void *fp)
{
    FILE *f = fp;
    fprintf(f, "| key | environment | type | default | meaning |\n|---|---|---|---|---|\n");
    for (size_t i = 0; i < NKEYS; i++) {
        const config_key_t *k = &config_keys[i];
        md_cell(f, "| `", k->key, "` ");
        md_cell(f, "| `", k->env, "` ");
        md_cell(f, "| ", type_name(k), " ");
        md_cell(f, "| `", k->def[0] != '\0' ? k->def : "\"\"", "` ");
        md_cell(f, "| ", k->help, " |\n");
    }
}

void config_print_keys(void *fp)
{
    FILE *f = fp;
    for (size_t i = 0; i < NKEYS; i++) {
        const config_key_t *k = &config_keys[i];
        fprintf(f, "%-28s %-36s %-22s %s\n", k->key, k->env, type_name(k),
                k->def[0] != '\0' ? k->def : "\"\"");
    }
}
