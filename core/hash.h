/* FNV-1a 64 (Fowler-Noll-Vo): the one hash of the tree for cache keys, hash
 * tables, client buckets, answer ETags and the store's row keys. Fast and
 * stable across processes and versions (Redis keys, the PostgreSQL L3 key
 * and the shared deletion ring depend on its values), but not keyed: never
 * the only defence where an attacker chooses the input to collide. Inline:
 * it is on the L1 hit path. */
#ifndef SF_HASH_H
#define SF_HASH_H

#include <stddef.h>
#include <stdint.h>

#define FNV1A_INIT UINT64_C(0xcbf29ce484222325)
#define FNV1A_PRIME UINT64_C(0x100000001b3)

/* h (FNV1A_INIT to start) continued over n bytes. */
static inline uint64_t fnv1a_add(uint64_t h, const void *bytes, size_t n)
{
    const unsigned char *p = bytes;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= FNV1A_PRIME;
    }
    return h;
}

/* h continued over the bytes of the NUL-terminated s. */
static inline uint64_t fnv1a_add_str(uint64_t h, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        h ^= *p;
        h *= FNV1A_PRIME;
    }
    return h;
}

/* FNV-1a 64 of n bytes. */
static inline uint64_t fnv1a(const void *bytes, size_t n)
{
    return fnv1a_add(FNV1A_INIT, bytes, n);
}

/* FNV-1a 64 of a NUL-terminated string. */
static inline uint64_t fnv1a_str(const char *s)
{
    return fnv1a_add_str(FNV1A_INIT, s);
}

#endif
