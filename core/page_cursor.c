#include "core/page_cursor.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/sha256.h"

/* The key next_cursor is signed with. Cursors are written into cached
 * answers, which outlive a restart and are shared through Redis and
 * PostgreSQL by every instance, so the key must be the same for all of
 * them: mcp.session_secret when set, else a fixed key. A fixed key makes
 * the signature a checksum, not a secret; that is enough while a cursor
 * stands only for an offset the client may ask for anyway. */
#define CURSOR_SECRET_BUILTIN "scifind next_cursor v1"
static char cursor_secret[256] = CURSOR_SECRET_BUILTIN;

void page_cursor_set_secret(const char *secret)
{
    snprintf(cursor_secret, sizeof cursor_secret, "%s",
             secret && *secret ? secret : CURSOR_SECRET_BUILTIN);
}

/* Binary form: version, query hash (16), expires_ms (8, big-endian),
 * consumed (4), then per provider in source order: a flag byte (bit 0
 * has_pos, bit 1 done) and, with has_pos, a 2-byte length and the bytes;
 * last the first MAC_LEN bytes of HMAC-SHA256 over all that. */
#define CURSOR_VERSION 1
#define MAC_LEN 16
#define BIN_MAX ((PAGE_CURSOR_TEXT_MAX - 1) / 4 * 3)

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

const char *page_cursor_status_text(page_cursor_status_t s)
{
    switch (s) {
    case PAGE_CURSOR_OK:
        return "valid";
    case PAGE_CURSOR_MALFORMED:
        return "parameter 'cursor' is malformed";
    case PAGE_CURSOR_TAMPERED:
        return "parameter 'cursor' has a bad signature";
    case PAGE_CURSOR_EXPIRED:
        return "parameter 'cursor' has expired; start again without it";
    case PAGE_CURSOR_OTHER_QUERY:
        return "parameter 'cursor' was made for another query";
    case PAGE_CURSOR_WITH_OFFSET:
        return "parameter 'cursor' cannot be given with 'offset'";
    }
    return "parameter 'cursor' is invalid";
}

void page_cursor_query_hash(const char *query_key, unsigned char out[16])
{
    unsigned char h[32];
    sha256_digest(query_key, strlen(query_key), h);
    memcpy(out, h, 16);
}

static void mac(const void *secret, size_t secret_len, const unsigned char *data, size_t len,
                unsigned char out[MAC_LEN])
{
    unsigned char full[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    HMAC(EVP_sha256(), secret, (int)secret_len, data, len, full, &n);
    memcpy(out, full, MAC_LEN);
}

static void put_be(unsigned char *p, uint64_t v, int bytes)
{
    for (int i = bytes - 1; i >= 0; i--, v >>= 8)
        p[i] = (unsigned char)v;
}

static uint64_t get_be(const unsigned char *p, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++)
        v = v << 8 | p[i];
    return v;
}

int page_cursor_encode(const page_cursor_t *c, const void *secret, size_t secret_len,
                       char out[PAGE_CURSOR_TEXT_MAX])
{
    unsigned char bin[BIN_MAX];
    size_t n = 0;
    bin[n++] = CURSOR_VERSION;
    memcpy(bin + n, c->query_hash, 16);
    n += 16;
    put_be(bin + n, (uint64_t)c->expires_ms, 8);
    n += 8;
    put_be(bin + n, c->consumed, 4);
    n += 4;
    for (int s = 0; s < SRC_COUNT; s++) {
        size_t plen = c->prov[s].has_pos ? strlen(c->prov[s].pos) : 0;
        if (plen > PAGE_CURSOR_POS_MAX || n + 3 + plen + MAC_LEN > sizeof bin) return -1;
        bin[n++] = (unsigned char)((c->prov[s].has_pos ? 1 : 0) | (c->prov[s].done ? 2 : 0));
        if (c->prov[s].has_pos) {
            put_be(bin + n, plen, 2);
            memcpy(bin + n + 2, c->prov[s].pos, plen);
            n += 2 + plen;
        }
    }
    mac(secret, secret_len, bin, n, bin + n);
    n += MAC_LEN;
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)bin[i] << 16;
        size_t k = n - i < 3 ? n - i : 3;
        if (k > 1) v |= (uint32_t)bin[i + 1] << 8;
        if (k > 2) v |= bin[i + 2];
        for (size_t j = 0; j <= k; j++)
            out[o++] = b64url[(v >> (18 - 6 * j)) & 63];
    }
    out[o] = '\0';
    return (int)o;
}

static int b64url_value(char ch)
{
    const char *p = ch ? strchr(b64url, ch) : NULL;
    return p ? (int)(p - b64url) : -1;
}

