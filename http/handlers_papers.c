#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/escape.h"
#include "core/export.h"
#include "core/paper_id.h"
#include "http/handlers_papers.h"

#define LIST_DEFAULT_LIMIT 20
#define LIST_MAX_LIMIT 100

/* ---- shared with handlers_analytics.c -------------------------------------- */

void http__store_unavailable(http_req_t *req, int retry_after_s, const char *why)
{
    char *h = arena_sprintf(req->arena, "Retry-After: %d\r\nCache-Control: no-store\r\n",
                            retry_after_s > 0 ? retry_after_s : 1);
    http_respond_error_h(req, 503, h, "store_unavailable", "%s", why);
}

bool http__store_usable(http_req_t *req, const papers_repo_t *repo)
{
    int retry = 1;
    if (!repo) {
        http_respond_error(req, 503, "store_unavailable",
                           "no PostgreSQL store is configured (pg.dsn)");
        return false;
    }
    if (!repo->available(repo->ctx, &retry)) {
        http__store_unavailable(req, retry, "the store is unreachable");
        return false;
    }
    return true;
}

void http__store_refused(http_req_t *req, const papers_repo_t *repo)
{
    int retry = 1;
    repo->available(repo->ctx, &retry);
    http__store_unavailable(req, retry, "the store is unreachable");
}

void http__store_failed(http_req_t *req, const papers_answer_t *a)
{
    switch (a->status) {
    case PAPERS_UNAVAILABLE:
        http__store_unavailable(req, a->retry_after_s, "the store is unreachable");
        return;
    case PAPERS_TIMEOUT: {
        char *h = arena_sprintf(req->arena, "Retry-After: %d\r\nCache-Control: no-store\r\n",
                                a->retry_after_s > 0 ? a->retry_after_s : 1);
        http_respond_error_h(req, 503, h, "store_timeout",
                             "the store did not answer within the statement timeout");
        return;
    }
    case PAPERS_NOT_FOUND:
        http_respond_error(req, 404, "not_found", "no such paper");
        return;
    case PAPERS_OK:
    case PAPERS_FAILED:
        break;
    }
    http_respond_error(req, 500, "internal_error", "store query failed");
}

/* s percent-decoded ('+' a space) into the arena; NULL for a bad escape
 * or a %00. */
static char *decode(arena_t *a, const char *s, size_t n)
{
    char *o = arena_alloc(a, n + 1);
    if (!o) return NULL;
    long k = pct_decode(s, n, o, true);
    if (k < 0 || memchr(o, '\0', (size_t)k)) return NULL;
    return o;
}

int http__next_param(arena_t *a, const char **qs, const char **key, const char **value)
{
    const char *p = *qs;
    while (*p == '&')
        p++;
    if (!*p) return 0;
    const char *end = strchr(p, '&');
    if (!end) end = p + strlen(p);
    const char *eq = memchr(p, '=', (size_t)(end - p));
    const char *kend = eq ? eq : end;
    *key = decode(a, p, (size_t)(kend - p));
    *value = eq ? decode(a, eq + 1, (size_t)(end - eq - 1)) : arena_strdup(a, "");
    *qs = end;
    return *key && *value ? 1 : -1;
}

/* ---- a store read behind a request ------------------------------------------- */

typedef struct read_wait {
    http_req_t *req;
    const papers_repo_t *repo;
    void *handle;
    int limit;              /* list: page size */
    export_format_t format; /* get: the answer's rendering */
    bool format_given;      /* get: format= chose it, not Accept */
} read_wait_t;

static void on_gone(http_req_t *req)
{
    read_wait_t *w = req->handler_data;
    w->repo->cancel(w->repo->ctx, w->handle);
    w->handle = NULL;
    http_respond_error(req, 503, "service_unavailable", "client went away");
}

/* The wait of a read for req, or NULL when req has been answered (no
 * store, or out of memory). */
static read_wait_t *read_wait(http_req_t *req, const papers_repo_t *repo, int limit)
{
    if (!http__store_usable(req, repo)) return NULL;
    read_wait_t *w = arena_calloc(req->arena, 1, sizeof *w);
    if (!w) {
        http_respond_oom(req);
        return NULL;
    }
    w->req = req;
    w->repo = repo;
    w->limit = limit;
    return w;
}

/* After the read was sent: waits for it, or answers the 503 when the
 * repository did not take it. */
static void read_sent(read_wait_t *w, void *handle)
{
    if (!handle) {
        http__store_refused(w->req, w->repo);
        return;
    }
    w->handle = handle;
    w->req->handler_data = w;
    w->req->on_client_gone = on_gone;
}

static bool read_ok(read_wait_t *w, const papers_answer_t *a)
{
    w->handle = NULL;
    w->req->on_client_gone = NULL;
    if (a->status == PAPERS_OK) return true;
    http__store_failed(w->req, a);
    return false;
}

