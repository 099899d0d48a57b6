/* The streaming JSON reader: providers/jstream.h.
 *
 * yajl calls back once per token; the reader keeps a stack of the
 * containers the tree describes (one frame each) and a counter for those
 * it skips, finds the node of each value from its parent (the pending key
 * of an object, the element node of an array) and tells the node's owner.
 * Skipped subtrees cost the lexing only. */
#include "providers/jstream.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#include "providers/common.h"

#define JS_MAX_FRAMES 32  /* the trees are far shallower */
#define JS_MAX_DEPTH 2048 /* as jansson's parser: deeper is refused */
#define JS_TMP_BLOCK 8192 /* the item scratch's first block (most items fit) */

const char prov__jany[] = "*";

enum { OWNER_ENV, OWNER_ITEM };

typedef struct js_frame {
    const prov_jnode_t *node;    /* the container's own node */
    const prov_jnode_t *fields;  /* an object's fields */
    const prov_jnode_t *pending; /* an object: the node of the value after the last key */
    size_t index;                /* an array: elements done */
    bool array;
    bool item_root;   /* the item's object */
    bool have_key;    /* an object: a key was read and its value not done */
    char self_owner;  /* who heard this container open */
    char child_owner; /* who hears its values */
} js_frame_t;

struct prov_js {
    prov_stream_t base; /* first: prov__js_stream() */
    const prov_jkind_t *kind;
    arena_t *a;   /* papers */
    arena_t *tmp; /* item scratch */
    yajl_handle h;
    js_frame_t fr[JS_MAX_FRAMES];
    int nfr;
    int skip;  /* depth inside a skipped container (0: none) */
    int depth; /* every container open */
    bool root_done;
    bool failed;
    char err[256];
    size_t fed; /* bytes fed before the current piece */
    void *kst;  /* the envelope's state */
    /* The item being read. */
    const prov_jitem_t *item;
    void *ist;
    size_t ist_cap;
    bool in_item;
    int rank;
    prov_result_t out;
    /* A NUL-terminated copy of the string or key being told. */
    char *sbuf;
    size_t scap;
    char *kbuf;
    size_t kcap, klen;
};

static int js_fail(prov_js_t *js, const char *fmt, const char *detail)
{
    if (!js->failed) {
        js->failed = true;
        snprintf(js->err, sizeof js->err, fmt, source_name(js->kind->source), detail);
    }
    return 0; /* stops yajl */
}

static int js_oom(prov_js_t *js)
{
    return js_fail(js, "%s: out of memory%s", "");
}

static const prov_jops_t *ops_of(prov_js_t *js, int owner, void **st)
{
    if (owner == OWNER_ITEM) {
        *st = js->ist;
        return &js->item->ops;
    }
    *st = js->kst;
    return &js->kind->ops;
}

/* The node of the value that comes next, and who hears of it. */
static const prov_jnode_t *next_node(prov_js_t *js, int *owner)
{
    if (js->nfr == 0) {
        *owner = OWNER_ENV;
        return js->root_done ? NULL : &js->kind->root;
    }
    js_frame_t *f = &js->fr[js->nfr - 1];
    *owner = f->child_owner;
    return f->array ? f->node->elem : f->pending;
}

/* A value in the top frame is complete. */
static void value_done(prov_js_t *js)
{
    if (js->nfr == 0) {
        js->root_done = true;
        return;
    }
    js_frame_t *f = &js->fr[js->nfr - 1];
    if (f->array)
        f->index++;
    else
        f->have_key = false, f->pending = NULL;
}

static int tell_value(prov_js_t *js, const prov_jnode_t *n, int owner, const prov_jval_t *v)
{
    void *st;
    const prov_jops_t *ops = ops_of(js, owner, &st);
    if (n->slot && ops->value && ops->value(js, st, n->slot, v) < 0) return js_oom(js);
    return 1;
}

static int on_scalar(prov_js_t *js, const prov_jval_t *v)
{
    if (js->failed) return 0;
    if (js->skip) return 1;
    int owner;
    const prov_jnode_t *n = next_node(js, &owner);
    if (js->nfr == 0) /* the root is a scalar */
        return js_fail(js, "%s: response is not a JSON %s",
                       js->kind->root.fields || js->kind->root.item ? "object" : "array");
    int rc = 1;
    if (n != NULL) rc = tell_value(js, n, owner, v);
    value_done(js);
    return rc;
}

static int cb_null(void *ctx)
{
    prov_jval_t v = {.type = PROV_JV_NULL};
    return on_scalar(ctx, &v);
}

static int cb_bool(void *ctx, int b)
{
    prov_jval_t v = {.type = b ? PROV_JV_TRUE : PROV_JV_FALSE};
    return on_scalar(ctx, &v);
}

