#include "http/auth.h"

#include <ctype.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/sha256.h"

struct http_auth {
    api_key_t *keys;
    size_t n, cap;
};

int http_auth_add_key(http_auth_t *a, const api_key_t *k)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 8;
        api_key_t *p = realloc(a->keys, cap * sizeof *p);
        if (!p) return -1;
        a->keys = p;
        a->cap = cap;
    }
    a->keys[a->n++] = *k;
    return 0;
}

/* Adds "hash" + scopes. Returns 0 or -1 (bad hash, bad scopes, no memory). */
static int add_key(http_auth_t *a, const char *hash, size_t hlen, const char *scopes, size_t slen,
                   long per_minute)
{
    api_key_t k;
    if (api_key_from_text(&k, hash, hlen, scopes, slen, per_minute) < 0) return -1;
    return http_auth_add_key(a, &k);
}

int http_auth_add(http_auth_t *a, const char *sha256hex, const char *scopes, long per_minute)
{
    return add_key(a, sha256hex, strlen(sha256hex), scopes, strlen(scopes), per_minute);
}

http_auth_t *http_auth_from_keys(const api_key_t *keys, size_t n)
{
    http_auth_t *a = calloc(1, sizeof *a);
    for (size_t i = 0; a && i < n; i++)
        if (http_auth_add_key(a, &keys[i]) < 0) {
            http_auth_free(a);
            a = NULL;
        }
    return a;
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
            if (!colon || add_key(a, e, (size_t)(colon - e), colon + 1,
                                  len - (size_t)(colon - e) - 1, 0) < 0) {
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
        if (add_key(a, s, h, sc, sclen, 0) < 0) {
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
    sha256_digest(key, len, h);
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
