#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/handlers_papers.h"
#include "store/sql.h"

#define LIST_DEFAULT_LIMIT 20
#define LIST_MAX_LIMIT 100

/* ---- shared with handlers_analytics.c -------------------------------------- */

void http__store_unavailable(http_req_t *req, int retry_after_s, const char *why)
{
    char *h = arena_sprintf(req->arena, "Retry-After: %d\r\nCache-Control: no-store\r\n",
                            retry_after_s > 0 ? retry_after_s : 1);
    http_respond_error_h(req, 503, h, "store_unavailable", "%s", why);
}

bool http__store_usable(http_req_t *req, store_t *st)
{
    int retry = 1;
    if (!st) {
        http_respond_error(req, 503, "store_unavailable",
                           "no PostgreSQL store is configured (pg.dsn)");
        return false;
    }
    if (!store_available(st, &retry)) {
        http__store_unavailable(req, retry, "the store is unreachable");
        return false;
    }
    return true;
}

void http__store_failed(http_req_t *req, PGresult *res, const char *err)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    bool timed_out = res ? state && strcmp(state, "57014") == 0
                         : err && strcmp(err, STORE_POOL_ERR_TIMEOUT) == 0;
    if (!res && !timed_out) {
        http__store_unavailable(req, 1, "the store is unreachable");
    } else if (timed_out) {
        char *h = arena_sprintf(req->arena, "Retry-After: 1\r\nCache-Control: no-store\r\n");
        http_respond_error_h(req, 503, h, "store_timeout",
                             "the store did not answer within the statement timeout");
    } else {
        (void)err;
        http_respond_error(req, 500, "internal_error", "store query failed");
    }
}

static int hexv(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static char *decode(arena_t *a, const char *s, size_t n)
{
    char *o = arena_alloc(a, n + 1);
    size_t k = 0;
    if (!o) return NULL;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '+') {
            o[k++] = ' ';
        } else if (s[i] == '%') {
            int h = i + 1 < n ? hexv(s[i + 1]) : -1, l = i + 2 < n ? hexv(s[i + 2]) : -1;
            if (h < 0 || l < 0 || (h == 0 && l == 0)) return NULL;
            o[k++] = (char)(h * 16 + l);
            i += 2;
        } else {
            o[k++] = s[i];
        }
    }
    o[k] = '\0';
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
    store_query_t *q;
    int limit; /* list: page size */
} read_wait_t;

static void on_gone(http_req_t *req)
{
    read_wait_t *w = req->handler_data;
    store_pool_cancel(w->q);
    w->q = NULL;
    http_respond_error(req, 503, "service_unavailable", "client went away");
}

/* Sends the read; answers the request itself when it cannot. */
static void start_read(http_req_t *req, store_t *st, store_stmt_id_t stmt, int n,
                       const char *const *params, store_query_cb cb, int limit)
{
    if (!http__store_usable(req, st)) return;
    read_wait_t *w = arena_calloc(req->arena, 1, sizeof *w);
    if (!w) {
        http_respond_oom(req);
        return;
    }
    w->req = req;
    w->limit = limit;
    w->q = store_query(st, stmt, n, params, cb, w);
    if (!w->q) {
        int retry = 1;
        store_available(st, &retry);
        http__store_unavailable(req, retry, "the store is unreachable");
        return;
    }
    req->handler_data = w;
    req->on_client_gone = on_gone;
}

static bool read_ok(read_wait_t *w, PGresult *res, const char *err)
{
    w->q = NULL;
    w->req->on_client_gone = NULL;
    if (res && PQresultStatus(res) == PGRES_TUPLES_OK) return true;
    http__store_failed(w->req, res, err);
    return false;
}

/* ---- GET /v1/papers/{id} ----------------------------------------------------- */

static void on_paper(PGresult *res, const char *err, void *data)
{
    read_wait_t *w = data;
    if (!read_ok(w, res, err)) return;
    http_req_t *req = w->req;
    if (PQntuples(res) == 0) {
        http_respond_error(req, 404, "not_found", "no such paper");
        return;
    }
    char *body = arena_sprintf(req->arena, "{\"paper\":%s}", PQgetvalue(res, 0, 0));
    if (!body) {
        http_respond_oom(req);
        return;
    }
    http_respond(req, 200, "application/json", "Cache-Control: no-store\r\n", body, strlen(body));
}

