/* Citation lists: parameters, cursor and the edge merge (core/cites.h). */
#include "core/cites.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/escape.h"
#include "core/export.h"
#include "core/hash.h"
#include "core/merge.h"
#include "core/query.h"
#include "core/strbuf.h"

const char *cites_dir_name(cites_dir_t d)
{
    return d == CITES_REFERENCES ? "references" : "citations";
}

cite_edge_info_t *cites_page_info_add(cites_page_t *pg, arena_t *a)
{
    size_t i = pg->papers.n > 0 ? pg->papers.n - 1 : 0;
    if (i >= pg->info_cap) {
        size_t cap = pg->info_cap ? pg->info_cap * 2 : 64;
        while (cap <= i)
            cap *= 2;
        cite_edge_info_t *n = arena_calloc(a, cap, sizeof(*n));
        if (n == NULL) return NULL;
        if (pg->info != NULL) memcpy(n, pg->info, pg->info_cap * sizeof(*n));
        for (size_t k = pg->info_cap; k < cap; k++)
            n[k].influential = -1;
        pg->info = n;
        pg->info_cap = cap;
    }
    memset(&pg->info[i], 0, sizeof(pg->info[i]));
    pg->info[i].influential = -1;
    return &pg->info[i];
}

/* ---- parameters ---------------------------------------------------------- */

static int fail(char *err, size_t errlen, const char *fmt, const char *what)
{
    if (err != NULL && errlen > 0) snprintf(err, errlen, fmt, what);
    return -1;
}

/* A whole decimal number in lo..hi. */
static bool read_num(const char *s, long long lo, long long hi, long long *out)
{
    if (*s == '\0' || (*s != '-' && (*s < '0' || *s > '9'))) return false;
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < lo || v > hi) return false;
    *out = v;
    return true;
}

int cites_params_parse(cites_params_t *p, const char *qs, size_t len, char *err, size_t errlen)
{
    memset(p, 0, sizeof(*p));
    p->limit = CITES_DEFAULT_LIMIT;
    p->min_citations = -1;
    p->sort = CITES_SORT_CITATIONS;
    p->format = -1;
    char name[32], value[256];
    size_t pos = 0, dl;
    int got;
    while ((got = qs_next(qs, len, &pos, name, sizeof name, value, sizeof value, &dl)) != QS_END) {
        if (got == QS_BAD_NAME) return fail(err, errlen, "unknown parameter%s", "");
        if (got == QS_BAD_VALUE)
            return fail(err, errlen, "invalid %s: too long or badly encoded", name);
        long long v;
        if (strcmp(name, "limit") == 0) {
            if (!read_num(value, 1, CITES_MAX_LIMIT, &v))
                return fail(err, errlen, "invalid limit: a whole number from 1 to 1000%s", "");
            p->limit = (int)v;
        } else if (strcmp(name, "cursor") == 0) {
            if (cites_cursor_read(value, dl, &p->offset, &p->cursor_key) < 0)
                return fail(err, errlen, "invalid cursor: use the next_cursor of a page%s", "");
            p->has_cursor = true;
        } else if (strcmp(name, "year_from") == 0 || strcmp(name, "year_to") == 0) {
            if (!read_num(value, 1000, 9999, &v))
                return fail(err, errlen, "invalid %s: a year from 1000 to 9999", name);
            *(name[5] == 'f' ? &p->year_from : &p->year_to) = (int)v;
        } else if (strcmp(name, "min_citations") == 0) {
            if (!read_num(value, 0, INT64_MAX, &v))
                return fail(err, errlen, "invalid min_citations: a whole number >= 0%s", "");
            p->min_citations = v;
        } else if (strcmp(name, "sort") == 0) {
            if (strcmp(value, "citations") == 0)
                p->sort = CITES_SORT_CITATIONS;
            else if (strcmp(value, "date") == 0)
                p->sort = CITES_SORT_DATE;
            else
                return fail(err, errlen, "invalid sort: citations or date%s", "");
        } else if (strcmp(name, "format") == 0) {
            p->format = export_format_parse(value, dl);
            if (p->format < 0)
                return fail(err, errlen,
                            "parameter 'format': unknown format (known: json, bibtex, ris, "
                            "csl-json)%s",
                            "");
        } else {
            return fail(err, errlen,
                        "unknown parameter \"%s\" (limit, cursor, year_from, year_to, "
                        "min_citations, sort, format)",
                        name);
        }
    }
    if (p->year_from > 0 && p->year_to > 0 && p->year_from > p->year_to)
        return fail(err, errlen, "year_from is after year_to%s", "");
    return 0;
}

