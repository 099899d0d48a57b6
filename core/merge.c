/* Merge, dedupe, filter, rank, sort and page the providers' answers. The
 * rules are in merge.h; this file says how.
 *
 * Dedupe is a union-find over every input paper, driven by a hash table of
 * keys (DOI, arXiv id, title key + family name). The table is a small
 * insert-only open-addressing one (linear probing) sized once from the
 * number of papers, in the request's arena: no deletion, no resizing, no
 * hashing library to depend on (jansson's table is private to it, and
 * nothing else in core needs one), O(n) expected for the whole merge. */
#include "core/merge.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/hash.h"

/* Authority of each source for titles and other descriptive fields: lower
 * is more trusted (core/sources.h says why each has its place). */
#define SOURCE_AUTHORITY_(ID, name, kind, authority, ...) [SRC_##ID] = authority,
static const int authority[SRC_COUNT] = {SOURCE_TABLE(SOURCE_AUTHORITY_)};
#undef SOURCE_AUTHORITY_

/* "<provider>:" id prefixes, in source_t order. */
#define SOURCE_ID_PREFIX_(ID, name, ...) [SRC_##ID] = #name ":",
static const char *const id_prefix[SRC_COUNT] = {SOURCE_TABLE(SOURCE_ID_PREFIX_)};
#undef SOURCE_ID_PREFIX_

#define ARXIV_DOI_PREFIX "10.48550/arxiv."
#define MAX_CATEGORIES 64
#define MAX_TERMS 32
#define RRF_K 60.0

/* One input paper with its dedupe keys. */
typedef struct item {
    const paper_t *p;
    source_t src;
    int rank;
    const char *doi;   /* normalised, or NULL */
    bool doi_is_arxiv; /* an arXiv DataCite DOI */
    const char *arxiv; /* without version, or NULL */
    const char *arxiv_version;
    const char *tkey;   /* title key, or NULL */
    const char *family; /* first author's folded family name, or NULL */
} item_t;

/* ---- hashing ------------------------------------------------------------ */

enum { KEY_DOI = 1, KEY_ARXIV, KEY_TITLE };

typedef struct hent {
    uint64_t h;
    const char *k1, *k2; /* k2 only for title keys */
    int idx;             /* item index; -1 = empty slot */
    int kind;
} hent_t;

typedef struct htab {
    hent_t *e;
    size_t mask;
} htab_t;

/* FNV-1a of the kind, k1 and, after a separator, k2. */
static uint64_t key_hash(int kind, const char *k1, const char *k2)
{
    uint64_t h = fnv1a_add_str(FNV1A_INIT ^ (uint64_t)kind, k1);
    if (k2 != NULL) h = fnv1a_add_str(fnv1a_add(h, "\x1f", 1), k2);
    return h;
}

static int htab_init(htab_t *t, arena_t *a, size_t keys)
{
    size_t cap = 16;
    while (cap < keys * 2)
        cap <<= 1;
    t->e = arena_alloc(a, cap * sizeof(hent_t));
    if (t->e == NULL) return -1;
    for (size_t i = 0; i < cap; i++)
        t->e[i].idx = -1;
    t->mask = cap - 1;
    return 0;
}

static bool hent_is(const hent_t *e, uint64_t h, int kind, const char *k1, const char *k2)
{
    return e->h == h && e->kind == kind && strcmp(e->k1, k1) == 0 &&
           (k2 == NULL || strcmp(e->k2, k2) == 0);
}

/* Returns the first entry's item for the key, or -1. */
static int htab_find(const htab_t *t, uint64_t h, int kind, const char *k1, const char *k2)
{
    for (size_t i = h & t->mask;; i = (i + 1) & t->mask) {
        const hent_t *e = &t->e[i];
        if (e->idx < 0) return -1;
        if (hent_is(e, h, kind, k1, k2)) return e->idx;
    }
}

/* Adds an entry (duplicates allowed). The table never fills: it is sized
 * for twice the number of keys ever inserted. */
static void htab_add(htab_t *t, uint64_t h, int kind, const char *k1, const char *k2, int idx)
{
    size_t i = h & t->mask;
    while (t->e[i].idx >= 0)
        i = (i + 1) & t->mask;
    t->e[i] = (hent_t){.h = h, .k1 = k1, .k2 = k2, .idx = idx, .kind = kind};
}

/* ---- union-find ----------------------------------------------------------- */

typedef struct uf {
    int *parent;
    const char **gdoi;   /* per root: the group's (non-arXiv) DOI, or NULL */
    const char **garxiv; /* per root: the group's arXiv id, or NULL */
    int *ylo, *yhi;      /* per root: the group's known years, 0 when none */
} uf_t;