static int cb_int(void *ctx, long long i)
{
    prov_jval_t v = {.type = PROV_JV_INT, .i = i};
    return on_scalar(ctx, &v);
}

static int cb_double(void *ctx, double d)
{
    prov_jval_t v = {.type = PROV_JV_REAL, .d = d};
    return on_scalar(ctx, &v);
}

/* Copies n bytes into a growable buffer, NUL-terminated. */
static char *copy_into(char **buf, size_t *cap, const unsigned char *s, size_t n)
{
    if (n + 1 > *cap) {
        size_t c = *cap ? *cap : 256;
        while (c < n + 1)
            c *= 2;
        char *b = realloc(*buf, c);
        if (b == NULL) return NULL;
        *buf = b;
        *cap = c;
    }
    memcpy(*buf, s, n);
    (*buf)[n] = '\0';
    return *buf;
}

static int cb_string(void *ctx, const unsigned char *s, size_t len)
{
    prov_js_t *js = ctx;
    if (js->failed) return 0;
    if (js->skip) return 1;
    int owner;
    const prov_jnode_t *n = next_node(js, &owner);
    if (n == NULL || n->slot == 0) { /* not read: no copy */
        if (js->nfr == 0) return js_fail(js, "%s: response is not a JSON %s", "object");
        value_done(js);
        return 1;
    }
    prov_jval_t v = {.type = PROV_JV_STRING, .len = len};
    v.s = copy_into(&js->sbuf, &js->scap, s, len);
    if (v.s == NULL) return js_oom(js);
    return on_scalar(js, &v);
}

static int cb_key(void *ctx, const unsigned char *key, size_t len)
{
    prov_js_t *js = ctx;
    if (js->failed) return 0;
    if (js->skip) return 1;
    js_frame_t *f = &js->fr[js->nfr - 1];
    f->pending = NULL;
    f->have_key = true;
    for (const prov_jnode_t *n = f->fields; n != NULL && n->key != NULL; n++) {
        /* by length first: a key may hold a NUL ("\u0000") */
        if (n->key == PROV_JANY || (strlen(n->key) == len && memcmp(n->key, key, len) == 0)) {
            f->pending = n;
            break;
        }
    }
    if (f->pending != NULL) { /* kept for prov_js_key() */
        if (copy_into(&js->kbuf, &js->kcap, key, len) == NULL) return js_oom(js);
        js->klen = len;
    }
    return 1;
}

static int item_begin(prov_js_t *js, const prov_jitem_t *it)
{
    if (it->state_size > js->ist_cap) {
        void *s = realloc(js->ist, it->state_size);
        if (s == NULL) return -1;
        js->ist = s;
        js->ist_cap = it->state_size;
    }
    if (it->state_size) memset(js->ist, 0, it->state_size);
    arena_reset(js->tmp);
    if (paper_list_add(&js->out.papers, js->a) == NULL) return -1;
    js->item = it;
    js->in_item = true;
    return 0;
}

static int item_end(prov_js_t *js)
{
    paper_t *p = &js->out.papers.items[js->out.papers.n - 1];
    const char *id = NULL;
    int rc = js->item->finish(js, js->ist, p, &id);
    js->in_item = false;
    if (rc < 0) return -1;
    if (rc > 0)
        js->out.papers.n--;
    else
        prov__set_source(p, js->kind->source, id, ++js->rank);
    return 0;
}

static int on_open(prov_js_t *js, bool array)
{
    if (js->failed) return 0;
    if (++js->depth > JS_MAX_DEPTH) return js_fail(js, "%s: JSON nested too deep%s", "");
    if (js->skip) {
        js->skip++;
        return 1;
    }
    int owner;
    const prov_jnode_t *n = next_node(js, &owner);
    if (n == NULL) {
        js->skip = 1;
        return 1;
    }
    bool item = n->item != NULL && !js->in_item && !array;
    bool fits = item || (array ? n->elem != NULL : n->fields != NULL);
    if (!fits || js->nfr == JS_MAX_FRAMES) {
        if (js->nfr == 0)
            return js_fail(js, "%s: response is not a JSON %s", array ? "object" : "array");
        prov_jval_t v = {.type = array ? PROV_JV_ARRAY : PROV_JV_OBJECT};
        if (!tell_value(js, n, owner, &v)) return 0;
        js->skip = 1;
        return 1;
    }
    void *st;
    const prov_jops_t *ops = ops_of(js, owner, &st);
    if (n->slot && ops->open && ops->open(js, st, n->slot, array) < 0) return js_oom(js);
    if (item && item_begin(js, n->item) < 0) return js_oom(js);
    js_frame_t *f = &js->fr[js->nfr++];
    *f = (js_frame_t){
        .node = n,
        .fields = item ? n->item->fields : n->fields,
        .array = array,
        .item_root = item,
        .self_owner = (char)owner,
        .child_owner = (char)(item ? OWNER_ITEM : owner),
    };
    return 1;
}

