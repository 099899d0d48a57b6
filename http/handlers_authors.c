/* GET /v1/authors and /v1/authors/{id} (http/handlers_authors.h). */
#include "http/handlers_authors.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/blob_cache.h"
#include "core/clock.h"
#include "core/escape.h"
#include "core/hash.h"
#include "core/merge.h"
#include "core/strbuf.h"

#define AUTHORS_DEFAULT_LIMIT 10
#define AUTHORS_MAX_LIMIT 100
#define AUTHORS_MAX_OFFSET 10000 /* OpenAlex's page paging stops there */
#define AUTHORS_MAX_PAPERS 200   /* offset + limit: one OpenAlex page of the person's works */

typedef struct authors_req {
    http_req_t *req; /* NULL: a search for the MCP tool (answered) */
    uint64_t start_ns;
    http_authors_answered_cb answered;
    void *data;
    author_fetch_t *fetch;
    const http_authors_ctx_t *ctx;
    const char *query; /* NULL: a profile */
    const char *id;
    size_t offset;
    int limit;
    const char *cache_key;               /* search and profile: the answer's key in ctx->cache */
    query_sort_t sort;                   /* papers */
    answer_provider_t failed[SRC_COUNT]; /* papers: providers whose profile call failed */
} authors_req_t;

/* A page's cursor: its offset and the query it belongs to. */
static uint32_t authors_query_key(const char *q)
{
    return (uint32_t)fnv1a_str(q);
}

static int cursor_read(const char *s, const char *query, size_t *offset)
{
    unsigned long long off;
    unsigned key;
    char end;
    if (sscanf(s, "a1.%llu.%x%c", &off, &key, &end) != 2 || off > AUTHORS_MAX_OFFSET ||
        key != authors_query_key(query))
        return -1;
    *offset = (size_t)off;
    return 0;
}

static int append(char **buf, size_t *len, size_t *cap, const char *s)
{
    size_t n = strlen(s);
    if (!sf_strbuf_grow(buf, cap, *len, n, 4096, ANSWER_JSON_MAX)) return -1;
    memcpy(*buf + *len, s, n + 1);
    *len += n;
    return 0;
}

/* The answer's tail: "providers", "partial", "took_ms". */
static int append_tail(char **buf, size_t *len, size_t *cap, const author_result_t *r,
                       uint64_t start_ns)
{
    char *prov = answer_json_providers(r->providers, NULL);
    char tail[96];
    snprintf(tail, sizeof(tail), ",\"partial\":%s,\"took_ms\":%.1f}", r->partial ? "true" : "false",
             (double)(clock_now_ns() - start_ns) / 1e6);
    int rc = prov == NULL || append(buf, len, cap, ",\"providers\":") < 0 ||
                     append(buf, len, cap, prov) < 0 || append(buf, len, cap, tail) < 0
                 ? -1
                 : 0;
    free(prov);
    return rc;
}

static void respond_json(http_req_t *req, int status, char *body, size_t len)
{
    http_respond_malloced(req, status, "application/json", "Cache-Control: no-store\r\n", body,
                          len);
}

/* A kept answer: the providers' statuses (every one asked answered: no
 * errors), then the answer's head (all but "providers", "partial",
 * "took_ms"). A hit answers them "cached". */
static void cache_keep(const authors_req_t *w, const author_result_t *r, const char *head,
                       size_t len)
{
    if (w->cache_key == NULL || r->partial) return;
    char *v = malloc(sizeof(r->providers) + len);
    if (v == NULL) return; /* not kept */
    answer_provider_t kept[SRC_COUNT];
    memcpy(kept, r->providers, sizeof(kept));
    for (int s = 0; s < SRC_COUNT; s++)
        kept[s].error = NULL; /* in the fetch's arena (and none: not partial) */
    memcpy(v, kept, sizeof(kept));
    memcpy(v + sizeof(r->providers), head, len);
    blob_cache_put(w->ctx->cache, w->cache_key, v, sizeof(r->providers) + len);
    free(v);
}

