/* OpenAlex adapter: GET /works?search=..., and for a query that looks like
 * a title GET /works?filter=title.search:..., the JSON read while it
 * arrives (providers/jstream.h).
 *
 * Filters: years and dates (publication_year, from_/to_publication_date),
 * open access (is_oa:true); sort by date or citations. OpenAlex has no arXiv
 * categories, and its author filters want OpenAlex author ids, not a name:
 * those two are left to the merge. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "providers/authors.h"
#include "providers/cites.h"
#include "providers/common.h"
#include "providers/jstream.h"

#define OPENALEX_MAX_RESULTS 200          /* per-page is 1..200 */
#define OPENALEX_MAX_ABSTRACT_WORDS 20000 /* bounds the inverted-index rebuild */
#define OPENALEX_TITLE_RESULTS 10         /* a title names few works */

/* Only the fields openalex_work() reads: a whole work is about 16 KB. */
#define OPENALEX_SELECT                                                                            \
    "id,doi,title,display_name,ids,publication_year,publication_date,authorships,"                 \
    "abstract_inverted_index,primary_location,locations,best_oa_location,open_access,"             \
    "cited_by_count,primary_topic,type,type_crossref"

/* OpenAlex's type for ours, NULL where it has none (a conference paper
 * is its "article", told apart only by type_crossref). */
static const char *openalex_type(int t)
{
    static const char *const names[PAPER_TYPE_COUNT] = {
        [PAPER_TYPE_ARTICLE] = "article",     [PAPER_TYPE_PREPRINT] = "preprint",
        [PAPER_TYPE_BOOK] = "book",           [PAPER_TYPE_BOOK_CHAPTER] = "book-chapter",
        [PAPER_TYPE_THESIS] = "dissertation", [PAPER_TYPE_DATASET] = "dataset",
        [PAPER_TYPE_REVIEW] = "review",
    };
    return t >= 0 && t < PAPER_TYPE_COUNT ? names[t] : NULL;
}

/* Appends the query's filters to f, the filter value: name:value pairs
 * joined by ',' (AND). Returns the query_filter_t bits it applied. */
static unsigned openalex_filters(prov__sb_t *f, const query_t *q)
{
    unsigned pushed = 0;
    if (q->min_citations > 0) {
        prov__sb_printf(f, "%scited_by_count:>%ld", f->len ? "," : "", q->min_citations - 1);
        pushed |= QFILTER_MIN_CITATIONS;
    }
    /* type:a|b (OR), only when each type asked has an OpenAlex name. */
    bool types_known = q->types != 0;
    for (int t = 0; t < PAPER_TYPE_COUNT; t++)
        if ((q->types & (1u << t)) && openalex_type(t) == NULL) types_known = false;
    if (types_known) {
        const char *sep = f->len ? ",type:" : "type:";
        for (int t = 0; t < PAPER_TYPE_COUNT; t++) {
            const char *name = q->types & (1u << t) ? openalex_type(t) : NULL;
            if (name == NULL) continue; /* not asked (every asked one has a name) */
            prov__sb_printf(f, "%s%s", sep, name);
            sep = "|";
        }
        pushed |= QFILTER_TYPE;
    }
    bool dates = prov__has(q->date_from) || prov__has(q->date_to);
    if (!dates && q->year_from > 0 && q->year_to > 0) {
        if (q->year_from == q->year_to)
            prov__sb_printf(f, "%spublication_year:%d", f->len ? "," : "", q->year_from);
        else
            prov__sb_printf(f, "%spublication_year:%d-%d", f->len ? "," : "", q->year_from,
                            q->year_to);
    } else {
        prov__sb_date_bounds(f, q, "from_publication_date", "to_publication_date", true);
    }
    if (q->open_access) prov__sb_printf(f, "%sis_oa:true", f->len ? "," : "");
    return pushed;
}

/* The rest of both requests after the path: <first>[&filter=f]&sort=..
 * &per-page=N&select=..[&mailto=..][&api_key=..], a GET. */
static int openalex_request(prov__sb_t *u, const char *first, const prov__sb_t *f, const char *sort,
                            int per_page, const prov_settings_t *ps, arena_t *a,
                            prov_request_t *out, char *err, size_t errlen)
{
    prov__sb_puts(u, first);
    if (f->len > 0) {
        /* Filter syntax (':' ','), dates and digits need no encoding. */
        prov__sb_puts(u, u->len > 0 && u->p[u->len - 1] == '?' ? "filter=" : "&filter=");
        prov__sb_putn(u, f->p, f->len);
    }
    prov__sb_puts(u, sort);
    prov__sb_printf(u, "&per-page=%d", per_page);
    prov__sb_puts(u, "&select=" OPENALEX_SELECT);
    if (prov__has(ps->mailto)) prov__sb_param(u, "mailto", ps->mailto);
    if (prov__has(ps->api_key)) prov__sb_param(u, "api_key", ps->api_key);

    out->method = "GET";
    out->url = prov__sb_str(u);
    if (f->failed || out->url == NULL || prov__add_header(out, a, "Accept", "application/json") < 0)
        return prov__fail(err, errlen, "openalex: out of memory");
    return 0;
}

/* Builds GET {base}/works?search=..[&filter=..]&sort=..&per-page=N&select=..[&mailto=..]
 * [&api_key=..]. */
