/* Micro-benchmark of step 6-7 of a search: merge + serialise the answers of
 * five providers of 100 papers each, with heavy overlap (every identity
 * path: DOI in three spellings, versioned arXiv ids, title + author only).
 *
 *   bench_merge [iterations]
 *
 * Prints ns per search for merge alone, serialise alone (hand-written
 * writer, and jansson building a tree then json_dumpb, for comparison) and
 * both, at limit 10 and limit 100. Not run by the tests. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/answer_json.h"
#include "core/arena.h"
#include "core/merge.h"

#define WORKS 150
#define PER_PROVIDER 100

static const source_t provs[] = {SRC_ARXIV, SRC_SEMANTIC_SCHOLAR, SRC_EXA, SRC_OPENALEX,
                                 SRC_CROSSREF};
#define NPROVS (sizeof(provs) / sizeof(provs[0]))

static const char *words[] = {"graph",  "neural",    "network", "learning", "deep",
                              "model",  "attention", "quantum", "protein",  "language",
                              "vision", "robust",    "sparse",  "optimal",  "transport"};

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static unsigned rnd_state = 12345;
static unsigned rnd(void)
{
    rnd_state = rnd_state * 1103515245u + 12345u;
    return rnd_state >> 16;
}

static char *sentence(arena_t *a, int nwords)
{
    char *s = arena_alloc(a, (size_t)nwords * 12 + 1);
    size_t o = 0;
    for (int i = 0; i < nwords; i++) {
        const char *w = words[rnd() % (sizeof(words) / sizeof(words[0]))];
        if (i > 0) s[o++] = ' ';
        memcpy(s + o, w, strlen(w));
        o += strlen(w);
    }
    s[o] = '\0';
    return s;
}

/* Builds the five providers' lists over a pool of WORKS distinct papers. */
static void build_input(arena_t *a, paper_list_t lists[SRC_COUNT])
{
    const char *titles[WORKS], *abstracts[WORKS];
    for (int w = 0; w < WORKS; w++) {
        titles[w] = sentence(a, 6 + w % 5);
        abstracts[w] = sentence(a, 120 + w % 60);
    }
    for (size_t pi = 0; pi < NPROVS; pi++) {
        source_t s = provs[pi];
        int order[WORKS];
        for (int w = 0; w < WORKS; w++)
            order[w] = w;
        for (int w = WORKS - 1; w > 0; w--) {
            int j = (int)(rnd() % (unsigned)(w + 1));
            int t = order[w];
            order[w] = order[j];
            order[j] = t;
        }
        for (int r = 0; r < PER_PROVIDER; r++) {
            int w = order[r];
            paper_t *p = paper_list_add(&lists[s], a);
            p->title = titles[w];
            p->abstract = (s == SRC_CROSSREF || w % 4 == 0) ? NULL : abstracts[w];
            const char **au = arena_alloc(a, 5 * sizeof(char *));
            for (int k = 0; k < 5; k++)
                au[k] = arena_sprintf(a, "Author%d Family%d", k, (w * 7 + k) % 97);
            p->authors = au;
            p->nauthors = s == SRC_EXA ? 2 : 5;
            p->year = 2000 + w % 24;
            p->published = arena_sprintf(a, "%d-%02d-%02d", p->year, 1 + w % 12, 1 + w % 28);
            const char **cats = arena_alloc(a, 2 * sizeof(char *));
            cats[0] = "cs.LG";
            cats[1] = w % 2 ? "stat.ML" : "Computer Science";
            p->categories = cats;
            p->ncategories = 2;
            p->citations = s == SRC_ARXIV ? -1 : (int64_t)(w * 13 % 1000);
            bool has_arxiv = w % 3 != 0;
            switch (s) {
            case SRC_ARXIV:
                if (!has_arxiv) {
                    p->title = titles[w]; /* title + author only */
                    break;
                }
                p->arxiv_id = arena_sprintf(a, "2%03d.%05dv%d", 100 + w % 12, w, 1 + w % 3);
                p->pdf_url = arena_sprintf(a, "https://arxiv.org/pdf/2%03d.%05d", 100 + w % 12, w);
                break;
            case SRC_SEMANTIC_SCHOLAR:
                p->doi = arena_sprintf(a, "10.%d/work.%d", 1000 + w % 50, w);
                if (has_arxiv) p->arxiv_id = arena_sprintf(a, "2%03d.%05d", 100 + w % 12, w);
                break;
            case SRC_EXA:
                break; /* title + authors only */
            case SRC_OPENALEX:
                p->doi = arena_sprintf(a, "https://doi.org/10.%d/WORK.%d", 1000 + w % 50, w);
                break;
            default:
                p->doi = arena_sprintf(a, "10.%d/Work.%d", 1000 + w % 50, w);
                p->venue = "Journal of Benchmarks";
                break;
            }
            p->url = arena_sprintf(a, "https://%s.example/%d", source_name(s), w);
            p->sources[0] = (paper_source_t){
                .source = s, .id = arena_sprintf(a, "%s-%d", source_name(s), w), .rank = r + 1};
            p->nsources = 1;
        }
    }
}

/* The same answer through jansson: a tree, then json_dumpb. */
static json_t *jstr_or_null(const char *s)
{
    return s != NULL ? json_string(s) : json_null();
}