/* Returns the number of bytes decoded, or -1. */
static long b64url_decode(const char *s, size_t len, unsigned char *out, size_t cap)
{
    if (len % 4 == 1) return -1;
    size_t o = 0;
    for (size_t i = 0; i < len; i += 4) {
        size_t k = len - i < 4 ? len - i : 4;
        uint32_t v = 0;
        for (size_t j = 0; j < 4; j++) {
            int d = j < k ? b64url_value(s[i + j]) : 0;
            if (d < 0) return -1;
            v = v << 6 | (uint32_t)d;
        }
        for (size_t j = 0; j + 1 < k; j++) {
            if (o >= cap) return -1;
            out[o++] = (unsigned char)(v >> (16 - 8 * j));
        }
    }
    return (long)o;
}

page_cursor_status_t page_cursor_decode(const char *s, size_t len, const void *secret,
                                        size_t secret_len, const unsigned char want_hash[16],
                                        int64_t now_ms, page_cursor_t *c)
{
    unsigned char bin[BIN_MAX], want_mac[MAC_LEN];
    if (len == 0 || len >= PAGE_CURSOR_TEXT_MAX) return PAGE_CURSOR_MALFORMED;
    long got = b64url_decode(s, len, bin, sizeof bin);
    if (got < 1 + 16 + 8 + 4 + SRC_COUNT + MAC_LEN || bin[0] != CURSOR_VERSION)
        return PAGE_CURSOR_MALFORMED;
    size_t n = (size_t)got - MAC_LEN;
    mac(secret, secret_len, bin, n, want_mac);
    if (CRYPTO_memcmp(want_mac, bin + n, MAC_LEN) != 0) return PAGE_CURSOR_TAMPERED;
    memset(c, 0, sizeof *c);
    size_t p = 1;
    memcpy(c->query_hash, bin + p, 16);
    p += 16;
    c->expires_ms = (int64_t)get_be(bin + p, 8);
    p += 8;
    c->consumed = (uint32_t)get_be(bin + p, 4);
    p += 4;
    for (int i = 0; i < SRC_COUNT; i++) {
        if (p >= n || bin[p] > 3) return PAGE_CURSOR_MALFORMED;
        c->prov[i].has_pos = bin[p] & 1;
        c->prov[i].done = (bin[p] & 2) != 0;
        p++;
        if (c->prov[i].has_pos) {
            if (p + 2 > n) return PAGE_CURSOR_MALFORMED;
            size_t plen = (size_t)get_be(bin + p, 2);
            p += 2;
            if (plen > PAGE_CURSOR_POS_MAX || p + plen > n || memchr(bin + p, 0, plen))
                return PAGE_CURSOR_MALFORMED;
            memcpy(c->prov[i].pos, bin + p, plen);
            c->prov[i].pos[plen] = '\0';
            p += plen;
        }
    }
    if (p != n) return PAGE_CURSOR_MALFORMED;
    if (memcmp(c->query_hash, want_hash, 16) != 0) return PAGE_CURSOR_OTHER_QUERY;
    if (now_ms >= c->expires_ms) return PAGE_CURSOR_EXPIRED;
    return PAGE_CURSOR_OK;
}

int page_cursor_hash_of_query(const query_t *q, arena_t *a, unsigned char out[16])
{
    query_t first = *q;
    first.offset = 0;
    first.cursor = NULL;
    char *key = query_key(&first, a);
    if (!key) return -1;
    page_cursor_query_hash(key, out);
    return 0;
}

page_cursor_status_t page_cursor_apply(query_t *q, arena_t *a)
{
    if (!q->cursor) return PAGE_CURSOR_OK;
    if (q->offset) return PAGE_CURSOR_WITH_OFFSET;
    unsigned char want[16];
    page_cursor_t c;
    if (page_cursor_hash_of_query(q, a, want) < 0) return PAGE_CURSOR_MALFORMED;
    page_cursor_status_t st = page_cursor_decode(q->cursor, strlen(q->cursor), cursor_secret,
                                                 strlen(cursor_secret), want, clock_wall_ms(), &c);
    if (st != PAGE_CURSOR_OK) return st;
    if (c.consumed > QUERY_MAX_OFFSET) return PAGE_CURSOR_MALFORMED;
    q->offset = (int)c.consumed;
    return PAGE_CURSOR_OK;
}

int page_cursor_next(const query_t *q, size_t shown, size_t total, arena_t *a,
                     char out[PAGE_CURSOR_TEXT_MAX])
{
    size_t next = (size_t)q->offset + shown;
    if (shown == 0 || next >= total || next > QUERY_MAX_OFFSET) return 0;
    page_cursor_t c;
    memset(&c, 0, sizeof c);
    if (page_cursor_hash_of_query(q, a, c.query_hash) < 0) return -1;
    /* rounded up to a whole PAGE_CURSOR_EXPIRY_STEP_MS: the same page
     * asked twice within a step is the same body (ETag, the gzip copy) */
    int64_t until = clock_wall_ms() + PAGE_CURSOR_TTL_MS;
    c.expires_ms = (until / PAGE_CURSOR_EXPIRY_STEP_MS + 1) * PAGE_CURSOR_EXPIRY_STEP_MS;
    c.consumed = (uint32_t)next;
    return page_cursor_encode(&c, cursor_secret, strlen(cursor_secret), out) < 0 ? -1 : 1;
}
