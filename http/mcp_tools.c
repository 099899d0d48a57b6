#include "http/mcp_tools.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/json_num.h"
#include "core/jsonrpc.h"
#include "core/metrics.h"
#include "core/paper.h"
#include "core/query.h"
#include "core/shm.h"
#include "http/handlers_citations.h"

#define BUDGET_MIN 2000
#define BUDGET_MAX 200000
#define ABSTRACT_COMPACT 300 /* characters of abstract a compact paper keeps */
#define CURSOR_OFFSET_MAX 10000

/* ---- schemas ----------------------------------------------------------------
 * One paper, as both tools give it: compact has these members, full adds
 * every other one the API has (so additional members are allowed). */
#define PAPER_SCHEMA                                                                               \
    "{\"type\":\"object\",\"required\":[\"id\",\"title\",\"authors\"],"                            \
    "\"properties\":{\"id\":{\"type\":\"string\"},\"title\":{\"type\":[\"string\",\"null\"]},"     \
    "\"authors\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}},"                            \
    "\"year\":{\"type\":[\"integer\",\"null\"]},\"venue\":{\"type\":[\"string\",\"null\"]},"       \
    "\"doi\":{\"type\":[\"string\",\"null\"]},\"url\":{\"type\":[\"string\",\"null\"]},"           \
    "\"abstract\":{\"type\":[\"string\",\"null\"]}}}"

#define FIELDS_SCHEMA                                                                              \
    "\"fields\":{\"type\":\"string\",\"enum\":[\"compact\",\"full\"],\"default\":\"compact\","     \
    "\"description\":\"compact: id, title, authors, year, venue, doi, url, a short abstract; "     \
    "full: every field\"}"

/* Each provider asked, as both list tools report them. */
#define PROVIDERS_SCHEMA                                                                           \
    "{\"type\":\"object\",\"additionalProperties\":{\"type\":\"object\","                          \
    "\"required\":[\"status\"],\"properties\":{\"status\":{\"type\":\"string\"},"                  \
    "\"results\":{\"type\":\"integer\"},\"latency_ms\":{\"type\":[\"number\",\"null\"]},"          \
    "\"error\":{\"type\":[\"string\",\"null\"]},"                                                  \
    "\"retry_after_seconds\":{\"type\":[\"integer\",\"null\"]}}}}"

#define CITES_LIMIT_DEFAULT 20
#define CITES_LIMIT_MAX 100

/* get_citations: GET /v1/papers/{id}/citations|references for agents. */
/* get_citations and get_references: GET /v1/papers/{id}/citations and
 * /references for agents, one schema but the name and what it lists. */
#define CITES_TOOL_JSON(name, title, what)                                                         \
    "{\"name\":\"" name "\",\"title\":\"" title "\","                                              \
    "\"description\":\"" what ", merged from Semantic Scholar and OpenAlex and deduplicated; "     \
    "each edge says which providers know it. Ids: doi:10.NNNN/..., arxiv:NNNN.NNNNN, s2:<40 "      \
    "hex>, corpus:N, openalex:WN, pmid:N. Long lists stop at limit or max_bytes: call again "      \
    "with next_cursor.\","                                                                         \
    "\"inputSchema\":{\"type\":\"object\",\"required\":[\"id\"],\"additionalProperties\":false,"   \
    "\"properties\":{\"id\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":300},"              \
    "\"limit\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":100,\"default\":20},"               \
    "\"sort\":{\"type\":\"string\",\"enum\":[\"citations\",\"date\"],\"default\":\"citations\"},"  \
    "\"year_from\":{\"type\":\"integer\"},\"year_to\":{\"type\":\"integer\"},"                     \
    "\"min_citations\":{\"type\":\"integer\",\"minimum\":0}," FIELDS_SCHEMA ","                    \
    "\"max_bytes\":{\"type\":\"integer\",\"minimum\":2000,\"maximum\":200000},"                    \
    "\"cursor\":{\"type\":\"string\",\"description\":\"next_cursor of the previous call, with "    \
    "the same other arguments\"}}},"                                                               \
    "\"outputSchema\":{\"type\":\"object\","                                                       \
    "\"required\":[\"id\",\"direction\",\"total\",\"offset\",\"returned\",\"edges\",\"partial\","  \
    "\"providers\",\"next_cursor\",\"truncated\"],"                                                \
    "\"properties\":{\"id\":{\"type\":\"string\"},\"direction\":{\"type\":\"string\"},"            \
    "\"total\":{\"type\":\"integer\"},\"offset\":{\"type\":\"integer\"},"                          \
    "\"returned\":{\"type\":\"integer\"},"                                                         \
    "\"edges\":{\"type\":\"array\",\"items\":{\"type\":\"object\",\"required\":[\"paper\","        \
    "\"sources\"],\"properties\":{\"paper\":" PAPER_SCHEMA ","                                     \
    "\"sources\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}},"                            \
    "\"is_influential\":{\"type\":[\"boolean\",\"null\"]}}}},"                                     \
    "\"partial\":{\"type\":\"boolean\"},\"providers\":" PROVIDERS_SCHEMA ","                       \
    "\"next_cursor\":{\"type\":[\"string\",\"null\"]},\"truncated\":{\"type\":\"boolean\"}}}}"

#define AUTHORS_TOOL_JSON                                                                          \
    "{\"name\":\"search_authors\",\"title\":\"Search authors\","                                   \
    "\"description\":\"People by name, from Semantic Scholar and OpenAlex at once and merged "     \
    "(one "                                                                                        \
    "ORCID or provider id: one person; people sharing a name stay apart). Each person's id "       \
    "(orcid:..., s2:<authorId>, openalex:A...) names them in GET /v1/authors/{id}. Call again "    \
    "with next_cursor for the next page.\","                                                       \
    "\"inputSchema\":{\"type\":\"object\",\"required\":[\"query\"],\"additionalProperties\":"      \
    "false,"                                                                                       \
    "\"properties\":{\"query\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":400},"           \
    "\"limit\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":100,\"default\":10,"                \
    "\"description\":\"asked of each provider: a page holds limit to 2 x limit people\"},"         \
    "\"cursor\":{\"type\":\"string\",\"description\":\"next_cursor of the previous call, with "    \
    "the same query and limit\"}}},"                                                               \
    "\"outputSchema\":{\"type\":\"object\","                                                       \
    "\"required\":[\"query\",\"total\",\"returned\",\"authors\",\"partial\",\"providers\","        \
    "\"next_cursor\"],"                                                                            \
    "\"properties\":{\"query\":{\"type\":\"string\"},\"total\":{\"type\":\"integer\"},"            \
    "\"returned\":{\"type\":\"integer\"},"                                                         \
    "\"authors\":{\"type\":\"array\",\"items\":{\"type\":\"object\",\"required\":[\"id\","         \
    "\"name\"],"                                                                                   \
    "\"properties\":{\"id\":{\"type\":\"string\"},\"name\":{\"type\":\"string\"},"                 \
    "\"orcid\":{\"type\":[\"string\",\"null\"]},\"paper_count\":{\"type\":[\"integer\",\"null\"]}" \
    ","                                                                                            \
    "\"h_index\":{\"type\":[\"integer\",\"null\"]}}}},"                                            \
    "\"partial\":{\"type\":\"boolean\"},\"providers\":" PROVIDERS_SCHEMA ","                       \
    "\"retry_after_seconds\":{\"type\":[\"integer\",\"null\"]},"                                   \
    "\"next_cursor\":{\"type\":[\"string\",\"null\"]},\"took_ms\":{\"type\":[\"number\",\"null\"]" \
    "}}}}"

