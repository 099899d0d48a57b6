/* The streaming readers (prov_stream_*(), providers/jstream.c and arXiv's
 * SAX reader): every fixture of every provider gives the same answer
 * (status, message, total, every field of every paper) whole, cut in two
 * at every byte (or, for the larger ones, at many points), and fed one
 * byte at a time; a cut body, garbage after a good one and garbage alone
 * fail with no papers. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "providers/jstream.h"
#include "providers/verdict.h"
#include "test/providers/helpers.h"

typedef struct outcome {
    int rc;
    char err[256];
    prov_result_t r;
    arena_t *a;
} outcome_t;

/* Feeds body in the pieces that end at cuts[0..ncuts) (ascending). */
static void run(const prov_def_t *def, const char *body, size_t len, const size_t *cuts,
                size_t ncuts, outcome_t *o)
{
    o->a = arena_new(0);
    memset(o->err, 0, sizeof o->err);
    prov_stream_t *s = prov_stream_new(def, o->a);
    size_t at = 0;
    for (size_t i = 0; i <= ncuts; i++) {
        size_t end = i < ncuts ? cuts[i] : len;
        prov_stream_feed(s, body + at, end - at);
        at = end;
    }
    o->rc = prov_stream_finish(s, &o->r, o->err, sizeof o->err);
    prov_stream_free(s);
}

static int str_eq(const char *x, const char *y)
{
    return (x == NULL && y == NULL) || (x != NULL && y != NULL && strcmp(x, y) == 0);
}

/* Where two answers differ, or NULL when they do not. */
static const char *differ(const outcome_t *x, const outcome_t *y)
{
    if (x->rc != y->rc) return "rc";
    /* libxml2's words past "invalid XML: " depend on where a piece ended */
    const char *xml = strstr(x->err, "invalid XML: ");
    size_t same = xml != NULL ? (size_t)(xml - x->err) + 13 : strlen(x->err) + 1;
    if (strncmp(x->err, y->err, same) != 0) return "err";
    if (x->r.total != y->r.total) return "total";
    if (x->r.papers.n != y->r.papers.n) return "number of papers";
    for (size_t i = 0; i < x->r.papers.n; i++) {
        const paper_t *p = &x->r.papers.items[i], *q = &y->r.papers.items[i];
        if (!str_eq(p->title, q->title)) return "title";
        if (!str_eq(p->abstract, q->abstract)) return "abstract";
        if (!str_eq(p->doi, q->doi)) return "doi";
        if (!str_eq(p->arxiv_id, q->arxiv_id)) return "arxiv_id";
        if (!str_eq(p->arxiv_version, q->arxiv_version)) return "arxiv_version";
        if (!str_eq(p->published, q->published)) return "published";
        if (!str_eq(p->venue, q->venue)) return "venue";
        if (!str_eq(p->url, q->url)) return "url";
        if (!str_eq(p->pdf_url, q->pdf_url)) return "pdf_url";
        if (p->year != q->year || p->citations != q->citations) return "year or citations";
        if (p->open_access != q->open_access) return "open_access";
        if (p->nauthors != q->nauthors) return "number of authors";
        for (size_t k = 0; k < p->nauthors; k++)
            if (!str_eq(p->authors[k], q->authors[k])) return "author";
        if (p->ncategories != q->ncategories) return "number of categories";
        for (size_t k = 0; k < p->ncategories; k++)
            if (!str_eq(p->categories[k], q->categories[k])) return "category";
        if (p->nsources != q->nsources || p->sources[0].source != q->sources[0].source ||
            p->sources[0].rank != q->sources[0].rank || !str_eq(p->sources[0].id, q->sources[0].id))
            return "source";
    }
    return NULL;
}

static int only_space(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\n' && s[i] != '\r' && s[i] != '\t') return 0;
    return 1;
}

static const struct {
    const prov_def_t *def;
    const char *dir;
} provs[] = {
    {&prov_arxiv, "arxiv"},       {&prov_semantic_scholar, "semantic_scholar"},
    {&prov_exa, "exa"},           {&prov_openalex, "openalex"},
    {&prov_crossref, "crossref"},
};