/* The kept answer of key as a malloc'd body (*body NULL when out of
 * memory); false when none is kept. */
static bool cache_body(const http_authors_ctx_t *ctx, const char *key, uint64_t start_ns,
                       char **body, size_t *len)
{
    blob_t *b = blob_cache_get(ctx->cache, key);
    if (b == NULL) return false;
    author_result_t r = {0};
    memcpy(r.providers, b->data, sizeof(r.providers));
    for (int s = 0; s < SRC_COUNT; s++)
        if (r.providers[s].asked) r.providers[s].status = PSTAT_CACHED;
    size_t cap = b->len - sizeof(r.providers) + 1;
    *len = cap - 1;
    *body = malloc(cap);
    if (*body != NULL) memcpy(*body, b->data + sizeof(r.providers), cap); /* and the NUL */
    blob_unref(b);
    if (*body != NULL && append_tail(body, len, &cap, &r, start_ns) < 0) {
        free(*body);
        *body = NULL;
    }
    return true;
}

/* Answers from the cache when it holds key; false when it does not. */
static bool cache_answer(http_req_t *req, const http_authors_ctx_t *ctx, const char *key)
{
    char *body;
    size_t len;
    if (!cache_body(ctx, key, req->start_ns, &body, &len)) return false;
    if (body == NULL)
        http_respond_oom(req);
    else
        respond_json(req, 200, body, len);
    return true;
}

/* The answer to w's asker: the HTTP client or the MCP tool. body is
 * malloc'd, NULL when out of memory. */
static void answer(authors_req_t *w, int status, char *body, size_t len)
{
    if (w->answered != NULL)
        w->answered(w->data, status, body, len);
    else if (body == NULL)
        http_respond_oom(w->req);
    else
        respond_json(w->req, status, body, len);
}

static bool any_ok(const author_result_t *r, bool *asked)
{
    bool ok = false;
    *asked = false;
    for (int s = 0; s < SRC_COUNT; s++) {
        if (!r->providers[s].asked) continue;
        *asked = true;
        ok |= r->providers[s].status == PSTAT_OK;
    }
    return ok;
}

static void on_papers(author_fetch_t *f, void *data);
static void on_client_gone(http_req_t *req);
static void respond_papers(authors_req_t *w, const author_result_t *r);

/* GET /v1/authors/{id}/papers, once the profile named every provider's id
 * of the person: their papers, the first offset + limit of each. */
static void fetch_papers(authors_req_t *w, const author_result_t *r)
{
    author_fetch_opts_t o = {.papers = true, .limit = (int)w->offset + w->limit};
    for (int s = 0; s < SRC_COUNT; s++) { /* copied by the new fetch */
        o.ids[s] = r->merged.items[0].ids[s];
        const answer_provider_t *p = &r->providers[s];
        if (!p->asked || p->status == PSTAT_OK) continue;
        w->failed[s] = *p; /* not asked for papers: the answer says why */
        w->failed[s].error = p->error != NULL ? arena_strdup(w->req->arena, p->error) : NULL;
    }
    o.deadline_ms = w->ctx->deadline_ms;
    o.enabled = w->ctx->enabled;
    o.traceparent = http_req_header(w->req, "traceparent");
    w->fetch = author_fetch_start(w->ctx->loop, w->ctx->be, &o, on_papers, w);
    if (w->fetch == NULL)
        http_respond_oom(w->req);
    else
        w->req->on_client_gone = on_client_gone;
}

