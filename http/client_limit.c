#include "http/client_limit.h"

#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"

#define CLIENT_PROBES 16

/* Parses an address into 16 bytes; v4 and v4-mapped v6 become AF_INET. */
static int addr_parse(const char *s, size_t len, int *family, uint8_t out[16])
{
    char buf[INET6_ADDRSTRLEN + 1];
    if (len == 0 || len >= sizeof buf) return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    memset(out, 0, 16);
    if (inet_pton(AF_INET, buf, out) == 1) {
        *family = AF_INET;
        return 0;
    }
    if (inet_pton(AF_INET6, buf, out) == 1) {
        static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (memcmp(out, mapped, 12) == 0) {
            memmove(out, out + 12, 4);
            memset(out + 4, 0, 12);
            *family = AF_INET;
        } else {
            *family = AF_INET6;
        }
        return 0;
    }
    return -1;
}

int http_cidr_parse(const char *s, size_t len, http_cidr_t *c)
{
    const char *slash = memchr(s, '/', len);
    size_t alen = slash ? (size_t)(slash - s) : len;
    if (addr_parse(s, alen, &c->family, c->addr) < 0) return -1;
    int max = c->family == AF_INET ? 32 : 128;
    c->bits = max;
    if (slash) {
        const char *p = slash + 1, *end = s + len;
        if (p == end || end - p > 3) return -1;
        int bits = 0;
        for (; p < end; p++) {
            if (*p < '0' || *p > '9') return -1;
            bits = bits * 10 + (*p - '0');
        }
        if (bits > max) return -1;
        c->bits = bits;
    }
    return 0;
}

int http_cidr_list_parse(const char *list, http_cidr_t **out, size_t *n, char *err, size_t errlen)
{
    *out = NULL;
    *n = 0;
    size_t cap = 0;
    const char *p = list ? list : "";
    while (*p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        while (len && (*p == ' ' || *p == '\t')) {
            p++;
            len--;
        }
        while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        if (len) {
            if (*n == cap) {
                cap = cap ? cap * 2 : 4;
                http_cidr_t *q = realloc(*out, cap * sizeof *q);
                if (!q) goto fail;
                *out = q;
            }
            if (http_cidr_parse(p, len, &(*out)[*n]) < 0) {
                snprintf(err, errlen, "ratelimit.trusted_proxies: '%.*s' is not an address or CIDR",
                         (int)len, p);
                goto fail;
            }
            (*n)++;
        }
        if (!end) break;
        p = end + 1;
    }
    return 0;
fail:
    if (!err[0]) snprintf(err, errlen, "out of memory");
    free(*out);
    *out = NULL;
    *n = 0;
    return -1;
}

static bool cidr_match(const http_cidr_t *c, int family, const uint8_t a[16])
{
    if (c->family != family) return false;
    int full = c->bits / 8, rest = c->bits % 8;
    if (memcmp(c->addr, a, (size_t)full) != 0) return false;
    if (!rest) return true;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (c->addr[full] & mask) == (a[full] & mask);
}

bool http_cidr_match_str(const http_cidr_t *cidrs, size_t n, const char *ip, size_t len)
{
    int family;
    uint8_t a[16];
    if (addr_parse(ip, len, &family, a) < 0) return false;
    for (size_t i = 0; i < n; i++)
        if (cidr_match(&cidrs[i], family, a)) return true;
    return false;
}

/* Writes the textual form of a (v4-mapped v6 unwrapped). */
static int addr_format(int family, const uint8_t a[16], char *out, size_t outlen)
{
    return inet_ntop(family, a, out, (socklen_t)outlen) ? 0 : -1;
}

