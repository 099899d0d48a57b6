/* The domain: source names, the paper list, and the normalisers that make
 * the same paper look the same whichever provider returned it. */
#include "core/paper.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define SOURCE_NAME_(ID, name, ...) [SRC_##ID] = #name,
static const char *const source_names[SRC_COUNT] = {SOURCE_TABLE(SOURCE_NAME_)};
#undef SOURCE_NAME_

#define SOURCE_NEEDS_KEY_(ID, name, kind, authority, needs_key, ...) [SRC_##ID] = needs_key,
static const bool source_keys[SRC_COUNT] = {SOURCE_TABLE(SOURCE_NEEDS_KEY_)};
#undef SOURCE_NEEDS_KEY_

/* SOURCE_NAMES_TEXT ends with the one LOCAL source. */
_Static_assert(SRC_LOCAL == SRC_COUNT - 1, "LOCAL sources come last in core/sources.h");

const char *source_name(source_t s)
{
    if ((unsigned)s >= SRC_COUNT) return "unknown";
    return source_names[s];
}

int source_parse(const char *name, size_t len)
{
    if (name == NULL) return -1;
    for (int i = 0; i < SRC_COUNT; i++) {
        if (strlen(source_names[i]) == len && memcmp(source_names[i], name, len) == 0) return i;
    }
    return -1;
}

int source_parse_list(const char *csv, source_t out[SRC_COUNT], char *err, size_t errlen)
{
    int n = 0;
    const char *p = csv ? csv : "";
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        if (!*p) break;
        const char *e = p;
        while (*e && *e != ',' && *e != ' ')
            e++;
        int src = source_parse(p, (size_t)(e - p));
        bool repeated = false;
        for (int i = 0; i < n && src >= 0; i++)
            repeated |= out[i] == (source_t)src;
        if (src < 0 || repeated) {
            snprintf(err, errlen, "%s provider '%.*s'", src < 0 ? "unknown" : "repeated",
                     (int)(e - p > 64 ? 64 : e - p), p);
            return -1;
        }
        out[n++] = (source_t)src;
        p = e;
    }
    return n;
}

bool source_needs_key(source_t s)
{
    return (unsigned)s < SRC_COUNT && source_keys[s];
}

paper_t *paper_list_add(paper_list_t *l, arena_t *a)
{
    if (l->n == l->cap) {
        size_t cap = l->cap == 0 ? 16 : l->cap * 2;
        paper_t *items = arena_alloc(a, cap * sizeof(*items));
        if (items == NULL) return NULL;
        if (l->n > 0) memcpy(items, l->items, l->n * sizeof(*items));
        l->items = items;
        l->cap = cap;
    }
    paper_t *p = &l->items[l->n++];
    memset(p, 0, sizeof(*p));
    p->title = "";
    p->citations = -1;
    return p;
}

static const char *copy_str(arena_t *a, const char *s, bool *oom)
{
    if (!s) return NULL;
    char *c = arena_strdup(a, s);
    if (!c) *oom = true;
    return c;
}

