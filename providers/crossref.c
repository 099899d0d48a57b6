/* Crossref adapter: GET /works?query=..., its JSON read while it arrives
 * (providers/jstream.h); error answers' messages with jansson.
 *
 * Filters: dates and years (from-pub-date / until-pub-date), author
 * (query.author); sort by date or citations. Crossref has no arXiv
 * categories and no open-access flag (a licence is not the same thing):
 * those are left to the merge. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "providers/common.h"
#include "providers/jstream.h"

#define CROSSREF_MAX_RESULTS 1000 /* rows <= 1000 */

/* Only the fields the adapter reads: Crossref items carry reference lists
 * that would otherwise make a page many times larger. "subject" (the
 * categories) was missing, so categories were always empty; most current
 * records carry none, older ones still do. */
#define CROSSREF_SELECT                                                                            \
    "DOI,title,author,published,published-print,published-online,issued,created,"                  \
    "container-title,is-referenced-by-count,abstract,URL,type,subject"

/* Builds GET {base}/works?query=..[&query.author=..][&filter=..]&rows=N
 * &select=..[&sort=..&order=desc][&mailto=..]. */
static int crossref_build(const query_t *q, const prov_settings_t *ps, arena_t *a,
                          prov_request_t *out, char *err, size_t errlen)
{
    if (!prov__has(q->text)) return prov__fail(err, errlen, "crossref: empty query");

    prov__sb_t f;
    prov__sb_init(&f, a);
    prov__sb_date_bounds(&f, q, "from-pub-date", "until-pub-date", false);

    prov__sb_t u;
    prov__sb_init(&u, a);
    prov__sb_puts(&u, ps->base_url);
    prov__sb_puts(&u, "/works");
    prov__sb_param(&u, "query", q->text);
    if (prov__has(q->author)) prov__sb_param(&u, "query.author", q->author);
    if (f.len > 0) {
        prov__sb_puts(&u, "&filter=");
        prov__sb_putn(&u, f.p, f.len);
    }
    prov__sb_printf(&u, "&rows=%d", prov__clamp_results(ps->max_results, CROSSREF_MAX_RESULTS));
    prov__sb_puts(&u, "&select=" CROSSREF_SELECT);
    if (q->sort == SORT_DATE)
        prov__sb_puts(&u, "&sort=published&order=desc");
    else if (q->sort == SORT_CITATIONS)
        prov__sb_puts(&u, "&sort=is-referenced-by-count&order=desc");
    if (prov__has(ps->mailto)) prov__sb_param(&u, "mailto", ps->mailto);

    out->method = "GET";
    out->url = prov__sb_str(&u);
    if (f.failed || out->url == NULL || prov__add_header(out, a, "Accept", "application/json") < 0)
        return prov__fail(err, errlen, "crossref: out of memory");
    if (prov__has(ps->api_key)) { /* the Plus pool */
        char *v = arena_sprintf(a, "Bearer %s", ps->api_key);
        if (v == NULL || prov__add_header(out, a, "Crossref-Plus-API-Token", v) < 0)
            return prov__fail(err, errlen, "crossref: out of memory");
    }
    return 0;
}

/* ---- answer: one work item (prov__crossref_item), wherever it stands ---- */

/* The dates, by Crossref's own preference: the first that has a year
 * (their order in cr_item_fields: published, issued, published-print,
 * published-online, created). */
#define NDATES 5

enum {
    CR_DOI = 1,
    CR_TITLE,
    CR_TITLE_ONE,
    CR_ABSTRACT,
    CR_AUTHORS,
    CR_AUTHOR,
    CR_GIVEN,
    CR_FAMILY,
    CR_NAME,
    CR_DATE_PARTS,     /* "date-parts": [[Y, M?, D?]] */
    CR_DATE_PARTS_ONE, /* each [Y, M?, D?]; the first counts */
    CR_DATE_PART,      /* Y, M, D */
    CR_CONTAINER,
    CR_CONTAINER_ONE,
    CR_CITES,
    CR_URL,
    CR_SUBJECTS,
    CR_SUBJECT,
    CR_TYPE,
    CR_DATE, /* CR_DATE + i: date_keys[i] */
};

