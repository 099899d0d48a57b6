/* arXiv adapter: the Atom 1.0 API (GET /api/query), parsed with libxml2.
 * A query that looks like a title is also asked as a title phrase (ti:"..."),
 * in the same call.
 *
 * Filters arXiv can do, in search_query: author (au:), category (cat:),
 * dates (submittedDate:[YYYYMMDDHHMM TO YYYYMMDDHHMM], the v1 submission
 * date, which the live API takes: without it a date-limited search gets
 * arXiv's all-time top hits and the merge's date filter keeps few or none).
 * Open access needs nothing (every arXiv paper is open). Sort by citations
 * cannot be done (arXiv has no counts): relevance is asked instead. */
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "providers/common.h"

#define ARXIV_MAX_RESULTS 2000 /* per call, from the API manual */
#define ARXIV_TITLE_RESULTS 10 /* a title names few papers */

static const char NS_ATOM[] = "http://www.w3.org/2005/Atom";
static const char NS_ARXIV[] = "http://arxiv.org/schemas/atom";
static const char NS_OPENSEARCH[] = "http://a9.com/-/spec/opensearch/1.1/";

/* ---- request ---- */

/* Characters of arXiv's query syntax that a user's word must not carry. */
static bool arxiv_syntax_char(char c)
{
    return strchr("\"()[]{}:\\^~*?!+", c) != NULL;
}