static const char **copy_strv(arena_t *a, const char **v, size_t n, bool *oom)
{
    if (!v || !n) return NULL;
    const char **c = arena_alloc(a, n * sizeof *c);
    if (!c) {
        *oom = true;
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        c[i] = copy_str(a, v[i], oom);
    return c;
}

int paper_list_copy(paper_list_t *dst, const paper_list_t *src, arena_t *a)
{
    memset(dst, 0, sizeof *dst);
    bool oom = false;
    for (size_t i = 0; i < src->n && !oom; i++) {
        const paper_t *s = &src->items[i];
        paper_t *d = paper_list_add(dst, a);
        if (!d) return -1;
        *d = *s;
        d->title = copy_str(a, s->title, &oom);
        d->abstract = copy_str(a, s->abstract, &oom);
        d->authors = copy_strv(a, s->authors, s->nauthors, &oom);
        d->doi = copy_str(a, s->doi, &oom);
        d->arxiv_id = copy_str(a, s->arxiv_id, &oom);
        d->arxiv_version = copy_str(a, s->arxiv_version, &oom);
        d->published = copy_str(a, s->published, &oom);
        d->venue = copy_str(a, s->venue, &oom);
        d->categories = copy_strv(a, s->categories, s->ncategories, &oom);
        d->url = copy_str(a, s->url, &oom);
        d->pdf_url = copy_str(a, s->pdf_url, &oom);
        for (size_t k = 0; k < s->nsources; k++)
            d->sources[k].id = copy_str(a, s->sources[k].id, &oom);
    }
    return oom ? -1 : 0;
}

static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static char ascii_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alnum(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Case-insensitive ASCII prefix test on a length-bounded string. */
static bool has_prefix_ci(const char *s, size_t len, const char *prefix)
{
    size_t n = strlen(prefix);
    if (len < n) return false;
    for (size_t i = 0; i < n; i++) {
        if (ascii_lower(s[i]) != ascii_lower(prefix[i])) return false;
    }
    return true;
}

/* Narrows [*s, *s + *len) to its non-whitespace core. */
static void trim(const char **s, size_t *len)
{
    while (*len > 0 && is_space((unsigned char)**s)) {
        (*s)++;
        (*len)--;
    }
    while (*len > 0 && is_space((unsigned char)(*s)[*len - 1]))
        (*len)--;
}

char *paper_clean_text(arena_t *a, const char *s, size_t len)
{
    if (s == NULL || len == 0) return NULL;
    char *out = arena_alloc(a, len + 1);
    if (out == NULL) return NULL;
    size_t n = 0;
    bool pending_space = false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\0') continue; /* never let an embedded NUL cut the text */
        if (is_space(c)) {
            pending_space = n > 0;
            continue;
        }
        if (pending_space) out[n++] = ' ';
        pending_space = false;
        out[n++] = (char)c;
    }
    out[n] = '\0';
    return n > 0 ? out : NULL;
}

/* Drops the first of prefixes (case-insensitive) that *s starts with. */
static void strip_first_prefix(const char **s, size_t *len, const char *const *prefixes, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (has_prefix_ci(*s, *len, prefixes[i])) {
            size_t plen = strlen(prefixes[i]);
            *s += plen;
            *len -= plen;
            return;
        }
    }
}

char *paper_normalize_doi(arena_t *a, const char *s, size_t len)
{
    static const char *const prefixes[] = {
        "https://doi.org/",
        "http://doi.org/",
        "https://dx.doi.org/",
        "http://dx.doi.org/",
        "doi.org/",
        "dx.doi.org/",
        "info:doi/",
        "doi:",
        "https://www.doi.org/",
        "http://www.doi.org/",
    };
    if (s == NULL) return NULL;
    trim(&s, &len);
    strip_first_prefix(&s, &len, prefixes, sizeof(prefixes) / sizeof(prefixes[0]));
    trim(&s, &len);
    /* A DOI is "10.<registrant>/<suffix>", both parts non-empty. */
    if (len < 6 || s[0] != '1' || s[1] != '0' || s[2] != '.') return NULL;
    const char *slash = memchr(s, '/', len);
    if (slash == NULL || slash == s + 3 || slash == s + len - 1) return NULL;
    char *out = arena_alloc(a, len + 1);
    if (out == NULL) return NULL;
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (is_space((unsigned char)s[i]) || s[i] == '\0') return NULL;
        out[n++] = ascii_lower(s[i]);
    }
    out[n] = '\0';
    return out;
}

/* Length of a run of digits at s (bounded by len). */
static size_t digits(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len && is_digit(s[i]))
        i++;
    return i;
}

/* Parses an optional "vN" at s; returns its length (0 when absent or bad). */
static size_t version_suffix(const char *s, size_t len)
{
    if (len < 2 || (s[0] != 'v' && s[0] != 'V')) return 0;
    size_t d = digits(s + 1, len - 1);
    return d > 0 && d < 6 ? 1 + d : 0;
}