static const char TOOLS_JSON[] =
    "{\"tools\":["
    "{\"name\":\"search\",\"title\":\"Search academic papers\","
    "\"description\":\"Searches arXiv, Semantic Scholar, Exa, OpenAlex, Crossref and scifind's "
    "own store at once; papers merged, deduplicated and ranked. Providers that failed or were "
    "throttled are listed in 'providers' (with retry_after_seconds) and the answer is marked "
    "partial. Long answers stop at max_bytes: call again with next_cursor for more.\","
    "\"inputSchema\":{\"type\":\"object\",\"required\":[\"query\"],\"additionalProperties\":false,"
    "\"properties\":{"
    "\"query\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":1000},"
    "\"limit\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":100,\"default\":20},"
    "\"offset\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":10000,\"default\":0},"
    "\"sort\":{\"type\":\"string\",\"enum\":[\"relevance\",\"date\",\"citations\"]},"
    "\"strategy\":{\"type\":\"string\",\"enum\":[\"merge\",\"fastest\",\"first\",\"best_quality\"]}"
    ","
    "\"providers\":{\"type\":\"array\",\"items\":{\"type\":\"string\",\"enum\":[" SOURCE_NAMES_JSON
    "]}},"
    "\"date_from\":{\"type\":\"string\",\"description\":\"YYYY-MM-DD\"},"
    "\"date_to\":{\"type\":\"string\",\"description\":\"YYYY-MM-DD\"},"
    "\"year\":{\"type\":\"string\",\"description\":\"YYYY or YYYY-YYYY\"},"
    "\"year_from\":{\"type\":\"integer\"},\"year_to\":{\"type\":\"integer\"},"
    "\"author\":{\"type\":\"string\"},\"category\":{\"type\":\"string\"},"
    "\"open_access\":{\"type\":\"boolean\"},"
    "\"timeout_ms\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":600000}," FIELDS_SCHEMA ","
    "\"max_bytes\":{\"type\":\"integer\",\"minimum\":2000,\"maximum\":200000,"
    "\"description\":\"byte budget of the result; default mcp.max_bytes\"},"
    "\"cursor\":{\"type\":\"string\",\"description\":\"next_cursor of the previous call, with "
    "the same other arguments\"}}},"
    "\"outputSchema\":{\"type\":\"object\","
    "\"required\":[\"query\",\"total\",\"offset\",\"returned\",\"papers\",\"partial\","
    "\"providers\",\"next_cursor\",\"truncated\"],"
    "\"properties\":{\"query\":{\"type\":\"string\"},\"total\":{\"type\":\"integer\"},"
    "\"offset\":{\"type\":\"integer\"},\"returned\":{\"type\":\"integer\"},"
    "\"papers\":{\"type\":\"array\",\"items\":" PAPER_SCHEMA "},"
    "\"partial\":{\"type\":\"boolean\"},"
    "\"providers\":" PROVIDERS_SCHEMA ","
    "\"retry_after_seconds\":{\"type\":[\"integer\",\"null\"]},"
    "\"next_cursor\":{\"type\":[\"string\",\"null\"]},"
    "\"truncated\":{\"type\":\"boolean\"},\"cache\":{\"type\":\"string\"},"
    "\"took_ms\":{\"type\":[\"number\",\"null\"]}}}},"
    "{\"name\":\"get_paper\",\"title\":\"Get a paper by id\","
    "\"description\":\"One paper by its id, looked up live (cache, store, providers) and merged: "
    "doi:10.NNNN/..., arxiv:NNNN.NNNNN, s2:<40 hex>, corpus:N, openalex:WN, pmid:N, the internal "
    "number, or a doi.org / arxiv.org / openalex.org / semanticscholar.org URL.\","
    "\"inputSchema\":{\"type\":\"object\",\"required\":[\"id\"],\"additionalProperties\":false,"
    "\"properties\":{\"id\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":300}," FIELDS_SCHEMA
    "}},"
    "\"outputSchema\":{\"type\":\"object\",\"required\":[\"paper\"],"
    "\"properties\":{\"paper\":" PAPER_SCHEMA "}}}," CITES_TOOL_JSON(
        "get_citations", "Papers citing a paper",
        "The papers citing a paper") "," CITES_TOOL_JSON("get_references", "Papers a paper cites",
                                                         "The papers a paper cites") "," AUTHORS_TOOL_JSON
                                                                                     "]}";

json_t *http_mcp_tools_list(void)
{
    static json_t *tools; /* parsed once per process, shared read-only */
    if (!tools) tools = json_loads(TOOLS_JSON, 0, NULL);
    return tools ? json_incref(tools) : NULL;
}

/* ---- rendering ----------------------------------------------------------- */

static bool utf8_cont(unsigned char c)
{
    return (c & 0xC0) == 0x80;
}

/* The first n characters of s (whole UTF-8 sequences) and an ellipsis. */
static json_t *shortened(const char *s, size_t n)
{
    size_t len = strlen(s), i = 0, chars = 0;
    while (i < len && chars < n) {
        i++;
        while (i < len && utf8_cont((unsigned char)s[i]))
            i++;
        chars++;
    }
    if (i >= len) return json_string(s);
    char *buf = malloc(i + 4);
    if (!buf) return NULL;
    memcpy(buf, s, i);
    memcpy(buf + i, "\xe2\x80\xa6", 4); /* U+2026 */
    json_t *v = json_string(buf);
    free(buf);
    return v;
}

