#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cache/cache.h"
#include "core/facets.h"
#include "core/decimal.h"
#include "core/deflate.h"
#include "core/hash.h"

bool cache_reply_cacheable(const search_reply_t *r)
{
    return r->status == 200 && r->body && search_reply_body_ok(r->body->data, r->body->len) &&
           !search_reply_partial(r);
}

/* Makes the gzip copy of r's body when r has none: sets out->body_deflate
 * (*made) and body_crc32. Returns 0, or -1 when compression failed (out is
 * then a plain copy). */
static int with_deflate(const search_reply_t *r, int level, search_reply_t *out, blob_t **made)
{
    *out = *r;
    *made = NULL;
    if (r->body_deflate || !r->body || r->body->len < 1) return 0;
    size_t dlen;
    uint32_t crc;
    unsigned char *d = sf_deflate_raw(r->body->data + 1, r->body->len - 1, level, &dlen, &crc);
    if (!d) return -1;
    blob_t *b = blob_new(d, dlen);
    free(d);
    if (!b) return -1;
    out->body_deflate = b;
    out->body_crc32 = crc;
    *made = b;
    return 0;
}

bool cache_reply_keep(const search_reply_t *r, bool gzip, int level, search_reply_t *out,
                      blob_t **made)
{
    bool keep = cache_reply_cacheable(r) || search_reply_partial(r);
    *made = NULL;
    if (!(keep && gzip && with_deflate(r, level, out, made) == 0)) *out = *r;
    return keep;
}

/* Appends "&name=" and value percent-encoded to the buffer at *o. */
static void put_param(char *out, size_t *o, const char *name, const char *v)
{
    static const char hex[] = "0123456789ABCDEF";
    /* Not sprintf: this runs for every memory-tier hit. */
    if (*o) out[(*o)++] = '&';
    size_t n = strlen(name);
    memcpy(out + *o, name, n);
    *o += n;
    out[(*o)++] = '=';
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '.' || *p == '_') {
            out[(*o)++] = (char)*p;
        } else {
            out[(*o)++] = '%';
            out[(*o)++] = hex[*p >> 4];
            out[(*o)++] = hex[*p & 15];
        }
    }
    out[*o] = '\0';
}

char *cache_query_params(const query_t *q, arena_t *a)
{
    size_t cap = 512;
    const char *strs[] = {q->text, q->date_from, q->date_to, q->author, q->category, q->venue};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
        if (strs[i]) cap += 3 * strlen(strs[i]) + 16;
    char *out = arena_alloc(a, cap);
    if (!out) return NULL;
    size_t o = 0;
    char num[DECIMAL_MAX + 1];
    out[0] = '\0';
    put_param(out, &o, "query", q->text ? q->text : "");
    *decimal_put(num, q->limit) = '\0';
    put_param(out, &o, "limit", num);
    if (q->offset) {
        *decimal_put(num, q->offset) = '\0';
        put_param(out, &o, "offset", num);
    }
    put_param(out, &o, "sort", query_sort_name(q->sort));
    put_param(out, &o, "strategy", query_strategy_name(q->strategy));
    if (q->providers) {
        char list[160] = "";
        for (int s = 0; s < SRC_COUNT; s++)
            if (q->providers & (1u << s)) {
                if (list[0]) strcat(list, ",");
                strcat(list, source_name((source_t)s));
            }
        put_param(out, &o, "providers", list);
    }
    if (q->date_from) put_param(out, &o, "date_from", q->date_from);
    if (q->date_to) put_param(out, &o, "date_to", q->date_to);
    if (q->year_from) {
        *decimal_put(num, q->year_from) = '\0';
        put_param(out, &o, "year_from", num);
    }
    if (q->year_to) {
        *decimal_put(num, q->year_to) = '\0';
        put_param(out, &o, "year_to", num);
    }
    if (q->author) put_param(out, &o, "author", q->author);
    if (q->category) put_param(out, &o, "category", q->category);
    if (q->open_access) put_param(out, &o, "open_access", "true");
    if (q->facets) {
        char list[96] = "";
        for (int f = 0; f < FACET_COUNT; f++)
            if (q->facets & (1u << f)) {
                if (list[0]) strcat(list, ",");
                strcat(list, facet_name((facet_t)f));
            }
        put_param(out, &o, "facets", list);
    }
    /* The filters: they are in the key, so a warmed query must keep them. */
    if (q->min_citations > 0) {
        *decimal_put(num, q->min_citations) = '\0';
        put_param(out, &o, "min_citations", num);
    }
    if (q->types) {
        char list[160] = "";
        for (int t = 0; t < PAPER_TYPE_COUNT; t++)
            if (q->types & (1u << t)) {
                if (list[0]) strcat(list, ",");
                strcat(list, paper_type_name((paper_type_t)t));
            }
        put_param(out, &o, "type", list);
    }
    if (q->has_pdf) put_param(out, &o, "has_pdf", q->has_pdf > 0 ? "true" : "false");
    if (q->venue) put_param(out, &o, "venue", q->venue);
    return out;
}

uint64_t cache_hash(const char *s)
{
    return fnv1a_str(s);
}