uint32_t cites_list_key(cites_dir_t d, const char *canonical_id, const cites_params_t *p)
{
    char buf[96];
    snprintf(buf, sizeof(buf), "%d|%d|%d|%lld|%d|", (int)d, p->year_from, p->year_to,
             p->min_citations, (int)p->sort);
    uint64_t h = fnv1a_add_str(fnv1a_add_str(FNV1A_INIT, buf), canonical_id);
    return (uint32_t)(h ^ (h >> 32));
}

void cites_cursor_make(char *out, size_t outlen, size_t offset, uint32_t key)
{
    snprintf(out, outlen, "v1.%zx.%08" PRIx32, offset, key);
}

/* n lower-case hex digits at s (1..max) into *v. */
static bool read_hex(const char *s, size_t n, size_t max, uint64_t *v)
{
    if (n == 0 || n > max) return false;
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++) {
        int d = hex_digit((unsigned char)s[i]);
        if (d < 0 || (s[i] >= 'A' && s[i] <= 'F')) return false;
        x = x << 4 | (uint64_t)d;
    }
    *v = x;
    return true;
}

int cites_cursor_read(const char *s, size_t len, size_t *offset, uint32_t *key)
{
    if (len < 6 || memcmp(s, "v1.", 3) != 0) return -1;
    const char *o = s + 3;
    const char *dot = memchr(o, '.', len - 3);
    if (dot == NULL) return -1;
    uint64_t off, k;
    if (!read_hex(o, (size_t)(dot - o), 8, &off) ||
        !read_hex(dot + 1, len - (size_t)(dot + 1 - s), 8, &k) || len - (size_t)(dot + 1 - s) != 8)
        return -1;
    *offset = (size_t)off;
    *key = (uint32_t)k;
    return 0;
}

/* ---- the merge -------------------------------------------------------------- */

/* The info of provider src's edge to p, by the rank src gave p. */
static const cite_edge_info_t *info_of(const cites_page_t *const pages[SRC_COUNT], const paper_t *p,
                                       source_t src)
{
    const cites_page_t *pg = pages[src];
    if (pg == NULL || pg->info == NULL) return NULL;
    for (size_t i = 0; i < p->nsources; i++) {
        if (p->sources[i].source != src) continue;
        size_t r = (size_t)p->sources[i].rank;
        return r >= 1 && r <= pg->papers.n ? &pg->info[r - 1] : NULL;
    }
    return NULL;
}

int cites_merge(arena_t *a, const cites_page_t *const pages[SRC_COUNT], const cites_params_t *p,
                cite_list_t *out)
{
    memset(out, 0, sizeof(*out));
    const paper_list_t *lists[SRC_COUNT] = {0};
    for (int s = 0; s < SRC_COUNT; s++)
        if (pages[s] != NULL) lists[s] = &pages[s]->papers;
    /* The search's merge does the identity, the field merge, the years and
     * the order; the whole list is one page. */
    query_t q;
    query_init(&q);
    q.text = NULL;
    q.year_from = p->year_from;
    q.year_to = p->year_to;
    q.sort = p->sort == CITES_SORT_DATE ? SORT_DATE : SORT_CITATIONS;
    q.limit = INT_MAX;
    q.offset = 0;
    merge_result_t m;
    if (merge_papers(a, lists, &q, &m) < 0) return -1;
    out->nall = m.nall;
    out->edges = arena_alloc(a, (m.npage ? m.npage : 1) * sizeof(*out->edges));
    if (out->edges == NULL) return -1;
    for (size_t i = 0; i < m.npage; i++) {
        const paper_t *pp = m.page[i];
        if (p->min_citations >= 0 && pp->citations < p->min_citations) continue;
        cite_edge_t *e = &out->edges[out->n++];
        e->paper = pp;
        e->sources = 0;
        for (size_t k = 0; k < pp->nsources; k++)
            e->sources |= 1u << pp->sources[k].source;
        e->info = info_of(pages, pp, SRC_SEMANTIC_SCHOLAR);
    }
    return 0;
}

/* ---- the answer ----------------------------------------------------------------- */

typedef struct wbuf {
    char *buf;
    size_t len, cap;
    bool failed;
} wbuf_t;

static void put(wbuf_t *w, const char *s)
{
    size_t n = strlen(s);
    if (w->failed) return;
    if (!sf_strbuf_grow(&w->buf, &w->cap, w->len, n, 16384, SIZE_MAX / 4)) {
        w->failed = true;
        return;
    }
    memcpy(w->buf + w->len, s, n + 1);
    w->len += n;
}

