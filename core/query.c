/* Search requests: the query string or JSON body a client sends, checked
 * and brought to one canonical form. */
#include <ctype.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/decimal.h"
#include "core/escape.h"
#include "core/facets.h"
#include "core/query.h"
#include "core/utf8.h"

#define MAX_TEXT_CHARS 1000
#define MAX_VALUE_BYTES 4096
#define MAX_OFFSET QUERY_MAX_OFFSET

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

void query_init(query_t *q)
{
    memset(q, 0, sizeof *q);
    q->limit = QUERY_DEFAULT_LIMIT;
    q->sort = SORT_RELEVANCE;
    q->strategy = STRATEGY_MERGE;
}

char *query_normalize_text(arena_t *a, const char *s, size_t len)
{
    char *out = arena_alloc(a, len + 1);
    if (!out) return NULL;
    size_t o = 0;
    bool space = false;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f' || ch == '\v') {
            space = o > 0;
            continue;
        }
        if (ch < 0x20 || ch == 0x7f) continue; /* control bytes carry no meaning in a query */
        if (space) out[o++] = ' ';
        space = false;
        out[o++] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
    }
    out[o] = '\0';
    return o ? out : NULL;
}

static int parse_int(const char *v, long min, long max, long *out)
{
    char *end;
    if (!*v || !(isdigit((unsigned char)*v) || *v == '-')) return -1;
    long n = strtol(v, &end, 10);
    if (*end || n < min || n > max) return -1;
    *out = n;
    return 0;
}

static bool valid_date(const char *v)
{
    /* YYYY-MM-DD with plausible ranges; the calendar is not checked further. */
    if (strlen(v) != 10 || v[4] != '-' || v[7] != '-') return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !isdigit((unsigned char)v[i])) return false;
    int m = (v[5] - '0') * 10 + (v[6] - '0'), d = (v[8] - '0') * 10 + (v[9] - '0');
    return m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

static size_t utf8_chars(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += ((unsigned char)s[i] & 0xc0) != 0x80;
    return c;
}

/* The next item of a comma list at *pos, spaces trimmed: returns 1 with
 * *item and *n set (n may be 0 for an empty item), or 0 at the end. */
static int list_next(const char **pos, const char **item, size_t *n)
{
    const char *p = *pos;
    if (p == NULL || *p == '\0') return 0;
    const char *e = strchr(p, ',');
    size_t len = e ? (size_t)(e - p) : strlen(p);
    *pos = e ? e + 1 : p + len;
    while (len && p[0] == ' ')
        p++, len--;
    while (len && p[len - 1] == ' ')
        len--;
    *item = p;
    *n = len;
    return 1;
}

static int set_providers(query_t *q, const char *list, char *err, size_t errlen)
{
    unsigned mask = 0;
    const char *pos = list, *p;
    size_t n;
    while (list_next(&pos, &p, &n)) {
        if (n) {
            int src = source_parse(p, n);
            if (src < 0)
                return fail(
                    err, errlen,
                    "parameter 'providers': unknown provider '%.*s' (known: " SOURCE_NAMES_TEXT ")",
                    (int)(n > 64 ? 64 : n), p);
            mask |= 1u << src;
        }
    }
    if (!mask) return fail(err, errlen, "parameter 'providers' names no provider");
    q->providers = mask;
    return 0;
}

static int set_facets(query_t *q, const char *list, char *err, size_t errlen)
{
    unsigned mask = 0;
    const char *pos = list, *p;
    size_t n;
    while (list_next(&pos, &p, &n)) {
        if (n) {
            int f = facet_parse(p, n);
            if (f < 0)
                return fail(err, errlen,
                            "parameter 'facets': unknown facet '%.*s' (known: year, venue, "
                            "category, provider, open_access, type)",
                            (int)(n > 64 ? 64 : n), p);
            mask |= 1u << f;
        }
    }
    q->facets = mask;
    return 0;
}

static int set_types(query_t *q, const char *list, char *err, size_t errlen)
{
    unsigned mask = 0;
    const char *pos = list, *p;
    size_t n;
    while (list_next(&pos, &p, &n)) {
        if (n) {
            /* Only the answer's own names: paper_type_parse() also reads
             * providers' words, and gives OTHER for a word it does not know. */
            paper_type_t t = paper_type_parse(p, n);
            const char *name = paper_type_name(t);
            if (!name || strlen(name) != n || strncasecmp(name, p, n) != 0)
                return fail(err, errlen,
                            "parameter 'type': unknown type '%.*s' (known: article, preprint, "
                            "proceedings, book, book_chapter, thesis, dataset, review, other)",
                            (int)(n > 64 ? 64 : n), p);
            mask |= 1u << t;
        }
    }
    if (!mask) return fail(err, errlen, "parameter 'type' names no type");
    q->types = mask;
    return 0;
}