/* fn(def, relative path) for every fixture of provider i. */
static size_t each_fixture(size_t i, void (*fn)(const prov_def_t *def, const char *rel))
{
    size_t n = 0;
    {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", TEST_FIXTURES_DIR, provs[i].dir);
        DIR *d = opendir(path);
        if (d == NULL) return 0;
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (e->d_name[0] == '.') continue;
            char rel[512];
            snprintf(rel, sizeof rel, "%s/%s", provs[i].dir, e->d_name);
            fn(provs[i].def, rel);
            n++;
        }
        closedir(d);
    }
    return n;
}

static int failures;

static void check_splits(const prov_def_t *def, const char *rel)
{
    size_t len = 0;
    char *body = fixture_read(rel, &len);
    if (body == NULL) {
        failures++;
        return;
    }
    outcome_t whole;
    run(def, body, len, NULL, 0, &whole);
    /* prov_parse() is the same reader fed whole. */
    arena_t *a = arena_new(0);
    outcome_t parsed = {.a = a};
    parsed.rc = prov_parse(def, body, len, a, &parsed.r, parsed.err, sizeof parsed.err);
    if (differ(&whole, &parsed)) {
        fprintf(stderr, "%s: prov_parse differs from the stream: %s\n", rel,
                differ(&whole, &parsed));
        failures++;
    }
    arena_free(a);
    /* Two pieces, cut at every byte (at 300 points past 2 KiB: still all
     * kinds of tokens, and quick under the sanitizers). */
    size_t step = len > 2048 ? len / 300 + 1 : 1;
    for (size_t cut = 1; cut < len; cut += step) {
        outcome_t o;
        run(def, body, len, &cut, 1, &o);
        const char *d = differ(&whole, &o);
        if (d != NULL) {
            fprintf(stderr, "%s: cut at %zu: %s differs (%s / %s)\n", rel, cut, d, whole.err,
                    o.err);
            failures++;
            cut = len;
        }
        arena_free(o.a);
    }
    /* One byte at a time. */
    size_t *cuts = malloc(len * sizeof *cuts);
    for (size_t i = 0; i < len; i++)
        cuts[i] = i + 1;
    outcome_t bytes;
    run(def, body, len, cuts, len ? len - 1 : 0, &bytes);
    const char *d = differ(&whole, &bytes);
    if (d != NULL) {
        fprintf(stderr, "%s: fed byte by byte: %s differs\n", rel, d);
        failures++;
    }
    arena_free(bytes.a);
    free(cuts);

    /* A good answer cut short, or with garbage after it, fails, with no papers. */
    if (whole.rc == 0) {
        for (size_t cut = 0; cut < len; cut += step) {
            if (only_space(body + cut, len - cut)) break;
            size_t half = cut / 2;
            outcome_t o;
            run(def, body, cut, &half, cut > 1 ? 1 : 0, &o);
            if (o.rc != -1 || o.r.papers.n != 0 || o.r.total != -1 || o.err[0] == '\0') {
                fprintf(stderr, "%s: cut short at %zu: rc %d, %zu papers\n", rel, cut, o.rc,
                        o.r.papers.n);
                failures++;
                cut = len;
            }
            arena_free(o.a);
        }
        static const char *const tails[] = {"x", "{}", ",", "<x/>", "\xff"};
        for (size_t t = 0; t < sizeof tails / sizeof tails[0]; t++) {
            size_t tl = strlen(tails[t]);
            char *bad = malloc(len + tl);
            memcpy(bad, body, len);
            memcpy(bad + len, tails[t], tl);
            outcome_t o;
            run(def, bad, len + tl, &len, 1, &o);
            if (o.rc != -1 || o.r.papers.n != 0) {
                fprintf(stderr, "%s: garbage '%s' after it: rc %d, %zu papers\n", rel, tails[t],
                        o.rc, o.r.papers.n);
                failures++;
            }
            arena_free(o.a);
            free(bad);
        }
    }
    arena_free(whole.a);
    free(body);
}

