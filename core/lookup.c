/* The lookup state machine (core/lookup.h).
 *
 *   LK_SHARED     the shared tier's read (core/lookup_cache.h) of the ids
 *                 the memory cache missed is out; waits for it
 *   LK_STORE      the store reads of the ids it knows are out (after the
 *                 caches answered what they hold); waits for them
 *   LK_ASK        the ids left are grouped into parts and the parts start
 *   LK_PROVIDERS  waits for the parts (or the deadline)
 *   LK_MERGE      per id: merged, written once, kept in the cache
 *   LK_FOLLOW     waits for the lookup of the same id already in the air
 *   LK_DONE       answered: the callback comes on a later loop turn
 *
 * lk_set_state() is the only writer of the state; lk_step() runs the
 * current state's function until one waits. The store's, the backend's
 * and the timer's callbacks only record what happened and call lk_step().
 * A lookup is freed only in its timer's close callback. */
#include "core/lookup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/blob.h"
#include "core/blob_cache.h"
#include "core/clock.h"
#include "core/defer.h"
#include "core/hash.h"
#include "core/log.h"
#include "core/merge.h"
#include "core/metrics.h"
#include "core/queue.h"

typedef enum { LK_SHARED, LK_STORE, LK_ASK, LK_PROVIDERS, LK_MERGE, LK_FOLLOW, LK_DONE } lk_state_t;

static const char *const lk_state_names[] = {
    [LK_SHARED] = "shared",       [LK_STORE] = "store", [LK_ASK] = "ask",
    [LK_PROVIDERS] = "providers", [LK_MERGE] = "merge", [LK_FOLLOW] = "follow",
    [LK_DONE] = "done",
};

struct lookup_part {
    lookup_t *l;
    source_t src;
    paper_ref_t *ids;
    size_t *index; /* ids[k] is the lookup's id index[k] */
    size_t n;
    void *slot; /* the backend's */
    bool done;
    search_pstatus_t status;
    paper_list_t *papers;
    double latency_ms;
    const char *error;
};

typedef struct store_read {
    lookup_t *l;
    size_t i;
    void *handle;
    bool done;
} store_read_t;

typedef struct id_state {
    lookup_item_t item;
    bool resolved; /* by the cache or the store, or a twin */
    bool twin;     /* the same paper as the earlier id twin_of: its answer is this one's */
    size_t twin_of;
    bool store_failed; /* the store did not answer (timeout, unreachable) */
    char *key;         /* paper_ref_string(): the cache's key */
    blob_t *cached;    /* a cache hit, held until lookup_free() */
} id_state_t;

#define FLIGHT_BUCKETS 256

struct lookup_service {
    uv_loop_t *loop;
    const lookup_backend_t *backend;
    unsigned enabled;
    const papers_repo_t *repo;
    lookup_config_t cfg;
    blob_cache_t *cache;                /* the per-id cache: paper JSON by paper_ref_string() */
    sf_queue_t flights[FLIGHT_BUCKETS]; /* leaders of single-id lookups, by key */
    size_t live;                        /* lookups not yet freed */
};

struct lookup {
    lk_state_t state;
    lookup_service_t *svc;
    arena_t *arena;
    uv_timer_t deadline;
    sf_defer_t deliver;
    bool deadline_passed;
    bool stepping;
    bool freed;      /* the caller is gone */
    bool skip_cache; /* LOOKUP_SKIP_CACHE */
    uint64_t start_ns;
    unsigned only; /* providers given to lookup_start(); 0: the whole fall-through */
    const char *traceparent;
    lookup_done_cb cb;
    void *data;
    paper_ref_t *ids;
    id_state_t *st;
    size_t n;
    lookup_cache_get_t *shared_get; /* the shared tier's read in the air */
    size_t *shared_idx;             /* its keys are those of these ids */
    size_t nshared;
    store_read_t *reads;
    size_t nreads, reads_left;
    lookup_part_t *parts;
    size_t nparts, parts_left;
    bool partial;
    double took_ms;
    /* single-flight */
    sf_queue_t flight;    /* a leader: in svc->flights; a follower: in its leader's followers */
    sf_queue_t followers; /* a leader's */
    lookup_t *leader;     /* a follower's */
    /* a follower's copy of the leader's answer */
    answer_provider_t copied[SRC_COUNT];
    size_t copied_calls[SRC_COUNT];
    bool has_copy;
};

