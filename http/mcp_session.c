#include "http/mcp_session.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "core/shm.h"

#define PAYLOAD_LEN 28

static int key_of(const char *secret, const void **key, size_t *len)
{
    if (secret && *secret) {
        *key = secret;
        *len = strlen(secret);
        return 0;
    }
    return shm_signing_key(key, len);
}

static int mac_hex(const char *secret, const char *payload, char out[33])
{
    const void *key;
    size_t klen;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (key_of(secret, &key, &klen) < 0) return -1;
    if (!HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)payload, PAYLOAD_LEN, md,
              &mdlen) ||
        mdlen < 16)
        return -1;
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 16; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[32] = '\0';
    return 0;
}

int http_mcp_session_new(const char *secret, int version, int64_t now_s, char *out)
{
    uint64_t nonce = 0;
    while (nonce == 0) /* 0 marks a free slot of the ended table */
        if (getrandom(&nonce, sizeof nonce, 0) != (ssize_t)sizeof nonce) return -1;
    snprintf(out, PAYLOAD_LEN + 1, "%02x%010llx%016llx", (unsigned)version & 0xff,
             (unsigned long long)now_s & 0xffffffffffull, (unsigned long long)nonce);
    return mac_hex(secret, out, out + PAYLOAD_LEN);
}

static bool all_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return false;
    return true;
}

static uint64_t hex_at(const char *s, size_t n)
{
    char buf[20];
    memcpy(buf, s, n);
    buf[n] = '\0';
    return strtoull(buf, NULL, 16);
}

/* A nonce lives in one of the PROBES slots from nonce % SHM_MCP_ENDED: a
 * check costs a few loads, not a walk of the table. */
#define PROBES 16

static bool ended(uint64_t nonce, int64_t now_s)
{
    shm_region_t *r = shm_get();
    if (!r) return false;
    bool found = false;
    shm_lock(&r->mcp.lock);
    for (size_t k = 0; k < PROBES && !found; k++) {
        size_t i = (size_t)((nonce + k) % SHM_MCP_ENDED);
        found = r->mcp.ended[i] == nonce && r->mcp.ended_until_s[i] >= now_s;
    }
    shm_unlock(&r->mcp.lock);
    return found;
}

int http_mcp_session_check(const char *secret, const char *id, int64_t now_s, int64_t ttl_s,
                           http_mcp_session_t *s)
{
    char mac[33];
    if (!id || strlen(id) != HTTP_MCP_SESSION_LEN || !all_hex(id, HTTP_MCP_SESSION_LEN)) return -1;
    if (mac_hex(secret, id, mac) < 0 || CRYPTO_memcmp(mac, id + PAYLOAD_LEN, 32) != 0) return -1;
    s->version = (int)hex_at(id, 2);
    s->issued_s = (int64_t)hex_at(id + 2, 10);
    s->nonce = hex_at(id + 12, 16);
    if (s->issued_s + ttl_s < now_s || s->issued_s > now_s + 300) return -2;
    if (ended(s->nonce, now_s)) return -2;
    return 0;
}

void http_mcp_session_end(const http_mcp_session_t *s, int64_t ttl_s, int64_t now_s)
{
    shm_region_t *r = shm_get();
    if (!r) return;
    int64_t until = s->issued_s + ttl_s;
    shm_lock(&r->mcp.lock);
    /* Of its slots: a free or expired one, else the one that expires first
     * (whose session is then valid again: a table too small for the
     * sessions ended within a TTL forgets the oldest). */
    size_t pick = (size_t)(s->nonce % SHM_MCP_ENDED);
    for (size_t k = 0; k < PROBES; k++) {
        size_t i = (size_t)((s->nonce + k) % SHM_MCP_ENDED);
        if (r->mcp.ended[i] == 0 || r->mcp.ended_until_s[i] < now_s ||
            r->mcp.ended[i] == s->nonce) {
            pick = i;
            break;
        }
        if (r->mcp.ended_until_s[i] < r->mcp.ended_until_s[pick]) pick = i;
    }
    r->mcp.ended[pick] = s->nonce;
    r->mcp.ended_until_s[pick] = until;
    shm_unlock(&r->mcp.lock);
}
