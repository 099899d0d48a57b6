/* Semantic Scholar adapter: Graph API relevance search
 * (GET /graph/v1/paper/search), and for a query that looks like a title its
 * closest title match (GET /graph/v1/paper/search/match); JSON parsed with
 * jansson.
 *
 * Filters: years and dates (year= / publicationDateOrYear=), open access
 * (openAccessPdf), category as a coarse fieldsOfStudy (the arXiv archive
 * mapped to S2's fields, e.g. cs.* -> Computer Science). S2 cannot filter
 * by author in a search, nor sort (relevance only): the merge does both. */
#include <strings.h>
#include <stdio.h>
#include <string.h>

#include "providers/common.h"

#define S2_MAX_RESULTS 100 /* limit must be <= 100 */

#define S2_FIELDS                                                                                  \
    "paperId,externalIds,url,title,abstract,venue,year,publicationDate,journal,citationCount,"     \
    "isOpenAccess,openAccessPdf,fieldsOfStudy,s2FieldsOfStudy,authors"

/* S2's fieldsOfStudy for an arXiv category ("cs.LG" -> "Computer Science"),
 * or for one of S2's own field names given as is; NULL when none fits. */
static const char *s2_fields_for(const char *cat)
{
    static const struct {
        const char *archive, *fields;
    } map[] = {
        {"cs", "Computer Science"},
        {"math", "Mathematics"},
        {"stat", "Mathematics,Computer Science"},
        {"eess", "Engineering,Computer Science"},
        {"q-bio", "Biology,Medicine"},
        {"q-fin", "Economics,Business"},
        {"econ", "Economics"},
        {"physics", "Physics"},
        {"astro-ph", "Physics"},
        {"cond-mat", "Physics"},
        {"gr-qc", "Physics"},
        {"hep-ex", "Physics"},
        {"hep-lat", "Physics"},
        {"hep-ph", "Physics"},
        {"hep-th", "Physics"},
        {"math-ph", "Physics,Mathematics"},
        {"nlin", "Physics"},
        {"nucl-ex", "Physics"},
        {"nucl-th", "Physics"},
        {"quant-ph", "Physics"},
    };
    static const char *const s2_names[] = {
        "Computer Science",
        "Medicine",
        "Chemistry",
        "Biology",
        "Materials Science",
        "Physics",
        "Geology",
        "Psychology",
        "Art",
        "History",
        "Geography",
        "Sociology",
        "Business",
        "Political Science",
        "Economics",
        "Philosophy",
        "Mathematics",
        "Engineering",
        "Environmental Science",
        "Agricultural and Food Sciences",
        "Education",
        "Law",
        "Linguistics",
    };
    size_t n = strcspn(cat, ".");
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (strlen(map[i].archive) == n && strncasecmp(map[i].archive, cat, n) == 0)
            return map[i].fields;
    for (size_t i = 0; i < sizeof(s2_names) / sizeof(s2_names[0]); i++)
        if (strcasecmp(s2_names[i], cat) == 0) return s2_names[i];
    return NULL;
}

/* The query text as S2 wants it: hyphenated terms match nothing, so they
 * go as separate words. NULL when nothing is left. */
static char *s2_text(const query_t *q, arena_t *a)
{
    char *text = arena_strdup(a, q->text != NULL ? q->text : "");
    if (text == NULL) return NULL;
    for (char *c = text; *c != '\0'; c++)
        if (*c == '-') *c = ' ';
    return paper_clean_text(a, text, strlen(text));
}

/* Appends [&year=..|&publicationDateOrYear=..][&fieldsOfStudy=..][&openAccessPdf=]:
 * the filters /paper/search and /paper/search/match both take. */
static void s2_filters(prov__sb_t *u, const query_t *q, arena_t *a)
{
    if (prov__has(q->date_from) || prov__has(q->date_to)) {
        char from[32] = "", to[32] = "";
        if (prov__has(q->date_from))
            snprintf(from, sizeof(from), "%.10s", q->date_from);
        else if (q->year_from > 0)
            snprintf(from, sizeof(from), "%04d-01-01", q->year_from);
        if (prov__has(q->date_to))
            snprintf(to, sizeof(to), "%.10s", q->date_to);
        else if (q->year_to > 0)
            snprintf(to, sizeof(to), "%04d-12-31", q->year_to);
        prov__sb_param(u, "publicationDateOrYear", arena_sprintf(a, "%s:%s", from, to));
    } else if (q->year_from > 0 || q->year_to > 0) {
        char year[32];
        if (q->year_from > 0 && q->year_from == q->year_to)
            snprintf(year, sizeof(year), "%d", q->year_from);
        else if (q->year_from > 0 && q->year_to > 0)
            snprintf(year, sizeof(year), "%d-%d", q->year_from, q->year_to);
        else if (q->year_from > 0)
            snprintf(year, sizeof(year), "%d-", q->year_from);
        else
            snprintf(year, sizeof(year), "-%d", q->year_to);
        prov__sb_param(u, "year", year);
    }
    const char *fos = prov__has(q->category) ? s2_fields_for(q->category) : NULL;
    if (fos != NULL) prov__sb_param(u, "fieldsOfStudy", fos);
    if (q->open_access) prov__sb_puts(u, "&openAccessPdf=");
}

