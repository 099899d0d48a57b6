/* Authors and their merge (core/authors.h). */
#include "core/authors.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/answer_json.h"
#include "core/strbuf.h"

#define AUTHOR_JSON_MAX (16u * 1024 * 1024)

author_t *author_list_add(author_list_t *l, arena_t *a)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        author_t *n = arena_calloc(a, cap, sizeof(*n));
        if (n == NULL) return NULL;
        if (l->items != NULL) memcpy(n, l->items, l->n * sizeof(*n));
        l->items = n;
        l->cap = cap;
    }
    author_t *au = &l->items[l->n++];
    memset(au, 0, sizeof(*au));
    au->paper_count = au->citation_count = au->h_index = -1;
    return au;
}

/* Appends a copy of s to (*arr, *n) unless it is there (compared by eq). */
static int strv_add(arena_t *a, const char ***arr, size_t *n, size_t *cap, const char *s,
                    bool fold_case)
{
    if (s == NULL || s[0] == '\0') return 0;
    for (size_t i = 0; i < *n; i++)
        if (fold_case ? strcasecmp((*arr)[i], s) == 0 : strcmp((*arr)[i], s) == 0) return 0;
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 4;
        const char **v = arena_calloc(a, c, sizeof(*v));
        if (v == NULL) return -1;
        if (*arr != NULL) memcpy(v, *arr, *n * sizeof(*v));
        *arr = v;
        *cap = c;
    }
    const char *copy = arena_strdup(a, s);
    if (copy == NULL) return -1;
    (*arr)[(*n)++] = copy;
    return 0;
}

int author_add_alias(author_t *au, arena_t *a, const char *s)
{
    if (s == NULL || (au->name != NULL && strcmp(au->name, s) == 0)) return 0;
    return strv_add(a, &au->aliases, &au->naliases, &au->aliases_cap, s, false);
}

int author_add_affiliation(author_t *au, arena_t *a, const char *s)
{
    return strv_add(a, &au->affiliations, &au->naffiliations, &au->affiliations_cap, s, true);
}

void author_name_norm(const char *name, char *buf, size_t size)
{
    size_t n = 0;
    bool gap = false;
    if (size == 0) return;
    for (const unsigned char *c = (const unsigned char *)(name ? name : ""); *c; c++) {
        /* Bytes past ASCII are kept: a name's letters are not all Latin. */
        if (isalnum(*c) || *c >= 0x80) {
            if (gap && n > 0 && n + 1 < size) buf[n++] = ' ';
            gap = false;
            if (n + 1 < size) buf[n++] = (char)tolower(*c);
        } else {
            gap = true;
        }
    }
    buf[n] = '\0';
}

int author_add_paper(author_t *au, arena_t *a, const char *doi, const char *title)
{
    char key[512];
    if (doi != NULL && doi[0] != '\0') {
        const char *d = doi;
        if (strncasecmp(d, "https://doi.org/", 16) == 0) d += 16;
        size_t n = (size_t)snprintf(key, sizeof(key), "doi:%s", d);
        for (size_t i = 4; i < n && i < sizeof(key); i++)
            key[i] = (char)tolower((unsigned char)key[i]);
    } else if (title != NULL && title[0] != '\0') {
        key[0] = 't';
        key[1] = ':';
        author_name_norm(title, key + 2, sizeof(key) - 2);
        if (key[2] == '\0') return 0;
    } else {
        return 0;
    }
    return strv_add(a, &au->papers, &au->npapers, &au->papers_cap, key, false);
}

const char *author_orcid_norm(arena_t *a, const char *s)
{
    if (s == NULL) return NULL;
    const char *p = strstr(s, "orcid.org/");
    p = p != NULL ? p + 10 : s;
    char out[20];
    size_t n = 0;
    for (; *p && n < 19; p++) {
        if (isdigit((unsigned char)*p) || ((*p == 'x' || *p == 'X') && n == 18))
            out[n++] = (char)toupper((unsigned char)*p);
        else if (*p == '-' && (n == 4 || n == 9 || n == 14))
            out[n++] = '-';
        else
            return NULL;
    }
    if (n != 19 || *p != '\0') return NULL;
    out[n] = '\0';
    return arena_strdup(a, out);
}

