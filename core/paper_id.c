/* Paper ids in the forms people paste: core/paper_id.h. */
#include "core/paper_id.h"

#include <string.h>
#include <strings.h>

#include "core/escape.h"

static const char *const kind_names[PAPER_REF_KIND_COUNT] = {
    [PAPER_REF_INTERNAL] = "internal", [PAPER_REF_DOI] = "doi",
    [PAPER_REF_ARXIV] = "arxiv",       [PAPER_REF_S2] = "s2",
    [PAPER_REF_CORPUS] = "corpus",     [PAPER_REF_OPENALEX] = "openalex",
    [PAPER_REF_PMID] = "pmid",
};

const char *paper_ref_kind_name(paper_ref_kind_t k)
{
    return (unsigned)k < PAPER_REF_KIND_COUNT ? kind_names[k] : "unknown";
}

/* Drops the first of prefixes s starts with (ASCII case ignored); true
 * when one was dropped. */
static bool drop_prefix(const char **s, size_t *n, const char *const *prefixes)
{
    for (size_t i = 0; prefixes[i]; i++) {
        size_t pl = strlen(prefixes[i]);
        if (*n >= pl && strncasecmp(*s, prefixes[i], pl) == 0) {
            *s += pl;
            *n -= pl;
            return true;
        }
    }
    return false;
}

/* Trailing URL decoration: a query, a fragment, slashes. */
static void drop_url_tail(const char *s, size_t *n)
{
    for (size_t i = 0; i < *n; i++)
        if (s[i] == '?' || s[i] == '#') {
            *n = i;
            break;
        }
    while (*n > 0 && s[*n - 1] == '/')
        (*n)--;
}

static bool all_digits(const char *s, size_t n, size_t max)
{
    if (n == 0 || n > max) return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return false;
    return true;
}

static bool all_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (hex_digit(s[i]) < 0) return false;
    return n > 0;
}

static char *lower_copy(arena_t *a, const char *s, size_t n)
{
    char *o = arena_alloc(a, n + 1);
    if (!o) return NULL;
    for (size_t i = 0; i < n; i++)
        o[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] + 32) : s[i];
    o[n] = '\0';
    return o;
}

static int set(paper_ref_t *out, paper_ref_kind_t k, const char *v)
{
    if (!v) return -1;
    out->kind = k;
    out->value = v;
    return 0;
}

/* "W123" (w or W): the OpenAlex work id, made "W123". */
static int openalex_work(arena_t *a, const char *s, size_t n, paper_ref_t *out)
{
    if (n < 2 || (s[0] != 'W' && s[0] != 'w') || !all_digits(s + 1, n - 1, 15)) return -1;
    char *v = arena_strndup(a, s, n);
    if (!v) return -1;
    v[0] = 'W';
    return set(out, PAPER_REF_OPENALEX, v);
}

/* A Semantic Scholar paper page: ".../paper/<slug>/<hex>" or
 * ".../paper/<hex>": the last segment. */
static int s2_url(arena_t *a, const char *s, size_t n, paper_ref_t *out)
{
    const char *last = s;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '/') last = s + i + 1;
    size_t ln = (size_t)(s + n - last);
    if (ln != 40 || !all_hex(last, ln)) return -1;
    return set(out, PAPER_REF_S2, lower_copy(a, last, ln));
}