static void on_fetched(author_fetch_t *f, void *data)
{
    authors_req_t *w = data;
    http_req_t *req = w->req;
    w->fetch = NULL;
    if (req != NULL) req->on_client_gone = NULL;
    const author_result_t *r = author_fetch_result(f);
    bool asked;
    bool ok = any_ok(r, &asked);
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int status = ok || !asked ? 200 : 502;
    int rc = 0;
    if (w->query != NULL) {
        long total = -1;
        for (int s = 0; s < SRC_COUNT; s++)
            if (r->totals[s] > total) total = r->totals[s];
        /* Every person of the providers' pages: each was asked for limit,
         * so cutting the merged list at limit would lose the later
         * source's people for good (the next page asks past them). */
        size_t shown = r->merged.n;
        /* More when a provider says there are more past this page. */
        bool more = total > (long)(w->offset + (size_t)w->limit) &&
                    w->offset + (size_t)w->limit <= AUTHORS_MAX_OFFSET;
        rc |= append(&buf, &len, &cap, "{\"query\":");
        rc |= answer_json_append_str(&buf, &len, &cap, w->query);
        char head[64];
        snprintf(head, sizeof(head), ",\"total\":%ld,\"authors\":[", total);
        rc |= append(&buf, &len, &cap, head);
        for (size_t i = 0; i < shown && rc == 0; i++) {
            if (i > 0) rc |= append(&buf, &len, &cap, ",");
            rc |= author_json_append(&buf, &len, &cap, &r->merged.items[i]);
        }
        rc |= append(&buf, &len, &cap, "],\"next_cursor\":");
        if (more) {
            char cur[64];
            snprintf(cur, sizeof(cur), "\"a1.%zu.%x\"", w->offset + (size_t)w->limit,
                     authors_query_key(w->query));
            rc |= append(&buf, &len, &cap, cur);
        } else {
            rc |= append(&buf, &len, &cap, "null");
        }
    } else {
        if (status == 200 && r->merged.n == 0) {
            author_fetch_free(f);
            http_respond_error(req, 404, "not_found", "no author with id \"%.200s\"", w->id);
            return;
        }
        if (w->limit > 0) { /* /papers: the profile gave the ids, or every provider failed */
            if (status == 200)
                fetch_papers(w, r);
            else
                respond_papers(w, r);
            author_fetch_free(f);
            return;
        }
        rc |= append(&buf, &len, &cap, "{\"id\":");
        rc |= answer_json_append_str(&buf, &len, &cap, w->id);
        rc |= append(&buf, &len, &cap, ",\"author\":");
        if (r->merged.n > 0)
            rc |= author_json_append(&buf, &len, &cap, &r->merged.items[0]);
        else
            rc |= append(&buf, &len, &cap, "null");
    }
    if (rc == 0 && status == 200) cache_keep(w, r, buf, len);
    if (rc == 0) rc = append_tail(&buf, &len, &cap, r, w->start_ns);
    author_fetch_free(f);
    if (rc != 0) {
        free(buf);
        buf = NULL;
    }
    answer(w, status, buf, len);
}

/* A papers page's cursor: its offset, for this id and sort. */
static uint32_t papers_key(const char *id, query_sort_t sort)
{
    return (uint32_t)fnv1a_str(id) ^ (uint32_t)sort;
}

/* The papers merged as a search's (core/merge.h), its answer's shape, with
 * "next_cursor" added. */
static void respond_papers(authors_req_t *w, const author_result_t *r)
{
    http_req_t *req = w->req;
    bool asked;
    int status = any_ok(r, &asked) || !asked ? 200 : 502;
    const paper_list_t *lists[SRC_COUNT] = {0};
    for (int s = 0; s < SRC_COUNT; s++)
        if (r->providers[s].asked) lists[s] = &r->papers[s];
    query_t q;
    query_init(&q);
    q.text = w->id; /* matches no title: "relevance" is the providers' order merged */
    q.sort = w->sort;
    q.limit = w->limit;
    q.offset = (int)w->offset;
    /* More when some provider gave all it was asked for (it may have more). */
    bool more = false;
    for (int s = 0; s < SRC_COUNT; s++)
        more |= r->providers[s].asked && r->papers[s].n >= w->offset + (size_t)w->limit;
    more &= w->offset + 2 * (size_t)w->limit <= AUTHORS_MAX_PAPERS;
    merge_result_t m;
    char *body = NULL;
    size_t len = 0;
    if (merge_papers(req->arena, lists, &q, &m) == 0) {
        answer_t ans = {.query = &q,
                        .papers = m.page,
                        .npapers = m.npage,
                        .total = m.total,
                        .took_ms = (double)(clock_now_ns() - req->start_ns) / 1e6,
                        .partial = r->partial,
                        .own_cursor = true};
        if (more && m.total > w->offset + (size_t)w->limit)
            ans.next_cursor = arena_sprintf(req->arena, "p1.%zu.%x", w->offset + (size_t)w->limit,
                                            papers_key(w->id, w->sort));
        memcpy(ans.providers, r->providers, sizeof(ans.providers));
        for (int s = 0; s < SRC_COUNT; s++)
            if (w->failed[s].asked && !ans.providers[s].asked) {
                ans.providers[s] = w->failed[s];
                ans.partial = true;
            }
        body = answer_json_write(&ans, &len);
    }
    if (body == NULL) {
        http_respond_oom(req);
        return;
    }
    respond_json(req, status, body, len);
}

