/* arXiv adapter: the Atom 1.0 API (GET /api/query), read while it arrives
 * with libxml2's SAX2 push parser.
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

/* ---- response: the Atom feed read while it arrives (libxml2's SAX2 push parser) ---- */

/* What the feed's element being read is. */
typedef enum {
    AX_NONE,
    AX_TOTAL,     /* feed/opensearch:totalResults */
    AX_ID,        /* entry/id */
    AX_TITLE,     /* entry/title */
    AX_SUMMARY,   /* entry/summary */
    AX_PUBLISHED, /* entry/published */
    AX_DOI,       /* entry/arxiv:doi */
    AX_JOURNAL,   /* entry/arxiv:journal_ref */
    AX_NAME,      /* entry/author/name */
} ax_field_t;

typedef struct ax {
    prov_stream_t base; /* first */
    xmlParserCtxtPtr ctxt;
    arena_t *a;   /* papers */
    arena_t *tmp; /* the entry's scratch */
    int depth;    /* of the element open (the feed is 1) */
    bool not_feed, dtd, api_error, failed;
    bool fed;
    char err[256];
    prov_result_t out;
    int rank;
    /* The entry being read. */
    bool in_entry, in_author;
    const char *id_text, *summary, *primary;
    const char **cats, **authors;
    size_t ncats, cats_cap, nauthors, authors_cap;
    /* The text of the element being read (all of its descendants' text, as
     * xmlNodeGetContent() would give it). */
    ax_field_t field;
    int field_depth;
    char *text;
    size_t tlen, tcap;
} ax_t;

static bool is_ns(const xmlChar *uri, const char *ns)
{
    return uri != NULL && strcmp((const char *)uri, ns) == 0;
}

static bool is_name(const xmlChar *name, const char *want)
{
    return strcmp((const char *)name, want) == 0;
}

/* The first attribute called name (whatever its namespace, as
 * xmlGetProp()), whitespace collapsed, in a; NULL when absent or empty. */
static char *ax_attr(arena_t *a, int nattrs, const xmlChar **attrs, const char *name)
{
    for (int i = 0; i < nattrs; i++) {
        const xmlChar **at = attrs + 5 * i; /* localname, prefix, URI, value, end */
        if (!is_name(at[0], name)) continue;
        size_t len = (size_t)(at[4] - at[3]);
        return len > 0 ? paper_clean_text(a, (const char *)at[3], len) : NULL;
    }
    return NULL;
}

static void ax_fail(ax_t *ax, const char *msg)
{
    if (ax->failed) return;
    ax->failed = true;
    snprintf(ax->err, sizeof ax->err, "arxiv: %s", msg);
    xmlStopParser(ax->ctxt);
}

static void ax_oom(ax_t *ax)
{
    ax_fail(ax, "out of memory");
}

/* Appends s to a growable array in the entry's scratch. */
static bool ax_push(ax_t *ax, const char ***arr, size_t *n, size_t *cap, const char *s)
{
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 8;
        const char **na = arena_alloc(ax->tmp, c * sizeof *na);
        if (na == NULL) return false;
        if (*n) memcpy(na, *arr, *n * sizeof *na);
        *arr = na;
        *cap = c;
    }
    (*arr)[(*n)++] = s;
    return true;
}

static paper_t *ax_paper(ax_t *ax)
{
    return &ax->out.papers.items[ax->out.papers.n - 1];
}

static void ax_link(ax_t *ax, int nattrs, const xmlChar **attrs)
{
    paper_t *p = ax_paper(ax);
    char *href = ax_attr(ax->a, nattrs, attrs, "href");
    if (href == NULL) return;
    char *rel = ax_attr(ax->tmp, nattrs, attrs, "rel");
    char *title = ax_attr(ax->tmp, nattrs, attrs, "title");
    char *type = ax_attr(ax->tmp, nattrs, attrs, "type");
    if (title != NULL && strcmp(title, "pdf") == 0)
        p->pdf_url = href;
    else if (type != NULL && strcmp(type, "application/pdf") == 0 && p->pdf_url == NULL)
        p->pdf_url = href;
    else if (rel != NULL && strcmp(rel, "alternate") == 0)
        p->url = href;
    else if (title != NULL && strcmp(title, "doi") == 0 && p->doi == NULL)
        p->doi = paper_normalize_doi(ax->a, href, strlen(href));
}