static int openalex_build(const query_t *q, const prov_settings_t *ps, arena_t *a,
                          prov_request_t *out, char *err, size_t errlen)
{
    if (!prov__has(q->text)) return prov__fail(err, errlen, "openalex: empty query");

    prov__sb_t f;
    prov__sb_init(&f, a);
    out->pushed = openalex_filters(&f, q);
    prov__sb_t u;
    prov__sb_init(&u, a);
    prov__sb_puts(&u, ps->base_url);
    prov__sb_puts(&u, "/works");
    const char *enc = prov_url_encode(a, q->text);
    const char *first = enc != NULL ? arena_sprintf(a, "?search=%s", enc) : NULL;
    if (first == NULL) return prov__fail(err, errlen, "openalex: out of memory");
    const char *sort = q->sort == SORT_DATE        ? "&sort=publication_date:desc"
                       : q->sort == SORT_CITATIONS ? "&sort=cited_by_count:desc"
                                                   : "&sort=relevance_score:desc";
    return openalex_request(&u, first, &f, sort,
                            prov__clamp_results(ps->max_results, OPENALEX_MAX_RESULTS), ps, a, out,
                            err, errlen);
}

/* The title call: GET {base}/works?filter=title.search:<text>[,filters]
 * &sort=relevance_score:desc&per-page=OPENALEX_TITLE_RESULTS&select=..: the
 * works whose title holds the query's words (stemmed, stop words dropped,
 * as OpenAlex documents), best first whatever the search's sort (the
 * merge sorts). In a filter value ',' separates filters, '|' is OR and a
 * leading '!' a negation: the text goes without them. */
static int openalex_build_title(const query_t *q, const prov_settings_t *ps, arena_t *a,
                                prov_request_t *out, char *err, size_t errlen)
{
    char *text = arena_strdup(a, q->text != NULL ? q->text : "");
    if (text == NULL) return prov__fail(err, errlen, "openalex: out of memory");
    for (char *c = text; *c != '\0'; c++)
        if (*c == ',' || *c == '|' || *c == '!' || *c == ':') *c = ' ';
    char *clean = paper_clean_text(a, text, strlen(text));
    if (clean == NULL) return prov__fail(err, errlen, "openalex: empty query");

    prov__sb_t f;
    prov__sb_init(&f, a);
    prov__sb_puts(&f, "title.search:");
    prov__sb_put_encoded(&f, clean);
    out->pushed = openalex_filters(&f, q);
    prov__sb_t u;
    prov__sb_init(&u, a);
    prov__sb_puts(&u, ps->base_url);
    prov__sb_puts(&u, "/works");
    return openalex_request(&u, "?", &f, "&sort=relevance_score:desc",
                            prov__clamp_results(ps->max_results, OPENALEX_TITLE_RESULTS), ps, a,
                            out, err, errlen);
}

typedef struct word_at {
    long long pos;
    size_t seq; /* arrival order, to keep qsort's result deterministic */
    const char *word;
} word_at_t;