static void lk_step(lookup_t *l);

static void lk_set_state(lookup_t *l, lk_state_t st)
{
    if (log_enabled(LOG_DEBUG))
        log_write(LOG_DEBUG, "lookup state", LF_STR, "from", lk_state_names[l->state], LF_STR, "to",
                  lk_state_names[st], LF_INT, "ids", (int64_t)l->n, LF_END);
    l->state = st;
}

const char *lookup_outcome_name(lookup_outcome_t o)
{
    static const char *const names[] = {"found", "not_found", "timeout", "rate_limited", "error"};
    return (unsigned)o < sizeof names / sizeof names[0] ? names[o] : "error";
}

const char *lookup_from_name(lookup_from_t f)
{
    static const char *const names[] = {"none", "cache", "store", "providers"};
    return (unsigned)f < sizeof names / sizeof names[0] ? names[f] : "none";
}

/* ---- the service ----------------------------------------------------------- */

lookup_service_t *lookup_service_new(uv_loop_t *loop, const lookup_backend_t *backend,
                                     unsigned enabled, const papers_repo_t *repo,
                                     const lookup_config_t *cfg)
{
    lookup_service_t *svc = calloc(1, sizeof *svc);
    if (!svc) return NULL;
    svc->loop = loop;
    svc->backend = backend;
    svc->enabled = enabled;
    svc->repo = repo;
    svc->cfg = *cfg;
    if (svc->cfg.deadline_ms <= 0) svc->cfg.deadline_ms = 1;
    svc->cache = blob_cache_new(cfg->cache_ttl_ms, cfg->cache_entries);
    if (!svc->cache) {
        free(svc);
        return NULL;
    }
    for (size_t i = 0; i < FLIGHT_BUCKETS; i++)
        sf_queue_init(&svc->flights[i]);
    return svc;
}

void lookup_service_free(lookup_service_t *svc)
{
    if (!svc) return;
    if (svc->live) { /* lookups still hold it (a stop in the middle): the process ends */
        log_write(LOG_WARN, "lookups still running at exit", LF_INT, "lookups", (int64_t)svc->live,
                  LF_END);
        return;
    }
    blob_cache_free(svc->cache);
    free(svc);
}

/* ---- accessors for the backend --------------------------------------------- */

const paper_ref_t *lookup_part_ids(const lookup_part_t *part, size_t *n)
{
    *n = part->n;
    return part->ids;
}

source_t lookup_part_source(const lookup_part_t *part)
{
    return part->src;
}

void **lookup_part_slot(lookup_part_t *part)
{
    return &part->slot;
}

arena_t *lookup_arena(lookup_t *l)
{
    return l->arena;
}

uint64_t lookup_deadline_ns(const lookup_t *l)
{
    return l->start_ns + (uint64_t)l->svc->cfg.deadline_ms * 1000000u;
}

const char *lookup_traceparent(const lookup_t *l)
{
    return l->traceparent;
}

/* ---- callbacks: record, then step ------------------------------------------- */

void lookup_part_done(lookup_t *l, lookup_part_t *part, search_pstatus_t status,
                      paper_list_t *papers, double latency_ms, const char *error)
{
    if (part->done) return;
    metrics_provider_call(part->src, status, latency_ms);
    part->done = true;
    part->status = status;
    /* An ok answer with no papers at all is the provider's 404: none found. */
    part->papers = status == PSTAT_OK && papers && papers->n == part->n ? papers : NULL;
    if (status == PSTAT_OK && !part->papers && papers && papers->n > 0) {
        part->status = PSTAT_ERROR;
        error = "the answer did not fit the ids asked";
    }
    part->latency_ms = latency_ms;
    part->error = error ? arena_strdup(l->arena, error) : NULL;
    part->slot = NULL;
    l->parts_left--;
    lk_step(l);
}