static void ax_start(void *ctx, const xmlChar *name, const xmlChar *prefix, const xmlChar *uri,
                     int nns, const xmlChar **ns, int nattrs, int ndefaulted, const xmlChar **attrs)
{
    (void)prefix, (void)nns, (void)ns, (void)ndefaulted;
    ax_t *ax = ((xmlParserCtxtPtr)ctx)->_private;
    int d = ++ax->depth;
    if (ax->failed || ax->not_feed || ax->api_error || ax->field != AX_NONE) return;
    if (d == 1) {
        ax->not_feed = !(is_ns(uri, NS_ATOM) && is_name(name, "feed"));
        return;
    }
    ax_field_t f = AX_NONE;
    if (d == 2) {
        if (is_ns(uri, NS_OPENSEARCH) && is_name(name, "totalResults")) {
            f = AX_TOTAL;
        } else if (is_ns(uri, NS_ATOM) && is_name(name, "entry")) {
            arena_reset(ax->tmp);
            if (paper_list_add(&ax->out.papers, ax->a) == NULL) return ax_oom(ax);
            ax->in_entry = true;
            ax->in_author = false;
            ax->id_text = ax->summary = ax->primary = NULL;
            ax->cats = ax->authors = NULL;
            ax->ncats = ax->cats_cap = ax->nauthors = ax->authors_cap = 0;
        }
    } else if (d == 3 && ax->in_entry) {
        if (is_ns(uri, NS_ATOM)) {
            if (is_name(name, "id"))
                f = AX_ID;
            else if (is_name(name, "title"))
                f = AX_TITLE;
            else if (is_name(name, "summary"))
                f = AX_SUMMARY;
            else if (is_name(name, "published"))
                f = AX_PUBLISHED;
            else if (is_name(name, "author"))
                ax->in_author = true;
            else if (is_name(name, "link"))
                ax_link(ax, nattrs, attrs);
            else if (is_name(name, "category")) {
                char *term = ax_attr(ax->a, nattrs, attrs, "term");
                if (term != NULL &&
                    prov__strv_add(ax->tmp, &ax->cats, &ax->ncats, &ax->cats_cap, term) < 0)
                    return ax_oom(ax);
            }
        } else if (is_ns(uri, NS_ARXIV)) {
            if (is_name(name, "doi"))
                f = AX_DOI;
            else if (is_name(name, "journal_ref"))
                f = AX_JOURNAL;
            else if (is_name(name, "primary_category"))
                ax->primary = ax_attr(ax->a, nattrs, attrs, "term");
        }
    } else if (d == 4 && ax->in_author && is_ns(uri, NS_ATOM) && is_name(name, "name")) {
        f = AX_NAME;
    }
    if (f != AX_NONE) {
        ax->field = f;
        ax->field_depth = d;
        ax->tlen = 0;
    }
}

static void ax_text(void *ctx, const xmlChar *ch, int len)
{
    ax_t *ax = ((xmlParserCtxtPtr)ctx)->_private;
    if (ax->field == AX_NONE || ax->failed || len <= 0) return;
    size_t n = (size_t)len;
    if (ax->tlen + n + 1 > ax->tcap) {
        size_t cap = ax->tcap ? ax->tcap : 1024;
        while (cap < ax->tlen + n + 1)
            cap *= 2;
        char *t = realloc(ax->text, cap);
        if (t == NULL) return ax_oom(ax);
        ax->text = t;
        ax->tcap = cap;
    }
    memcpy(ax->text + ax->tlen, ch, n);
    ax->tlen += n;
}

