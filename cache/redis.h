/* L2: Redis, shared by every worker (and every machine) of the service.
 *
 * One hiredis async connection per worker on the worker's libuv loop,
 * configured by redis.url (redis://[user:password@]host:port/db, or
 * unix:///path/to/socket), redis.key_prefix, redis.command_timeout and
 * redis.connect_timeout. Keys are <prefix>v<N>:<hash of the query key>,
 * where N is a version kept in Redis (<prefix>version) and in each worker:
 * DELETE of everything is a bump of N, so old bytes are never read again.
 *
 * hiredis 0.14 has no command timeouts: every command here has a uv_timer
 * deadline, and a late reply is dropped. Redis down, slow, frozen or
 * restarting: the tier is bypassed (fail open), the connection is dropped
 * after repeated deadlines and made again with backoff and jitter.
 *
 * Also here, because they need Redis: the popularity count of queries
 * (a sorted set per hour) and warming (refreshing the most asked queries
 * before they expire, by the one worker of the group that holds a lock). */
#ifndef SF_CACHE_REDIS_H
#define SF_CACHE_REDIS_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "cache/cache.h"
#include "core/config.h"
#include "core/search_service.h"

/* A link in front of next using cfg->redis and cfg->cache (ttl,
 * stale_grace, gzip, warm_*). It starts connecting at once; until the
 * connection is ready requests go straight to next. cfg must outlive the
 * link. Returns NULL when out of memory or when redis.url is empty or
 * unreadable (the reason is logged). */
search_service_t *cache_redis_service(search_service_t *next, uv_loop_t *loop,
                                      const sf_config_t *cfg);

/* The same link without the tier (no next, no warming, no poll), for the
 * client rate limit when cache.enabled is off but redis.url is set: only
 * cache_redis_eval(), the state and the free/discard calls apply to it. */
search_service_t *cache_redis_link(uv_loop_t *loop, const sf_config_t *cfg);

/* What a script's reply becomes: its integers (an integer reply is one, an
 * array gives its leading integers, at most 8), or ints NULL and n -1 when
 * Redis failed, answered an error or missed redis.command_timeout. */
typedef void (*cache_redis_eval_fn)(void *data, const long long *ints, int n);

/* Runs a Lua script on the link (svc: an L2 service or a cache_redis_link)
 * with nkeys keys first among its argc (at most 8) arguments, under the same
 * deadline as every command. The script is known by its address (pass a
 * static string): EVALSHA once SCRIPT LOAD told its SHA1, EVAL before, and
 * EVAL again when Redis answers NOSCRIPT (restarted, flushed). done(data,
 * ...) runs exactly once, later, unless this returns -1 (the link is not
 * ready, or out of memory): then done is never called. */
int cache_redis_eval(void *svc, const char *script, int nkeys, int argc, const char **argv,
                     cache_redis_eval_fn done, void *data);

/* Hooks for the tier above (L1 of this worker): flush runs when the
 * version changed (another worker or machine deleted everything), drop
 * runs with a query key deleted elsewhere. Either may be NULL. */
void cache_redis_set_hooks(search_service_t *svc, void (*flush)(void *ctx),
                           void (*drop)(void *ctx, const char *key), void *ctx);

/* "ok" when the connection is ready, "degraded" otherwise (the service
 * answers without L2): what /health/ready reports for Redis. */
const char *cache_redis_state(search_service_t *svc);

/* The counters; bytes = bytes written. */
const cache_stats_t *cache_redis_stats(search_service_t *svc);

/* The version in use (0 before the first read). */
int64_t cache_redis_version(search_service_t *svc);

/* Counts q in the popularity set (batched, written once a second). Has the
 * shape of cache_l1_opts_t.note, with ctx the L2 service. */
void cache_redis_note(void *svc, const query_t *q);

/* Deletes key's entry and tells the other workers (they drop their L1
 * copies within a second). done(data, ok) runs exactly once, now or later,
 * unless the link is freed first. Returns 0, or -1 when Redis is not ready
 * (done is not called). */
int cache_redis_delete(search_service_t *svc, const char *key, void (*done)(void *data, bool ok),
                       void *data);

/* Bumps the version: every entry of every worker becomes unreadable.
 * done(data, version) gets the new version, or -1 on failure. Same rules
 * as cache_redis_delete(). */
int cache_redis_bump(search_service_t *svc, void (*done)(void *data, int64_t version), void *data);

/* Closes the connection for good (drain): requests go straight to next.
 * Idempotent. */
void cache_redis_close(search_service_t *svc);

/* Cancels what is still asked of next (waiters get no answer: call after
 * the HTTP side is done, while the loop still runs), closes the connection
 * and the timers, and frees the link once they are closed. NULL is a no-op. */
void cache_redis_service_free(search_service_t *svc);

/* Frees the link after the loop has stopped without cache_redis_service_free()
 * (the worker's start failed: its last walk closed the handles). */
void cache_redis_service_discard(search_service_t *svc);

/* Parses a redis.url. host gets the host or the socket path (unix); port is
 * 0 for a socket; user/password "" when absent; db 0 by default. Returns 0
 * or -1. */
int cache_redis_parse_url(const char *url, char *host, size_t hostlen, int *port, char *user,
                          size_t userlen, char *password, size_t pwlen, int *db);

/* The value stored for an answer, and back. encode returns a malloc'd
 * buffer (length in *len) or NULL. decode checks the bytes belong to key
 * and fills out with new blobs (the caller unrefs body and body_deflate);
 * returns 0 or -1 for bytes that are not a whole value for key. */
char *cache_redis_encode(const char *key, const search_reply_t *r, int64_t created_ms, size_t *len);
int cache_redis_decode(const char *key, const char *bytes, size_t len, search_reply_t *out,
                       int64_t *created_ms);

#endif
