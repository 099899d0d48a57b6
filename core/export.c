/* Exports: the formats' names and types, Accept negotiation, what each
 * paper becomes before a writer sees it (kind, names, key, date), and the
 * one entry point. The writers are export_bibtex.c, export_ris.c and
 * export_csl.c; the contract is in export.h. */
#include "core/export.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/decimal.h"
#include "core/export_int.h"
#include "core/utf8.h"
#include "core/strbuf.h"

/* ---- formats --------------------------------------------------------------- */

static const char *const format_names[EXPORT_FORMAT_COUNT] = {"json", "bibtex", "ris", "csl-json"};
static const char *const content_types[EXPORT_FORMAT_COUNT] = {
    "application/json", "application/x-bibtex; charset=utf-8",
    "application/x-research-info-systems; charset=utf-8",
    "application/vnd.citationstyles.csl+json"};

const char *export_format_name(export_format_t f)
{
    return (unsigned)f < EXPORT_FORMAT_COUNT ? format_names[f] : "json";
}

int export_format_parse(const char *name, size_t len)
{
    for (int f = 0; f < EXPORT_FORMAT_COUNT; f++)
        if (strlen(format_names[f]) == len && memcmp(format_names[f], name, len) == 0) return f;
    return -1;
}

const char *export_content_type(export_format_t f)
{
    return (unsigned)f < EXPORT_FORMAT_COUNT ? content_types[f] : content_types[0];
}

/* ---- Accept ------------------------------------------------------------------ */

static const struct {
    const char *type;
    export_format_t format;
} offers[] = {
    {"application/json", EXPORT_JSON},
    {"application/x-bibtex", EXPORT_BIBTEX},
    {"text/x-bibtex", EXPORT_BIBTEX},
    {"application/x-bibtex-text-file", EXPORT_BIBTEX},
    {"application/x-research-info-systems", EXPORT_RIS},
    {"application/vnd.citationstyles.csl+json", EXPORT_CSL_JSON},
    {"application/citeproc+json", EXPORT_CSL_JSON},
};
#define NOFFERS (sizeof offers / sizeof offers[0])

static bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* q=0.5 as thousandths; 1000 for none, -1 when malformed. */
static int parse_q(const char *s, size_t n)
{
    if (n == 0) return -1;
    if (s[0] == '1') {
        for (size_t i = 1; i < n; i++)
            if (!(i == 1 ? s[i] == '.' : s[i] == '0')) return -1;
        return 1000;
    }
    if (s[0] != '0') return -1;
    if (n == 1) return 0;
    if (s[1] != '.' || n > 5) return -1;
    int v = 0, scale = 100;
    for (size_t i = 2; i < n; i++, scale /= 10) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v += (s[i] - '0') * scale;
    }
    return v;
}