static void paper_handler(http_req_t *req)
{
    store_t *st = req->route_data;
    /* The id may span segments (a DOI's slashes): join them again. */
    size_t len = 0;
    for (size_t i = 0; i < req->nparams; i++)
        len += strlen(req->params[i]) + 1;
    char *raw = arena_alloc(req->arena, len + 1);
    if (!raw) {
        http_respond_oom(req);
        return;
    }
    raw[0] = '\0';
    for (size_t i = 0; i < req->nparams; i++) {
        if (i) strcat(raw, "/");
        strcat(raw, req->params[i]);
    }
    store_id_kind_t kind;
    const char *value;
    if (store_parse_paper_id(req->arena, raw, strlen(raw), &kind, &value) < 0) {
        http_respond_error(req, 400, "bad_request",
                           "a paper id is a number, doi:10.NNNN/... or arxiv:NNNN.NNNNN");
        return;
    }
    static const store_stmt_id_t by_kind[] = {
        [STORE_ID_INTERNAL] = STORE_Q_PAPER_BY_ID,
        [STORE_ID_DOI] = STORE_Q_PAPER_BY_DOI,
        [STORE_ID_ARXIV] = STORE_Q_PAPER_BY_ARXIV,
    };
    const char *params[1] = {value};
    start_read(req, st, by_kind[kind], 1, params, on_paper, 0);
}

/* ---- GET /v1/papers ------------------------------------------------------------ */

static void on_list(PGresult *res, const char *err, void *data)
{
    read_wait_t *w = data;
    if (!read_ok(w, res, err)) return;
    http_req_t *req = w->req;
    int n = PQntuples(res);
    int shown = n > w->limit ? w->limit : n;
    size_t len = 64;
    for (int i = 0; i < shown; i++)
        len += (size_t)PQgetlength(res, i, 0) + 1;
    char *body = arena_alloc(req->arena, len);
    if (!body) {
        http_respond_oom(req);
        return;
    }
    size_t o = (size_t)sprintf(body, "{\"papers\":[");
    for (int i = 0; i < shown; i++) {
        if (i) body[o++] = ',';
        size_t l = (size_t)PQgetlength(res, i, 0);
        memcpy(body + o, PQgetvalue(res, i, 0), l);
        o += l;
    }
    char cursor[32] = "";
    if (n > w->limit && shown > 0)
        store_cursor_encode(atoll(PQgetvalue(res, shown - 1, 1)), cursor);
    o += (size_t)snprintf(body + o, len - o, "],\"next_cursor\":%s%s%s,\"limit\":%d}",
                          cursor[0] ? "\"" : "null", cursor, cursor[0] ? "\"" : "", w->limit);
    http_respond(req, 200, "application/json", "Cache-Control: no-store\r\n", body, o);
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
    store_t *st = req->route_data;
    const char *qs = req->query, *k, *v;
    const char *params[5] = {NULL, NULL, NULL, NULL, NULL};
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
            if (store_cursor_decode(v, strlen(v), &before) < 0) {
                http_respond_error(req, 400, "bad_request", "parameter 'cursor' is not valid");
                return;
            }
            params[0] = arena_sprintf(req->arena, "%lld", (long long)before);
            break;
        case 1:
            if (source_parse(v, strlen(v)) < 0) {
                http_respond_error(req, 400, "bad_request", "parameter 'provider' is unknown");
                return;
            }
            params[1] = v;
            break;
        case 2:
            if (!parse_int(v, 1000, 3000, &year)) {
                http_respond_error(req, 400, "bad_request",
                                   "parameter 'year' must be a year (1000..3000)");
                return;
            }
            params[2] = v;
            break;
        case 3:
            if (!*v || strlen(v) > 100) {
                http_respond_error(req, 400, "bad_request",
                                   "parameter 'category' must have 1 to 100 characters");
                return;
            }
            params[3] = v;
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
    params[4] = arena_sprintf(req->arena, "%ld", limit + 1); /* one more: is there a next page? */
    start_read(req, st, STORE_Q_PAPERS_LIST, 5, params, on_list, (int)limit);
}

