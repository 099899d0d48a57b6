/* A fake search backend for the state machine tests: each provider answers
 * after a scripted delay on a uv timer, synchronously inside start(), or
 * never, with a scripted status, papers and error. It counts start() and
 * cancel() per provider, and can be told to ignore cancel() (to check that
 * a late answer is dropped by the search). */
#ifndef SF_TEST_SEARCH_FAKE_BACKEND_H
#define SF_TEST_SEARCH_FAKE_BACKEND_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "core/arena.h"
#include "core/paper.h"
#include "core/search.h"

#define FAKE_NEVER (-1) /* delay_ms: never answers (until cancelled) */
#define FAKE_SYNC 0     /* delay_ms: answers inside start() */

typedef struct fake_script {
    int delay_ms;
    search_pstatus_t status; /* what it reports (PSTAT_OK by default: 0 is PENDING) */
    int npapers;             /* papers "<title_base> <i>" with DOI "10.1/<doi_base>.<i>" */
    const char *title_base;  /* NULL: "<provider> paper" (distinct per provider) */
    const char *doi_base;    /* NULL: the provider's name (distinct per provider) */
    const char *error;       /* the error message it reports, or NULL */
    bool ignore_cancel;      /* keeps its timer after cancel() and answers anyway */
    bool null_papers;        /* reports papers == NULL */
} fake_script_t;

typedef struct fake_backend fake_backend_t;

typedef struct fake_call {
    struct fake_call *prev, *next; /* the backend's list of live calls */
    fake_backend_t *fb;
    search_t *search;
    source_t src;
    uv_timer_t timer;
    bool cancelled;
    bool answered;
} fake_call_t;

struct fake_backend {
    search_backend_t backend; /* what search_start() is given */
    uv_loop_t *loop;
    fake_script_t script[SRC_COUNT];
    int started[SRC_COUNT];
    int cancelled[SRC_COUNT];
    int answered[SRC_COUNT];      /* search_provider_done() calls made */
    int answered_late[SRC_COUNT]; /* ... of them after a cancel() */
    int live_calls;               /* fake_call_t not yet freed */
    fake_call_t *calls;           /* ... in a list */
};

static inline void fake__closed(uv_handle_t *h)
{
    fake_call_t *c = h->data;
    c->fb->live_calls--;
    if (c->prev)
        c->prev->next = c->next;
    else
        c->fb->calls = c->next;
    if (c->next) c->next->prev = c->prev;
    free(c);
}

static inline void fake__close(fake_call_t *c)
{
    uv_timer_stop(&c->timer);
    if (!uv_is_closing((uv_handle_t *)&c->timer)) uv_close((uv_handle_t *)&c->timer, fake__closed);
}

/* Builds the scripted papers in the search's arena. */
static inline paper_list_t *fake__papers(const fake_script_t *sc, search_t *s, source_t src)
{
    if (sc->null_papers) return NULL;
    arena_t *a = search_arena(s);
    paper_list_t *l = arena_calloc(a, 1, sizeof *l);
    if (!l) abort();
    for (int i = 0; i < sc->npapers; i++) {
        paper_t *p = paper_list_add(l, a);
        if (!p) abort();
        const char *tb = sc->title_base ? sc->title_base : source_name(src);
        const char *db = sc->doi_base ? sc->doi_base : source_name(src);
        p->title = arena_sprintf(a, "%s paper number %d", tb, i);
        p->doi = arena_sprintf(a, "10.1/%s.%d", db, i);
        p->year = 2020;
        p->sources[0].source = src;
        p->sources[0].id = arena_sprintf(a, "%s-%d", source_name(src), i);
        p->sources[0].rank = i + 1;
        p->nsources = 1;
    }
    return l;
}

static inline void fake__answer(fake_backend_t *fb, search_t *s, source_t src)
{
    const fake_script_t *sc = &fb->script[src];
    /* The error goes through a buffer that is wiped at once: the search must copy it. */
    char err[256];
    if (sc->error) snprintf(err, sizeof err, "%s", sc->error);
    fb->answered[src]++;
    search_pstatus_t st = sc->status ? sc->status : PSTAT_OK;
    search_provider_done(s, src, st, fake__papers(sc, s, src), (double)sc->delay_ms,
                         sc->error ? err : NULL);
    memset(err, 'X', sizeof err - 1);
    err[sizeof err - 1] = '\0';
}

static inline void fake__on_timer(uv_timer_t *t)
{
    fake_call_t *c = t->data;
    fake_backend_t *fb = c->fb;
    if (c->cancelled) fb->answered_late[c->src]++;
    c->answered = true;
    if (!c->cancelled) *search_backend_slot(c->search, c->src) = NULL;
    fake__close(c);
    fake__answer(fb, c->search, c->src);
}

static inline void fake__start(void *ctx, search_t *s, source_t src)
{
    fake_backend_t *fb = ctx;
    const fake_script_t *sc = &fb->script[src];
    fb->started[src]++;
    if (sc->delay_ms == FAKE_SYNC) {
        fake__answer(fb, s, src);
        return;
    }
    fake_call_t *c = calloc(1, sizeof *c);
    if (!c) abort();
    c->fb = fb;
    c->search = s;
    c->src = src;
    uv_timer_init(fb->loop, &c->timer);
    c->timer.data = c;
    fb->live_calls++;
    c->next = fb->calls;
    if (fb->calls) fb->calls->prev = c;
    fb->calls = c;
    *search_backend_slot(s, src) = c;
    if (sc->delay_ms > 0) uv_timer_start(&c->timer, fake__on_timer, (uint64_t)sc->delay_ms, 0);
}

static inline void fake__cancel(void *ctx, search_t *s, source_t src)
{
    fake_backend_t *fb = ctx;
    fb->cancelled[src]++;
    fake_call_t *c = *search_backend_slot(s, src);
    if (!c) return; /* answered synchronously, or already done */
    *search_backend_slot(s, src) = NULL;
    c->cancelled = true;
    if (fb->script[src].ignore_cancel && fb->script[src].delay_ms > 0) return;
    fake__close(c);
}

/* Every provider answers OK with 3 papers after 5 ms unless told otherwise. */
static inline void fake_init(fake_backend_t *fb, uv_loop_t *loop)
{
    memset(fb, 0, sizeof *fb);
    fb->loop = loop;
    for (int i = 0; i < SRC_COUNT; i++) {
        fb->script[i].delay_ms = 5;
        fb->script[i].status = PSTAT_OK;
        fb->script[i].npapers = 3;
    }
    fb->backend = (search_backend_t){.ctx = fb, .start = fake__start, .cancel = fake__cancel};
}

/* Closes every call still open (for tests that bypass cancel()). */
static inline void fake_close_all(fake_backend_t *fb)
{
    for (fake_call_t *c = fb->calls; c; c = c->next)
        fake__close(c);
}

static inline int fake_started_total(const fake_backend_t *fb)
{
    int n = 0;
    for (int i = 0; i < SRC_COUNT; i++)
        n += fb->started[i];
    return n;
}

static inline int fake_cancelled_total(const fake_backend_t *fb)
{
    int n = 0;
    for (int i = 0; i < SRC_COUNT; i++)
        n += fb->cancelled[i];
    return n;
}

#endif
