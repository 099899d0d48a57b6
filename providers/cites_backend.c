/* The citation lists' backend: each cites_call_t of core/citations.h as a
 * provider call of providers/fanout.h, built and read by the adapters'
 * citation-list functions (providers/cites.h). */
#include "providers/cites.h"
#include "providers/fanout.h"

static int cites_task_build(const prov_task_t *t, const prov_settings_t *ps, prov_request_t *out,
                            char *err, size_t errlen)
{
    const cites_call_t *c = t->owner;
    switch (c->kind) {
    case CITES_CALL_S2_PAGE:
        return prov_s2_cites_build(c->dir, c->id, c->offset, c->limit, ps, t->arena, out, err,
                                   errlen);
    case CITES_CALL_OA_WORK:
        return prov_openalex_work_build(c->id, ps, t->arena, out, err, errlen);
    case CITES_CALL_OA_CITES:
        return prov_openalex_cites_build(c->id, c->pageno, c->limit, ps, t->arena, out, err,
                                         errlen);
    case CITES_CALL_OA_IDS:
        return prov_openalex_ids_build(c->wids, c->nwids, ps, t->arena, out, err, errlen);
    case CITES_CALL_S2_IDS:
        return prov_s2_ids_build(c->id, ps, t->arena, out, err, errlen);
    }
    return -1;
}

/* A 2xx answer: the edges go into the call's page (the list's), the
 * work's W id and references into the call. */
static int cites_task_read(void *data, const char *body, size_t len, arena_t *a,
                           paper_list_t **papers, char *err, size_t errlen)
{
    cites_call_t *c = data;
    *papers = NULL;
    switch (c->kind) {
    case CITES_CALL_S2_PAGE:
        return prov_s2_cites_parse(c->dir, body, len, a, c->page, err, errlen);
    case CITES_CALL_OA_WORK:
        return prov_openalex_work_parse(body, len, a, &c->wid, &c->refs, &c->nrefs, err, errlen);
    case CITES_CALL_OA_CITES:
    case CITES_CALL_OA_IDS:
        return prov_openalex_list_parse(body, len, a, c->page, err, errlen);
    case CITES_CALL_S2_IDS:
        return prov_s2_ids_parse(body, len, a, &c->doi, &c->arxiv, err, errlen);
    }
    return -1;
}

static void cites_task_done(const prov_task_t *t, search_pstatus_t st, paper_list_t *papers,
                            double latency_ms, const char *err)
{
    (void)papers; /* the edges are in the call's page already */
    cites_call_done(t->owner, st, latency_ms, err);
}

static const prov_task_ops_t cites_task_ops = {.build = cites_task_build, .done = cites_task_done};

static void cites_start(void *ctx, cites_call_t *c)
{
    prov_task_t t = {
        .ops = &cites_task_ops,
        .owner = c,
        .data = c,
        .source = c->source,
        .arena = c->arena,
        .deadline_ns = c->deadline_ns,
        .traceparent = c->traceparent,
        .reader = {.read = cites_task_read, .data = c, .not_found_ok = true},
        .slot = &c->handle,
    };
    prov_fanout_call(ctx, &t);
}

static void cites_cancel(void *ctx, cites_call_t *c)
{
    (void)ctx;
    void *h = c->handle;
    c->handle = NULL;
    prov_fanout_cancel(h);
}

void prov_cites_backend_init(cites_backend_t *be, struct prov_fanout *fanout)
{
    be->ctx = fanout;
    be->start = cites_start;
    be->cancel = cites_cancel;
}
