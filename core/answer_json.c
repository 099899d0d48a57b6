/* The JSON answer of a search: a small append-only writer over one growing
 * buffer, with UTF-8-checking string escaping. The shape is in
 * answer_json.h. */
#include "core/answer_json.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/decimal.h"
#include "core/merge.h"
#include "core/page_cursor.h"
#include "core/escape.h"
#include "core/strbuf.h"

/* A provider's status as answers say it: a finished search has no
 * pending provider, and one not asked is left out; should either reach an
 * answer, it is an error. */
static const char *status_name(search_pstatus_t st)
{
    return st == PSTAT_PENDING || st == PSTAT_NOT_ASKED ? "error" : search_pstatus_name(st);
}

/* ---- writer ---------------------------------------------------------------- */

typedef struct jw {
    char *buf;
    size_t len, cap;
    bool failed; /* out of memory or past ANSWER_JSON_MAX: later writes are no-ops */
} jw_t;

/* Makes room for n more bytes (and a NUL). Returns false once failed. */
static bool jw_reserve(jw_t *w, size_t n)
{
    if (w->failed) return false;
    if (sf_strbuf_grow(&w->buf, &w->cap, w->len, n, 16384, ANSWER_JSON_MAX)) return true;
    w->failed = true;
    return false;
}

static void jw_raw(jw_t *w, const char *s, size_t n)
{
    if (!jw_reserve(w, n)) return;
    memcpy(w->buf + w->len, s, n);
    w->len += n;
}

#define JW_LIT(w, lit) jw_raw((w), (lit), sizeof(lit) - 1)

static void jw_long(jw_t *w, long long v)
{
    char tmp[DECIMAL_MAX];
    jw_raw(w, tmp, (size_t)(decimal_put(tmp, v) - tmp));
}

/* A non-negative-or-not double with at most 6 decimals, trailing zeros
 * dropped ("0.5", "1.0"); no locale, no exponent. Non-finite values are 0. */
/* v with at most digits (1..6) decimals, trailing zeros dropped. */
static void jw_fixed(jw_t *w, double v, int digits)
{
    static const long long scale[] = {1, 10, 100, 1000, 10000, 100000, 1000000};
    if (!isfinite(v) || fabs(v) > 9e12) v = 0.0;
    long long m = llround(v * (double)scale[digits]);
    if (m < 0) {
        JW_LIT(w, "-");
        m = -m;
    }
    jw_long(w, m / scale[digits]);
    char frac[8];
    long long f = m % scale[digits];
    int n = digits;
    for (int i = digits - 1; i >= 0; i--, f /= 10)
        frac[i] = (char)('0' + f % 10);
    while (n > 1 && frac[n - 1] == '0')
        n--;
    JW_LIT(w, ".");
    jw_raw(w, frac, (size_t)n);
}

/* Appends the escaped body of s (no quotes): core/escape.h. */
static void jw_escaped(jw_t *w, const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        size_t run = json_plain_run(s + i, n - i);
        jw_raw(w, s + i, run);
        i += run;
        if (i == n) break;
        char e[JSON_ESCAPE_MAX];
        size_t used, k = json_escape_char(s + i, n - i, e, &used);
        jw_raw(w, e, k);
        i += used;
    }
}

/* A JSON string, or null for NULL. */
static void jw_str(jw_t *w, const char *s)
{
    if (s == NULL) {
        JW_LIT(w, "null");
        return;
    }
    JW_LIT(w, "\"");
    jw_escaped(w, s);
    JW_LIT(w, "\"");
}

static void jw_bool(jw_t *w, bool b)
{
    if (b)
        JW_LIT(w, "true");
    else
        JW_LIT(w, "false");
}

/* ---- the answer ---------------------------------------------------------- */

static void write_int_or_null(jw_t *w, long long v, bool known)
{
    if (known)
        jw_long(w, v);
    else
        JW_LIT(w, "null");
}

