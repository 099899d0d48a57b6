/* Micro-benchmark of reading provider answers (issue 16): for each answer
 * file given, the ns per answer, ns per byte and allocations per answer of
 *
 *   adapter    prov_parse() of the build: the whole path from bytes to
 *              papers (jansson DOM + mapping before issue 16, the streaming
 *              parsers after), fed whole, and fed in 16 KiB pieces as curl
 *              hands them over (stream), when the build has prov_stream_*
 *   jansson    json_loadb() + json_decref(): the DOM alone, no mapping
 *   yajl       yajl's push parser fed in 16 KiB pieces, no callbacks
 *   jsmn       jsmn's tokenizer over the whole body (it needs it whole)
 *   simdjson   simdjson's DOM parser, body copied into its padded buffer
 *   libxml2    (.xml) xmlReadMemory() DOM, and the SAX2 push parser with
 *              empty callbacks
 *
 *   bench_parse [-n iterations] [-m reader] FILE...   (the provider is told
 *   by the file's path: arxiv, s2/semantic_scholar, exa, openalex,
 *   crossref; -m runs only the readers whose name starts so, e.g. under
 *   perf stat -e instructions)
 *
 * Not run by the tests. Figures and the choice: bench/README.md. */
#include <jansson.h>
#include <libxml/parser.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <yajl/yajl_parse.h>

#include "core/arena.h"
#include "providers/provider.h"

#define JSMN_STATIC
#include <jsmn.h>

#ifdef BENCH_SIMDJSON
long bench_simdjson_parse(const char *body, size_t len);
#endif

#define PIECE 16384 /* CURL_MAX_WRITE_SIZE: what curl hands a write callback at most */

/* ---- allocation counting (not under a sanitizer, which owns malloc) ---- */
#if defined(__SANITIZE_ADDRESS__)
#define COUNT_ALLOCS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define COUNT_ALLOCS 0
#endif
#endif
#ifndef COUNT_ALLOCS
#define COUNT_ALLOCS 1
#endif

static unsigned long allocs;
#if COUNT_ALLOCS
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
void *malloc(size_t n)
{
    allocs++;
    return __libc_malloc(n);
}
void *calloc(size_t n, size_t s)
{
    allocs++;
    return __libc_calloc(n, s);
}
void *realloc(void *p, size_t n)
{
    allocs++;
    return __libc_realloc(p, n);
}
void free(void *p)
{
    __libc_free(p);
}
#endif

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

typedef long (*run_fn)(const prov_def_t *def, const char *body, size_t len);

static long run_adapter(const prov_def_t *def, const char *body, size_t len)
{
    arena_t *a = arena_new(0);
    prov_result_t r;
    char err[256];
    long rc = prov_parse(def, body, len, a, &r, err, sizeof err) == 0 ? (long)r.papers.n : -1;
    arena_free(a);
    return rc;
}

#ifdef PROV_HAS_STREAM
static long run_adapter_stream(const prov_def_t *def, const char *body, size_t len)
{
    arena_t *a = arena_new(0);
    prov_stream_t *s = prov_stream_new(def, a);
    for (size_t off = 0; off < len; off += PIECE)
        prov_stream_feed(s, body + off, len - off < PIECE ? len - off : PIECE);
    prov_result_t r;
    char err[256];
    long rc = prov_stream_finish(s, &r, err, sizeof err) == 0 ? (long)r.papers.n : -1;
    prov_stream_free(s);
    arena_free(a);
    return rc;
}
#endif

static long run_jansson(const prov_def_t *def, const char *body, size_t len)
{
    (void)def;
    json_t *root = json_loadb(body, len, JSON_ALLOW_NUL, NULL);
    long rc = root ? 1 : -1;
    json_decref(root);
    return rc;
}

static long run_yajl(const prov_def_t *def, const char *body, size_t len)
{
    (void)def;
    static const yajl_callbacks none;
    yajl_handle h = yajl_alloc(&none, NULL, NULL);
    long rc = 1;
    for (size_t off = 0; off < len && rc > 0; off += PIECE)
        if (yajl_parse(h, (const unsigned char *)body + off,
                       len - off < PIECE ? len - off : PIECE) != yajl_status_ok)
            rc = -1;
    if (rc > 0 && yajl_complete_parse(h) != yajl_status_ok) rc = -1;
    yajl_free(h);
    return rc;
}

static long run_jsmn(const prov_def_t *def, const char *body, size_t len)
{
    (void)def;
    static jsmntok_t toks[1 << 17];
    jsmn_parser p;
    jsmn_init(&p);
    int n = jsmn_parse(&p, body, len, toks, sizeof toks / sizeof toks[0]);
    return n > 0 ? n : -1;
}

#ifdef BENCH_SIMDJSON
static long run_simdjson(const prov_def_t *def, const char *body, size_t len)
{
    (void)def;
    return bench_simdjson_parse(body, len);
}
#endif