static void on_papers(author_fetch_t *f, void *data)
{
    authors_req_t *w = data;
    w->fetch = NULL;
    w->req->on_client_gone = NULL;
    respond_papers(w, author_fetch_result(f));
    author_fetch_free(f);
}

static void on_client_gone(http_req_t *req)
{
    authors_req_t *w = req->handler_data;
    if (w->fetch == NULL) return;
    author_fetch_free(w->fetch);
    w->fetch = NULL;
    http_respond_error(req, 503, "service_unavailable", "client went away");
}

static void start(http_req_t *req, authors_req_t *w, author_fetch_opts_t *o)
{
    o->deadline_ms = w->ctx->deadline_ms;
    o->enabled = w->ctx->enabled;
    o->traceparent = http_req_header(req, "traceparent");
    w->req = req;
    w->start_ns = req->start_ns;
    req->handler_data = w;
    w->fetch = author_fetch_start(w->ctx->loop, w->ctx->be, o, on_fetched, w);
    if (w->fetch == NULL) {
        http_respond_oom(req);
        return;
    }
    req->on_client_gone = on_client_gone;
}

/* query, limit, cursor of GET /v1/authors. */
static int search_params(const char *qs, size_t qs_len, arena_t *a, authors_req_t *w, char *err,
                         size_t errlen)
{
    char name[32], value[512];
    const char *cursor = NULL;
    w->limit = AUTHORS_DEFAULT_LIMIT;
    size_t pos = 0, vl;
    int got;
    while ((got = qs_next(qs, qs_len, &pos, name, sizeof name, value, sizeof value, &vl)) !=
           QS_END) {
        if (got != QS_PAIR) {
            snprintf(err, errlen, "a parameter is too long or badly encoded");
            return -1;
        }
        if (strcmp(name, "query") == 0 || strcmp(name, "q") == 0) {
            w->query = arena_strdup(a, value);
        } else if (strcmp(name, "limit") == 0) {
            char *e;
            long v = strtol(value, &e, 10);
            if (*value == '\0' || *e != '\0' || v < 1 || v > AUTHORS_MAX_LIMIT) {
                snprintf(err, errlen, "invalid limit: a whole number from 1 to %d",
                         AUTHORS_MAX_LIMIT);
                return -1;
            }
            w->limit = (int)v;
        } else if (strcmp(name, "cursor") == 0) {
            cursor = arena_strdup(a, value);
        } else {
            snprintf(err, errlen, "unknown parameter \"%.40s\" (query, limit, cursor)", name);
            return -1;
        }
    }
    const char *q = w->query;
    while (q != NULL && isspace((unsigned char)*q))
        q++;
    if (q == NULL || *q == '\0') {
        snprintf(err, errlen, "missing query: GET /v1/authors?query=<name>");
        return -1;
    }
    if (cursor != NULL && cursor_read(cursor, w->query, &w->offset) < 0) {
        snprintf(err, errlen,
                 "invalid cursor \"%.80s\": use the next_cursor of a page of this query", cursor);
        return -1;
    }
    return 0;
}

/* A search page's key in the cache: what its answer depends on. */
static const char *search_key(arena_t *a, const authors_req_t *w)
{
    return arena_sprintf(a, "search\x1f%zu\x1f%d\x1f%s", w->offset, w->limit, w->query);
}