static json_t *or_null(json_t *v)
{
    return v ? json_incref(v) : json_null();
}

/* A paper of the API (search answer or store row) as the preset asks. */
static json_t *render_paper(json_t *p, bool full)
{
    if (full) return json_deep_copy(p);
    json_t *o = json_object();
    if (!o) return NULL;
    static const char *const keep[] = {"id", "title", "authors", "year", "venue", "doi", "url"};
    for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
        json_object_set_new(o, keep[i], or_null(json_object_get(p, keep[i])));
    if (!json_is_array(json_object_get(o, "authors")))
        json_object_set_new(o, "authors", json_array());
    json_t *abs = json_object_get(p, "abstract");
    json_object_set_new(o, "abstract",
                        json_is_string(abs) ? shortened(json_string_value(abs), ABSTRACT_COMPACT)
                                            : json_null());
    return o;
}

/* "Title (2021), A. Author et al., doi:..." */
static void paper_line(char *buf, size_t len, size_t n, json_t *p)
{
    json_t *t = json_object_get(p, "title"), *y = json_object_get(p, "year");
    json_t *au = json_object_get(p, "authors"), *doi = json_object_get(p, "doi");
    json_t *url = json_object_get(p, "url");
    char year[16] = "";
    if (json_is_integer(y))
        snprintf(year, sizeof year, " (%lld)", (long long)json_integer_value(y));
    const char *first = json_string_value(json_array_get(au, 0));
    const char *where = json_is_string(doi) ? json_string_value(doi) : json_string_value(url);
    snprintf(buf, len, "%zu. %.200s%s%s%.80s%s%s%s%.200s\n", n,
             json_is_string(t) ? json_string_value(t) : "(untitled)", year, first ? ", " : "",
             first ? first : "", json_array_size(au) > 1 ? " et al." : "", where ? ", " : "",
             json_is_string(doi) ? "doi:" : "", where ? where : "");
}

/* Seconds until a throttled or shut-out provider may be asked again, from
 * the group's limiter and breaker; -1 when unknown. */
static int retry_after_of(const char *provider, const char *status)
{
    shm_region_t *r = shm_get();
    int src = source_parse(provider, strlen(provider));
    if (!r || src < 0) return -1;
    shm_provider_t *p = &r->providers[src];
    int64_t now = (int64_t)clock_now_ns(), wait_ns = -1;
    shm_lock(&p->lock);
    if (strcmp(status, "circuit_open") == 0)
        wait_ns = p->open_until_ns > now ? p->open_until_ns - now : 0;
    else if (strcmp(status, "rate_limited") == 0) {
        wait_ns = p->interval_ns > 0 && p->tokens < 1
                      ? (int64_t)((1 - p->tokens) * (double)p->interval_ns)
                      : 0;
        /* Suspended (the provider said slow down, refused us, or its
         * budget is spent): not before the suspension ends. */
        if (p->suspended_until_ns - now > wait_ns) wait_ns = p->suspended_until_ns - now;
    }
    shm_unlock(&p->lock);
    if (wait_ns < 0) return -1;
    int s = (int)((wait_ns + 999999999) / 1000000000);
    return s < 1 ? 1 : s; /* asked again at once, it would be refused again */
}

static json_t *text_block(const char *text)
{
    return json_pack("[{s:s,s:s}]", "type", "text", "text", text);
}

/* A failure the agent can act on, shown as the tool's result. */
static json_t *tool_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static json_t *tool_error(const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return json_pack("{s:o,s:b}", "content", text_block(msg), "isError", 1);
}

/* ---- a call ---------------------------------------------------------------- */

/* Hands res (stolen) to done as text. */
static void deliver(http_mcp_call_cb done, void *data, json_t *res)
{
    char *text = res ? json_num_dumps(res) : NULL;
    blob_t *b = text ? blob_new(text, strlen(text)) : NULL;
    free(text);
    json_decref(res);
    if (b)
        done(data, b, 0, NULL);
    else
        done(data, NULL, JSONRPC_INTERNAL_ERROR, "out of memory");
    blob_unref(b);
}

/* Renderings of complete search answers (see mcp_tools.h). */
#define RENDERS 256
#define RENDER_MAX_BYTES (64u * 1024)
static struct render {
    uint64_t etag;
    size_t budget;
    bool full;
    char tier[16];
    blob_t *text;
} renders[RENDERS];

static struct render *render_slot(uint64_t etag, size_t budget, bool full)
{
    return &renders[(etag ^ (budget * 0x9e3779b97f4a7c15ull) ^ full) % RENDERS];
}

typedef struct call {
    const http_mcp_ctx_t *ctx;
    arena_t *a;
    http_mcp_call_cb done;
    void *data;
    void *handle;            /* the service's or the store's, while it works */
    bool paper;              /* get_paper, else search */
    struct mcp_cites *cites; /* get_citations */
    bool authors;            /* search_authors */
    bool full;
    size_t budget;
    query_t q;
    char *id;
} call_t;

/* An answer's providers for an agent: each one's status, results, latency,
 * error and retry_after_seconds; the failed ones named in failed ("name
 * status, retry after N s; ..."), counted in *nfailed; *retry_max the
 * longest wait known, else -1. */
static json_t *providers_summary(json_t *provs, int *retry_max, size_t *nfailed, char *failed,
                                 size_t flen)
{
    json_t *out = json_object();
    const char *name;
    json_t *pv;
    *retry_max = -1;
    *nfailed = 0;
    failed[0] = '\0';
    json_object_foreach(provs, name, pv)
    {
        const char *st = json_string_value(json_object_get(pv, "status"));
        if (!st) st = "unknown";
        int retry = retry_after_of(name, st);
        if (retry > *retry_max) *retry_max = retry;
        json_t *o =
            json_pack("{s:s,s:I,s:O,s:O}", "status", st, "results",
                      (json_int_t)json_integer_value(json_object_get(pv, "results")), "latency_ms",
                      json_object_get(pv, "latency_ms"), "error", json_object_get(pv, "error"));
        if (o)
            json_object_set_new(o, "retry_after_seconds",
                                retry >= 0 ? json_integer(retry) : json_null());
        if (o) json_object_set_new(out, name, o);
        if (strcmp(st, "ok") != 0 && strcmp(st, "cached") != 0 && strcmp(st, "cancelled") != 0) {
            size_t l = strlen(failed);
            char when[32] = "";
            if (retry >= 0) snprintf(when, sizeof when, ", retry after %d s", retry);
            if (l + 64 < flen)
                snprintf(failed + l, flen - l, "%s%s %s%s", *nfailed ? "; " : "", name, st, when);
            (*nfailed)++;
        }
    }
    return out;
}