static void on_store(void *data, const papers_answer_t *a)
{
    store_read_t *r = data;
    lookup_t *l = r->l;
    r->handle = NULL;
    r->done = true;
    l->reads_left--;
    if (a->status == PAPERS_TIMEOUT || a->status == PAPERS_UNAVAILABLE ||
        a->status == PAPERS_FAILED)
        l->st[r->i].store_failed = true;
    if (a->status == PAPERS_OK) {
        id_state_t *s = &l->st[r->i];
        s->item.json = arena_strndup(l->arena, a->json, a->len);
        if (a->paper) { /* the store's record as a paper, for exports */
            paper_list_t one = {.items = (paper_t *)a->paper, .n = 1, .cap = 1}, copy = {0};
            if (paper_list_copy(&copy, &one, l->arena) == 0 && copy.n == 1)
                s->item.paper = &copy.items[0];
        }
        if (s->item.json) {
            s->item.len = a->len;
            s->item.outcome = LOOKUP_FOUND;
            s->item.from = LOOKUP_FROM_STORE;
            s->resolved = true;
        }
    }
    lk_step(l);
}

/* The shared tier's values: a hit is kept in the memory cache too. */
static void on_shared(void *data, const char *const *vals, const size_t *lens)
{
    lookup_t *l = data;
    l->shared_get = NULL;
    for (size_t k = 0; vals && k < l->nshared; k++) {
        id_state_t *s = &l->st[l->shared_idx[k]];
        if (!vals[k] || lens[k] == 0 || vals[k][0] != '{') continue; /* a miss, or not ours */
        char *json = arena_strndup(l->arena, vals[k], lens[k]);
        if (!json) continue;
        s->item = (lookup_item_t){
            .outcome = LOOKUP_FOUND, .from = LOOKUP_FROM_CACHE, .json = json, .len = lens[k]};
        s->resolved = true;
        blob_cache_put(l->svc->cache, s->key, json, lens[k]);
    }
    lk_step(l);
}

static void on_deadline(uv_timer_t *t)
{
    lookup_t *l = t->data;
    l->deadline_passed = true;
    lk_step(l);
}

/* ---- one function per state -------------------------------------------------- */

/* The shared tier's read of every id the memory cache missed (one round
 * trip for a batch too). */
static void start_shared_get(lookup_t *l)
{
    const lookup_cache_t *c = l->svc->cfg.shared;
    if (!c || l->only || l->skip_cache || l->svc->cfg.cache_ttl_ms <= 0) return;
    const char **keys = arena_alloc(l->arena, l->n * sizeof *keys);
    l->shared_idx = arena_alloc(l->arena, l->n * sizeof *l->shared_idx);
    if (!keys || !l->shared_idx) return;
    for (size_t i = 0; i < l->n; i++) {
        if (l->st[i].resolved) continue;
        keys[l->nshared] = l->st[i].key;
        l->shared_idx[l->nshared++] = i;
    }
    if (l->nshared) l->shared_get = c->get(c->ctx, keys, l->nshared, on_shared, l);
}

static void cancel_shared_get(lookup_t *l)
{
    if (!l->shared_get) return;
    const lookup_cache_t *c = l->svc->cfg.shared;
    c->cancel(c->ctx, l->shared_get);
    l->shared_get = NULL;
}

/* The store reads of the ids it knows (internal, DOI, arXiv) not in the cache. */
static void start_store_reads(lookup_t *l)
{
    const papers_repo_t *repo = l->svc->repo;
    int retry;
    if (!repo || l->only || !repo->available(repo->ctx, &retry)) return;
    l->reads = arena_calloc(l->arena, l->n, sizeof *l->reads);
    if (!l->reads) return;
    for (size_t i = 0; i < l->n; i++) {
        /* The store keeps no corpus id or PMID: those go to the providers. */
        paper_ref_kind_t k = l->ids[i].kind;
        int sk = k == PAPER_REF_INTERNAL   ? PAPER_ID_INTERNAL
                 : k == PAPER_REF_DOI      ? PAPER_ID_DOI
                 : k == PAPER_REF_ARXIV    ? PAPER_ID_ARXIV
                 : k == PAPER_REF_S2       ? PAPER_ID_S2
                 : k == PAPER_REF_OPENALEX ? PAPER_ID_OPENALEX
                                           : -1;
        if (l->st[i].resolved || sk < 0) continue;
        store_read_t *r = &l->reads[l->nreads++];
        r->l = l;
        r->i = i;
        l->reads_left++;
        r->handle = repo->get(repo->ctx, (paper_id_kind_t)sk, l->ids[i].value, on_store, r);
        if (!r->handle) { /* the store cannot take it now: the providers answer */
            r->done = true;
            l->reads_left--;
        }
    }
}