static const prov_jnode_t cr_title_one = {.slot = CR_TITLE_ONE};
static const prov_jnode_t cr_container_one = {.slot = CR_CONTAINER_ONE};
static const prov_jnode_t cr_subject = {.slot = CR_SUBJECT};
static const prov_jnode_t cr_author_fields[] = {
    {.key = "given", .slot = CR_GIVEN},
    {.key = "family", .slot = CR_FAMILY},
    {.key = "name", .slot = CR_NAME},
    {0},
};
static const prov_jnode_t cr_author = {.slot = CR_AUTHOR, .fields = cr_author_fields};
static const prov_jnode_t cr_date_part = {.slot = CR_DATE_PART};
static const prov_jnode_t cr_date_parts_one = {.slot = CR_DATE_PARTS_ONE, .elem = &cr_date_part};
static const prov_jnode_t cr_date_fields[] = {
    {.key = "date-parts", .slot = CR_DATE_PARTS, .elem = &cr_date_parts_one},
    {0},
};
static const prov_jnode_t cr_item_fields[] = {
    {.key = "DOI", .slot = CR_DOI},
    {.key = "title", .slot = CR_TITLE, .elem = &cr_title_one},
    {.key = "abstract", .slot = CR_ABSTRACT},
    {.key = "author", .slot = CR_AUTHORS, .elem = &cr_author},
    {.key = "published", .slot = CR_DATE + 0, .fields = cr_date_fields},
    {.key = "issued", .slot = CR_DATE + 1, .fields = cr_date_fields},
    {.key = "published-print", .slot = CR_DATE + 2, .fields = cr_date_fields},
    {.key = "published-online", .slot = CR_DATE + 3, .fields = cr_date_fields},
    {.key = "created", .slot = CR_DATE + 4, .fields = cr_date_fields},
    {.key = "container-title", .slot = CR_CONTAINER, .elem = &cr_container_one},
    {.key = "is-referenced-by-count", .slot = CR_CITES},
    {.key = "URL", .slot = CR_URL},
    {.key = "subject", .slot = CR_SUBJECTS, .elem = &cr_subject},
    {.key = "type", .slot = CR_TYPE},
    {0},
};

typedef struct cr_date {
    long long v[3];
    size_t n;
    bool stop; /* a part that is neither a number nor a string ends it */
} cr_date_t;

/* What one work item said, raw (in the item's scratch). */
typedef struct cr_item {
    const char *doi, *abstract, *url;
    const char *given, *family, *name; /* of the author being read */
    long long cites;
    bool has_cites;
    paper_type_t type;
    bool first_parts; /* the date-parts element being read is the first */
    size_t date;      /* the date being read: CR_DATE + date */
    cr_date_t dates[NDATES];
    prov_jvec_t titles, containers, authors, subjects;
} cr_item_t;

static int cr_open(prov_js_t *js, void *st, int slot, bool array)
{
    (void)array;
    cr_item_t *it = st;
    if (slot >= CR_DATE && slot < CR_DATE + (int)NDATES) {
        it->date = (size_t)(slot - CR_DATE);
        it->dates[it->date] = (cr_date_t){{0, 0, 0}, 0, false};
        return 0;
    }
    switch (slot) { /* a key given again: its last value counts */
    case CR_TITLE:
        it->titles.n = 0;
        break;
    case CR_CONTAINER:
        it->containers.n = 0;
        break;
    case CR_AUTHORS:
        it->authors.n = 0;
        break;
    case CR_AUTHOR:
        it->given = it->family = it->name = NULL;
        break;
    case CR_SUBJECTS:
        it->subjects.n = 0;
        break;
    case CR_DATE_PARTS:
        it->dates[it->date] = (cr_date_t){{0, 0, 0}, 0, false};
        break;
    case CR_DATE_PARTS_ONE:
        it->first_parts = prov_js_index(js) == 0;
        break;
    }
    return 0;
}

/* An author's name: "given family", else family, name or given. */
static int cr_close(prov_js_t *js, void *st, int slot)
{
    cr_item_t *it = st;
    if (slot == CR_DATE_PARTS_ONE) it->first_parts = false;
    if (slot != CR_AUTHOR) return 0;
    arena_t *t = prov_js_tmp(js);
    const char *full = NULL;
    if (it->given != NULL && it->family != NULL)
        full = arena_sprintf(t, "%s %s", it->given, it->family);
    else if (it->family != NULL)
        full = it->family;
    else if (it->name != NULL)
        full = it->name;
    else
        full = it->given;
    char *c = full != NULL ? paper_clean_text(prov_js_arena(js), full, strlen(full)) : NULL;
    return prov__jvec_push(js, &it->authors, c);
}

