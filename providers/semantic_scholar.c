/* Semantic Scholar adapter: Graph API relevance search
 * (GET /graph/v1/paper/search), and for a query that looks like a title its
 * closest title match (GET /graph/v1/paper/search/match); the JSON read
 * while it arrives (providers/jstream.h).
 *
 * Filters: years and dates (year= / publicationDateOrYear=), open access
 * (openAccessPdf), category as a coarse fieldsOfStudy (the arXiv archive
 * mapped to S2's fields, e.g. cs.* -> Computer Science). S2 cannot filter
 * by author in a search, nor sort (relevance only): the merge does both. */
#include <strings.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "providers/authors.h"
#include "providers/cites.h"
#include "providers/common.h"
#include "providers/jstream.h"

#define S2_MAX_RESULTS 100 /* limit must be <= 100 */

#define S2_FIELDS                                                                                  \
    "paperId,externalIds,url,title,abstract,venue,year,publicationDate,journal,citationCount,"     \
    "isOpenAccess,openAccessPdf,fieldsOfStudy,s2FieldsOfStudy,authors,publicationTypes"

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

/* S2's publicationTypes for ours, NULL where it has none. */
static const char *s2_type(int t)
{
    static const char *const names[PAPER_TYPE_COUNT] = {
        [PAPER_TYPE_ARTICLE] = "JournalArticle",
        [PAPER_TYPE_PROCEEDINGS] = "Conference",
        [PAPER_TYPE_BOOK] = "Book",
        [PAPER_TYPE_BOOK_CHAPTER] = "BookSection",
        [PAPER_TYPE_DATASET] = "Dataset",
        [PAPER_TYPE_REVIEW] = "Review",
    };
    return t >= 0 && t < PAPER_TYPE_COUNT ? names[t] : NULL;
}

/* Appends [&year=..|&publicationDateOrYear=..][&fieldsOfStudy=..][&openAccessPdf=]
 * [&minCitationCount=..][&publicationTypes=..]: the filters /paper/search
 * and /paper/search/match both take. Returns the query_filter_t bits applied. */