static void cancel_store_reads(lookup_t *l)
{
    for (size_t i = 0; i < l->nreads; i++) {
        store_read_t *r = &l->reads[i];
        if (r->done) continue;
        l->svc->repo->cancel(l->svc->repo->ctx, r->handle);
        r->handle = NULL;
        r->done = true;
        l->reads_left--;
    }
}

/* LK_STORE */
static void state_store(lookup_t *l)
{
    if (l->deadline_passed) cancel_store_reads(l);
    if (l->reads_left == 0) lk_set_state(l, LK_ASK);
}

/* LK_SHARED: then the store, for what the caches did not hold. */
static void state_shared(lookup_t *l)
{
    if (l->deadline_passed) cancel_shared_get(l);
    if (l->shared_get) return;
    lk_set_state(l, LK_STORE);
    start_store_reads(l);
}

/* Adds a part of src for the ids at idx[0..n). */
static int add_part(lookup_t *l, source_t src, const size_t *idx, size_t n)
{
    lookup_part_t *p = &l->parts[l->nparts];
    p->l = l;
    p->src = src;
    p->n = n;
    p->ids = arena_alloc(l->arena, n * sizeof *p->ids);
    p->index = arena_alloc(l->arena, n * sizeof *p->index);
    if (!p->ids || !p->index) return -1;
    for (size_t k = 0; k < n; k++) {
        p->index[k] = idx[k];
        p->ids[k] = l->ids[idx[k]];
    }
    l->nparts++;
    return 0;
}

/* Groups the ids left into parts: per provider, chunks of its max_ids(),
 * by kind unless it mixes them; an id the backend says is alone() gets a
 * part of its own. */
static int plan_parts(lookup_t *l)
{
    const lookup_backend_t *b = l->svc->backend;
    unsigned wanted = l->only ? l->only & l->svc->enabled : l->svc->enabled;
    size_t *idx = arena_alloc(l->arena, l->n * sizeof *idx);
    /* At most one part per id and provider. */
    l->parts = arena_calloc(l->arena, l->n * SRC_COUNT, sizeof *l->parts);
    if (!idx || !l->parts) return -1;
    for (int s = 0; s < SRC_COUNT; s++) {
        if (!((wanted >> s) & 1)) continue;
        bool mixed = false;
        size_t max = b->max_ids(b->ctx, (source_t)s, &mixed);
        if (max == 0) continue;
        for (int k = 0; k < PAPER_REF_KIND_COUNT; k++) {
            if (mixed && k > 0) break;
            size_t m = 0;
            for (size_t i = 0; i < l->n; i++) {
                if (l->st[i].resolved || !paper_ref_answerable(l->ids[i].kind, (source_t)s))
                    continue;
                if (!mixed && l->ids[i].kind != (paper_ref_kind_t)k) continue;
                if (max > 1 && b->alone && b->alone(b->ctx, (source_t)s, &l->ids[i])) {
                    if (add_part(l, (source_t)s, &i, 1) < 0) return -1;
                    continue;
                }
                idx[m++] = i;
                if (m == max) {
                    if (add_part(l, (source_t)s, idx, m) < 0) return -1;
                    m = 0;
                }
            }
            if (m && add_part(l, (source_t)s, idx, m) < 0) return -1;
        }
    }
    return 0;
}

