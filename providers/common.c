/* Shared helpers of the provider adapters: the source table, URL encoding,
 * a string builder, tolerant JSON getters, dates and ids (markup stripping
 * is providers/markup.c). */
#include "providers/common.h"
#include "providers/jstream.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SOURCE_DEF_(ID, name, kind, ...) SOURCE_IF_HTTP(kind, [SRC_##ID] = &prov_##name, )
static const prov_def_t *const prov_defs[SRC_COUNT] = {SOURCE_TABLE(SOURCE_DEF_)};
#undef SOURCE_DEF_

const prov_def_t *prov_def_for(source_t s)
{
    return (unsigned)s < SRC_COUNT ? prov_defs[s] : NULL;
}

int prov_build(const prov_def_t *def, const query_t *q, const prov_settings_t *ps, arena_t *a,
               prov_request_t *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    if (ps == NULL || ps->base_url == NULL)
        return prov__fail(err, errlen, "%s: no base URL", source_name(def->source));
    return def->build(q, ps, a, out, err, errlen);
}

int prov_build_title(const prov_def_t *def, const query_t *q, const prov_settings_t *ps, arena_t *a,
                     prov_request_t *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    if (def->build_title == NULL)
        return prov__fail(err, errlen, "%s: no title search", source_name(def->source));
    if (ps == NULL || ps->base_url == NULL)
        return prov__fail(err, errlen, "%s: no base URL", source_name(def->source));
    return def->build_title(q, ps, a, out, err, errlen);
}

bool prov_title_query(const query_t *q)
{
    if (q == NULL || q->text == NULL) return false;
    int words = 0, content = 0;
    const char *p = q->text;
    while (*p != '\0') {
        while (*p == ' ')
            p++;
        const char *w = p;
        while (*p != '\0' && *p != ' ')
            p++;
        if (p == w) break;
        const char *colon = memchr(w, ':', (size_t)(p - w));
        if (colon != NULL && colon + 1 < p) return false; /* "ti:x": search syntax */
        words++;
        /* The word without the punctuation around it ("(a", "need?"). */
        const char *b = w, *e = p;
        while (b < e && !isalnum((unsigned char)*b) && (unsigned char)*b < 0x80)
            b++;
        while (e > b && !isalnum((unsigned char)e[-1]) && (unsigned char)e[-1] < 0x80)
            e--;
        if (e > b && !paper_is_stop_word(b, (size_t)(e - b))) content++;
    }
    return words >= PROV_TITLE_MIN_WORDS && words <= PROV_TITLE_MAX_WORDS && content >= 2;
}

prov_stream_t *prov_stream_new(const prov_def_t *def, arena_t *a)
{
    if (def->json != NULL) return prov__js_stream(def->json, a);
    return def->stream != NULL ? def->stream(a) : NULL;
}

int prov_stream_feed(prov_stream_t *s, const char *p, size_t n)
{
    return s->ops->feed(s, p, n);
}

int prov_stream_finish(prov_stream_t *s, prov_result_t *out, char *err, size_t errlen)
{
    return s->ops->finish(s, out, err, errlen);
}

void prov_stream_free(prov_stream_t *s)
{
    if (s != NULL) s->ops->free(s);
}

int prov_parse(const prov_def_t *def, const char *body, size_t len, arena_t *a, prov_result_t *out,
               char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    out->total = -1;
    prov_stream_t *s = prov_stream_new(def, a);
    if (s == NULL) return prov__fail(err, errlen, "%s: out of memory", source_name(def->source));
    prov_stream_feed(s, body, len);
    int rc = prov_stream_finish(s, out, err, errlen);
    prov_stream_free(s);
    return rc;
}

static bool is_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

char *prov_url_encode(arena_t *a, const char *s)
{
    prov__sb_t b;
    prov__sb_init(&b, a);
    prov__sb_put_encoded(&b, s != NULL ? s : "");
    return prov__sb_str(&b);
}

/* ---- string builder ---- */

void prov__sb_init(prov__sb_t *b, arena_t *a)
{
    memset(b, 0, sizeof(*b));
    b->a = a;
}