static int on_close(prov_js_t *js)
{
    if (js->failed) return 0;
    js->depth--;
    if (js->skip) {
        if (--js->skip == 0) value_done(js);
        return 1;
    }
    js_frame_t f = js->fr[--js->nfr];
    if (f.item_root && item_end(js) < 0) return js_oom(js);
    void *st;
    const prov_jops_t *ops = ops_of(js, f.self_owner, &st);
    if (f.node->slot && ops->close && ops->close(js, st, f.node->slot) < 0) return js_oom(js);
    value_done(js);
    return 1;
}

static int cb_start_map(void *ctx)
{
    return on_open(ctx, false);
}

static int cb_end_map(void *ctx)
{
    return on_close(ctx);
}

static int cb_start_array(void *ctx)
{
    return on_open(ctx, true);
}

static int cb_end_array(void *ctx)
{
    return on_close(ctx);
}

static const yajl_callbacks js_callbacks = {
    .yajl_null = cb_null,
    .yajl_boolean = cb_bool,
    .yajl_integer = cb_int,
    .yajl_double = cb_double,
    .yajl_string = cb_string,
    .yajl_start_map = cb_start_map,
    .yajl_map_key = cb_key,
    .yajl_end_map = cb_end_map,
    .yajl_start_array = cb_start_array,
    .yajl_end_array = cb_end_array,
};

/* yajl's message, one line. (Not where it stopped: yajl counts a token
 * cut between two pieces from its second piece, so the offset would
 * depend on how the body arrived.) */
static void yajl_failed(prov_js_t *js)
{
    if (js->failed) return;
    unsigned char *m = yajl_get_error(js->h, 0, NULL, 0);
    char msg[160] = "not well-formed";
    if (m != NULL) {
        snprintf(msg, sizeof msg, "%s", (const char *)m);
        yajl_free_error(js->h, m);
    }
    size_t n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' ' || msg[n - 1] == '.'))
        msg[--n] = '\0';
    js->failed = true;
    snprintf(js->err, sizeof js->err, "%s: invalid JSON: %s", source_name(js->kind->source), msg);
}

static int stream_feed(prov_stream_t *s, const char *p, size_t n)
{
    return prov__js_feed((prov_js_t *)s, p, n);
}

static int stream_finish(prov_stream_t *s, prov_result_t *out, char *err, size_t errlen)
{
    return prov__js_finish((prov_js_t *)s, out, err, errlen);
}

static void stream_free(prov_stream_t *s)
{
    prov__js_free((prov_js_t *)s);
}

static const prov_stream_ops_t js_stream_ops = {
    .feed = stream_feed,
    .finish = stream_finish,
    .free = stream_free,
};

prov_js_t *prov__js_new(const prov_jkind_t *k, arena_t *a)
{
    prov_js_t *js = calloc(1, sizeof *js);
    if (js == NULL) return NULL;
    js->base.ops = &js_stream_ops;
    js->kind = k;
    js->a = a;
    js->out.total = -1;
    js->tmp = arena_new(JS_TMP_BLOCK);
    js->kst = k->state_size ? calloc(1, k->state_size) : NULL;
    js->h = yajl_alloc(&js_callbacks, NULL, js);
    if (js->tmp == NULL || (k->state_size && js->kst == NULL) || js->h == NULL) {
        prov__js_free(js);
        return NULL;
    }
    /* yajl's defaults are the strict ones: no comments, UTF-8 checked, one
     * value, nothing after it. */
    return js;
}

prov_stream_t *prov__js_stream(const prov_jkind_t *k, arena_t *a)
{
    prov_js_t *js = prov__js_new(k, a);
    return js ? &js->base : NULL;
}

int prov__js_feed(prov_js_t *js, const char *p, size_t n)
{
    if (js->failed) return -1;
    if (n == 0) return 0;
    if (yajl_parse(js->h, (const unsigned char *)p, n) != yajl_status_ok) yajl_failed(js);
    js->fed += n;
    return js->failed ? -1 : 0;
}

int prov__js_finish(prov_js_t *js, prov_result_t *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->total = -1;
    const char *who = source_name(js->kind->source);
    if (!js->failed && js->fed == 0) {
        js->failed = true;
        snprintf(js->err, sizeof js->err, "%s: empty response body", who);
    }
    if (!js->failed && yajl_complete_parse(js->h) != yajl_status_ok) yajl_failed(js);
    if (!js->failed && !js->root_done) js_fail(js, "%s: truncated JSON%s", "");
    long total = -1;
    if (!js->failed && js->kind->finish(js, js->kst, &total, js->err, sizeof js->err) < 0)
        js->failed = true;
    if (js->failed) {
        prov__fail(err, errlen, "%s", js->err);
        return -1;
    }
    *out = js->out;
    out->total = total;
    return 0;
}