static void putf(wbuf_t *w, const char *fmt, long long v)
{
    char num[32];
    snprintf(num, sizeof(num), fmt, v);
    put(w, num);
}

static void put_str(wbuf_t *w, const char *s)
{
    if (!w->failed && answer_json_append_str(&w->buf, &w->len, &w->cap, s) < 0) w->failed = true;
}

static void put_strings(wbuf_t *w, const char *const *v, size_t n)
{
    put(w, "[");
    for (size_t i = 0; i < n; i++) {
        if (i > 0) put(w, ",");
        put_str(w, v[i]);
    }
    put(w, "]");
}

static void put_ms(wbuf_t *w, double ms)
{
    char num[48];
    snprintf(num, sizeof(num), "%.3f", ms >= 0 && ms < 1e12 ? ms : 0.0);
    put(w, num);
}

static void put_edge(wbuf_t *w, const cite_edge_t *e)
{
    put(w, "{\"paper\":");
    if (!w->failed && answer_json_append_paper(&w->buf, &w->len, &w->cap, e->paper) < 0)
        w->failed = true;
    put(w, ",\"sources\":[");
    bool first = true;
    for (int s = 0; s < SRC_COUNT; s++) {
        if (!(e->sources & (1u << s))) continue;
        if (!first) put(w, ",");
        first = false;
        put_str(w, source_name((source_t)s));
    }
    const cite_edge_info_t *in = e->info;
    put(w, "],\"is_influential\":");
    put(w, in == NULL || in->influential < 0 ? "null" : in->influential ? "true" : "false");
    put(w, ",\"intents\":");
    put_strings(w, in != NULL ? in->intents : NULL, in != NULL ? in->nintents : 0);
    put(w, ",\"contexts\":");
    put_strings(w, in != NULL ? in->contexts : NULL, in != NULL ? in->ncontexts : 0);
    put(w, "}");
}

void cites_page_bounds(const cite_list_t *l, const cites_params_t *p, size_t *off, size_t *end)
{
    *off = p->offset < l->n ? p->offset : l->n;
    *end = l->n - *off > (size_t)p->limit ? *off + (size_t)p->limit : l->n;
}

char *cites_answer_write(const cites_answer_t *ans, size_t *len)
{
    wbuf_t w = {0};
    const cite_list_t *l = ans->list;
    const cites_params_t *p = ans->params;
    size_t off, end;
    cites_page_bounds(l, p, &off, &end);
    put(&w, "{\"id\":");
    put_str(&w, ans->id);
    put(&w, ",\"direction\":");
    put_str(&w, cites_dir_name(ans->dir));
    putf(&w, ",\"total\":%lld", (long long)l->n);
    putf(&w, ",\"offset\":%lld", (long long)off);
    putf(&w, ",\"limit\":%lld", p->limit);
    put(&w, ",\"next_cursor\":");
    if (end < l->n) {
        char cur[48];
        cites_cursor_make(cur, sizeof(cur), end, ans->key);
        put_str(&w, cur);
    } else {
        put(&w, "null");
    }
    put(&w, ",\"edges\":[");
    for (size_t i = off; i < end; i++) {
        if (i > off) put(&w, ",");
        put_edge(&w, &l->edges[i]);
    }
    put(&w, "],\"providers\":{");
    bool first = true;
    for (int s = 0; s < SRC_COUNT; s++) {
        const answer_provider_t *pr = &ans->providers[s];
        if (!pr->asked) continue;
        if (!first) put(&w, ",");
        first = false;
        put_str(&w, source_name((source_t)s));
        put(&w, ":{\"status\":");
        put_str(&w, pr->status == PSTAT_PENDING || pr->status == PSTAT_NOT_ASKED
                        ? "error"
                        : search_pstatus_name(pr->status));
        putf(&w, ",\"results\":%lld", pr->results);
        put(&w, ",\"latency_ms\":");
        if (pr->latency_ms >= 0)
            put_ms(&w, pr->latency_ms);
        else
            put(&w, "null");
        put(&w, ",\"error\":");
        put_str(&w, pr->error);
        put(&w, ",\"truncated\":");
        put(&w, ans->truncated[s] ? "true" : "false");
        put(&w, "}");
    }
    put(&w, "},\"took_ms\":");
    put_ms(&w, ans->took_ms);
    put(&w, ",\"partial\":");
    put(&w, ans->partial ? "true}" : "false}");
    if (w.failed) {
        free(w.buf);
        return NULL;
    }
    if (len != NULL) *len = w.len;
    return w.buf;
}