/* ---- GET /v1/papers/{id} ----------------------------------------------------- */

static void on_paper(void *data, const papers_answer_t *a)
{
    read_wait_t *w = data;
    if (!read_ok(w, a)) return;
    http_req_t *req = w->req;
    const char *headers = w->format_given ? "Cache-Control: no-store\r\n"
                                          : "Cache-Control: no-store\r\nVary: Accept\r\n";
    if (w->format != EXPORT_JSON) {
        size_t len;
        char *out = a->paper ? export_write(w->format, &a->paper, 1, &len) : NULL;
        char *copy = out ? arena_strndup(req->arena, out, len) : NULL;
        free(out);
        if (!copy) {
            http_respond_error(req, 500, "internal_error", "the paper could not be rendered");
            return;
        }
        http_respond(req, 200, export_content_type(w->format), headers, copy, len);
        return;
    }
    char *body = arena_sprintf(req->arena, "{\"paper\":%.*s}", (int)a->len, a->json);
    if (!body) {
        http_respond_oom(req);
        return;
    }
    http_respond(req, 200, "application/json", headers, body, strlen(body));
}

bool http__export_format(http_req_t *req, const char *value, export_format_t *format)
{
    if (value) {
        int f = export_format_parse(value, strlen(value));
        if (f < 0) {
            http_respond_error(req, 400, "bad_request",
                               "parameter 'format': unknown format '%.32s' (known: json, bibtex, "
                               "ris, csl-json)",
                               value);
            return false;
        }
        *format = (export_format_t)f;
        return true;
    }
    if (export_negotiate(http_req_header(req, "Accept"), format) < 0) {
        http_respond_error(req, 406, "not_acceptable",
                           "the Accept header takes none of application/json, "
                           "application/x-bibtex, application/x-research-info-systems, "
                           "application/vnd.citationstyles.csl+json");
        return false;
    }
    return true;
}

/* format= of GET /v1/papers/{id} (its one parameter), else Accept. Returns
 * false when req has been answered (400, 406). */
static bool paper_format(http_req_t *req, export_format_t *format, bool *given)
{
    const char *qs = req->query ? req->query : "", *k, *v, *value = NULL;
    int rc;
    while ((rc = http__next_param(req->arena, &qs, &k, &v)) == 1) {
        if (strcmp(k, "format") != 0) {
            http_respond_error(req, 400, "bad_request", "unknown parameter '%.64s' (format)", k);
            return false;
        }
        if (value) {
            http_respond_error(req, 400, "bad_request", "parameter 'format' given twice");
            return false;
        }
        value = v;
    }
    if (rc < 0) {
        http_respond_error(req, 400, "bad_request", "bad percent-encoding in the query string");
        return false;
    }
    *format = EXPORT_JSON;
    *given = value != NULL;
    return http__export_format(req, value, format);
}

/* The id of GET /v1/papers/{id}: it may span segments (a DOI's slashes),
 * joined again. NULL when out of memory (answered). */
static char *joined_id(http_req_t *req, size_t first)
{
    size_t len = 0;
    for (size_t i = first; i < req->nparams; i++)
        len += strlen(req->params[i]) + 1;
    char *raw = arena_alloc(req->arena, len + 1);
    if (!raw) {
        http_respond_oom(req);
        return NULL;
    }
    raw[0] = '\0';
    for (size_t i = first; i < req->nparams; i++) {
        if (i > first) strcat(raw, "/");
        strcat(raw, req->params[i]);
    }
    return raw;
}

/* The store alone (no live lookup in this build of the worker). */
static void paper_from_store(http_req_t *req, const papers_repo_t *repo, const char *raw)
{
    paper_id_kind_t kind;
    const char *value;
    if (papers_parse_id(req->arena, raw, strlen(raw), &kind, &value) < 0) {
        http_respond_error(req, 400, "bad_request",
                           "a paper id is a number, doi:10.NNNN/... or arxiv:NNNN.NNNNN");
        return;
    }
    export_format_t format;
    bool given;
    if (!paper_format(req, &format, &given)) return;
    read_wait_t *w = read_wait(req, repo, 0);
    if (!w) return;
    w->format = format;
    w->format_given = given;
    read_sent(w, repo->get(repo->ctx, kind, value, on_paper, w));
}

static void paper_handler(http_req_t *req)
{
    const http_papers_ctx_t *ctx = req->route_data;
    char *raw = joined_id(req, 0);
    if (!raw) return;
    /* The internal id is the store's alone: its answers (503s included) as before. */
    paper_ref_t ref;
    if (!ctx->lookup || (paper_ref_parse(req->arena, raw, strlen(raw), &ref) == 0 &&
                         ref.kind == PAPER_REF_INTERNAL)) {
        paper_from_store(req, ctx->repo, raw);
        return;
    }
    http__papers_live(req, ctx->lookup, raw, 0);
}

