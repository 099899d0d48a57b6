/* Exa adapter: POST /search with a JSON body restricted to research papers,
 * its JSON answer read while it arrives (providers/jstream.h). A key is required (x-api-key).
 *
 * Filters: dates and years (startPublishedDate / endPublishedDate). Exa
 * cannot filter by author, arXiv category or open access, cannot sort, and
 * has no paging (numResults <= 100): the merge does the rest. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "providers/common.h"
#include "providers/jstream.h"

#define EXA_MAX_RESULTS 100
#define EXA_TEXT_CHARS 2000
/* The category for research papers. Exa's current API (exa-js 2026-08,
 * "Publication category" blog 2026-07) calls it "publication"; deployments
 * before that took "research paper". The name that works is remembered
 * (per worker) once a 400 names the category (exa_adapt). */
static const char *const exa_categories[2] = {"publication", "research paper"};
static int exa_category_idx;

const char *prov__exa_category(void)
{
    return exa_categories[exa_category_idx];
}

void prov__exa_category_reset(void)
{
    exa_category_idx = 0;
}

/* A 400 that names "category": the other name, once (a second refusal
 * would flip back and forth; the caller asks only once per call). */
static bool exa_adapt(long status, const char *body, size_t len)
{
    if (status != 400 || body == NULL) return false;
    /* Exa's validation errors name the field: '... at "category"'. */
    bool names = false;
    for (size_t i = 0; i + 8 <= len && !names; i++)
        names = memcmp(body + i, "category", 8) == 0;
    if (!names) return false;
    exa_category_idx ^= 1;
    return true;
}

/* Builds POST {base}/search with {"query", "type":"auto", "category",
 * "numResults", "contents":{"text":{"maxCharacters"}}[, start/endPublishedDate]}.
 * Fails when no API key is configured. */
static int exa_build(const query_t *q, const prov_settings_t *ps, arena_t *a, prov_request_t *out,
                     char *err, size_t errlen)
{
    if (!prov__has(ps->api_key))
        return prov__fail(err, errlen, "exa: no API key configured (Exa refuses keyless requests)");
    if (!prov__has(q->text)) return prov__fail(err, errlen, "exa: empty query");

    json_t *root = json_pack("{s:s, s:s, s:s, s:i, s:{s:{s:i}}}", "query", q->text, "type", "auto",
                             "category", prov__exa_category(), "numResults",
                             prov__clamp_results(ps->max_results, EXA_MAX_RESULTS), "contents",
                             "text", "maxCharacters", EXA_TEXT_CHARS);
    if (root == NULL) return prov__fail(err, errlen, "exa: cannot build the request body");
    char date[40];
    if (prov__has(q->date_from) || q->year_from > 0) {
        if (prov__has(q->date_from))
            snprintf(date, sizeof(date), "%.10sT00:00:00.000Z", q->date_from);
        else
            snprintf(date, sizeof(date), "%04d-01-01T00:00:00.000Z", q->year_from);
        json_object_set_new(root, "startPublishedDate", json_string(date));
    }
    if (prov__has(q->date_to) || q->year_to > 0) {
        if (prov__has(q->date_to))
            snprintf(date, sizeof(date), "%.10sT23:59:59.999Z", q->date_to);
        else
            snprintf(date, sizeof(date), "%04d-12-31T23:59:59.999Z", q->year_to);
        json_object_set_new(root, "endPublishedDate", json_string(date));
    }
    char *body = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    if (body == NULL) return prov__fail(err, errlen, "exa: cannot serialise the request body");
    size_t blen = strlen(body);
    out->body = arena_strndup(a, body, blen);
    out->body_len = blen;
    free(body);

    out->method = "POST";
    out->url = arena_sprintf(a, "%s/search", ps->base_url);
    if (out->body == NULL || out->url == NULL ||
        prov__add_header(out, a, "Content-Type", "application/json") < 0 ||
        prov__add_header(out, a, "Accept", "application/json") < 0 ||
        prov__add_header(out, a, "x-api-key", ps->api_key) < 0)
        return prov__fail(err, errlen, "exa: out of memory");
    return 0;
}

/* True when the word [w, w+n) names an institution rather than a person. */
static bool affiliation_word(const char *w, size_t n)
{
    static const char *const words[] = {
        "university",  "universit",  "universidad", "institute",   "institut",   "college",
        "school",      "department", "dept",        "laboratory",  "lab",        "labs",
        "research",    "center",     "centre",      "inc",         "ltd",        "llc",
        "corporation", "corp",       "academy",     "hospital",    "foundation", "faculty",
        "technology",  "sciences",   "engineering", "polytechnic", "ag",         "gmbh",
    };
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        size_t k = strlen(words[i]);
        if (n >= k && strncasecmp(w, words[i], k) == 0 && (n == k || words[i][k - 1] == 't'))
            return true; /* "universit" also matches "Università", "Universität" */
    }
    return false;
}