/* Makes room for n more bytes and the NUL. */
static bool sb_reserve(prov__sb_t *b, size_t n)
{
    if (b->failed) return false;
    if (b->len + n + 1 <= b->cap) return true;
    size_t cap = b->cap == 0 ? 256 : b->cap;
    while (cap < b->len + n + 1) {
        if (cap > SIZE_MAX / 2) {
            b->failed = true;
            return false;
        }
        cap *= 2;
    }
    char *p = arena_alloc(b->a, cap);
    if (p == NULL) {
        b->failed = true;
        return false;
    }
    if (b->len > 0) memcpy(p, b->p, b->len);
    b->p = p;
    b->cap = cap;
    return true;
}

void prov__sb_putn(prov__sb_t *b, const char *s, size_t n)
{
    if (!sb_reserve(b, n)) return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void prov__sb_puts(prov__sb_t *b, const char *s)
{
    prov__sb_putn(b, s, strlen(s));
}

void prov__sb_printf(prov__sb_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = arena_vsprintf(b->a, fmt, ap);
    va_end(ap);
    if (s == NULL) {
        b->failed = true;
        return;
    }
    prov__sb_puts(b, s);
}

void prov__sb_put_encoded(prov__sb_t *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t len = strlen(s);
    if (!sb_reserve(b, len * 3)) return;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (is_unreserved(c)) {
            b->p[b->len++] = (char)c;
        } else {
            b->p[b->len++] = '%';
            b->p[b->len++] = hex[c >> 4];
            b->p[b->len++] = hex[c & 15];
        }
    }
    b->p[b->len] = '\0';
}

void prov__sb_put_path(prov__sb_t *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t len = strlen(s);
    if (!sb_reserve(b, len * 3)) return;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (is_unreserved(c) || c == '/' || c == ':') {
            b->p[b->len++] = (char)c;
        } else {
            b->p[b->len++] = '%';
            b->p[b->len++] = hex[c >> 4];
            b->p[b->len++] = hex[c & 15];
        }
    }
    b->p[b->len] = '\0';
}

void prov__sb_param(prov__sb_t *b, const char *name, const char *value)
{
    bool first = b->len == 0 || memchr(b->p, '?', b->len) == NULL;
    prov__sb_puts(b, first ? "?" : "&");
    prov__sb_puts(b, name);
    prov__sb_puts(b, "=");
    prov__sb_put_encoded(b, value);
}

void prov__sb_date_bounds(prov__sb_t *b, const query_t *q, const char *from_key, const char *to_key,
                          bool whole_days)
{
    if (prov__has(q->date_from))
        prov__sb_printf(b, "%s%s:%.10s", b->len ? "," : "", from_key, q->date_from);
    else if (q->year_from > 0)
        prov__sb_printf(b, "%s%s:%04d%s", b->len ? "," : "", from_key, q->year_from,
                        whole_days ? "-01-01" : "");
    if (prov__has(q->date_to))
        prov__sb_printf(b, "%s%s:%.10s", b->len ? "," : "", to_key, q->date_to);
    else if (q->year_to > 0)
        prov__sb_printf(b, "%s%s:%04d%s", b->len ? "," : "", to_key, q->year_to,
                        whole_days ? "-12-31" : "");
}

char *prov__sb_str(prov__sb_t *b)
{
    if (b->failed) return NULL;
    if (b->p == NULL && !sb_reserve(b, 0)) return NULL;
    b->p[b->len] = '\0';
    return b->p;
}

/* ---- small things ---- */

int prov__fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err != NULL && errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

int prov__add_header(prov_request_t *r, arena_t *a, const char *name, const char *value)
{
    if (r->nheaders >= PROV_MAX_HEADERS) return -1;
    char *h = arena_sprintf(a, "%s: %s", name, value);
    if (h == NULL) return -1;
    r->headers[r->nheaders++] = h;
    return 0;
}

int prov__clamp_results(int want, int max)
{
    if (want <= 0) want = QUERY_DEFAULT_LIMIT;
    return want > max ? max : want;
}

bool prov__has(const char *s)
{
    return s != NULL && s[0] != '\0';
}

/* ---- JSON ---- */