static int uf_find(uf_t *u, int x)
{
    while (u->parent[x] != x) {
        u->parent[x] = u->parent[u->parent[x]];
        x = u->parent[x];
    }
    return x;
}

/* Joins the groups of x and y; the smaller index stays root, so a group's
 * root is its first-seen member. */
static void uf_union(uf_t *u, int x, int y)
{
    int rx = uf_find(u, x), ry = uf_find(u, y);
    if (rx == ry) return;
    if (ry < rx) {
        int t = rx;
        rx = ry;
        ry = t;
    }
    u->parent[ry] = rx;
    if (u->gdoi[rx] == NULL) u->gdoi[rx] = u->gdoi[ry];
    if (u->garxiv[rx] == NULL) u->garxiv[rx] = u->garxiv[ry];
    if (u->ylo[ry] != 0) {
        if (u->ylo[rx] == 0 || u->ylo[ry] < u->ylo[rx]) u->ylo[rx] = u->ylo[ry];
        if (u->yhi[ry] > u->yhi[rx]) u->yhi[rx] = u->yhi[ry];
    }
}

/* True when a title match between the groups of x and y is allowed: their
 * known years at most one apart (whole groups, so that a paper without a
 * year cannot bridge 2017 and 2021), no two different DOIs or arXiv ids. */
static bool uf_title_compatible(uf_t *u, int x, int y)
{
    int rx = uf_find(u, x), ry = uf_find(u, y);
    if (rx == ry) return false; /* nothing to do */
    if (u->ylo[rx] != 0 && u->ylo[ry] != 0) {
        int lo = u->ylo[rx] > u->ylo[ry] ? u->ylo[rx] : u->ylo[ry];
        int hi = u->yhi[rx] < u->yhi[ry] ? u->yhi[rx] : u->yhi[ry];
        if (lo - hi > 1) return false;
    }
    if (u->gdoi[rx] != NULL && u->gdoi[ry] != NULL && strcmp(u->gdoi[rx], u->gdoi[ry]) != 0)
        return false;
    if (u->garxiv[rx] != NULL && u->garxiv[ry] != NULL && strcmp(u->garxiv[rx], u->garxiv[ry]) != 0)
        return false;
    return true;
}

/* ---- text folding --------------------------------------------------------- */

/* Upper-case U+00C0..U+00DE except U+00D7, as the second UTF-8 byte. */
static bool latin1_upper(unsigned char c2)
{
    return c2 >= 0x80 && c2 <= 0x9e && c2 != 0x97;
}

static bool is_word(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}

static unsigned char lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

/* Case folding for substring search: ASCII and Latin-1 upper case to lower
 * case, everything else as is. Writes at most cap - 1 bytes and a NUL. */
static size_t fold_case(const char *s, char *out, size_t cap)
{
    size_t o = 0;
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; u[i] != '\0' && o + 2 < cap; i++) {
        if (u[i] == 0xc3 && latin1_upper(u[i + 1])) {
            out[o++] = (char)0xc3;
            out[o++] = (char)(u[i + 1] + 0x20);
            i++;
        } else {
            out[o++] = (char)lower(u[i]);
        }
    }
    out[o] = '\0';
    return o;
}

/* ---- dates ---------------------------------------------------------------- */

/* Parses "YYYY[-MM[-DD]]". Returns the precision (0 none, 1 year, 2 month,
 * 3 day) and fills y, m, d (0 when absent). */
static int parse_date(const char *s, int *y, int *m, int *d)
{
    *y = *m = *d = 0;
    if (s == NULL) return 0;
    int v[3] = {0, 0, 0};
    int widths[3] = {4, 2, 2};
    int prec = 0;
    const char *p = s;
    for (int k = 0; k < 3; k++) {
        if (k > 0) {
            if (*p != '-') break;
            p++;
        }
        int x = 0;
        for (int j = 0; j < widths[k]; j++, p++) {
            if (*p < '0' || *p > '9') return prec == 0 ? 0 : (*y = v[0], *m = v[1], prec);
            x = x * 10 + (*p - '0');
        }
        v[k] = x;
        prec = k + 1;
    }
    if (v[0] == 0) return 0;
    if (prec >= 2 && (v[1] < 1 || v[1] > 12)) prec = 1, v[1] = 0, v[2] = 0;
    if (prec == 3 && (v[2] < 1 || v[2] > 31)) prec = 2, v[2] = 0;
    *y = v[0], *m = v[1], *d = v[2];
    return prec;
}

/* The first and last day a paper may have appeared on, as YYYYMMDD, from
 * its published date or else its year. Returns false when neither is known. */