/* Y, M or D of the first date-parts element. */
static void cr_date_part_value(cr_item_t *it, const prov_jval_t *v)
{
    cr_date_t *d = &it->dates[it->date];
    if (!it->first_parts || d->stop || d->n >= 3) return;
    if (v->type == PROV_JV_INT)
        d->v[d->n++] = v->i;
    else if (v->type == PROV_JV_STRING)
        d->v[d->n++] = atoll(v->s);
    else
        d->stop = true;
}

/* Any string of a list (title, container-title): the first that is not
 * empty once its markup is stripped counts. */
static int cr_text(prov_js_t *js, prov_jvec_t *vec, const prov_jval_t *v)
{
    if (v->type != PROV_JV_STRING) return 0;
    return prov__jvec_push(js, vec, arena_strdup(prov_js_tmp(js), v->s));
}

static int cr_value(prov_js_t *js, void *st, int slot, const prov_jval_t *v)
{
    cr_item_t *it = st;
    switch (slot) {
    case CR_DOI:
        it->doi = prov__jv_tmp(js, v);
        break;
    case CR_TITLE_ONE:
        return cr_text(js, &it->titles, v);
    case CR_ABSTRACT:
        it->abstract = prov__jv_tmp(js, v);
        break;
    case CR_GIVEN:
        it->given = prov__jv_tmp(js, v);
        break;
    case CR_FAMILY:
        it->family = prov__jv_tmp(js, v);
        break;
    case CR_NAME:
        it->name = prov__jv_tmp(js, v);
        break;
    case CR_DATE_PART:
        cr_date_part_value(it, v);
        break;
    case CR_DATE_PARTS_ONE: /* not a list: no parts */
        break;
    case CR_CONTAINER_ONE:
        return cr_text(js, &it->containers, v);
    case CR_CITES:
        it->cites = prov__jv_int(v, -1);
        it->has_cites = true;
        break;
    case CR_URL:
        it->url = prov__jv_tmp(js, v);
        break;
    case CR_SUBJECT:
        return prov__jvec_push(js, &it->subjects, prov__jv_tmp(js, v));
    case CR_TYPE:
        it->type = prov__jv_type(v);
        break;
    /* Not an object or array where one belongs: as if absent. */
    default:
        return cr_open(js, st, slot, false);
    }
    return 0;
}

/* The first string of list that strips to something. */
static char *first_text(arena_t *a, const prov_jvec_t *list)
{
    for (size_t i = 0; i < list->n; i++) {
        char *t = prov__strip_markup(a, list->v[i], strlen(list->v[i]));
        if (t != NULL) return t;
    }
    return NULL;
}

/* [Y, M?, D?] -> "YYYY[-MM[-DD]]" and the year; false without a year. */
static bool cr_date_set(arena_t *a, const cr_date_t *d, paper_t *p)
{
    const long long *v = d->v;
    if (d->n == 0 || v[0] <= 0 || v[0] > 9999) return false;
    p->year = (int)v[0];
    if (d->n >= 3 && v[1] >= 1 && v[1] <= 12 && v[2] >= 1 && v[2] <= 31)
        p->published = arena_sprintf(a, "%04lld-%02lld-%02lld", v[0], v[1], v[2]);
    else if (d->n >= 2 && v[1] >= 1 && v[1] <= 12)
        p->published = arena_sprintf(a, "%04lld-%02lld", v[0], v[1]);
    else
        p->published = arena_sprintf(a, "%04lld", v[0]);
    return true;
}

/* The paper from what its item said; one without a DOI is left out (every
 * Crossref work has one: this is not a work). */