static bool shares_paper(const author_t *x, const author_t *y)
{
    for (size_t i = 0; i < x->npapers; i++)
        for (size_t k = 0; k < y->npapers; k++)
            if (strcmp(x->papers[i], y->papers[k]) == 0) return true;
    return false;
}

/* Something says they are two people: different ORCIDs or different ids
 * of one provider. */
static bool known_apart(const author_t *x, const author_t *y)
{
    if (x->orcid != NULL && y->orcid != NULL && strcmp(x->orcid, y->orcid) != 0) return true;
    for (int s = 0; s < SRC_COUNT; s++)
        if (x->ids[s] != NULL && y->ids[s] != NULL && strcmp(x->ids[s], y->ids[s]) != 0)
            return true;
    return false;
}

/* 1: same ORCID; 2: same id of a provider; 3: same name and a shared
 * paper; 0: not the same person. */
static int same_by(const author_t *x, const author_t *y)
{
    if (x->orcid != NULL && y->orcid != NULL && strcmp(x->orcid, y->orcid) == 0) return 1;
    if (known_apart(x, y)) return 0;
    for (int s = 0; s < SRC_COUNT; s++)
        if (x->ids[s] != NULL && y->ids[s] != NULL) return 2; /* equal: known_apart said no */
    char nx[256], ny[256];
    author_name_norm(x->name, nx, sizeof(nx));
    author_name_norm(y->name, ny, sizeof(ny));
    if (nx[0] != '\0' && strcmp(nx, ny) == 0 && shares_paper(x, y)) return 3;
    return 0;
}

bool author_same(const author_t *x, const author_t *y)
{
    return same_by(x, y) != 0;
}

static long max_count(long a, long b)
{
    return a > b ? a : b;
}

/* Adds what src says of the person to dst. */
static int absorb(author_t *dst, const author_t *src, arena_t *a)
{
    if (dst->name == NULL) dst->name = src->name;
    if (author_add_alias(dst, a, src->name) < 0) return -1;
    for (size_t i = 0; i < src->naliases; i++)
        if (author_add_alias(dst, a, src->aliases[i]) < 0) return -1;
    for (size_t i = 0; i < src->naffiliations; i++)
        if (author_add_affiliation(dst, a, src->affiliations[i]) < 0) return -1;
    for (size_t i = 0; i < src->npapers; i++)
        if (strv_add(a, &dst->papers, &dst->npapers, &dst->papers_cap, src->papers[i], false) < 0)
            return -1;
    if (dst->orcid == NULL) dst->orcid = src->orcid;
    if (dst->homepage == NULL) dst->homepage = src->homepage;
    dst->paper_count = max_count(dst->paper_count, src->paper_count);
    dst->citation_count = max_count(dst->citation_count, src->citation_count);
    dst->h_index = max_count(dst->h_index, src->h_index);
    for (int s = 0; s < SRC_COUNT; s++)
        if (dst->ids[s] == NULL) dst->ids[s] = src->ids[s];
    dst->sources |= src->sources;
    return 0;
}

int authors_merge(const author_list_t lists[SRC_COUNT], arena_t *a, author_list_t *out)
{
    for (int s = 0; s < SRC_COUNT; s++) {
        for (size_t i = 0; i < lists[s].n; i++) {
            const author_t *in = &lists[s].items[i];
            /* The strongest rule wins: an ORCID match before an id match
             * before a name match, whatever order the people came in. */
            author_t *best = NULL;
            int best_rule = 4;
            for (size_t k = 0; k < out->n; k++) {
                int r = same_by(&out->items[k], in);
                if (r != 0 && r < best_rule) {
                    best = &out->items[k];
                    best_rule = r;
                }
            }
            if (best == NULL && (best = author_list_add(out, a)) == NULL) return -1;
            if (absorb(best, in, a) < 0) return -1;
        }
    }
    return 0;
}

