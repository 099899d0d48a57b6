/* The provider interface: how one scholarly API is asked (build) and how its
 * answer is read (parse). Pure functions of their inputs: no I/O here (the
 * transport is providers/client.c), so each is unit-tested on fixtures of
 * the real wire formats. */
#ifndef SF_PROV_PROVIDER_H
#define SF_PROV_PROVIDER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"
#include "core/paper.h"
#include "core/paper_id.h"
#include "core/query.h"

#define PROV_MAX_HEADERS 8

/* Per-provider settings from the configuration. */
typedef struct prov_settings {
    const char *base_url; /* scheme://host[:port], no trailing slash; the real path is appended */
    const char *api_key;  /* NULL or "" when none */
    const char *mailto;   /* contact address for polite pools; NULL or "" when none */
    int max_results;      /* how many results to ask the provider for */
} prov_settings_t;

/* One HTTP request to a provider. All strings in the arena given to build. */
typedef struct prov_request {
    const char *method; /* "GET" or "POST" */
    const char *url;    /* full URL, query string percent-encoded */
    const char *body;   /* POST body or NULL */
    size_t body_len;
    const char *headers[PROV_MAX_HEADERS]; /* complete "Name: value" lines, no CRLF */
    size_t nheaders;
    /* query_filter_t bits of the query's filters this request applies
     * (set by a search build; the answer lists the others as ignored) */
    unsigned pushed;
} prov_request_t;

/* What a response turned out to be, beyond the papers. */
typedef struct prov_result {
    paper_list_t papers; /* in the provider's rank order; sources[0] set with rank */
    long total;          /* total hits the provider reports, -1 if unknown */
} prov_result_t;

/* A 2xx answer read while it arrives (prov_stream_new()): bytes in,
 * papers out, no whole body kept. */
typedef struct prov_stream prov_stream_t;
typedef struct prov_stream_ops {
    int (*feed)(prov_stream_t *s, const char *p, size_t n);
    int (*finish)(prov_stream_t *s, prov_result_t *out, char *err, size_t errlen);
    void (*free)(prov_stream_t *s);
} prov_stream_ops_t;
struct prov_stream {
    const prov_stream_ops_t *ops;
};

/* The shape of a JSON provider's search answer (providers/jstream.h). */
struct prov_jkind;

/* A provider's error message as it is put together (prov_def_t's error
 * hooks), bounded: what does not fit is dropped. prov_error_text() makes it
 * one safe line. */
typedef struct prov_msg {
    char buf[1024];
    size_t n;
} prov_msg_t;

/* Appends the JSON string v (NULs included) / the text lit. */
void prov_msg_add(prov_msg_t *m, const json_t *v);
void prov_msg_lit(prov_msg_t *m, const char *lit);

typedef struct prov_def {
    source_t source; /* its name is source_name(source) */
    /* Builds the request for q into out (zeroed; ps has a base URL: see
     * prov_build()). Translates the filters the provider understands into
     * its own syntax (the merge applies every filter again afterwards, so a
     * filter a provider lacks is still honoured). Returns 0, or -1 with a
     * message in err (e.g. a required key is missing). */
    int (*build)(const query_t *q, const prov_settings_t *ps, arena_t *a, prov_request_t *out,
                 char *err, size_t errlen);
    /* How a 2xx search answer is read while it arrives (prov_stream_new()):
     * for a JSON provider, by the shared streaming reader on the shape of
     * its answer (json: envelope and item mapping, providers/jstream.h);
     * else by stream (arXiv's Atom through libxml2's push parser). */
    const struct prov_jkind *json;
    prov_stream_t *(*stream)(arena_t *a);
    /* Optional: given a 4xx answer, may change how later requests are built
     * (e.g. another name for a parameter the provider refused) and return
     * true; the call is then built and sent once more. NULL: never. */
    bool (*adapt)(long status, const char *body, size_t len);
    /* Optional: true when an answer is this provider's own way of saying
     * "slow down", beyond the 429 any provider may send (arXiv's 200 "Rate
     * exceeded."). body (len bytes) starts past leading whitespace. */
    bool (*throttled)(long status, const char *body, size_t len);
    /* Optional: the message of an error answer in the provider's own JSON
     * shape (Crossref's message list, Exa's error and tag): appends it to m
     * and returns true (even with nothing found); false lets the shared
     * reading run ("error" and "message", or "error.message"). */
    bool (*json_error)(const json_t *root, prov_msg_t *m);
    /* Optional: the message of an error answer in markup that is not an
     * HTML page (arXiv's Atom error entry): appends it to m. Without it
     * such an answer has no message. */
    void (*markup_error)(const char *body, size_t len, prov_msg_t *m);
    /* Optional: the provider's own way of finding a paper by its title
     * (S2's /paper/search/match, OpenAlex's title.search), asked as a
     * second call beside build's when the query looks like a title
     * (prov_title_query()). A provider whose search syntax can say it in
     * the same call does that in build instead (arXiv's ti:"..." phrase,
     * which spares its one call per 3 s). Builds that request as build does;
     * its answer is read as build's is (json, or stream),
     * its papers merged with the search's. NULL: no such call. */
    int (*build_title)(const query_t *q, const prov_settings_t *ps, arena_t *a, prov_request_t *out,
                       char *err, size_t errlen);
    /* Optional: true when a non-2xx answer to the title call only means
     * that no paper has that title (S2's 404 "Title match not found"): ok
     * with no papers, a success for the breaker. */
    bool (*title_none)(long status, const char *body, size_t len);

    /* ---- lookups by id (providers/lookup.c); NULL: the provider has none ----
     * lookup_build: the request for ids[0..n), n >= 1, each of a kind
     * paper_ref_answerable() by this provider: n == 1 its single-paper
     * path, more its batch call (at most lookup_max ids, all of one kind
     * unless lookup_mixed). Its answer is read by providers/lookup.c with
     * the adapter's item mapping (prov__<name>_item, providers/jstream.h). */
    int (*lookup_build)(const paper_ref_t *ids, size_t n, const prov_settings_t *ps, arena_t *a,
                        prov_request_t *out, char *err, size_t errlen);
    size_t lookup_max;
    bool lookup_mixed;
    /* Optional: true for an id the batch call cannot hold (a DOI with the
     * filter syntax's separators in it): asked on its own path instead. */
    bool (*lookup_alone)(const paper_ref_t *id);
} prov_def_t;