/* LK_ASK */
static void state_ask(lookup_t *l)
{
    if (plan_parts(l) < 0) {
        l->nparts = 0;
        l->partial = true;
        log_write(LOG_WARN, "lookup: out of memory planning the provider calls", LF_END);
    }
    l->parts_left = l->nparts;
    lk_set_state(l, LK_PROVIDERS);
    const lookup_backend_t *b = l->svc->backend;
    for (size_t i = 0; i < l->nparts; i++)
        b->start(b->ctx, l, &l->parts[i]); /* may report at once: recorded, stepped later */
}

static void cancel_parts(lookup_t *l, search_pstatus_t why)
{
    const lookup_backend_t *b = l->svc->backend;
    for (size_t i = 0; i < l->nparts; i++) {
        lookup_part_t *p = &l->parts[i];
        if (p->done) continue;
        b->cancel(b->ctx, l, p);
        p->done = true;
        p->status = why;
        p->latency_ms = (double)(clock_now_ns() - l->start_ns) / 1e6;
        p->error = why == PSTAT_TIMEOUT ? "lookup deadline reached" : NULL;
        p->slot = NULL;
        l->parts_left--;
    }
}

/* LK_PROVIDERS */
static void state_providers(lookup_t *l)
{
    if (l->deadline_passed) cancel_parts(l, PSTAT_TIMEOUT);
    if (l->parts_left == 0) lk_set_state(l, LK_MERGE);
}

static bool status_ok(search_pstatus_t st)
{
    return st == PSTAT_OK || st == PSTAT_CACHED;
}

/* The paper of id i merged from every part that found it; NULL when none. */
static const paper_t *merge_id(lookup_t *l, size_t i, lookup_outcome_t *why, bool *complete)
{
    paper_list_t *lists[SRC_COUNT] = {0};
    bool any_timeout = false, any_limited = false;
    *complete = true;
    for (size_t k = 0; k < l->nparts; k++) {
        lookup_part_t *p = &l->parts[k];
        for (size_t j = 0; j < p->n; j++) {
            if (p->index[j] != i) continue;
            if (!status_ok(p->status)) {
                *complete = false;
                any_timeout |= p->status == PSTAT_TIMEOUT;
                any_limited |= p->status == PSTAT_RATE_LIMITED || p->status == PSTAT_CIRCUIT_OPEN;
                continue;
            }
            if (!p->papers) continue; /* none found */
            paper_t *pp = &p->papers->items[j];
            if (pp->nsources == 0) continue;
            paper_list_t *one = arena_calloc(l->arena, 1, sizeof *one);
            if (!one) continue;
            one->items = pp;
            one->n = one->cap = 1;
            lists[p->src] = one;
        }
    }
    bool found = false;
    for (int s = 0; s < SRC_COUNT; s++)
        found |= lists[s] != NULL;
    if (!found) {
        /* Not found where every source asked answered; else why one did not. */
        bool any_failed = !*complete;
        *why = any_timeout   ? LOOKUP_TIMEOUT
               : any_limited ? LOOKUP_RATE_LIMITED
               : any_failed  ? LOOKUP_FAILED
                             : LOOKUP_NOT_FOUND;
        return NULL;
    }
    query_t q;
    query_init(&q);
    q.text = "";
    q.limit = QUERY_MAX_LIMIT;
    merge_result_t res;
    if (merge_papers(l->arena, (const paper_list_t *const *)lists, &q, &res) < 0 || res.nall == 0) {
        *why = LOOKUP_FAILED;
        return NULL;
    }
    /* Providers that disagree make two papers: the one the id names wins,
     * else the one most sources gave. */
    const paper_t *best = &res.all[0];
    for (size_t k = 0; k < res.nall; k++) {
        const paper_t *c = &res.all[k];
        bool cm = paper_ref_matches(&l->ids[i], c), bm = paper_ref_matches(&l->ids[i], best);
        if ((cm && !bm) || (cm == bm && c->nsources > best->nsources)) best = c;
    }
    return best;
}

