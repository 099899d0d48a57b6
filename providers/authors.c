/* Author search and profiles of Semantic Scholar and OpenAlex
 * (providers/authors.h): the requests, and one streaming shape per answer
 * whose callbacks fill core/authors.h's records. Both providers' shapes
 * share the callbacks below: a slot says what a value is, whichever key
 * the provider calls it by. */
#include "providers/authors.h"

#include <string.h>

#include "providers/common.h"
#include "providers/jstream.h"

enum {
    AU_AUTHOR = 1, /* an author object opens / closes */
    AU_ID,
    AU_NAME,
    AU_ALIAS,
    AU_AFFILIATION, /* a string naming an institution */
    AU_HOMEPAGE,
    AU_PAPER_COUNT,
    AU_CITATION_COUNT,
    AU_H_INDEX,
    AU_ORCID,
    AU_PAPER, /* a sample paper opens / closes */
    AU_PAPER_DOI,
    AU_PAPER_TITLE,
    AU_TOTAL,
    AU_LIST, /* "data" / "results" */
    AU_ERROR,
    AU_MESSAGE,
};

typedef struct au_read {
    source_t src;
    author_list_t *out;
    size_t n0;     /* authors in out before this answer */
    author_t *cur; /* the open author, NULL outside one */
    const char *pdoi, *ptitle;
    long total;
    bool has_list, list_is_array, has_error;
    char error[160];
} au_read_t;

static int au_open(prov_js_t *js, void *st, int slot, bool array)
{
    au_read_t *r = st;
    arena_t *a = prov_js_arena(js);
    switch (slot) {
    case AU_AUTHOR:
        if (array || (r->cur = author_list_add(r->out, a)) == NULL) return array ? 0 : -1;
        r->cur->sources = 1u << r->src;
        return 0;
    case AU_PAPER:
        r->pdoi = r->ptitle = NULL;
        return 0;
    case AU_LIST:
        r->has_list = true;
        r->list_is_array = array;
        return 0;
    }
    return 0;
}

static int au_close(prov_js_t *js, void *st, int slot)
{
    au_read_t *r = st;
    if (slot == AU_PAPER && r->cur != NULL)
        return author_add_paper(r->cur, prov_js_arena(js), r->pdoi, r->ptitle);
    if (slot == AU_AUTHOR && r->cur != NULL) {
        /* An author with neither id nor name is no author. */
        if (r->cur->ids[r->src] == NULL && r->cur->name == NULL) r->out->n--;
        r->cur = NULL;
    }
    return 0;
}

/* The provider's id of the author: S2's authorId, OpenAlex's "A123" (from
 * "https://openalex.org/A123"). */
static const char *au_id(arena_t *a, source_t src, const prov_jval_t *v)
{
    if (v->type == PROV_JV_INT) return arena_sprintf(a, "%lld", v->i);
    const char *s = prov__jv_str(v);
    if (s == NULL) return NULL;
    if (src == SRC_OPENALEX) {
        const char *slash = strrchr(s, '/');
        if (slash != NULL) s = slash + 1;
    }
    return arena_strdup(a, s);
}

static int au_value(prov_js_t *js, void *st, int slot, const prov_jval_t *v)
{
    au_read_t *r = st;
    arena_t *a = prov_js_arena(js);
    author_t *au = r->cur;
    const char *s = prov__jv_str(v);
    switch (slot) {
    case AU_TOTAL:
        r->total = prov__jv_total(v);
        return 0;
    case AU_LIST:
        r->has_list = true;
        r->list_is_array = false;
        return 0;
    case AU_ERROR:
    case AU_MESSAGE:
        if (s != NULL && (slot == AU_ERROR || !r->has_error)) {
            r->has_error = true;
            prov__jv_copy(v, r->error, sizeof(r->error));
        }
        return 0;
    case AU_PAPER_DOI:
        r->pdoi = s != NULL ? prov__jv_tmp(js, v) : NULL;
        return 0;
    case AU_PAPER_TITLE:
        r->ptitle = s != NULL ? prov__jv_tmp(js, v) : NULL;
        return 0;
    }
    if (au == NULL) return 0;
    switch (slot) {
    case AU_ID:
        au->ids[r->src] = au_id(a, r->src, v);
        return v->type != PROV_JV_NULL && au->ids[r->src] == NULL &&
                       (s != NULL || v->type == PROV_JV_INT)
                   ? -1
                   : 0;
    case AU_NAME:
        if (s == NULL) return 0;
        if (au->name != NULL) return author_add_alias(au, a, s);
        au->name = paper_clean_text(a, s, strlen(s));
        return au->name == NULL ? -1 : 0;
    case AU_ALIAS:
        return author_add_alias(au, a, s);
    case AU_AFFILIATION:
        return author_add_affiliation(au, a, s);
    case AU_HOMEPAGE:
        if (s != NULL && (au->homepage = arena_strdup(a, s)) == NULL) return -1;
        return 0;
    case AU_PAPER_COUNT:
        au->paper_count = prov__jv_total(v);
        return 0;
    case AU_CITATION_COUNT:
        au->citation_count = prov__jv_total(v);
        return 0;
    case AU_H_INDEX:
        au->h_index = prov__jv_total(v);
        return 0;
    case AU_ORCID:
        /* S2 writes a list of them in externalIds.ORCID, OpenAlex one URL. */
        if (au->orcid == NULL && s != NULL) au->orcid = author_orcid_norm(a, s);
        return 0;
    }
    return 0;
}