static bool paper_period(const paper_t *p, long *lo, long *hi)
{
    int y, m, d;
    if (parse_date(p->published, &y, &m, &d) == 0) {
        if (p->year <= 0) return false;
        y = p->year, m = 0, d = 0;
    }
    *lo = (long)y * 10000 + (m ? m : 1) * 100 + (d ? d : 1);
    *hi = (long)y * 10000 + (m ? m : 12) * 100 + (d ? d : 31);
    return true;
}

/* Sort key for "newest first": YYYYMMDD with unknown parts 0; 0 unknown. */
static long date_key(const paper_t *p)
{
    int y, m, d;
    if (parse_date(p->published, &y, &m, &d) == 0) return p->year > 0 ? (long)p->year * 10000 : 0;
    return (long)y * 10000 + m * 100 + d;
}

/* ---- filters -------------------------------------------------------------- */

static bool category_matches(const char *cat, const char *want, size_t wlen)
{
    if (strncasecmp(cat, want, wlen) != 0) return false;
    return cat[wlen] == '\0' || cat[wlen] == '.' || want[wlen - 1] == '.';
}

bool merge_matches(const paper_t *p, const query_t *q)
{
    if (q->year_from > 0 || q->year_to > 0) {
        if (p->year <= 0) return false;
        if (q->year_from > 0 && p->year < q->year_from) return false;
        if (q->year_to > 0 && p->year > q->year_to) return false;
    }
    if (q->date_from != NULL || q->date_to != NULL) {
        long lo, hi;
        int y, m, d;
        if (!paper_period(p, &lo, &hi)) return false;
        if (parse_date(q->date_from, &y, &m, &d) > 0 &&
            hi < (long)y * 10000 + (m ? m : 1) * 100 + (d ? d : 1))
            return false;
        if (parse_date(q->date_to, &y, &m, &d) > 0 &&
            lo > (long)y * 10000 + (m ? m : 12) * 100 + (d ? d : 31))
            return false;
    }
    if (q->open_access && !p->open_access && p->pdf_url == NULL) return false;
    if (q->category != NULL && q->category[0] != '\0') {
        size_t wlen = strlen(q->category);
        bool ok = false;
        for (size_t i = 0; i < p->ncategories && !ok; i++)
            ok = p->categories[i] != NULL && category_matches(p->categories[i], q->category, wlen);
        if (!ok) return false;
    }
    if (q->min_citations > 0 && p->citations < q->min_citations) return false;
    if (q->types && !(q->types & (1u << p->type))) return false;
    if (q->has_pdf && (p->pdf_url != NULL) != (q->has_pdf > 0)) return false;
    if (q->venue != NULL) {
        char needle[1024], hay[1024];
        if (p->venue == NULL) return false;
        fold_case(q->venue, needle, sizeof(needle));
        fold_case(p->venue, hay, sizeof(hay));
        if (strstr(hay, needle) == NULL) return false;
    }
    if (q->author != NULL && q->author[0] != '\0') {
        char needle[256], hay[512];
        fold_case(q->author, needle, sizeof(needle));
        bool ok = false;
        for (size_t i = 0; i < p->nauthors && !ok; i++) {
            if (p->authors[i] == NULL) continue;
            fold_case(p->authors[i], hay, sizeof(hay));
            ok = strstr(hay, needle) != NULL;
        }
        if (!ok) return false;
    }
    return true;
}

/* ---- ids ------------------------------------------------------------------ */

static bool is_arxiv_doi(const char *doi)
{
    return doi != NULL && strncasecmp(doi, ARXIV_DOI_PREFIX, sizeof(ARXIV_DOI_PREFIX) - 1) == 0;
}

void merge_paper_id_parts(const paper_t *p, const char **prefix, const char **value)
{
    if (p->doi != NULL && p->doi[0] != '\0' && !is_arxiv_doi(p->doi)) {
        *prefix = "doi:", *value = p->doi;
    } else if (p->arxiv_id != NULL && p->arxiv_id[0] != '\0') {
        *prefix = "arxiv:", *value = p->arxiv_id;
    } else if (p->doi != NULL && p->doi[0] != '\0') {
        *prefix = "doi:", *value = p->doi;
    } else {
        *prefix = "", *value = "";
        const paper_source_t *best = NULL;
        for (size_t i = 0; i < p->nsources; i++) {
            const paper_source_t *s = &p->sources[i];
            if (s->id == NULL || s->id[0] == '\0' || (unsigned)s->source >= SRC_COUNT) continue;
            if (best == NULL || s->source < best->source) best = s;
        }
        if (best != NULL) *prefix = id_prefix[best->source], *value = best->id;
    }
}

