/* Per-request memory: bump allocation from a chain of blocks, freed in one go.
 * Nothing allocated from an arena is freed on its own; arena_free() (or
 * arena_reset()) releases everything at once. Not thread-safe (one loop). */
#ifndef SF_ARENA_H
#define SF_ARENA_H

#include <stdarg.h>
#include <stddef.h>

typedef struct arena arena_t;

/* Returns a new arena whose first block holds at least first_block bytes
 * (0 picks a default of 4 KiB), or NULL when out of memory. */
arena_t *arena_new(size_t first_block);

/* Returns size bytes aligned to 16, or NULL when out of memory. Large
 * requests get a block of their own. size 0 returns a valid unique pointer. */
void *arena_alloc(arena_t *a, size_t size);

/* Like arena_alloc() but zeroed. */
void *arena_calloc(arena_t *a, size_t n, size_t size);

/* Copies len bytes of s and adds a NUL. Returns NULL when out of memory. */
char *arena_strndup(arena_t *a, const char *s, size_t len);
char *arena_strdup(arena_t *a, const char *s);

/* printf into the arena. Returns NULL when out of memory. */
char *arena_sprintf(arena_t *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *arena_vsprintf(arena_t *a, const char *fmt, va_list ap);

/* Frees every block but the first and rewinds it: the arena is empty again. */
void arena_reset(arena_t *a);

/* Bytes handed out since creation or the last reset (for metrics and tests). */
size_t arena_used(const arena_t *a);

/* Bytes the arena holds from malloc (its blocks), whether handed out or
 * not: what keeping it costs. */
size_t arena_footprint(const arena_t *a);

/* Moves every block of from into into (a splice of their chains, no copy)
 * and frees from: what was allocated from from now lives, and dies, with
 * into. For memory that is kept only if it turns out well (a provider
 * answer read while it arrives). */
void arena_adopt(arena_t *into, arena_t *from);

/* Frees the arena and everything allocated from it. NULL is a no-op. */
void arena_free(arena_t *a);

#endif