/* A macro, not a const object: C wants constant expressions in the static
 * shape trees, and clang does not take a const variable as one. */
#define AU_OPS                                                                                     \
    {                                                                                              \
        .open = au_open, .close = au_close, .value = au_value                                      \
    }

/* A list answer without its list and with an error is the provider's error;
 * a profile answer is the object itself. */
static int au_finish(prov_js_t *js, void *st, long *total, char *err, size_t errlen)
{
    (void)js;
    au_read_t *r = st;
    *total = r->total;
    if (r->has_error && r->out->n == r->n0)
        return prov__fail(err, errlen, "%s: %s", source_name(r->src), r->error);
    return 0;
}

/* ---- Semantic Scholar ---------------------------------------------------- */

static const prov_jnode_t s2a_string = {.slot = AU_ALIAS};
static const prov_jnode_t s2a_affiliation = {.slot = AU_AFFILIATION};
static const prov_jnode_t s2a_orcid = {.slot = AU_ORCID};
static const prov_jnode_t s2a_ext_fields[] = {
    {.key = "ORCID", .slot = AU_ORCID, .elem = &s2a_orcid},
    {0},
};
static const prov_jnode_t s2a_paper_ext[] = {
    {.key = "DOI", .slot = AU_PAPER_DOI},
    {0},
};
static const prov_jnode_t s2a_paper_fields[] = {
    {.key = "externalIds", .fields = s2a_paper_ext},
    {.key = "title", .slot = AU_PAPER_TITLE},
    {0},
};
static const prov_jnode_t s2a_paper = {.slot = AU_PAPER, .fields = s2a_paper_fields};
#define S2A_AUTHOR_FIELDS                                                                          \
    {.key = "authorId", .slot = AU_ID}, {.key = "name", .slot = AU_NAME},                          \
        {.key = "aliases", .elem = &s2a_string},                                                   \
        {.key = "affiliations", .elem = &s2a_affiliation},                                         \
        {.key = "homepage", .slot = AU_HOMEPAGE}, {.key = "paperCount", .slot = AU_PAPER_COUNT},   \
        {.key = "citationCount", .slot = AU_CITATION_COUNT},                                       \
        {.key = "hIndex", .slot = AU_H_INDEX}, {.key = "externalIds", .fields = s2a_ext_fields},   \
    {                                                                                              \
        .key = "papers", .elem = &s2a_paper                                                        \
    }
static const prov_jnode_t s2a_author_fields[] = {
    S2A_AUTHOR_FIELDS,
    {0},
};
static const prov_jnode_t s2a_author = {.slot = AU_AUTHOR, .fields = s2a_author_fields};
static const prov_jnode_t s2a_list_fields[] = {
    {.key = "total", .slot = AU_TOTAL},
    {.key = "data", .slot = AU_LIST, .elem = &s2a_author},
    {.key = "error", .slot = AU_ERROR},
    {.key = "message", .slot = AU_MESSAGE},
    {0},
};
static const prov_jnode_t s2a_single_fields[] = {
    S2A_AUTHOR_FIELDS,
    {.key = "error", .slot = AU_ERROR},
    {.key = "message", .slot = AU_MESSAGE},
    {0},
};
static const prov_jkind_t s2_author_list = {
    .source = SRC_SEMANTIC_SCHOLAR,
    .root = {.fields = s2a_list_fields},
    .state_size = sizeof(au_read_t),
    .ops = AU_OPS,
    .finish = au_finish,
};
static const prov_jkind_t s2_author_single = {
    .source = SRC_SEMANTIC_SCHOLAR,
    .root = {.slot = AU_AUTHOR, .fields = s2a_single_fields},
    .state_size = sizeof(au_read_t),
    .ops = AU_OPS,
    .finish = au_finish,
};