int export_negotiate(const char *accept, export_format_t *out)
{
    *out = EXPORT_JSON;
    if (accept == NULL) return 0;
    /* Per offer: the best match's specificity, its weight and position. */
    int spec[NOFFERS], weight[NOFFERS], pos[NOFFERS];
    for (size_t o = 0; o < NOFFERS; o++)
        spec[o] = -1, weight[o] = 0, pos[o] = 0;
    bool any = false;
    int index = 0;
    for (const char *p = accept; *p;) {
        const char *end = strchr(p, ',');
        if (!end) end = p + strlen(p);
        const char *semi = memchr(p, ';', (size_t)(end - p));
        const char *ts = p, *te = semi ? semi : end;
        while (ts < te && is_ows(*ts))
            ts++;
        while (te > ts && is_ows(te[-1]))
            te--;
        int q = 1000;
        for (const char *a = semi; a && a < end;) {
            const char *next = memchr(a + 1, ';', (size_t)(end - a - 1));
            const char *ae = next ? next : end, *as = a + 1;
            while (as < ae && is_ows(*as))
                as++;
            const char *ve = ae;
            while (ve > as && is_ows(ve[-1]))
                ve--;
            if (ve - as >= 2 && (as[0] == 'q' || as[0] == 'Q') && as[1] == '=') {
                q = parse_q(as + 2, (size_t)(ve - as - 2));
                if (q < 0) q = 0; /* a weight we cannot read accepts nothing */
            }
            a = next;
        }
        size_t tl = (size_t)(te - ts);
        if (tl > 0) {
            any = true;
            index++;
            const char *slash = memchr(ts, '/', tl);
            for (size_t o = 0; slash && o < NOFFERS; o++) {
                const char *t = offers[o].type;
                size_t major = (size_t)(strchr(t, '/') - t);
                int s = -1;
                if (tl == 3 && memcmp(ts, "*/*", 3) == 0)
                    s = 0;
                else if ((size_t)(slash - ts) == major && strncasecmp(ts, t, major) == 0 &&
                         tl == major + 2 && slash[1] == '*')
                    s = 1;
                else if (tl == strlen(t) && strncasecmp(ts, t, tl) == 0)
                    s = 2;
                if (s > spec[o]) spec[o] = s, weight[o] = q, pos[o] = index;
            }
        }
        p = *end ? end + 1 : end;
    }
    if (!any) return 0;
    int best = -1;
    for (size_t o = 0; o < NOFFERS; o++) {
        if (spec[o] < 0 || weight[o] == 0) continue;
        if (best < 0 || weight[o] > weight[best] ||
            (weight[o] == weight[best] && spec[o] > spec[best]) ||
            (weight[o] == weight[best] && spec[o] == spec[best] && pos[o] < pos[best]))
            best = (int)o;
    }
    if (best < 0) return -1;
    *out = offers[best].format;
    return 0;
}

/* ---- the buffer ----------------------------------------------------------------- */

static bool xb_reserve(xbuf_t *b, size_t n)
{
    if (b->failed) return false;
    if (sf_strbuf_grow(&b->buf, &b->cap, b->len, n, 16384, EXPORT_MAX)) return true;
    b->failed = true;
    return false;
}

void export__raw(xbuf_t *b, const char *s, size_t n)
{
    if (!xb_reserve(b, n)) return;
    memcpy(b->buf + b->len, s, n);
    b->len += n;
    b->buf[b->len] = '\0';
}

void export__str(xbuf_t *b, const char *s)
{
    export__raw(b, s, strlen(s));
}

void export__int(xbuf_t *b, long long v)
{
    char out[DECIMAL_MAX];
    export__raw(b, out, (size_t)(decimal_put(out, v) - out));
}

size_t export__char(const char *s, size_t n)
{
    return utf8_seq((const unsigned char *)s, n);
}

/* ---- kinds ------------------------------------------------------------------------ */

static bool contains_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    char first = needle[0] | 0x20; /* needles are letters */
    for (const char *p = hay; *p; p++)
        if ((*p | 0x20) == first && strncasecmp(p, needle, n) == 0) return true;
    return false;
}

/* "arXiv", "arXiv.org", "ArXiv", "arXiv (Cornell University)", DBLP's "CoRR". */
static bool is_arxiv_venue(const char *v)
{
    return contains_ci(v, "arxiv") || strcasecmp(v, "corr") == 0;
}

/* A venue that reads as a conference: a word that says so, or the upper
 * case acronym of a well-known series standing as a word. */