char *paper_normalize_arxiv_id(arena_t *a, const char *s, size_t len, const char **version)
{
    static const char *const prefixes[] = {
        "https://arxiv.org/abs/",
        "http://arxiv.org/abs/",
        "https://arxiv.org/pdf/",
        "http://arxiv.org/pdf/",
        "https://www.arxiv.org/abs/",
        "http://www.arxiv.org/abs/",
        "https://www.arxiv.org/pdf/",
        "http://www.arxiv.org/pdf/",
        "https://export.arxiv.org/abs/",
        "http://export.arxiv.org/abs/",
        "arxiv.org/abs/",
        "arxiv.org/pdf/",
        "https://doi.org/10.48550/arxiv.",
        "10.48550/arxiv.",
        "arxiv:",
    };
    if (version != NULL) *version = NULL;
    if (s == NULL) return NULL;
    trim(&s, &len);
    strip_first_prefix(&s, &len, prefixes, sizeof(prefixes) / sizeof(prefixes[0]));
    /* Trailing decoration from URLs: "/", ".pdf", a query or fragment. */
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '?' || s[i] == '#') {
            len = i;
            break;
        }
    }
    while (len > 0 && s[len - 1] == '/')
        len--;
    if (len > 4 && has_prefix_ci(s + len - 4, 4, ".pdf")) len -= 4;
    if (len == 0) return NULL;

    const char *archive = NULL; /* old style: archive name, then "/" NNNNNNN */
    size_t archive_len = 0;
    const char *num;
    size_t num_len;
    size_t d = digits(s, len);
    if (d == 4 && len > 5 && s[4] == '.') {
        /* New style: YYMM.NNNN (2007-2014) or YYMM.NNNNN (2015-). */
        size_t d2 = digits(s + 5, len - 5);
        if (d2 != 4 && d2 != 5) return NULL;
        num = s;
        num_len = 5 + d2;
    } else {
        const char *slash = memchr(s, '/', len);
        if (slash == NULL || slash == s) return NULL;
        archive = s;
        archive_len = (size_t)(slash - s);
        /* "math.GT/0309136": the subject class is not part of the id. */
        const char *dot = memchr(archive, '.', archive_len);
        if (dot != NULL) archive_len = (size_t)(dot - archive);
        if (archive_len == 0) return NULL;
        for (size_t i = 0; i < archive_len; i++) {
            char c = ascii_lower(archive[i]);
            if (!((c >= 'a' && c <= 'z') || c == '-')) return NULL;
        }
        if (dot != NULL) {
            for (const char *p = dot + 1; p < slash; p++)
                if (!is_alnum(*p)) return NULL;
        }
        num = slash + 1;
        size_t rest = len - (size_t)(num - s);
        if (digits(num, rest) != 7) return NULL;
        num_len = 7;
    }
    size_t used = (size_t)(num - s) + num_len;
    size_t vlen = version_suffix(s + used, len - used);
    if (used + vlen != len) return NULL;

    char *out = arena_alloc(a, archive_len + 1 + num_len + 1);
    if (out == NULL) return NULL;
    size_t n = 0;
    for (size_t i = 0; i < archive_len; i++)
        out[n++] = ascii_lower(archive[i]);
    if (archive != NULL) out[n++] = '/';
    memcpy(out + n, num, num_len);
    out[n + num_len] = '\0';
    if (vlen > 0 && version != NULL) {
        char *v = arena_strndup(a, s + used, vlen);
        if (v == NULL) return NULL;
        v[0] = 'v';
        *version = v;
    }
    return out;
}