char *merge_paper_id(arena_t *a, const paper_t *p)
{
    const char *prefix, *value;
    merge_paper_id_parts(p, &prefix, &value);
    return arena_sprintf(a, "%s%s", prefix, value);
}

/* ---- building merged papers ----------------------------------------------- */

/* Orders members by authority, then rank, then first seen. */
static int cmp_authority(const void *x, const void *y, void *ctx)
{
    const item_t *items = ctx;
    int ix = *(const int *)x, iy = *(const int *)y;
    const item_t *a = &items[ix], *b = &items[iy];
    if (authority[a->src] != authority[b->src])
        return authority[a->src] < authority[b->src] ? -1 : 1;
    if (a->rank != b->rank) return a->rank < b->rank ? -1 : 1;
    return ix < iy ? -1 : ix > iy;
}

/* Fills out from the members m[0..n) (sorted by authority). */
static int build_paper(arena_t *a, const item_t *items, const int *m, size_t n, paper_t *out)
{
    memset(out, 0, sizeof(*out));
    out->title = "";
    out->citations = -1;

    const item_t *doi_from = NULL, *arxiv_from = NULL;
    int best_prec = 0, best_y = 0, best_m = 0, best_d = 0;
    int min_year = 0;
    size_t ncat_in = 0, abstract_len = 0;
    int best_rank[SRC_COUNT];
    const char *best_id[SRC_COUNT];
    for (int s = 0; s < SRC_COUNT; s++)
        best_rank[s] = INT_MAX, best_id[s] = NULL;

    for (size_t k = 0; k < n; k++) {
        const item_t *it = &items[m[k]];
        const paper_t *p = it->p;
        if (out->title[0] == '\0' && p->title != NULL && p->title[0] != '\0') out->title = p->title;
        if (p->abstract != NULL && p->abstract[0] != '\0') {
            size_t alen = strlen(p->abstract);
            if (out->abstract == NULL || alen > abstract_len)
                out->abstract = p->abstract, abstract_len = alen;
        }
        if (p->nauthors > out->nauthors) out->authors = p->authors, out->nauthors = p->nauthors;
        if (it->doi != NULL && (doi_from == NULL || (doi_from->doi_is_arxiv && !it->doi_is_arxiv)))
            doi_from = it;
        if (it->arxiv != NULL &&
            (arxiv_from == NULL || (arxiv_from->src != SRC_ARXIV && it->src == SRC_ARXIV)))
            arxiv_from = it;
        int y, mo, d;
        int prec = parse_date(p->published, &y, &mo, &d);
        if (prec > 0) {
            bool better =
                prec > best_prec ||
                (prec == best_prec &&
                 (y < best_y || (y == best_y && (mo < best_m || (mo == best_m && d < best_d)))));
            if (better) {
                best_prec = prec, best_y = y, best_m = mo, best_d = d;
                out->published = p->published;
            }
        }
        if (p->year > 0 && (min_year == 0 || p->year < min_year)) min_year = p->year;
        if (out->venue == NULL && p->venue != NULL && p->venue[0] != '\0') out->venue = p->venue;
        if (out->url == NULL && p->url != NULL && p->url[0] != '\0') out->url = p->url;
        if (p->citations > out->citations) out->citations = p->citations;
        if (p->open_access) out->open_access = true;
        out->type = paper_type_merge(out->type, p->type);
        ncat_in += p->ncategories;
        bool saw_self = false;
        for (size_t i = 0; i < p->nsources && i < SRC_COUNT; i++) {
            const paper_source_t *ps = &p->sources[i];
            if ((unsigned)ps->source >= SRC_COUNT) continue;
            int r = ps->source == it->src ? it->rank : ps->rank;
            if (ps->source == it->src) saw_self = true;
            if (r < best_rank[ps->source]) best_rank[ps->source] = r, best_id[ps->source] = ps->id;
        }
        if (!saw_self && it->rank < best_rank[it->src]) best_rank[it->src] = it->rank;
    }

    if (doi_from != NULL) out->doi = doi_from->doi;
    if (arxiv_from != NULL) {
        out->arxiv_id = arxiv_from->arxiv;
        out->arxiv_version = arxiv_from->arxiv_version;
    }
    out->year = best_prec > 0 ? best_y : min_year;

    /* pdf: the arXiv provider's, else arXiv's own link, else any */
    for (size_t k = 0; k < n && out->pdf_url == NULL; k++) {
        const item_t *it = &items[m[k]];
        if (it->src == SRC_ARXIV && it->p->pdf_url != NULL && it->p->pdf_url[0] != '\0')
            out->pdf_url = it->p->pdf_url;
    }
    if (out->pdf_url == NULL && out->arxiv_id != NULL) {
        out->pdf_url = arena_sprintf(a, "https://arxiv.org/pdf/%s", out->arxiv_id);
        if (out->pdf_url == NULL) return -1;
    }
    for (size_t k = 0; k < n && out->pdf_url == NULL; k++) {
        const paper_t *p = items[m[k]].p;
        if (p->pdf_url != NULL && p->pdf_url[0] != '\0') out->pdf_url = p->pdf_url;
    }
    if (out->pdf_url != NULL) out->open_access = true;

    /* categories: union in authority order, case-insensitively distinct */
    if (ncat_in > 0) {
        size_t cap = ncat_in < MAX_CATEGORIES ? ncat_in : MAX_CATEGORIES;
        const char **cats = arena_alloc(a, cap * sizeof(*cats));
        if (cats == NULL) return -1;
        size_t nc = 0;
        for (size_t k = 0; k < n && nc < cap; k++) {
            const paper_t *p = items[m[k]].p;
            for (size_t i = 0; i < p->ncategories && nc < cap; i++) {
                const char *c = p->categories[i];
                if (c == NULL || c[0] == '\0') continue;
                bool dup = false;
                for (size_t j = 0; j < nc && !dup; j++)
                    dup = strcasecmp(cats[j], c) == 0;
                if (!dup) cats[nc++] = c;
            }
        }
        out->categories = cats;
        out->ncategories = nc;
    }

    for (int s = 0; s < SRC_COUNT; s++) {
        if (best_rank[s] == INT_MAX) continue;
        out->sources[out->nsources++] =
            (paper_source_t){.source = (source_t)s, .id = best_id[s], .rank = best_rank[s]};
    }
    return 0;
}