/* ---- one paper for the MCP tool get_paper --------------------------------------- */

typedef struct paper_get {
    http_mcp_paper_cb cb;
    void *data;
    store_query_t *q;
} paper_get_t;

static void on_mcp_paper(PGresult *res, const char *err, void *data)
{
    paper_get_t *g = data;
    g->q = NULL;
    if (!res) {
        g->cb(g->data, 503, NULL, "the store is unreachable", 1);
    } else if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
        bool timeout = state && strcmp(state, "57014") == 0;
        (void)err;
        g->cb(g->data, timeout ? 503 : 500, NULL,
              timeout ? "the store did not answer within the statement timeout"
                      : "store query failed",
              1);
    } else if (PQntuples(res) == 0) {
        g->cb(g->data, 404, NULL, "no such paper", 0);
    } else {
        g->cb(g->data, 200, PQgetvalue(res, 0, 0), NULL, 0);
    }
}

/* The same statements as GET /v1/papers/{id}. */
static void *mcp_paper_get(void *ctx, arena_t *a, const char *id, http_mcp_paper_cb cb, void *data)
{
    store_t *st = ctx;
    store_id_kind_t kind;
    const char *value;
    int retry = 1;
    if (store_parse_paper_id(a, id, strlen(id), &kind, &value) < 0) {
        cb(data, 400, NULL, "a paper id is a number, doi:10.NNNN/... or arxiv:NNNN.NNNNN", 0);
        return NULL;
    }
    if (!store_available(st, &retry)) {
        cb(data, 503, NULL, "the store is unreachable", retry);
        return NULL;
    }
    static const store_stmt_id_t by_kind[] = {
        [STORE_ID_INTERNAL] = STORE_Q_PAPER_BY_ID,
        [STORE_ID_DOI] = STORE_Q_PAPER_BY_DOI,
        [STORE_ID_ARXIV] = STORE_Q_PAPER_BY_ARXIV,
    };
    paper_get_t *g = arena_calloc(a, 1, sizeof *g);
    if (!g) {
        cb(data, 500, NULL, "out of memory", 0);
        return NULL;
    }
    g->cb = cb;
    g->data = data;
    const char *params[1] = {value};
    g->q = store_query(st, by_kind[kind], 1, params, on_mcp_paper, g);
    if (!g->q) {
        store_available(st, &retry);
        cb(data, 503, NULL, "the store is unreachable", retry);
        return NULL;
    }
    return g;
}

static void mcp_paper_cancel(void *ctx, void *handle)
{
    (void)ctx;
    paper_get_t *g = handle;
    if (g->q) store_pool_cancel(g->q);
    g->q = NULL;
}

http_mcp_papers_t http_papers_for_mcp(store_t *st)
{
    if (!st) return (http_mcp_papers_t){0};
    return (http_mcp_papers_t){.ctx = st, .get = mcp_paper_get, .cancel = mcp_paper_cancel};
}

int http_papers_register(http_router_t *r, store_t *st)
{
    if (http_router_add(r, HTTP_M_GET, "/v1/papers", HTTP_ROUTE_READ, list_handler, st) ||
        http_router_add(r, HTTP_M_GET, "/v1/papers/{id}", HTTP_ROUTE_READ, paper_handler, st) ||
        http_router_add(r, HTTP_M_GET, "/v1/papers/{a}/{b}", HTTP_ROUTE_READ, paper_handler, st) ||
        http_router_add(r, HTTP_M_GET, "/v1/papers/{a}/{b}/{c}", HTTP_ROUTE_READ, paper_handler, st) ||
        http_router_add(r, HTTP_M_GET, "/v1/papers/{a}/{b}/{c}/{d}", HTTP_ROUTE_READ, paper_handler, st))
        return -1;
    return 0;
}
