/* Bump allocator over a chain of blocks. The first block survives
 * arena_reset(); later blocks are malloc'd as needed (doubling up to 1 MiB)
 * and freed on reset. A request larger than a quarter of
 * the current block size gets a block of its own, so a big allocation never
 * wastes the tail of a half-used block. */
#include "core/arena.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_ALIGN 16
#define ARENA_DEFAULT_BLOCK 4096
#define ARENA_MAX_BLOCK (1u << 20) /* growth of ordinary blocks stops here */

typedef struct arena_block {
    struct arena_block *next; /* older block, or NULL */
    size_t size;              /* usable bytes in data */
    size_t used;              /* bytes handed out from data */
    _Alignas(ARENA_ALIGN) unsigned char data[];
} arena_block_t;

struct arena {
    arena_block_t *head;  /* block being filled; its chain ends at first */
    arena_block_t *first; /* kept by reset */
    arena_block_t *tail;  /* last of the chain (for arena_adopt()) */
    size_t next_size;     /* size of the next ordinary block */
    size_t used;          /* bytes handed out since creation or reset */
};

static size_t align_up(size_t n)
{
    return (n + (ARENA_ALIGN - 1)) & ~(size_t)(ARENA_ALIGN - 1);
}

static arena_block_t *block_new(size_t size)
{
    if (size > SIZE_MAX - sizeof(arena_block_t)) return NULL;
    arena_block_t *b = malloc(sizeof(arena_block_t) + size);
    if (b == NULL) return NULL;
    b->next = NULL;
    b->size = size;
    b->used = 0;
    return b;
}

arena_t *arena_new(size_t first_block)
{
    if (first_block == 0) first_block = ARENA_DEFAULT_BLOCK;
    first_block = align_up(first_block);
    if (first_block == 0) return NULL; /* overflowed */
    arena_t *a = malloc(sizeof(*a));
    if (a == NULL) return NULL;
    a->first = block_new(first_block);
    if (a->first == NULL) {
        free(a);
        return NULL;
    }
    a->head = a->first;
    a->tail = a->first;
    a->next_size = first_block;
    a->used = 0;
    return a;
}

void *arena_alloc(arena_t *a, size_t size)
{
    /* size 0 still takes one aligned slot so the pointer is unique */
    size_t need = align_up(size == 0 ? 1 : size);
    if (need < size) return NULL; /* overflowed */

    arena_block_t *h = a->head;
    if (h->size - h->used >= need) {
        void *p = h->data + h->used;
        h->used += need;
        a->used += need;
        return p;
    }

    if (need > a->next_size / 4) {
        /* Big: a block of its own, linked behind the head so the head keeps
         * filling. */
        arena_block_t *b = block_new(need);
        if (b == NULL) return NULL;
        b->used = need;
        b->next = h->next;
        h->next = b;
        if (b->next == NULL) a->tail = b;
        a->used += need;
        return b->data;
    }

    if (a->next_size < ARENA_MAX_BLOCK) a->next_size *= 2;
    arena_block_t *b = block_new(a->next_size);
    if (b == NULL) return NULL;
    b->next = h;
    a->head = b;
    b->used = need;
    a->used += need;
    return b->data;
}

void *arena_calloc(arena_t *a, size_t n, size_t size)
{
    if (size != 0 && n > SIZE_MAX / size) return NULL;
    void *p = arena_alloc(a, n * size);
    if (p != NULL) memset(p, 0, n * size);
    return p;
}

char *arena_strndup(arena_t *a, const char *s, size_t len)
{
    if (len == SIZE_MAX) return NULL;
    char *p = arena_alloc(a, len + 1);
    if (p == NULL) return NULL;
    if (len > 0) memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *arena_strdup(arena_t *a, const char *s)
{
    return arena_strndup(a, s, strlen(s));
}

char *arena_vsprintf(arena_t *a, const char *fmt, va_list ap)
{
    /* One pass when the text fits what is left of the current block (the
     * usual case: response headers), else measured, then written. */
    arena_block_t *h = a->head;
    va_list ap2;
    va_copy(ap2, ap);
    size_t avail = h->size - h->used;
    int n = vsnprintf((char *)h->data + h->used, avail, fmt, ap2);
    va_end(ap2);
    if (n < 0) return NULL;
    if (align_up((size_t)n + 1) <= avail) /* the head block takes it where it was written */
        return arena_alloc(a, (size_t)n + 1);
    char *p = arena_alloc(a, (size_t)n + 1);
    if (p == NULL) return NULL;
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    return p;
}

char *arena_sprintf(arena_t *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = arena_vsprintf(a, fmt, ap);
    va_end(ap);
    return p;
}

void arena_reset(arena_t *a)
{
    arena_block_t *b = a->head;
    while (b != a->first) {
        arena_block_t *next = b->next;
        free(b);
        b = next;
    }
    /* big blocks may hang behind first too */
    b = a->first->next;
    while (b != NULL) {
        arena_block_t *next = b->next;
        free(b);
        b = next;
    }
    a->first->next = NULL;
    a->first->used = 0;
    a->head = a->first;
    a->tail = a->first;
    a->next_size = a->first->size;
    a->used = 0;
}

size_t arena_used(const arena_t *a)
{
    return a->used;
}

size_t arena_footprint(const arena_t *a)
{
    size_t n = sizeof *a;
    for (const arena_block_t *b = a->head; b != NULL; b = b->next)
        n += sizeof *b + b->size;
    return n;
}

void arena_adopt(arena_t *into, arena_t *from)
{
    /* Behind into's head, so the head keeps filling; reset frees every
     * block behind the head but the first, wherever it hangs. */
    arena_block_t *h = into->head;
    from->tail->next = h->next;
    h->next = from->head;
    if (into->tail == h) into->tail = from->tail;
    into->used += from->used;
    free(from);
}

void arena_free(arena_t *a)
{
    if (a == NULL) return;
    arena_block_t *b = a->head;
    while (b != NULL) {
        arena_block_t *next = b->next;
        free(b);
        b = next;
    }
    free(a);
}