/* GET with the URL in u, and "x-api-key" when a key is configured. */
static int s2_request(prov__sb_t *u, const prov_settings_t *ps, arena_t *a, prov_request_t *out,
                      char *err, size_t errlen)
{
    out->method = "GET";
    out->url = prov__sb_str(u);
    if (out->url == NULL) return prov__fail(err, errlen, "semantic_scholar: out of memory");
    if (prov__add_header(out, a, "Accept", "application/json") < 0 ||
        (prov__has(ps->api_key) && prov__add_header(out, a, "x-api-key", ps->api_key) < 0))
        return prov__fail(err, errlen, "semantic_scholar: out of memory");
    return 0;
}

/* Builds GET {base}/graph/v1/paper/search?query=..&offset=0&limit=N&fields=..
 * [&year=..|&publicationDateOrYear=..][&fieldsOfStudy=..][&openAccessPdf=],
 * with "x-api-key" when a key is configured. */
static int s2_build(const query_t *q, const prov_settings_t *ps, arena_t *a, prov_request_t *out,
                    char *err, size_t errlen)
{
    char *query = s2_text(q, a);
    if (query == NULL) return prov__fail(err, errlen, "semantic_scholar: empty query");

    prov__sb_t u;
    prov__sb_init(&u, a);
    prov__sb_puts(&u, ps->base_url);
    prov__sb_puts(&u, "/graph/v1/paper/search");
    prov__sb_param(&u, "query", query);
    prov__sb_printf(&u, "&offset=0&limit=%d", prov__clamp_results(ps->max_results, S2_MAX_RESULTS));
    prov__sb_puts(&u, "&fields=" S2_FIELDS);
    s2_filters(&u, q, a);
    return s2_request(&u, ps, a, out, err, errlen);
}

/* The title call: GET {base}/graph/v1/paper/search/match?query=..&fields=..
 * and the same filters. S2 answers its one closest title match as
 * {"data": [paper + "matchScore"]}, read as a search's answer, or 404
 * {"error": "Title match not found"} (s2_title_none()). */
static int s2_build_title(const query_t *q, const prov_settings_t *ps, arena_t *a,
                          prov_request_t *out, char *err, size_t errlen)
{
    char *query = s2_text(q, a);
    if (query == NULL) return prov__fail(err, errlen, "semantic_scholar: empty query");

    prov__sb_t u;
    prov__sb_init(&u, a);
    prov__sb_puts(&u, ps->base_url);
    prov__sb_puts(&u, "/graph/v1/paper/search/match");
    prov__sb_param(&u, "query", query);
    prov__sb_puts(&u, "&fields=" S2_FIELDS);
    s2_filters(&u, q, a);
    return s2_request(&u, ps, a, out, err, errlen);
}

/* A 404 {"error": "Title match not found"} (documented, and recorded by
 * clients): no paper has a title close enough. */
static bool s2_title_none(long status, const char *body, size_t len)
{
    if (status != 404 || body == NULL) return false;
    json_t *root = json_loadb(body, len, JSON_DECODE_ANY, NULL);
    const char *m = prov__json_str(root, "error");
    bool none = m != NULL && strcasecmp(m, "Title match not found") == 0;
    json_decref(root);
    return none;
}