/* LK_MERGE */
static void state_merge(lookup_t *l)
{
    uv_timer_stop(&l->deadline);
    for (size_t k = 0; k < l->nparts; k++)
        if (!status_ok(l->parts[k].status)) l->partial = true;
    for (size_t i = 0; i < l->n; i++) {
        id_state_t *s = &l->st[i];
        if (s->resolved) continue;
        lookup_outcome_t why = LOOKUP_NOT_FOUND;
        bool complete;
        const paper_t *p = merge_id(l, i, &why, &complete);
        if (!p) {
            /* Nobody else could say: the store's silence is a timeout. */
            s->item.outcome = why == LOOKUP_NOT_FOUND && s->store_failed ? LOOKUP_TIMEOUT : why;
            continue;
        }
        size_t len;
        char *json = answer_json_paper(p, &len);
        char *copy = json ? arena_strndup(l->arena, json, len) : NULL;
        free(json);
        if (!copy) {
            s->item.outcome = LOOKUP_FAILED;
            continue;
        }
        s->item = (lookup_item_t){.outcome = LOOKUP_FOUND,
                                  .from = LOOKUP_FROM_PROVIDERS,
                                  .json = copy,
                                  .len = len,
                                  .paper = p};
        /* What every source asked has said: kept for papers.cache_ttl. */
        if (complete && !l->only) {
            blob_cache_put(l->svc->cache, s->key, copy, len);
            const lookup_cache_t *c = l->svc->cfg.shared;
            if (c && l->svc->cfg.cache_ttl_ms > 0)
                c->put(c->ctx, s->key, copy, len, l->svc->cfg.cache_ttl_ms);
        }
    }
    l->took_ms = (double)(clock_now_ns() - l->start_ns) / 1e6;
    for (size_t i = 0; i < l->n; i++)
        if (l->st[i].twin) l->st[i].item = l->st[l->st[i].twin_of].item;
    lk_set_state(l, LK_DONE);
}

/* An id given twice in one lookup (the same key: "doi:10.1/X", its doi.org
 * URL) is asked once; the later ones copy the first's answer when merged. */
static void mark_twins(lookup_t *l)
{
    uint64_t *h = l->n > 1 ? arena_alloc(l->arena, l->n * sizeof *h) : NULL;
    if (!h) return; /* one id, or no memory: each asked on its own */
    for (size_t i = 0; i < l->n; i++) {
        h[i] = fnv1a_str(l->st[i].key);
        for (size_t j = 0; j < i && !l->st[i].resolved; j++) {
            if (h[j] != h[i] || l->st[j].twin || strcmp(l->st[j].key, l->st[i].key) != 0) continue;
            l->st[i].twin = l->st[i].resolved = true;
            l->st[i].twin_of = j;
        }
    }
}

/* LK_FOLLOW: the leader's answer arrives through follow_done(). */
static void state_follow(lookup_t *l)
{
    if (l->has_copy) lk_set_state(l, LK_DONE);
}

static void on_deliver(sf_defer_t *d)
{
    lookup_t *l = sf_defer_data(d, lookup_t, deliver);
    if (l->cb) l->cb(l, l->data);
}

static void flight_land(lookup_t *l);

/* Runs states until one waits. Re-entrant calls (a part reported from
 * inside start()) only record: the running loop sees them. */
static void lk_step(lookup_t *l)
{
    if (l->stepping) return;
    l->stepping = true;
    lk_state_t before;
    do {
        before = l->state;
        switch (l->state) {
        case LK_SHARED:
            state_shared(l);
            break;
        case LK_STORE:
            state_store(l);
            break;
        case LK_ASK:
            state_ask(l);
            break;
        case LK_PROVIDERS:
            state_providers(l);
            break;
        case LK_MERGE:
            state_merge(l);
            break;
        case LK_FOLLOW:
            state_follow(l);
            break;
        case LK_DONE:
            break;
        }
    } while (l->state != before && l->state != LK_DONE);
    l->stepping = false;
    if (l->state == LK_DONE && before != LK_DONE) {
        uv_timer_stop(&l->deadline);
        flight_land(l);
        if (l->freed) { /* a leader whose caller left: its followers have the answer */
            lookup_free(l);
            return;
        }
        if (sf_defer(l->svc->loop, &l->deliver, on_deliver) != 0 && l->cb)
            l->cb(l, l->data); /* no deferred queue: cannot happen after sf_defer_loop_init() */
    }
}

