/* A Redis link: one hiredis async connection on a worker's libuv loop, for
 * whoever needs Redis (the L2 tier, cache/redis.h; the client rate limit
 * across instances, http/client_limit.h).
 *
 * Configured by redis.url (redis://[user:password@]host:port/db, or
 * unix:///path/to/socket), redis.command_timeout and redis.connect_timeout.
 * The link is a state machine: connecting (connect_timeout armed),
 * handshake (AUTH, SELECT, then the owner's ready command), ready, backoff
 * (dropped: waits with backoff and jitter, then connects again), closed.
 *
 * hiredis 0.14 has no command timeouts: every command here has a uv_timer
 * deadline, and a late reply is dropped. After repeated deadlines in a row
 * the connection is dropped (frozen or stuck, hiredis#538) and made again. */
#ifndef SF_CACHE_REDIS_LINK_H
#define SF_CACHE_REDIS_LINK_H

#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "core/config.h"

typedef struct cache_redis_link cache_redis_link_t;

/* A command's answer: r is the reply (hiredis's, valid during the call),
 * NULL when the link failed or the deadline came first. owner is the
 * hooks' owner. */
typedef void (*cache_redis_reply_fn)(void *owner, redisReply *r, void *data);

/* What the link's owner is told. Every field may be 0 / NULL. */
typedef struct cache_redis_link_hooks {
    void *owner;
    /* The handshake's last command (after AUTH and SELECT), at most 4
     * arguments, the strings kept by the owner; argc 0: PING. The link is
     * ready at its answer when ready(owner, r) returns NULL, else dropped
     * with the reason returned. ready NULL: any reply that is not an error. */
    int ready_argc;
    const char *ready_argv[4];
    const char *(*ready)(void *owner, redisReply *r);
    /* Runs when the link becomes ready, then once a second while it is. */
    void (*tick)(void *owner);
} cache_redis_link_hooks_t;

/* Counters of the link. */
typedef struct cache_redis_link_stats {
    uint64_t errors;   /* connects failed, connections lost, error replies, deadlines */
    uint64_t timeouts; /* of which command deadlines */
} cache_redis_link_stats_t;

/* Starts a link on cfg->redis (cfg must outlive it); hooks is copied (NULL:
 * none). Until it is ready commands are refused. Returns NULL when out of
 * memory or when redis.url is empty or unreadable (the reason is logged). */
cache_redis_link_t *cache_redis_link_new(uv_loop_t *loop, const sf_config_t *cfg,
                                         const cache_redis_link_hooks_t *hooks);

/* Is the link ready (commands flow)? */
bool cache_redis_link_ready(const cache_redis_link_t *link);

/* "ok" when ready, "degraded" otherwise: what /health/ready reports. */
const char *cache_redis_link_state(const cache_redis_link_t *link);

cache_redis_link_stats_t cache_redis_link_stats(const cache_redis_link_t *link);

/* Sends a command (argvlen NULL: NUL-terminated arguments, at most 16) with
 * the deadline redis.command_timeout. fn(owner, reply, data) runs exactly
 * once, later (NULL on failure), unless this returns -1 (the link is not
 * ready, or out of memory): then fn is never called. fn may be NULL. */
int cache_redis_link_send(cache_redis_link_t *link, cache_redis_reply_fn fn, void *data, int argc,
                          const char **argv, const size_t *argvlen);

/* The integers of a script's reply (an integer reply is one, an array gives
 * its leading integers, at most 8), or ints NULL and n -1 when Redis
 * failed, answered an error or missed the deadline. */
typedef void (*cache_redis_eval_fn)(void *data, const long long *ints, int n);

/* Runs a Lua script on link (a cache_redis_link_t: void * for the shape of
 * http_limit_shared_t.eval) with nkeys keys first among its argc (at most 8)
 * arguments, under the same deadline as every command. The script is known
 * by its address (pass a static string): EVALSHA once SCRIPT LOAD told its
 * SHA1, EVAL before, and EVAL again when Redis answers NOSCRIPT (restarted,
 * flushed). done(data, ...) runs exactly once, later, unless this returns -1
 * (the link is not ready, or out of memory): then done is never called. */
int cache_redis_eval(void *link, const char *script, int nkeys, int argc, const char **argv,
                     cache_redis_eval_fn done, void *data);

/* Closes the connection for good (drain): its commands fail (their
 * callbacks run now, with NULL). Idempotent. */
void cache_redis_link_close(cache_redis_link_t *link);

/* Closes the link and frees it once its timer is closed. NULL is a no-op. */
void cache_redis_link_free(cache_redis_link_t *link);

/* Frees the link after the loop has stopped without cache_redis_link_free()
 * (the worker's start failed: its last walk closed the handles). */
void cache_redis_link_discard(cache_redis_link_t *link);

/* Parses a redis.url. host gets the host or the socket path (unix); port is
 * 0 for a socket; user/password "" when absent; db 0 by default. Returns 0
 * or -1. */
int cache_redis_parse_url(const char *url, char *host, size_t hostlen, int *port, char *user,
                          size_t userlen, char *password, size_t pwlen, int *db);

#endif