/* The element read is complete: its text, whitespace collapsed, where it goes. */
static void ax_field_done(ax_t *ax)
{
    ax_field_t f = ax->field;
    ax->field = AX_NONE;
    if (f == AX_TOTAL) {
        char *t = paper_clean_text(ax->tmp, ax->text, ax->tlen);
        char *end;
        long v = t != NULL ? strtol(t, &end, 10) : -1;
        if (t != NULL && *end == '\0' && v >= 0) ax->out.total = v;
        return;
    }
    paper_t *p = ax_paper(ax);
    arena_t *keep = f == AX_ID || f == AX_PUBLISHED || f == AX_DOI ? ax->tmp : ax->a;
    char *t = paper_clean_text(keep, ax->text, ax->tlen);
    switch (f) {
    case AX_ID:
        ax->id_text = t;
        break;
    case AX_TITLE:
        if (t != NULL) p->title = t;
        break;
    case AX_SUMMARY:
        ax->summary = t;
        break;
    case AX_PUBLISHED:
        p->published = prov__date_of(ax->a, t);
        p->year = prov__year_of(t);
        break;
    case AX_DOI: {
        char *doi = t != NULL ? paper_normalize_doi(ax->a, t, strlen(t)) : NULL;
        if (doi != NULL) p->doi = doi; /* the element wins over the link */
        break;
    }
    case AX_JOURNAL:
        p->venue = t;
        break;
    case AX_NAME:
        if (t != NULL && !ax_push(ax, &ax->authors, &ax->nauthors, &ax->authors_cap, t)) ax_oom(ax);
        break;
    default:
        break;
    }
}

/* The entry is complete: a paper, left out when it has neither id nor
 * title, or arXiv's error entry, which fails the answer. */
static void ax_entry_done(ax_t *ax)
{
    ax->in_entry = false;
    paper_t *p = ax_paper(ax);
    arena_t *a = ax->a;
    const char *title = p->title;
    if (ax->id_text != NULL && strstr(ax->id_text, "/api/errors") != NULL &&
        strcmp(title, "Error") == 0) {
        ax->api_error = true;
        snprintf(ax->err, sizeof ax->err, "arxiv: API error: %s",
                 ax->summary != NULL ? ax->summary : ax->id_text);
        return;
    }
    if (ax->id_text == NULL && title[0] == '\0') {
        ax->out.papers.n--; /* nothing usable in that entry */
        return;
    }
    p->abstract = ax->summary;
    if (ax->nauthors > 0) {
        p->authors = arena_alloc(a, ax->nauthors * sizeof *p->authors);
        if (p->authors == NULL) return ax_oom(ax);
        memcpy(p->authors, ax->authors, ax->nauthors * sizeof *p->authors);
        p->nauthors = ax->nauthors;
    }
    const char *version = NULL;
    if (ax->id_text != NULL)
        p->arxiv_id = paper_normalize_arxiv_id(a, ax->id_text, strlen(ax->id_text), &version);
    p->arxiv_version = version;
    /* The primary category first, then the others in feed order. */
    size_t ncats = ax->ncats + (ax->primary != NULL);
    if (ncats > 0) {
        const char **ordered = arena_alloc(a, ncats * sizeof *ordered);
        if (ordered == NULL) return ax_oom(ax);
        size_t k = 0;
        if (ax->primary != NULL) ordered[k++] = ax->primary;
        for (size_t i = 0; i < ax->ncats; i++)
            if (ax->primary == NULL || strcmp(ax->cats[i], ax->primary) != 0)
                ordered[k++] = ax->cats[i];
        p->categories = ordered;
        p->ncategories = k;
    }
    p->open_access = true;
    p->type = PAPER_TYPE_PREPRINT; /* arXiv holds preprints; the published copy comes from others */
    if (p->url == NULL && p->arxiv_id != NULL)
        p->url = arena_sprintf(a, "https://arxiv.org/abs/%s", p->arxiv_id);
    if (p->pdf_url == NULL && p->arxiv_id != NULL)
        p->pdf_url = arena_sprintf(a, "https://arxiv.org/pdf/%s%s", p->arxiv_id,
                                   version != NULL ? version : "");
    const char *sid = ax->id_text != NULL ? arena_strdup(a, ax->id_text) : NULL;
    if (p->arxiv_id != NULL)
        sid = version != NULL ? arena_sprintf(a, "%s%s", p->arxiv_id, version) : p->arxiv_id;
    prov__set_source(p, SRC_ARXIV, sid, ++ax->rank);
}