/* ---- single-flight ------------------------------------------------------------ */

static sf_queue_t *flight_bucket(lookup_service_t *svc, const char *key)
{
    return &svc->flights[fnv1a_str(key) % FLIGHT_BUCKETS];
}

static lookup_t *flight_find(lookup_service_t *svc, const char *key)
{
    sf_queue_t *h = flight_bucket(svc, key), *q;
    sf_queue_foreach(q, h)
    {
        lookup_t *o = sf_queue_data(q, lookup_t, flight);
        if (strcmp(o->st[0].key, key) == 0) return o;
    }
    return NULL;
}

/* A leader answered: each follower gets a copy and is done. */
static void flight_land(lookup_t *l)
{
    if (l->leader || !sf_queue_linked(&l->flight)) return;
    sf_queue_remove(&l->flight);
    sf_queue_init(&l->flight);
    while (!sf_queue_empty(&l->followers)) {
        sf_queue_t *q = sf_queue_head(&l->followers);
        lookup_t *f = sf_queue_data(q, lookup_t, flight);
        sf_queue_remove(q);
        sf_queue_init(q);
        f->leader = NULL;
        f->st[0].item = l->st[0].item;
        f->st[0].item.paper = NULL;
        if (l->st[0].item.json)
            f->st[0].item.json = arena_strndup(f->arena, l->st[0].item.json, l->st[0].item.len);
        if (l->st[0].item.json && !f->st[0].item.json) f->st[0].item.outcome = LOOKUP_FAILED;
        lookup_providers(l, f->copied);
        for (int s = 0; s < SRC_COUNT; s++) {
            f->copied_calls[s] = lookup_calls(l, (source_t)s);
            if (f->copied[s].error) f->copied[s].error = arena_strdup(f->arena, f->copied[s].error);
        }
        f->partial = l->partial;
        f->has_copy = true;
        lk_step(f);
    }
}

/* ---- start and free ------------------------------------------------------------ */

lookup_t *lookup_start(lookup_service_t *svc, const paper_ref_t *ids, size_t n, unsigned providers,
                       const char *traceparent, lookup_done_cb cb, void *data)
{
    if (n == 0 || n > LOOKUP_MAX_IDS) return NULL;
    if (sf_defer_loop_init(svc->loop) != 0) return NULL;
    arena_t *a = arena_new(n > 1 ? 65536 : 8192);
    if (!a) return NULL;
    lookup_t *l = arena_calloc(a, 1, sizeof *l);
    if (!l) goto oom;
    l->arena = a;
    l->svc = svc;
    l->n = n;
    bool skip_cache = l->skip_cache = providers & LOOKUP_SKIP_CACHE;
    providers &= ~LOOKUP_SKIP_CACHE;
    l->only = providers;
    l->cb = cb;
    l->data = data;
    l->start_ns = clock_now_ns();
    l->traceparent = traceparent ? arena_strdup(a, traceparent) : NULL;
    l->ids = arena_alloc(a, n * sizeof *l->ids);
    l->st = arena_calloc(a, n, sizeof *l->st);
    if (!l->ids || !l->st) goto oom;
    for (size_t i = 0; i < n; i++) {
        l->ids[i].kind = ids[i].kind;
        l->ids[i].value = arena_strdup(a, ids[i].value);
        l->st[i].key = paper_ref_string(a, &ids[i]);
        if (!l->ids[i].value || !l->st[i].key) goto oom;
    }
    sf_defer_init(&l->deliver);
    sf_queue_init(&l->flight);
    sf_queue_init(&l->followers);
    uv_timer_init(svc->loop, &l->deadline);
    l->deadline.data = l;
    svc->live++;

    /* The cache first. */
    for (size_t i = 0; i < n && !providers && !skip_cache; i++) {
        blob_t *b = blob_cache_get(svc->cache, l->st[i].key);
        if (!b) continue;
        l->st[i].cached = b;
        l->st[i].resolved = true;
        l->st[i].item = (lookup_item_t){
            .outcome = LOOKUP_FOUND, .from = LOOKUP_FROM_CACHE, .json = b->data, .len = b->len};
    }
    mark_twins(l);
    /* One id in the air already: wait for its answer. */
    if (n == 1 && !providers && !skip_cache && !l->st[0].resolved) {
        lookup_t *leader = flight_find(svc, l->st[0].key);
        if (leader) {
            l->leader = leader;
            l->state = LK_FOLLOW;
            sf_queue_insert_tail(&leader->followers, &l->flight);
            return l;
        }
        sf_queue_insert_tail(flight_bucket(svc, l->st[0].key), &l->flight);
    }
    uv_timer_start(&l->deadline, on_deadline, (uint64_t)svc->cfg.deadline_ms, 0);
    l->state = LK_SHARED;
    l->stepping = true;
    start_shared_get(l);
    l->stepping = false;
    lk_step(l);
    return l;
oom:
    arena_free(a);
    return NULL;
}