static long run_xml_dom(const prov_def_t *def, const char *body, size_t len)
{
    (void)def;
    xmlDocPtr d = xmlReadMemory(body, (int)len, NULL, "UTF-8", XML_PARSE_NONET | XML_PARSE_NOCDATA);
    long rc = d ? 1 : -1;
    xmlFreeDoc(d);
    return rc;
}

static void sax_start(void *ctx, const xmlChar *l, const xmlChar *p, const xmlChar *u, int nns,
                      const xmlChar **ns, int na, int nd, const xmlChar **at)
{
    (void)ctx, (void)l, (void)p, (void)u, (void)nns, (void)ns, (void)na, (void)nd, (void)at;
}
static void sax_end(void *ctx, const xmlChar *l, const xmlChar *p, const xmlChar *u)
{
    (void)ctx, (void)l, (void)p, (void)u;
}
static void sax_chars(void *ctx, const xmlChar *c, int n)
{
    (void)ctx, (void)c, (void)n;
}

static long run_xml_sax(const prov_def_t *def, const char *body, size_t len)
{
    (void)def;
    xmlSAXHandler h;
    memset(&h, 0, sizeof h);
    h.initialized = XML_SAX2_MAGIC;
    h.startElementNs = sax_start;
    h.endElementNs = sax_end;
    h.characters = sax_chars;
    xmlParserCtxtPtr c = xmlCreatePushParserCtxt(&h, NULL, NULL, 0, NULL);
    xmlCtxtUseOptions(c, XML_PARSE_NONET | XML_PARSE_NOCDATA);
    for (size_t off = 0; off < len; off += PIECE)
        xmlParseChunk(c, body + off, (int)(len - off < PIECE ? len - off : PIECE), 0);
    xmlParseChunk(c, NULL, 0, 1);
    long rc = c->wellFormed ? 1 : -1;
    xmlFreeParserCtxt(c);
    return rc;
}

static const prov_def_t *def_for_file(const char *path)
{
    const char *base = path; /* the folder names the provider too (test/providers/fixtures/) */
    if (strstr(base, "arxiv")) return &prov_arxiv;
    if (strstr(base, "s2") || strstr(base, "semantic")) return &prov_semantic_scholar;
    if (strstr(base, "exa")) return &prov_exa;
    if (strstr(base, "openalex")) return &prov_openalex;
    if (strstr(base, "crossref")) return &prov_crossref;
    return NULL;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc(n > 0 ? (size_t)n : 1);
    *len = b ? fread(b, 1, (size_t)n, f) : 0;
    fclose(f);
    return b;
}

static const char *only; /* -m: run only the readers whose name starts so */

static void bench(const char *what, run_fn fn, const prov_def_t *def, const char *body, size_t len,
                  int iters)
{
    if (only && strncmp(what, only, strlen(only)) != 0) return;
    long rc = fn(def, body, len); /* warm-up, and the result */
    unsigned long a0 = allocs;
    double t0 = now_ns();
    for (int i = 0; i < iters; i++)
        fn(def, body, len);
    double ns = (now_ns() - t0) / iters;
    double per_alloc = (double)(allocs - a0) / iters;
    printf("  %-18s %10.0f ns/answer %7.2f ns/byte %8.1f allocs%s   (result %ld)\n", what, ns,
           ns / (double)len, per_alloc, COUNT_ALLOCS ? "" : "?", rc);
}

int main(int argc, char **argv)
{
    int iters = 2000;
    int i = 1;
    for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
        if (strcmp(argv[i], "-n") == 0) iters = atoi(argv[i + 1]);
        if (strcmp(argv[i], "-m") == 0) only = argv[i + 1];
    }
    if (i >= argc) {
        fprintf(stderr, "usage: bench_parse [-n iterations] [-m reader] FILE...\n");
        return 2;
    }
    for (; i < argc; i++) {
        size_t len = 0;
        char *body = read_file(argv[i], &len);
        const prov_def_t *def = def_for_file(argv[i]);
        if (!body || !def) {
            fprintf(stderr, "bench_parse: cannot read %s or tell its provider\n", argv[i]);
            free(body);
            return 2;
        }
        printf("%s (%zu bytes, %s)\n", argv[i], len, source_name(def->source));
        bench("adapter", run_adapter, def, body, len, iters);
#ifdef PROV_HAS_STREAM
        bench("adapter stream", run_adapter_stream, def, body, len, iters);
#endif
        if (def == &prov_arxiv) {
            bench("libxml2 DOM", run_xml_dom, def, body, len, iters);
            bench("libxml2 SAX push", run_xml_sax, def, body, len, iters);
        } else {
            bench("jansson DOM", run_jansson, def, body, len, iters);
            bench("yajl push", run_yajl, def, body, len, iters);
            bench("jsmn tokens", run_jsmn, def, body, len, iters);
#ifdef BENCH_SIMDJSON
            bench("simdjson DOM", run_simdjson, def, body, len, iters);
#endif
        }
        free(body);
    }
    return 0;
}