/* True when text has a word that is not a stop word. */
static bool has_content_word(const char *text)
{
    const char *p = text;
    while (*p != '\0') {
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
            p++;
        const char *w = p;
        while (*p != '\0' && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
            p++;
        if (p > w && !paper_is_stop_word(w, (size_t)(p - w))) return true;
    }
    return false;
}

/* Appends "<prefix>word AND <prefix>word..." for the words of text; returns
 * how many terms were added. With skip_stop, stop words are left out (a
 * pasted title's "a", "for", "of" must not be required terms). */
static int add_terms(prov__sb_t *q, arena_t *a, const char *prefix, const char *text,
                     bool skip_stop)
{
    int n = 0;
    const char *p = text;
    while (*p != '\0') {
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
            p++;
        const char *w = p;
        while (*p != '\0' && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
            p++;
        if (p == w) break;
        if (skip_stop && paper_is_stop_word(w, (size_t)(p - w))) continue;
        char *word = arena_strndup(a, w, (size_t)(p - w));
        if (word == NULL) {
            q->failed = true;
            return n;
        }
        size_t k = 0;
        for (size_t i = 0; word[i] != '\0'; i++)
            if (!arxiv_syntax_char(word[i])) word[k++] = word[i];
        word[k] = '\0';
        if (k == 0) continue;
        if (q->len > 0) prov__sb_puts(q, " AND ");
        prov__sb_puts(q, prefix);
        prov__sb_puts(q, word);
        n++;
    }
    return n;
}

/* "YYYY-MM-DD" -> "YYYYMMDD" into out[24]; false when d is not such a date. */
static bool compact_date(const char *d, char out[24])
{
    if (d == NULL || strlen(d) < 10 || d[4] != '-' || d[7] != '-') return false;
    memcpy(out, d, 4);
    memcpy(out + 4, d + 5, 2);
    memcpy(out + 6, d + 8, 2);
    out[8] = '\0';
    for (int i = 0; i < 8; i++) {
        if (out[i] < '0' || out[i] > '9') {
            out[0] = '\0';
            return false;
        }
    }
    return true;
}

/* Appends " AND submittedDate:[from TO to]" for the query's dates or years. */
static void add_date_range(prov__sb_t *sq, const query_t *q)
{
    char from[24] = "", to[24] = "";
    if (!compact_date(q->date_from, from) && q->year_from > 0)
        snprintf(from, sizeof(from), "%04d0101", q->year_from);
    if (!compact_date(q->date_to, to) && q->year_to > 0)
        snprintf(to, sizeof(to), "%04d1231", q->year_to);
    if (from[0] == '\0' && to[0] == '\0') return;
    prov__sb_printf(sq, " AND submittedDate:[%s0000 TO %s2359]",
                    from[0] != '\0' ? from : "19910101", to[0] != '\0' ? to : "99991231");
}

/* Appends the filters arXiv can do to sq: " AND au:.. AND cat:.." and the
 * date range. Returns how many au:/cat: terms were added. */
static int add_filters(prov__sb_t *sq, arena_t *a, const query_t *q)
{
    int terms = 0;
    if (prov__has(q->author)) terms += add_terms(sq, a, "au:", q->author, false);
    if (prov__has(q->category)) terms += add_terms(sq, a, "cat:", q->category, false);
    add_date_range(sq, q);
    return terms;
}

/* GET {base}/api/query?search_query=..&start=0&max_results=N&sortBy=..&sortOrder=descending. */
static int arxiv_request(const char *search_query, bool by_date, int max_results,
                         const prov_settings_t *ps, arena_t *a, prov_request_t *out, char *err,
                         size_t errlen)
{
    prov__sb_t u;
    prov__sb_init(&u, a);
    prov__sb_puts(&u, ps->base_url);
    prov__sb_puts(&u, "/api/query");
    if (search_query != NULL) prov__sb_param(&u, "search_query", search_query);
    prov__sb_puts(&u, "&start=0");
    prov__sb_printf(&u, "&max_results=%d", max_results);
    prov__sb_puts(&u, by_date ? "&sortBy=submittedDate" : "&sortBy=relevance");
    prov__sb_puts(&u, "&sortOrder=descending");
    out->method = "GET";
    out->url = prov__sb_str(&u);
    if (out->url == NULL || search_query == NULL ||
        prov__add_header(out, a, "Accept", "application/atom+xml") < 0)
        return prov__fail(err, errlen, "arxiv: out of memory");
    return 0;
}

/* Appends the words of text to b, one space between them, arXiv's syntax
 * characters left out of each (a phrase's inside: stop words kept).
 * Returns how many. */
static int add_phrase(prov__sb_t *b, arena_t *a, const char *text)
{
    int n = 0;
    const char *p = text;
    while (*p != '\0') {
        while (*p == ' ')
            p++;
        const char *w = p;
        while (*p != '\0' && *p != ' ')
            p++;
        if (p == w) break;
        char *word = arena_strndup(a, w, (size_t)(p - w));
        if (word == NULL) {
            b->failed = true;
            return n;
        }
        size_t k = 0;
        for (size_t i = 0; word[i] != '\0'; i++)
            if (!arxiv_syntax_char(word[i])) word[k++] = word[i];
        word[k] = '\0';
        if (k == 0) continue;
        if (n++ > 0) prov__sb_puts(b, " ");
        prov__sb_puts(b, word);
    }
    return n;
}

/* Builds GET {base}/api/query?search_query=..&start=0&max_results=N&sortBy=..&sortOrder=descending.
 * Each word of the text becomes an all:word term, joined by AND, with arXiv's
 * syntax characters removed from the words and stop words left out (unless
 * the text has nothing else). A text that looks like a title
 * (prov_title_query()) is also asked as a title phrase, in the same call:
 * ((all:w1 AND all:w2 ..) OR ti:"w1 of w2 ..") and the filters. arXiv's
 * own title means thus costs no second call against its limit of one call
 * per 3 s (a second call waited for the next slot: measured, a search of
 * three providers took the whole 5 s deadline instead of 2 s); a paper
 * matching both ranks higher in arXiv's relevance. */
static int arxiv_build(const query_t *q, const prov_settings_t *ps, arena_t *a, prov_request_t *out,
                       char *err, size_t errlen)
{
    prov__sb_t all;
    prov__sb_init(&all, a);
    const char *text = q->text != NULL ? q->text : "";
    int terms = add_terms(&all, a, "all:", text, has_content_word(text));
    prov__sb_t sq;
    prov__sb_init(&sq, a);
    prov__sb_t phrase;
    prov__sb_init(&phrase, a);
    if (terms > 0 && prov_title_query(q) && add_phrase(&phrase, a, text) > 1) {
        prov__sb_puts(&sq, "((");
        prov__sb_putn(&sq, all.p, all.len);
        prov__sb_puts(&sq, ") OR ti:\"");
        prov__sb_putn(&sq, phrase.p, phrase.len);
        prov__sb_puts(&sq, "\")");
    } else if (all.len > 0) {
        prov__sb_putn(&sq, all.p, all.len);
    }
    terms += add_filters(&sq, a, q);
    if (terms == 0) return prov__fail(err, errlen, "arxiv: the query has no searchable words");
    return arxiv_request(
        all.failed || phrase.failed ? NULL : prov__sb_str(&sq), q->sort == SORT_DATE,
        prov__clamp_results(ps->max_results, ARXIV_MAX_RESULTS), ps, a, out, err, errlen);
}

/* ---- response ---- */

static bool is_el(const xmlNode *n, const char *ns, const char *name)
{
    return n->type == XML_ELEMENT_NODE && n->ns != NULL && n->ns->href != NULL &&
           strcmp((const char *)n->ns->href, ns) == 0 && strcmp((const char *)n->name, name) == 0;
}

/* The whitespace-collapsed text of n in the arena, or NULL when empty. */
static char *el_text(arena_t *a, const xmlNode *n)
{
    xmlChar *c = xmlNodeGetContent(n);
    if (c == NULL) return NULL;
    char *s = paper_clean_text(a, (const char *)c, strlen((const char *)c));
    xmlFree(c);
    return s;
}

/* An attribute's value copied into the arena, or NULL when absent/empty. */
static char *el_attr(arena_t *a, const xmlNode *n, const char *name)
{
    xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
    if (v == NULL) return NULL;
    char *s = v[0] != '\0' ? paper_clean_text(a, (const char *)v, strlen((const char *)v)) : NULL;
    xmlFree(v);
    return s;
}

typedef struct entry_state {
    size_t ncat_cap, nauth_cap;
    const char *primary;
    const char *id_text;
    const char *summary;
} entry_state_t;

/* Reads one <entry>; returns 1 for a paper, 0 to skip it, -1 on OOM, -2 if
 * it is arXiv's error entry (message in err). */
static int parse_entry(const xmlNode *entry, arena_t *a, paper_t *p, char *err, size_t errlen)
{
    entry_state_t st = {0};
    const char **cats = NULL;
    size_t ncats = 0;
    for (const xmlNode *n = entry->children; n != NULL; n = n->next) {
        if (n->type != XML_ELEMENT_NODE || n->ns == NULL) continue;
        if (is_el(n, NS_ATOM, "id")) {
            st.id_text = el_text(a, n);
        } else if (is_el(n, NS_ATOM, "title")) {
            char *t = el_text(a, n);
            if (t != NULL) p->title = t;
        } else if (is_el(n, NS_ATOM, "summary")) {
            st.summary = el_text(a, n);
        } else if (is_el(n, NS_ATOM, "published")) {
            char *d = el_text(a, n);
            p->published = prov__date_of(a, d);
            p->year = prov__year_of(d);
        } else if (is_el(n, NS_ATOM, "author")) {
            for (const xmlNode *c = n->children; c != NULL; c = c->next) {
                if (!is_el(c, NS_ATOM, "name")) continue;
                char *name = el_text(a, c);
                if (name == NULL) continue;
                if (p->nauthors == st.nauth_cap) {
                    size_t cap = st.nauth_cap == 0 ? 8 : st.nauth_cap * 2;
                    const char **na = arena_alloc(a, cap * sizeof(*na));
                    if (na == NULL) return -1;
                    if (p->nauthors > 0) memcpy(na, p->authors, p->nauthors * sizeof(*na));
                    p->authors = na;
                    st.nauth_cap = cap;
                }
                p->authors[p->nauthors++] = name;
            }
        } else if (is_el(n, NS_ATOM, "link")) {
            char *href = el_attr(a, n, "href");
            char *rel = el_attr(a, n, "rel");
            char *title = el_attr(a, n, "title");
            char *type = el_attr(a, n, "type");
            if (href == NULL) continue;
            if (title != NULL && strcmp(title, "pdf") == 0)
                p->pdf_url = href;
            else if (type != NULL && strcmp(type, "application/pdf") == 0 && p->pdf_url == NULL)
                p->pdf_url = href;
            else if (rel != NULL && strcmp(rel, "alternate") == 0)
                p->url = href;
            else if (title != NULL && strcmp(title, "doi") == 0 && p->doi == NULL)
                p->doi = paper_normalize_doi(a, href, strlen(href));
        } else if (is_el(n, NS_ARXIV, "doi")) {
            char *d = el_text(a, n);
            char *doi = d != NULL ? paper_normalize_doi(a, d, strlen(d)) : NULL;
            if (doi != NULL) p->doi = doi; /* the element wins over the link */
        } else if (is_el(n, NS_ARXIV, "primary_category")) {
            st.primary = el_attr(a, n, "term");
        } else if (is_el(n, NS_ATOM, "category")) {
            char *term = el_attr(a, n, "term");
            if (term != NULL && prov__strv_add(a, &cats, &ncats, &st.ncat_cap, term) < 0) return -1;
        } else if (is_el(n, NS_ARXIV, "journal_ref")) {
            p->venue = el_text(a, n);
        }
    }

    const char *title = p->title;
    if (st.id_text != NULL && strstr(st.id_text, "/api/errors") != NULL &&
        strcmp(title, "Error") == 0) {
        prov__fail(err, errlen, "arxiv: API error: %s",
                   st.summary != NULL ? st.summary : st.id_text);
        return -2;
    }
    if (st.id_text == NULL && title[0] == '\0') return 0;

    p->abstract = st.summary;
    const char *version = NULL;
    if (st.id_text != NULL)
        p->arxiv_id = paper_normalize_arxiv_id(a, st.id_text, strlen(st.id_text), &version);
    p->arxiv_version = version;
    /* The primary category first, then the others in feed order. */
    if (st.primary != NULL) {
        const char **ordered = arena_alloc(a, (ncats + 1) * sizeof(*ordered));
        if (ordered == NULL) return -1;
        size_t k = 0;
        ordered[k++] = st.primary;
        for (size_t i = 0; i < ncats; i++)
            if (strcmp(cats[i], st.primary) != 0) ordered[k++] = cats[i];
        cats = ordered;
        ncats = k;
    }
    p->categories = cats;
    p->ncategories = ncats;
    p->open_access = true;
    if (p->url == NULL && p->arxiv_id != NULL)
        p->url = arena_sprintf(a, "https://arxiv.org/abs/%s", p->arxiv_id);
    if (p->pdf_url == NULL && p->arxiv_id != NULL)
        p->pdf_url = arena_sprintf(a, "https://arxiv.org/pdf/%s%s", p->arxiv_id,
                                   version != NULL ? version : "");
    const char *sid = st.id_text;
    if (p->arxiv_id != NULL)
        sid = version != NULL ? arena_sprintf(a, "%s%s", p->arxiv_id, version) : p->arxiv_id;
    p->sources[0].id = sid;
    return 1;
}

/* Parses an Atom feed. Element order and where namespaces are declared do
 * not matter (nodes are matched by namespace URI and local name). A DTD is
 * refused outright: no entity expansion, no network (XML_PARSE_NONET). */
static int arxiv_parse(const char *body, size_t len, arena_t *a, prov_result_t *out, char *err,
                       size_t errlen)
{
    memset(out, 0, sizeof(*out));
    out->total = -1;
    if (body == NULL || len == 0) return prov__fail(err, errlen, "arxiv: empty response body");
    /* xmlCtxtReadMemory takes an int size. (No <limits.h>: providers/limits.h
     * shadows it in this folder.) */
    if (len > (size_t)__INT_MAX__) return prov__fail(err, errlen, "arxiv: response too large");

    xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
    if (ctxt == NULL) return prov__fail(err, errlen, "arxiv: out of memory");
    int rc = -1;
    xmlDocPtr doc = xmlCtxtReadMemory(ctxt, body, (int)len, NULL, "UTF-8",
                                      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
                                          XML_PARSE_NOCDATA);
    if (doc == NULL) {
        const xmlError *e = xmlCtxtGetLastError(ctxt);
        char msg[160] = "not well-formed";
        if (e != NULL && e->message != NULL) {
            snprintf(msg, sizeof(msg), "%s", e->message);
            size_t m = strlen(msg);
            while (m > 0 && (msg[m - 1] == '\n' || msg[m - 1] == ' '))
                msg[--m] = '\0';
        }
        prov__fail(err, errlen, "arxiv: invalid XML: %s", msg);
        goto done;
    }
    if (doc->intSubset != NULL || doc->extSubset != NULL) {
        prov__fail(err, errlen, "arxiv: refusing an XML document with a DTD");
        goto done;
    }
    const xmlNode *feed = xmlDocGetRootElement(doc);
    if (feed == NULL || !is_el(feed, NS_ATOM, "feed")) {
        prov__fail(err, errlen, "arxiv: not an Atom feed");
        goto done;
    }
    int rank = 0;
    for (const xmlNode *n = feed->children; n != NULL; n = n->next) {
        if (is_el(n, NS_OPENSEARCH, "totalResults")) {
            char *t = el_text(a, n);
            char *end;
            long v = t != NULL ? strtol(t, &end, 10) : -1;
            if (t != NULL && *end == '\0' && v >= 0) out->total = v;
        } else if (is_el(n, NS_ATOM, "entry")) {
            paper_t *p = paper_list_add(&out->papers, a);
            if (p == NULL) {
                prov__fail(err, errlen, "arxiv: out of memory");
                goto done;
            }
            int r = parse_entry(n, a, p, err, errlen);
            if (r == -1) {
                prov__fail(err, errlen, "arxiv: out of memory");
                goto done;
            }
            if (r == -2) goto done;
            if (r == 0) {
                out->papers.n--; /* nothing usable in that entry */
                continue;
            }
            rank++;
            prov__set_source(p, SRC_ARXIV, p->sources[0].id, rank);
        }
    }
    rc = 0;
done:
    if (doc != NULL) xmlFreeDoc(doc);
    xmlFreeParserCtxt(ctxt);
    if (rc < 0) {
        out->papers.n = 0;
        out->total = -1;
    }
    return rc;
}

/* arXiv throttles with HTTP 200 (or 503) and a plain "Rate exceeded.",
 * and sometimes with 406 at its edge. */
static bool arxiv_throttled(long status, const char *body, size_t len)
{
    return status == 406 || (len >= 13 && strncasecmp(body, "Rate exceeded", 13) == 0);
}

/* arXiv's Atom error feed: one entry whose summary is the message. */
static void arxiv_markup_error(const char *body, size_t len, prov_msg_t *m)
{
    arena_t *a = arena_new(0);
    prov_result_t r;
    char err[512] = "";
    if (a != NULL && arxiv_parse(body, len, a, &r, err, sizeof err) < 0) {
        const char *e = strstr(err, "API error: ");
        if (e != NULL) prov_msg_lit(m, e + 11);
    }
    arena_free(a);
}

const prov_def_t prov_arxiv = {
    .source = SRC_ARXIV,
    .build = arxiv_build,
    .parse = arxiv_parse,
    .throttled = arxiv_throttled,
    .markup_error = arxiv_markup_error,
};