/* Puts the search answer body into a CallToolResult within the budget. */
static json_t *search_result(call_t *c, const search_reply_t *r)
{
    json_t *body = json_loadb(r->body->data, r->body->len, 0, NULL);
    json_t *papers = json_object_get(body, "papers");
    json_t *provs = json_object_get(body, "providers");
    if (!json_is_array(papers) || !json_is_object(provs)) {
        json_decref(body);
        return tool_error("the search failed (HTTP status %d)", r->status);
    }
    long long total = (long long)r->total; /* the facts travel beside the body */
    bool partial = r->partial;

    int retry_max;
    size_t nfailed;
    char failed[512];
    json_t *out_provs = providers_summary(provs, &retry_max, &nfailed, failed, sizeof failed);

    /* Papers while they fit: the budget counts the structured papers and
     * their text lines; the first one always goes (compact if it must), so
     * next_cursor always moves on. */
    json_t *out_papers = json_array();
    size_t used = 1024 + json_object_size(out_provs) * 160;
    size_t tcap = 64 * 1024, tlen = 0;
    char *text = arena_alloc(c->a, tcap);
    if (text) text[0] = '\0';
    bool truncated = false;
    size_t n = json_array_size(papers), shown = 0;
    for (size_t i = 0; i < n && text; i++) {
        json_t *p = json_array_get(papers, i);
        json_t *rp = render_paper(p, c->full);
        char *dump = rp ? json_num_dumps(rp) : NULL;
        size_t sz = dump ? strlen(dump) : 0;
        free(dump);
        char line[640];
        paper_line(line, sizeof line, (size_t)c->q.offset + i + 1, p);
        size_t ll = strlen(line);
        if (used + sz + ll > c->budget || tlen + ll >= tcap) {
            if (shown == 0 && c->full) { /* even one full paper is too big: its compact form */
                json_decref(rp);
                rp = render_paper(p, false);
            } else if (shown > 0) {
                json_decref(rp);
                truncated = true;
                break;
            }
        }
        json_array_append_new(out_papers, rp);
        memcpy(text + tlen, line, ll + 1);
        tlen += ll;
        used += sz + ll;
        shown++;
    }
    long long next = (long long)c->q.offset + (long long)shown;
    char cursor[24];
    bool more = next < total && next <= CURSOR_OFFSET_MAX;
    if (more) snprintf(cursor, sizeof cursor, "o%lld", next);

    json_t *sc = json_object();
    json_object_set_new(sc, "query", json_string(c->q.text));
    json_object_set_new(sc, "total", json_integer(total));
    json_object_set_new(sc, "offset", json_integer(c->q.offset));
    json_object_set_new(sc, "returned", json_integer((json_int_t)shown));
    json_object_set_new(sc, "papers", out_papers);
    json_object_set_new(sc, "partial", json_boolean(partial || r->status != 200));
    json_object_set_new(sc, "providers", out_provs);
    json_object_set_new(sc, "retry_after_seconds",
                        retry_max >= 0 && nfailed ? json_integer(retry_max) : json_null());
    json_object_set_new(sc, "next_cursor", more ? json_string(cursor) : json_null());
    json_object_set_new(sc, "truncated", json_boolean(truncated));
    json_object_set_new(sc, "cache", json_string(r->tier ? r->tier : "search"));
    json_object_set_new(sc, "took_ms", or_null(json_object_get(body, "took_ms")));
    json_decref(body);

    char *head = arena_sprintf(
        c->a, "%s%zu of %lld papers for \"%.200s\"%s%s%s\n",
        r->status != 200 ? "Every provider asked failed: " : "", shown, total, c->q.text,
        nfailed ? (shown || r->status != 200 ? " (partial: " : " (none found, but partial: ") : "",
        failed, nfailed ? ")" : "");
    char *tail =
        more ? arena_sprintf(c->a, "More: call search again with cursor \"%s\".\n", cursor) : "";
    char *all = head && tail && text ? arena_sprintf(c->a, "%s%s%s", head, text, tail) : NULL;
    json_t *res =
        json_pack("{s:o,s:o}", "content", text_block(all ? all : ""), "structuredContent", sc);
    if (res && r->status != 200) json_object_set_new(res, "isError", json_true());
    return res;
}

static void on_search_reply(const search_reply_t *r, void *data)
{
    call_t *c = data;
    c->handle = NULL;
    metrics_searches_in_flight(-1);
    search_chain_answered(c->ctx->chain, &c->q, r);
    const char *tier = r->tier ? r->tier : "search";
    struct render *slot = render_slot(r->etag, c->budget, c->full);
    if (r->status == 200 && slot->text && slot->etag == r->etag && slot->budget == c->budget &&
        slot->full == c->full && strcmp(slot->tier, tier) == 0) {
        c->done(c->data, slot->text, 0, NULL);
        return;
    }
    json_t *res = search_result(c, r);
    /* Only complete answers: a partial one says when to retry, which moves. */
    bool keep = res && r->status == 200 && !search_reply_partial(r);
    char *text = res ? json_num_dumps(res) : NULL;
    json_decref(res);
    blob_t *b = text ? blob_new(text, strlen(text)) : NULL;
    free(text);
    if (!b) {
        c->done(c->data, NULL, JSONRPC_INTERNAL_ERROR, "out of memory");
        return;
    }
    if (keep && b->len <= RENDER_MAX_BYTES) {
        blob_unref(slot->text);
        *slot = (struct render){
            .etag = r->etag, .budget = c->budget, .full = c->full, .text = blob_ref(b)};
        snprintf(slot->tier, sizeof slot->tier, "%s", tier);
    }
    c->done(c->data, b, 0, NULL);
    blob_unref(b);
}