static void search_handler(http_req_t *req)
{
    authors_req_t *w = arena_calloc(req->arena, 1, sizeof(*w));
    if (w == NULL) {
        http_respond_oom(req);
        return;
    }
    w->ctx = req->route_data;
    char err[200];
    if (search_params(req->query, req->query_len, req->arena, w, err, sizeof(err)) < 0) {
        http_respond_error(req, 400, "bad_request", "%s", err);
        return;
    }
    w->cache_key = search_key(req->arena, w);
    if (w->cache_key != NULL && cache_answer(req, w->ctx, w->cache_key)) return;
    author_fetch_opts_t o = {.query = w->query, .offset = w->offset, .limit = w->limit};
    start(req, w, &o);
}

int http__authors_search(const http_authors_ctx_t *ctx, arena_t *a, const char *qs, size_t qs_len,
                         const char *traceparent, http_authors_answered_cb cb, void *data,
                         void **handle, char *err, size_t errlen)
{
    *handle = NULL;
    authors_req_t *w = arena_calloc(a, 1, sizeof(*w));
    if (w == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    *w = (authors_req_t){.ctx = ctx, .start_ns = clock_now_ns(), .answered = cb, .data = data};
    if (search_params(qs, qs_len, a, w, err, errlen) < 0) return -1;
    w->cache_key = search_key(a, w);
    char *body;
    size_t len;
    if (w->cache_key != NULL && cache_body(ctx, w->cache_key, w->start_ns, &body, &len)) {
        cb(data, 200, body, len);
        return 0;
    }
    author_fetch_opts_t o = {.query = w->query,
                             .offset = w->offset,
                             .limit = w->limit,
                             .deadline_ms = ctx->deadline_ms,
                             .enabled = ctx->enabled,
                             .traceparent = traceparent};
    w->fetch = author_fetch_start(ctx->loop, ctx->be, &o, on_fetched, w);
    if (w->fetch == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    *handle = w;
    return 0;
}

void http__authors_search_cancel(void *handle)
{
    authors_req_t *w = handle;
    author_fetch_free(w->fetch);
    w->fetch = NULL;
}

/* An author id of the answer: orcid:0000-..., s2:<digits>, openalex:A<digits>. */
static int profile_ids(arena_t *a, const char *id, author_fetch_opts_t *o)
{
    if (strncmp(id, "orcid:", 6) == 0) {
        const char *orcid = author_orcid_norm(a, id + 6);
        if (orcid == NULL) return -1;
        o->ids[SRC_OPENALEX] = arena_sprintf(a, "orcid:%s", orcid);
        return 0;
    }
    const char *v = NULL;
    source_t s;
    if (strncmp(id, "s2:", 3) == 0) {
        v = id + 3;
        s = SRC_SEMANTIC_SCHOLAR;
    } else if (strncmp(id, "openalex:", 9) == 0) {
        v = id + 9;
        s = SRC_OPENALEX;
        if (*v != 'A' && *v != 'a') return -1;
        v++;
    } else {
        return -1;
    }
    if (*v == '\0' || strlen(v) > 20) return -1;
    for (const char *c = v; *c; c++)
        if (!isdigit((unsigned char)*c)) return -1;
    o->ids[s] = s == SRC_OPENALEX ? arena_sprintf(a, "A%s", v) : v;
    return 0;
}

static int papers_params(http_req_t *req, authors_req_t *w, char *err, size_t errlen);

/* GET /v1/authors/{id}, and /papers (the profile first, for every
 * provider's id of the person). */
static void by_id(http_req_t *req, bool papers)
{
    authors_req_t *w = arena_calloc(req->arena, 1, sizeof(*w));
    if (w == NULL || req->nparams < 1) {
        http_respond_oom(req);
        return;
    }
    w->ctx = req->route_data;
    char raw[256];
    size_t plen = strlen(req->params[0]);
    long n = plen < sizeof(raw) ? pct_decode(req->params[0], plen, raw, false) : -1;
    author_fetch_opts_t o = {0};
    if (n < 0 || strlen(raw) != (size_t)n || profile_ids(req->arena, raw, &o) < 0) {
        http_respond_error(req, 400, "invalid_id",
                           "not an author id: \"%.200s\" (orcid:0000-0000-0000-0000, "
                           "s2:<authorId>, openalex:A<digits>)",
                           n >= 0 ? raw : req->params[0]);
        return;
    }
    w->id = arena_strdup(req->arena, raw);
    if (w->id == NULL) {
        http_respond_oom(req);
        return;
    }
    char err[200];
    if (papers && papers_params(req, w, err, sizeof(err)) < 0) {
        http_respond_error(req, 400, "bad_request", "%s", err);
        return;
    }
    if (!papers) {
        w->cache_key = arena_sprintf(req->arena, "profile\x1f%s", w->id);
        if (w->cache_key != NULL && cache_answer(req, w->ctx, w->cache_key)) return;
    }
    start(req, w, &o);
}

static void profile_handler(http_req_t *req)
{
    by_id(req, false);
}

static void papers_handler(http_req_t *req)
{
    by_id(req, true);
}

/* limit, cursor, sort of GET /v1/authors/{id}/papers. */
static int papers_params(http_req_t *req, authors_req_t *w, char *err, size_t errlen)
{
    char name[32], value[128];
    const char *cursor = NULL;
    w->limit = QUERY_DEFAULT_LIMIT;
    size_t pos = 0, vl;
    int got;
    while ((got = qs_next(req->query, req->query_len, &pos, name, sizeof name, value, sizeof value,
                          &vl)) != QS_END) {
        if (got != QS_PAIR) {
            snprintf(err, errlen, "a parameter is too long or badly encoded");
            return -1;
        }
        if (strcmp(name, "limit") == 0) {
            char *e;
            long v = strtol(value, &e, 10);
            if (*value == '\0' || *e != '\0' || v < 1 || v > AUTHORS_MAX_LIMIT) {
                snprintf(err, errlen, "invalid limit: a whole number from 1 to %d",
                         AUTHORS_MAX_LIMIT);
                return -1;
            }
            w->limit = (int)v;
        } else if (strcmp(name, "cursor") == 0) {
            cursor = arena_strdup(req->arena, value);
        } else if (strcmp(name, "sort") == 0) {
            if (strcmp(value, "citations") == 0)
                w->sort = SORT_CITATIONS;
            else if (strcmp(value, "date") == 0)
                w->sort = SORT_DATE;
            else {
                snprintf(err, errlen, "invalid sort \"%.40s\": citations or date", value);
                return -1;
            }
        } else {
            snprintf(err, errlen, "unknown parameter \"%.40s\" (limit, cursor, sort)", name);
            return -1;
        }
    }
    unsigned long long off;
    unsigned key;
    char end;
    if (cursor != NULL && (sscanf(cursor, "p1.%llu.%x%c", &off, &key, &end) != 2 ||
                           off + (unsigned long long)w->limit > AUTHORS_MAX_PAPERS ||
                           key != papers_key(w->id, w->sort))) {
        snprintf(err, errlen,
                 "invalid cursor \"%.80s\": use the next_cursor of a page of this author and sort",
                 cursor);
        return -1;
    }
    w->offset = cursor != NULL ? (size_t)off : 0;
    return 0;
}

int http_authors_register(http_router_t *r, const http_authors_ctx_t *ctx)
{
    void *d = (void *)ctx;
    if (http_router_add(r, HTTP_M_GET, "/v1/authors", HTTP_ROUTE_SEARCH, search_handler, d) < 0 ||
        http_router_add(r, HTTP_M_GET, "/v1/authors/{id}", HTTP_ROUTE_SEARCH, profile_handler, d) <
            0 ||
        http_router_add(r, HTTP_M_GET, "/v1/authors/{id}/papers", HTTP_ROUTE_SEARCH, papers_handler,
                        d) < 0)
        return -1;
    return 0;
}
