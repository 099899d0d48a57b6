#include "http/trace.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "core/escape.h"
#include "http/put.h"

static int hexval(char c)
{
    return c >= 'A' && c <= 'F' ? -1 : hex_digit(c); /* uppercase is invalid in traceparent */
}

/* n lowercase hex digits, not all zeros when nonzero is set. */
static bool hex_field(const char *s, size_t n, bool nonzero)
{
    bool any = false;
    for (size_t i = 0; i < n; i++) {
        int v = hexval(s[i]);
        if (v < 0) return false;
        if (v) any = true;
    }
    return any || !nonzero;
}

int http_trace_parse(const char *s, size_t len, http_trace_t *t)
{
    if (!s || len < HTTP_TRACEPARENT_LEN) return -1;
    if (!hex_field(s, 2, false) || (s[0] == 'f' && s[1] == 'f')) return -1;
    bool v00 = s[0] == '0' && s[1] == '0';
    if (v00 ? len != HTTP_TRACEPARENT_LEN : (len > HTTP_TRACEPARENT_LEN && s[55] != '-')) return -1;
    if (s[2] != '-' || s[35] != '-' || s[52] != '-') return -1;
    if (!hex_field(s + 3, 32, true) || !hex_field(s + 36, 16, true) || !hex_field(s + 53, 2, false))
        return -1;
    memcpy(t->trace_id, s + 3, 32);
    t->trace_id[32] = '\0';
    memcpy(t->parent_id, s + 36, 16);
    t->parent_id[16] = '\0';
    t->flags = (uint8_t)(hexval(s[53]) << 4 | hexval(s[54]));
    return 0;
}

/* A source of random 64-bit words. */
typedef uint64_t (*rand64_fn)(void *ctx);

/* From the kernel (tests and callers without a server); a clock-and-pid
 * mix if it has none. */
static uint64_t kernel_rand64(void *ctx)
{
    (void)ctx;
    uint64_t x;
    if (getrandom(&x, sizeof x, GRND_NONBLOCK) == (ssize_t)sizeof x) return x;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32) ^ ((uint64_t)getpid() << 16);
    x ^= x << 13;
    x ^= x >> 7;
    return x ^ (x << 17);
}

/* From the server's generator (seeded by the kernel once per worker): a
 * request's ids cost no system call. A request on no connection (tests)
 * asks the kernel. */
static uint64_t server_rand64(void *req)
{
    uint64_t x;
    return http_req_random64(req, &x) ? x : kernel_rand64(NULL);
}

static void random_hex(char *out, size_t nbytes, rand64_fn rand64, void *ctx)
{
    static const char digits[] = "0123456789abcdef";
    uint64_t w[2], any;
    size_t nwords = (nbytes + 7) / 8;
    do { /* all zeros is invalid */
        any = 0;
        for (size_t i = 0; i < nwords; i++)
            any |= w[i] = rand64(ctx);
    } while (!any);
    for (size_t i = 0; i < nbytes; i++) {
        unsigned char b = (unsigned char)(w[i / 8] >> (8 * (i % 8)));
        out[2 * i] = digits[b >> 4];
        out[2 * i + 1] = digits[b & 15];
    }
    out[2 * nbytes] = '\0';
}

static void trace_start(http_trace_t *t, rand64_fn rand64, void *ctx)
{
    random_hex(t->trace_id, 16, rand64, ctx);
    random_hex(t->parent_id, 8, rand64, ctx);
    t->flags = 0;
}

void http_trace_start(http_trace_t *t)
{
    trace_start(t, kernel_rand64, NULL);
}

void http_trace_new_span(http_trace_t *t)
{
    random_hex(t->parent_id, 8, kernel_rand64, NULL);
}

/* By hand, not snprintf: every answer carries one (http/put.h). */
void http_trace_format(const http_trace_t *t, char out[HTTP_TRACEPARENT_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    char *d = HTTP_PUT_LIT(out, "00-");
    d = http__put(d, t->trace_id, 32);
    *d++ = '-';
    d = http__put(d, t->parent_id, 16);
    *d++ = '-';
    *d++ = hex[t->flags >> 4];
    *d++ = hex[t->flags & 15];
    *d = '\0';
}

int http_trace_apply(http_req_t *req)
{
    http_trace_t t;
    http_header_t *found = NULL;
    for (size_t i = 0; i < req->nheaders; i++) {
        http_header_t *h = &req->headers[i];
        if (h->name_len == 11 && strncasecmp(h->name, "traceparent", 11) == 0) {
            found = h;
            break;
        }
    }
    if (found && http_trace_parse(found->value, found->value_len, &t) == 0)
        random_hex(t.parent_id, 8, server_rand64, req); /* our span of the caller's trace */
    else
        trace_start(&t, server_rand64, req);
    char *value = arena_alloc(req->arena, HTTP_TRACEPARENT_LEN + 1);
    if (!value) return -1;
    http_trace_format(&t, value);
    if (!found) {
        /* The header array is the request's (its arena): a copy one longer. */
        http_header_t *hs = arena_alloc(req->arena, (req->nheaders + 1) * sizeof *hs);
        if (!hs) return -1;
        if (req->nheaders) memcpy(hs, req->headers, req->nheaders * sizeof *hs);
        found = &hs[req->nheaders];
        found->name = "traceparent";
        found->name_len = 11;
        req->headers = hs;
        req->nheaders++;
    }
    found->value = value;
    found->value_len = HTTP_TRACEPARENT_LEN;
    req->traceparent = value;
    return 0;
}