/* Reads body with kind k into out. */
static int au_parse(const prov_jkind_t *k, const char *body, size_t len, arena_t *a,
                    author_list_t *out, long *total, char *err, size_t errlen)
{
    prov_js_t *js = prov__js_new(k, a);
    if (js == NULL) return prov__fail(err, errlen, "%s: out of memory", source_name(k->source));
    au_read_t *r = prov_js_state(js);
    r->src = k->source;
    r->out = out;
    r->total = -1;
    size_t n0 = r->n0 = out->n;
    prov__js_feed(js, body, len);
    prov_result_t res = {0};
    int rc = prov__js_finish(js, &res, err, errlen);
    bool listless = k->root.slot == 0 && !r->has_list && !r->has_error && r->total < 0;
    prov__js_free(js);
    if (rc == 0 && listless)
        rc = prov__fail(err, errlen, "%s: no author list in response", source_name(k->source));
    if (rc < 0) {
        out->n = n0; /* an answer is read whole or not at all */
        return -1;
    }
    if (total != NULL) *total = res.total;
    return 0;
}

static int s2_finish_request(prov__sb_t *u, const prov_settings_t *ps, arena_t *a,
                             prov_request_t *out, char *err, size_t errlen)
{
    out->method = "GET";
    out->url = prov__sb_str(u);
    if (out->url == NULL || prov__add_header(out, a, "Accept", "application/json") < 0 ||
        (prov__has(ps->api_key) && prov__add_header(out, a, "x-api-key", ps->api_key) < 0))
        return prov__fail(err, errlen, "semantic_scholar: out of memory");
    return 0;
}

int prov_s2_author_search_build(const char *query, size_t offset, int limit,
                                const prov_settings_t *ps, arena_t *a, prov_request_t *out,
                                char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    if (ps == NULL || !prov__has(ps->base_url))
        return prov__fail(err, errlen, "semantic_scholar: no base URL");
    if (!prov__has(query)) return prov__fail(err, errlen, "semantic_scholar: empty query");
    if (limit < 1 || limit > 1000) limit = 1000; /* the API's page maximum */
    prov__sb_t u;
    prov__sb_init(&u, a);
    prov__sb_puts(&u, ps->base_url);
    prov__sb_puts(&u, "/graph/v1/author/search");
    prov__sb_param(&u, "query", query);
    prov__sb_puts(&u, "&fields=" PROV_S2_AUTHOR_FIELDS);
    prov__sb_printf(&u, "&offset=%zu&limit=%d", offset, limit);
    return s2_finish_request(&u, ps, a, out, err, errlen);
}

int prov_s2_author_build(const char *id, const prov_settings_t *ps, arena_t *a, prov_request_t *out,
                         char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    if (ps == NULL || !prov__has(ps->base_url))
        return prov__fail(err, errlen, "semantic_scholar: no base URL");
    if (!prov__has(id)) return prov__fail(err, errlen, "semantic_scholar: no author id");
    prov__sb_t u;
    prov__sb_init(&u, a);
    prov__sb_puts(&u, ps->base_url);
    prov__sb_puts(&u, "/graph/v1/author/");
    prov__sb_put_path(&u, id);
    prov__sb_puts(&u, "?fields=" PROV_S2_AUTHOR_FIELDS);
    return s2_finish_request(&u, ps, a, out, err, errlen);
}

int prov_s2_authors_parse(const char *body, size_t len, bool single, arena_t *a, author_list_t *out,
                          long *total, char *err, size_t errlen)
{
    return au_parse(single ? &s2_author_single : &s2_author_list, body, len, a, out, total, err,
                    errlen);
}

/* ---- OpenAlex ------------------------------------------------------------ */

