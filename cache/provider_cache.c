#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache/cache.h"
#include "cache/lru.h"
#include "cache/provider_cache.h"
#include "core/clock.h"

typedef struct pc_entry {
    cache_lru_node_t node; /* first: (pc_entry_t *)node; key and hash */
    char *key;
    uint64_t expires_ns;
    arena_t *arena; /* the papers and their strings */
    size_t bytes;   /* what this entry holds */
    paper_list_t papers;
} pc_entry_t;

struct cache_provider {
    search_backend_t backend; /* what searches call */
    const search_backend_t *next;
    uint64_t ttl_ns;
    size_t max_entries;
    size_t max_bytes;
    cache_lru_t lru;
    cache_provider_stats_t stats;
};

/* What a provider's request depends on: the text and the filters, not the
 * page, the sort or the provider list. */
static char *entry_key(const query_t *q, source_t src, char *buf, size_t len)
{
    int n = snprintf(buf, len, "%d|%s|%d|%d|%s|%s|%s|%s|%d", (int)src, q->text, q->year_from,
                     q->year_to, q->date_from ? q->date_from : "", q->date_to ? q->date_to : "",
                     q->author ? q->author : "", q->category ? q->category : "",
                     q->open_access ? 1 : 0);
    return n > 0 && (size_t)n < len ? buf : NULL;
}

static void entry_remove(cache_provider_t *c, pc_entry_t *e)
{
    cache_lru_remove(&c->lru, &e->node);
    c->stats.bytes -= e->bytes;
    arena_free(e->arena);
    free(e->key);
    free(e);
    c->stats.entries--;
}

static pc_entry_t *entry_find(cache_provider_t *c, const char *key, uint64_t h)
{
    return (pc_entry_t *)cache_lru_find(&c->lru, key, h);
}

static void pc_start(void *ctx, search_t *s, source_t src)
{
    cache_provider_t *c = ctx;
    char buf[2048];
    const char *key = src == SRC_LOCAL ? NULL : entry_key(search_query(s), src, buf, sizeof buf);
    if (key) {
        uint64_t h = cache_hash(key);
        pc_entry_t *e = entry_find(c, key, h);
        if (e && e->expires_ns <= clock_now_ns()) {
            entry_remove(c, e);
            e = NULL;
        }
        if (e) {
            paper_list_t *copy = arena_alloc(search_arena(s), sizeof *copy);
            if (copy && paper_list_copy(copy, &e->papers, search_arena(s)) == 0) {
                c->stats.hits++;
                cache_lru_touch(&c->lru, &e->node);
                search_provider_done(s, src, PSTAT_CACHED, copy, 0, NULL);
                return;
            }
        }
        c->stats.misses++;
    }
    c->next->start(c->next->ctx, s, src);
}

static void pc_cancel(void *ctx, search_t *s, source_t src)
{
    cache_provider_t *c = ctx;
    c->next->cancel(c->next->ctx, s, src);
}

static void pc_observe(void *ctx, search_t *s, source_t src, search_pstatus_t status,
                       const paper_list_t *papers)
{
    cache_provider_t *c = ctx;
    if (status != PSTAT_OK || !papers || src == SRC_LOCAL || !c->ttl_ns) return;
    char buf[2048];
    const char *key = entry_key(search_query(s), src, buf, sizeof buf);
    if (!key) return;
    uint64_t h = cache_hash(key);
    pc_entry_t *old = entry_find(c, key, h);
    if (old) entry_remove(c, old);
    pc_entry_t *e = calloc(1, sizeof *e);
    if (!e) return;
    e->key = strdup(key);
    e->arena = arena_new(0);
    if (!e->key || !e->arena || paper_list_copy(&e->papers, papers, e->arena) < 0) {
        arena_free(e->arena);
        free(e->key);
        free(e);
        return;
    }
    e->node.key = e->key;
    e->node.hash = h;
    e->bytes = sizeof *e + strlen(e->key) + 1 + arena_footprint(e->arena);
    if (e->bytes > c->max_bytes) { /* one answer larger than the whole bound */
        arena_free(e->arena);
        free(e->key);
        free(e);
        return;
    }
    e->expires_ns = clock_now_ns() + c->ttl_ns;
    cache_lru_insert(&c->lru, &e->node);
    c->stats.entries++;
    c->stats.bytes += e->bytes;
    c->stats.stores++;
    while (c->stats.entries > c->max_entries || c->stats.bytes > c->max_bytes) {
        entry_remove(c, (pc_entry_t *)cache_lru_oldest(&c->lru));
        c->stats.evictions++;
    }
}

cache_provider_t *cache_provider_new(const search_backend_t *next, int64_t ttl_ms,
                                     size_t max_entries, size_t max_bytes)
{
    cache_provider_t *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->next = next;
    c->ttl_ns = ttl_ms > 0 ? (uint64_t)ttl_ms * 1000000u : 0;
    c->max_entries = max_entries ? max_entries : 1;
    c->max_bytes = max_bytes;
    if (cache_lru_init(&c->lru, c->max_entries < 64 ? 64 : c->max_entries) < 0) {
        free(c);
        return NULL;
    }
    c->backend =
        (search_backend_t){.ctx = c, .start = pc_start, .cancel = pc_cancel, .observe = pc_observe};
    return c;
}

const search_backend_t *cache_provider_backend(cache_provider_t *c)
{
    return &c->backend;
}

void cache_provider_clear(cache_provider_t *c)
{
    while (cache_lru_oldest(&c->lru))
        entry_remove(c, (pc_entry_t *)cache_lru_oldest(&c->lru));
}

cache_provider_stats_t cache_provider_stats(const cache_provider_t *c)
{
    return c->stats;
}

void cache_provider_free(cache_provider_t *c)
{
    if (!c) return;
    cache_provider_clear(c);
    cache_lru_fini(&c->lru);
    free(c);
}