int http_client_addr(const http_req_t *req, const http_cidr_t *trusted, size_t ntrusted, char *out,
                     size_t outlen)
{
    const char *from = http_req_peer(req);
    if (!from) return -1;
    char peer[INET6_ADDRSTRLEN];
    int family;
    uint8_t a[16];
    if (addr_parse(from, strlen(from), &family, a) < 0) return -1;
    addr_format(family, a, peer, sizeof peer);
    if (!ntrusted || !http_cidr_match_str(trusted, ntrusted, peer, strlen(peer))) {
        snprintf(out, outlen, "%s", peer);
        return 0;
    }
    /* A trusted proxy: the rightmost address it was not told by another
     * trusted proxy is the client. */
    const char *xff = http_req_header(req, "x-forwarded-for");
    const char *client = NULL;
    size_t clen = 0;
    if (xff) {
        size_t end = strlen(xff);
        while (end > 0) {
            size_t start = end;
            while (start > 0 && xff[start - 1] != ',')
                start--;
            const char *e = xff + start;
            size_t len = end - start;
            while (len && (*e == ' ' || *e == '\t')) {
                e++;
                len--;
            }
            while (len && (e[len - 1] == ' ' || e[len - 1] == '\t'))
                len--;
            if (addr_parse(e, len, &family, a) < 0) break; /* garbage: stop believing */
            client = e;
            clen = len;
            if (!http_cidr_match_str(trusted, ntrusted, e, len)) break;
            end = start ? start - 1 : 0;
        }
    } else {
        const char *xri = http_req_header(req, "x-real-ip");
        if (xri && addr_parse(xri, strlen(xri), &family, a) == 0) {
            client = xri;
            clen = strlen(xri);
        }
    }
    if (client && addr_parse(client, clen, &family, a) == 0 &&
        addr_format(family, a, out, outlen) == 0)
        return 0;
    snprintf(out, outlen, "%s", peer);
    return 0;
}

void http_bucket_take(shm_client_bucket_t *b, double rate, double burst, int64_t now_ns,
                      bool consume, http_limit_verdict_t *v)
{
    if (b->refilled_ns && now_ns > b->refilled_ns) {
        b->tokens += (double)(now_ns - b->refilled_ns) / 1e9 * rate;
        if (b->tokens > burst) b->tokens = burst;
    }
    if (!b->refilled_ns || now_ns > b->refilled_ns) b->refilled_ns = now_ns;
    v->limit = (long)burst;
    v->allowed = b->tokens >= 1.0;
    if (v->allowed && consume) b->tokens -= 1.0;
    /* tokens below 0: a debt told by the instance-wide bucket (http_bucket_fold) */
    v->remaining = b->tokens > 0 ? (long)floor(b->tokens) : 0;
    v->reset_s = (long)ceil((burst - b->tokens) / rate);
    v->retry_after = v->allowed ? 0 : (long)ceil((1.0 - b->tokens) / rate);
    if (!v->allowed && v->retry_after < 1) v->retry_after = 1;
}

void http_bucket_fold(shm_client_bucket_t *b, double rate, double burst, int64_t now_ns,
                      double shared_tokens)
{
    http_limit_verdict_t v;
    http_bucket_take(b, rate, burst, now_ns, false, &v); /* refilled up to now */
    if (shared_tokens < -burst) shared_tokens = -burst;
    if (shared_tokens < b->tokens) b->tokens = shared_tokens;
}

/* The entry of client key in table, taken (full bucket) when it has none.
 * Under the table's lock. */
static shm_client_bucket_t *entry_of(shm_client_bucket_t *table, size_t nslots, uint64_t key,
                                     double rate, double burst, int64_t now_ns)
{
    size_t start = (size_t)(key % nslots);
    shm_client_bucket_t *spare = NULL, *oldest = NULL;
    for (size_t i = 0; i < CLIENT_PROBES && i < nslots; i++) {
        shm_client_bucket_t *b = &table[(start + i) % nslots];
        if (b->key == key) return b;
        if (!spare) {
            /* Free, or refilled to full by now: as good as free. */
            double t = b->tokens + (double)(now_ns - b->refilled_ns) / 1e9 * rate;
            if (b->key == 0 || t >= burst) spare = b;
        }
        if (!oldest || b->refilled_ns < oldest->refilled_ns) oldest = b;
    }
    shm_client_bucket_t *e = spare ? spare : oldest;
    e->key = key;
    e->tokens = burst;
    e->refilled_ns = now_ns;
    return e;
}

