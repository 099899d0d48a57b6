#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sql.h"

#include "core/hash.h"
#include "core/utf8.h"

void store_cache_key_hash(const char *key, char out[20])
{
    snprintf(out, 20, "v1:%016" PRIx64, fnv1a_str(key));
}

/* ---- papers as JSON rows -------------------------------------------------- */

/* A copy of s with every byte that is not valid UTF-8 replaced by '?'. */
static char *utf8_clean(const char *s)
{
    size_t n = strlen(s);
    char *o = malloc(n + 1);
    if (!o) return NULL;
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        size_t k = utf8_seq(p + i, n - i);
        if (k == 0) {
            o[i++] = '?';
            continue;
        }
        memcpy(o + i, p + i, k);
        i += k;
    }
    o[n] = '\0';
    return o;
}

static json_t *jstr(const char *s)
{
    if (!s) return json_null();
    json_t *j = json_string(s);
    if (j) return j;
    char *c = utf8_clean(s);
    j = c ? json_string(c) : NULL;
    free(c);
    return j ? j : json_null();
}

static json_t *jstr_array(const char **v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        if (v[i] && v[i][0]) json_array_append_new(a, jstr(v[i]));
    return a;
}

char *store_paper_row_json(const paper_t *p)
{
    if (!p->doi && !p->arxiv_id && (!p->title || !p->title[0])) return NULL;
    json_t *o = json_object();
    json_t *ids = json_object();
    json_t *srcs = json_array();
    char *title_key = NULL, *out = NULL;
    arena_t *a = arena_new(0);
    if (!o || !ids || !srcs || !a) goto done;
    for (size_t i = 0; i < p->nsources; i++) {
        const paper_source_t *s = &p->sources[i];
        if (s->source == SRC_LOCAL || (unsigned)s->source >= SRC_COUNT) continue;
        json_array_append_new(srcs, json_string(source_name(s->source)));
        if (s->id) json_object_set_new(ids, source_name(s->source), jstr(s->id));
    }
    if (json_array_size(srcs) == 0) goto done; /* only seen in the store itself */
    /* The merge's dedupe keys, so the table judges two papers the same
     * the way the answers do. */
    const char *fam = p->nauthors ? paper_family_key(a, p->authors[0]) : NULL;
    title_key = p->title ? paper_dedupe_title_key(a, p->title) : NULL;
    json_object_set_new(o, "doi", jstr(p->doi));
    json_object_set_new(o, "arxiv_id", jstr(p->arxiv_id));
    json_object_set_new(o, "arxiv_version", jstr(p->arxiv_version));
    json_object_set(o, "source_ids", ids);
    json_object_set(o, "sources", srcs);
    json_object_set_new(o, "title", jstr(p->title ? p->title : ""));
    json_object_set_new(o, "title_key", jstr(title_key ? title_key : ""));
    json_object_set_new(o, "abstract", jstr(p->abstract));
    json_object_set_new(o, "authors", jstr_array(p->authors, p->nauthors));
    json_object_set_new(o, "first_author", jstr(fam ? fam : ""));
    json_object_set_new(o, "year", p->year > 0 ? json_integer(p->year) : json_null());
    json_object_set_new(o, "published_at", jstr(p->published));
    json_object_set_new(o, "venue", jstr(p->venue));
    json_object_set_new(o, "type", jstr(paper_type_name(p->type))); /* null when untyped */
    json_object_set_new(o, "categories", jstr_array(p->categories, p->ncategories));
    json_object_set_new(o, "citations",
                        p->citations >= 0 ? json_integer(p->citations) : json_null());
    json_object_set_new(o, "url", jstr(p->url));
    json_object_set_new(o, "pdf_url", jstr(p->pdf_url));
    json_object_set_new(o, "open_access", json_boolean(p->open_access));
    out = json_dumps(o, JSON_COMPACT);
done:
    json_decref(o);
    json_decref(ids);
    json_decref(srcs);
    arena_free(a);
    return out;
}

static const char *jget_str(const json_t *o, const char *k, arena_t *a)
{
    json_t *v = json_object_get(o, k);
    if (!json_is_string(v)) return NULL;
    return arena_strndup(a, json_string_value(v), json_string_length(v));
}

static const char **jget_strs(const json_t *o, const char *k, arena_t *a, size_t *n)
{
    json_t *v = json_object_get(o, k);
    *n = 0;
    if (!json_is_array(v) || json_array_size(v) == 0) return NULL;
    const char **out = arena_calloc(a, json_array_size(v), sizeof *out);
    if (!out) return NULL;
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e)
    {
        if (json_is_string(e))
            out[(*n)++] = arena_strndup(a, json_string_value(e), json_string_length(e));
    }
    return out;
}

int store_paper_from_json(const json_t *o, arena_t *a, int rank, paper_t *p)
{
    if (!json_is_object(o)) return -1;
    const char *id = jget_str(o, "id", a);
    const char *title = jget_str(o, "title", a);
    if (!id) return -1;
    p->title = title ? title : "";
    p->abstract = jget_str(o, "abstract", a);
    p->authors = jget_strs(o, "authors", a, &p->nauthors);
    p->doi = jget_str(o, "doi", a);
    p->arxiv_id = jget_str(o, "arxiv_id", a);
    p->arxiv_version = jget_str(o, "arxiv_version", a);
    json_t *y = json_object_get(o, "year");
    p->year = json_is_integer(y) ? (int)json_integer_value(y) : 0;
    p->published = jget_str(o, "published_at", a);
    p->venue = jget_str(o, "venue", a);
    const char *type = jget_str(o, "type", a);
    p->type = type != NULL ? paper_type_parse(type, strlen(type)) : PAPER_TYPE_UNKNOWN;
    p->categories = jget_strs(o, "categories", a, &p->ncategories);
    json_t *c = json_object_get(o, "citation_count");
    p->citations = json_is_integer(c) ? (int64_t)json_integer_value(c) : -1;
    p->url = jget_str(o, "url", a);
    p->pdf_url = jget_str(o, "pdf_url", a);
    p->open_access = json_is_true(json_object_get(o, "is_open_access"));
    p->sources[0] = (paper_source_t){.source = SRC_LOCAL, .id = id, .rank = rank};
    p->nsources = 1;
    return 0;
}
