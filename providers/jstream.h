/* The streaming JSON reader of the provider adapters (internal to
 * providers/): yajl's push parser fed the answer as it arrives, straight
 * into papers, with no DOM.
 *
 * What is read is described by data, once per answer shape:
 *
 *   - a tree of nodes (prov_jnode_t) says which fields of which objects
 *     matter; everything else is lexed and skipped (its depth counted);
 *   - one node of the tree is the ITEM: each object there is one paper,
 *     read by a provider's item mapping (prov_jitem_t: its own fields,
 *     callbacks and a per-item state), written once per provider and used
 *     wherever its items appear (the search's data[], a lookup's root, a
 *     batch's root array, a citation list's data[].citingPaper);
 *   - the rest of the tree, the envelope (prov_jkind_t), reads what is
 *     around the items: totals, the provider's error, edge fields.
 *
 * Callbacks get a slot number (the node's) and a value. A value that is
 * not what the tree expects (a scalar where an object or array was
 * described, a container where a scalar was) is still told, with its type,
 * so a mapping can clear what an earlier occurrence of the key set: a key
 * given twice counts as its last occurrence, as in a DOM. */
#ifndef SF_PROV_JSTREAM_H
#define SF_PROV_JSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "core/arena.h"
#include "core/paper.h"
#include "providers/provider.h"

typedef struct prov_js prov_js_t;

typedef enum {
    PROV_JV_NULL,
    PROV_JV_FALSE,
    PROV_JV_TRUE,
    PROV_JV_INT,
    PROV_JV_REAL,
    PROV_JV_STRING,
    PROV_JV_OBJECT, /* a container where the tree expects a scalar (then skipped) */
    PROV_JV_ARRAY,
} prov_jv_type_t;

typedef struct prov_jval {
    prov_jv_type_t type;
    const char *s; /* STRING: NUL-terminated, valid during the callback only; NULs inside kept */
    size_t len;    /* STRING: its bytes, NULs inside counted */
    long long i;   /* INT */
    double d;      /* REAL */
} prov_jval_t;

typedef struct prov_jnode prov_jnode_t;
typedef struct prov_jitem prov_jitem_t;

/* One place in the document. A list of fields ends with a node whose key
 * is NULL. */
struct prov_jnode {
    const char *key;            /* the field's name; PROV_JANY: any name (prov_js_key() tells it) */
    int slot;                   /* told to the callbacks; 0: none */
    const prov_jnode_t *fields; /* read when the value is an object */
    const prov_jnode_t *elem;   /* read for each element when the value is an array */
    const prov_jitem_t *item;   /* the value, an object, is one paper read by this mapping */
};

extern const char prov__jany[];
#define PROV_JANY prov__jany

/* The callbacks of a tree's owner (the item mapping or the envelope), st
 * its state. Each returns 0, or -1 when out of memory (the answer fails). */
typedef struct prov_jops {
    /* An object (array false) or array opens at a node with a slot. */
    int (*open)(prov_js_t *js, void *st, int slot, bool array);
    /* ... and closes. */
    int (*close)(prov_js_t *js, void *st, int slot);
    /* A scalar at a node with a slot, or a container the tree did not
     * expect there (type OBJECT or ARRAY; its content is skipped). */
    int (*value)(prov_js_t *js, void *st, int slot, const prov_jval_t *v);
} prov_jops_t;

/* A provider's item mapping: one object into one paper. */
struct prov_jitem {
    const prov_jnode_t *fields; /* the item object's fields */
    size_t state_size;          /* bytes of per-item state, zeroed before each item */
    prov_jops_t ops;
    /* The item's object closed: the rules across its fields, into p
     * (prov_js_paper(), filled by the callbacks so far). Sets *id to the
     * provider's id of it (an arena string, or NULL). Returns 0, 1 to
     * leave the item out, -1 when out of memory. */
    int (*finish)(prov_js_t *js, void *st, paper_t *p, const char **id);
};

/* The shape of one kind of answer. */
typedef struct prov_jkind {
    source_t source;
    prov_jnode_t root; /* the answer's root value (an object unless root.elem only) */
    size_t state_size; /* the envelope's state, zeroed once */
    prov_jops_t ops;
    /* The whole answer was read: sets *total (-1 when unknown), or returns
     * -1 with the provider's own error in err (the papers are dropped). */
    int (*finish)(prov_js_t *js, void *st, long *total, char *err, size_t errlen);
} prov_jkind_t;

