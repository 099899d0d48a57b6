/* Lookups by id: the shared reader of a lookup answer (prov_lookup_read,
 * providers/provider.h) and the lookup backend on the provider call
 * (prov_lookup_backend, providers/fanout.h): each part of a lookup
 * (core/lookup.h) is one prov_task_t built by the adapter's lookup_build
 * and read here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "providers/common.h"
#include "providers/fanout.h"
#include "providers/jstream.h"

/* The position in ids of the id p answers (not taken yet), or -1. */
static long match_id(const paper_ref_t *ids, size_t n, const bool *taken, const paper_t *p)
{
    for (size_t i = 0; i < n; i++)
        if (!taken[i] && paper_ref_matches(&ids[i], p)) return (long)i;
    return -1;
}

/* Puts p at position i of the answer. */
static void place(paper_list_t *out, size_t i, const paper_t *p, bool *taken)
{
    out->items[i] = *p;
    out->items[i].nsources = p->nsources ? 1 : 0;
    out->items[i].sources[0].rank = 1;
    taken[i] = true;
}

static int new_answer(arena_t *a, size_t n, paper_list_t **out, bool **taken)
{
    *out = arena_calloc(a, 1, sizeof **out);
    *taken = arena_calloc(a, n ? n : 1, sizeof **taken);
    if (!*out || !*taken) return -1;
    for (size_t i = 0; i < n; i++)
        if (!paper_list_add(*out, a)) return -1; /* nsources 0: not found */
    return 0;
}

/* ---- the shapes of the answers, on each adapter's item mapping ----
 * S2: the paper object itself, or the batch's array ([paper|null, ...] in
 * the ids' order); OpenAlex: the work, or {"results": [...]}; Crossref:
 * {"message": work}, or {"message": {"items": [...]}}. */
enum { LK_BATCH_ELEM = 1 };

typedef struct lk_env {
    size_t nholes;
    size_t holes[PAPER_REF_MAX]; /* positions of nulls in S2's batch array (its few unknown ids) */
    bool too_many_holes;
} lk_env_t;

static int lk_env_value(prov_js_t *js, void *st, int slot, const prov_jval_t *v)
{
    lk_env_t *e = st;
    if (slot != LK_BATCH_ELEM || v->type != PROV_JV_NULL) return 0;
    if (e->nholes < sizeof e->holes / sizeof e->holes[0])
        e->holes[e->nholes++] = prov_js_index(js);
    else
        e->too_many_holes = true;
    return 0;
}

static int lk_env_finish(prov_js_t *js, void *st, long *total, char *err, size_t errlen)
{
    (void)js;
    (void)st;
    (void)err;
    (void)errlen;
    *total = -1;
    return 0;
}

#define LK_KIND(src, rootnode)                                                                     \
    {                                                                                              \
        .source = (src), .root = rootnode, .state_size = sizeof(lk_env_t),                         \
        .ops = {.value = lk_env_value}, .finish = lk_env_finish                                    \
    }

static const prov_jnode_t s2_batch_elem = {.slot = LK_BATCH_ELEM, .item = &prov__s2_item};
static const prov_jkind_t s2_one = LK_KIND(SRC_SEMANTIC_SCHOLAR, {.item = &prov__s2_item});
static const prov_jkind_t s2_many = LK_KIND(SRC_SEMANTIC_SCHOLAR, {.elem = &s2_batch_elem});

static const prov_jnode_t oa_elem = {.item = &prov__openalex_item};
static const prov_jnode_t oa_list_fields[] = {{.key = "results", .elem = &oa_elem}, {0}};
static const prov_jkind_t oa_one = LK_KIND(SRC_OPENALEX, {.item = &prov__openalex_item});
static const prov_jkind_t oa_many = LK_KIND(SRC_OPENALEX, {.fields = oa_list_fields});

static const prov_jnode_t cr_one_fields[] = {{.key = "message", .item = &prov__crossref_item}, {0}};
static const prov_jnode_t cr_elem = {.item = &prov__crossref_item};
static const prov_jnode_t cr_msg_fields[] = {{.key = "items", .elem = &cr_elem}, {0}};
static const prov_jnode_t cr_many_fields[] = {{.key = "message", .fields = cr_msg_fields}, {0}};
static const prov_jkind_t cr_one = LK_KIND(SRC_CROSSREF, {.fields = cr_one_fields});
static const prov_jkind_t cr_many = LK_KIND(SRC_CROSSREF, {.fields = cr_many_fields});

/* The shape of src's answer for n ids; NULL: read by the adapter's parse. */
static const prov_jkind_t *lookup_kind(source_t src, size_t n, bool *positional)
{
    *positional = false;
    switch (src) {
    case SRC_SEMANTIC_SCHOLAR:
        *positional = n > 1;
        return n > 1 ? &s2_many : &s2_one;
    case SRC_OPENALEX:
        return n > 1 ? &oa_many : &oa_one;
    case SRC_CROSSREF:
        return n > 1 ? &cr_many : &cr_one;
    default:
        return NULL;
    }
}