static void on_paper(void *data, int status, const char *paper_json, const char *message,
                     int retry_after_s)
{
    call_t *c = data;
    c->handle = NULL;
    json_t *res = NULL;
    if (status == 400) {
        char msg[300];
        snprintf(msg, sizeof msg, "argument 'id': %s", message ? message : "not a paper id");
        c->done(c->data, NULL, JSONRPC_INVALID_PARAMS, msg);
        return;
    }
    json_t *p = status == 200 ? json_loads(paper_json, 0, NULL) : NULL;
    if (p) {
        json_t *rp = render_paper(p, c->full);
        char line[640];
        paper_line(line, sizeof line, 1, p);
        res = json_pack("{s:o,s:{s:o}}", "content", text_block(line), "structuredContent", "paper",
                        rp);
        json_decref(p);
    } else if (status == 404) {
        res = tool_error("no paper has the id '%.300s' (%s; try search)", c->id,
                         message ? message : "not found");
    } else if (status == 503) {
        res = tool_error("the paper cannot be read now: %s; retry after %d s",
                         message ? message : "unreachable", retry_after_s > 0 ? retry_after_s : 1);
    } else {
        res = tool_error("the paper could not be read: %s", message ? message : "store error");
    }
    deliver(c->done, c->data, res);
}

/* ---- arguments --------------------------------------------------------------- */

typedef enum { A_STR, A_INT, A_BOOL, A_PROVIDERS } arg_type_t;

static const struct {
    const char *name;
    arg_type_t type;
} search_args[] = {
    {"query", A_STR},    {"limit", A_INT},           {"offset", A_INT},     {"sort", A_STR},
    {"strategy", A_STR}, {"providers", A_PROVIDERS}, {"date_from", A_STR},  {"date_to", A_STR},
    {"year", A_STR},     {"year_from", A_INT},       {"year_to", A_INT},    {"author", A_STR},
    {"category", A_STR}, {"open_access", A_BOOL},    {"timeout_ms", A_INT},
};

static const char *type_word(arg_type_t t)
{
    return t == A_STR    ? "a string"
           : t == A_INT  ? "an integer"
           : t == A_BOOL ? "a boolean"
                         : "an array of names";
}

static bool type_ok(json_t *v, arg_type_t t)
{
    switch (t) {
    case A_STR:
        return json_is_string(v);
    case A_INT:
        return json_is_integer(v);
    case A_BOOL:
        return json_is_boolean(v);
    case A_PROVIDERS:
        return json_is_array(v) || json_is_string(v);
    }
    return false;
}

/* fields, max_bytes: common to both tools. Returns 0 or -1 with err. */
static int common_args(const http_mcp_ctx_t *ctx, json_t *args, call_t *c, char *err, size_t len)
{
    json_t *f = json_object_get(args, "fields");
    if (f && (!json_is_string(f) || (strcmp(json_string_value(f), "compact") != 0 &&
                                     strcmp(json_string_value(f), "full") != 0))) {
        snprintf(err, len, "argument 'fields' must be \"compact\" or \"full\"");
        return -1;
    }
    c->full = f && strcmp(json_string_value(f), "full") == 0;
    c->budget = (size_t)ctx->cfg->mcp.max_bytes;
    json_t *b = json_object_get(args, "max_bytes");
    if (b) {
        if (!json_is_integer(b) || json_integer_value(b) < BUDGET_MIN ||
            json_integer_value(b) > BUDGET_MAX) {
            snprintf(err, len, "argument 'max_bytes' must be an integer from %d to %d", BUDGET_MIN,
                     BUDGET_MAX);
            return -1;
        }
        c->budget = (size_t)json_integer_value(b);
    }
    return 0;
}

static int search_args_parse(const http_mcp_ctx_t *ctx, json_t *args, call_t *c, char *err,
                             size_t len)
{
    if (common_args(ctx, args, c, err, len) < 0) return -1;
    json_t *q = json_deep_copy(args);
    if (!q) {
        snprintf(err, len, "out of memory");
        return -1;
    }
    json_object_del(q, "fields");
    json_object_del(q, "max_bytes");
    json_t *cur = json_object_get(args, "cursor");
    const char *key;
    json_t *v;
    int rc = -1;
    json_object_foreach(q, key, v)
    {
        size_t i, n = sizeof search_args / sizeof search_args[0];
        for (i = 0; i < n && strcmp(search_args[i].name, key) != 0; i++)
            ;
        if (i == n && strcmp(key, "cursor") != 0) {
            snprintf(err, len, "unknown argument '%.64s'", key);
            goto out;
        }
        if (i < n && !type_ok(v, search_args[i].type)) {
            snprintf(err, len, "argument '%s' must be %s", key, type_word(search_args[i].type));
            goto out;
        }
    }
    if (cur) {
        const char *s = json_string_value(cur);
        char *end = NULL;
        long off = s && s[0] == 'o' && s[1] >= '0' && s[1] <= '9' ? strtol(s + 1, &end, 10) : -1;
        if (off < 0 || !end || *end || off > CURSOR_OFFSET_MAX) {
            snprintf(err, len, "argument 'cursor' is not a next_cursor of this tool");
            goto out;
        }
        if (json_object_get(q, "offset")) {
            snprintf(err, len, "argument 'cursor' replaces 'offset': give one of them");
            goto out;
        }
        json_object_del(q, "cursor");
        json_object_set_new(q, "offset", json_integer(off));
    }
    /* The very parser /v1/search uses: the same rules, the same cache key. */
    rc = query_parse_object(&c->q, q, c->a, err, len);
    if (rc < 0 && strncmp(err, "parameter ", 10) == 0) {
        char tmp[300];
        snprintf(tmp, sizeof tmp, "argument %s", err + 10);
        snprintf(err, len, "%s", tmp);
    }
    if (rc == 0 && c->q.deadline_ms > ctx->cfg->search.max_deadline_ms) {
        snprintf(err, len, "argument 'timeout_ms' is over the maximum of %lld ms",
                 (long long)ctx->cfg->search.max_deadline_ms);
        rc = -1;
    }
out:
    json_decref(q);
    return rc;
}

/* ---- get_citations ------------------------------------------------------------ */

typedef struct mcp_cites {
    cites_ids_t ids;
    cites_dir_t dir;
    cites_params_t params;
    uint32_t key; /* cites_list_key(): the cursor is the HTTP routes' */
} mcp_cites_t;

/* The list page as a CallToolResult within the budget, from the JSON
 * answer of GET /v1/papers/{id}/citations (body, borrowed). */