static unsigned s2_filters(prov__sb_t *u, const query_t *q, arena_t *a)
{
    unsigned pushed = 0;
    if (q->min_citations > 0) {
        prov__sb_printf(u, "&minCitationCount=%ld", q->min_citations);
        pushed |= QFILTER_MIN_CITATIONS;
    }
    /* A comma list (OR), only when each type asked has an S2 name. */
    bool types_known = q->types != 0;
    for (int t = 0; t < PAPER_TYPE_COUNT; t++)
        if ((q->types & (1u << t)) && s2_type(t) == NULL) types_known = false;
    if (types_known) {
        const char *sep = "&publicationTypes=";
        for (int t = 0; t < PAPER_TYPE_COUNT; t++) {
            const char *name = q->types & (1u << t) ? s2_type(t) : NULL;
            if (name == NULL) continue; /* not asked (every asked one has a name) */
            prov__sb_printf(u, "%s%s", sep, name);
            sep = ",";
        }
        pushed |= QFILTER_TYPE;
    }
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
    return pushed;
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
    out->pushed = s2_filters(&u, q, a);
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
    out->pushed = s2_filters(&u, q, a);
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

/* ---- answer: one paper object (prov__s2_item), wherever it stands ---- */

enum {
    S2_PAPER_ID = 1,
    S2_TITLE,
    S2_ABSTRACT,
    S2_AUTHORS,
    S2_AUTHOR,
    S2_AUTHOR_NAME,
    S2_EXT,
    S2_EXT_DOI,
    S2_EXT_ARXIV,
    S2_YEAR,
    S2_PUB_DATE,
    S2_VENUE,
    S2_JOURNAL,
    S2_JOURNAL_NAME,
    S2_CITES,
    S2_IS_OA,
    S2_OA_PDF,
    S2_OA_STATUS,
    S2_OA_URL,
    S2_URL,
    S2_FOS,
    S2_FOS_ONE,
    S2_PUB_TYPES,
    S2_PUB_TYPE,
    S2_S2FOS,
    S2_S2FOS_ONE,
    S2_S2FOS_CATEGORY,
};

static const prov_jnode_t s2_author_fields[] = {{.key = "name", .slot = S2_AUTHOR_NAME}, {0}};
static const prov_jnode_t s2_author = {.slot = S2_AUTHOR, .fields = s2_author_fields};
static const prov_jnode_t s2_ext_fields[] = {
    {.key = "DOI", .slot = S2_EXT_DOI},
    {.key = "ArXiv", .slot = S2_EXT_ARXIV},
    {0},
};
static const prov_jnode_t s2_journal_fields[] = {{.key = "name", .slot = S2_JOURNAL_NAME}, {0}};
static const prov_jnode_t s2_oa_fields[] = {
    {.key = "status", .slot = S2_OA_STATUS},
    {.key = "url", .slot = S2_OA_URL},
    {0},
};
static const prov_jnode_t s2_fos_one = {.slot = S2_FOS_ONE};
static const prov_jnode_t s2_pub_type = {.slot = S2_PUB_TYPE};
static const prov_jnode_t s2_s2fos_fields[] = {{.key = "category", .slot = S2_S2FOS_CATEGORY}, {0}};
static const prov_jnode_t s2_s2fos_one = {.slot = S2_S2FOS_ONE, .fields = s2_s2fos_fields};
static const prov_jnode_t s2_paper_fields[] = {
    {.key = "paperId", .slot = S2_PAPER_ID},
    {.key = "title", .slot = S2_TITLE},
    {.key = "abstract", .slot = S2_ABSTRACT},
    {.key = "authors", .slot = S2_AUTHORS, .elem = &s2_author},
    {.key = "externalIds", .slot = S2_EXT, .fields = s2_ext_fields},
    {.key = "year", .slot = S2_YEAR},
    {.key = "publicationDate", .slot = S2_PUB_DATE},
    {.key = "venue", .slot = S2_VENUE},
    {.key = "journal", .slot = S2_JOURNAL, .fields = s2_journal_fields},
    {.key = "citationCount", .slot = S2_CITES},
    {.key = "isOpenAccess", .slot = S2_IS_OA},
    {.key = "openAccessPdf", .slot = S2_OA_PDF, .fields = s2_oa_fields},
    {.key = "url", .slot = S2_URL},
    {.key = "fieldsOfStudy", .slot = S2_FOS, .elem = &s2_fos_one},
    {.key = "s2FieldsOfStudy", .slot = S2_S2FOS, .elem = &s2_s2fos_one},
    {.key = "publicationTypes", .slot = S2_PUB_TYPES, .elem = &s2_pub_type},
    {0},
};

/* What one paper object said, raw (in the item's scratch) where the rules
 * across fields need it at the end. */
typedef struct s2_item {
    const char *id, *title, *abstract, *doi, *arxiv, *pub_date, *venue, *journal, *oa_status,
        *oa_url, *url;
    const char *author; /* the name of the author object being read */
    const char *s2fos;  /* the category of the s2FieldsOfStudy object being read */
    long long year, cites;
    bool is_oa, has_cites;
    paper_type_t type;
    prov_jvec_t authors, fos, s2fos_list;
} s2_item_t;

static int s2_open(prov_js_t *js, void *st, int slot, bool array)
{
    (void)js, (void)array;
    s2_item_t *it = st;
    switch (slot) { /* a key given again: its last value counts */
    case S2_AUTHORS:
        it->authors.n = 0;
        break;
    case S2_AUTHOR:
        it->author = NULL;
        break;
    case S2_EXT:
        it->doi = it->arxiv = NULL;
        break;
    case S2_JOURNAL:
        it->journal = NULL;
        break;
    case S2_OA_PDF:
        it->oa_status = it->oa_url = NULL;
        break;
    case S2_FOS:
        it->fos.n = 0;
        break;
    case S2_PUB_TYPES:
        it->type = PAPER_TYPE_UNKNOWN;
        break;
    case S2_S2FOS:
        it->s2fos_list.n = 0;
        break;
    case S2_S2FOS_ONE:
        it->s2fos = NULL;
        break;
    }
    return 0;
}

static int s2_close(prov_js_t *js, void *st, int slot)
{
    s2_item_t *it = st;
    if (slot == S2_AUTHOR) return prov__jvec_push(js, &it->authors, it->author);
    if (slot == S2_S2FOS_ONE) return prov__jvec_push(js, &it->s2fos_list, it->s2fos);
    return 0;
}

static int s2_value(prov_js_t *js, void *st, int slot, const prov_jval_t *v)
{
    s2_item_t *it = st;
    switch (slot) {
    case S2_PAPER_ID:
        it->id = prov__jv_tmp(js, v);
        break;
    case S2_TITLE:
        it->title = prov__jv_tmp(js, v);
        break;
    case S2_ABSTRACT:
        it->abstract = prov__jv_tmp(js, v);
        break;
    case S2_AUTHOR_NAME:
        it->author = prov__jv_tmp(js, v);
        break;
    case S2_EXT_DOI:
        it->doi = prov__jv_tmp(js, v);
        break;
    case S2_EXT_ARXIV:
        it->arxiv = prov__jv_tmp(js, v);
        break;
    case S2_YEAR:
        it->year = prov__jv_int(v, 0);
        break;
    case S2_PUB_DATE:
        it->pub_date = prov__jv_tmp(js, v);
        break;
    case S2_VENUE:
        it->venue = prov__jv_tmp(js, v);
        break;
    case S2_JOURNAL_NAME:
        it->journal = prov__jv_tmp(js, v);
        break;
    case S2_CITES:
        it->cites = prov__jv_int(v, -1);
        it->has_cites = true;
        break;
    case S2_IS_OA:
        it->is_oa = v->type == PROV_JV_TRUE;
        break;
    case S2_OA_STATUS:
        it->oa_status = prov__jv_tmp(js, v);
        break;
    case S2_OA_URL:
        it->oa_url = prov__jv_tmp(js, v);
        break;
    case S2_URL:
        it->url = prov__jv_tmp(js, v);
        break;
    case S2_FOS_ONE:
        return prov__jvec_push(js, &it->fos, prov__jv_tmp(js, v));
    case S2_PUB_TYPE: { /* ["JournalArticle", "Review"]: a review is the more telling */
        paper_type_t t = prov__jv_type(v);
        it->type = t == PAPER_TYPE_REVIEW ? t : paper_type_merge(it->type, t);
        break;
    }
    case S2_S2FOS_CATEGORY:
        it->s2fos = prov__jv_tmp(js, v);
        break;
    /* Not an object or array where one belongs: as if absent. */
    case S2_AUTHORS:
    case S2_EXT:
    case S2_JOURNAL:
    case S2_OA_PDF:
    case S2_FOS:
    case S2_PUB_TYPES:
    case S2_S2FOS:
    case S2_AUTHOR:
    case S2_S2FOS_ONE:
        return s2_open(js, st, slot, false);
    }
    return 0;
}

/* The paper from what its object said; one with neither id nor title is
 * left out. */
static int s2_finish(prov_js_t *js, void *st, paper_t *p, const char **id)
{
    s2_item_t *it = st;
    arena_t *a = prov_js_arena(js);
    if (it->id == NULL && it->title == NULL) return 1;
    const char *s;
    /* Titles and abstracts may carry JATS and MathML (recorded live). */
    if ((s = it->title) != NULL) {
        char *t = prov__strip_markup(a, s, strlen(s));
        if (t != NULL) p->title = t;
    }
    if ((s = it->abstract) != NULL) p->abstract = prov__abstract(a, s, strlen(s));

    prov_jvec_t names = {0};
    for (size_t i = 0; i < it->authors.n; i++) {
        char *c = paper_clean_text(a, it->authors.v[i], strlen(it->authors.v[i]));
        if (c != NULL && prov__jvec_push(js, &names, c) < 0) return -1;
    }
    if (prov__jvec_set_authors(js, &names, p) < 0) return -1;

    if ((s = it->doi) != NULL) p->doi = paper_normalize_doi(a, s, strlen(s));
    if ((s = it->arxiv) != NULL) {
        const char *v = NULL;
        p->arxiv_id = paper_normalize_arxiv_id(a, s, strlen(s), &v);
        p->arxiv_version = v;
    }
    if (p->arxiv_id == NULL) prov__arxiv_from(p, a, p->doi);

    p->year = it->year > 0 && it->year < 10000 ? (int)it->year : 0;
    if ((s = it->pub_date) != NULL) {
        p->published = prov__date_of(a, s);
        if (p->year == 0) p->year = prov__year_of(s);
    }
    if (p->published == NULL && p->year > 0) p->published = arena_sprintf(a, "%04d", p->year);

    const char *venue = it->venue != NULL ? it->venue : it->journal;
    if (venue != NULL) p->venue = paper_clean_text(a, venue, strlen(venue));

    p->citations = it->has_cites && it->cites >= 0 ? it->cites : -1;
    p->type = it->type;
    p->open_access = it->is_oa;
    /* "CLOSED" comes with a URL too (recorded live): not open access. */
    bool closed = it->oa_status != NULL && strcasecmp(it->oa_status, "CLOSED") == 0;
    if (!closed && it->oa_url != NULL) {
        p->pdf_url = arena_strdup(a, it->oa_url);
        p->open_access = true;
    }
    if (it->url != NULL) p->url = arena_strdup(a, it->url);

    size_t cap = 0;
    if (prov__jvec_add_categories(js, &it->fos, p, &cap) < 0 ||
        prov__jvec_add_categories(js, &it->s2fos_list, p, &cap) < 0)
        return -1;
    *id = it->id != NULL ? arena_strdup(a, it->id) : NULL;
    return 0;
}

const prov_jitem_t prov__s2_item = {
    .fields = s2_paper_fields,
    .state_size = sizeof(s2_item_t),
    .ops = {.open = s2_open, .close = s2_close, .value = s2_value},
    .finish = s2_finish,
};

/* ---- answer: the search's {total, offset, next?, data[]} ---- */

enum { S2S_TOTAL = 1, S2S_DATA, S2S_ERROR, S2S_MESSAGE };

static const prov_jnode_t s2_search_item = {.item = &prov__s2_item};
static const prov_jnode_t s2_search_fields[] = {
    {.key = "total", .slot = S2S_TOTAL},
    {.key = "data", .slot = S2S_DATA, .elem = &s2_search_item},
    {.key = "error", .slot = S2S_ERROR},
    {.key = "message", .slot = S2S_MESSAGE},
    {0},
};

typedef struct s2_search {
    long total;
    bool has_total, has_data_key, data_is_list, has_error, has_message;
    char error[160], message[160];
} s2_search_t;

static int s2_search_open(prov_js_t *js, void *st, int slot, bool array)
{
    s2_search_t *s = st;
    if (slot == S2S_DATA) {
        s->has_data_key = true;
        s->data_is_list = array;
        prov_js_clear_items(js); /* "data" given again: the last counts */
    } else if (slot == S2S_ERROR || slot == S2S_MESSAGE) {
        bool *has = slot == S2S_ERROR ? &s->has_error : &s->has_message;
        *has = true;
        (slot == S2S_ERROR ? s->error : s->message)[0] = '\0';
    }
    return 0;
}

static int s2_search_value(prov_js_t *js, void *st, int slot, const prov_jval_t *v)
{
    s2_search_t *s = st;
    switch (slot) {
    case S2S_TOTAL:
        s->has_total = true;
        s->total = prov__jv_total(v);
        break;
    case S2S_DATA:
        return s2_search_open(js, st, slot, false);
    case S2S_ERROR:
        s->has_error = true;
        prov__jv_copy(v, s->error, sizeof s->error);
        break;
    case S2S_MESSAGE:
        s->has_message = true;
        prov__jv_copy(v, s->message, sizeof s->message);
        break;
    }
    return 0;
}

/* An {error} or {message, code} body is reported as an error. A search
 * with no hits is answered {"total": 0, "offset": 0} with no "data" at all
 * (recorded live): that is an empty list, not an error. */
static int s2_search_finish(prov_js_t *js, void *st, long *total, char *err, size_t errlen)
{
    (void)js;
    s2_search_t *s = st;
    long t = s->has_total ? s->total : -1;
    if (!s->has_data_key && t == 0 && !s->has_error && !s->has_message) {
        *total = 0;
        return 0;
    }
    if (!s->data_is_list) {
        const char *m = s->error[0] ? s->error : s->message[0] ? s->message : NULL;
        return prov__fail(err, errlen, "semantic_scholar: %s",
                          m != NULL ? m : "no \"data\" in response");
    }
    *total = t;
    return 0;
}

static const prov_jkind_t s2_search = {
    .source = SRC_SEMANTIC_SCHOLAR,
    .root = {.fields = s2_search_fields},
    .state_size = sizeof(s2_search_t),
    .ops = {.open = s2_search_open, .value = s2_search_value},
    .finish = s2_search_finish,
};
/* ---- lookups by id ------------------------------------------------------------
 * One id: GET {base}/graph/v1/paper/{id}?fields=.. (id "DOI:..", "ARXIV:..",
 * "CorpusId:..", "PMID:.." or the paperId; a DOI's slashes as they are).
 * More: POST {base}/graph/v1/paper/batch?fields=.. {"ids": [...]}, at most
 * 500, kinds mixed; the answer is an array in the ids' order, null for an
 * id S2 does not know. */
#define S2_BATCH_MAX 500

static int s2_lookup_build(const paper_ref_t *ids, size_t n, const prov_settings_t *ps, arena_t *a,
                           prov_request_t *out, char *err, size_t errlen)
{
    prov__sb_t u;
    prov__sb_init(&u, a);
    prov__sb_puts(&u, ps->base_url);
    if (n == 1) {
        const char *id = paper_ref_for(a, &ids[0], SRC_SEMANTIC_SCHOLAR);
        if (!id) return prov__fail(err, errlen, "semantic_scholar: cannot look this id up");
        prov__sb_puts(&u, "/graph/v1/paper/");
        prov__sb_put_path(&u, id);
        prov__sb_puts(&u, "?fields=" S2_FIELDS);
        out->method = "GET";
    } else {
        prov__sb_puts(&u, "/graph/v1/paper/batch?fields=" S2_FIELDS);
        json_t *arr = json_array();
        for (size_t i = 0; arr && i < n; i++) {
            const char *id = paper_ref_for(a, &ids[i], SRC_SEMANTIC_SCHOLAR);
            if (!id) {
                json_decref(arr);
                return prov__fail(err, errlen, "semantic_scholar: cannot look this id up");
            }
            json_array_append_new(arr, json_string(id));
        }
        json_t *root = arr ? json_pack("{s:o}", "ids", arr) : NULL;
        char *body = root ? json_dumps(root, JSON_COMPACT) : NULL;
        json_decref(root);
        if (!body) return prov__fail(err, errlen, "semantic_scholar: out of memory");
        out->body = arena_strdup(a, body);
        out->body_len = strlen(body);
        free(body);
        out->method = "POST";
        if (!out->body || prov__add_header(out, a, "Content-Type", "application/json") < 0)
            return prov__fail(err, errlen, "semantic_scholar: out of memory");
    }
    out->url = prov__sb_str(&u);
    if (out->url == NULL || prov__add_header(out, a, "Accept", "application/json") < 0 ||
        (prov__has(ps->api_key) && prov__add_header(out, a, "x-api-key", ps->api_key) < 0))
        return prov__fail(err, errlen, "semantic_scholar: out of memory");
    return 0;
}

const prov_def_t prov_semantic_scholar = {
    .source = SRC_SEMANTIC_SCHOLAR,
    .build = s2_build,
    .json = &s2_search,
    .build_title = s2_build_title,
    .title_none = s2_title_none,
    .lookup_build = s2_lookup_build,
    .lookup_max = S2_BATCH_MAX,
    .lookup_mixed = true,
};

/* ---- citation lists (providers/cites.h) ------------------------------------
 * GET /graph/v1/paper/{id}/citations | /references: the search's paper
 * fields for the paper at the other end, plus the edge's own. */

#define S2_EDGE_FIELDS "contexts,intents,isInfluential,"

int prov_s2_cites_build(cites_dir_t d, const char *s2_id, size_t offset, int limit,
                        const prov_settings_t *ps, arena_t *a, prov_request_t *out, char *err,
                        size_t errlen)
{
    memset(out, 0, sizeof(*out));
    if (ps == NULL || !prov__has(ps->base_url))
        return prov__fail(err, errlen, "semantic_scholar: no base URL");
    if (!prov__has(s2_id)) return prov__fail(err, errlen, "semantic_scholar: no paper id");
    if (limit < 1 || limit > PROV_S2_CITES_MAX) limit = PROV_S2_CITES_MAX;
    prov__sb_t u;
    prov__sb_init(&u, a);
    prov__sb_puts(&u, ps->base_url);
    prov__sb_puts(&u, "/graph/v1/paper/");
    prov__sb_put_path(&u, s2_id);
    prov__sb_puts(&u, d == CITES_REFERENCES ? "/references" : "/citations");
    prov__sb_puts(&u, "?fields=" S2_EDGE_FIELDS S2_FIELDS);
    prov__sb_printf(&u, "&offset=%zu&limit=%d", offset, limit);
    out->method = "GET";
    out->url = prov__sb_str(&u);
    if (out->url == NULL || prov__add_header(out, a, "Accept", "application/json") < 0 ||
        (prov__has(ps->api_key) && prov__add_header(out, a, "x-api-key", ps->api_key) < 0))
        return prov__fail(err, errlen, "semantic_scholar: out of memory");
    return 0;
}

/* The list's shape: {offset, next?, data: [{isInfluential, intents[],
 * contexts[], citingPaper | citedPaper}]}, each paper read by the search's
 * item mapping; the edge's own fields (before or after its paper) go to
 * the paper it brought. Slots past the search's S2S_* ones. */
enum { S2C_EDGE = 10, S2C_INFL, S2C_INTENT, S2C_CONTEXT, S2C_NEXT };

typedef struct s2_cites {
    s2_search_t s; /* "data", "error", "message" as the search reads them */
    bool data_null;
    long long next;
    size_t before;        /* papers before the open edge */
    cite_edge_info_t cur; /* the open edge's fields */
    size_t intents_cap, contexts_cap;
    cite_edge_info_t *infos; /* per paper read, in the papers' arena */
    size_t ninfos, infos_cap;
} s2_cites_t;

static int s2c_open(prov_js_t *js, void *st, int slot, bool array)
{
    s2_cites_t *c = st;
    if (slot == S2C_EDGE) {
        c->before = prov_js_npapers(js);
        c->cur = (cite_edge_info_t){.influential = -1};
        c->intents_cap = c->contexts_cap = 0;
        return 0;
    }
    if (slot == S2S_DATA) {
        c->ninfos = 0; /* "data" given again: the last counts */
        c->data_null = false;
    }
    return s2_search_open(js, &c->s, slot, array);
}

static int s2c_close(prov_js_t *js, void *st, int slot)
{
    s2_cites_t *c = st;
    if (slot != S2C_EDGE) return 0;
    arena_t *a = prov_js_arena(js);
    for (size_t k = c->before; k < prov_js_npapers(js); k++) {
        if (k >= c->infos_cap) {
            size_t cap = c->infos_cap ? c->infos_cap * 2 : 64;
            while (cap <= k)
                cap *= 2;
            cite_edge_info_t *n = arena_calloc(a, cap, sizeof(*n));
            if (n == NULL) return -1;
            if (c->infos != NULL) memcpy(n, c->infos, c->infos_cap * sizeof(*n));
            c->infos = n;
            c->infos_cap = cap;
        }
        c->infos[k] = c->cur;
        c->ninfos = k + 1;
    }
    return 0;
}

static int s2c_string(prov_js_t *js, const prov_jval_t *v, const char ***arr, size_t *n,
                      size_t *cap)
{
    const char *s = prov__jv_str(v);
    if (s == NULL) return 0;
    arena_t *a = prov_js_arena(js);
    char *t = paper_clean_text(a, s, strlen(s));
    return t != NULL ? prov__strv_add(a, arr, n, cap, t) : 0;
}

static int s2c_value(prov_js_t *js, void *st, int slot, const prov_jval_t *v)
{
    s2_cites_t *c = st;
    switch (slot) {
    case S2C_EDGE:
        return 0; /* an edge that is no object */
    case S2C_INFL:
        c->cur.influential = v->type == PROV_JV_TRUE ? 1 : v->type == PROV_JV_FALSE ? 0 : -1;
        return 0;
    case S2C_INTENT:
        return s2c_string(js, v, &c->cur.intents, &c->cur.nintents, &c->intents_cap);
    case S2C_CONTEXT:
        return s2c_string(js, v, &c->cur.contexts, &c->cur.ncontexts, &c->contexts_cap);
    case S2C_NEXT:
        c->next = prov__jv_int(v, -1);
        return 0;
    case S2S_DATA:
        c->ninfos = 0;
        c->data_null = v->type == PROV_JV_NULL;
        break;
    }
    return s2_search_value(js, &c->s, slot, v);
}

/* {"offset": 0} alone and {"data": null} (a paper without any) are no
 * edges; an {error} or {message} body is an error. */
static int s2c_finish(prov_js_t *js, void *st, long *total, char *err, size_t errlen)
{
    (void)js;
    s2_cites_t *c = st;
    s2_search_t *s = &c->s;
    *total = -1;
    if (s->data_is_list || c->data_null || (!s->has_data_key && !s->has_error && !s->has_message))
        return 0;
    const char *m = s->error[0] ? s->error : s->message[0] ? s->message : NULL;
    return prov__fail(err, errlen, "semantic_scholar: %s",
                      m != NULL ? m : "no \"data\" in response");
}

static const prov_jnode_t s2c_intent = {.slot = S2C_INTENT};
static const prov_jnode_t s2c_context = {.slot = S2C_CONTEXT};
#define S2C_KIND(name, paperkey)                                                                   \
    static const prov_jnode_t name##_edge_fields[] = {                                             \
        {.key = paperkey, .item = &prov__s2_item},                                                 \
        {.key = "isInfluential", .slot = S2C_INFL},                                                \
        {.key = "intents", .elem = &s2c_intent},                                                   \
        {.key = "contexts", .elem = &s2c_context},                                                 \
        {0},                                                                                       \
    };                                                                                             \
    static const prov_jnode_t name##_edge = {.slot = S2C_EDGE, .fields = name##_edge_fields};      \
    static const prov_jnode_t name##_fields[] = {                                                  \
        {.key = "data", .slot = S2S_DATA, .elem = &name##_edge},                                   \
        {.key = "next", .slot = S2C_NEXT},                                                         \
        {.key = "error", .slot = S2S_ERROR},                                                       \
        {.key = "message", .slot = S2S_MESSAGE},                                                   \
        {0},                                                                                       \
    };                                                                                             \
    static const prov_jkind_t name = {                                                             \
        .source = SRC_SEMANTIC_SCHOLAR,                                                            \
        .root = {.fields = name##_fields},                                                         \
        .state_size = sizeof(s2_cites_t),                                                          \
        .ops = {.open = s2c_open, .close = s2c_close, .value = s2c_value},                         \
        .finish = s2c_finish,                                                                      \
    }
S2C_KIND(s2_citations, "citingPaper");
S2C_KIND(s2_references, "citedPaper");

int prov_s2_cites_parse(cites_dir_t d, const char *body, size_t len, arena_t *a, cites_page_t *pg,
                        char *err, size_t errlen)
{
    prov_js_t *js = prov__js_new(d == CITES_REFERENCES ? &s2_references : &s2_citations, a);
    if (js == NULL) return prov__fail(err, errlen, "semantic_scholar: out of memory");
    prov__js_feed(js, body, len);
    prov_result_t res = {0};
    int rc = prov__js_finish(js, &res, err, errlen);
    s2_cites_t c = *(s2_cites_t *)prov_js_state(js);
    prov__js_free(js);
    if (rc < 0) return -1;
    size_t n0 = pg->papers.n; /* a page is read whole or not at all */
    for (size_t k = 0; k < res.papers.n; k++) {
        paper_t *p = paper_list_add(&pg->papers, a);
        if (p == NULL) goto oom;
        *p = res.papers.items[k];
        p->sources[0].rank = (int)pg->papers.n;
        cite_edge_info_t *in = cites_page_info_add(pg, a);
        if (in == NULL) goto oom;
        if (k < c.ninfos) *in = c.infos[k];
    }
    pg->more = c.next > 0;
    pg->next = c.next > 0 ? arena_sprintf(a, "%lld", c.next) : NULL;
    if (c.next > 0 && pg->next == NULL) goto oom;
    return 0;
oom:
    pg->papers.n = n0;
    return prov__fail(err, errlen, "semantic_scholar: out of memory");
}

/* GET /graph/v1/author/{id}/papers: an author's papers with the search's
 * fields, read as a search answer ({offset, next?, data: [paper]}). */
int prov_s2_author_papers_build(const char *author_id, size_t offset, int limit,
                                const prov_settings_t *ps, arena_t *a, prov_request_t *out,
                                char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    if (ps == NULL || !prov__has(ps->base_url))
        return prov__fail(err, errlen, "semantic_scholar: no base URL");
    if (!prov__has(author_id)) return prov__fail(err, errlen, "semantic_scholar: no author id");
    if (limit < 1 || limit > PROV_S2_CITES_MAX) limit = PROV_S2_CITES_MAX;
    prov__sb_t u;
    prov__sb_init(&u, a);
    prov__sb_puts(&u, ps->base_url);
    prov__sb_puts(&u, "/graph/v1/author/");
    prov__sb_put_path(&u, author_id);
    prov__sb_puts(&u, "/papers?fields=" S2_FIELDS);
    prov__sb_printf(&u, "&offset=%zu&limit=%d", offset, limit);
    out->method = "GET";
    out->url = prov__sb_str(&u);
    if (out->url == NULL || prov__add_header(out, a, "Accept", "application/json") < 0 ||
        (prov__has(ps->api_key) && prov__add_header(out, a, "x-api-key", ps->api_key) < 0))
        return prov__fail(err, errlen, "semantic_scholar: out of memory");
    return 0;
}

int prov_s2_ids_build(const char *s2_id, const prov_settings_t *ps, arena_t *a, prov_request_t *out,
                      char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    if (ps == NULL || !prov__has(ps->base_url))
        return prov__fail(err, errlen, "semantic_scholar: no base URL");
    if (!prov__has(s2_id)) return prov__fail(err, errlen, "semantic_scholar: no paper id");
    prov__sb_t u;
    prov__sb_init(&u, a);
    prov__sb_puts(&u, ps->base_url);
    prov__sb_puts(&u, "/graph/v1/paper/");
    prov__sb_put_path(&u, s2_id);
    prov__sb_puts(&u, "?fields=externalIds");
    out->method = "GET";
    out->url = prov__sb_str(&u);
    if (out->url == NULL || prov__add_header(out, a, "Accept", "application/json") < 0 ||
        (prov__has(ps->api_key) && prov__add_header(out, a, "x-api-key", ps->api_key) < 0))
        return prov__fail(err, errlen, "semantic_scholar: out of memory");
    return 0;
}

/* S2's record of a paper: the paper object itself. */
static int s2_ids_finish(prov_js_t *js, void *st, long *total, char *err, size_t errlen)
{
    (void)js, (void)st, (void)err, (void)errlen;
    *total = -1;
    return 0;
}

static const prov_jkind_t s2_record = {
    .source = SRC_SEMANTIC_SCHOLAR,
    .root = {.item = &prov__s2_item},
    .finish = s2_ids_finish,
};

int prov_s2_ids_parse(const char *body, size_t len, arena_t *a, const char **doi,
                      const char **arxiv, char *err, size_t errlen)
{
    *doi = *arxiv = NULL;
    prov_js_t *js = prov__js_new(&s2_record, a);
    if (js == NULL) return prov__fail(err, errlen, "semantic_scholar: out of memory");
    prov__js_feed(js, body, len);
    prov_result_t res = {0};
    int rc = prov__js_finish(js, &res, err, errlen);
    prov__js_free(js);
    if (rc < 0) return -1;
    const paper_t *p = res.papers.n == 1 ? &res.papers.items[0] : NULL;
    if (p == NULL || p->nsources == 0 || p->sources[0].id == NULL)
        return prov__fail(err, errlen, "semantic_scholar: no paper in response");
    if (p->doi != NULL && strncmp(p->doi, "10.48550/", 9) != 0) *doi = p->doi;
    *arxiv = p->arxiv_id;
    return 0;
}