static int word_at_cmp(const void *x, const void *y)
{
    const word_at_t *a = x, *b = y;
    if (a->pos != b->pos) return a->pos < b->pos ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* "https://openalex.org/W123" -> "W123". */
static const char *short_id(const char *id)
{
    const char *slash = strrchr(id, '/');
    return slash != NULL && slash[1] != '\0' ? slash + 1 : id;
}

/* ---- answer: one work object (prov__openalex_item), wherever it stands ---- */

enum {
    OA_ID = 1,
    OA_DOI,
    OA_TITLE,
    OA_DISPLAY_NAME,
    OA_IDS,
    OA_IDS_DOI,
    OA_IDS_ARXIV,
    OA_YEAR,
    OA_DATE,
    OA_AUTHORSHIPS,
    OA_AUTHORSHIP,
    OA_AUTHOR,
    OA_AUTHOR_NAME,
    OA_RAW_AUTHOR_NAME,
    OA_INDEX,
    OA_INDEX_WORD,
    OA_INDEX_POS,
    OA_PRIMARY,
    OA_PRIMARY_LANDING,
    OA_PRIMARY_PDF,
    OA_PRIMARY_SOURCE,
    OA_PRIMARY_SOURCE_NAME,
    OA_LOCATIONS,
    OA_LOCATION,
    OA_LOCATION_LANDING,
    OA_LOCATION_PDF,
    OA_BEST,
    OA_BEST_PDF,
    OA_OA,
    OA_OA_IS,
    OA_OA_URL,
    OA_CITES,
    OA_TYPE,
    OA_TYPE_CROSSREF,
    OA_TOPIC,
    OA_TOPIC_FIELD,
    OA_TOPIC_FIELD_NAME,
    OA_TOPIC_SUBFIELD,
    OA_TOPIC_SUBFIELD_NAME,
};

static const prov_jnode_t oa_ids_fields[] = {
    {.key = "doi", .slot = OA_IDS_DOI},
    {.key = "arxiv", .slot = OA_IDS_ARXIV},
    {0},
};
static const prov_jnode_t oa_author_fields[] = {{.key = "display_name", .slot = OA_AUTHOR_NAME},
                                                {0}};
static const prov_jnode_t oa_authorship_fields[] = {
    {.key = "author", .slot = OA_AUTHOR, .fields = oa_author_fields},
    {.key = "raw_author_name", .slot = OA_RAW_AUTHOR_NAME},
    {0},
};
static const prov_jnode_t oa_authorship = {.slot = OA_AUTHORSHIP, .fields = oa_authorship_fields};
static const prov_jnode_t oa_index_pos = {.slot = OA_INDEX_POS};
static const prov_jnode_t oa_index_fields[] = {
    {.key = PROV_JANY, .slot = OA_INDEX_WORD, .elem = &oa_index_pos},
    {0},
};
static const prov_jnode_t oa_source_fields[] = {
    {.key = "display_name", .slot = OA_PRIMARY_SOURCE_NAME}, {0}};
static const prov_jnode_t oa_primary_fields[] = {
    {.key = "landing_page_url", .slot = OA_PRIMARY_LANDING},
    {.key = "pdf_url", .slot = OA_PRIMARY_PDF},
    {.key = "source", .slot = OA_PRIMARY_SOURCE, .fields = oa_source_fields},
    {0},
};
static const prov_jnode_t oa_location_fields[] = {
    {.key = "landing_page_url", .slot = OA_LOCATION_LANDING},
    {.key = "pdf_url", .slot = OA_LOCATION_PDF},
    {0},
};
static const prov_jnode_t oa_location = {.slot = OA_LOCATION, .fields = oa_location_fields};
static const prov_jnode_t oa_best_fields[] = {{.key = "pdf_url", .slot = OA_BEST_PDF}, {0}};
static const prov_jnode_t oa_oa_fields[] = {
    {.key = "is_oa", .slot = OA_OA_IS},
    {.key = "oa_url", .slot = OA_OA_URL},
    {0},
};
static const prov_jnode_t oa_field_fields[] = {{.key = "display_name", .slot = OA_TOPIC_FIELD_NAME},
                                               {0}};
static const prov_jnode_t oa_subfield_fields[] = {
    {.key = "display_name", .slot = OA_TOPIC_SUBFIELD_NAME}, {0}};
static const prov_jnode_t oa_topic_fields[] = {
    {.key = "field", .slot = OA_TOPIC_FIELD, .fields = oa_field_fields},
    {.key = "subfield", .slot = OA_TOPIC_SUBFIELD, .fields = oa_subfield_fields},
    {0},
};
static const prov_jnode_t oa_work_fields[] = {
    {.key = "id", .slot = OA_ID},
    {.key = "doi", .slot = OA_DOI},
    {.key = "title", .slot = OA_TITLE},
    {.key = "display_name", .slot = OA_DISPLAY_NAME},
    {.key = "ids", .slot = OA_IDS, .fields = oa_ids_fields},
    {.key = "publication_year", .slot = OA_YEAR},
    {.key = "publication_date", .slot = OA_DATE},
    {.key = "authorships", .slot = OA_AUTHORSHIPS, .elem = &oa_authorship},
    {.key = "abstract_inverted_index", .slot = OA_INDEX, .fields = oa_index_fields},
    {.key = "primary_location", .slot = OA_PRIMARY, .fields = oa_primary_fields},
    {.key = "locations", .slot = OA_LOCATIONS, .elem = &oa_location},
    {.key = "best_oa_location", .slot = OA_BEST, .fields = oa_best_fields},
    {.key = "open_access", .slot = OA_OA, .fields = oa_oa_fields},
    {.key = "cited_by_count", .slot = OA_CITES},
    {.key = "type", .slot = OA_TYPE},
    {.key = "type_crossref", .slot = OA_TYPE_CROSSREF},
    {.key = "primary_topic", .slot = OA_TOPIC, .fields = oa_topic_fields},
    {0},
};

/* What one work object said, raw (in the item's scratch). */
typedef struct oa_item {
    const char *id, *doi, *title, *display_name, *ids_doi, *ids_arxiv, *date;
    const char *primary_landing, *primary_pdf, *venue, *best_pdf, *oa_url, *field, *subfield;
    const char *author, *raw_author;   /* of the authorship being read */
    const char *loc_landing, *loc_pdf; /* of the location being read */
    const char *word;                  /* the index word whose positions are read */
    long long year, cites;
    bool has_cites, is_oa, index_is_object;
    paper_type_t type, type_crossref;
    prov_jvec_t authors;    /* one name (raw) per authorship, or NULL */
    prov_jvec_t arxiv_urls; /* locations' URLs naming arXiv, in order */
    word_at_t *words;       /* the inverted index's (position, word) pairs */
    size_t nwords, words_cap;
} oa_item_t;

/* Only a URL naming arXiv can give an id (prov__arxiv_from()). */
static const char *arxiv_url(prov_js_t *js, const prov_jval_t *v)
{
    const char *s = prov__jv_str(v);
    return s != NULL && strcasestr(s, "arxiv") != NULL ? prov__jv_tmp(js, v) : NULL;
}

static int oa_open(prov_js_t *js, void *st, int slot, bool array)
{
    (void)array;
    oa_item_t *it = st;
    switch (slot) { /* a key given again: its last value counts */
    case OA_IDS:
        it->ids_doi = it->ids_arxiv = NULL;
        break;
    case OA_AUTHORSHIPS:
        it->authors.n = 0;
        break;
    case OA_AUTHORSHIP:
        it->author = it->raw_author = NULL;
        break;
    case OA_AUTHOR:
        it->author = NULL;
        break;
    case OA_INDEX:
        it->index_is_object = !array;
        it->nwords = 0;
        break;
    case OA_INDEX_WORD: {
        const char *k = prov_js_key(js, NULL);
        it->word = k != NULL ? arena_strdup(prov_js_tmp(js), k) : NULL;
        if (it->word == NULL) return -1;
        break;
    }
    case OA_PRIMARY:
        it->primary_landing = it->primary_pdf = it->venue = NULL;
        break;
    case OA_PRIMARY_SOURCE:
        it->venue = NULL;
        break;
    case OA_LOCATIONS:
        it->arxiv_urls.n = 0;
        break;
    case OA_LOCATION:
        it->loc_landing = it->loc_pdf = NULL;
        break;
    case OA_BEST:
        it->best_pdf = NULL;
        break;
    case OA_OA:
        it->is_oa = false;
        it->oa_url = NULL;
        break;
    case OA_TOPIC:
        it->field = it->subfield = NULL;
        break;
    case OA_TOPIC_FIELD:
        it->field = NULL;
        break;
    case OA_TOPIC_SUBFIELD:
        it->subfield = NULL;
        break;
    }
    return 0;
}

static int oa_close(prov_js_t *js, void *st, int slot)
{
    oa_item_t *it = st;
    if (slot == OA_AUTHORSHIP)
        return prov__jvec_push(js, &it->authors, it->author != NULL ? it->author : it->raw_author);
    if (slot == OA_LOCATION)
        return prov__jvec_push(js, &it->arxiv_urls, it->loc_landing) < 0 ||
                       prov__jvec_push(js, &it->arxiv_urls, it->loc_pdf) < 0
                   ? -1
                   : 0;
    return 0;
}

/* One position of the current index word; positions past
 * OPENALEX_MAX_ABSTRACT_WORDS are left out (never allocating up to the
 * largest position, which a hostile body could make huge). */
static int oa_word_at(prov_js_t *js, oa_item_t *it, const prov_jval_t *v)
{
    if (v->type != PROV_JV_INT || v->i < 0 || it->word == NULL) return 0;
    if (it->nwords >= OPENALEX_MAX_ABSTRACT_WORDS) return 0;
    if (it->nwords == it->words_cap) {
        size_t cap = it->words_cap ? it->words_cap * 2 : 256;
        word_at_t *w = arena_alloc(prov_js_tmp(js), cap * sizeof *w);
        if (w == NULL) return -1;
        if (it->nwords) memcpy(w, it->words, it->nwords * sizeof *w);
        it->words = w;
        it->words_cap = cap;
    }
    it->words[it->nwords] = (word_at_t){.pos = v->i, .seq = it->nwords, .word = it->word};
    it->nwords++;
    return 0;
}

static int oa_value(prov_js_t *js, void *st, int slot, const prov_jval_t *v)
{
    oa_item_t *it = st;
    switch (slot) {
    case OA_ID:
        it->id = prov__jv_tmp(js, v);
        break;
    case OA_DOI:
        it->doi = prov__jv_tmp(js, v);
        break;
    case OA_TITLE:
        it->title = prov__jv_tmp(js, v);
        break;
    case OA_DISPLAY_NAME:
        it->display_name = prov__jv_tmp(js, v);
        break;
    case OA_IDS_DOI:
        it->ids_doi = prov__jv_tmp(js, v);
        break;
    case OA_IDS_ARXIV:
        it->ids_arxiv = prov__jv_tmp(js, v);
        break;
    case OA_YEAR:
        it->year = prov__jv_int(v, 0);
        break;
    case OA_DATE:
        it->date = prov__jv_tmp(js, v);
        break;
    case OA_AUTHOR_NAME:
        it->author = prov__jv_tmp(js, v);
        break;
    case OA_RAW_AUTHOR_NAME:
        it->raw_author = prov__jv_tmp(js, v);
        break;
    case OA_INDEX_POS:
        return oa_word_at(js, it, v);
    case OA_PRIMARY_LANDING:
        it->primary_landing = prov__jv_tmp(js, v);
        break;
    case OA_PRIMARY_PDF:
        it->primary_pdf = prov__jv_tmp(js, v);
        break;
    case OA_PRIMARY_SOURCE_NAME:
        it->venue = prov__jv_tmp(js, v);
        break;
    case OA_LOCATION_LANDING:
        it->loc_landing = arxiv_url(js, v);
        break;
    case OA_LOCATION_PDF:
        it->loc_pdf = arxiv_url(js, v);
        break;
    case OA_BEST_PDF:
        it->best_pdf = prov__jv_tmp(js, v);
        break;
    case OA_OA_IS:
        it->is_oa = v->type == PROV_JV_TRUE;
        break;
    case OA_OA_URL:
        it->oa_url = prov__jv_tmp(js, v);
        break;
    case OA_CITES:
        it->cites = prov__jv_int(v, -1);
        it->has_cites = true;
        break;
    case OA_TYPE:
        it->type = prov__jv_type(v);
        break;
    case OA_TYPE_CROSSREF:
        it->type_crossref = prov__jv_type(v);
        break;
    case OA_TOPIC_FIELD_NAME:
        it->field = prov__jv_tmp(js, v);
        break;
    case OA_TOPIC_SUBFIELD_NAME:
        it->subfield = prov__jv_tmp(js, v);
        break;
    case OA_INDEX_WORD: /* not a list of positions: none */
        it->word = NULL;
        break;
    case OA_INDEX: /* not an object: no abstract */
        it->index_is_object = false;
        it->nwords = 0;
        break;
    /* Not an object or array where one belongs: as if absent. */
    default:
        return oa_open(js, st, slot, false);
    }
    return 0;
}

/* The abstract from the index's words sorted by position. NULL when none. */
static char *oa_abstract(prov_js_t *js, oa_item_t *it)
{
    if (!it->index_is_object || it->nwords == 0) return NULL;
    size_t n = it->nwords;
    /* The positions are nearly always 0..n-1: each word straight to its
     * place (linear), unless they are sparse or two words share one; then
     * sorted (stable by arrival either way). */
    long long max = 0;
    for (size_t i = 0; i < n; i++)
        if (it->words[i].pos > max) max = it->words[i].pos;
    const char **at = NULL;
    if (max < 2 * (long long)n + 16) {
        at = arena_calloc(prov_js_tmp(js), (size_t)max + 1, sizeof *at);
        for (size_t i = 0; at != NULL && i < n; i++) {
            if (at[it->words[i].pos] != NULL)
                at = NULL; /* shared: sort instead */
            else
                at[it->words[i].pos] = it->words[i].word;
        }
    }
    if (at == NULL) qsort(it->words, n, sizeof *it->words, word_at_cmp);
    prov__sb_t b;
    prov__sb_init(&b, prov_js_tmp(js));
    size_t k = 0;
    for (size_t i = 0; i < (at != NULL ? (size_t)max + 1 : n); i++) {
        const char *w = at != NULL ? at[i] : it->words[i].word;
        if (w == NULL) continue;
        if (k++ > 0) prov__sb_putn(&b, " ", 1);
        prov__sb_puts(&b, w);
    }
    char *s = prov__sb_str(&b);
    return s != NULL ? prov__abstract(prov_js_arena(js), s, b.len) : NULL;
}

/* The paper from what its work object said; one with neither id nor title
 * is left out. */
static int oa_finish(prov_js_t *js, void *st, paper_t *p, const char **id)
{
    oa_item_t *it = st;
    arena_t *a = prov_js_arena(js);
    if (it->id == NULL && it->title == NULL) return 1;
    const char *s = it->title != NULL ? it->title : it->display_name;
    if (s != NULL) {
        char *t = prov__strip_markup(a, s, strlen(s));
        if (t != NULL) p->title = t;
    }
    p->abstract = oa_abstract(js, it);

    prov_jvec_t names = {0};
    for (size_t i = 0; i < it->authors.n; i++) {
        char *c = paper_clean_text(a, it->authors.v[i], strlen(it->authors.v[i]));
        if (c != NULL && prov__jvec_push(js, &names, c) < 0) return -1;
    }
    if (prov__jvec_set_authors(js, &names, p) < 0) return -1;

    /* The top-level doi may be a publisher's or a repository's; ids.doi is
     * the fallback. A 10.48550/arxiv.* DOI also gives the arXiv id. */
    if ((s = it->doi) != NULL) p->doi = paper_normalize_doi(a, s, strlen(s));
    if (p->doi == NULL && (s = it->ids_doi) != NULL) p->doi = paper_normalize_doi(a, s, strlen(s));
    prov__arxiv_from(p, a, p->doi);
    prov__arxiv_from(p, a, it->ids_doi);
    prov__arxiv_from(p, a, it->ids_arxiv);
    prov__arxiv_from(p, a, it->primary_landing);
    for (size_t i = 0; i < it->arxiv_urls.n && p->arxiv_id == NULL; i++)
        prov__arxiv_from(p, a, it->arxiv_urls.v[i]);

    p->year = it->year > 0 && it->year < 10000 ? (int)it->year : 0;
    if ((s = it->date) != NULL) {
        p->published = prov__date_of(a, s);
        if (p->year == 0) p->year = prov__year_of(s);
    }
    if (p->published == NULL && p->year > 0) p->published = arena_sprintf(a, "%04d", p->year);

    if ((s = it->venue) != NULL) p->venue = paper_clean_text(a, s, strlen(s));
    p->citations = it->has_cites && it->cites >= 0 ? it->cites : -1;
    /* OpenAlex's type calls a conference paper an "article"; its Crossref
     * type ("proceedings-article") tells them apart. */
    p->type = it->type_crossref == PAPER_TYPE_PROCEEDINGS ? PAPER_TYPE_PROCEEDINGS
              : it->type != PAPER_TYPE_UNKNOWN            ? it->type
                                                          : it->type_crossref;

    p->open_access = it->is_oa;
    s = it->oa_url != NULL ? it->oa_url : it->best_pdf != NULL ? it->best_pdf : it->primary_pdf;
    if (s != NULL) p->pdf_url = arena_strdup(a, s);

    if (it->primary_landing != NULL)
        p->url = arena_strdup(a, it->primary_landing);
    else if (p->doi != NULL)
        p->url = arena_sprintf(a, "https://doi.org/%s", p->doi);
    else if (it->id != NULL)
        p->url = arena_strdup(a, it->id);

    /* Topics as categories: the primary topic's field and subfield. */
    prov_jvec_t topics = {0};
    size_t cap = 0;
    if (prov__jvec_push(js, &topics, it->field) < 0 ||
        prov__jvec_push(js, &topics, it->subfield) < 0 ||
        prov__jvec_add_categories(js, &topics, p, &cap) < 0)
        return -1;
    *id = it->id != NULL ? arena_strdup(a, short_id(it->id)) : NULL;
    return 0;
}

const prov_jitem_t prov__openalex_item = {
    .fields = oa_work_fields,
    .state_size = sizeof(oa_item_t),
    .ops = {.open = oa_open, .close = oa_close, .value = oa_value},
    .finish = oa_finish,
};

/* ---- answer: the search's {meta{count,...}, results[], group_by[]} ---- */

enum { OAS_META = 1, OAS_COUNT, OAS_RESULTS, OAS_ERROR, OAS_MESSAGE };

static const prov_jnode_t oa_search_item = {.item = &prov__openalex_item};
static const prov_jnode_t oa_meta_fields[] = {{.key = "count", .slot = OAS_COUNT}, {0}};
static const prov_jnode_t oa_search_fields[] = {
    {.key = "meta", .slot = OAS_META, .fields = oa_meta_fields},
    {.key = "results", .slot = OAS_RESULTS, .elem = &oa_search_item},
    {.key = "error", .slot = OAS_ERROR},
    {.key = "message", .slot = OAS_MESSAGE},
    {0},
};

typedef struct oa_search {
    long count;
    bool has_count, results_is_list;
    char error[160], message[160];
} oa_search_t;

static int oa_search_open(prov_js_t *js, void *st, int slot, bool array)
{
    oa_search_t *s = st;
    if (slot == OAS_META) {
        s->has_count = false;
    } else if (slot == OAS_RESULTS) {
        s->results_is_list = array;
        prov_js_clear_items(js);
    }
    return 0;
}

static int oa_search_value(prov_js_t *js, void *st, int slot, const prov_jval_t *v)
{
    oa_search_t *s = st;
    switch (slot) {
    case OAS_COUNT:
        s->has_count = true;
        s->count = prov__jv_total(v);
        break;
    case OAS_ERROR:
        prov__jv_copy(v, s->error, sizeof s->error);
        break;
    case OAS_MESSAGE:
        prov__jv_copy(v, s->message, sizeof s->message);
        break;
    default:
        return oa_search_open(js, st, slot, false);
    }
    return 0;
}

/* An {error, message} body is an error. */
static int oa_search_finish(prov_js_t *js, void *st, long *total, char *err, size_t errlen)
{
    (void)js;
    oa_search_t *s = st;
    if (!s->results_is_list)
        return prov__fail(err, errlen, "openalex: %s%s%s",
                          s->error[0] ? s->error : "no \"results\" in response",
                          s->message[0] ? ": " : "", s->message);
    *total = s->has_count ? s->count : -1;
    return 0;
}

static const prov_jkind_t oa_search = {
    .source = SRC_OPENALEX,
    .root = {.fields = oa_search_fields},
    .state_size = sizeof(oa_search_t),
    .ops = {.open = oa_search_open, .value = oa_search_value},
    .finish = oa_search_finish,
};
/* ---- lookups by id ------------------------------------------------------------
 * One id: GET {base}/works/{W123 | doi:10.. | pmid:123}?select=..
 * More, all of one kind: GET {base}/works?filter=<doi|openalex|pmid>:a|b|..
 * &per-page=N&select=.., at most 100 values in one OR filter; the works
 * come in OpenAlex's order and are matched to the ids by DOI, W id or PMID. */
#define OPENALEX_OR_MAX 100

static int openalex_lookup_build(const paper_ref_t *ids, size_t n, const prov_settings_t *ps,
                                 arena_t *a, prov_request_t *out, char *err, size_t errlen)
{
    prov__sb_t u;
    prov__sb_init(&u, a);
    prov__sb_puts(&u, ps->base_url);
    if (n == 1) {
        const char *id = paper_ref_for(a, &ids[0], SRC_OPENALEX);
        if (!id) return prov__fail(err, errlen, "openalex: cannot look this id up");
        prov__sb_puts(&u, "/works/");
        prov__sb_put_path(&u, id);
        prov__sb_puts(&u, "?select=" OPENALEX_SELECT);
    } else {
        const char *filter = ids[0].kind == PAPER_REF_DOI        ? "doi"
                             : ids[0].kind == PAPER_REF_OPENALEX ? "openalex"
                             : ids[0].kind == PAPER_REF_PMID     ? "pmid"
                                                                 : NULL;
        if (!filter || n > OPENALEX_OR_MAX)
            return prov__fail(err, errlen, "openalex: cannot look these ids up in one call");
        prov__sb_printf(&u, "/works?filter=%s:", filter);
        for (size_t i = 0; i < n; i++) {
            if (ids[i].kind != ids[0].kind)
                return prov__fail(err, errlen, "openalex: one kind of id per call");
            if (i) prov__sb_puts(&u, "%7C"); /* "|": OR */
            prov__sb_put_encoded(&u, ids[i].value);
        }
        prov__sb_printf(&u, "&per-page=%zu", n);
        prov__sb_puts(&u, "&select=" OPENALEX_SELECT);
    }
    if (prov__has(ps->mailto)) prov__sb_param(&u, "mailto", ps->mailto);
    if (prov__has(ps->api_key)) prov__sb_param(&u, "api_key", ps->api_key);
    out->method = "GET";
    out->url = prov__sb_str(&u);
    if (out->url == NULL || prov__add_header(out, a, "Accept", "application/json") < 0)
        return prov__fail(err, errlen, "openalex: out of memory");
    return 0;
}

/* A DOI holding the OR-filter's separators ("," between filters, "|"
 * between values): OpenAlex would split it, so it goes alone to
 * /works/doi:..., where it is a path segment. */
static bool openalex_lookup_alone(const paper_ref_t *id)
{
    return id->kind == PAPER_REF_DOI && strpbrk(id->value, ",|") != NULL;
}

const prov_def_t prov_openalex = {
    .source = SRC_OPENALEX,
    .build = openalex_build,
    .json = &oa_search,
    .build_title = openalex_build_title,
    .lookup_build = openalex_lookup_build,
    .lookup_max = OPENALEX_OR_MAX,
    .lookup_mixed = false,
    .lookup_alone = openalex_lookup_alone,
};

/* ---- citation lists (providers/cites.h) ------------------------------------
 * Citing works: the list filter cites:W (numbered pages). References: the
 * work's referenced_works (W ids), then their works by OR-filters of at
 * most 100 ids. */

/* The query string's common tail: the search's fields, mailto, key. */
static void openalex_tail(prov__sb_t *u, const prov_settings_t *ps)
{
    prov__sb_puts(u, "&select=" OPENALEX_SELECT);
    if (prov__has(ps->mailto)) prov__sb_param(u, "mailto", ps->mailto);
    if (prov__has(ps->api_key)) prov__sb_param(u, "api_key", ps->api_key);
}

static int openalex_finish(prov__sb_t *u, arena_t *a, prov_request_t *out, char *err, size_t errlen)
{
    out->method = "GET";
    out->url = prov__sb_str(u);
    if (out->url == NULL || prov__add_header(out, a, "Accept", "application/json") < 0)
        return prov__fail(err, errlen, "openalex: out of memory");
    return 0;
}

/* A W id as OpenAlex writes it: 'W' and digits only (it goes in a filter). */
static bool openalex_wid_ok(const char *w)
{
    if (w == NULL || (w[0] != 'W' && w[0] != 'w') || w[1] == '\0') return false;
    for (const char *c = w + 1; *c; c++)
        if (*c < '0' || *c > '9') return false;
    return true;
}

/* An arena copy of a W id as OpenAlex writes it ("w12" -> "W12"). */
static char *openalex_wid_dup(arena_t *a, const char *w)
{
    char *c = arena_strdup(a, w);
    if (c != NULL) c[0] = 'W';
    return c;
}

int prov_openalex_work_build(const char *oa_id, const prov_settings_t *ps, arena_t *a,
                             prov_request_t *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    if (ps == NULL || !prov__has(ps->base_url))
        return prov__fail(err, errlen, "openalex: no base URL");
    if (!prov__has(oa_id)) return prov__fail(err, errlen, "openalex: no work id");
    prov__sb_t u;
    prov__sb_init(&u, a);
    prov__sb_puts(&u, ps->base_url);
    prov__sb_puts(&u, "/works/");
    prov__sb_put_path(&u, oa_id);
    prov__sb_puts(&u, "?select=id,doi,referenced_works");
    if (prov__has(ps->mailto)) prov__sb_param(&u, "mailto", ps->mailto);
    if (prov__has(ps->api_key)) prov__sb_param(&u, "api_key", ps->api_key);
    return openalex_finish(&u, a, out, err, errlen);
}

/* The work's shape: {id, doi, referenced_works: [W url, ...]}; no item. */
enum { OAW_ID = 1, OAW_REFS, OAW_REF };

typedef struct oa_work {
    const char *wid;
    const char **refs;
    size_t nrefs, cap;
} oa_work_t;

static int oaw_open(prov_js_t *js, void *st, int slot, bool array)
{
    (void)js, (void)array;
    oa_work_t *w = st;
    if (slot == OAW_REFS) w->nrefs = 0; /* given again: the last counts */
    return 0;
}

static int oaw_value(prov_js_t *js, void *st, int slot, const prov_jval_t *v)
{
    oa_work_t *w = st;
    arena_t *a = prov_js_arena(js);
    const char *s = prov__jv_str(v);
    if (slot == OAW_REFS) {
        w->nrefs = 0; /* not a list */
    } else if (slot == OAW_ID) {
        w->wid = NULL;
        if (s != NULL && openalex_wid_ok(short_id(s)) &&
            (w->wid = openalex_wid_dup(a, short_id(s))) == NULL)
            return -1;
    } else if (slot == OAW_REF && s != NULL && openalex_wid_ok(short_id(s))) {
        const char *r = openalex_wid_dup(a, short_id(s));
        if (r == NULL || prov__strv_add(a, &w->refs, &w->nrefs, &w->cap, r) < 0) return -1;
    }
    return 0;
}

static int oaw_finish(prov_js_t *js, void *st, long *total, char *err, size_t errlen)
{
    (void)js;
    *total = -1;
    if (((oa_work_t *)st)->wid == NULL)
        return prov__fail(err, errlen, "openalex: no work \"id\" in response");
    return 0;
}

static const prov_jnode_t oaw_ref = {.slot = OAW_REF};
static const prov_jnode_t oaw_fields[] = {
    {.key = "id", .slot = OAW_ID},
    {.key = "referenced_works", .slot = OAW_REFS, .elem = &oaw_ref},
    {0},
};
static const prov_jkind_t oa_work = {
    .source = SRC_OPENALEX,
    .root = {.fields = oaw_fields},
    .state_size = sizeof(oa_work_t),
    .ops = {.open = oaw_open, .value = oaw_value},
    .finish = oaw_finish,
};

int prov_openalex_work_parse(const char *body, size_t len, arena_t *a, const char **wid,
                             const char ***refs, size_t *nrefs, char *err, size_t errlen)
{
    *wid = NULL;
    *refs = NULL;
    *nrefs = 0;
    prov_js_t *js = prov__js_new(&oa_work, a);
    if (js == NULL) return prov__fail(err, errlen, "openalex: out of memory");
    prov__js_feed(js, body, len);
    prov_result_t res = {0};
    int rc = prov__js_finish(js, &res, err, errlen);
    oa_work_t w = *(oa_work_t *)prov_js_state(js);
    prov__js_free(js);
    if (rc < 0) return -1;
    *wid = w.wid;
    *refs = w.nrefs ? w.refs : NULL;
    *nrefs = w.nrefs;
    return 0;
}

int prov_openalex_cites_build(const char *wid, int page, int per_page, const prov_settings_t *ps,
                              arena_t *a, prov_request_t *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    if (ps == NULL || !prov__has(ps->base_url))
        return prov__fail(err, errlen, "openalex: no base URL");
    if (!openalex_wid_ok(wid)) return prov__fail(err, errlen, "openalex: not a work id");
    prov__sb_t u;
    prov__sb_init(&u, a);
    prov__sb_puts(&u, ps->base_url);
    prov__sb_printf(&u, "/works?filter=cites:%s&per-page=%d", wid,
                    prov__clamp_results(per_page, PROV_OPENALEX_PAGE_MAX));
    prov__sb_printf(&u, "&page=%d", page > 0 ? page : 1);
    openalex_tail(&u, ps);
    return openalex_finish(&u, a, out, err, errlen);
}

int prov_openalex_author_works_build(const char *author_id, int per_page, const prov_settings_t *ps,
                                     arena_t *a, prov_request_t *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    if (ps == NULL || !prov__has(ps->base_url))
        return prov__fail(err, errlen, "openalex: no base URL");
    if (!prov__has(author_id)) return prov__fail(err, errlen, "openalex: no author id");
    bool orcid = strncmp(author_id, "orcid:", 6) == 0;
    prov__sb_t u;
    prov__sb_init(&u, a);
    prov__sb_puts(&u, ps->base_url);
    prov__sb_puts(&u, orcid ? "/works?filter=author.orcid:" : "/works?filter=author.id:");
    prov__sb_puts(&u, orcid ? author_id + 6 : author_id);
    prov__sb_printf(&u, "&per-page=%d", prov__clamp_results(per_page, PROV_OPENALEX_PAGE_MAX));
    openalex_tail(&u, ps);
    return openalex_finish(&u, a, out, err, errlen);
}

int prov_openalex_ids_build(const char *const *wids, size_t n, const prov_settings_t *ps,
                            arena_t *a, prov_request_t *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    if (ps == NULL || !prov__has(ps->base_url))
        return prov__fail(err, errlen, "openalex: no base URL");
    if (n == 0 || n > PROV_OPENALEX_OR_MAX)
        return prov__fail(err, errlen, "openalex: 1 to %d ids", PROV_OPENALEX_OR_MAX);
    prov__sb_t u;
    prov__sb_init(&u, a);
    prov__sb_puts(&u, ps->base_url);
    prov__sb_puts(&u, "/works?filter=openalex:");
    for (size_t i = 0; i < n; i++) {
        if (!openalex_wid_ok(wids[i])) return prov__fail(err, errlen, "openalex: not a work id");
        if (i > 0) prov__sb_puts(&u, "|");
        prov__sb_puts(&u, wids[i]);
    }
    prov__sb_printf(&u, "&per-page=%zu", n);
    openalex_tail(&u, ps);
    return openalex_finish(&u, a, out, err, errlen);
}

/* A list's shape: the search's {meta{count}, results[]} and
 * meta.next_cursor. Slots past the search's OAS_* ones. */
enum { OAC_NEXT = 10 };

typedef struct oa_cites {
    oa_search_t s;
    const char *next;
} oa_cites_t;

static int oac_open(prov_js_t *js, void *st, int slot, bool array)
{
    oa_cites_t *c = st;
    if (slot == OAS_META) c->next = NULL;
    return oa_search_open(js, &c->s, slot, array);
}

static int oac_value(prov_js_t *js, void *st, int slot, const prov_jval_t *v)
{
    oa_cites_t *c = st;
    if (slot != OAC_NEXT) return oa_search_value(js, &c->s, slot, v);
    const char *s = prov__jv_str(v);
    c->next = s != NULL ? arena_strdup(prov_js_arena(js), s) : NULL;
    return s != NULL && c->next == NULL ? -1 : 0;
}

static const prov_jnode_t oac_meta_fields[] = {
    {.key = "count", .slot = OAS_COUNT},
    {.key = "next_cursor", .slot = OAC_NEXT},
    {0},
};
static const prov_jnode_t oac_fields[] = {
    {.key = "meta", .slot = OAS_META, .fields = oac_meta_fields},
    {.key = "results", .slot = OAS_RESULTS, .elem = &oa_search_item},
    {.key = "error", .slot = OAS_ERROR},
    {.key = "message", .slot = OAS_MESSAGE},
    {0},
};
static const prov_jkind_t oa_cites = {
    .source = SRC_OPENALEX,
    .root = {.fields = oac_fields},
    .state_size = sizeof(oa_cites_t),
    .ops = {.open = oac_open, .value = oac_value},
    .finish = oa_search_finish, /* its state is the first member */
};

int prov_openalex_list_parse(const char *body, size_t len, arena_t *a, cites_page_t *pg, char *err,
                             size_t errlen)
{
    prov_js_t *js = prov__js_new(&oa_cites, a);
    if (js == NULL) return prov__fail(err, errlen, "openalex: out of memory");
    prov__js_feed(js, body, len);
    prov_result_t res = {0};
    int rc = prov__js_finish(js, &res, err, errlen);
    oa_cites_t c = *(oa_cites_t *)prov_js_state(js);
    prov__js_free(js);
    if (rc < 0) return -1;
    size_t n0 = pg->papers.n;
    for (size_t k = 0; k < res.papers.n; k++) {
        paper_t *p = paper_list_add(&pg->papers, a);
        if (p == NULL) {
            pg->papers.n = n0;
            return prov__fail(err, errlen, "openalex: out of memory");
        }
        *p = res.papers.items[k];
        p->sources[0].rank = (int)pg->papers.n;
    }
    if (res.total > 0) pg->total = res.total;
    /* A cursor comes back after the last page too, with no results. */
    pg->more = c.next != NULL && res.papers.n > 0;
    pg->next = pg->more ? c.next : NULL;
    return 0;
}