void prov__js_free(prov_js_t *js)
{
    if (js == NULL) return;
    if (js->h) yajl_free(js->h);
    arena_free(js->tmp);
    free(js->kst);
    free(js->ist);
    free(js->sbuf);
    free(js->kbuf);
    free(js);
}

/* ---- for the callbacks ---- */

void *prov_js_state(prov_js_t *js)
{
    return js->kst;
}

arena_t *prov_js_arena(prov_js_t *js)
{
    return js->a;
}

arena_t *prov_js_tmp(prov_js_t *js)
{
    return js->tmp;
}

const char *prov_js_key(prov_js_t *js, size_t *len)
{
    js_frame_t *f = js->nfr > 0 ? &js->fr[js->nfr - 1] : NULL;
    if (f == NULL || f->array || !f->have_key) return NULL;
    if (len) *len = js->klen;
    return js->kbuf;
}

size_t prov_js_index(prov_js_t *js)
{
    js_frame_t *f = js->nfr > 0 ? &js->fr[js->nfr - 1] : NULL;
    return f != NULL && f->array ? f->index : 0;
}

size_t prov_js_npapers(prov_js_t *js)
{
    return js->out.papers.n;
}

paper_t *prov_js_paper_at(prov_js_t *js, size_t i)
{
    return i < js->out.papers.n ? &js->out.papers.items[i] : NULL;
}

void prov_js_clear_items(prov_js_t *js)
{
    if (js->in_item) return;
    js->out.papers.n = 0;
    js->rank = 0;
}

long long prov__jv_int(const prov_jval_t *v, long long dflt)
{
    switch (v->type) {
    case PROV_JV_INT:
        return v->i;
    case PROV_JV_REAL:
        return v->d >= -9.0e18 && v->d <= 9.0e18 ? (long long)v->d : dflt;
    case PROV_JV_STRING: {
        char *end;
        errno = 0;
        long long n = strtoll(v->s, &end, 10);
        return errno == 0 && end != v->s && *end == '\0' ? n : dflt;
    }
    default:
        return dflt;
    }
}

long prov__jv_total(const prov_jval_t *v)
{
    long long n = prov__jv_int(v, -1);
    return n >= 0 && (long long)(long)n == n ? (long)n : -1;
}

const char *prov__jv_tmp(prov_js_t *js, const prov_jval_t *v)
{
    const char *s = prov__jv_str(v);
    return s != NULL ? arena_strndup(js->tmp, s, strlen(s)) : NULL;
}

bool prov__jv_copy(const prov_jval_t *v, char *buf, size_t size)
{
    const char *s = prov__jv_str(v);
    snprintf(buf, size, "%s", s != NULL ? s : "");
    return s != NULL;
}

int prov__jvec_push(prov_js_t *js, prov_jvec_t *vec, const char *s)
{
    if (s == NULL) return 0;
    if (vec->n == vec->cap) {
        size_t cap = vec->cap ? vec->cap * 2 : 16;
        const char **v = arena_alloc(js->tmp, cap * sizeof *v);
        if (v == NULL) return -1;
        if (vec->n) memcpy(v, vec->v, vec->n * sizeof *v);
        vec->v = v;
        vec->cap = cap;
    }
    vec->v[vec->n++] = s;
    return 0;
}

int prov__jvec_add_categories(prov_js_t *js, const prov_jvec_t *vec, paper_t *p, size_t *cap)
{
    for (size_t i = 0; i < vec->n; i++) {
        bool dup = false;
        for (size_t k = 0; k < p->ncategories && !dup; k++)
            dup = strcmp(p->categories[k], vec->v[i]) == 0;
        if (dup) continue;
        if (prov__strv_add(js->a, &p->categories, &p->ncategories, cap,
                           arena_strdup(js->a, vec->v[i])) < 0)
            return -1;
    }
    return 0;
}

int prov__jvec_set_authors(prov_js_t *js, const prov_jvec_t *vec, paper_t *p)
{
    p->authors = NULL;
    p->nauthors = 0;
    if (vec->n == 0) return 0;
    p->authors = arena_alloc(js->a, vec->n * sizeof *p->authors);
    if (p->authors == NULL) return -1;
    memcpy(p->authors, vec->v, vec->n * sizeof *p->authors);
    p->nauthors = vec->n;
    return 0;
}
