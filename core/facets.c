/* Facet counting: one open-addressing table of values per facet, in the
 * search's arena; then the top values by a partial selection. Venues are
 * grouped ignoring ASCII case and spacing ("Nature" = "nature"), shown as
 * first seen; categories ignoring ASCII case, as the merge dedupes them. */
#include "core/facets.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "core/hash.h"

static const char *const facet_names[FACET_COUNT] = {"year",     "venue",       "category",
                                                     "provider", "open_access", "type"};

const char *facet_name(facet_t f)
{
    return (unsigned)f < FACET_COUNT ? facet_names[f] : "";
}

int facet_parse(const char *name, size_t len)
{
    for (int i = 0; i < FACET_COUNT; i++)
        if (strlen(facet_names[i]) == len && memcmp(facet_names[i], name, len) == 0) return i;
    return -1;
}

typedef struct slot {
    const char *key;   /* folded: what groups */
    const char *shown; /* first seen */
    size_t count;
} slot_t;

typedef struct table {
    slot_t *s;
    size_t mask, n;
} table_t;

/* The grouping key of v: ASCII case folded, runs of spaces one space,
 * none at the ends. */
static const char *fold(arena_t *a, const char *v)
{
    size_t n = strlen(v);
    char *k = arena_alloc(a, n + 1);
    if (!k) return NULL;
    size_t o = 0;
    bool space = false;
    for (const char *p = v; *p; p++) {
        if (isspace((unsigned char)*p)) {
            space = o > 0;
            continue;
        }
        if (space) k[o++] = ' ';
        space = false;
        k[o++] = (char)tolower((unsigned char)*p);
    }
    k[o] = '\0';
    return k;
}

static int table_add(arena_t *a, table_t *t, const char *shown, bool folded)
{
    const char *key = folded ? fold(a, shown) : shown;
    if (!key) return -1;
    if (!key[0]) return 1; /* nothing left: missing */
    size_t h = (size_t)fnv1a(key, strlen(key));
    for (size_t i = h & t->mask;; i = (i + 1) & t->mask) {
        slot_t *s = &t->s[i];
        if (!s->key) {
            *s = (slot_t){.key = key, .shown = shown, .count = 1};
            t->n++;
            return 0;
        }
        if (strcmp(s->key, key) == 0) {
            s->count++;
            return 0;
        }
    }
}

/* Higher count first, then the value (years newest first: they compare as
 * strings of four digits). */
static bool better(const slot_t *x, const slot_t *y, facet_t f)
{
    if (x->count != y->count) return x->count > y->count;
    int c = strcmp(x->shown, y->shown);
    return f == FACET_YEAR ? c > 0 : c < 0;
}

static void pick_top(const table_t *t, facet_t f, size_t total_counts, facet_counts_t *out)
{
    const slot_t *top[FACET_TOP];
    size_t n = 0;
    for (size_t i = 0; i <= t->mask; i++) {
        const slot_t *s = &t->s[i];
        if (!s->key) continue;
        size_t at = n < FACET_TOP ? n++ : FACET_TOP;
        if (at == FACET_TOP) {
            if (!better(s, top[FACET_TOP - 1], f)) continue;
            at = FACET_TOP - 1;
        }
        while (at > 0 && better(s, top[at - 1], f)) {
            top[at] = top[at - 1];
            at--;
        }
        top[at] = s;
    }
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        out->top[i] = (facet_value_t){.value = top[i]->shown, .count = top[i]->count};
        kept += top[i]->count;
    }
    out->ntop = n;
    out->distinct = t->n;
    out->other = total_counts - kept;
}

static int count_one(arena_t *a, const paper_t *const *papers, size_t n, facet_t f,
                     facet_counts_t *out)
{
    memset(out, 0, sizeof *out);
    size_t cap = 16;
    while (cap < 2 * n + 2 * SRC_COUNT)
        cap <<= 1;
    table_t t = {.s = arena_calloc(a, cap, sizeof(slot_t)), .mask = cap - 1};
    if (!t.s) return -1;
    size_t counts = 0;
    for (size_t i = 0; i < n; i++) {
        const paper_t *p = papers[i];
        size_t before = counts;
        int rc = 0;
        switch (f) {
        case FACET_YEAR:
            if (p->year > 0) {
                char *y = arena_sprintf(a, "%d", p->year);
                rc = y ? table_add(a, &t, y, false) : -1;
                counts += rc == 0;
            }
            break;
        case FACET_VENUE:
            if (p->venue && p->venue[0]) {
                rc = table_add(a, &t, p->venue, true);
                counts += rc == 0;
            }
            break;
        case FACET_CATEGORY:
            for (size_t k = 0; k < p->ncategories && rc >= 0; k++) {
                if (!p->categories[k] || !p->categories[k][0]) continue;
                rc = table_add(a, &t, p->categories[k], true);
                counts += rc == 0;
            }
            break;
        case FACET_PROVIDER:
            for (size_t k = 0; k < p->nsources && rc >= 0; k++) {
                rc = table_add(a, &t, source_name(p->sources[k].source), false);
                counts += rc == 0;
            }
            break;
        case FACET_OPEN_ACCESS:
            rc = table_add(a, &t, p->open_access || p->pdf_url ? "true" : "false", false);
            counts += rc == 0;
            break;
        case FACET_TYPE:
            if (paper_type_name(p->type)) {
                rc = table_add(a, &t, paper_type_name(p->type), false);
                counts += rc == 0;
            }
            break;
        case FACET_COUNT:
            break;
        }
        if (rc < 0) return -1;
        if (counts == before) out->missing++;
    }
    pick_top(&t, f, counts, out);
    return 0;
}

int facets_count(arena_t *a, const paper_t *const *papers, size_t n, unsigned asked, facets_t *out)
{
    memset(out, 0, sizeof *out);
    for (int f = 0; f < FACET_COUNT; f++) {
        if (!(asked & (1u << f))) continue;
        if (count_one(a, papers, n, (facet_t)f, &out->f[f]) < 0) return -1;
        out->asked |= 1u << f;
    }
    return 0;
}