/* GET /v1/search/papers/{provider}/{id}: what one provider says. */
static void provider_paper_handler(http_req_t *req)
{
    const http_papers_ctx_t *ctx = req->route_data;
    const char *name = req->params[0];
    int src = source_parse(name, strlen(name));
    if (src < 0 || src == SRC_LOCAL) {
        http_respond_error(req, 400, "bad_request",
                           "unknown provider '%.64s' (one of " SOURCE_NAMES_TEXT ")", name);
        return;
    }
    if (!ctx->lookup) {
        http_respond_error(req, 503, "service_unavailable", "lookups are not available");
        return;
    }
    char *raw = joined_id(req, 1);
    if (raw) http__papers_live(req, ctx->lookup, raw, 1u << src);
}

/* ---- GET /v1/papers ------------------------------------------------------------ */

static void on_list(void *data, const papers_answer_t *a)
{
    read_wait_t *w = data;
    if (!read_ok(w, a)) return;
    http_req_t *req = w->req;
    char cursor[32] = "";
    if (a->next_before > 0) papers_cursor_encode(a->next_before, cursor);
    size_t len = a->len + 96;
    char *body = arena_alloc(req->arena, len);
    if (!body) {
        http_respond_oom(req);
        return;
    }
    int o =
        snprintf(body, len, "{\"papers\":%.*s,\"next_cursor\":%s%s%s,\"limit\":%d}", (int)a->len,
                 a->json, cursor[0] ? "\"" : "null", cursor, cursor[0] ? "\"" : "", w->limit);
    http_respond(req, 200, "application/json", "Cache-Control: no-store\r\n", body, (size_t)o);
}

static bool parse_int(const char *s, long lo, long hi, long *out)
{
    char *end;
    if (!*s || strlen(s) > 10) return false;
    long v = strtol(s, &end, 10);
    if (*end || v < lo || v > hi) return false;
    *out = v;
    return true;
}

static void list_handler(http_req_t *req)
{
    const papers_repo_t *repo = ((const http_papers_ctx_t *)req->route_data)->repo;
    const char *qs = req->query, *k, *v;
    papers_filter_t f = {0};
    long limit = LIST_DEFAULT_LIMIT, year;
    unsigned seen = 0;
    int rc;
    while ((rc = http__next_param(req->arena, &qs, &k, &v)) == 1) {
        static const char *const keys[] = {"cursor", "provider", "year", "category", "limit"};
        int i;
        for (i = 0; i < 5 && strcmp(k, keys[i]) != 0; i++)
            ;
        if (i == 5) {
            http_respond_error(req, 400, "bad_request",
                               "unknown parameter (cursor, provider, year, category, limit)");
            return;
        }
        if (seen & (1u << i)) {
            http_respond_error(req, 400, "bad_request", "parameter '%s' given twice", keys[i]);
            return;
        }
        seen |= 1u << i;
        int64_t before;
        switch (i) {
        case 0:
            if (papers_cursor_decode(v, strlen(v), &before) < 0) {
                http_respond_error(req, 400, "bad_request", "parameter 'cursor' is not valid");
                return;
            }
            f.before = before;
            break;
        case 1:
            if (source_parse(v, strlen(v)) < 0) {
                http_respond_error(req, 400, "bad_request", "parameter 'provider' is unknown");
                return;
            }
            f.provider = v;
            break;
        case 2:
            if (!parse_int(v, 1000, 3000, &year)) {
                http_respond_error(req, 400, "bad_request",
                                   "parameter 'year' must be a year (1000..3000)");
                return;
            }
            f.year = (int)year;
            break;
        case 3:
            if (!*v || strlen(v) > 100) {
                http_respond_error(req, 400, "bad_request",
                                   "parameter 'category' must have 1 to 100 characters");
                return;
            }
            f.category = v;
            break;
        case 4:
            if (!parse_int(v, 1, LIST_MAX_LIMIT, &limit)) {
                http_respond_error(req, 400, "bad_request", "parameter 'limit' must be 1..%d",
                                   LIST_MAX_LIMIT);
                return;
            }
            break;
        }
    }
    if (rc < 0) {
        http_respond_error(req, 400, "bad_request", "bad percent-encoding in the query string");
        return;
    }
    f.limit = (int)limit;
    read_wait_t *w = read_wait(req, repo, (int)limit);
    if (w) read_sent(w, repo->list(repo->ctx, &f, on_list, w));
}

/* ---- one paper for the MCP tool get_paper --------------------------------------- */

typedef struct paper_get {
    const papers_repo_t *repo;
    http_mcp_paper_cb cb;
    void *data;
    void *handle;
} paper_get_t;