static int parse_decoded(arena_t *a, const char *s, size_t n, paper_ref_t *out)
{
    static const char *const doi_prefix[] = {"doi:", NULL};
    static const char *const arxiv_prefix[] = {"arxiv:", NULL};
    static const char *const s2_prefix[] = {"s2:", NULL};
    static const char *const corpus_prefix[] = {"corpusid:", "corpus:", NULL};
    static const char *const openalex_prefix[] = {"openalex:", NULL};
    static const char *const pmid_prefix[] = {"pmid:", NULL};
    static const char *const scheme[] = {"https://", "http://", NULL};
    static const char *const www[] = {"www.", NULL};
    static const char *const openalex_host[] = {"api.openalex.org/works/", "openalex.org/works/",
                                                "api.openalex.org/", "openalex.org/", NULL};
    static const char *const s2_host[] = {"semanticscholar.org/paper/",
                                          "api.semanticscholar.org/graph/v1/paper/", NULL};
    static const char *const pubmed_host[] = {"pubmed.ncbi.nlm.nih.gov/",
                                              "ncbi.nlm.nih.gov/pubmed/", NULL};
    static const char *const arxiv_host[] = {"arxiv.org/", "export.arxiv.org/", NULL};

    if (all_digits(s, n, 18)) return set(out, PAPER_REF_INTERNAL, arena_strndup(a, s, n));

    const char *p = s;
    size_t m = n;
    /* Explicit kinds. */
    if (drop_prefix(&p, &m, doi_prefix))
        return set(out, PAPER_REF_DOI, paper_normalize_doi(a, p, m));
    if (drop_prefix(&p, &m, arxiv_prefix))
        return set(out, PAPER_REF_ARXIV, paper_normalize_arxiv_id(a, p, m, NULL));
    if (drop_prefix(&p, &m, s2_prefix)) {
        if (m != 40 || !all_hex(p, m)) return -1;
        return set(out, PAPER_REF_S2, lower_copy(a, p, m));
    }
    if (drop_prefix(&p, &m, corpus_prefix)) {
        if (!all_digits(p, m, 18)) return -1;
        return set(out, PAPER_REF_CORPUS, arena_strndup(a, p, m));
    }
    if (drop_prefix(&p, &m, openalex_prefix)) return openalex_work(a, p, m, out);
    if (drop_prefix(&p, &m, pmid_prefix)) {
        if (!all_digits(p, m, 18)) return -1;
        return set(out, PAPER_REF_PMID, arena_strndup(a, p, m));
    }

    /* URLs: by host. */
    const char *u = s;
    size_t un = n;
    bool url = drop_prefix(&u, &un, scheme);
    drop_prefix(&u, &un, www);
    const char *h = u;
    size_t hn = un;
    if (drop_prefix(&h, &hn, openalex_host)) {
        drop_url_tail(h, &hn);
        return openalex_work(a, h, hn, out);
    }
    if (drop_prefix(&h, &hn, s2_host)) {
        drop_url_tail(h, &hn);
        return s2_url(a, h, hn, out);
    }
    if (drop_prefix(&h, &hn, pubmed_host)) {
        drop_url_tail(h, &hn);
        if (!all_digits(h, hn, 18)) return -1;
        return set(out, PAPER_REF_PMID, arena_strndup(a, h, hn));
    }
    if (drop_prefix(&h, &hn, arxiv_host)) {
        /* paper_normalize_arxiv_id knows arxiv.org/abs and /pdf. */
        if (strncasecmp(h, "abs/", 4) != 0 && strncasecmp(h, "pdf/", 4) != 0) return -1;
        return set(out, PAPER_REF_ARXIV, paper_normalize_arxiv_id(a, h + 4, hn - 4, NULL));
    }
    /* A DOI URL, an arXiv DataCite DOI, or a bare DOI. */
    /* An arXiv DataCite DOI stays a DOI, which every DOI provider knows
     * (paper_ref_matches() joins it to the arXiv id). */
    char *doi = paper_normalize_doi(a, s, n);
    if (doi) return set(out, PAPER_REF_DOI, doi);
    if (url) return -1; /* a URL of a host not known here */
    /* Bare forms: "W123", 40 hex, an arXiv id. */
    if (openalex_work(a, s, n, out) == 0) return 0;
    if (n == 40 && all_hex(s, n)) return set(out, PAPER_REF_S2, lower_copy(a, s, n));
    return set(out, PAPER_REF_ARXIV, paper_normalize_arxiv_id(a, s, n, NULL));
}