int prov_lookup_read(const prov_def_t *def, const paper_ref_t *ids, size_t n, const char *body,
                     size_t len, arena_t *a, paper_list_t **out, char *err, size_t errlen)
{
    const char *who = source_name(def->source);
    bool *taken;
    if (new_answer(a, n, out, &taken) < 0) return prov__fail(err, errlen, "%s: out of memory", who);
    bool positional;
    const prov_jkind_t *kind = lookup_kind(def->source, n, &positional);
    prov_result_t res = {0};
    lk_env_t holes = {0};
    if (!kind) {
        if (prov_parse(def, body, len, a, &res, err, errlen) < 0) return -1;
    } else {
        prov_js_t *js = prov__js_new(kind, a);
        if (!js) return prov__fail(err, errlen, "%s: out of memory", who);
        prov__js_feed(js, body, len);
        int rc = prov__js_finish(js, &res, err, errlen);
        holes = *(lk_env_t *)prov_js_state(js);
        prov__js_free(js);
        if (rc < 0) return -1;
    }
    if (positional && !holes.too_many_holes) {
        /* S2's batch: the k-th paper is at the k-th position that is not null. */
        size_t pos = 0, h = 0;
        for (size_t k = 0; k < res.papers.n && pos < n; k++, pos++) {
            while (h < holes.nholes && holes.holes[h] == pos) {
                h++;
                pos++;
            }
            if (pos < n) place(*out, pos, &res.papers.items[k], taken);
        }
        return 0;
    }
    for (size_t k = 0; k < res.papers.n; k++) {
        const paper_t *p = &res.papers.items[k];
        /* The single-paper path: that paper is the id's. */
        long i = n == 1 && kind ? (taken[0] ? -1 : 0) : match_id(ids, n, taken, p);
        if (i >= 0) place(*out, (size_t)i, p, taken);
    }
    return 0;
}

/* ---- the lookup backend ---------------------------------------------------- */

typedef struct prov_lookup {
    prov_fanout_t *fanout;
    lookup_backend_t backend;
} prov_lookup_t;

static int part_build(const prov_task_t *t, const prov_settings_t *ps, prov_request_t *out,
                      char *err, size_t errlen)
{
    const prov_def_t *def = prov_def_for(t->source);
    size_t n;
    const paper_ref_t *ids = lookup_part_ids(t->data, &n);
    if (!def || !def->lookup_build)
        return prov__fail(err, errlen, "%s: no lookup by id", source_name(t->source));
    if (!ps->base_url || !*ps->base_url)
        return prov__fail(err, errlen, "%s: no base URL", source_name(t->source));
    return def->lookup_build(ids, n, ps, t->arena, out, err, errlen);
}

static int part_read(void *data, const char *body, size_t len, arena_t *a, paper_list_t **papers,
                     char *err, size_t errlen)
{
    lookup_part_t *part = data;
    size_t n;
    const paper_ref_t *ids = lookup_part_ids(part, &n);
    return prov_lookup_read(prov_def_for(lookup_part_source(part)), ids, n, body, len, a, papers,
                            err, errlen);
}

static void part_done(const prov_task_t *t, search_pstatus_t st, paper_list_t *papers,
                      double latency_ms, const char *err)
{
    lookup_part_done(t->owner, t->data, st, papers, latency_ms, err);
}

static const prov_task_ops_t part_ops = {.build = part_build, .done = part_done};

static size_t lk_max_ids(void *ctx, source_t src, bool *mixed)
{
    prov_lookup_t *pl = ctx;
    const prov_def_t *def = prov_def_for(src);
    if (!def || !def->lookup_build || !((prov_fanout_enabled(pl->fanout) >> src) & 1)) return 0;
    *mixed = def->lookup_mixed;
    return def->lookup_max ? def->lookup_max : 1;
}

static bool lk_alone(void *ctx, source_t src, const paper_ref_t *id)
{
    (void)ctx;
    const prov_def_t *def = prov_def_for(src);
    return def && def->lookup_alone && def->lookup_alone(id);
}

static void lk_start(void *ctx, lookup_t *l, lookup_part_t *part)
{
    prov_lookup_t *pl = ctx;
    prov_task_t t = {
        .ops = &part_ops,
        .owner = l,
        .data = part,
        .source = lookup_part_source(part),
        .arena = lookup_arena(l),
        .deadline_ns = lookup_deadline_ns(l),
        .traceparent = lookup_traceparent(l),
        .reader = {.read = part_read, .data = part, .not_found_ok = true},
        .slot = lookup_part_slot(part),
    };
    prov_fanout_call(pl->fanout, &t);
}

static void lk_cancel(void *ctx, lookup_t *l, lookup_part_t *part)
{
    (void)ctx;
    (void)l;
    prov_fanout_cancel(*lookup_part_slot(part));
}

prov_lookup_t *prov_lookup_new(prov_fanout_t *f)
{
    prov_lookup_t *pl = calloc(1, sizeof *pl);
    if (!pl) return NULL;
    pl->fanout = f;
    pl->backend = (lookup_backend_t){.ctx = pl,
                                     .max_ids = lk_max_ids,
                                     .alone = lk_alone,
                                     .start = lk_start,
                                     .cancel = lk_cancel};
    return pl;
}

const lookup_backend_t *prov_lookup_backend(prov_lookup_t *pl)
{
    return &pl->backend;
}

void prov_lookup_free(prov_lookup_t *pl)
{
    free(pl);
}
