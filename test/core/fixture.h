/* Helpers for the merge and answer tests: build providers' lists by hand. */
#ifndef SF_TEST_MERGE_FIXTURE_H
#define SF_TEST_MERGE_FIXTURE_H

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/merge.h"
#include "core/paper.h"
#include "core/query.h"

typedef struct fx {
    arena_t *a;
    paper_list_t lists[SRC_COUNT];
    const paper_list_t *in[SRC_COUNT];
    query_t q;
} fx_t;

static inline void fx_init(fx_t *f, const char *text)
{
    memset(f, 0, sizeof(*f));
    f->a = arena_new(0);
    for (int s = 0; s < SRC_COUNT; s++)
        f->in[s] = &f->lists[s];
    f->q.text = text;
    f->q.limit = 10;
}

static inline void fx_free(fx_t *f)
{
    arena_free(f->a);
}

/* Appends a paper to provider s's list, ranked after the ones before it,
 * with provider id "<name>-<rank>". */
static inline paper_t *fx_add(fx_t *f, source_t s, const char *title)
{
    paper_t *p = paper_list_add(&f->lists[s], f->a);
    if (p == NULL) abort();
    p->title = title;
    p->sources[0].source = s;
    p->sources[0].rank = (int)f->lists[s].n;
    p->sources[0].id = arena_sprintf(f->a, "%s-%zu", source_name(s), f->lists[s].n);
    p->nsources = 1;
    return p;
}

/* Sets the authors: n names. */
static inline void fx_authors(fx_t *f, paper_t *p, size_t n, ...)
{
    const char **v = arena_alloc(f->a, (n ? n : 1) * sizeof(*v));
    va_list ap;
    va_start(ap, n);
    for (size_t i = 0; i < n; i++)
        v[i] = va_arg(ap, const char *);
    va_end(ap);
    p->authors = v;
    p->nauthors = n;
}

/* Sets the categories: n names. */
static inline void fx_cats(fx_t *f, paper_t *p, size_t n, ...)
{
    const char **v = arena_alloc(f->a, (n ? n : 1) * sizeof(*v));
    va_list ap;
    va_start(ap, n);
    for (size_t i = 0; i < n; i++)
        v[i] = va_arg(ap, const char *);
    va_end(ap);
    p->categories = v;
    p->ncategories = n;
}

/* Runs the merge; aborts on failure. */
static inline merge_result_t fx_merge(fx_t *f)
{
    merge_result_t r;
    if (merge_papers(f->a, f->in, &f->q, &r) != 0) abort();
    return r;
}

#endif