/* True when a cleaned piece of Exa's author string reads as a person's name:
 * no digits, brackets or '@', no institution word, and (when the string has
 * other pieces) at least two words, so "Lahore" or "Pakistan" is not one. */
static bool looks_like_person(const char *s, bool alone)
{
    size_t words = 0;
    for (const char *c = s; *c != '\0';) {
        while (*c == ' ')
            c++;
        const char *w = c;
        while (*c != '\0' && *c != ' ') {
            if ((*c >= '0' && *c <= '9') || strchr("()[]{}@", *c) != NULL) return false;
            c++;
        }
        if (c == w) break;
        if (affiliation_word(w, (size_t)(c - w))) return false;
        words++;
    }
    return words > 0 && words <= 6 && (alone || words >= 2);
}

/* Exa's "author" is one string: "A, B, C", or a name followed by its
 * affiliation, "Humza  Naveed, University of Engineering and Technology
 * (UET), Lahore, Pakistan" (recorded), where person names carry a double
 * space between first and last name and the affiliation does not. The
 * pieces that read as names become p->authors. */
static int exa_authors(const char *s, arena_t *a, paper_t *p)
{
    size_t n = 1;
    for (const char *c = s; *c != '\0'; c++)
        if (*c == ',' || *c == ';') n++;
    bool marked = strstr(s, "  ") != NULL;
    p->authors = arena_alloc(a, n * sizeof(*p->authors));
    if (p->authors == NULL) return -1;
    const char *start = s;
    for (const char *c = s;; c++) {
        if (*c == ',' || *c == ';' || *c == '\0') {
            size_t len = (size_t)(c - start);
            char *name = paper_clean_text(a, start, len);
            bool dbl = false;
            for (size_t i = 0; i + 1 < len && !dbl; i++)
                dbl = start[i] == ' ' && start[i + 1] == ' ' && i > 0 && start[i - 1] != ' ' &&
                      i + 2 < len && start[i + 2] != ' ';
            if (name != NULL && (!marked || dbl) && looks_like_person(name, n == 1))
                p->authors[p->nauthors++] = name;
            if (*c == '\0') break;
            start = c + 1;
        }
    }
    return 0;
}

/* The page text as an abstract: without a leading copy of the title and a
 * leading "Abstract" heading. */
static char *exa_abstract(arena_t *a, const char *text, const char *title)
{
    char *t = paper_clean_text(a, text, strlen(text));
    if (t == NULL) return NULL;
    size_t tl = strlen(title);
    if (tl > 0 && strncasecmp(t, title, tl) == 0) {
        t += tl;
        while (*t == ' ' || *t == '.' || *t == ':')
            t++;
    }
    const char *r = prov__drop_heading(t);
    return r != NULL && r[0] != '\0' ? (char *)r : NULL;
}

/* ---- answer: one result (prov__exa_item), wherever it stands ---- */

enum { EXA_ID = 1, EXA_URL, EXA_TITLE, EXA_DATE, EXA_AUTHOR, EXA_TEXT, EXA_SUMMARY };

static const prov_jnode_t exa_result_fields[] = {
    {.key = "id", .slot = EXA_ID},           {.key = "url", .slot = EXA_URL},
    {.key = "title", .slot = EXA_TITLE},     {.key = "publishedDate", .slot = EXA_DATE},
    {.key = "author", .slot = EXA_AUTHOR},   {.key = "text", .slot = EXA_TEXT},
    {.key = "summary", .slot = EXA_SUMMARY}, {0},
};

/* What one result said, raw (in the item's scratch). */
typedef struct exa_item {
    const char *id, *url, *title, *date, *author, *text, *summary;
} exa_item_t;

static int exa_value(prov_js_t *js, void *st, int slot, const prov_jval_t *v)
{
    exa_item_t *it = st;
    const char *s = prov__jv_tmp(js, v);
    switch (slot) {
    case EXA_ID:
        it->id = s;
        break;
    case EXA_URL:
        it->url = s;
        break;
    case EXA_TITLE:
        it->title = s;
        break;
    case EXA_DATE:
        it->date = s;
        break;
    case EXA_AUTHOR:
        it->author = s;
        break;
    case EXA_TEXT:
        it->text = s;
        break;
    case EXA_SUMMARY:
        it->summary = s;
        break;
    }
    return 0;
}

/* The paper from what its result said; its id is "id", else "url", else
 * it is left out. */