static int parse_bool(const char *v, bool *out)
{
    if (!strcmp(v, "true") || !strcmp(v, "1"))
        *out = true;
    else if (!strcmp(v, "false") || !strcmp(v, "0"))
        *out = false;
    else
        return -1;
    return 0;
}

/* Applies one key=value (value already decoded and NUL-terminated). */
static int apply(query_t *q, const char *key, const char *v, size_t vlen, arena_t *a, char *err,
                 size_t errlen)
{
    long n;
    if (!utf8_valid(v, vlen)) return fail(err, errlen, "parameter '%s' is not valid UTF-8", key);
    if (strcmp(key, "query") == 0) {
        if (utf8_chars(v, vlen) > MAX_TEXT_CHARS)
            return fail(err, errlen, "parameter 'query' is longer than %d characters",
                        MAX_TEXT_CHARS);
        q->text = query_normalize_text(a, v, vlen);
        if (!q->text) return fail(err, errlen, "parameter 'query' is empty");
    } else if (strcmp(key, "limit") == 0) {
        if (parse_int(v, 1, QUERY_MAX_LIMIT, &n))
            return fail(err, errlen, "parameter 'limit' must be an integer from 1 to %d",
                        QUERY_MAX_LIMIT);
        q->limit = (int)n;
    } else if (strcmp(key, "offset") == 0) {
        if (parse_int(v, 0, MAX_OFFSET, &n))
            return fail(err, errlen, "parameter 'offset' must be an integer from 0 to %d",
                        MAX_OFFSET);
        q->offset = (int)n;
    } else if (strcmp(key, "cursor") == 0) {
        if (!vlen) return fail(err, errlen, "parameter 'cursor' is empty");
        q->cursor = v;
    } else if (strcmp(key, "sort") == 0) {
        if (strcmp(v, "relevance") == 0)
            q->sort = SORT_RELEVANCE;
        else if (strcmp(v, "date") == 0)
            q->sort = SORT_DATE;
        else if (strcmp(v, "citations") == 0)
            q->sort = SORT_CITATIONS;
        else
            return fail(err, errlen, "parameter 'sort' must be relevance, date or citations");
    } else if (strcmp(key, "strategy") == 0) {
        int st = 0;
        while (st < STRATEGY_COUNT && strcmp(v, query_strategy_name((query_strategy_t)st)) != 0)
            st++;
        if (st == STRATEGY_COUNT)
            return fail(err, errlen,
                        "parameter 'strategy' must be merge, fastest, first or best_quality");
        q->strategy = (query_strategy_t)st;
    } else if (strcmp(key, "providers") == 0) {
        return set_providers(q, v, err, errlen);
    } else if (strcmp(key, "facets") == 0) {
        return set_facets(q, v, err, errlen);
    } else if (strcmp(key, "year") == 0) {
        long y1, y2;
        const char *dash = strchr(v, '-');
        if (dash) {
            char first[16];
            size_t fl = (size_t)(dash - v);
            if (fl >= sizeof first)
                return fail(err, errlen, "parameter 'year' must be YYYY or YYYY-YYYY");
            memcpy(first, v, fl);
            first[fl] = '\0';
            if (parse_int(first, 1000, 9999, &y1) || parse_int(dash + 1, 1000, 9999, &y2) ||
                y1 > y2)
                return fail(err, errlen,
                            "parameter 'year' must be YYYY or YYYY-YYYY (first <= last)");
        } else {
            if (parse_int(v, 1000, 9999, &y1))
                return fail(err, errlen, "parameter 'year' must be YYYY or YYYY-YYYY");
            y2 = y1;
        }
        q->year_from = (int)y1;
        q->year_to = (int)y2;
    } else if (strcmp(key, "year_from") == 0 || strcmp(key, "year_to") == 0) {
        if (parse_int(v, 1000, 9999, &n))
            return fail(err, errlen, "parameter '%s' must be a year (YYYY)", key);
        if (key[5] == 'f')
            q->year_from = (int)n;
        else
            q->year_to = (int)n;
    } else if (strcmp(key, "date_from") == 0 || strcmp(key, "date_to") == 0) {
        if (!valid_date(v))
            return fail(err, errlen, "parameter '%s' must be a date YYYY-MM-DD", key);
        if (key[5] == 'f')
            q->date_from = arena_strndup(a, v, vlen);
        else
            q->date_to = arena_strndup(a, v, vlen);
    } else if (strcmp(key, "author") == 0) {
        q->author = query_normalize_text(a, v, vlen);
        if (!q->author) return fail(err, errlen, "parameter 'author' is empty");
    } else if (strcmp(key, "category") == 0) {
        if (vlen == 0 || vlen > 64)
            return fail(err, errlen, "parameter 'category' must be 1 to 64 characters");
        for (size_t i = 0; i < vlen; i++)
            if (!isalnum((unsigned char)v[i]) && v[i] != '.' && v[i] != '-' && v[i] != '_')
                return fail(err, errlen, "parameter 'category' holds an invalid character");
        q->category = arena_strndup(a, v, vlen);
    } else if (strcmp(key, "open_access") == 0) {
        if (parse_bool(v, &q->open_access))
            return fail(err, errlen, "parameter 'open_access' must be true or false");
    } else if (strcmp(key, "has_pdf") == 0) {
        bool b;
        if (parse_bool(v, &b))
            return fail(err, errlen, "parameter 'has_pdf' must be true or false");
        q->has_pdf = b ? 1 : -1;
    } else if (strcmp(key, "min_citations") == 0) {
        if (parse_int(v, 0, 1000000000, &n))
            return fail(err, errlen,
                        "parameter 'min_citations' must be an integer from 0 to 1000000000");
        q->min_citations = n;
    } else if (strcmp(key, "type") == 0) {
        return set_types(q, v, err, errlen);
    } else if (strcmp(key, "venue") == 0 || strcmp(key, "journal") == 0) {
        if (q->venue)
            return fail(err, errlen, "parameters 'venue' and 'journal' are the same filter");
        if (utf8_chars(v, vlen) > 200)
            return fail(err, errlen, "parameter '%s' is longer than 200 characters", key);
        q->venue = query_normalize_text(a, v, vlen);
        if (!q->venue) return fail(err, errlen, "parameter '%s' is empty", key);
    } else if (strcmp(key, "timeout_ms") == 0) {
        if (parse_int(v, 1, 600000, &n))
            return fail(err, errlen, "parameter 'timeout_ms' must be an integer from 1 to 600000");
        q->deadline_ms = (int)n;
    } else if (strcmp(key, "format") == 0) {
        int f = export_format_parse(v, vlen);
        if (f < 0)
            return fail(err, errlen,
                        "parameter 'format': unknown format '%.32s' (known: json, bibtex, ris, "
                        "csl-json)",
                        v);
        q->format = (export_format_t)f;
        q->format_given = true;
    } else {
        return fail(err, errlen, "unknown parameter '%.64s'", key);
    }
    return 0;
}

