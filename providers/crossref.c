/* Crossref adapter: GET /works?query=..., JSON parsed with jansson.
 *
 * Filters: dates and years (from-pub-date / until-pub-date), author
 * (query.author); sort by date or citations. Crossref has no arXiv
 * categories and no open-access flag (a licence is not the same thing):
 * those are left to the merge. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "providers/common.h"

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

/* The first usable string of a JSON array of strings, markup stripped. */
static char *first_text(arena_t *a, const json_t *arr)
{
    for (size_t i = 0; i < json_array_size(arr); i++) {
        const char *s = json_string_value(json_array_get(arr, i));
        char *t = s != NULL ? prov__strip_markup(a, s, strlen(s)) : NULL;
        if (t != NULL) return t;
    }
    return NULL;
}

/* {"date-parts": [[Y, M?, D?]]} -> "YYYY[-MM[-DD]]" and the year; false if
 * absent (Crossref also sends [[null]]). */
static bool date_parts(arena_t *a, const json_t *d, paper_t *p)
{
    json_t *parts = json_array_get(prov__json_arr(d, "date-parts"), 0);
    long long v[3] = {0, 0, 0};
    size_t n = 0;
    for (; n < 3 && n < json_array_size(parts); n++) {
        json_t *x = json_array_get(parts, n);
        if (json_is_integer(x))
            v[n] = json_integer_value(x);
        else if (json_is_string(x))
            v[n] = atoll(json_string_value(x));
        else
            break;
    }
    if (n == 0 || v[0] <= 0 || v[0] > 9999) return false;
    p->year = (int)v[0];
    if (n >= 3 && v[1] >= 1 && v[1] <= 12 && v[2] >= 1 && v[2] <= 31)
        p->published = arena_sprintf(a, "%04lld-%02lld-%02lld", v[0], v[1], v[2]);
    else if (n >= 2 && v[1] >= 1 && v[1] <= 12)
        p->published = arena_sprintf(a, "%04lld-%02lld", v[0], v[1]);
    else
        p->published = arena_sprintf(a, "%04lld", v[0]);
    return true;
}

/* Reads one work item into p; -1 on out of memory. */
static int crossref_item(const json_t *it, arena_t *a, paper_t *p)
{
    char *t = first_text(a, prov__json_arr(it, "title"));
    if (t != NULL) p->title = t;
    const char *s;
    if ((s = prov__json_str(it, "abstract")) != NULL) p->abstract = prov__abstract(a, s, strlen(s));

    json_t *auths = prov__json_arr(it, "author");
    size_t na = json_array_size(auths);
    if (na > 0) {
        p->authors = arena_alloc(a, na * sizeof(*p->authors));
        if (p->authors == NULL) return -1;
        for (size_t i = 0; i < na; i++) {
            json_t *au = json_array_get(auths, i);
            const char *given = prov__json_str(au, "given");
            const char *family = prov__json_str(au, "family");
            const char *name = prov__json_str(au, "name");
            char *full = NULL;
            if (given != NULL && family != NULL)
                full = arena_sprintf(a, "%s %s", given, family);
            else if (family != NULL)
                full = arena_strdup(a, family);
            else if (name != NULL)
                full = arena_strdup(a, name);
            else if (given != NULL)
                full = arena_strdup(a, given);
            char *c = full != NULL ? paper_clean_text(a, full, strlen(full)) : NULL;
            if (c != NULL) p->authors[p->nauthors++] = c;
        }
    }

    if ((s = prov__json_str(it, "DOI")) != NULL) p->doi = paper_normalize_doi(a, s, strlen(s));
    prov__arxiv_from(p, a, p->doi);

    /* The earliest publication Crossref knows of, by its own preference. */
    static const char *const date_keys[] = {"published", "issued", "published-print",
                                            "published-online", "created"};
    for (size_t i = 0; i < sizeof(date_keys) / sizeof(date_keys[0]); i++)
        if (date_parts(a, prov__json_obj(it, date_keys[i]), p)) break;

    p->venue = first_text(a, prov__json_arr(it, "container-title"));
    long long cites = prov__json_int(it, "is-referenced-by-count", -1);
    p->citations = cites >= 0 ? cites : -1;
    if ((s = prov__json_str(it, "URL")) != NULL)
        p->url = arena_strdup(a, s);
    else if (p->doi != NULL)
        p->url = arena_sprintf(a, "https://doi.org/%s", p->doi);

    json_t *subjects = prov__json_arr(it, "subject");
    size_t cap = 0;
    for (size_t i = 0; i < json_array_size(subjects); i++) {
        const char *sub = json_string_value(json_array_get(subjects, i));
        if (prov__has(sub) &&
            prov__strv_add(a, &p->categories, &p->ncategories, &cap, arena_strdup(a, sub)) < 0)
            return -1;
    }
    return 0;
}

/* One entry of message.items; one without a DOI is left out (every
 * Crossref work has one: this is not a work). */
static int crossref_entry(const json_t *it, arena_t *a, paper_t *p, const char **id)
{
    if (crossref_item(it, a, p) < 0) return -1;
    *id = p->doi;
    return p->doi == NULL ? 1 : 0;
}

/* The result list of {"status":"ok","message-type":"work-list","message":{"total-results",
 * "items":[...]}}; "failed"/"error" statuses are errors with their message. */
static const json_t *crossref_list(const json_t *root, long *total, char *err, size_t errlen)
{
    const char *status = prov__json_str(root, "status");
    json_t *msg = json_object_get(root, "message");
    if (status != NULL && strcmp(status, "ok") != 0) {
        /* {"message":[{"type","value","message"}]} or {"message":{"description"}} */
        const char *m = prov__json_str(json_array_get(msg, 0), "message");
        if (m == NULL) m = prov__json_str(msg, "description");
        if (m == NULL) m = prov__json_str(root, "message-type");
        prov__fail(err, errlen, "crossref: %s: %s", status, m != NULL ? m : "unknown error");
        return NULL;
    }
    const json_t *items = prov__json_arr(msg, "items");
    if (items == NULL) {
        prov__fail(err, errlen, "crossref: no \"message.items\" in response");
        return NULL;
    }
    *total = prov__json_total(msg, "total-results");
    return items;
}

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

const prov_def_t prov_crossref = {
    .source = SRC_CROSSREF,
    .build = crossref_build,
    .json_list = crossref_list,
    .json_item = crossref_entry,
    .json_error = crossref_json_error,
};
