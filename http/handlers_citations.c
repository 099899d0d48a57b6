/* GET /v1/papers/{id}/citations | /references (http/handlers_citations.h). */
#include "http/handlers_citations.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/export.h"
#include "core/paper_id.h"
#include "http/handlers_papers.h"

typedef struct cites_route {
    cites_cache_t *cache;
    cites_dir_t dir;
} cites_route_t;

/* One per direction; the routes' data (one router per worker). */
static cites_route_t routes[2];

typedef struct cites_req {
    http_req_t *req;
    cites_wait_t *wait;
    cites_dir_t dir;
    cites_params_t params;
    uint32_t key;
    const char *canonical;
    export_format_t format; /* BibTeX, RIS, CSL-JSON: the page's papers rendered */
} cites_req_t;

/* The page's papers in w->format: the list's paging in headers (X-Total-Count,
 * X-Next-Cursor), the edges' sources and S2 details only in JSON. */
static void send_export(cites_req_t *w, const cite_list_t *list, int status)
{
    http_req_t *req = w->req;
    size_t off, end;
    cites_page_bounds(list, &w->params, &off, &end);
    const paper_t **papers = arena_alloc(req->arena, (end - off + 1) * sizeof(*papers));
    if (papers == NULL) {
        http_respond_oom(req);
        return;
    }
    for (size_t i = off; i < end; i++)
        papers[i - off] = list->edges[i].paper;
    size_t len;
    char *out = export_write(w->format, papers, end - off, &len);
    char *copy = out != NULL ? arena_strndup(req->arena, out, len) : NULL;
    free(out);
    char cursor[48] = "";
    if (end < list->n) cites_cursor_make(cursor, sizeof(cursor), end, w->key);
    char *headers =
        arena_sprintf(req->arena, "Cache-Control: no-store\r\n%sX-Total-Count: %zu\r\n%s%s%s",
                      w->params.format < 0 ? "Vary: Accept\r\n" : "", list->n,
                      cursor[0] ? "X-Next-Cursor: " : "", cursor, cursor[0] ? "\r\n" : "");
    if (copy == NULL || headers == NULL) {
        http_respond_error(req, 500, "internal_error", "the list could not be rendered");
        return;
    }
    http_respond(req, status, export_content_type(w->format), headers, copy, len);
}

int http__cites_answer(arena_t *a, const cites_result_t *r, bool cached, cites_answer_t *ans,
                       cite_list_t *list)
{
    const cites_page_t *pages[SRC_COUNT] = {0};
    bool any_ok = false, any_asked = false;
    for (int s = 0; s < SRC_COUNT; s++) {
        if (!r->providers[s].asked) continue;
        pages[s] = &r->pages[s];
        any_asked = true;
        any_ok |= r->providers[s].status == PSTAT_OK;
    }
    if (cites_merge(a, pages, ans->params, list) < 0) return -1;
    ans->list = list;
    ans->partial = r->partial;
    memcpy(ans->providers, r->providers, sizeof(ans->providers));
    memcpy(ans->truncated, r->truncated, sizeof(ans->truncated));
    if (cached) /* the providers were not asked for this request */
        for (int s = 0; s < SRC_COUNT; s++)
            if (ans->providers[s].asked && ans->providers[s].status == PSTAT_OK)
                ans->providers[s].status = PSTAT_CACHED;
    return any_ok || !any_asked ? 200 : 502;
}

static void on_list(void *data, const cites_result_t *r, bool cached)
{
    cites_req_t *w = data;
    http_req_t *req = w->req;
    w->wait = NULL;
    req->on_client_gone = NULL;
    cite_list_t list;
    cites_answer_t ans = {.dir = w->dir, .id = w->canonical, .params = &w->params, .key = w->key};
    int status = http__cites_answer(req->arena, r, cached, &ans, &list);
    if (status < 0) {
        http_respond_oom(req);
        return;
    }
    if (w->format != EXPORT_JSON && status == 200) {
        send_export(w, &list, status);
        return;
    }
    ans.took_ms = (double)(clock_now_ns() - req->start_ns) / 1e6;
    size_t len;
    char *body = cites_answer_write(&ans, &len);
    http_respond_malloced(req, status, "application/json", "Cache-Control: no-store\r\n", body,
                          len);
}

static void on_client_gone(http_req_t *req)
{
    cites_req_t *w = req->handler_data;
    if (w->wait == NULL) return;
    cites_wait_cancel(w->wait);
    w->wait = NULL;
    http_respond_error(req, 503, "service_unavailable", "client went away");
}