static int cr_finish(prov_js_t *js, void *st, paper_t *p, const char **id)
{
    cr_item_t *it = st;
    arena_t *a = prov_js_arena(js);
    if (it->doi != NULL) p->doi = paper_normalize_doi(a, it->doi, strlen(it->doi));
    if (p->doi == NULL) return 1;
    char *t = first_text(a, &it->titles);
    if (t != NULL) p->title = t;
    if (it->abstract != NULL) p->abstract = prov__abstract(a, it->abstract, strlen(it->abstract));
    if (prov__jvec_set_authors(js, &it->authors, p) < 0) return -1;
    prov__arxiv_from(p, a, p->doi);
    for (size_t i = 0; i < NDATES; i++)
        if (cr_date_set(a, &it->dates[i], p)) break;
    p->venue = first_text(a, &it->containers);
    p->type = it->type;
    p->citations = it->has_cites && it->cites >= 0 ? it->cites : -1;
    if (it->url != NULL)
        p->url = arena_strdup(a, it->url);
    else
        p->url = arena_sprintf(a, "https://doi.org/%s", p->doi);
    size_t cap = 0;
    if (prov__jvec_add_categories(js, &it->subjects, p, &cap) < 0) return -1;
    *id = p->doi;
    return 0;
}

const prov_jitem_t prov__crossref_item = {
    .fields = cr_item_fields,
    .state_size = sizeof(cr_item_t),
    .ops = {.open = cr_open, .close = cr_close, .value = cr_value},
    .finish = cr_finish,
};

/* ---- answer: the search's {"status":"ok","message-type":"work-list",
 * "message":{"total-results","items":[...]}} ---- */

enum {
    CRS_STATUS = 1,
    CRS_TYPE,
    CRS_MESSAGE,
    CRS_ITEMS,
    CRS_TOTAL,
    CRS_DESCRIPTION,
    CRS_ERROR,         /* an element of the message list */
    CRS_ERROR_MESSAGE, /* its "message" */
};

static const prov_jnode_t crs_item = {.item = &prov__crossref_item};
static const prov_jnode_t crs_error_fields[] = {{.key = "message", .slot = CRS_ERROR_MESSAGE}, {0}};
static const prov_jnode_t crs_error = {.slot = CRS_ERROR, .fields = crs_error_fields};
static const prov_jnode_t crs_message_fields[] = {
    {.key = "items", .slot = CRS_ITEMS, .elem = &crs_item},
    {.key = "total-results", .slot = CRS_TOTAL},
    {.key = "description", .slot = CRS_DESCRIPTION},
    {0},
};
static const prov_jnode_t crs_fields[] = {
    {.key = "status", .slot = CRS_STATUS},
    {.key = "message-type", .slot = CRS_TYPE},
    /* an object when all is well; a list of errors, or {description}, when not */
    {.key = "message", .slot = CRS_MESSAGE, .fields = crs_message_fields, .elem = &crs_error},
    {0},
};

typedef struct cr_search {
    long total;
    bool has_total, message_is_object, items_is_list, first_error;
    char status[64], type[64], description[160], error[160];
} cr_search_t;

static int crs_open(prov_js_t *js, void *st, int slot, bool array)
{
    cr_search_t *s = st;
    if (slot == CRS_MESSAGE) {
        s->message_is_object = !array;
        s->items_is_list = s->has_total = false;
        s->description[0] = s->error[0] = '\0';
        prov_js_clear_items(js);
    } else if (slot == CRS_ITEMS) {
        s->items_is_list = array;
        prov_js_clear_items(js);
    } else if (slot == CRS_ERROR) {
        s->first_error = prov_js_index(js) == 0;
    }
    return 0;
}

static int crs_close(prov_js_t *js, void *st, int slot)
{
    (void)js;
    cr_search_t *s = st;
    if (slot == CRS_ERROR) s->first_error = false;
    return 0;
}

static int crs_value(prov_js_t *js, void *st, int slot, const prov_jval_t *v)
{
    cr_search_t *s = st;
    switch (slot) {
    case CRS_STATUS:
        prov__jv_copy(v, s->status, sizeof s->status);
        break;
    case CRS_TYPE:
        prov__jv_copy(v, s->type, sizeof s->type);
        break;
    case CRS_TOTAL:
        s->has_total = true;
        s->total = prov__jv_total(v);
        break;
    case CRS_DESCRIPTION:
        prov__jv_copy(v, s->description, sizeof s->description);
        break;
    case CRS_ERROR_MESSAGE:
        if (s->first_error) prov__jv_copy(v, s->error, sizeof s->error);
        break;
    case CRS_MESSAGE: /* neither an object nor a list */
        crs_open(js, st, slot, true);
        s->message_is_object = false;
        break;
    case CRS_ITEMS:
        crs_open(js, st, slot, false);
        break;
    }
    return 0;
}

