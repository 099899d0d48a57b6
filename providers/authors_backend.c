/* The author fetches' backend: each author_call_t of core/author_fetch.h
 * as a provider call of providers/fanout.h (the same switch, breaker,
 * rate limit, retries and verdict as a search; a 404 is "no such author",
 * an empty list), built and read by providers/authors.c. */
#include "providers/authors.h"
#include "providers/authors_backend.h"
#include "providers/fanout.h"

static int author_task_build(const prov_task_t *t, const prov_settings_t *ps, prov_request_t *out,
                             char *err, size_t errlen)
{
    const author_call_t *c = t->owner;
    if (c->kind == AUTHOR_CALL_PAPERS)
        return c->source == SRC_SEMANTIC_SCHOLAR
                   ? prov_s2_author_papers_build(c->id, 0, c->limit, ps, t->arena, out, err, errlen)
                   : prov_openalex_author_works_build(c->id, c->limit, ps, t->arena, out, err,
                                                      errlen);
    bool search = c->kind == AUTHOR_CALL_SEARCH;
    if (c->source == SRC_SEMANTIC_SCHOLAR)
        return search ? prov_s2_author_search_build(c->query, c->offset, c->limit, ps, t->arena,
                                                    out, err, errlen)
                      : prov_s2_author_build(c->id, ps, t->arena, out, err, errlen);
    if (c->source == SRC_OPENALEX) {
        /* OpenAlex pages by number: the page holding offset. */
        int per = c->limit > 0 ? c->limit : 25;
        return search
                   ? prov_openalex_author_search_build(c->query, 1 + (int)(c->offset / (size_t)per),
                                                       per, ps, t->arena, out, err, errlen)
                   : prov_openalex_author_build(c->id, ps, t->arena, out, err, errlen);
    }
    return -1;
}

static int author_task_read(void *data, const char *body, size_t len, arena_t *a,
                            paper_list_t **papers, char *err, size_t errlen)
{
    author_call_t *c = data;
    *papers = NULL;
    if (c->kind == AUTHOR_CALL_PAPERS) {
        /* Both answers are shaped as the adapter's search answer. */
        prov_result_t res = {0};
        if (prov_parse(c->source == SRC_SEMANTIC_SCHOLAR ? &prov_semantic_scholar : &prov_openalex,
                       body, len, a, &res, err, errlen) < 0)
            return -1;
        *c->papers = res.papers;
        c->total = res.total;
        return 0;
    }
    bool single = c->kind == AUTHOR_CALL_PROFILE;
    if (c->source == SRC_SEMANTIC_SCHOLAR)
        return prov_s2_authors_parse(body, len, single, a, c->list, &c->total, err, errlen);
    return prov_openalex_authors_parse(body, len, single, a, c->list, &c->total, err, errlen);
}

static void author_task_done(const prov_task_t *t, search_pstatus_t st, paper_list_t *papers,
                             double latency_ms, const char *err)
{
    (void)papers; /* the records are in the call's list already */
    author_call_done(t->owner, st, latency_ms, err);
}

static const prov_task_ops_t author_task_ops = {.build = author_task_build,
                                                .done = author_task_done};

static void author_start(void *ctx, author_call_t *c)
{
    prov_task_t t = {
        .ops = &author_task_ops,
        .owner = c,
        .data = c,
        .source = c->source,
        .arena = c->arena,
        .deadline_ns = c->deadline_ns,
        .traceparent = c->traceparent,
        .reader = {.read = author_task_read, .data = c, .not_found_ok = true},
        .slot = &c->handle,
    };
    prov_fanout_call(ctx, &t);
}

static void author_cancel(void *ctx, author_call_t *c)
{
    (void)ctx;
    void *h = c->handle;
    c->handle = NULL;
    prov_fanout_cancel(h);
}

void prov_authors_backend_init(author_backend_t *be, struct prov_fanout *fanout)
{
    be->ctx = fanout;
    be->start = author_start;
    be->cancel = author_cancel;
}