static size_t jansson_answer(const answer_t *ans, char *buf, size_t cap)
{
    json_t *root = json_object();
    json_t *q = json_object();
    json_object_set_new(q, "text", json_string(ans->query->text));
    json_object_set_new(q, "limit", json_integer(ans->query->limit));
    json_object_set_new(q, "offset", json_integer(ans->query->offset));
    json_object_set_new(root, "query", q);
    json_object_set_new(root, "total", json_integer((json_int_t)ans->total));
    json_t *res = json_array();
    for (size_t i = 0; i < ans->npapers; i++) {
        const paper_t *p = ans->papers[i];
        json_t *o = json_object();
        const char *prefix, *value;
        merge_paper_id_parts(p, &prefix, &value);
        char id[256];
        snprintf(id, sizeof(id), "%s%s", prefix, value);
        json_object_set_new(o, "id", json_string(id));
        json_object_set_new(o, "title", json_string(p->title));
        json_object_set_new(o, "abstract", jstr_or_null(p->abstract));
        json_t *au = json_array();
        for (size_t k = 0; k < p->nauthors; k++)
            json_array_append_new(au, json_string(p->authors[k]));
        json_object_set_new(o, "authors", au);
        json_object_set_new(o, "year", p->year ? json_integer(p->year) : json_null());
        json_object_set_new(o, "published", jstr_or_null(p->published));
        json_object_set_new(o, "venue", jstr_or_null(p->venue));
        json_object_set_new(o, "doi", jstr_or_null(p->doi));
        json_object_set_new(o, "arxiv_id", jstr_or_null(p->arxiv_id));
        json_t *ca = json_array();
        for (size_t k = 0; k < p->ncategories; k++)
            json_array_append_new(ca, json_string(p->categories[k]));
        json_object_set_new(o, "categories", ca);
        json_object_set_new(o, "citations",
                            p->citations >= 0 ? json_integer(p->citations) : json_null());
        json_object_set_new(o, "url", jstr_or_null(p->url));
        json_object_set_new(o, "pdf_url", jstr_or_null(p->pdf_url));
        json_object_set_new(o, "open_access", json_boolean(p->open_access));
        json_object_set_new(o, "score", json_real(p->score));
        json_t *srcs = json_array();
        for (size_t k = 0; k < p->nsources; k++) {
            json_t *so = json_object();
            json_object_set_new(so, "provider", json_string(source_name(p->sources[k].source)));
            json_object_set_new(so, "id", jstr_or_null(p->sources[k].id));
            json_object_set_new(so, "rank", json_integer(p->sources[k].rank));
            json_array_append_new(srcs, so);
        }
        json_object_set_new(o, "sources", srcs);
        json_array_append_new(res, o);
    }
    json_object_set_new(root, "results", res);
    size_t n = json_dumpb(root, buf, cap, JSON_COMPACT | JSON_REAL_PRECISION(6));
    json_decref(root);
    return n;
}

static answer_t make_answer(const query_t *q, const merge_result_t *r)
{
    answer_t ans = {.query = q, .papers = r->page, .npapers = r->npage, .total = r->total};
    for (size_t pi = 0; pi < NPROVS; pi++)
        ans.providers[provs[pi]] = (answer_provider_t){
            .asked = true, .status = PSTAT_OK, .results = PER_PROVIDER, .latency_ms = 120};
    return ans;
}

/* Three separate loops (so that one's allocations do not disturb the
 * other's): merge alone, merge + serialise (the real path), and jansson
 * serialising the same page. */
static void run(const paper_list_t *const in[SRC_COUNT], int limit, int iters)
{
    query_t q = {.text = "graph neural network learning", .limit = limit};
    arena_t *a = arena_new(1 << 20);
    static char jbuf[4 << 20];
    merge_result_t r;

    double t0 = now_ns();
    for (int i = 0; i < iters; i++) {
        arena_reset(a);
        if (merge_papers(a, in, &q, &r) != 0) abort();
    }
    double t_merge = (now_ns() - t0) / iters;
    size_t used = arena_used(a);

    size_t bytes = 0;
    t0 = now_ns();
    for (int i = 0; i < iters; i++) {
        arena_reset(a);
        if (merge_papers(a, in, &q, &r) != 0) abort();
        answer_t ans = make_answer(&q, &r);
        blob_t *b = answer_json_blob(&ans);
        if (b == NULL) abort();
        bytes = b->len;
        blob_unref(b);
    }
    double t_both = (now_ns() - t0) / iters;

    answer_t ans = make_answer(&q, &r);
    size_t jbytes = 0;
    t0 = now_ns();
    for (int i = 0; i < iters; i++)
        jbytes = jansson_answer(&ans, jbuf, sizeof(jbuf));
    double t_jansson = (now_ns() - t0) / iters;
    t0 = now_ns();
    for (int i = 0; i < iters; i++) {
        blob_t *b = answer_json_blob(&ans);
        if (b == NULL) abort();
        blob_unref(b);
    }
    double t_write = (now_ns() - t0) / iters;
    arena_free(a);

    printf("limit %3d: %zu papers in -> %zu distinct, %zu pass filters; arena %zu KiB; answer "
           "%zu bytes\n",
           limit, (size_t)NPROVS * PER_PROVIDER, r.nall, r.total, used / 1024, bytes);
    printf("  merge                    %9.0f ns/search\n", t_merge);
    printf("  serialise (answer_json)  %9.0f ns/search\n", t_write);
    printf("  serialise (jansson)      %9.0f ns/search (tree + json_dumpb, %zu bytes, fewer "
           "keys)\n",
           t_jansson, jbytes);
    printf("  merge + serialise        %9.0f ns/search\n", t_both);
}

int main(int argc, char **argv)
{
    int iters = argc > 1 ? atoi(argv[1]) : 2000;
    if (iters <= 0) iters = 2000;
    arena_t *in_arena = arena_new(1 << 20);
    static paper_list_t lists[SRC_COUNT];
    build_input(in_arena, lists);
    const paper_list_t *in[SRC_COUNT];
    for (int s = 0; s < SRC_COUNT; s++)
        in[s] = &lists[s];
    run(in, 10, iters);
    run(in, 100, iters);
    arena_free(in_arena);
    return 0;
}
