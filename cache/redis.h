/* L2: Redis, shared by every worker (and every machine) of the service.
 *
 * A tier on a Redis link of its own (cache/redis_link.h: redis.url,
 * redis.command_timeout, redis.connect_timeout). Keys are
 * <redis.key_prefix>v<N>:<hash of the query key>, where N is a version
 * kept in Redis (<prefix>version) and in each worker: DELETE of everything
 * is a bump of N, so old bytes are never read again. Redis down, slow,
 * frozen or restarting: the tier is bypassed (fail open).
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
#include "cache/redis_link.h"
#include "core/config.h"
#include "core/search_service.h"

/* A link in front of next using cfg->redis and cfg->cache (ttl,
 * stale_grace, gzip, warm_*). It starts connecting at once; until the
 * connection is ready requests go straight to next. cfg must outlive the
 * link. Returns NULL when out of memory or when redis.url is empty or
 * unreadable (the reason is logged). */
search_service_t *cache_redis_service(search_service_t *next, uv_loop_t *loop,
                                      const sf_config_t *cfg);

/* The tier's link (for the client rate limit's scripts on the same
 * connection). */
cache_redis_link_t *cache_redis_link_of(search_service_t *svc);

/* Hooks for the tier above (L1 of this worker): flush runs when the
 * version changed (another worker or machine deleted everything), drop
 * runs with a query key deleted elsewhere. Either may be NULL. */
void cache_redis_set_hooks(search_service_t *svc, void (*flush)(void *ctx),
                           void (*drop)(void *ctx, const char *key), void *ctx);

/* "ok" when the connection is ready, "degraded" otherwise (the service
 * answers without L2): what /health/ready reports for Redis. */
const char *cache_redis_state(search_service_t *svc);

/* The counters, the link's failures included; bytes = bytes written. */
cache_stats_t cache_redis_stats(search_service_t *svc);

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

/* The value stored for an answer, and back. encode returns a malloc'd
 * buffer (length in *len) or NULL. decode checks the bytes belong to key
 * and fills out with new blobs (the caller unrefs body and body_deflate)
 * and the answer's facts (partial, total, took_ms); returns 0, 1 for a
 * value of the format before the facts were carried ("SFC1": a miss, the
 * answer is computed again and stored anew), or -1 for bytes that are not
 * a whole value for key. */
char *cache_redis_encode(const char *key, const search_reply_t *r, int64_t created_ms, size_t *len);
int cache_redis_decode(const char *key, const char *bytes, size_t len, search_reply_t *out,
                       int64_t *created_ms);

#endif