/* ---- ranking -------------------------------------------------------------- */

typedef struct terms {
    const char *t[MAX_TERMS];
    size_t len[MAX_TERMS];
    size_t n;
    size_t words; /* of the query, stop words included */
    char *phrase; /* " w1 w2 ... " when two words or more, else NULL */
} terms_t;

/* Next word of s from *pos: ASCII letters and digits, and any byte of a
 * multi-byte UTF-8 character. Returns its length (0 at the end). */
static size_t next_word(const char *s, size_t *pos, const char **w)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = *pos;
    while (u[i] != '\0' && !is_word(u[i]))
        i++;
    size_t st = i;
    while (u[i] != '\0' && is_word(u[i]))
        i++;
    *w = s + st;
    *pos = i;
    return i - st;
}

/* Splits the query into lower-cased, distinct terms (stop words dropped
 * unless they are all there is) and its phrase form. */
static int terms_init(terms_t *t, arena_t *a, const char *text)
{
    memset(t, 0, sizeof(*t));
    if (text == NULL) return 0;
    size_t tl = strlen(text);
    char *low = arena_alloc(a, tl + 1);
    char *phrase = arena_alloc(a, tl + 3);
    if (low == NULL || phrase == NULL) return -1;
    for (size_t i = 0; i <= tl; i++)
        low[i] = (char)lower((unsigned char)text[i]);
    size_t pos = 0, plen = 0, words = 0;
    const char *w;
    size_t n;
    phrase[plen++] = ' ';
    for (int pass = 0; pass < 2 && t->n == 0; pass++) {
        pos = 0;
        while ((n = next_word(low, &pos, &w)) > 0) {
            if (pass == 0) {
                memcpy(phrase + plen, w, n);
                plen += n;
                phrase[plen++] = ' ';
                words++;
                if (paper_is_stop_word(w, n)) continue;
            }
            bool dup = false;
            for (size_t i = 0; i < t->n && !dup; i++)
                dup = t->len[i] == n && memcmp(t->t[i], w, n) == 0;
            if (dup || t->n == MAX_TERMS) continue;
            t->t[t->n] = w, t->len[t->n] = n, t->n++;
        }
    }
    phrase[plen] = '\0';
    t->words = words;
    t->phrase = words >= 2 ? phrase : NULL;
    return 0;
}

/* True when the word w (any case) matches the lower-case term. */
static bool word_matches(const char *term, size_t tn, const char *w, size_t wn)
{
    size_t shorter = tn < wn ? tn : wn, longer = tn < wn ? wn : tn;
    if (tn != wn && (shorter < 4 || longer - shorter > 3)) return false;
    for (size_t i = 0; i < shorter; i++)
        if ((char)lower((unsigned char)w[i]) != term[i]) return false;
    return true;
}

