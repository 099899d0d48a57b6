/* A worker's memory cache of byte strings by key: a hash table over an LRU
 * list, with a TTL and a bound on the entries (the oldest go first). Used
 * for the per-id lookup cache (core/lookup.c) and the author answers
 * (http/handlers_authors.c). Single-threaded, like everything of a worker. */
#ifndef SF_BLOB_CACHE_H
#define SF_BLOB_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "core/blob.h"

typedef struct blob_cache blob_cache_t;

/* A cache keeping each value ttl_ms, at most max_entries of them; NULL when
 * out of memory. ttl_ms <= 0 or max_entries 0: it keeps nothing. */
blob_cache_t *blob_cache_new(int64_t ttl_ms, size_t max_entries);

/* The fresh value kept for key (a new reference: blob_unref() it), or NULL. */
blob_t *blob_cache_get(blob_cache_t *c, const char *key);

/* Keeps a copy of len bytes for key, replacing what it held (out of
 * memory: nothing kept). */
void blob_cache_put(blob_cache_t *c, const char *key, const char *bytes, size_t len);

size_t blob_cache_size(const blob_cache_t *c);

void blob_cache_free(blob_cache_t *c);

#endif
