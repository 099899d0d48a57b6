/* OpenAlex adapter: GET /works?search=..., and for a query that looks like
 * a title GET /works?filter=title.search:..., JSON parsed with jansson.
 *
 * Filters: years and dates (publication_year, from_/to_publication_date),
 * open access (is_oa:true); sort by date or citations. OpenAlex has no arXiv
 * categories, and its author filters want OpenAlex author ids, not a name:
 * those two are left to the merge. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "providers/common.h"

#define OPENALEX_MAX_RESULTS 200          /* per-page is 1..200 */
#define OPENALEX_MAX_ABSTRACT_WORDS 20000 /* bounds the inverted-index rebuild */
#define OPENALEX_TITLE_RESULTS 10         /* a title names few works */

/* Only the fields openalex_work() reads: a whole work is about 16 KB. */
#define OPENALEX_SELECT                                                                            \
    "id,doi,title,display_name,ids,publication_year,publication_date,authorships,"                 \
    "abstract_inverted_index,primary_location,locations,best_oa_location,open_access,"             \
    "cited_by_count,primary_topic"

/* Appends the query's filters to f, the filter value: name:value pairs
 * joined by ',' (AND). */
static void openalex_filters(prov__sb_t *f, const query_t *q)
{
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
    openalex_filters(&f, q);
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
    openalex_filters(&f, q);
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
    size_t seq; /* insertion order, to keep qsort's result deterministic */
    const char *word;
} word_at_t;

static int word_at_cmp(const void *x, const void *y)
{
    const word_at_t *a = x, *b = y;
    if (a->pos != b->pos) return a->pos < b->pos ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Rebuilds the abstract from {word: [positions]} by sorting the words by
 * position (never by allocating up to the largest position, which a hostile
 * body could make huge). NULL when absent or empty. */
static char *openalex_abstract(arena_t *a, const json_t *idx)
{
    if (!json_is_object(idx)) return NULL;
    size_t n = 0;
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)idx, key, val) n += json_array_size(val);
    if (n == 0) return NULL;
    if (n > OPENALEX_MAX_ABSTRACT_WORDS) n = OPENALEX_MAX_ABSTRACT_WORDS;
    word_at_t *w = malloc(n * sizeof(*w));
    if (w == NULL) return NULL;
    size_t k = 0;
    json_object_foreach((json_t *)idx, key, val)
    {
        for (size_t i = 0; i < json_array_size(val) && k < n; i++) {
            json_t *pos = json_array_get(val, i);
            if (!json_is_integer(pos) || json_integer_value(pos) < 0) continue;
            w[k].pos = (long long)json_integer_value(pos);
            w[k].seq = k;
            w[k].word = key;
            k++;
        }
    }
    qsort(w, k, sizeof(*w), word_at_cmp);
    prov__sb_t b;
    prov__sb_init(&b, a);
    for (size_t i = 0; i < k; i++) {
        if (i > 0) prov__sb_putn(&b, " ", 1);
        prov__sb_puts(&b, w[i].word);
    }
    free(w);
    char *s = prov__sb_str(&b);
    return s != NULL ? prov__abstract(a, s, b.len) : NULL;
}

/* "https://openalex.org/W123" -> "W123". */
static const char *short_id(const char *id)
{
    const char *slash = strrchr(id, '/');
    return slash != NULL && slash[1] != '\0' ? slash + 1 : id;
}