char *paper_title_key(arena_t *a, const char *title)
{
    if (title == NULL) return NULL;
    size_t len = strlen(title);
    char *out = arena_alloc(a, len + 1);
    if (out == NULL) return NULL;
    size_t n = 0;
    bool pending_space = false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)title[i];
        if (is_space(c)) {
            pending_space = n > 0;
            continue;
        }
        /* ASCII punctuation is dropped without a gap ("Pre-training" and
         * "Pretraining" give one key); bytes of UTF-8 sequences are kept. */
        if (c < 0x80 && !is_alnum((char)c)) continue;
        if (pending_space) out[n++] = ' ';
        pending_space = false;
        out[n++] = ascii_lower((char)c);
    }
    out[n] = '\0';
    return n > 0 ? out : NULL;
}

/* ---- dedupe keys (the merge's and the store's) ------------------------------ */

char *paper_dedupe_title_key(arena_t *a, const char *title)
{
    char *k = paper_title_key(a, title);
    if (k == NULL) return NULL;
    size_t w = 0;
    for (size_t r = 0; k[r] != '\0';) {
        unsigned char c = (unsigned char)k[r];
        if (c == ' ') {
            r++;
        } else if (c == 0xC2 && (unsigned char)k[r + 1] == 0xA0) {
            r += 2;
        } else if (c == 0xE2 && (unsigned char)k[r + 1] == 0x80 && k[r + 2] != '\0') {
            r += 3; /* U+2000..U+203F */
        } else {
            k[w++] = k[r++];
        }
    }
    k[w] = '\0';
    return w > 0 ? k : NULL;
}

/* Base letters of U+00C0..U+00FF (UTF-8 C3 80..C3 BF); 0 = dropped
 * (multiplication and division signs); 'S' stands for "ss". */
static const char latin1_base[65] = "aaaaaaaceeeeiiiidnooooo\0ouuuuytS"
                                    "aaaaaaaceeeeiiiidnooooo\0ouuuuyty";

/* Folds name[0..n) into out (cap >= n * 2 + 1): ASCII lower case, ASCII
 * punctuation and spaces dropped, Latin-1 accents to base letters. */
static size_t fold_name(const char *name, size_t n, char *out)
{
    const unsigned char *s = (const unsigned char *)name;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        if (c == 0xc3 && i + 1 < n && s[i + 1] >= 0x80 && s[i + 1] <= 0xbf) {
            char b = latin1_base[s[i + 1] - 0x80];
            i++;
            if (b == 'S') {
                out[o++] = 's';
                out[o++] = 's';
            } else if (b != 0) {
                out[o++] = b;
            }
        } else if (c >= 0x80) {
            out[o++] = (char)c;
        } else if (is_alnum((char)c)) {
            out[o++] = ascii_lower((char)c);
        }
    }
    out[o] = '\0';
    return o;
}

static bool is_name_suffix(const char *w, size_t n)
{
    static const char *const suffixes[] = {"jr", "sr", "ii", "iii", "iv"};
    char buf[8];
    if (n >= sizeof(buf) / 2) return false;
    size_t len = fold_name(w, n, buf);
    for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++)
        if (strlen(suffixes[i]) == len && memcmp(suffixes[i], buf, len) == 0) return true;
    return false;
}

char *paper_family_key(arena_t *a, const char *name)
{
    if (name == NULL) return NULL;
    size_t n = strlen(name);
    const char *comma = memchr(name, ',', n);
    const char *end = comma != NULL ? comma : name + n;
    for (;;) {
        while (end > name && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '.'))
            end--;
        const char *start = end;
        while (start > name && start[-1] != ' ' && start[-1] != '\t')
            start--;
        if (start == end) return NULL;
        bool more = false;
        for (const char *p = name; p < start; p++)
            if ((unsigned char)*p >= 0x80 || is_alnum(*p)) more = true;
        if (more && is_name_suffix(start, (size_t)(end - start))) {
            end = start;
            continue;
        }
        char *out = arena_alloc(a, (size_t)(end - start) * 2 + 1);
        if (out == NULL) return NULL;
        return fold_name(start, (size_t)(end - start), out) > 0 ? out : NULL;
    }
}