/* Cross-field checks once every parameter is in. */
static int finish(query_t *q, char *err, size_t errlen)
{
    if (!q->text) return fail(err, errlen, "parameter 'query' is required");
    if (q->date_from && q->date_to && strcmp(q->date_from, q->date_to) > 0)
        return fail(err, errlen, "parameter 'date_from' is after 'date_to'");
    if (q->date_from) {
        int y = atoi(q->date_from);
        if (!q->year_from || y > q->year_from) q->year_from = y;
    }
    if (q->date_to) {
        int y = atoi(q->date_to);
        if (!q->year_to || y < q->year_to) q->year_to = y;
    }
    if (q->year_from && q->year_to && q->year_from > q->year_to)
        return fail(err, errlen,
                    "parameters 'year_from'/'date_from' and 'year_to'/'date_to' leave an empty "
                    "range");
    return 0;
}

int query_parse_params(query_t *q, const char *qs, size_t len, arena_t *a, char *err, size_t errlen)
{
    query_init(q);
    char seen[24][24];
    int nseen = 0;
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && qs[j] != '&')
            j++;
        if (j > i) {
            const char *eq = memchr(qs + i, '=', j - i);
            size_t klen = eq ? (size_t)(eq - (qs + i)) : j - i;
            const char *vraw = eq ? eq + 1 : qs + j;
            size_t vrlen = eq ? (size_t)(qs + j - vraw) : 0;
            char key[24];
            char *kbuf = arena_alloc(a, klen + 1);
            char *val = arena_alloc(a, vrlen + 1);
            if (!kbuf || !val) return fail(err, errlen, "out of memory");
            long kl = pct_decode(qs + i, klen, kbuf, true);
            long vl = pct_decode(vraw, vrlen, val, true);
            if (kl < 0 || vl < 0)
                return fail(err, errlen, "malformed percent-encoding in the query string");
            if (kl == 0 || (size_t)kl >= sizeof key || memchr(kbuf, '\0', (size_t)kl))
                return fail(err, errlen, "unknown parameter '%.23s'", kbuf);
            if (vl > MAX_VALUE_BYTES) return fail(err, errlen, "parameter '%s' is too long", kbuf);
            if (memchr(val, '\0', (size_t)vl))
                return fail(err, errlen, "parameter '%s' holds a NUL byte", kbuf);
            memcpy(key, kbuf, (size_t)kl + 1);
            for (int k = 0; k < nseen; k++)
                if (strcmp(seen[k], key) == 0)
                    return fail(err, errlen, "parameter '%s' is repeated", key);
            if (nseen < 24) memcpy(seen[nseen++], key, sizeof key);
            if (apply(q, key, val, (size_t)vl, a, err, errlen) < 0) return -1;
        }
        i = j + 1;
    }
    return finish(q, err, errlen);
}