/* Reads one work into p; -1 on out of memory. */
static int openalex_work(const json_t *it, arena_t *a, paper_t *p)
{
    const char *s = prov__json_str(it, "title");
    if (s == NULL) s = prov__json_str(it, "display_name");
    if (s != NULL) {
        char *t = prov__strip_markup(a, s, strlen(s));
        if (t != NULL) p->title = t;
    }
    p->abstract = openalex_abstract(a, json_object_get(it, "abstract_inverted_index"));

    json_t *auths = prov__json_arr(it, "authorships");
    size_t na = json_array_size(auths);
    if (na > 0) {
        p->authors = arena_alloc(a, na * sizeof(*p->authors));
        if (p->authors == NULL) return -1;
        for (size_t i = 0; i < na; i++) {
            json_t *au = json_array_get(auths, i);
            const char *name = prov__json_str(prov__json_obj(au, "author"), "display_name");
            if (name == NULL) name = prov__json_str(au, "raw_author_name");
            char *c = name != NULL ? paper_clean_text(a, name, strlen(name)) : NULL;
            if (c != NULL) p->authors[p->nauthors++] = c;
        }
    }

    /* The top-level doi may be a publisher's or a repository's; ids.doi is
     * the fallback. A 10.48550/arxiv.* DOI also gives the arXiv id. */
    json_t *ids = prov__json_obj(it, "ids");
    if ((s = prov__json_str(it, "doi")) != NULL) p->doi = paper_normalize_doi(a, s, strlen(s));
    if (p->doi == NULL && (s = prov__json_str(ids, "doi")) != NULL)
        p->doi = paper_normalize_doi(a, s, strlen(s));
    prov__arxiv_from(p, a, p->doi);
    prov__arxiv_from(p, a, prov__json_str(ids, "doi"));
    prov__arxiv_from(p, a, prov__json_str(ids, "arxiv"));

    json_t *primary = prov__json_obj(it, "primary_location");
    json_t *locs = prov__json_arr(it, "locations");
    prov__arxiv_from(p, a, prov__json_str(primary, "landing_page_url"));
    for (size_t i = 0; i < json_array_size(locs) && p->arxiv_id == NULL; i++) {
        json_t *l = json_array_get(locs, i);
        prov__arxiv_from(p, a, prov__json_str(l, "landing_page_url"));
        prov__arxiv_from(p, a, prov__json_str(l, "pdf_url"));
    }

    long long year = prov__json_int(it, "publication_year", 0);
    p->year = year > 0 && year < 10000 ? (int)year : 0;
    if ((s = prov__json_str(it, "publication_date")) != NULL) {
        p->published = prov__date_of(a, s);
        if (p->year == 0) p->year = prov__year_of(s);
    }
    if (p->published == NULL && p->year > 0) p->published = arena_sprintf(a, "%04d", p->year);

    if ((s = prov__json_str(prov__json_obj(primary, "source"), "display_name")) != NULL)
        p->venue = paper_clean_text(a, s, strlen(s));
    long long cites = prov__json_int(it, "cited_by_count", -1);
    p->citations = cites >= 0 ? cites : -1;

    json_t *oa = prov__json_obj(it, "open_access");
    p->open_access = prov__json_bool(oa, "is_oa");
    if ((s = prov__json_str(oa, "oa_url")) != NULL) p->pdf_url = arena_strdup(a, s);
    if (p->pdf_url == NULL &&
        (s = prov__json_str(prov__json_obj(it, "best_oa_location"), "pdf_url")) != NULL)
        p->pdf_url = arena_strdup(a, s);
    if (p->pdf_url == NULL && (s = prov__json_str(primary, "pdf_url")) != NULL)
        p->pdf_url = arena_strdup(a, s);

    if ((s = prov__json_str(primary, "landing_page_url")) != NULL)
        p->url = arena_strdup(a, s);
    else if (p->doi != NULL)
        p->url = arena_sprintf(a, "https://doi.org/%s", p->doi);
    else if ((s = prov__json_str(it, "id")) != NULL)
        p->url = arena_strdup(a, s);

    /* Topics as categories: the primary topic's field and subfield. */
    json_t *topic = prov__json_obj(it, "primary_topic");
    size_t cap = 0;
    const char *names[] = {
        prov__json_str(prov__json_obj(topic, "field"), "display_name"),
        prov__json_str(prov__json_obj(topic, "subfield"), "display_name"),
    };
    for (size_t i = 0; i < 2; i++) {
        if (names[i] != NULL &&
            prov__strv_add(a, &p->categories, &p->ncategories, &cap, arena_strdup(a, names[i])) < 0)
            return -1;
    }
    return 0;
}

/* One entry of results[]; one with neither id nor title is left out. */
static int openalex_entry(const json_t *it, arena_t *a, paper_t *p, const char **id)
{
    const char *wid = prov__json_str(it, "id");
    if (wid == NULL && prov__json_str(it, "title") == NULL) return 1;
    if (openalex_work(it, a, p) < 0) return -1;
    *id = wid != NULL ? arena_strdup(a, short_id(wid)) : NULL;
    return 0;
}

/* The result list of {meta{count,...}, results[], group_by[]}; an {error, message} body
 * is an error. */
static const json_t *openalex_list(const json_t *root, long *total, char *err, size_t errlen)
{
    const json_t *results = prov__json_arr(root, "results");
    if (results == NULL) {
        const char *e = prov__json_str(root, "error");
        const char *m = prov__json_str(root, "message");
        prov__fail(err, errlen, "openalex: %s%s%s", e != NULL ? e : "no \"results\" in response",
                   m != NULL ? ": " : "", m != NULL ? m : "");
        return NULL;
    }
    *total = prov__json_total(prov__json_obj(root, "meta"), "count");
    return results;
}

const prov_def_t prov_openalex = {
    .source = SRC_OPENALEX,
    .build = openalex_build,
    .json_list = openalex_list,
    .build_title = openalex_build_title,
    .json_item = openalex_entry,
};