json_t *prov__json_obj(const json_t *obj, const char *key)
{
    if (!json_is_object(obj)) return NULL;
    json_t *v = json_object_get(obj, key);
    return json_is_object(v) ? v : NULL;
}

json_t *prov__json_arr(const json_t *obj, const char *key)
{
    if (!json_is_object(obj)) return NULL;
    json_t *v = json_object_get(obj, key);
    return json_is_array(v) ? v : NULL;
}

const char *prov__json_str(const json_t *obj, const char *key)
{
    if (!json_is_object(obj)) return NULL;
    const char *s = json_string_value(json_object_get(obj, key));
    return prov__has(s) ? s : NULL;
}

long long prov__json_int(const json_t *obj, const char *key, long long dflt)
{
    if (!json_is_object(obj)) return dflt;
    json_t *v = json_object_get(obj, key);
    if (json_is_integer(v)) return (long long)json_integer_value(v);
    if (json_is_real(v)) {
        double d = json_real_value(v);
        if (d >= -9.0e18 && d <= 9.0e18) return (long long)d;
        return dflt;
    }
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        char *end;
        errno = 0;
        long long n = strtoll(s, &end, 10);
        if (errno == 0 && end != s && *end == '\0') return n;
    }
    return dflt;
}

long prov__json_total(const json_t *obj, const char *key)
{
    long long n = prov__json_int(obj, key, -1);
    return n >= 0 && (long long)(long)n == n ? (long)n : -1;
}

const json_t *prov__json_nonempty(const json_t *obj, const char *key)
{
    const json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
    return json_is_string(v) && json_string_length(v) > 0 ? v : NULL;
}

bool prov__json_bool(const json_t *obj, const char *key)
{
    return json_is_object(obj) && json_is_true(json_object_get(obj, key));
}

/* ---- dates, ids ---- */

static bool digits_at(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return false;
    return true;
}

int prov__year_of(const char *date)
{
    if (date == NULL || strnlen(date, 4) < 4 || !digits_at(date, 4)) return 0;
    if (date[4] >= '0' && date[4] <= '9') return 0;
    int y = (date[0] - '0') * 1000 + (date[1] - '0') * 100 + (date[2] - '0') * 10 + (date[3] - '0');
    return y > 0 ? y : 0;
}

const char *prov__date_of(arena_t *a, const char *iso)
{
    if (prov__year_of(iso) == 0) return NULL;
    size_t n = 4;
    if (iso[4] == '-' && strnlen(iso + 5, 2) == 2 && digits_at(iso + 5, 2)) {
        n = 7;
        if (iso[7] == '-' && strnlen(iso + 8, 2) == 2 && digits_at(iso + 8, 2)) n = 10;
    }
    return arena_strndup(a, iso, n);
}

void prov__set_source(paper_t *p, source_t s, const char *id, int rank)
{
    p->sources[0].source = s;
    p->sources[0].id = id;
    p->sources[0].rank = rank;
    p->nsources = 1;
}

bool prov__arxiv_from(paper_t *p, arena_t *a, const char *s)
{
    if (p->arxiv_id != NULL || s == NULL) return false;
    size_t len = strlen(s);
    bool looks = false;
    for (size_t i = 0; i + 5 <= len && !looks; i++)
        looks = strncasecmp(s + i, "arxiv", 5) == 0;
    if (!looks) return false;
    const char *version = NULL;
    char *id = paper_normalize_arxiv_id(a, s, len, &version);
    if (id == NULL) return false;
    p->arxiv_id = id;
    if (p->arxiv_version == NULL) p->arxiv_version = version;
    return true;
}

int prov__strv_add(arena_t *a, const char ***arr, size_t *n, size_t *cap, const char *s)
{
    if (s == NULL) return -1;
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*arr)[i], s) == 0) return 0;
    if (*n == *cap) {
        size_t nc = *cap == 0 ? 8 : *cap * 2;
        const char **na = arena_alloc(a, nc * sizeof(*na));
        if (na == NULL) return -1;
        if (*n > 0) memcpy(na, *arr, *n * sizeof(*na));
        *arr = na;
        *cap = nc;
    }
    (*arr)[(*n)++] = s;
    return 0;
}