int query_parse_object(query_t *q, const json_t *root, arena_t *a, char *err, size_t errlen)
{
    query_init(q);
    if (!json_is_object(root)) return fail(err, errlen, "body must be a JSON object");
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)root, key, v)
    {
        char buf[64];
        const char *text = NULL;
        size_t tlen = 0;
        if (json_is_string(v)) {
            text = json_string_value(v);
            tlen = json_string_length(v);
            if (memchr(text, '\0', tlen)) {
                fail(err, errlen, "parameter '%.64s' holds a NUL byte", key);
                return -1;
            }
        } else if (json_is_integer(v)) {
            snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
            text = buf, tlen = strlen(buf);
        } else if (json_is_boolean(v)) {
            text = json_is_true(v) ? "true" : "false";
            tlen = strlen(text);
        } else if (json_is_array(v) && (strcmp(key, "providers") == 0 ||
                                        strcmp(key, "facets") == 0 || strcmp(key, "type") == 0)) {
            size_t idx;
            json_t *item;
            char *list = arena_alloc(a, 512);
            if (!list) return -1;
            list[0] = '\0';
            json_array_foreach(v, idx, item)
            {
                if (!json_is_string(item) || strlen(list) + json_string_length(item) + 2 > 512) {
                    fail(err, errlen, "parameter '%s' must be a list of names", key);
                    return -1;
                }
                if (list[0]) strcat(list, ",");
                strcat(list, json_string_value(item));
            }
            text = list, tlen = strlen(list);
        } else {
            fail(err, errlen, "parameter '%.64s' has the wrong type", key);
            return -1;
        }
        if (tlen > MAX_VALUE_BYTES) {
            fail(err, errlen, "parameter '%.64s' is too long", key);
            return -1;
        }
        char *val = arena_strndup(a, text, tlen);
        if (!val || apply(q, key, val, tlen, a, err, errlen) < 0) return -1;
    }
    return finish(q, err, errlen);
}

int query_parse_json(query_t *q, const char *body, size_t len, arena_t *a, char *err, size_t errlen)
{
    query_init(q);
    json_error_t jerr;
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return fail(err, errlen, "body is not valid JSON: %s (line %d)", jerr.text, jerr.line);
    int rc = query_parse_object(q, root, a, err, errlen);
    json_decref(root);
    return rc;
}

static const char *copy_or_null(arena_t *a, const char *s, bool *failed)
{
    if (!s) return NULL;
    char *c = arena_strdup(a, s);
    if (!c) *failed = true;
    return c;
}

int query_copy(query_t *dst, const query_t *src, arena_t *a)
{
    bool failed = false;
    *dst = *src;
    dst->text = copy_or_null(a, src->text, &failed);
    dst->date_from = copy_or_null(a, src->date_from, &failed);
    dst->date_to = copy_or_null(a, src->date_to, &failed);
    dst->author = copy_or_null(a, src->author, &failed);
    dst->category = copy_or_null(a, src->category, &failed);
    dst->venue = copy_or_null(a, src->venue, &failed);
    dst->traceparent = copy_or_null(a, src->traceparent, &failed);
    return failed ? -1 : 0;
}

const char *query_sort_name(query_sort_t s)
{
    static const char *const names[] = {"relevance", "date", "citations"};
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "relevance";
}