bool paper_is_stop_word(const char *w, size_t n)
{
    static const char *const stop[] = {"a",  "an",  "and",  "are", "as", "at",  "be",
                                       "by", "for", "from", "in",  "is", "it",  "of",
                                       "on", "or",  "that", "the", "to", "with"};
    for (size_t i = 0; i < sizeof(stop) / sizeof(stop[0]); i++) {
        if (strlen(stop[i]) != n) continue;
        size_t k = 0;
        while (k < n && ascii_lower(w[k]) == stop[i][k])
            k++;
        if (k == n) return true;
    }
    return false;
}

static const char *const type_names[PAPER_TYPE_COUNT] = {
    [PAPER_TYPE_ARTICLE] = "article",
    [PAPER_TYPE_PREPRINT] = "preprint",
    [PAPER_TYPE_PROCEEDINGS] = "proceedings",
    [PAPER_TYPE_BOOK] = "book",
    [PAPER_TYPE_BOOK_CHAPTER] = "book_chapter",
    [PAPER_TYPE_THESIS] = "thesis",
    [PAPER_TYPE_DATASET] = "dataset",
    [PAPER_TYPE_REVIEW] = "review",
    [PAPER_TYPE_OTHER] = "other",
};

const char *paper_type_name(paper_type_t t)
{
    return t > PAPER_TYPE_UNKNOWN && t < PAPER_TYPE_COUNT ? type_names[t] : NULL;
}

/* The providers' words, folded (lower case, letters and digits only). */
static const struct {
    const char *word;
    paper_type_t type;
} type_words[] = {
    {"article", PAPER_TYPE_ARTICLE},
    {"journalarticle", PAPER_TYPE_ARTICLE},
    {"preprint", PAPER_TYPE_PREPRINT},
    {"postedcontent", PAPER_TYPE_PREPRINT},
    {"proceedings", PAPER_TYPE_PROCEEDINGS},
    {"proceedingsarticle", PAPER_TYPE_PROCEEDINGS},
    {"conference", PAPER_TYPE_PROCEEDINGS},
    {"conferencepaper", PAPER_TYPE_PROCEEDINGS},
    {"book", PAPER_TYPE_BOOK},
    {"monograph", PAPER_TYPE_BOOK},
    {"editedbook", PAPER_TYPE_BOOK},
    {"referencebook", PAPER_TYPE_BOOK},
    {"bookchapter", PAPER_TYPE_BOOK_CHAPTER},
    {"booksection", PAPER_TYPE_BOOK_CHAPTER},
    {"bookpart", PAPER_TYPE_BOOK_CHAPTER},
    {"thesis", PAPER_TYPE_THESIS},
    {"dissertation", PAPER_TYPE_THESIS},
    {"dataset", PAPER_TYPE_DATASET},
    {"review", PAPER_TYPE_REVIEW},
    {"other", PAPER_TYPE_OTHER},
};

paper_type_t paper_type_parse(const char *s, size_t len)
{
    char folded[32];
    size_t n = 0;
    if (s == NULL || len == 0) return PAPER_TYPE_UNKNOWN;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '-' || c == '_' || c == ' ') continue;
        if (!isalnum(c) || n == sizeof(folded) - 1) return PAPER_TYPE_OTHER;
        folded[n++] = (char)tolower(c);
    }
    if (n == 0) return PAPER_TYPE_UNKNOWN;
    folded[n] = '\0';
    for (size_t i = 0; i < sizeof(type_words) / sizeof(type_words[0]); i++)
        if (strcmp(folded, type_words[i].word) == 0) return type_words[i].type;
    return PAPER_TYPE_OTHER;
}

paper_type_t paper_type_merge(paper_type_t cur, paper_type_t next)
{
    if (next == PAPER_TYPE_UNKNOWN || next == cur) return cur;
    if (cur == PAPER_TYPE_UNKNOWN || cur == PAPER_TYPE_OTHER) return next;
    if (cur == PAPER_TYPE_PREPRINT && next != PAPER_TYPE_OTHER) return next;
    return cur;
}