static json_t *cites_result(call_t *c, json_t *body, int status)
{
    const mcp_cites_t *cc = c->cites;
    json_t *edges = json_object_get(body, "edges");
    int retry_max;
    size_t nfailed;
    char failed[512];
    json_t *provs = providers_summary(json_object_get(body, "providers"), &retry_max, &nfailed,
                                      failed, sizeof failed);
    json_t *out_edges = json_array();
    size_t used = 1024 + json_object_size(provs) * 160, tlen = 0, tcap = 64 * 1024, shown = 0;
    char *text = arena_alloc(c->a, tcap);
    if (text) text[0] = '\0';
    bool truncated = false;
    size_t off = (size_t)json_integer_value(json_object_get(body, "offset"));
    for (size_t i = 0; i < json_array_size(edges) && text; i++) {
        json_t *e = json_array_get(edges, i), *p = json_object_get(e, "paper");
        json_t *rp = render_paper(p, c->full);
        json_t *oe =
            json_pack("{s:o,s:O,s:o}", "paper", rp, "sources", json_object_get(e, "sources"),
                      "is_influential", or_null(json_object_get(e, "is_influential")));
        char *dump = oe ? json_num_dumps(oe) : NULL;
        size_t sz = dump ? strlen(dump) : 0;
        free(dump);
        char line[640];
        paper_line(line, sizeof line, off + i + 1, p);
        size_t ll = strlen(line);
        if (shown > 0 && (used + sz + ll > c->budget || tlen + ll >= tcap)) {
            json_decref(oe);
            truncated = true;
            break;
        }
        json_array_append_new(out_edges, oe);
        memcpy(text + tlen, line, ll + 1);
        tlen += ll;
        used += sz + ll;
        shown++;
    }
    long long total = (long long)json_integer_value(json_object_get(body, "total"));
    char cursor[48] = "";
    if ((long long)(off + shown) < total)
        cites_cursor_make(cursor, sizeof cursor, off + shown, cc->key);
    const char *dir = cites_dir_name(cc->dir);
    json_t *sc = json_pack(
        "{s:s,s:s,s:I,s:I,s:I,s:o,s:b,s:o,s:o,s:b,s:o}", "id", cc->ids.canonical, "direction", dir,
        "total", (json_int_t)total, "offset", (json_int_t)off, "returned", (json_int_t)shown,
        "edges", out_edges, "partial",
        json_is_true(json_object_get(body, "partial")) || status != 200, "providers", provs,
        "next_cursor", cursor[0] ? json_string(cursor) : json_null(), "truncated", truncated,
        "retry_after_seconds", retry_max >= 0 && nfailed ? json_integer(retry_max) : json_null());
    const char *tool = cc->dir == CITES_CITATIONS ? "get_citations" : "get_references";
    char *more =
        cursor[0] ? arena_sprintf(c->a, "More: call %s again with cursor \"%s\".\n", tool, cursor)
                  : "";
    char *all = more ? arena_sprintf(c->a, "%s%zu of %lld %s of %s%s%s%s\n%s%s",
                                     status != 200 ? "Every provider asked failed: " : "", shown,
                                     total, dir, cc->ids.canonical, nfailed ? " (partial: " : "",
                                     failed, nfailed ? ")" : "", text ? text : "", more)
                     : NULL;
    json_t *res =
        json_pack("{s:o,s:o}", "content", text_block(all ? all : ""), "structuredContent", sc);
    if (res && status != 200) json_object_set_new(res, "isError", json_true());
    return res;
}

static void on_cites(void *data, const cites_result_t *r, bool cached)
{
    call_t *c = data;
    mcp_cites_t *cc = c->cites;
    c->handle = NULL;
    cite_list_t list;
    cites_answer_t ans = {
        .dir = cc->dir, .id = cc->ids.canonical, .params = &cc->params, .key = cc->key};
    int status = http__cites_answer(c->a, r, cached, &ans, &list);
    size_t len;
    char *body = status > 0 ? cites_answer_write(&ans, &len) : NULL;
    json_t *j = body ? json_loadb(body, len, 0, NULL) : NULL;
    free(body);
    if (!j) {
        c->done(c->data, NULL, JSONRPC_INTERNAL_ERROR, "out of memory");
        return;
    }
    deliver(c->done, c->data, cites_result(c, j, status));
    json_decref(j);
}

/* The arguments of get_citations, checked by the parser of the HTTP routes'
 * query string (the same rules and messages, the same cursor). Returns 0 or
 * -1 with err. */
static int cites_args_parse(const http_mcp_ctx_t *ctx, json_t *args, cites_dir_t dir, call_t *c,
                            char *err, size_t len)
{
    static const char *const ints[] = {"limit", "year_from", "year_to", "min_citations"};
    static const char *const strs[] = {"cursor", "sort"};
    if (common_args(ctx, args, c, err, len) < 0) return -1;
    mcp_cites_t *cc = arena_calloc(c->a, 1, sizeof *cc);
    char qs[512];
    size_t n = (size_t)snprintf(qs, sizeof qs, "limit=%d", CITES_LIMIT_DEFAULT);
    json_t *id = json_object_get(args, "id"), *v;
    const char *k;
    if (!cc) {
        snprintf(err, len, "out of memory");
        return -1;
    }
    c->cites = cc;
    cc->dir = dir;
    json_object_foreach(args, k, v)
    {
        bool is_int = false, is_str = false;
        for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
            is_int |= strcmp(k, ints[i]) == 0;
        for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
            is_str |= strcmp(k, strs[i]) == 0;
        if (is_int && json_is_integer(v)) {
            n += (size_t)snprintf(qs + n, sizeof qs - n, "&%s=%lld", k,
                                  (long long)json_integer_value(v));
        } else if (is_str && json_is_string(v) && json_string_length(v) <= 64 &&
                   strspn(json_string_value(v), "abcdefghijklmnopqrstuvwxyz0123456789.") ==
                       json_string_length(v)) {
            n += (size_t)snprintf(qs + n, sizeof qs - n, "&%s=%s", k, json_string_value(v));
        } else if (is_int || is_str) {
            snprintf(err, len, "argument '%s' is not %s", k, is_int ? "an integer" : "valid");
            return -1;
        } else if (strcmp(k, "id") != 0 && strcmp(k, "fields") != 0 &&
                   strcmp(k, "max_bytes") != 0) {
            snprintf(err, len, "unknown argument '%.64s'", k);
            return -1;
        }
    }
    json_t *limit = json_object_get(args, "limit");
    if (limit && (json_integer_value(limit) < 1 || json_integer_value(limit) > CITES_LIMIT_MAX)) {
        snprintf(err, len, "argument 'limit' must be an integer from 1 to %d", CITES_LIMIT_MAX);
        return -1;
    }
    char perr[200];
    if (cites_params_parse(&cc->params, qs, n, perr, sizeof perr) < 0) {
        snprintf(err, len, "argument %s", strncmp(perr, "invalid ", 8) == 0 ? perr + 8 : perr);
        return -1;
    }
    if (!json_is_string(id) || json_string_length(id) == 0 || json_string_length(id) > 300) {
        snprintf(err, len, "argument 'id' must be a string of 1 to 300 characters");
        return -1;
    }
    int bad = http__cites_ids(c->a, json_string_value(id), &cc->ids);
    if (bad < 0) {
        snprintf(err, len,
                 bad == -1 ? "argument 'id': not a paper id the providers know (%s)"
                           : "out of memory",
                 HTTP_CITES_ID_FORMS);
        return -1;
    }
    cc->key = cites_list_key(cc->dir, cc->ids.canonical, &cc->params);
    if (cc->params.has_cursor && cc->params.cursor_key != cc->key) {
        snprintf(err, len,
                 "argument 'cursor' belongs to another list (id, tool, filters or "
                 "sort)");
        return -1;
    }
    return 0;
}