static bool is_conference_venue(const char *v)
{
    static const char *const words[] = {"proceedings",
                                        "conference",
                                        "workshop",
                                        "symposium",
                                        "congress",
                                        "meeting",
                                        "neural information processing systems",
                                        "computer vision and pattern recognition"};
    static const char *const series[] = {
        "NeurIPS", "NIPS",  "ICML",   "ICLR", "CVPR",    "ICCV",   "ECCV",        "ACL",
        "EMNLP",   "NAACL", "COLING", "AAAI", "IJCAI",   "KDD",    "SIGIR",       "SIGMOD",
        "VLDB",    "WWW",   "CHI",    "UAI",  "AISTATS", "ICASSP", "INTERSPEECH", "ICRA",
        "IROS",    "COLT",  "STOC",   "FOCS", "SODA",    "MICCAI", "WACV",        "BMVC"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (contains_ci(v, words[i])) return true;
    for (const char *p = v; *p;) {
        while (*p && !((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')))
            p++;
        const char *s = p;
        while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'))
            p++;
        for (size_t i = 0; p > s && i < sizeof series / sizeof series[0]; i++)
            if (series[i][0] == *s && strlen(series[i]) == (size_t)(p - s) &&
                memcmp(series[i], s, (size_t)(p - s)) == 0)
                return true;
    }
    return false;
}

/* Today's guess from the venue and the arXiv id, for a record whose type no
 * provider gave (or gave as "other"). */
static export_kind_t kind_from_venue(const paper_t *p, bool venue)
{
    if (venue) return is_conference_venue(p->venue) ? EXPORT_KIND_CONFERENCE : EXPORT_KIND_ARTICLE;
    if (p->arxiv_id && *p->arxiv_id) return EXPORT_KIND_PREPRINT;
    return EXPORT_KIND_OTHER;
}

export_kind_t export_kind(const paper_t *p)
{
    bool venue = p->venue && *p->venue && !is_arxiv_venue(p->venue);
    /* An article or conference paper with no venue but arXiv is cited as
     * the preprint: S2 calls many arXiv-only papers "JournalArticle". */
    bool arxiv_only = !venue && p->arxiv_id && *p->arxiv_id;
    switch (p->type) {
    case PAPER_TYPE_ARTICLE:
    case PAPER_TYPE_REVIEW: /* a review article, in a journal */
        return arxiv_only ? EXPORT_KIND_PREPRINT : EXPORT_KIND_ARTICLE;
    case PAPER_TYPE_PROCEEDINGS:
        return arxiv_only ? EXPORT_KIND_PREPRINT : EXPORT_KIND_CONFERENCE;
    case PAPER_TYPE_PREPRINT:
        return EXPORT_KIND_PREPRINT;
    case PAPER_TYPE_BOOK:
        return EXPORT_KIND_BOOK;
    case PAPER_TYPE_BOOK_CHAPTER:
        return EXPORT_KIND_CHAPTER;
    case PAPER_TYPE_THESIS:
        return EXPORT_KIND_THESIS;
    case PAPER_TYPE_DATASET:
        return EXPORT_KIND_DATASET;
    case PAPER_TYPE_UNKNOWN:
    case PAPER_TYPE_OTHER:
    case PAPER_TYPE_COUNT:
        break;
    }
    return kind_from_venue(p, venue);
}

/* An arXiv category ("cs.LG", "hep-th", "astro-ph.CO"), not a provider's
 * field of study ("Computer Science"). */
static bool is_arxiv_category(const char *c)
{
    static const char *const archives[] = {"cs",      "math",   "physics", "stat",     "q-bio",
                                           "q-fin",   "eess",   "econ",    "astro-ph", "cond-mat",
                                           "gr-qc",   "hep-ex", "hep-lat", "hep-ph",   "hep-th",
                                           "math-ph", "nlin",   "nucl-ex", "nucl-th",  "quant-ph"};
    size_t n = strcspn(c, ".");
    for (size_t i = 0; i < sizeof archives / sizeof archives[0]; i++) {
        if (strlen(archives[i]) != n || memcmp(archives[i], c, n) != 0) continue;
        if (c[n] == '\0') return true;
        const char *s = c + n + 1;
        if (!*s) return false;
        for (; *s; s++)
            if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '-')) return false;
        return true;
    }
    return false;
}

/* ---- names ------------------------------------------------------------------------ */

static bool is_particle(const char *w, size_t n)
{
    static const char *const particles[] = {"van", "von", "de",  "der", "den", "del", "della",
                                            "di",  "da",  "dos", "das", "du",  "le",  "la",
                                            "ten", "ter", "zu",  "af",  "al",  "el",  "bin"};
    for (size_t i = 0; i < sizeof particles / sizeof particles[0]; i++)
        if (strlen(particles[i]) == n && memcmp(particles[i], w, n) == 0) return true;
    return false;
}

static bool is_suffix(const char *w, size_t n)
{
    static const char *const suffixes[] = {"Jr.", "Jr", "Sr.", "Sr", "II", "III", "IV"};
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++)
        if (strlen(suffixes[i]) == n && memcmp(suffixes[i], w, n) == 0) return true;
    return false;
}

static const char *dup_trim(arena_t *a, const char *s, size_t n, bool *oom)
{
    while (n && (*s == ' ' || *s == '\t' || *s == ','))
        s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == ','))
        n--;
    if (n == 0) return NULL;
    char *c = arena_strndup(a, s, n);
    if (!c) *oom = true;
    return c;
}