/* A reader of one answer of kind k, its papers in a. NULL when out of memory. */
prov_js_t *prov__js_new(const prov_jkind_t *k, arena_t *a);
/* Feeds the next n bytes. Returns 0, or -1 once the answer is known to be
 * unreadable (the rest is ignored; prov__js_finish() says why). */
int prov__js_feed(prov_js_t *js, const char *p, size_t n);
/* The answer ended: its papers in order, ranked 1, 2... as papers of the
 * kind's source, and its total. Returns 0, or -1 with a message in err
 * and no papers in out. */
int prov__js_finish(prov_js_t *js, prov_result_t *out, char *err, size_t errlen);
void prov__js_free(prov_js_t *js);
/* The envelope's state (the kind's state_size bytes): what its callbacks
 * gathered (a batch's holes, edge fields), readable until prov__js_free(). */
void *prov_js_state(prov_js_t *js);
/* The same reader as a prov_stream_t (prov_stream_new()). */
prov_stream_t *prov__js_stream(const prov_jkind_t *k, arena_t *a);

/* For the callbacks. */
arena_t *prov_js_arena(prov_js_t *js); /* the papers' arena: what is kept */
arena_t *prov_js_tmp(prov_js_t *js);   /* scratch, emptied before each item */
/* The key of the value being told, when it stands in an object (else NULL). */
const char *prov_js_key(prov_js_t *js, size_t *len);
/* The position of the value being told (or opening) in its array (0 if none). */
size_t prov_js_index(prov_js_t *js);
/* The papers read so far (the envelope: to add edge fields to the last one). */
size_t prov_js_npapers(prov_js_t *js);
paper_t *prov_js_paper_at(prov_js_t *js, size_t i);
/* Drops the papers read so far (a list key given twice: its last one counts). */
void prov_js_clear_items(prov_js_t *js);

/* v as prov__json_str() reads a field: the string up to its first NUL when
 * it is a non-empty string, else NULL. */
static inline const char *prov__jv_str(const prov_jval_t *v)
{
    return v->type == PROV_JV_STRING && v->s[0] != '\0' ? v->s : NULL;
}
/* v as a work type (paper_type_parse()): UNKNOWN when not a string. */
static inline paper_type_t prov__jv_type(const prov_jval_t *v)
{
    const char *s = prov__jv_str(v);
    return s != NULL ? paper_type_parse(s, strlen(s)) : PAPER_TYPE_UNKNOWN;
}
/* As prov__json_int(): integers, reals in range and numeric strings, else dflt. */
long long prov__jv_int(const prov_jval_t *v, long long dflt);
/* As prov__json_total(): a count, -1 when absent or negative. */
long prov__jv_total(const prov_jval_t *v);
/* A copy of v's string (up to its first NUL) in the item's scratch, or NULL
 * when v is not a non-empty string. */
const char *prov__jv_tmp(prov_js_t *js, const prov_jval_t *v);
/* A copy of v's string (up to its first NUL) into buf (bounded), "" when
 * it is not a non-empty string; returns whether it was one. */
bool prov__jv_copy(const prov_jval_t *v, char *buf, size_t size);

/* A growable list of strings in the item's scratch. */
typedef struct prov_jvec {
    const char **v;
    size_t n, cap;
} prov_jvec_t;
/* Appends s (NULL is left out); -1 when out of memory. */
int prov__jvec_push(prov_js_t *js, prov_jvec_t *vec, const char *s);
/* Adds each string of vec, copied into the papers' arena, to p's
 * categories unless an equal one is there. -1 when out of memory. */
int prov__jvec_add_categories(prov_js_t *js, const prov_jvec_t *vec, paper_t *p, size_t *cap);
/* p's authors: the strings of vec (already in the papers' arena), in an
 * array of exactly their number. -1 when out of memory. */
int prov__jvec_set_authors(prov_js_t *js, const prov_jvec_t *vec, paper_t *p);

/* The item mappings, one per JSON provider, for every kind of answer. */
extern const prov_jitem_t prov__s2_item;
extern const prov_jitem_t prov__openalex_item;
extern const prov_jitem_t prov__crossref_item;
extern const prov_jitem_t prov__exa_item;

#endif