/* ---- search_authors --------------------------------------------------------- */

/* The page as a CallToolResult, from the JSON answer of GET /v1/authors. */
static json_t *authors_result(json_t *body, int status)
{
    int retry_max;
    size_t nfailed;
    char failed[512];
    json_t *provs = providers_summary(json_object_get(body, "providers"), &retry_max, &nfailed,
                                      failed, sizeof failed);
    json_t *people = json_object_get(body, "authors");
    const char *query = json_string_value(json_object_get(body, "query"));
    json_t *cursor = json_object_get(body, "next_cursor");
    size_t n = json_array_size(people), tlen = 0, tcap = 256 + n * 256;
    char *text = malloc(tcap);
    if (!text) {
        json_decref(provs);
        return NULL;
    }
    tlen = (size_t)snprintf(text, tcap, "%s%zu people for \"%.200s\"%s%s%s\n",
                            status != 200 ? "Every provider asked failed: " : "", n,
                            query ? query : "", nfailed ? " (partial: " : "", failed,
                            nfailed ? ")" : "");
    for (size_t i = 0; i < n && tlen < tcap; i++) {
        json_t *p = json_array_get(people, i);
        json_t *orcid = json_object_get(p, "orcid");
        tlen += (size_t)snprintf(text + tlen, tcap - tlen, "%zu. %.120s [%s]%s%s, %lld papers\n",
                                 i + 1, json_string_value(json_object_get(p, "name")),
                                 json_string_value(json_object_get(p, "id")),
                                 json_is_string(orcid) ? " ORCID " : "",
                                 json_is_string(orcid) ? json_string_value(orcid) : "",
                                 (long long)json_integer_value(json_object_get(p, "paper_count")));
    }
    if (json_is_string(cursor) && tlen < tcap)
        snprintf(text + tlen, tcap - tlen, "More: call search_authors again with cursor \"%s\".\n",
                 json_string_value(cursor));
    json_t *sc = json_pack(
        "{s:O,s:O,s:I,s:O,s:b,s:o,s:O,s:O,s:o}", "query", json_object_get(body, "query"), "total",
        json_object_get(body, "total"), "returned", (json_int_t)n, "authors", people, "partial",
        json_is_true(json_object_get(body, "partial")) || status != 200, "providers", provs,
        "next_cursor", cursor, "took_ms", json_object_get(body, "took_ms"), "retry_after_seconds",
        retry_max >= 0 && nfailed ? json_integer(retry_max) : json_null());
    json_t *res = json_pack("{s:o,s:o}", "content", text_block(text), "structuredContent", sc);
    free(text);
    if (res && status != 200) json_object_set_new(res, "isError", json_true());
    return res;
}

static void on_authors(void *data, int status, char *body, size_t len)
{
    call_t *c = data;
    c->handle = NULL;
    json_t *j = body ? json_loadb(body, len, 0, NULL) : NULL;
    free(body);
    json_t *res = j ? authors_result(j, status) : NULL;
    json_decref(j);
    if (!res) {
        c->done(c->data, NULL, JSONRPC_INTERNAL_ERROR, "out of memory");
        return;
    }
    deliver(c->done, c->data, res);
}

/* Appends &name=value to qs, value percent-encoded; -1 when it does not fit. */
static int qs_add(char *qs, size_t cap, size_t *n, const char *name, const char *value)
{
    static const char hex[] = "0123456789ABCDEF";
    int w = snprintf(qs + *n, cap - *n, "%s%s=", *n ? "&" : "", name);
    if (w < 0 || (size_t)w >= cap - *n) return -1;
    *n += (size_t)w;
    for (const unsigned char *v = (const unsigned char *)value; *v; v++) {
        if (*n + 4 > cap) return -1;
        if (isalnum(*v) || strchr("-._~", *v)) {
            qs[(*n)++] = (char)*v;
        } else {
            qs[(*n)++] = '%';
            qs[(*n)++] = hex[*v >> 4];
            qs[(*n)++] = hex[*v & 15];
        }
    }
    qs[*n] = '\0';
    return 0;
}

/* The arguments of search_authors as GET /v1/authors's query string, for
 * its parser to check (the same rules and messages). Returns its length,
 * or -1 with err. */
static long authors_args_qs(json_t *args, char *qs, size_t cap, char *err, size_t len)
{
    const char *k;
    json_t *v;
    size_t n = 0;
    qs[0] = '\0';
    json_object_foreach(args, k, v)
    {
        char num[24];
        const char *val = NULL;
        if (strcmp(k, "limit") == 0) {
            if (!json_is_integer(v)) {
                snprintf(err, len, "argument 'limit' is not an integer");
                return -1;
            }
            snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
            val = num;
        } else if (strcmp(k, "query") == 0 || strcmp(k, "cursor") == 0) {
            if (!json_is_string(v) || json_string_length(v) > 400) {
                snprintf(err, len, "argument '%s' must be a string of at most 400 characters", k);
                return -1;
            }
            val = json_string_value(v);
        } else {
            snprintf(err, len, "unknown argument '%.64s' (query, limit, cursor)", k);
            return -1;
        }
        if (qs_add(qs, cap, &n, k, val) < 0) {
            snprintf(err, len, "argument '%s' is too long", k);
            return -1;
        }
    }
    return (long)n;
}