void http_client_limit(shm_client_bucket_t *table, size_t nslots, pthread_mutex_t *lock,
                       uint64_t key, double rate, double burst, int64_t now_ns, bool consume,
                       http_limit_verdict_t *v)
{
    if (lock) shm_lock(lock);
    http_bucket_take(entry_of(table, nslots, key, rate, burst, now_ns), rate, burst, now_ns,
                     consume, v);
    if (lock) shm_unlock(lock);
}

void http_client_limit_fold(shm_client_bucket_t *table, size_t nslots, pthread_mutex_t *lock,
                            uint64_t key, double rate, double burst, int64_t now_ns,
                            double shared_tokens)
{
    if (lock) shm_lock(lock);
    http_bucket_fold(entry_of(table, nslots, key, rate, burst, now_ns), rate, burst, now_ns,
                     shared_tokens);
    if (lock) shm_unlock(lock);
}

/* KEYS[1]: the client's bucket, a hash {t: tokens, at: microseconds of the
 * last refill}. ARGV: rate (tokens/s), burst, takes. Redis's own clock, so
 * that instances need no synchronised clocks. It always takes the tokens:
 * the instance has admitted the requests already; the bucket may go into debt
 * (down to -burst) so that what was admitted over the limit is paid back
 * and the long-run rate holds. It vanishes once it would be full again.
 * Returns the tokens left, in thousandths. */
const char http_client_limit_script[] =
    "if redis.replicate_commands then redis.replicate_commands() end\n"
    "local rate, burst, n = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])\n"
    "local now = redis.call('TIME')\n"
    "now = tonumber(now[1]) * 1000000 + tonumber(now[2])\n"
    "local b = redis.call('HMGET', KEYS[1], 't', 'at')\n"
    "local tokens, at = tonumber(b[1]), tonumber(b[2])\n"
    "if not tokens or not at then tokens, at = burst, now end\n"
    "if now > at then\n"
    "  tokens = math.min(burst, tokens + (now - at) * rate / 1000000)\n"
    "  at = now\n"
    "end\n"
    "tokens = math.max(tokens - n, -burst)\n"
    "redis.call('HSET', KEYS[1], 't', string.format('%.17g', tokens),\n"
    "           'at', string.format('%.17g', at))\n"
    "redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) * 1000 / rate) + 1000)\n"
    "return math.floor(tokens * 1000)\n";

int http_client_limit_share(const http_limit_shared_t *sh, const char *prefix, uint64_t key,
                            long takes, double rate, long burst, http_eval_done_fn done, void *data)
{
    char rkey[192], r[32], b[24], n[24];
    snprintf(rkey, sizeof rkey, "%srl:%016llx", prefix, (unsigned long long)key);
    snprintf(r, sizeof r, "%.9g", rate);
    snprintf(b, sizeof b, "%ld", burst);
    snprintf(n, sizeof n, "%ld", takes);
    const char *argv[] = {rkey, r, b, n};
    return sh->eval(sh->ctx, http_client_limit_script, 1, 4, argv, done, data);
}

int http_client_limit_shared_tokens(const long long *ints, int n, double *tokens)
{
    if (!ints || n < 1) return -1;
    *tokens = (double)ints[0] / 1000.0;
    return 0;
}

uint64_t http_client_key(const char *kind, const char *id, size_t len)
{
    /* FNV-1a over kind, a separator and id, then a final mix. */
    uint64_t h = fnv1a_add(fnv1a_add(fnv1a_str(kind), "\xff", 1), id, len);
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h ? h : 1;
}