static void write_query(jw_t *w, const answer_t *ans)
{
    const query_t *q = ans->query;
    JW_LIT(w, "{\"text\":");
    jw_str(w, q->text);
    JW_LIT(w, ",\"year_from\":");
    write_int_or_null(w, q->year_from, q->year_from > 0);
    JW_LIT(w, ",\"year_to\":");
    write_int_or_null(w, q->year_to, q->year_to > 0);
    JW_LIT(w, ",\"date_from\":");
    jw_str(w, q->date_from);
    JW_LIT(w, ",\"date_to\":");
    jw_str(w, q->date_to);
    JW_LIT(w, ",\"author\":");
    jw_str(w, q->author);
    JW_LIT(w, ",\"category\":");
    jw_str(w, q->category);
    JW_LIT(w, ",\"open_access\":");
    jw_bool(w, q->open_access);
    /* The filters only when given: answers without stay as they were. */
    if (q->min_citations > 0) {
        JW_LIT(w, ",\"min_citations\":");
        jw_long(w, q->min_citations);
    }
    if (q->types) {
        JW_LIT(w, ",\"type\":[");
        bool first_type = true;
        for (int t = 0; t < PAPER_TYPE_COUNT; t++) {
            if (!(q->types & (1u << t))) continue;
            if (!first_type) JW_LIT(w, ",");
            first_type = false;
            jw_str(w, paper_type_name((paper_type_t)t));
        }
        JW_LIT(w, "]");
    }
    if (q->has_pdf) {
        JW_LIT(w, ",\"has_pdf\":");
        jw_bool(w, q->has_pdf > 0);
    }
    if (q->venue) {
        JW_LIT(w, ",\"venue\":");
        jw_str(w, q->venue);
    }
    JW_LIT(w, ",\"providers\":[");
    bool first = true;
    for (int s = 0; s < SRC_COUNT; s++) {
        bool in = q->providers != 0 ? (q->providers & (1u << s)) != 0 : ans->providers[s].asked;
        if (!in) continue;
        if (!first) JW_LIT(w, ",");
        first = false;
        jw_str(w, source_name((source_t)s));
    }
    JW_LIT(w, "],\"sort\":");
    jw_str(w, query_sort_name(q->sort));
    JW_LIT(w, ",\"strategy\":");
    jw_str(w, query_strategy_name(q->strategy));
    JW_LIT(w, ",\"limit\":");
    jw_long(w, q->limit);
    JW_LIT(w, ",\"offset\":");
    jw_long(w, q->offset);
    JW_LIT(w, "}");
}

static void write_strings(jw_t *w, const char *const *v, size_t n)
{
    JW_LIT(w, "[");
    bool first = true;
    for (size_t i = 0; i < n; i++) {
        if (v[i] == NULL) continue;
        if (!first) JW_LIT(w, ",");
        first = false;
        jw_str(w, v[i]);
    }
    JW_LIT(w, "]");
}

static void write_paper(jw_t *w, const paper_t *p)
{
    const char *prefix, *value;
    merge_paper_id_parts(p, &prefix, &value);
    JW_LIT(w, "{\"id\":\"");
    jw_escaped(w, prefix);
    jw_escaped(w, value);
    JW_LIT(w, "\",\"title\":");
    jw_str(w, p->title != NULL ? p->title : "");
    JW_LIT(w, ",\"abstract\":");
    jw_str(w, p->abstract);
    JW_LIT(w, ",\"authors\":");
    write_strings(w, p->authors, p->nauthors);
    JW_LIT(w, ",\"year\":");
    write_int_or_null(w, p->year, p->year > 0);
    JW_LIT(w, ",\"published_at\":");
    jw_str(w, p->published);
    JW_LIT(w, ",\"venue\":");
    jw_str(w, p->venue);
    JW_LIT(w, ",\"type\":");
    jw_str(w, paper_type_name(p->type));
    JW_LIT(w, ",\"doi\":");
    jw_str(w, p->doi);
    JW_LIT(w, ",\"arxiv_id\":");
    jw_str(w, p->arxiv_id);
    JW_LIT(w, ",\"categories\":");
    write_strings(w, p->categories, p->ncategories);
    JW_LIT(w, ",\"citation_count\":");
    write_int_or_null(w, p->citations, p->citations >= 0);
    JW_LIT(w, ",\"url\":");
    jw_str(w, p->url);
    JW_LIT(w, ",\"pdf_url\":");
    jw_str(w, p->pdf_url);
    JW_LIT(w, ",\"is_open_access\":");
    jw_bool(w, p->open_access || p->pdf_url != NULL);
    JW_LIT(w, ",\"score\":");
    jw_fixed(w, p->score, 6);
    JW_LIT(w, ",\"sources\":[");
    for (size_t i = 0; i < p->nsources && i < SRC_COUNT; i++) {
        const paper_source_t *s = &p->sources[i];
        if (i > 0) JW_LIT(w, ",");
        JW_LIT(w, "{\"provider\":");
        jw_str(w, source_name(s->source));
        JW_LIT(w, ",\"id\":");
        jw_str(w, s->id);
        JW_LIT(w, ",\"rank\":");
        jw_long(w, s->rank);
        JW_LIT(w, "}");
    }
    JW_LIT(w, "]}");
}