/* One adapter per HTTP source of core/sources.h: prov_arxiv, ... each
 * defined in providers/<name>.c. */
#define SOURCE_DEF_DECL_(ID, name, kind, ...)                                                      \
    SOURCE_IF_HTTP(kind, extern const prov_def_t prov_##name;)
SOURCE_TABLE(SOURCE_DEF_DECL_)
#undef SOURCE_DEF_DECL_

/* What an HTTP answer says about our welcome at the provider, beyond its
 * status (providers/answers.c). */
typedef enum {
    PROV_ANSWER_NORMAL = 0, /* judge it by its status */
    PROV_ANSWER_THROTTLED,  /* "slow down": 429, arXiv's 200 "Rate exceeded." and its 406 */
    PROV_ANSWER_BLOCKED,    /* refused: 402, 403, a CAPTCHA or Cloudflare challenge page */
} prov_answer_kind_t;

prov_answer_kind_t prov_answer_kind(source_t src, long status, const char *body, size_t len);

/* The provider's own message in an error answer (S2 "error"/"message",
 * OpenAlex "error: message", Exa "error (tag)", Crossref "message[0].message",
 * arXiv's error entry, or the first line of a plain-text body), cut to
 * outlen - 1 bytes at a character boundary, control characters made
 * spaces, whitespace collapsed. "" when the body has none. */
void prov_error_text(source_t src, const char *body, size_t len, char *out, size_t outlen);

/* Builds the request of def's provider for q into out (cleared first),
 * with ps's base URL. Returns 0, or -1 with a message in err ("<name>: no
 * base URL" when ps has none). */
int prov_build(const prov_def_t *def, const query_t *q, const prov_settings_t *ps, arena_t *a,
               prov_request_t *out, char *err, size_t errlen);

/* Parses a 2xx response body of def's provider into out: its papers in the
 * provider's rank order (sources[0] set with rank) and the total it reports.
 * Returns 0, or -1 with a message in err (and no papers) when the body is
 * not the provider's format. Never reads past len (the body need not be
 * NUL-terminated). The whole body through prov_stream_*() in one piece. */
int prov_parse(const prov_def_t *def, const char *body, size_t len, arena_t *a, prov_result_t *out,
               char *err, size_t errlen);

/* True when q looks like a pasted title (or a piece of one), so that the
 * providers' title calls (build_title) are worth their cost (a second call
 * against the provider's rate limit, and OpenAlex's metered budget): at
 * least PROV_TITLE_MIN_WORDS words, of which at least two are not stop
 * words, at most PROV_TITLE_MAX_WORDS, and no word of search syntax (a
 * field operator such as "ti:x", "au:smith" or "doi:10.1/x": a colon with
 * something right after it). Up to three words ("graph neural networks")
 * are keywords: the search alone answers them. */
#define PROV_TITLE_MIN_WORDS 4
#define PROV_TITLE_MAX_WORDS 40
bool prov_title_query(const query_t *q);

/* Builds the title call of def's provider for q (def->build_title must be
 * set), as prov_build() does. */
int prov_build_title(const prov_def_t *def, const query_t *q, const prov_settings_t *ps, arena_t *a,
                     prov_request_t *out, char *err, size_t errlen);

/* A reader of one 2xx answer of def's provider as it arrives, its papers
 * in a: feed it the bytes in pieces of any size (the result is the same
 * however the body is cut), then finish it. NULL when out of memory. */
prov_stream_t *prov_stream_new(const prov_def_t *def, arena_t *a);
/* Returns 0, or -1 once the answer is known to be unreadable (later pieces
 * are ignored; finish says why). */
int prov_stream_feed(prov_stream_t *s, const char *p, size_t n);
/* The answer ended: as prov_parse(). */
int prov_stream_finish(prov_stream_t *s, prov_result_t *out, char *err, size_t errlen);
/* NULL is a no-op. The papers stay in their arena. */
void prov_stream_free(prov_stream_t *s);

/* The definition for a source, or NULL (SRC_LOCAL lives in store/). */
const prov_def_t *prov_def_for(source_t s);

/* Reads a 2xx lookup answer of def's provider for ids[0..n) into *out: a
 * list of exactly n papers in the ids' order, the one for an id the answer
 * does not hold with no source (nsources 0), each found one with its
 * source (rank 1). Returns 0, or -1 with a message in err. */
int prov_lookup_read(const prov_def_t *def, const paper_ref_t *ids, size_t n, const char *body,
                     size_t len, arena_t *a, paper_list_t **out, char *err, size_t errlen);

/* Percent-encodes s for a query-string value (RFC 3986 unreserved kept). */
char *prov_url_encode(arena_t *a, const char *s);

#endif