static const prov_jnode_t oaa_inst_fields[] = {
    {.key = "display_name", .slot = AU_AFFILIATION},
    {0},
};
static const prov_jnode_t oaa_inst = {.fields = oaa_inst_fields};
static const prov_jnode_t oaa_aff_fields[] = {
    {.key = "institution", .fields = oaa_inst_fields},
    {0},
};
static const prov_jnode_t oaa_aff = {.fields = oaa_aff_fields};
static const prov_jnode_t oaa_stats_fields[] = {
    {.key = "h_index", .slot = AU_H_INDEX},
    {0},
};
#define OAA_AUTHOR_FIELDS                                                                          \
    {.key = "id", .slot = AU_ID}, {.key = "orcid", .slot = AU_ORCID},                              \
        {.key = "display_name", .slot = AU_NAME},                                                  \
        {.key = "display_name_alternatives", .elem = &s2a_string},                                 \
        {.key = "works_count", .slot = AU_PAPER_COUNT},                                            \
        {.key = "cited_by_count", .slot = AU_CITATION_COUNT},                                      \
        {.key = "summary_stats", .fields = oaa_stats_fields},                                      \
        {.key = "last_known_institutions", .elem = &oaa_inst},                                     \
    {                                                                                              \
        .key = "affiliations", .elem = &oaa_aff                                                    \
    }
static const prov_jnode_t oaa_author_fields[] = {
    OAA_AUTHOR_FIELDS,
    {0},
};
static const prov_jnode_t oaa_author = {.slot = AU_AUTHOR, .fields = oaa_author_fields};
static const prov_jnode_t oaa_meta_fields[] = {
    {.key = "count", .slot = AU_TOTAL},
    {0},
};
static const prov_jnode_t oaa_list_fields[] = {
    {.key = "meta", .fields = oaa_meta_fields},
    {.key = "results", .slot = AU_LIST, .elem = &oaa_author},
    {.key = "error", .slot = AU_ERROR},
    {.key = "message", .slot = AU_MESSAGE},
    {0},
};
static const prov_jnode_t oaa_single_fields[] = {
    OAA_AUTHOR_FIELDS,
    {.key = "error", .slot = AU_ERROR},
    {.key = "message", .slot = AU_MESSAGE},
    {0},
};
static const prov_jkind_t oa_author_list = {
    .source = SRC_OPENALEX,
    .root = {.fields = oaa_list_fields},
    .state_size = sizeof(au_read_t),
    .ops = AU_OPS,
    .finish = au_finish,
};
static const prov_jkind_t oa_author_single = {
    .source = SRC_OPENALEX,
    .root = {.slot = AU_AUTHOR, .fields = oaa_single_fields},
    .state_size = sizeof(au_read_t),
    .ops = AU_OPS,
    .finish = au_finish,
};

static int oa_finish_request(prov__sb_t *u, const prov_settings_t *ps, arena_t *a,
                             prov_request_t *out, char *err, size_t errlen)
{
    if (prov__has(ps->mailto)) prov__sb_param(u, "mailto", ps->mailto);
    if (prov__has(ps->api_key)) prov__sb_param(u, "api_key", ps->api_key);
    out->method = "GET";
    out->url = prov__sb_str(u);
    if (out->url == NULL || prov__add_header(out, a, "Accept", "application/json") < 0)
        return prov__fail(err, errlen, "openalex: out of memory");
    return 0;
}

int prov_openalex_author_search_build(const char *query, int page, int per_page,
                                      const prov_settings_t *ps, arena_t *a, prov_request_t *out,
                                      char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    if (ps == NULL || !prov__has(ps->base_url))
        return prov__fail(err, errlen, "openalex: no base URL");
    if (!prov__has(query)) return prov__fail(err, errlen, "openalex: empty query");
    if (per_page < 1 || per_page > 200) per_page = 200;
    if (page < 1) page = 1;
    prov__sb_t u;
    prov__sb_init(&u, a);
    prov__sb_puts(&u, ps->base_url);
    prov__sb_puts(&u, "/authors");
    prov__sb_param(&u, "search", query);
    prov__sb_printf(&u, "&per-page=%d&page=%d", per_page, page);
    return oa_finish_request(&u, ps, a, out, err, errlen);
}

int prov_openalex_author_build(const char *id, const prov_settings_t *ps, arena_t *a,
                               prov_request_t *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    if (ps == NULL || !prov__has(ps->base_url))
        return prov__fail(err, errlen, "openalex: no base URL");
    if (!prov__has(id)) return prov__fail(err, errlen, "openalex: no author id");
    prov__sb_t u;
    prov__sb_init(&u, a);
    prov__sb_puts(&u, ps->base_url);
    prov__sb_puts(&u, "/authors/");
    prov__sb_put_path(&u, id);
    return oa_finish_request(&u, ps, a, out, err, errlen);
}

int prov_openalex_authors_parse(const char *body, size_t len, bool single, arena_t *a,
                                author_list_t *out, long *total, char *err, size_t errlen)
{
    return au_parse(single ? &oa_author_single : &oa_author_list, body, len, a, out, total, err,
                    errlen);
}