int paper_ref_parse(arena_t *a, const char *text, size_t len, paper_ref_t *out)
{
    if (!text || len == 0 || len > 3 * PAPER_REF_MAX) return -1;
    char *d = arena_alloc(a, len + 1);
    if (!d) return -1;
    long k = pct_decode(text, len, d, false);
    if (k <= 0 || (size_t)k > PAPER_REF_MAX || memchr(d, '\0', (size_t)k)) return -1;
    size_t n = (size_t)k;
    /* Whitespace around a pasted id is not part of it. */
    const char *s = d;
    while (n && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')) {
        s++;
        n--;
    }
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        n--;
    if (n == 0) return -1;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x21 || s[i] == 0x7f) return -1; /* no inner space or control */
    return parse_decoded(a, s, n, out);
}

char *paper_ref_string(arena_t *a, const paper_ref_t *r)
{
    if (r->kind == PAPER_REF_INTERNAL) return arena_strdup(a, r->value);
    return arena_sprintf(a, "%s:%s", paper_ref_kind_name(r->kind), r->value);
}

bool paper_ref_answerable(paper_ref_kind_t k, source_t src)
{
    switch (src) {
    case SRC_SEMANTIC_SCHOLAR:
        return k == PAPER_REF_DOI || k == PAPER_REF_ARXIV || k == PAPER_REF_S2 ||
               k == PAPER_REF_CORPUS || k == PAPER_REF_PMID;
    case SRC_OPENALEX:
        return k == PAPER_REF_DOI || k == PAPER_REF_OPENALEX || k == PAPER_REF_PMID;
    case SRC_CROSSREF:
        return k == PAPER_REF_DOI;
    case SRC_ARXIV:
        return k == PAPER_REF_ARXIV;
    default:
        return false;
    }
}

const char *paper_ref_for(arena_t *a, const paper_ref_t *r, source_t src)
{
    if (!paper_ref_answerable(r->kind, src)) return NULL;
    switch (src) {
    case SRC_SEMANTIC_SCHOLAR: {
        static const char *const s2[PAPER_REF_KIND_COUNT] = {
            [PAPER_REF_DOI] = "DOI:",         [PAPER_REF_ARXIV] = "ARXIV:", [PAPER_REF_S2] = "",
            [PAPER_REF_CORPUS] = "CorpusId:", [PAPER_REF_PMID] = "PMID:",
        };
        return arena_sprintf(a, "%s%s", s2[r->kind], r->value);
    }
    case SRC_OPENALEX:
        return r->kind == PAPER_REF_OPENALEX
                   ? arena_strdup(a, r->value)
                   : arena_sprintf(a, "%s:%s", paper_ref_kind_name(r->kind), r->value);
    default: /* Crossref: the DOI; arXiv: the id */
        return arena_strdup(a, r->value);
    }
}

static const char *source_id(const paper_t *p, source_t src)
{
    for (size_t i = 0; i < p->nsources && i < SRC_COUNT; i++)
        if (p->sources[i].source == src) return p->sources[i].id;
    return NULL;
}

bool paper_ref_matches(const paper_ref_t *r, const paper_t *p)
{
    const char *id;
    switch (r->kind) {
    case PAPER_REF_DOI:
        if (p->doi && strcmp(p->doi, r->value) == 0) return true;
        /* an arXiv DataCite DOI names the arXiv paper */
        return strncmp(r->value, "10.48550/arxiv.", 15) == 0 && p->arxiv_id &&
               strcasecmp(p->arxiv_id, r->value + 15) == 0;
    case PAPER_REF_ARXIV:
        if (p->arxiv_id && strcmp(p->arxiv_id, r->value) == 0) return true;
        return p->doi && strncmp(p->doi, "10.48550/arxiv.", 15) == 0 &&
               strcasecmp(p->doi + 15, r->value) == 0;
    case PAPER_REF_S2:
        id = source_id(p, SRC_SEMANTIC_SCHOLAR);
        return id && strcasecmp(id, r->value) == 0;
    case PAPER_REF_OPENALEX:
        id = source_id(p, SRC_OPENALEX);
        return id && strcasecmp(id, r->value) == 0;
    default:
        return false;
    }
}