/* "facets": each counted facet that some paper has a value for. Years are
 * numbers, open_access booleans, the others strings. */
static void write_facets(jw_t *w, const facets_t *fs, size_t total)
{
    JW_LIT(w, ",\"facets\":{");
    bool first = true;
    for (int f = 0; f < FACET_COUNT; f++) {
        const facet_counts_t *c = &fs->f[f];
        if (!(fs->asked & (1u << f)) || c->missing >= total) continue;
        if (!first) JW_LIT(w, ",");
        first = false;
        jw_str(w, facet_name((facet_t)f));
        JW_LIT(w, ":{\"values\":[");
        for (size_t i = 0; i < c->ntop; i++) {
            if (i) JW_LIT(w, ",");
            JW_LIT(w, "{\"value\":");
            if (f == FACET_YEAR || f == FACET_OPEN_ACCESS)
                jw_raw(w, c->top[i].value, strlen(c->top[i].value));
            else
                jw_str(w, c->top[i].value);
            JW_LIT(w, ",\"count\":");
            jw_long(w, (long long)c->top[i].count);
            JW_LIT(w, "}");
        }
        JW_LIT(w, "],\"other\":");
        jw_long(w, (long long)c->other);
        JW_LIT(w, ",\"missing\":");
        jw_long(w, (long long)c->missing);
        JW_LIT(w, ",\"distinct\":");
        jw_long(w, (long long)c->distinct);
        JW_LIT(w, "}");
    }
    JW_LIT(w, "}");
}

/* {"<name>": {"status", "results", "latency_ms", "error"}, ...} for the
 * providers asked, in source_t order. */
static void write_providers(jw_t *w, const answer_provider_t *providers)
{
    JW_LIT(w, "{");
    bool first = true;
    for (int s = 0; s < SRC_COUNT; s++) {
        const answer_provider_t *pr = &providers[s];
        if (!pr->asked) continue;
        if (!first) JW_LIT(w, ",");
        first = false;
        jw_str(w, source_name((source_t)s));
        JW_LIT(w, ":{\"status\":");
        jw_str(w, status_name(pr->status));
        JW_LIT(w, ",\"results\":");
        jw_long(w, pr->results);
        JW_LIT(w, ",\"latency_ms\":");
        if (pr->latency_ms >= 0 && isfinite(pr->latency_ms))
            jw_fixed(w, pr->latency_ms, 3);
        else
            JW_LIT(w, "null");
        JW_LIT(w, ",\"error\":");
        jw_str(w, pr->error);
        if (pr->filters_asked) {
            JW_LIT(w, ",\"ignored_filters\":[");
            bool first_filter = true;
            for (int f = 0; f < QFILTER_COUNT; f++) {
                if (!(pr->filters_asked & ~pr->filters_pushed & (1u << f))) continue;
                if (!first_filter) JW_LIT(w, ",");
                first_filter = false;
                jw_str(w, query_filter_name(f));
            }
            JW_LIT(w, "]");
        }
        JW_LIT(w, "}");
    }
    JW_LIT(w, "}");
}

/* "next_cursor": the page after this one (core/page_cursor.h), or null. */
static void write_next_cursor(jw_t *w, const answer_t *ans)
{
    if (ans->own_cursor) {
        JW_LIT(w, ",\"next_cursor\":");
        if (ans->next_cursor != NULL)
            jw_str(w, ans->next_cursor);
        else
            JW_LIT(w, "null");
        return;
    }
    char text[PAGE_CURSOR_TEXT_MAX];
    arena_t *a = arena_new(512);
    int rc = a ? page_cursor_next(ans->query, ans->npapers, ans->total, a, text) : -1;
    arena_free(a);
    JW_LIT(w, ",\"next_cursor\":");
    if (rc == 1)
        jw_str(w, text);
    else
        JW_LIT(w, "null");
}