/* "failed"/"error" statuses are errors with their message:
 * {"message":[{"type","value","message"}]} or {"message":{"description"}}. */
static int crs_finish(prov_js_t *js, void *st, long *total, char *err, size_t errlen)
{
    (void)js;
    cr_search_t *s = st;
    if (s->status[0] && strcmp(s->status, "ok") != 0) {
        const char *m = s->error[0]                                 ? s->error
                        : s->message_is_object && s->description[0] ? s->description
                        : s->type[0]                                ? s->type
                                                                    : "unknown error";
        return prov__fail(err, errlen, "crossref: %s: %s", s->status, m);
    }
    if (!s->message_is_object || !s->items_is_list)
        return prov__fail(err, errlen, "crossref: no \"message.items\" in response");
    *total = s->has_total ? s->total : -1;
    return 0;
}

static const prov_jkind_t cr_search = {
    .source = SRC_CROSSREF,
    .root = {.fields = crs_fields},
    .state_size = sizeof(cr_search_t),
    .ops = {.open = crs_open, .close = crs_close, .value = crs_value},
    .finish = crs_finish,
};

/* {"message":[{"type","value","message"}]} or {"message":{"description"}}:
 * Crossref's own shape, nothing else. */
static bool crossref_json_error(const json_t *root, prov_msg_t *m)
{
    const json_t *msg = json_object_get(root, "message");
    const json_t *cm = prov__json_nonempty(json_array_get(msg, 0), "message");
    if (cm == NULL) cm = prov__json_nonempty(msg, "description");
    prov_msg_add(m, cm);
    return true;
}

/* ---- lookups by id ------------------------------------------------------------
 * One DOI: GET {base}/works/{doi} (404 "Resource not found." when Crossref
 * has none). More: GET {base}/works?filter=doi:a,doi:b,..&rows=N: filters
 * of the same name are ORed by Crossref; at most 100 DOIs a call (the URL
 * stays short), matched to the ids by DOI. */
#define CROSSREF_OR_MAX 100

static int crossref_lookup_build(const paper_ref_t *ids, size_t n, const prov_settings_t *ps,
                                 arena_t *a, prov_request_t *out, char *err, size_t errlen)
{
    prov__sb_t u;
    prov__sb_init(&u, a);
    prov__sb_puts(&u, ps->base_url);
    for (size_t i = 0; i < n; i++)
        if (ids[i].kind != PAPER_REF_DOI) return prov__fail(err, errlen, "crossref: DOIs only");
    if (n == 1) {
        prov__sb_puts(&u, "/works/");
        prov__sb_put_path(&u, ids[0].value);
    } else {
        if (n > CROSSREF_OR_MAX) return prov__fail(err, errlen, "crossref: too many DOIs");
        prov__sb_puts(&u, "/works?filter=");
        for (size_t i = 0; i < n; i++) {
            prov__sb_puts(&u, i ? ",doi:" : "doi:");
            prov__sb_put_encoded(&u, ids[i].value);
        }
        prov__sb_printf(&u, "&rows=%zu", n);
        prov__sb_puts(&u, "&select=" CROSSREF_SELECT);
    }
    if (prov__has(ps->mailto)) prov__sb_param(&u, "mailto", ps->mailto);
    out->method = "GET";
    out->url = prov__sb_str(&u);
    if (out->url == NULL || prov__add_header(out, a, "Accept", "application/json") < 0)
        return prov__fail(err, errlen, "crossref: out of memory");
    if (prov__has(ps->api_key)) {
        char *v = arena_sprintf(a, "Bearer %s", ps->api_key);
        if (v == NULL || prov__add_header(out, a, "Crossref-Plus-API-Token", v) < 0)
            return prov__fail(err, errlen, "crossref: out of memory");
    }
    return 0;
}

/* A DOI with a "," (the filter separator, even encoded: Crossref decodes
 * first) goes alone to /works/{doi}. */
static bool crossref_lookup_alone(const paper_ref_t *id)
{
    return strchr(id->value, ',') != NULL;
}

const prov_def_t prov_crossref = {
    .source = SRC_CROSSREF,
    .build = crossref_build,
    .json = &cr_search,
    .json_error = crossref_json_error,
    .lookup_build = crossref_lookup_build,
    .lookup_max = CROSSREF_OR_MAX,
    .lookup_mixed = false,
    .lookup_alone = crossref_lookup_alone,
};