#define SPLITS_TEST(i, name, min)                                                                  \
    TEST(every_##name##_fixture_gives_the_same_answer_however_it_is_cut)                           \
    {                                                                                              \
        failures = 0;                                                                              \
        ASSERT(each_fixture(i, check_splits) >= (min));                                            \
        ASSERT_EQ(failures, 0);                                                                    \
    }
SPLITS_TEST(0, arxiv, 7)
SPLITS_TEST(1, semantic_scholar, 9)
SPLITS_TEST(2, exa, 5)
SPLITS_TEST(3, openalex, 6)
SPLITS_TEST(4, crossref, 8)

TEST(garbage_fed_in_pieces_fails_with_no_papers)
{
    for (size_t i = 0; i < sizeof provs / sizeof provs[0]; i++) {
        for (size_t g = 0; g < sizeof(garbage_bodies) / sizeof(garbage_bodies[0]); g++) {
            size_t len = strlen(garbage_bodies[g]);
            size_t cuts[64], n = 0;
            for (size_t k = 1; k < len && n < 64; k++)
                cuts[n++] = k;
            outcome_t o;
            run(provs[i].def, garbage_bodies[g], len, cuts, n, &o);
            ASSERT_EQ(o.rc, -1);
            ASSERT_EQ(o.r.papers.n, 0);
            ASSERT_STR_CONTAINS(o.err, source_name(provs[i].def->source));
            arena_free(o.a);
        }
    }
}

/* A failed answer keeps nothing: the papers read before the error are dropped. */
TEST(an_error_after_papers_drops_them)
{
    const char *body = "{\"total\": 2, \"data\": [{\"paperId\": \"a\", \"title\": \"One\"}, "
                       "{\"paperId\": \"b\", \"title\": \"Two\"}], \"data\": 7}";
    outcome_t o;
    run(&prov_semantic_scholar, body, strlen(body), NULL, 0, &o);
    ASSERT_EQ(o.rc, -1);
    ASSERT_EQ(o.r.papers.n, 0);
    ASSERT_STR_CONTAINS(o.err, "semantic_scholar");
    arena_free(o.a);
    /* a key given twice: its last value counts, as in a DOM */
    const char *twice = "{\"total\": 1, \"data\": [{\"paperId\": \"a\", \"title\": \"One\"}], "
                        "\"data\": [{\"paperId\": \"b\", \"title\": \"Two\", \"title\": null}]}";
    run(&prov_semantic_scholar, twice, strlen(twice), NULL, 0, &o);
    ASSERT_EQ(o.rc, 0);
    ASSERT_EQ(o.r.papers.n, 1);
    ASSERT_STR_EQ(o.r.papers.items[0].sources[0].id, "b");
    ASSERT_STR_EQ(o.r.papers.items[0].title, "");
    ASSERT_EQ(o.r.papers.items[0].sources[0].rank, 1);
    arena_free(o.a);
}

/* Nesting past what a DOM parser takes is refused, not a stack overflow. */
TEST(deep_nesting_is_refused)
{
    size_t n = 5000;
    char *body = malloc(2 * n + 16);
    size_t k = 0;
    k += (size_t)sprintf(body, "{\"x\":");
    for (size_t i = 0; i < n; i++)
        body[k++] = '[';
    for (size_t i = 0; i < n; i++)
        body[k++] = ']';
    body[k++] = '}';
    outcome_t o;
    run(&prov_openalex, body, k, NULL, 0, &o);
    ASSERT_EQ(o.rc, -1);
    ASSERT_STR_CONTAINS(o.err, "deep");
    arena_free(o.a);
    free(body);
}

/* The fan-out's judge on a call whose body went to a reader as it arrived:
 * the reader's papers when the answer is whole, none when it is cut or the
 * call failed on the way. */
TEST(the_judge_takes_the_streamed_papers_or_none)
{
    size_t len = 0;
    char *body = fixture_read("semantic_scholar/search.json", &len);
    ASSERT_NOT_NULL(body);
    for (int c = 0; c < 3; c++) {
        arena_t *a = arena_new(0);
        prov_stream_t *s = prov_stream_new(&prov_semantic_scholar, a);
        size_t fed = c == 1 ? len / 2 : len; /* 1: cut short */
        for (size_t at = 0; at < fed; at += 1000)
            prov_stream_feed(s, body + at, fed - at < 1000 ? fed - at : 1000);
        prov_call_t call;
        memset(&call, 0, sizeof call);
        call.outcome = c == 2 ? PROV_CALL_ERROR : PROV_CALL_OK; /* 2: reset mid-body */
        call.http_status = 200;
        call.streamed = true;
        call.body = body; /* its first bytes, as the client keeps them */
        call.body_len = 100;
        call.body_total = fed;
        call.retry_after_s = -1;
        snprintf(call.error, sizeof call.error, "Recv failure: Connection reset by peer");
        paper_list_t *papers = NULL;
        prov_verdict_t v;
        prov_judge_stream(SRC_SEMANTIC_SCHOLAR, &call, s, a, &papers, &v);
        if (c == 0) {
            ASSERT_EQ(v.status, PSTAT_OK);
            ASSERT_NOT_NULL(papers);
            ASSERT_EQ(papers->n, 2);
        } else {
            ASSERT_EQ(v.status, PSTAT_ERROR);
            ASSERT_NULL(papers);
            ASSERT_STR_CONTAINS(v.err, c == 1 ? "semantic_scholar" : "reset");
        }
        prov_stream_free(s);
        arena_free(a);
    }
    free(body);
}

/* ---- one item mapping, read wherever its items stand (lookups, batches,
 * citation lists: the shapes of S2's /paper/{id}, POST /paper/batch and
 * /paper/{id}/citations) ---- */

enum { K_ENTRY = 1, K_EDGE, K_INFLUENTIAL, K_INTENT };

typedef struct kst {
    int holes[8]; /* the batch's null entries, by position */
    size_t nholes;
    size_t before;    /* papers when the edge opened */
    bool influential; /* of the edge being read */
    size_t nintents;
    bool edge_infl[8]; /* per paper read */
    size_t edge_intents[8];
} kst_t;

static int k_open(prov_js_t *js, void *st, int slot, bool array)
{
    (void)array;
    kst_t *k = st;
    if (slot == K_EDGE) {
        k->before = prov_js_npapers(js);
        k->influential = false;
        k->nintents = 0;
    }
    return 0;
}

static int k_close(prov_js_t *js, void *st, int slot)
{
    kst_t *k = st;
    size_t n = prov_js_npapers(js);
    if (slot == K_EDGE && n > k->before && n <= 8) { /* the edge's paper: its fields */
        k->edge_infl[n - 1] = k->influential;
        k->edge_intents[n - 1] = k->nintents;
    }
    return 0;
}

static int k_value(prov_js_t *js, void *st, int slot, const prov_jval_t *v)
{
    kst_t *k = st;
    if (slot == K_ENTRY && v->type == PROV_JV_NULL && k->nholes < 8)
        k->holes[k->nholes++] = (int)prov_js_index(js);
    if (slot == K_INFLUENTIAL) k->influential = v->type == PROV_JV_TRUE;
    if (slot == K_INTENT && prov__jv_str(v)) k->nintents++;
    return 0;
}

static int k_finish(prov_js_t *js, void *st, long *total, char *err, size_t errlen)
{
    (void)js, (void)st, (void)total, (void)err, (void)errlen;
    return 0;
}

static const prov_jnode_t k_batch_entry = {.slot = K_ENTRY, .item = &prov__s2_item};
static const prov_jnode_t k_intent = {.slot = K_INTENT};
static const prov_jnode_t k_edge_fields[] = {
    {.key = "citingPaper", .item = &prov__s2_item},
    {.key = "isInfluential", .slot = K_INFLUENTIAL},
    {.key = "intents", .elem = &k_intent},
    {0},
};
static const prov_jnode_t k_edge = {.slot = K_EDGE, .fields = k_edge_fields};
static const prov_jnode_t k_list_fields[] = {{.key = "data", .elem = &k_edge}, {0}};

#define K_KIND(name, ...)                                                                          \
    static const prov_jkind_t name = {                                                             \
        .source = SRC_SEMANTIC_SCHOLAR,                                                            \
        .root = __VA_ARGS__,                                                                       \
        .state_size = sizeof(kst_t),                                                               \
        .ops = {.open = k_open, .close = k_close, .value = k_value},                               \
        .finish = k_finish,                                                                        \
    }
K_KIND(k_lookup, {.item = &prov__s2_item});
K_KIND(k_batch, {.elem = &k_batch_entry});
K_KIND(k_citations, {.fields = k_list_fields});

/* Reads body of kind k cut in pieces of step bytes; the envelope's state into *st. */
static int read_kind(const prov_jkind_t *k, const char *body, size_t step, arena_t *a,
                     prov_result_t *r, kst_t *st)
{
    prov_js_t *js = prov__js_new(k, a);
    size_t len = strlen(body);
    for (size_t at = 0; at < len; at += step)
        prov__js_feed(js, body + at, len - at < step ? len - at : step);
    char err[256] = "";
    int rc = prov__js_finish(js, r, err, sizeof err);
    (void)err;
    if (st != NULL) memcpy(st, prov_js_state(js), sizeof *st);
    prov__js_free(js);
    return rc;
}

TEST(one_item_mapping_reads_a_lookup_a_batch_and_a_citation_list)
{
    static const char *lookup =
        "{\"paperId\": \"p1\", \"title\": \"One\", \"externalIds\": {\"DOI\": \"10.1/A\"}}";
    static const char *batch = "[{\"paperId\": \"p1\", \"title\": \"One\"}, null, "
                               "{\"paperId\": \"p3\", \"title\": \"Three\"}]";
    static const char *cites =
        "{\"offset\": 0, \"data\": [{\"isInfluential\": true, \"intents\": [\"methodology\", "
        "\"background\"], \"citingPaper\": {\"paperId\": \"c1\", \"title\": \"Citing one\"}}, "
        "{\"citingPaper\": {\"paperId\": \"c2\", \"title\": \"Citing two\"}, "
        "\"isInfluential\": false, \"intents\": []}]}";
    for (size_t step = 1; step <= 64; step *= 4) {
        arena_t *a = arena_new(0);
        prov_result_t r;
        ASSERT_EQ(read_kind(&k_lookup, lookup, step, a, &r, NULL), 0);
        ASSERT_EQ(r.papers.n, 1);
        ASSERT_STR_EQ(r.papers.items[0].doi, "10.1/a");
        ASSERT_STR_EQ(r.papers.items[0].sources[0].id, "p1");
        kst_t st;
        ASSERT_EQ(read_kind(&k_batch, batch, step, a, &r, &st), 0);
        ASSERT_EQ(r.papers.n, 2);
        ASSERT_STR_EQ(r.papers.items[1].title, "Three");
        ASSERT_EQ(st.nholes, 1);
        ASSERT_EQ(st.holes[0], 1); /* the null stands second */
        ASSERT_EQ(read_kind(&k_citations, cites, step, a, &r, &st), 0);
        ASSERT_EQ(r.papers.n, 2);
        ASSERT_STR_EQ(r.papers.items[0].title, "Citing one");
        ASSERT_EQ(r.papers.items[1].sources[0].rank, 2);
        /* the edge's own fields, before or after its paper */
        ASSERT(st.edge_infl[0]);
        ASSERT_EQ(st.edge_intents[0], 2);
        ASSERT(!st.edge_infl[1]);
        ASSERT_EQ(st.edge_intents[1], 0);
        /* a root that is not the kind's shape */
        ASSERT_EQ(read_kind(&k_batch, lookup, step, a, &r, NULL), -1);
        arena_free(a);
    }
}

TEST_MAIN()