static int exa_finish(prov_js_t *js, void *st, paper_t *p, const char **id)
{
    exa_item_t *it = st;
    arena_t *a = prov_js_arena(js);
    const char *rid = it->id != NULL ? it->id : it->url;
    if (rid == NULL) return 1;
    const char *s;
    if ((s = it->title) != NULL) {
        char *t = prov__strip_markup(a, s, strlen(s));
        if (t != NULL) p->title = t;
    }
    const char *url = it->url != NULL ? it->url : it->id;
    if (url != NULL) {
        p->url = arena_strdup(a, url);
        const char *d = strstr(url, "doi.org/");
        if (d != NULL) p->doi = paper_normalize_doi(a, d + 8, strlen(d + 8));
        if (prov__arxiv_from(p, a, url)) {
            p->open_access = true;
            p->pdf_url = arena_sprintf(a, "https://arxiv.org/pdf/%s%s", p->arxiv_id,
                                       p->arxiv_version != NULL ? p->arxiv_version : "");
        } else {
            size_t ul = strlen(url);
            if (ul > 4 && strcasecmp(url + ul - 4, ".pdf") == 0) {
                p->pdf_url = p->url;
                p->open_access = true;
            }
        }
    }
    if ((s = it->date) != NULL) {
        p->published = prov__date_of(a, s);
        p->year = prov__year_of(s);
    }
    if ((s = it->author) != NULL && exa_authors(s, a, p) < 0) return -1;
    if ((s = it->text) != NULL) p->abstract = exa_abstract(a, s, p->title);
    if (p->abstract == NULL && (s = it->summary) != NULL)
        p->abstract = paper_clean_text(a, s, strlen(s));
    *id = arena_strdup(a, rid);
    return 0;
}

const prov_jitem_t prov__exa_item = {
    .fields = exa_result_fields,
    .state_size = sizeof(exa_item_t),
    .ops = {.value = exa_value},
    .finish = exa_finish,
};

/* ---- answer: the search's {requestId, results[], ...} ---- */

enum { EXAS_RESULTS = 1, EXAS_ERROR, EXAS_TAG };

static const prov_jnode_t exas_item = {.item = &prov__exa_item};
static const prov_jnode_t exas_fields[] = {
    {.key = "results", .slot = EXAS_RESULTS, .elem = &exas_item},
    {.key = "error", .slot = EXAS_ERROR},
    {.key = "tag", .slot = EXAS_TAG},
    {0},
};

typedef struct exa_search {
    bool results_is_list;
    char error[160], tag[64];
} exa_search_t;

static int exas_open(prov_js_t *js, void *st, int slot, bool array)
{
    exa_search_t *s = st;
    if (slot == EXAS_RESULTS) {
        s->results_is_list = array;
        prov_js_clear_items(js);
    }
    return 0;
}

static int exas_value(prov_js_t *js, void *st, int slot, const prov_jval_t *v)
{
    exa_search_t *s = st;
    if (slot == EXAS_RESULTS) return exas_open(js, st, slot, false);
    if (slot == EXAS_ERROR) prov__jv_copy(v, s->error, sizeof s->error);
    if (slot == EXAS_TAG) prov__jv_copy(v, s->tag, sizeof s->tag);
    return 0;
}

/* {error, tag} bodies are errors; Exa reports no total. */
static int exas_finish(prov_js_t *js, void *st, long *total, char *err, size_t errlen)
{
    (void)js, (void)total;
    exa_search_t *s = st;
    if (s->results_is_list) return 0;
    bool tag = s->tag[0] != '\0';
    return prov__fail(err, errlen, "exa: %s%s%s%s",
                      s->error[0] ? s->error : "no \"results\" in response", tag ? " (" : "",
                      s->tag, tag ? ")" : "");
}

static const prov_jkind_t exa_search = {
    .source = SRC_EXA,
    .root = {.fields = exas_fields},
    .state_size = sizeof(exa_search_t),
    .ops = {.open = exas_open, .value = exas_value},
    .finish = exas_finish,
};

/* {"error", "tag"}: "error (tag)". */
static bool exa_json_error(const json_t *root, prov_msg_t *m)
{
    const json_t *e = prov__json_nonempty(root, "error");
    const json_t *tag = prov__json_nonempty(root, "tag");
    if (e == NULL) return false;
    prov_msg_add(m, e);
    if (tag != NULL) {
        prov_msg_lit(m, " (");
        prov_msg_add(m, tag);
        prov_msg_lit(m, ")");
    }
    return true;
}

const prov_def_t prov_exa = {
    .source = SRC_EXA,
    .build = exa_build,
    .json = &exa_search,
    .adapt = exa_adapt,
    .json_error = exa_json_error,
};