int export_split_name(arena_t *a, const char *display, export_name_t *out)
{
    *out = (export_name_t){0};
    if (!display) return -1;
    bool oom = false;
    const char *s = display;
    size_t n = strlen(s);
    const char *comma = memchr(s, ',', n);
    if (comma) {
        /* "Family, Given" or "Family, Suffix, Given" (BibTeX's order). */
        const char *fam = s, *rest = comma + 1;
        size_t fn = (size_t)(comma - s);
        const char *comma2 = strchr(rest, ',');
        if (comma2) {
            out->suffix = dup_trim(a, rest, (size_t)(comma2 - rest), &oom);
            rest = comma2 + 1;
        } else {
            /* "Family, Jr." is a suffix, not a given name. */
            const char *r = rest;
            while (*r == ' ')
                r++;
            if (is_suffix(r, strlen(r))) {
                out->suffix = dup_trim(a, r, strlen(r), &oom);
                rest = r + strlen(r);
            }
        }
        out->given = dup_trim(a, rest, strlen(rest), &oom);
        /* Particles at the start of the family part. */
        while (fn) {
            while (fn && *fam == ' ')
                fam++, fn--;
            const char *sp = memchr(fam, ' ', fn);
            if (!sp || !is_particle(fam, (size_t)(sp - fam))) break;
            fn -= (size_t)(sp + 1 - fam);
            fam = sp + 1;
        }
        if (fam != s) out->particle = dup_trim(a, s, (size_t)(fam - s), &oom);
        out->family = dup_trim(a, fam, fn, &oom);
    } else {
        /* Words: given... [particle...] family [suffix]. */
        const char *w[64];
        size_t wl[64], nw = 0;
        for (const char *p = s; *p && nw < 64;) {
            while (*p == ' ' || *p == '\t')
                p++;
            if (!*p) break;
            const char *e = p;
            while (*e && *e != ' ' && *e != '\t')
                e++;
            w[nw] = p, wl[nw] = (size_t)(e - p), nw++;
            p = e;
        }
        if (nw == 0) return -1;
        /* "Smith and Sons": the word "and" says it is no person's name. */
        for (size_t i = 0; i < nw; i++)
            if (wl[i] == 3 && memcmp(w[i], "and", 3) == 0) {
                out->family = dup_trim(a, s, n, &oom);
                return oom || !out->family ? -1 : 0;
            }
        size_t last = nw - 1;
        if (nw > 1 && is_suffix(w[last], wl[last])) {
            out->suffix = dup_trim(a, w[last], wl[last], &oom);
            last--;
        }
        out->family = dup_trim(a, w[last], wl[last], &oom);
        size_t first_particle = last;
        while (first_particle > 1 && is_particle(w[first_particle - 1], wl[first_particle - 1]))
            first_particle--;
        if (first_particle == 1 && last > 1 && is_particle(w[0], wl[0])) first_particle = 1;
        if (first_particle < last)
            out->particle =
                dup_trim(a, w[first_particle],
                         (size_t)(w[last - 1] + wl[last - 1] - w[first_particle]), &oom);
        if (first_particle > 0)
            out->given = dup_trim(
                a, w[0], (size_t)(w[first_particle - 1] + wl[first_particle - 1] - w[0]), &oom);
    }
    if (oom) return -1;
    if (!out->family) {
        /* ", Given" alone: the given part is all there is. */
        out->family = out->given;
        out->given = NULL;
    }
    return out->family ? 0 : -1;
}

/* ---- keys ---------------------------------------------------------------------------- */