static void on_timer_closed(uv_handle_t *h)
{
    lookup_t *l = h->data;
    for (size_t i = 0; i < l->n; i++)
        blob_unref(l->st[i].cached);
    l->svc->live--;
    arena_free(l->arena);
}

void lookup_free(lookup_t *l)
{
    if (!l) return;
    l->cb = NULL;
    sf_defer_cancel(&l->deliver);
    if (l->state == LK_FOLLOW) { /* leaves its leader's followers */
        sf_queue_remove(&l->flight);
        sf_queue_init(&l->flight);
        l->leader = NULL;
        l->state = LK_DONE;
    } else if (l->state != LK_DONE) {
        if (!sf_queue_empty(&l->followers)) { /* others wait for this flight: it goes on */
            l->freed = true;
            return;
        }
        if (sf_queue_linked(&l->flight)) sf_queue_remove(&l->flight);
        sf_queue_init(&l->flight);
        l->state = LK_DONE;
        cancel_shared_get(l);
        if (l->reads) cancel_store_reads(l);
        cancel_parts(l, PSTAT_CANCELLED);
    }
    if (uv_is_closing((uv_handle_t *)&l->deadline)) return;
    uv_timer_stop(&l->deadline);
    uv_close((uv_handle_t *)&l->deadline, on_timer_closed);
}

/* ---- the answer -------------------------------------------------------------- */

void lookup_item(const lookup_t *l, size_t i, lookup_item_t *out)
{
    *out = i < l->n ? l->st[i].item : (lookup_item_t){.outcome = LOOKUP_FAILED};
}

static int status_rank(search_pstatus_t st)
{
    return st == PSTAT_OK ? 0 : st == PSTAT_CACHED ? 1 : st == PSTAT_CANCELLED ? 2 : 3;
}

void lookup_providers(const lookup_t *l, answer_provider_t out[SRC_COUNT])
{
    if (l->has_copy) {
        memcpy(out, l->copied, sizeof l->copied);
        return;
    }
    memset(out, 0, SRC_COUNT * sizeof *out);
    for (size_t k = 0; k < l->nparts; k++) {
        const lookup_part_t *p = &l->parts[k];
        answer_provider_t *o = &out[p->src];
        if (!o->asked) {
            o->asked = true;
            o->status = p->status;
            o->latency_ms = p->latency_ms;
        }
        if (status_rank(p->status) > status_rank(o->status)) o->status = p->status;
        if (p->latency_ms > o->latency_ms) o->latency_ms = p->latency_ms;
        if (!o->error && p->error) o->error = p->error;
        if (p->papers)
            for (size_t j = 0; j < p->n; j++)
                o->results += p->papers->items[j].nsources > 0;
    }
}

size_t lookup_calls(const lookup_t *l, source_t src)
{
    if (l->has_copy) return l->copied_calls[src];
    size_t c = 0;
    for (size_t k = 0; k < l->nparts; k++)
        c += l->parts[k].src == src;
    return c;
}

bool lookup_partial(const lookup_t *l)
{
    return l->partial;
}

double lookup_took_ms(const lookup_t *l)
{
    return l->has_copy ? (double)(clock_now_ns() - l->start_ns) / 1e6 : l->took_ms;
}