/* Share of the terms found in s. */
static double coverage(const terms_t *t, const char *s)
{
    if (s == NULL || t->n == 0) return 0.0;
    uint32_t found = 0, all = t->n == 32 ? UINT32_MAX : ((1u << t->n) - 1);
    size_t pos = 0, n;
    const char *w;
    while (found != all && (n = next_word(s, &pos, &w)) > 0)
        for (size_t i = 0; i < t->n; i++)
            if (!(found & (1u << i)) && word_matches(t->t[i], t->len[i], w, n)) found |= 1u << i;
    return (double)__builtin_popcount(found) / (double)t->n;
}

/* 1 when the query's words appear in a row in the title. */
static double phrase_in_title(const terms_t *t, const char *title)
{
    if (t->phrase == NULL || title == NULL) return 0.0;
    char buf[1024];
    size_t o = 0, pos = 0, n;
    const char *w;
    buf[o++] = ' ';
    while ((n = next_word(title, &pos, &w)) > 0 && o + n + 2 < sizeof(buf)) {
        for (size_t i = 0; i < n; i++)
            buf[o++] = (char)lower((unsigned char)w[i]);
        buf[o++] = ' ';
    }
    buf[o] = '\0';
    return strstr(buf, t->phrase) != NULL ? 1.0 : 0.0;
}

/* One paper that passed the filters, with its sort keys. */
typedef struct ranked {
    paper_t *p;
    size_t order; /* first seen */
    int best_rank;
    long date;
    double quality; /* strategy best_quality */
} ranked_t;

/* Strategy best_quality: how good the merged record is, 0..1. */
static double quality_of(const paper_t *p, size_t providers)
{
    int have = (p->abstract && p->abstract[0]) + (p->nauthors > 0) + (p->year > 0) +
               ((p->doi && p->doi[0]) || (p->arxiv_id && p->arxiv_id[0])) +
               (p->venue && p->venue[0]) + (p->pdf_url || p->open_access) + (p->citations >= 0);
    double complete = have / 7.0;
    /* log10(1 + citations) / 4: 9,999 citations and more count as 1. */
    double cited = p->citations > 0 ? log10(1.0 + (double)p->citations) / 4.0 : 0.0;
    if (cited > 1.0) cited = 1.0;
    double agree = providers > 1 ? (double)(p->nsources - 1) / (double)(providers - 1) : 0.0;
    return 0.4 * complete + 0.3 * cited + 0.3 * agree;
}

static int cmp_relevance(const void *x, const void *y)
{
    const ranked_t *a = x, *b = y;
    if (a->p->score != b->p->score) return a->p->score > b->p->score ? -1 : 1;
    if (a->p->nsources != b->p->nsources) return a->p->nsources > b->p->nsources ? -1 : 1;
    if (a->best_rank != b->best_rank) return a->best_rank < b->best_rank ? -1 : 1;
    return a->order < b->order ? -1 : a->order > b->order;
}

static int cmp_date(const void *x, const void *y)
{
    const ranked_t *a = x, *b = y;
    if (a->date != b->date) {
        if (a->date == 0 || b->date == 0) return a->date == 0 ? 1 : -1;
        return a->date > b->date ? -1 : 1;
    }
    return cmp_relevance(x, y);
}

static int cmp_citations(const void *x, const void *y)
{
    const ranked_t *a = x, *b = y;
    if (a->p->citations != b->p->citations) {
        if (a->p->citations < 0 || b->p->citations < 0) return a->p->citations < 0 ? 1 : -1;
        return a->p->citations > b->p->citations ? -1 : 1;
    }
    return cmp_relevance(x, y);
}

static int cmp_quality(const void *x, const void *y)
{
    const ranked_t *a = x, *b = y;
    if (a->quality != b->quality) return a->quality > b->quality ? -1 : 1;
    return cmp_relevance(x, y);
}

/* ---- the merge ------------------------------------------------------------ */

/* Computes an input paper's keys. Returns -1 when out of memory. */
static int item_init(arena_t *a, item_t *it, const paper_t *p, source_t s, size_t pos)
{
    memset(it, 0, sizeof(*it));
    it->p = p;
    it->src = s;
    it->rank = (p->nsources > 0 && p->sources[0].rank > 0) ? p->sources[0].rank : (int)pos + 1;
    if (p->doi != NULL && p->doi[0] != '\0') {
        it->doi = paper_normalize_doi(a, p->doi, strlen(p->doi));
        it->doi_is_arxiv = is_arxiv_doi(it->doi);
    }
    if (p->arxiv_id != NULL && p->arxiv_id[0] != '\0') {
        const char *ver = NULL;
        it->arxiv = paper_normalize_arxiv_id(a, p->arxiv_id, strlen(p->arxiv_id), &ver);
        it->arxiv_version = p->arxiv_version != NULL ? p->arxiv_version : ver;
    }
    if (it->arxiv == NULL && it->doi_is_arxiv) {
        const char *id = it->doi + sizeof(ARXIV_DOI_PREFIX) - 1;
        const char *ver = NULL;
        it->arxiv = paper_normalize_arxiv_id(a, id, strlen(id), &ver);
        it->arxiv_version = ver;
    }
    if (p->title != NULL && p->title[0] != '\0') it->tkey = paper_dedupe_title_key(a, p->title);
    if (p->nauthors > 0) it->family = paper_family_key(a, p->authors[0]);
    return 0;
}

