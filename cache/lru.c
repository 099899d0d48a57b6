#include <stdlib.h>
#include <string.h>

#include "cache/lru.h"

int cache_lru_init(cache_lru_t *t, size_t nbuckets)
{
    size_t n = 16;
    while (n < nbuckets)
        n *= 2;
    *t = (cache_lru_t){.nbuckets = n};
    sf_queue_init(&t->list);
    t->buckets = calloc(n, sizeof *t->buckets);
    return t->buckets ? 0 : -1;
}

void cache_lru_fini(cache_lru_t *t)
{
    free(t->buckets);
    t->buckets = NULL;
}

static cache_lru_node_t **slot_of(const cache_lru_t *t, uint64_t h)
{
    return &t->buckets[h & (t->nbuckets - 1)];
}

cache_lru_node_t *cache_lru_find(const cache_lru_t *t, const char *key, uint64_t h)
{
    for (cache_lru_node_t *n = *slot_of(t, h); n; n = n->hnext)
        if (n->hash == h && strcmp(n->key, key) == 0) return n;
    return NULL;
}

cache_lru_node_t *cache_lru_bucket(const cache_lru_t *t, uint64_t h)
{
    return *slot_of(t, h);
}

static void list_push_newest(cache_lru_t *t, cache_lru_node_t *n)
{
    sf_queue_insert_head(&t->list, &n->lru);
}

static cache_lru_node_t *node_of(const sf_queue_t *q)
{
    return sf_queue_data(q, cache_lru_node_t, lru);
}

cache_lru_node_t *cache_lru_newest(const cache_lru_t *t)
{
    return sf_queue_empty(&t->list) ? NULL : node_of(sf_queue_head(&t->list));
}

cache_lru_node_t *cache_lru_oldest(const cache_lru_t *t)
{
    return sf_queue_empty(&t->list) ? NULL : node_of(sf_queue_tail(&t->list));
}

/* Doubles the buckets; on failure the chains only get longer. */
static void grow(cache_lru_t *t)
{
    size_t n = t->nbuckets * 2;
    cache_lru_node_t **b = calloc(n, sizeof *b);
    if (!b) return;
    for (size_t i = 0; i < t->nbuckets; i++) {
        for (cache_lru_node_t *e = t->buckets[i], *nx; e; e = nx) {
            nx = e->hnext;
            e->hnext = b[e->hash & (n - 1)];
            b[e->hash & (n - 1)] = e;
        }
    }
    free(t->buckets);
    t->buckets = b;
    t->nbuckets = n;
}

void cache_lru_insert(cache_lru_t *t, cache_lru_node_t *n)
{
    cache_lru_node_t **pp = slot_of(t, n->hash);
    n->hnext = *pp;
    *pp = n;
    list_push_newest(t, n);
    if (++t->entries > t->nbuckets) grow(t);
}

void cache_lru_remove(cache_lru_t *t, cache_lru_node_t *n)
{
    cache_lru_node_t **pp = slot_of(t, n->hash);
    while (*pp && *pp != n)
        pp = &(*pp)->hnext;
    if (*pp) *pp = n->hnext;
    n->hnext = NULL;
    sf_queue_remove(&n->lru);
    t->entries--;
}

void cache_lru_touch(cache_lru_t *t, cache_lru_node_t *n)
{
    sf_queue_remove(&n->lru);
    list_push_newest(t, n);
}