static void on_mcp_paper(void *data, const papers_answer_t *a)
{
    paper_get_t *g = data;
    g->handle = NULL;
    switch (a->status) {
    case PAPERS_OK:
        g->cb(g->data, 200, a->json, NULL, 0);
        return;
    case PAPERS_NOT_FOUND:
        g->cb(g->data, 404, NULL, "no such paper", 0);
        return;
    case PAPERS_UNAVAILABLE:
        g->cb(g->data, 503, NULL, "the store is unreachable", a->retry_after_s);
        return;
    case PAPERS_TIMEOUT:
        g->cb(g->data, 503, NULL, "the store did not answer within the statement timeout",
              a->retry_after_s);
        return;
    case PAPERS_FAILED:
        break;
    }
    g->cb(g->data, 500, NULL, "store query failed", 1);
}

/* The same reads as GET /v1/papers/{id}. */
static void *mcp_paper_get(void *ctx, arena_t *a, const char *id, http_mcp_paper_cb cb, void *data)
{
    const papers_repo_t *repo = ctx;
    paper_id_kind_t kind;
    const char *value;
    int retry = 1;
    if (papers_parse_id(a, id, strlen(id), &kind, &value) < 0) {
        cb(data, 400, NULL, "a paper id is a number, doi:10.NNNN/... or arxiv:NNNN.NNNNN", 0);
        return NULL;
    }
    if (!repo->available(repo->ctx, &retry)) {
        cb(data, 503, NULL, "the store is unreachable", retry);
        return NULL;
    }
    paper_get_t *g = arena_calloc(a, 1, sizeof *g);
    if (!g) {
        cb(data, 500, NULL, "out of memory", 0);
        return NULL;
    }
    g->repo = repo;
    g->cb = cb;
    g->data = data;
    g->handle = repo->get(repo->ctx, kind, value, on_mcp_paper, g);
    if (!g->handle) {
        repo->available(repo->ctx, &retry);
        cb(data, 503, NULL, "the store is unreachable", retry);
        return NULL;
    }
    return g;
}

static void mcp_paper_cancel(void *ctx, void *handle)
{
    (void)ctx;
    paper_get_t *g = handle;
    if (g->handle) g->repo->cancel(g->repo->ctx, g->handle);
    g->handle = NULL;
}

static void *mcp_live_get(void *ctx, arena_t *a, const char *id, http_mcp_paper_cb cb, void *data)
{
    return http__mcp_live_get(ctx, a, id, cb, data);
}

static void mcp_live_cancel(void *ctx, void *handle)
{
    (void)ctx;
    http__mcp_live_cancel(handle);
}

http_mcp_papers_t http_papers_for_mcp(const http_papers_ctx_t *ctx)
{
    if (ctx->lookup) /* the live lookup: cache, store, providers */
        return (http_mcp_papers_t){
            .ctx = ctx->lookup, .get = mcp_live_get, .cancel = mcp_live_cancel};
    if (!ctx->repo) return (http_mcp_papers_t){0};
    return (http_mcp_papers_t){
        .ctx = (void *)ctx->repo, .get = mcp_paper_get, .cancel = mcp_paper_cancel};
}

int http_papers_register(http_router_t *r, const http_papers_ctx_t *ctx)
{
    void *data = (void *)ctx;
    if (http_router_add(r, HTTP_M_GET, "/v1/papers", HTTP_ROUTE_READ, list_handler, data) ||
        http_router_add(r, HTTP_M_GET, "/v1/papers/{id}", HTTP_ROUTE_READ, paper_handler, data) ||
        http_router_add(r, HTTP_M_GET, "/v1/papers/{a}/{b}", HTTP_ROUTE_READ, paper_handler,
                        data) ||
        http_router_add(r, HTTP_M_GET, "/v1/papers/{a}/{b}/{c}", HTTP_ROUTE_READ, paper_handler,
                        data) ||
        http_router_add(r, HTTP_M_GET, "/v1/papers/{a}/{b}/{c}/{d}", HTTP_ROUTE_READ, paper_handler,
                        data))
        return -1;
    /* Live lookups (http/handlers_lookup.c). */
    if (http_router_add(r, HTTP_M_POST, "/v1/papers/batch", HTTP_ROUTE_SEARCH,
                        http__papers_batch_handler, data) ||
        http_router_add(r, HTTP_M_GET, "/v1/search/papers/{p}/{id}", HTTP_ROUTE_SEARCH,
                        provider_paper_handler, data) ||
        http_router_add(r, HTTP_M_GET, "/v1/search/papers/{p}/{a}/{b}", HTTP_ROUTE_SEARCH,
                        provider_paper_handler, data) ||
        http_router_add(r, HTTP_M_GET, "/v1/search/papers/{p}/{a}/{b}/{c}", HTTP_ROUTE_SEARCH,
                        provider_paper_handler, data))
        return -1;
    return 0;
}