void *http_mcp_tool_call(const http_mcp_ctx_t *ctx, arena_t *a, json_t *params,
                         const char *traceparent, http_mcp_call_cb done, void *data)
{
    char err[300];
    json_t *name = json_object_get(params, "name");
    json_t *args = json_object_get(params, "arguments");
    if (!json_is_object(params) || !json_is_string(name)) {
        done(data, NULL, JSONRPC_INVALID_PARAMS,
             "params must be {\"name\": tool, \"arguments\": {...}}");
        return NULL;
    }
    if (args && !json_is_object(args)) {
        done(data, NULL, JSONRPC_INVALID_PARAMS, "argument list 'arguments' must be an object");
        return NULL;
    }
    json_t *empty = NULL;
    if (!args) args = empty = json_object();
    call_t *c = arena_calloc(a, 1, sizeof *c);
    if (!c || !args) {
        json_decref(empty);
        done(data, NULL, JSONRPC_INTERNAL_ERROR, "out of memory");
        return NULL;
    }
    *c = (call_t){.ctx = ctx, .a = a, .done = done, .data = data};
    const char *tool = json_string_value(name);
    if (strcmp(tool, "search") == 0) {
        int rc = search_args_parse(ctx, args, c, err, sizeof err);
        json_decref(empty);
        if (rc < 0) {
            done(data, NULL, JSONRPC_INVALID_PARAMS, err);
            return NULL;
        }
        c->q.traceparent = traceparent;
        char *key = query_key(&c->q, a);
        if (!key) {
            done(data, NULL, JSONRPC_INTERNAL_ERROR, "out of memory");
            return NULL;
        }
        /* A search like /v1/search's: in the same gauge, shed past the same
         * shed.max_in_flight (the middleware sheds /v1/search* only). */
        const sf_config_t *cfg = ctx->cfg;
        if (cfg->shed.max_in_flight > 0 &&
            metrics_searches_in_flight_now() >= cfg->shed.max_in_flight) {
            metrics_count(METRIC_SHED);
            snprintf(err, sizeof err, "too many searches in flight; try again in %lld s",
                     (long long)((cfg->shed.retry_after_ms + 999) / 1000));
            done(data, NULL, jsonrpc_code_of_status(503), err);
            return NULL;
        }
        metrics_searches_in_flight(1);
        int deadline = c->q.deadline_ms ? c->q.deadline_ms : (int)cfg->search.deadline_ms;
        search_request_t sr = {.query = &c->q, .key = key, .deadline_ms = deadline};
        search_service_t *head = ctx->chain->head;
        c->handle = head->fetch(head, &sr, on_search_reply, c);
        if (!c->handle) {
            metrics_searches_in_flight(-1);
            done(data, NULL, JSONRPC_INTERNAL_ERROR, "out of memory");
            return NULL;
        }
        return c;
    }
    if (strcmp(tool, "get_paper") == 0) {
        json_t *id = json_object_get(args, "id");
        const char *k;
        json_t *v;
        int rc = common_args(ctx, args, c, err, sizeof err);
        json_object_foreach(args, k, v)
        {
            if (rc == 0 && strcmp(k, "id") != 0 && strcmp(k, "fields") != 0 &&
                strcmp(k, "max_bytes") != 0) {
                snprintf(err, sizeof err, "unknown argument '%.64s'", k);
                rc = -1;
            }
        }
        if (rc == 0 &&
            (!json_is_string(id) || json_string_length(id) == 0 || json_string_length(id) > 300)) {
            snprintf(err, sizeof err, "argument 'id' must be a string of 1 to 300 characters");
            rc = -1;
        }
        c->id = rc == 0 ? arena_strdup(a, json_string_value(id)) : NULL;
        json_decref(empty);
        if (rc < 0 || !c->id) {
            done(data, NULL, rc < 0 ? JSONRPC_INVALID_PARAMS : JSONRPC_INTERNAL_ERROR,
                 rc < 0 ? err : "out of memory");
            return NULL;
        }
        if (!ctx->papers.get) {
            deliver(done, data,
                    tool_error("get_paper needs scifind's PostgreSQL store, and this server has "
                               "none (pg.dsn); use search instead"));
            return NULL;
        }
        c->paper = true;
        c->handle = ctx->papers.get(ctx->papers.ctx, a, c->id, on_paper, c);
        return c->handle ? c : NULL;
    }
    if (strcmp(tool, "get_citations") == 0 || strcmp(tool, "get_references") == 0) {
        cites_dir_t dir = tool[4] == 'c' ? CITES_CITATIONS : CITES_REFERENCES;
        int rc = cites_args_parse(ctx, args, dir, c, err, sizeof err);
        json_decref(empty);
        if (rc < 0) {
            done(data, NULL, JSONRPC_INVALID_PARAMS, err);
            return NULL;
        }
        if (!ctx->cites) {
            deliver(done, data, tool_error("citation lists are not available on this server"));
            return NULL;
        }
        c->handle =
            cites_cache_get(ctx->cites, c->cites->dir, &c->cites->ids, traceparent, on_cites, c);
        if (!c->handle) {
            done(data, NULL, JSONRPC_INTERNAL_ERROR, "out of memory");
            return NULL;
        }
        return c;
    }
    if (strcmp(tool, "search_authors") == 0) {
        char qs[1600];
        long n = authors_args_qs(args, qs, sizeof qs, err, sizeof err);
        json_decref(empty);
        if (n < 0) {
            done(data, NULL, JSONRPC_INVALID_PARAMS, err);
            return NULL;
        }
        if (!ctx->authors) {
            deliver(done, data, tool_error("author search is not available on this server"));
            return NULL;
        }
        c->authors = true;
        if (http__authors_search(ctx->authors, a, qs, (size_t)n, traceparent, on_authors, c,
                                 &c->handle, err, sizeof err) < 0) {
            done(data, NULL,
                 strcmp(err, "out of memory") == 0 ? JSONRPC_INTERNAL_ERROR
                                                   : JSONRPC_INVALID_PARAMS,
                 err);
            return NULL;
        }
        return c->handle ? c : NULL;
    }
    json_decref(empty);
    snprintf(err, sizeof err,
             "unknown tool '%.64s' (tools: search, get_paper, get_citations, get_references, "
             "search_authors)",
             tool);
    done(data, NULL, JSONRPC_INVALID_PARAMS, err);
    return NULL;
}

void http_mcp_tool_cancel(const http_mcp_ctx_t *ctx, void *handle)
{
    call_t *c = handle;
    if (!c || !c->handle) return;
    if (c->paper) {
        ctx->papers.cancel(ctx->papers.ctx, c->handle);
    } else if (c->cites) {
        cites_wait_cancel(c->handle);
    } else if (c->authors) {
        http__authors_search_cancel(c->handle);
    } else {
        ctx->chain->head->cancel(ctx->chain->head, c->handle);
        metrics_searches_in_flight(-1);
    }
    c->handle = NULL;
}