const char *query_strategy_name(query_strategy_t s)
{
    static const char *const names[STRATEGY_COUNT] = {"merge", "fastest", "first", "best_quality"};
    return (unsigned)s < STRATEGY_COUNT ? names[s] : "merge";
}

unsigned query_filters_asked(const query_t *q)
{
    return (q->min_citations > 0 ? QFILTER_MIN_CITATIONS : 0u) | (q->types ? QFILTER_TYPE : 0u) |
           (q->has_pdf ? QFILTER_HAS_PDF : 0u) | (q->venue ? QFILTER_VENUE : 0u);
}

const char *query_filter_name(int i)
{
    static const char *const names[QFILTER_COUNT] = {"min_citations", "type", "has_pdf", "venue"};
    return i >= 0 && i < QFILTER_COUNT ? names[i] : NULL;
}

/* query_key()'s pieces, written without printf: the key is made for every
 * search, memory-tier hits included, where vsnprintf was a sixth of the
 * instructions. Each appends at d and returns the end. */
static char *key_str(char *d, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    memcpy(d, s ? s : "", n);
    return d + n;
}

static char *key_hex(char *d, unsigned v)
{
    static const char hex[] = "0123456789abcdef";
    char tmp[16];
    size_t n = 0;
    do {
        tmp[n++] = hex[v & 15];
        v >>= 4;
    } while (v > 0);
    while (n > 0)
        *d++ = tmp[--n];
    return d;
}

static size_t key_len(const char *s)
{
    return s ? strlen(s) : 0;
}

/* The same bytes as "v1|q=%s|p=%x|l=%d|o=%d|s=%s|st=%s|y=%d-%d|d=%s-%s|a=%s|c=%s|oa=%d",
 * then "|f=%x" when facets are asked, "|mc=%ld", "|ty=%x", "|pdf=%d",
 * "|v=%s" when those filters are (the keys of every tier, Redis and
 * PostgreSQL included, depend on it). */
char *query_key(const query_t *q, arena_t *a)
{
    const char *sort = query_sort_name(q->sort), *strategy = query_strategy_name(q->strategy);
    size_t cap = 64 + 7 * 24 + key_len(q->text) + key_len(sort) + key_len(strategy) +
                 key_len(q->date_from) + key_len(q->date_to) + key_len(q->author) +
                 key_len(q->category) + key_len(q->venue);
    cap += 16 + 4 * 28; /* "|fmt=csl-json", the filters' names and numbers */ /* "|fmt=csl-json" */
    char *k = arena_alloc(a, cap);
    if (!k) return NULL;
    char *d = k;
    d = key_str(d, "v1|q=");
    d = key_str(d, q->text);
    d = key_str(d, "|p=");
    d = key_hex(d, q->providers);
    d = key_str(d, "|l=");
    d = decimal_put(d, q->limit);
    d = key_str(d, "|o=");
    d = decimal_put(d, q->offset);
    d = key_str(d, "|s=");
    d = key_str(d, sort);
    d = key_str(d, "|st=");
    d = key_str(d, strategy);
    d = key_str(d, "|y=");
    d = decimal_put(d, q->year_from);
    *d++ = '-';
    d = decimal_put(d, q->year_to);
    d = key_str(d, "|d=");
    d = key_str(d, q->date_from);
    *d++ = '-';
    d = key_str(d, q->date_to);
    d = key_str(d, "|a=");
    d = key_str(d, q->author);
    d = key_str(d, "|c=");
    d = key_str(d, q->category);
    d = key_str(d, "|oa=");
    *d++ = q->open_access ? '1' : '0';
    /* Facets only when asked: the keys of answers without stay as they were. */
    if (q->facets) {
        d = key_str(d, "|f=");
        d = key_hex(d, q->facets);
    }
    /* The filters only when given, for the same reason. */
    if (q->min_citations > 0) {
        d = key_str(d, "|mc=");
        d = decimal_put(d, q->min_citations);
    }
    if (q->types) {
        d = key_str(d, "|ty=");
        d = key_hex(d, q->types);
    }
    if (q->has_pdf) d = key_str(d, q->has_pdf > 0 ? "|pdf=1" : "|pdf=0");
    if (q->venue) {
        d = key_str(d, "|v=");
        d = key_str(d, q->venue);
    }
    /* An export's key ends with its format; JSON's is the key it always was. */
    if (q->format != EXPORT_JSON) {
        d = key_str(d, "|fmt=");
        d = key_str(d, export_format_name(q->format));
    }
    *d = '\0';
    return k;
}