static void ax_end(void *ctx, const xmlChar *name, const xmlChar *prefix, const xmlChar *uri)
{
    (void)name, (void)prefix, (void)uri;
    ax_t *ax = ((xmlParserCtxtPtr)ctx)->_private;
    int d = ax->depth--;
    if (ax->failed || ax->not_feed || ax->api_error) return;
    if (ax->field != AX_NONE) {
        if (d == ax->field_depth) ax_field_done(ax);
        return;
    }
    if (d == 3) ax->in_author = false;
    if (d == 2 && ax->in_entry) ax_entry_done(ax);
}

/* A DTD is refused outright, before its declarations are read: no entity
 * expansion, no network (XML_PARSE_NONET too). */
static void ax_subset(void *ctx, const xmlChar *name, const xmlChar *ext, const xmlChar *sys)
{
    (void)name, (void)ext, (void)sys;
    ax_t *ax = ((xmlParserCtxtPtr)ctx)->_private;
    ax->dtd = true;
    ax_fail(ax, "refusing an XML document with a DTD");
}

static void ax_quiet(void *data, xmlErrorPtr e)
{
    (void)data, (void)e; /* the context keeps the last error */
}

/* libxml2's last error as "invalid XML: <message>". */
static void ax_not_well_formed(ax_t *ax)
{
    if (ax->failed) return;
    const xmlError *e = xmlCtxtGetLastError(ax->ctxt);
    char msg[160] = "not well-formed";
    if (e != NULL && e->message != NULL) {
        snprintf(msg, sizeof(msg), "%s", e->message);
        size_t m = strlen(msg);
        while (m > 0 && (msg[m - 1] == '\n' || msg[m - 1] == ' '))
            msg[--m] = '\0';
    }
    ax->failed = true;
    snprintf(ax->err, sizeof ax->err, "arxiv: invalid XML: %s", msg);
}

static int ax_feed(prov_stream_t *s, const char *p, size_t n)
{
    ax_t *ax = (ax_t *)s;
    while (n > 0 && !ax->failed) {
        int piece = n > (1u << 20) ? 1 << 20 : (int)n; /* xmlParseChunk takes an int */
        ax->fed = true;
        xmlParseChunk(ax->ctxt, p, piece, 0);
        if (!ax->ctxt->wellFormed) ax_not_well_formed(ax);
        p += piece;
        n -= (size_t)piece;
    }
    return ax->failed ? -1 : 0;
}

static int ax_finish(prov_stream_t *s, prov_result_t *out, char *err, size_t errlen)
{
    ax_t *ax = (ax_t *)s;
    memset(out, 0, sizeof *out);
    out->total = -1;
    if (!ax->failed && !ax->fed) return prov__fail(err, errlen, "arxiv: empty response body");
    if (!ax->failed) {
        xmlParseChunk(ax->ctxt, NULL, 0, 1);
        if (!ax->ctxt->wellFormed) ax_not_well_formed(ax);
    }
    if (!ax->failed && ax->not_feed) ax_fail(ax, "not an Atom feed");
    if (!ax->failed && ax->api_error) ax->failed = true; /* its message is in err */
    if (ax->failed) return prov__fail(err, errlen, "%s", ax->err);
    *out = ax->out;
    return 0;
}

