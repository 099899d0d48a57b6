/* Client rate limit: a token bucket per client for the whole worker group,
 * in the shared-memory region (core/shm.h clients[], one robust mutex).
 *
 * A client is its API key when it presents a valid one, else its address.
 * The address is the peer's, unless the peer is a trusted proxy
 * (ratelimit.trusted_proxies, CIDRs): then X-Forwarded-For is read from the
 * right, skipping trusted hops, and the first untrusted address is the
 * client (X-Real-IP when there is no X-Forwarded-For).
 *
 * The table is a fixed open-addressing hash (SHM_CLIENT_BUCKETS entries,
 * probing CLIENT_PROBES slots). A full bucket is the same as no bucket, so
 * an entry whose bucket has refilled is free for another client; when all
 * probed entries are busy the least recently refilled one is taken over
 * (that client starts again with a full bucket: the table never refuses). */
#ifndef SF_HTTP_CLIENT_LIMIT_H
#define SF_HTTP_CLIENT_LIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/shm.h"
#include "http/request.h"

typedef struct http_cidr {
    int family; /* AF_INET or AF_INET6 */
    uint8_t addr[16];
    int bits;
} http_cidr_t;

/* Parses "10.0.0.0/8", "::1", "192.168.1.7" (a host). Returns 0 or -1. */
int http_cidr_parse(const char *s, size_t len, http_cidr_t *c);

/* Parses a comma-separated list into a malloc'd array. Returns 0 (*out may
 * be NULL when the list is empty), or -1 with the bad entry named in err. */
int http_cidr_list_parse(const char *list, http_cidr_t **out, size_t *n, char *err, size_t errlen);

/* Does the textual address ip (v4, v6, v4-mapped v6) fall in one of the
 * ranges? */
bool http_cidr_match_str(const http_cidr_t *cidrs, size_t n, const char *ip, size_t len);

/* Writes the client's address into out (INET6_ADDRSTRLEN bytes), following
 * trusted proxies as described above. Returns 0 or -1 (no peer address). */
int http_client_addr(const http_req_t *req, const http_cidr_t *trusted, size_t ntrusted, char *out,
                     size_t outlen);

typedef struct http_limit_verdict {
    bool allowed;
    long limit;       /* RateLimit-Limit: the burst */
    long remaining;   /* RateLimit-Remaining: whole tokens left */
    long reset_s;     /* RateLimit-Reset: seconds until the bucket is full */
    long retry_after; /* seconds until one token (when refused) */
} http_limit_verdict_t;

/* One bucket: refills at rate tokens/s up to burst, then takes a token when
 * consume is set and one is there. Pure, for the table and the tests. */
void http_bucket_take(shm_client_bucket_t *b, double rate, double burst, int64_t now_ns,
                      bool consume, http_limit_verdict_t *v);

/* Takes (consume) or looks at the bucket of client key (nonzero hash) in
 * table (nslots entries) under lock (NULL: no lock, tests). */
void http_client_limit(shm_client_bucket_t *table, size_t nslots, pthread_mutex_t *lock,
                       uint64_t key, double rate, double burst, int64_t now_ns, bool consume,
                       http_limit_verdict_t *v);

/* The same, and then lowers the bucket to shared_tokens (the instance-wide
 * bucket's tokens, told by Redis) when that is less: a client spread over
 * several instances is refused here too. shared_tokens may be negative (a
 * debt, floored at -burst): then more than one token's time passes before
 * the next request. */
void http_bucket_fold(shm_client_bucket_t *b, double rate, double burst, int64_t now_ns,
                      double shared_tokens);

/* http_bucket_fold() on client key's bucket in table, under lock (NULL: no
 * lock). A client without an entry gets one. */
void http_client_limit_fold(shm_client_bucket_t *table, size_t nslots, pthread_mutex_t *lock,
                            uint64_t key, double rate, double burst, int64_t now_ns,
                            double shared_tokens);

/* ---- across instances: the same bucket in Redis ---------------------------
 *
 * Each request admitted here is also taken, asynchronously, from the
 * client's bucket in Redis (<redis.key_prefix>rl:<key as 16 hex digits>),
 * by one atomic Lua script on Redis's clock; the tokens it leaves are
 * folded into this group's bucket (http_client_limit_fold). No request
 * waits for Redis; over-admission is bounded by what each instance admits
 * while its verdicts are in flight (docs/operations-metrics.md). */

/* What the script's reply becomes (cache_redis_eval_fn's shape): integers,
 * or ints NULL and n -1 on failure. */
typedef void (*http_eval_done_fn)(void *data, const long long *ints, int n);

/* Where scripts run, as main.c wires it (cache_redis_eval on a Redis link).
 * eval returns 0 when done will be called, -1 when it will not. */
typedef struct http_limit_shared {
    void *ctx;
    int (*eval)(void *ctx, const char *script, int nkeys, int argc, const char **argv,
                http_eval_done_fn done, void *data);
} http_limit_shared_t;

/* The token-bucket script (takes tokens; returns the tokens left x 1000). */
extern const char http_client_limit_script[];

/* Sends takes (admitted requests) of client key to the instance-wide
 * bucket. Returns eval's answer: 0 (done runs later) or -1. */
int http_client_limit_share(const http_limit_shared_t *sh, const char *prefix, uint64_t key,
                            long takes, double rate, long burst, http_eval_done_fn done,
                            void *data);

/* Reads the script's reply: the tokens left. Returns 0, or -1 for a failed
 * call. */
int http_client_limit_shared_tokens(const long long *ints, int n, double *tokens);

/* A 64-bit hash of a client's identity (never 0). */
uint64_t http_client_key(const char *kind, const char *id, size_t len);

#endif