void author_public_id(const author_t *au, char *buf, size_t size)
{
    if (au->orcid != NULL)
        snprintf(buf, size, "orcid:%s", au->orcid);
    else if (au->ids[SRC_SEMANTIC_SCHOLAR] != NULL)
        snprintf(buf, size, "s2:%s", au->ids[SRC_SEMANTIC_SCHOLAR]);
    else if (au->ids[SRC_OPENALEX] != NULL)
        snprintf(buf, size, "openalex:%s", au->ids[SRC_OPENALEX]);
    else
        snprintf(buf, size, "%s", "");
}

static int put(char **buf, size_t *len, size_t *cap, const char *s)
{
    size_t n = strlen(s);
    if (!sf_strbuf_grow(buf, cap, *len, n, 1024, AUTHOR_JSON_MAX)) return -1;
    memcpy(*buf + *len, s, n + 1);
    *len += n;
    return 0;
}

static int put_key_str(char **buf, size_t *len, size_t *cap, const char *key, const char *v)
{
    char k[64];
    snprintf(k, sizeof(k), ",\"%s\":", key);
    if (put(buf, len, cap, k) < 0) return -1;
    return answer_json_append_str(buf, len, cap, v);
}

static int put_key_count(char **buf, size_t *len, size_t *cap, const char *key, long v)
{
    char k[96];
    if (v >= 0)
        snprintf(k, sizeof(k), ",\"%s\":%ld", key, v);
    else
        snprintf(k, sizeof(k), ",\"%s\":null", key);
    return put(buf, len, cap, k);
}

static int put_strv(char **buf, size_t *len, size_t *cap, const char *key, const char *const *v,
                    size_t n)
{
    char k[64];
    snprintf(k, sizeof(k), ",\"%s\":[", key);
    if (put(buf, len, cap, k) < 0) return -1;
    for (size_t i = 0; i < n; i++)
        if ((i > 0 && put(buf, len, cap, ",") < 0) ||
            answer_json_append_str(buf, len, cap, v[i]) < 0)
            return -1;
    return put(buf, len, cap, "]");
}

int author_json_append(char **buf, size_t *len, size_t *cap, const author_t *au)
{
    char id[320];
    author_public_id(au, id, sizeof(id));
    if (put(buf, len, cap, "{\"id\":") < 0 || answer_json_append_str(buf, len, cap, id) < 0 ||
        put_key_str(buf, len, cap, "name", au->name) < 0 ||
        put_strv(buf, len, cap, "aliases", au->aliases, au->naliases) < 0 ||
        put_key_str(buf, len, cap, "orcid", au->orcid) < 0 ||
        put_strv(buf, len, cap, "affiliations", au->affiliations, au->naffiliations) < 0 ||
        put_key_str(buf, len, cap, "homepage", au->homepage) < 0 ||
        put_key_count(buf, len, cap, "paper_count", au->paper_count) < 0 ||
        put_key_count(buf, len, cap, "citation_count", au->citation_count) < 0 ||
        put_key_count(buf, len, cap, "h_index", au->h_index) < 0 ||
        put(buf, len, cap, ",\"ids\":{") < 0)
        return -1;
    bool first = true;
    const char *srcs[SRC_COUNT];
    size_t nsrcs = 0;
    for (int s = 0; s < SRC_COUNT; s++) {
        if (au->sources & (1u << s)) srcs[nsrcs++] = source_name((source_t)s);
        if (au->ids[s] == NULL) continue;
        char k[64];
        snprintf(k, sizeof(k), "%s\"%s\":", first ? "" : ",", source_name((source_t)s));
        first = false;
        if (put(buf, len, cap, k) < 0 || answer_json_append_str(buf, len, cap, au->ids[s]) < 0)
            return -1;
    }
    if (put(buf, len, cap, "}") < 0 || put_strv(buf, len, cap, "sources", srcs, nsrcs) < 0)
        return -1;
    return put(buf, len, cap, "}");
}
