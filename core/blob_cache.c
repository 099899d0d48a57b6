/* A worker's memory cache of byte strings (core/blob_cache.h). */
#include "core/blob_cache.h"

#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/hash.h"
#include "core/queue.h"

#define BLOB_CACHE_BUCKETS 4096

typedef struct cache_entry {
    sf_queue_t lru; /* newest at the tail */
    struct cache_entry *next_in_bucket;
    uint64_t hash;
    uint64_t expires_ns;
    blob_t *value;
    char key[];
} cache_entry_t;

struct blob_cache {
    int64_t ttl_ms;
    size_t max_entries;
    cache_entry_t *buckets[BLOB_CACHE_BUCKETS];
    sf_queue_t lru;
    size_t nentries;
};

blob_cache_t *blob_cache_new(int64_t ttl_ms, size_t max_entries)
{
    blob_cache_t *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->ttl_ms = ttl_ms;
    c->max_entries = max_entries;
    sf_queue_init(&c->lru);
    return c;
}

static cache_entry_t **cache_find(blob_cache_t *c, const char *key, uint64_t h)
{
    cache_entry_t **pp = &c->buckets[h % BLOB_CACHE_BUCKETS];
    while (*pp && ((*pp)->hash != h || strcmp((*pp)->key, key) != 0))
        pp = &(*pp)->next_in_bucket;
    return pp;
}

static void cache_drop(blob_cache_t *c, cache_entry_t **pp)
{
    cache_entry_t *e = *pp;
    *pp = e->next_in_bucket;
    sf_queue_remove(&e->lru);
    blob_unref(e->value);
    free(e);
    c->nentries--;
}

blob_t *blob_cache_get(blob_cache_t *c, const char *key)
{
    if (!c || c->ttl_ms <= 0 || !key) return NULL;
    uint64_t h = fnv1a_str(key);
    cache_entry_t **pp = cache_find(c, key, h);
    if (!*pp) return NULL;
    if ((*pp)->expires_ns <= clock_now_ns()) {
        cache_drop(c, pp);
        return NULL;
    }
    sf_queue_remove(&(*pp)->lru);
    sf_queue_insert_tail(&c->lru, &(*pp)->lru);
    return blob_ref((*pp)->value);
}

void blob_cache_put(blob_cache_t *c, const char *key, const char *bytes, size_t len)
{
    if (!c || c->ttl_ms <= 0 || c->max_entries == 0 || !key) return;
    uint64_t h = fnv1a_str(key);
    cache_entry_t **pp = cache_find(c, key, h);
    if (*pp) cache_drop(c, pp);
    while (c->nentries >= c->max_entries) { /* the oldest goes */
        cache_entry_t *old = sf_queue_data(sf_queue_head(&c->lru), cache_entry_t, lru);
        cache_drop(c, cache_find(c, old->key, old->hash));
    }
    size_t kl = strlen(key);
    cache_entry_t *e = calloc(1, sizeof *e + kl + 1);
    blob_t *b = blob_new(bytes, len);
    if (!e || !b) {
        free(e);
        blob_unref(b);
        return;
    }
    memcpy(e->key, key, kl + 1);
    e->hash = h;
    e->value = b;
    e->expires_ns = clock_now_ns() + (uint64_t)c->ttl_ms * 1000000u;
    pp = &c->buckets[h % BLOB_CACHE_BUCKETS];
    e->next_in_bucket = *pp;
    *pp = e;
    sf_queue_insert_tail(&c->lru, &e->lru);
    c->nentries++;
}

size_t blob_cache_size(const blob_cache_t *c)
{
    return c ? c->nentries : 0;
}

void blob_cache_free(blob_cache_t *c)
{
    if (!c) return;
    for (size_t b = 0; b < BLOB_CACHE_BUCKETS; b++)
        while (c->buckets[b])
            cache_drop(c, &c->buckets[b]);
    free(c);
}