/* Base letters of U+00C0..U+00FF (C3 80..BF) and U+0100..U+017F (C4 80 ..
 * C5 BF); 'S' stands for "ss", 0 for a sign that is dropped. */
static const char latin1[65] = "aaaaaaaceeeeiiiidnooooo\0ouuuuytS"
                               "aaaaaaaceeeeiiiidnooooo\0ouuuuyty";
static const char latin_ext_a[129] = "aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiiiiijjkkk"
                                     "llllllllllnnnnnnnnnoooooooorrrrrrssssssssttttttuuuuuuuuuuuu"
                                     "wwyyyzzzzzzs";

/* s folded to ASCII lower-case letters and digits into out (room for 2n+1). */
static size_t fold_ascii(const char *str, size_t n, char *out)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        if (c < 0x80) {
            if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
                out[o++] = (char)c;
            else if (c >= 'A' && c <= 'Z')
                out[o++] = (char)(c + 32);
            continue;
        }
        size_t len = export__char(str + i, n - i);
        if (len == 2 && i + 1 < n) {
            char base = 0;
            if (c == 0xc3)
                base = latin1[s[i + 1] - 0x80];
            else if (c == 0xc4 || c == 0xc5)
                base = latin_ext_a[(c - 0xc4) * 64 + (s[i + 1] - 0x80)];
            if (base == 'S') {
                out[o++] = 's';
                out[o++] = 's';
            } else if (base) {
                out[o++] = base;
            }
        }
        if (len > 1) i += len - 1;
    }
    out[o] = '\0';
    return o;
}

/* The part of the key a paper gives, before the a, b, c of repeats. */
static char *base_key(arena_t *a, const paper_t *p, int year)
{
    char fam[128] = "", word[128] = "";
    export_name_t nm;
    if (p->nauthors > 0 && p->authors[0] && export_split_name(a, p->authors[0], &nm) == 0) {
        /* The family name without its particle ("van Beethoven" ->
         * "beethoven"), every word of it ("García Márquez, G." ->
         * "garciamarquez"). */
        size_t n = strlen(nm.family);
        if (n < sizeof fam / 2) fold_ascii(nm.family, n, fam);
    }
    const char *t = p->title ? p->title : "";
    while (*t) {
        while (*t && (*t == ' ' || *t == '-' || *t == '/' || *t == ':'))
            t++;
        const char *e = t;
        while (*e && *e != ' ' && *e != '-' && *e != '/' && *e != ':')
            e++;
        size_t n = (size_t)(e - t);
        if (n && n < sizeof word / 2 && *t != '$' && !paper_is_stop_word(t, n) &&
            fold_ascii(t, n, word) > 0)
            break;
        word[0] = '\0';
        t = e;
    }
    char y[16] = "nd";
    if (year > 0 && year < 10000) {
        y[0] = (char)('0' + year / 1000);
        y[1] = (char)('0' + year / 100 % 10);
        y[2] = (char)('0' + year / 10 % 10);
        y[3] = (char)('0' + year % 10);
        y[4] = '\0';
    }
    return arena_sprintf(a, "%s%s%s", fam[0] ? fam : "anon", y, word);
}

/* The year of a record: its own, else that of its date. */
static int year_of(const paper_t *p)
{
    if (p->year > 0) return p->year;
    if (p->published && strlen(p->published) >= 4) {
        int y = 0;
        for (int i = 0; i < 4; i++) {
            if (p->published[i] < '0' || p->published[i] > '9') return 0;
            y = y * 10 + (p->published[i] - '0');
        }
        return y;
    }
    return 0;
}

/* The suffix of the k-th (0-based) repeat: a..z, aa..az, ba... */
static void suffix_of(size_t k, char out[8])
{
    char tmp[8];
    size_t n = 0;
    k++;
    while (k > 0 && n < 7) {
        k--;
        tmp[n++] = (char)('a' + k % 26);
        k /= 26;
    }
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    out[n] = '\0';
}