int merge_papers(arena_t *a, const paper_list_t *const lists[SRC_COUNT], const query_t *q,
                 merge_result_t *out)
{
    memset(out, 0, sizeof(*out));
    size_t n = 0, providers = 0;
    for (int s = 0; s < SRC_COUNT; s++) {
        if (lists[s] == NULL || lists[s]->n == 0) continue;
        n += lists[s]->n;
        providers++;
    }
    if (n == 0) return 0;
    if (n > INT_MAX / 4) return -1;

    item_t *items = arena_alloc(a, n * sizeof(*items));
    uf_t uf = {
        .parent = arena_alloc(a, n * sizeof(int)),
        .gdoi = arena_calloc(a, n, sizeof(char *)),
        .garxiv = arena_calloc(a, n, sizeof(char *)),
        .ylo = arena_calloc(a, n, sizeof(int)),
        .yhi = arena_calloc(a, n, sizeof(int)),
    };
    htab_t ht;
    if (items == NULL || uf.parent == NULL || uf.gdoi == NULL || uf.garxiv == NULL ||
        uf.ylo == NULL || uf.yhi == NULL || htab_init(&ht, a, n * 3) < 0)
        goto fail;

    /* 1. keys, in source order then rank order */
    size_t k = 0;
    for (int s = 0; s < SRC_COUNT; s++) {
        if (lists[s] == NULL) continue;
        for (size_t i = 0; i < lists[s]->n; i++, k++) {
            if (item_init(a, &items[k], &lists[s]->items[i], (source_t)s, i) < 0) goto fail;
            uf.parent[k] = (int)k;
            if (items[k].doi != NULL && !items[k].doi_is_arxiv) uf.gdoi[k] = items[k].doi;
            uf.garxiv[k] = items[k].arxiv;
            if (items[k].p->year > 0) uf.ylo[k] = uf.yhi[k] = items[k].p->year;
        }
    }

    /* 2. union by DOI, then arXiv id, then title + family name */
    for (size_t i = 0; i < n; i++) {
        item_t *it = &items[i];
        if (it->doi != NULL) {
            uint64_t h = key_hash(KEY_DOI, it->doi, NULL);
            int j = htab_find(&ht, h, KEY_DOI, it->doi, NULL);
            if (j >= 0)
                uf_union(&uf, (int)i, j);
            else
                htab_add(&ht, h, KEY_DOI, it->doi, NULL, (int)i);
        }
        if (it->arxiv != NULL) {
            uint64_t h = key_hash(KEY_ARXIV, it->arxiv, NULL);
            int j = htab_find(&ht, h, KEY_ARXIV, it->arxiv, NULL);
            if (j >= 0)
                uf_union(&uf, (int)i, j);
            else
                htab_add(&ht, h, KEY_ARXIV, it->arxiv, NULL, (int)i);
        }
    }
    /* Title matches come after every identifier match, so the conflict check
     * sees each group's identifiers whatever the order of the inputs. */
    for (size_t i = 0; i < n; i++) {
        item_t *it = &items[i];
        if (it->tkey == NULL || it->family == NULL) continue;
        uint64_t h = key_hash(KEY_TITLE, it->tkey, it->family);
        for (size_t e = h & ht.mask; ht.e[e].idx >= 0; e = (e + 1) & ht.mask) {
            const hent_t *he = &ht.e[e];
            if (hent_is(he, h, KEY_TITLE, it->tkey, it->family) &&
                uf_title_compatible(&uf, (int)i, he->idx))
                uf_union(&uf, (int)i, he->idx);
        }
        htab_add(&ht, h, KEY_TITLE, it->tkey, it->family, (int)i);
    }

    /* 3. groups, in order of their first member (the root) */
    int *gid = arena_alloc(a, n * sizeof(int));
    size_t *gstart = arena_calloc(a, n + 1, sizeof(size_t));
    int *members = arena_alloc(a, n * sizeof(int));
    if (gid == NULL || gstart == NULL || members == NULL) goto fail;
    size_t ngroups = 0;
    for (size_t i = 0; i < n; i++) {
        int r = uf_find(&uf, (int)i);
        if ((size_t)r == i) gid[i] = (int)ngroups++;
        gstart[gid[r] + 1]++;
        gid[i] = gid[r];
    }
    for (size_t g = 0; g < ngroups; g++)
        gstart[g + 1] += gstart[g];
    size_t *fill = arena_alloc(a, ngroups * sizeof(size_t));
    paper_t *all = arena_alloc(a, ngroups * sizeof(paper_t));
    if (fill == NULL || all == NULL) goto fail;
    memcpy(fill, gstart, ngroups * sizeof(size_t));
    for (size_t i = 0; i < n; i++)
        members[fill[gid[i]]++] = (int)i;
    for (size_t g = 0; g < ngroups; g++) {
        int *m = members + gstart[g];
        size_t nm = gstart[g + 1] - gstart[g];
        if (nm > 1) qsort_r(m, nm, sizeof(int), cmp_authority, items);
        if (build_paper(a, items, m, nm, &all[g]) < 0) goto fail;
    }

    /* 4. filter and score */
    terms_t terms;
    ranked_t *rk = arena_alloc(a, ngroups * sizeof(ranked_t));
    if (rk == NULL || terms_init(&terms, a, q->text) < 0) goto fail;
    size_t total = 0;
    /* A pasted title (two words or more) finds its paper first. */
    const char *qkey = terms.phrase != NULL ? paper_dedupe_title_key(a, q->text) : NULL;
    for (size_t g = 0; g < ngroups; g++) {
        paper_t *p = &all[g];
        /* A record without any title (a Crossref journal issue, an S2 or
         * OpenAlex record with none) helped merge by its ids; alone it is
         * not a result. */
        if (p->title == NULL || p->title[0] == '\0') continue;
        if (!merge_matches(p, q)) continue;
        double rrf = 0.0;
        int best = INT_MAX;
        for (size_t i = 0; i < p->nsources; i++) {
            int r = p->sources[i].rank > 0 ? p->sources[i].rank : 1;
            rrf += 1.0 / (RRF_K + (double)r);
            if (r < best) best = r;
        }
        double rrf_n = rrf * (RRF_K + 1.0) / (double)providers;
        double phrase = phrase_in_title(&terms, p->title);
        double text =
            0.6 * coverage(&terms, p->title) + 0.3 * coverage(&terms, p->abstract) + 0.1 * phrase;
        const char *tkey = qkey != NULL ? paper_dedupe_title_key(a, p->title) : NULL;
        double exact = tkey != NULL && strcmp(tkey, qkey) == 0 ? 1.0 : 0.0;
        /* A piece of a title pasted (three words or more in a row, two of
         * them not stop words) points at the titles holding it, more than
         * the providers' consensus does: that mostly says which papers more
         * providers know. */
        double run = terms.words >= 3 && terms.n >= 2 ? phrase : 0.0;
        p->score = 0.6 * rrf_n + 0.4 * text + 0.3 * run + 0.5 * exact;
        rk[total++] = (ranked_t){.p = p,
                                 .order = g,
                                 .best_rank = best,
                                 .date = date_key(p),
                                 .quality = q->strategy == STRATEGY_BEST_QUALITY
                                                ? quality_of(p, providers) + exact
                                                : 0.0};
    }

    /* 5. sort, then offset / limit */
    int (*cmp)(const void *, const void *) = q->sort == SORT_DATE                   ? cmp_date
                                             : q->sort == SORT_CITATIONS            ? cmp_citations
                                             : q->strategy == STRATEGY_BEST_QUALITY ? cmp_quality
                                                                                    : cmp_relevance;
    if (total > 1) qsort(rk, total, sizeof(ranked_t), cmp);
    size_t off = q->offset > 0 ? (size_t)q->offset : 0;
    size_t lim = q->limit > 0 ? (size_t)q->limit : QUERY_DEFAULT_LIMIT;
    size_t npage = off < total ? total - off : 0;
    if (npage > lim) npage = lim;
    const paper_t **ranked = arena_alloc(a, (total ? total : 1) * sizeof(*ranked));
    if (ranked == NULL) goto fail;
    for (size_t i = 0; i < total; i++)
        ranked[i] = rk[i].p;
    const paper_t **page = ranked + (npage ? off : 0);

    out->all = all;
    out->nall = ngroups;
    out->ranked = ranked;
    out->page = page;
    out->npage = npage;
    out->total = total;
    return 0;
fail:
    memset(out, 0, sizeof(*out));
    return -1;
}