static void ax_free(prov_stream_t *s)
{
    ax_t *ax = (ax_t *)s;
    if (ax->ctxt != NULL) xmlFreeParserCtxt(ax->ctxt);
    arena_free(ax->tmp);
    free(ax->text);
    free(ax);
}

static const prov_stream_ops_t ax_ops = {.feed = ax_feed, .finish = ax_finish, .free = ax_free};

/* A reader of one Atom feed. Element order and where namespaces are
 * declared do not matter (elements are matched by namespace URI and local
 * name). */
static prov_stream_t *arxiv_stream(arena_t *a)
{
    ax_t *ax = calloc(1, sizeof *ax);
    if (ax == NULL) return NULL;
    ax->base.ops = &ax_ops;
    ax->a = a;
    ax->out.total = -1;
    ax->tmp = arena_new(8192);
    xmlSAXHandler sax;
    memset(&sax, 0, sizeof sax);
    sax.initialized = XML_SAX2_MAGIC;
    sax.startElementNs = ax_start;
    sax.endElementNs = ax_end;
    sax.characters = ax_text;
    sax.ignorableWhitespace = ax_text;
    sax.cdataBlock = ax_text;
    sax.internalSubset = ax_subset;
    sax.externalSubset = ax_subset;
    sax.serror = ax_quiet;
    if (ax->tmp != NULL) ax->ctxt = xmlCreatePushParserCtxt(&sax, NULL, NULL, 0, NULL);
    if (ax->ctxt == NULL) {
        ax_free(&ax->base);
        return NULL;
    }
    ax->ctxt->_private = ax;
    /* The callbacks get the context (no user data); the body is UTF-8
     * whatever it declares; entities are replaced in text and attributes
     * (only the predefined ones and character references exist without a
     * DTD). */
    xmlCtxtUseOptions(ax->ctxt, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
                                    XML_PARSE_NOCDATA | XML_PARSE_NOENT | XML_PARSE_IGNORE_ENC);
    return &ax->base;
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
    if (a != NULL && prov_parse(&prov_arxiv, body, len, a, &r, err, sizeof err) < 0) {
        const char *e = strstr(err, "API error: ");
        if (e != NULL) prov_msg_lit(m, e + 11);
    }
    arena_free(a);
}

/* ---- lookups by id ------------------------------------------------------------
 * GET {base}/api/query?id_list=a,b,..&start=0&max_results=N: the entries
 * in the order asked (an id arXiv does not know is left out), matched to
 * the ids by arXiv id; at most 200 ids a call. */
#define ARXIV_ID_LIST_MAX 200

static int arxiv_lookup_build(const paper_ref_t *ids, size_t n, const prov_settings_t *ps,
                              arena_t *a, prov_request_t *out, char *err, size_t errlen)
{
    prov__sb_t u;
    prov__sb_init(&u, a);
    prov__sb_puts(&u, ps->base_url);
    prov__sb_puts(&u, "/api/query?id_list=");
    for (size_t i = 0; i < n; i++) {
        if (ids[i].kind != PAPER_REF_ARXIV) return prov__fail(err, errlen, "arxiv: arXiv ids only");
        if (i) prov__sb_puts(&u, ",");
        prov__sb_put_encoded(&u, ids[i].value);
    }
    prov__sb_printf(&u, "&start=0&max_results=%zu", n);
    out->method = "GET";
    out->url = prov__sb_str(&u);
    if (out->url == NULL || prov__add_header(out, a, "Accept", "application/atom+xml") < 0)
        return prov__fail(err, errlen, "arxiv: out of memory");
    return 0;
}

const prov_def_t prov_arxiv = {
    .source = SRC_ARXIV,
    .build = arxiv_build,
    .stream = arxiv_stream,
    .throttled = arxiv_throttled,
    .markup_error = arxiv_markup_error,
    .lookup_build = arxiv_lookup_build,
    .lookup_max = ARXIV_ID_LIST_MAX,
    .lookup_mixed = false,
};