static void write_answer(jw_t *w, const answer_t *ans)
{
    JW_LIT(w, "{\"query\":");
    write_query(w, ans);
    JW_LIT(w, ",\"total\":");
    jw_long(w, (long long)ans->total);
    JW_LIT(w, ",\"offset\":");
    jw_long(w, ans->query->offset);
    JW_LIT(w, ",\"limit\":");
    jw_long(w, ans->query->limit);
    write_next_cursor(w, ans);
    JW_LIT(w, ",\"papers\":[");
    for (size_t i = 0; i < ans->npapers; i++) {
        if (i > 0) JW_LIT(w, ",");
        write_paper(w, ans->papers[i]);
    }
    JW_LIT(w, "]");
    if (ans->facets) write_facets(w, ans->facets, ans->total);
    JW_LIT(w, ",\"providers\":");
    write_providers(w, ans->providers);
    JW_LIT(w, ",\"took_ms\":");
    jw_fixed(w, ans->took_ms >= 0 && isfinite(ans->took_ms) ? ans->took_ms : 0, 3);
    JW_LIT(w, ",\"partial\":");
    jw_bool(w, ans->partial);
    JW_LIT(w, "}");
    if (jw_reserve(w, 0)) w->buf[w->len] = '\0';
}

char *answer_json_write(const answer_t *ans, size_t *len)
{
    jw_t w = {0};
    write_answer(&w, ans);
    if (w.failed) {
        free(w.buf);
        return NULL;
    }
    if (len != NULL) *len = w.len;
    return w.buf;
}

/* The blob path reuses one scratch buffer per process (one loop, one
 * thread), so a steady stream of answers costs one allocation each: the
 * blob. A scratch that grew past 1 MiB is given back after use. */
static jw_t scratch;

blob_t *answer_json_blob(const answer_t *ans)
{
    scratch.len = 0;
    scratch.failed = false;
    write_answer(&scratch, ans);
    blob_t *b = scratch.failed ? NULL : blob_new(scratch.buf, scratch.len);
    if (scratch.cap > (1u << 20)) {
        free(scratch.buf);
        scratch = (jw_t){0};
    }
    return b;
}

/* ---- one paper, the providers' statuses: for answers other than a search ---- */

static char *jw_finish(jw_t *w, size_t *len)
{
    if (jw_reserve(w, 0)) w->buf[w->len] = '\0';
    if (w->failed) {
        free(w->buf);
        return NULL;
    }
    if (len != NULL) *len = w->len;
    return w->buf;
}

char *answer_json_paper(const paper_t *p, size_t *len)
{
    jw_t w = {0};
    write_paper(&w, p);
    return jw_finish(&w, len);
}

char *answer_json_providers(const answer_provider_t providers[SRC_COUNT], size_t *len)
{
    jw_t w = {0};
    write_providers(&w, providers);
    return jw_finish(&w, len);
}

/* ---- pieces for other answers ------------------------------------------------ */

static int append_with(char **buf, size_t *len, size_t *cap, const void *x,
                       void (*fn)(jw_t *, const void *))
{
    jw_t w = {.buf = *buf, .len = *len, .cap = *cap};
    fn(&w, x);
    bool ok = jw_reserve(&w, 0);
    if (ok) w.buf[w.len] = '\0';
    *buf = w.buf;
    *len = w.len;
    *cap = w.cap;
    return ok && !w.failed ? 0 : -1;
}

static void paper_fn(jw_t *w, const void *p)
{
    write_paper(w, p);
}

static void str_fn(jw_t *w, const void *s)
{
    jw_str(w, s);
}

int answer_json_append_paper(char **buf, size_t *len, size_t *cap, const paper_t *p)
{
    return append_with(buf, len, cap, p, paper_fn);
}

int answer_json_append_str(char **buf, size_t *len, size_t *cap, const char *s)
{
    return append_with(buf, len, cap, s, str_fn);
}
