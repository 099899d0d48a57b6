/* Immutable refcounted byte strings: bytes that outlive a request (cache
 * entries, shared responses). Created with refcount 1; the last unref frees.
 * Single-threaded (one loop per process), so the count is a plain integer. */
#ifndef SF_BLOB_H
#define SF_BLOB_H

#include <stddef.h>

typedef struct blob {
    unsigned refs; /* private */
    size_t len;    /* read-only */
    char data[];   /* read-only after creation; len bytes plus a NUL */
} blob_t;

/* Returns a new blob holding a copy of len bytes (a NUL is added after
 * them), or NULL when out of memory. data may be NULL when len is 0. */
blob_t *blob_new(const void *data, size_t len);

/* Returns a blob of len uninitialised bytes for the creator to fill before
 * sharing it, or NULL when out of memory. */
blob_t *blob_alloc(size_t len);

/* Adds a reference; returns b. */
blob_t *blob_ref(blob_t *b);

/* Drops a reference; frees the blob at zero. NULL is a no-op. */
void blob_unref(blob_t *b);

#endif