/* Reads one paper object into p; -1 on out of memory. */
static int s2_paper(const json_t *it, arena_t *a, paper_t *p)
{
    const char *s;
    /* Titles and abstracts may carry JATS and MathML (recorded live). */
    if ((s = prov__json_str(it, "title")) != NULL) {
        char *t = prov__strip_markup(a, s, strlen(s));
        if (t != NULL) p->title = t;
    }
    if ((s = prov__json_str(it, "abstract")) != NULL) p->abstract = prov__abstract(a, s, strlen(s));

    json_t *authors = prov__json_arr(it, "authors");
    size_t na = json_array_size(authors);
    if (na > 0) {
        p->authors = arena_alloc(a, na * sizeof(*p->authors));
        if (p->authors == NULL) return -1;
        for (size_t i = 0; i < na; i++) {
            const char *name = prov__json_str(json_array_get(authors, i), "name");
            char *c = name != NULL ? paper_clean_text(a, name, strlen(name)) : NULL;
            if (c != NULL) p->authors[p->nauthors++] = c;
        }
    }

    json_t *ext = prov__json_obj(it, "externalIds");
    if ((s = prov__json_str(ext, "DOI")) != NULL) p->doi = paper_normalize_doi(a, s, strlen(s));
    if ((s = prov__json_str(ext, "ArXiv")) != NULL) {
        const char *v = NULL;
        p->arxiv_id = paper_normalize_arxiv_id(a, s, strlen(s), &v);
        p->arxiv_version = v;
    }
    if (p->arxiv_id == NULL) prov__arxiv_from(p, a, p->doi);

    long long year = prov__json_int(it, "year", 0);
    p->year = year > 0 && year < 10000 ? (int)year : 0;
    if ((s = prov__json_str(it, "publicationDate")) != NULL) {
        p->published = prov__date_of(a, s);
        if (p->year == 0) p->year = prov__year_of(s);
    }
    if (p->published == NULL && p->year > 0) p->published = arena_sprintf(a, "%04d", p->year);

    const char *venue = prov__json_str(it, "venue");
    if (venue == NULL) venue = prov__json_str(prov__json_obj(it, "journal"), "name");
    if (venue != NULL) p->venue = paper_clean_text(a, venue, strlen(venue));

    long long cites = prov__json_int(it, "citationCount", -1);
    p->citations = cites >= 0 ? cites : -1;
    p->open_access = prov__json_bool(it, "isOpenAccess");
    json_t *oa = prov__json_obj(it, "openAccessPdf");
    /* "CLOSED" comes with a URL too (recorded live): not open access. */
    const char *oa_status = prov__json_str(oa, "status");
    bool closed = oa_status != NULL && strcasecmp(oa_status, "CLOSED") == 0;
    if (!closed && (s = prov__json_str(oa, "url")) != NULL) {
        p->pdf_url = arena_strdup(a, s);
        p->open_access = true;
    }
    if ((s = prov__json_str(it, "url")) != NULL) p->url = arena_strdup(a, s);

    size_t cap = 0;
    json_t *fos = prov__json_arr(it, "fieldsOfStudy");
    for (size_t i = 0; i < json_array_size(fos); i++) {
        const char *f = json_string_value(json_array_get(fos, i));
        if (prov__has(f) &&
            prov__strv_add(a, &p->categories, &p->ncategories, &cap, arena_strdup(a, f)) < 0)
            return -1;
    }
    json_t *s2fos = prov__json_arr(it, "s2FieldsOfStudy");
    for (size_t i = 0; i < json_array_size(s2fos); i++) {
        const char *f = prov__json_str(json_array_get(s2fos, i), "category");
        if (f != NULL &&
            prov__strv_add(a, &p->categories, &p->ncategories, &cap, arena_strdup(a, f)) < 0)
            return -1;
    }
    return 0;
}

/* One entry of data[]; one with neither id nor title is left out. */
static int s2_entry(const json_t *it, arena_t *a, paper_t *p, const char **id)
{
    const char *pid = prov__json_str(it, "paperId");
    if (pid == NULL && prov__json_str(it, "title") == NULL) return 1;
    if (s2_paper(it, a, p) < 0) return -1;
    *id = pid != NULL ? arena_strdup(a, pid) : NULL;
    return 0;
}

/* The result list of {total, offset, next?, data[]}; an {error} or {message, code}
 * body is reported as an error. A search with no hits is answered
 * {"total": 0, "offset": 0} with no "data" at all (recorded live): that is
 * an empty list, not an error. */
static const json_t *s2_list(const json_t *root, long *total, char *err, size_t errlen)
{
    const json_t *data = prov__json_arr(root, "data");
    if (data == NULL && json_object_get(root, "data") == NULL &&
        prov__json_total(root, "total") == 0 && json_object_get(root, "error") == NULL &&
        json_object_get(root, "message") == NULL) {
        *total = 0;
        return prov__json_empty_list();
    }
    if (data == NULL) {
        const char *m = prov__json_str(root, "error");
        if (m == NULL) m = prov__json_str(root, "message");
        prov__fail(err, errlen, "semantic_scholar: %s", m != NULL ? m : "no \"data\" in response");
        return NULL;
    }
    *total = prov__json_total(root, "total");
    return data;
}

const prov_def_t prov_semantic_scholar = {
    .source = SRC_SEMANTIC_SCHOLAR,
    .build = s2_build,
    .json_list = s2_list,
    .json_item = s2_entry,
    .build_title = s2_build_title,
    .title_none = s2_title_none,
};