/* The id's segments joined again (a DOI's slashes), without the last
 * ("citations" / "references"). */
static char *joined_id(http_req_t *req)
{
    size_t len = 1;
    for (size_t i = 0; i < req->nparams; i++)
        len += strlen(req->params[i]) + 1;
    char *raw = arena_alloc(req->arena, len);
    if (raw == NULL) return NULL;
    raw[0] = '\0';
    for (size_t i = 0; i < req->nparams; i++) {
        if (i) strcat(raw, "/");
        strcat(raw, req->params[i]);
    }
    return raw;
}

int http__cites_ids(arena_t *a, const char *raw, cites_ids_t *ids)
{
    paper_ref_t ref;
    if (paper_ref_parse(a, raw, strlen(raw), &ref) < 0 || ref.kind == PAPER_REF_INTERNAL) return -1;
    *ids = (cites_ids_t){.canonical = paper_ref_string(a, &ref)};
    ids->ids[SRC_SEMANTIC_SCHOLAR] = paper_ref_for(a, &ref, SRC_SEMANTIC_SCHOLAR);
    ids->ids[SRC_OPENALEX] = paper_ref_for(a, &ref, SRC_OPENALEX);
    /* OpenAlex cannot look these up: its id comes from S2's record of the
     * paper (the DOI it is kept under), else arXiv's DataCite DOI. */
    ids->oa_via_s2 =
        ref.kind == PAPER_REF_ARXIV || ref.kind == PAPER_REF_S2 || ref.kind == PAPER_REF_CORPUS;
    if (ids->ids[SRC_OPENALEX] == NULL && ref.kind == PAPER_REF_ARXIV)
        ids->ids[SRC_OPENALEX] = arena_sprintf(a, "doi:10.48550/arxiv.%s", ref.value);
    return ids->canonical == NULL ? -2 : 0;
}

static void cites_handler(http_req_t *req)
{
    const cites_route_t *rt = req->route_data;
    char *raw = joined_id(req);
    cites_req_t *w = arena_calloc(req->arena, 1, sizeof(*w));
    if (raw == NULL || w == NULL) {
        http_respond_oom(req);
        return;
    }
    cites_ids_t ids;
    int bad = http__cites_ids(req->arena, raw, &ids);
    if (bad == -1) {
        http_respond_error(
            req, 400, "invalid_id",
            "not a paper id the providers know: \"%.200s\" (" HTTP_CITES_ID_FORMS ")", raw);
        return;
    }
    if (bad < 0) {
        http_respond_oom(req);
        return;
    }
    char err[200];
    if (cites_params_parse(&w->params, req->query, req->query_len, err, sizeof(err)) < 0) {
        http_respond_error(req, 400, "bad_request", "%s", err);
        return;
    }
    w->format = w->params.format >= 0 ? (export_format_t)w->params.format : EXPORT_JSON;
    if (w->params.format < 0 && !http__export_format(req, NULL, &w->format)) return;
    w->req = req;
    w->dir = rt->dir;
    w->canonical = ids.canonical;
    w->key = cites_list_key(rt->dir, ids.canonical, &w->params);
    if (w->params.has_cursor && w->params.cursor_key != w->key) {
        http_respond_error(req, 400, "bad_request",
                           "invalid cursor: it belongs to another list (paper, direction, "
                           "filters or sort)");
        return;
    }
    req->handler_data = w;
    w->wait =
        cites_cache_get(rt->cache, rt->dir, &ids, http_req_header(req, "traceparent"), on_list, w);
    if (w->wait == NULL) {
        http_respond_oom(req);
        return;
    }
    req->on_client_gone = on_client_gone;
}

int http_citations_register(http_router_t *r, cites_cache_t *cache)
{
    static const char *const patterns[2][4] = {
        {"/v1/papers/{a}/citations", "/v1/papers/{a}/{b}/citations",
         "/v1/papers/{a}/{b}/{c}/citations", "/v1/papers/{a}/{b}/{c}/{d}/citations"},
        {"/v1/papers/{a}/references", "/v1/papers/{a}/{b}/references",
         "/v1/papers/{a}/{b}/{c}/references", "/v1/papers/{a}/{b}/{c}/{d}/references"},
    };
    for (int d = 0; d < 2; d++) {
        routes[d] = (cites_route_t){.cache = cache, .dir = (cites_dir_t)d};
        for (int i = 0; i < 4; i++)
            if (http_router_add(r, HTTP_M_GET, patterns[d][i], HTTP_ROUTE_SEARCH, cites_handler,
                                &routes[d]) < 0)
                return -1;
    }
    return 0;
}