int export_keys(arena_t *a, const paper_t *const *papers, size_t n, const char **keys)
{
    for (size_t i = 0; i < n; i++) {
        keys[i] = base_key(a, papers[i], year_of(papers[i]));
        if (!keys[i]) return -1;
    }
    /* Quadratic: an answer holds at most a few hundred papers. */
    const char **base = arena_alloc(a, (n ? n : 1) * sizeof *base);
    if (!base) return -1;
    memcpy(base, keys, n * sizeof *base);
    for (size_t i = 0; i < n; i++) {
        size_t before = 0, same = 0;
        for (size_t j = 0; j < n; j++)
            if (j != i && strcmp(base[j], base[i]) == 0) {
                same++;
                if (j < i) before++;
            }
        if (same == 0) continue;
        char sfx[8];
        suffix_of(before, sfx);
        keys[i] = arena_sprintf(a, "%s%s", base[i], sfx);
        if (!keys[i]) return -1;
    }
    return 0;
}

/* ---- the entry point ------------------------------------------------------------------ */

static int two_digits(const char *s)
{
    if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9') return 0;
    return (s[0] - '0') * 10 + (s[1] - '0');
}

static int prepare(arena_t *a, const paper_t *const *papers, size_t n, export_item_t *items)
{
    const char **keys = arena_alloc(a, (n ? n : 1) * sizeof *keys);
    if (!keys || export_keys(a, papers, n, keys) < 0) return -1;
    for (size_t i = 0; i < n; i++) {
        const paper_t *p = papers[i];
        export_item_t *it = &items[i];
        *it = (export_item_t){.p = p, .key = keys[i], .kind = export_kind(p)};
        it->year = year_of(p);
        const char *d = p->published;
        if (d && strlen(d) >= 7 && d[4] == '-' && (it->year == 0 || atoi(d) == it->year)) {
            int m = two_digits(d + 5);
            it->month = m >= 1 && m <= 12 ? m : 0;
            if (it->month && strlen(d) >= 10 && d[7] == '-') {
                int dd = two_digits(d + 8);
                it->day = dd >= 1 && dd <= 31 ? dd : 0;
            }
        }
        for (size_t c = 0; c < p->ncategories; c++)
            if (p->categories[c] && is_arxiv_category(p->categories[c])) {
                it->primary_class = p->categories[c];
                break;
            }
        if (p->venue && *p->venue && !is_arxiv_venue(p->venue)) it->venue = p->venue;
        it->authors = arena_alloc(a, (p->nauthors ? p->nauthors : 1) * sizeof *it->authors);
        if (!it->authors) return -1;
        for (size_t k = 0; k < p->nauthors; k++)
            if (p->authors[k] &&
                export_split_name(a, p->authors[k], &it->authors[it->nauthors]) == 0)
                it->nauthors++;
    }
    return 0;
}

static void write_all(xbuf_t *b, export_format_t f, const paper_t *const *papers, size_t n)
{
    arena_t *a = arena_new(0);
    export_item_t *items = a ? arena_alloc(a, (n ? n : 1) * sizeof *items) : NULL;
    if (!items || prepare(a, papers, n, items) < 0) {
        b->failed = true;
    } else if (f == EXPORT_BIBTEX) {
        export__bibtex(b, items, n);
    } else if (f == EXPORT_RIS) {
        export__ris(b, items, n);
    } else if (f == EXPORT_CSL_JSON) {
        export__csl(b, items, n);
    } else {
        b->failed = true;
    }
    if (n == 0 && f != EXPORT_CSL_JSON) XB_LIT(b, "\n");
    arena_free(a);
}

char *export_write(export_format_t f, const paper_t *const *papers, size_t n, size_t *len)
{
    xbuf_t b = {0};
    write_all(&b, f, papers, n);
    if (b.failed || !b.buf) {
        free(b.buf);
        return NULL;
    }
    if (len) *len = b.len;
    return b.buf;
}

blob_t *export_blob(export_format_t f, const paper_t *const *papers, size_t n)
{
    size_t len;
    char *s = export_write(f, papers, n, &len);
    blob_t *b = s ? blob_new(s, len) : NULL;
    free(s);
    return b;
}
