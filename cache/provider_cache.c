#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache/provider_cache.h"
#include "core/clock.h"

typedef struct pc_entry pc_entry_t;
struct pc_entry {
    char *key;
    uint64_t hash;
    uint64_t expires_ns;
    arena_t *arena; /* the papers and their strings */
    size_t bytes;   /* what this entry holds */
    paper_list_t papers;
    pc_entry_t *next_in_bucket;
    pc_entry_t *newer, *older; /* the LRU list */
};

struct cache_provider {
    search_backend_t backend; /* what searches call */
    const search_backend_t *next;
    uint64_t ttl_ns;
    size_t max_entries;
    size_t max_bytes;
    pc_entry_t **buckets;
    size_t nbuckets;
    pc_entry_t *newest, *oldest;
    cache_provider_stats_t stats;
};

static uint64_t fnv(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ull;
    }
    return h;
}

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

static void lru_unlink(cache_provider_t *c, pc_entry_t *e)
{
    if (e->newer)
        e->newer->older = e->older;
    else
        c->newest = e->older;
    if (e->older)
        e->older->newer = e->newer;
    else
        c->oldest = e->newer;
    e->newer = e->older = NULL;
}

static void lru_push(cache_provider_t *c, pc_entry_t *e)
{
    e->older = c->newest;
    e->newer = NULL;
    if (c->newest) c->newest->newer = e;
    c->newest = e;
    if (!c->oldest) c->oldest = e;
}

static void entry_remove(cache_provider_t *c, pc_entry_t *e)
{
    pc_entry_t **pp = &c->buckets[e->hash % c->nbuckets];
    while (*pp != e)
        pp = &(*pp)->next_in_bucket;
    *pp = e->next_in_bucket;
    lru_unlink(c, e);
    c->stats.bytes -= e->bytes;
    arena_free(e->arena);
    free(e->key);
    free(e);
    c->stats.entries--;
}

static pc_entry_t *entry_find(cache_provider_t *c, const char *key, uint64_t h)
{
    for (pc_entry_t *e = c->buckets[h % c->nbuckets]; e; e = e->next_in_bucket)
        if (e->hash == h && strcmp(e->key, key) == 0) return e;
    return NULL;
}

static void pc_start(void *ctx, search_t *s, source_t src)
{
    cache_provider_t *c = ctx;
    char buf[2048];
    const char *key = src == SRC_LOCAL ? NULL : entry_key(search_query(s), src, buf, sizeof buf);
    if (key) {
        uint64_t h = fnv(key);
        pc_entry_t *e = entry_find(c, key, h);
        if (e && e->expires_ns <= clock_now_ns()) {
            entry_remove(c, e);
            e = NULL;
        }
        if (e) {
            paper_list_t *copy = arena_alloc(search_arena(s), sizeof *copy);
            if (copy && paper_list_copy(copy, &e->papers, search_arena(s)) == 0) {
                c->stats.hits++;
                lru_unlink(c, e);
                lru_push(c, e);
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
    uint64_t h = fnv(key);
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
    e->hash = h;
    e->bytes = sizeof *e + strlen(e->key) + 1 + arena_footprint(e->arena);
    if (e->bytes > c->max_bytes) { /* one answer larger than the whole bound */
        arena_free(e->arena);
        free(e->key);
        free(e);
        return;
    }
    e->expires_ns = clock_now_ns() + c->ttl_ns;
    e->next_in_bucket = c->buckets[h % c->nbuckets];
    c->buckets[h % c->nbuckets] = e;
    lru_push(c, e);
    c->stats.entries++;
    c->stats.bytes += e->bytes;
    c->stats.stores++;
    while (c->stats.entries > c->max_entries || c->stats.bytes > c->max_bytes) {
        entry_remove(c, c->oldest);
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
    c->nbuckets = c->max_entries < 64 ? 64 : c->max_entries;
    c->buckets = calloc(c->nbuckets, sizeof *c->buckets);
    if (!c->buckets) {
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
    while (c->oldest)
        entry_remove(c, c->oldest);
}

cache_provider_stats_t cache_provider_stats(const cache_provider_t *c)
{
    return c->stats;
}

void cache_provider_free(cache_provider_t *c)
{
    if (!c) return;
    cache_provider_clear(c);
    free(c->buckets);
    free(c);
}
