#include "http/auth.h"

#include <ctype.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct auth_key {
    unsigned char hash[32];
    unsigned scopes;
    long per_minute; /* its own rate limit; 0: the configured one */
} auth_key_t;

struct http_auth {
    auth_key_t *keys;
    size_t n, cap;
};

void http_auth_sha256_hex(const void *data, size_t len, char out[65])
{
    static const char digits[] = "0123456789abcdef";
    unsigned char h[32];
    SHA256(data, len, h);
    for (int i = 0; i < 32; i++) {
        out[2 * i] = digits[h[i] >> 4];
        out[2 * i + 1] = digits[h[i] & 15];
    }
    out[64] = '\0';
}

int http_auth_parse_scopes(const char *s, size_t len, unsigned *out)
{
    unsigned scopes = 0;
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && s[j] != '+' && s[j] != ',')
            j++;
        size_t n = j - i;
        if (n == 4 && strncmp(s + i, "read", 4) == 0)
            scopes |= HTTP_SCOPE_READ;
        else if (n == 5 && strncmp(s + i, "admin", 5) == 0)
            scopes |= HTTP_SCOPE_ADMIN | HTTP_SCOPE_READ;
        else
            return -1;
        i = j + 1;
    }
    if (!scopes) return -1;
    *out = scopes;
    return 0;
}

static int unhex(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    c = (char)tolower((unsigned char)c);
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

/* Adds "hash" + scopes. Returns 0 or -1 (bad hash, bad scopes, no memory). */
static int add_key(http_auth_t *a, const char *hash, size_t hlen, const char *scopes, size_t slen)
{
    auth_key_t k;
    if (hlen != 64) return -1;
    for (int i = 0; i < 32; i++) {
        int hi = unhex(hash[2 * i]), lo = unhex(hash[2 * i + 1]);
        if (hi < 0 || lo < 0) return -1;
        k.hash[i] = (unsigned char)(hi << 4 | lo);
    }
    if (http_auth_parse_scopes(scopes, slen, &k.scopes) < 0) return -1;
    k.per_minute = 0;
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 8;
        auth_key_t *p = realloc(a->keys, cap * sizeof *p);
        if (!p) return -1;
        a->keys = p;
        a->cap = cap;
    }
    a->keys[a->n++] = k;
    return 0;
}

int http_auth_add(http_auth_t *a, const char *sha256hex, const char *scopes, long per_minute)
{
    if (per_minute < 0 || add_key(a, sha256hex, strlen(sha256hex), scopes, strlen(scopes)) < 0)
        return -1;
    a->keys[a->n - 1].per_minute = per_minute;
    return 0;
}

static void trim(const char **s, size_t *len)
{
    while (*len && isspace((unsigned char)**s)) {
        (*s)++;
        (*len)--;
    }
    while (*len && isspace((unsigned char)(*s)[*len - 1]))
        (*len)--;
}

static int load_list(http_auth_t *a, const char *list, char *err, size_t errlen)
{
    const char *p = list;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *e = p;
        trim(&e, &len);
        if (len) {
            const char *colon = memchr(e, ':', len);
            if (!colon ||
                add_key(a, e, (size_t)(colon - e), colon + 1, len - (size_t)(colon - e) - 1) < 0) {
                snprintf(
                    err, errlen,
                    "auth.keys: entry %zu is not sha256hex:scope[+scope] (scopes: read, admin)",
                    a->n + 1);
                return -1;
            }
        }
        if (!end) break;
        p = end + 1;
    }
    return 0;
}

static int load_file(http_auth_t *a, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "re");
    if (!f) {
        snprintf(err, errlen, "auth.keys_file: cannot open '%s': %s", path, strerror(errno));
        return -1;
    }
    char line[1024];
    int lineno = 0, rc = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash) *hash = '\0';
        const char *s = line;
        size_t len = strlen(line);
        trim(&s, &len);
        if (!len) continue;
        size_t h = 0;
        while (h < len && !isspace((unsigned char)s[h]))
            h++;
        const char *sc = s + h;
        size_t sclen = len - h;
        trim(&sc, &sclen);
        if (add_key(a, s, h, sc, sclen) < 0) {
            snprintf(err, errlen,
                     "auth.keys_file: %s line %d is not 'sha256hex scope[,scope]' (scopes: read, "
                     "admin)",
                     path, lineno);
            rc = -1;
            break;
        }
    }
    fclose(f);
    return rc;
}

http_auth_t *http_auth_new(const char *keys, const char *keys_file, char *err, size_t errlen)
{
    http_auth_t *a = calloc(1, sizeof *a);
    if (!a) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if ((keys && *keys && load_list(a, keys, err, errlen) < 0) ||
        (keys_file && *keys_file && load_file(a, keys_file, err, errlen) < 0)) {
        http_auth_free(a);
        return NULL;
    }
    return a;
}

void http_auth_free(http_auth_t *a)
{
    if (!a) return;
    if (a->keys) OPENSSL_cleanse(a->keys, a->cap * sizeof *a->keys);
    free(a->keys);
    free(a);
}

size_t http_auth_count(const http_auth_t *a)
{
    return a ? a->n : 0;
}

unsigned http_auth_lookup(const http_auth_t *a, const char *key, size_t len, long *per_minute)
{
    if (per_minute) *per_minute = 0;
    if (!a || !a->n || !key || !len) return 0;
    unsigned char h[32];
    SHA256((const unsigned char *)key, len, h);
    unsigned scopes = 0;
    unsigned long rate = 0;
    /* Every stored key is compared, each in constant time. */
    for (size_t i = 0; i < a->n; i++) {
        unsigned match = (unsigned)(CRYPTO_memcmp(h, a->keys[i].hash, 32) == 0);
        scopes |= a->keys[i].scopes & (0u - match);
        rate |= (unsigned long)a->keys[i].per_minute & (0ul - match);
    }
    if (per_minute) *per_minute = (long)rate;
    return scopes;
}

unsigned http_auth_check(const http_auth_t *a, const char *key, size_t len)
{
    return http_auth_lookup(a, key, len, NULL);
}

const char *http_auth_key_of(const http_req_t *req, size_t *len)
{
    const char *v = http_req_header(req, "authorization");
    if (v && strncasecmp(v, "Bearer ", 7) == 0) {
        v += 7;
        while (*v == ' ')
            v++;
        *len = strlen(v);
        return *len ? v : NULL;
    }
    v = http_req_header(req, "x-api-key");
    if (v && *v) {
        *len = strlen(v);
        return v;
    }
    *len = 0;
    return NULL;
}
