#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/handlers_analytics.h"
#include "http/handlers_papers.h"

#define POPULAR_DEFAULT_LIMIT 100
#define POPULAR_MAX_LIMIT 1000

typedef struct popular_wait {
    http_req_t *req;
    const papers_repo_t *repo;
    void *handle;
    const char *window;
    int64_t seconds;
    long limit;
} popular_wait_t;

static void on_gone(http_req_t *req)
{
    popular_wait_t *w = req->handler_data;
    w->repo->cancel(w->repo->ctx, w->handle);
    w->handle = NULL;
    http_respond_error(req, 503, "service_unavailable", "client went away");
}

static void on_popular(void *data, const papers_answer_t *a)
{
    popular_wait_t *w = data;
    http_req_t *req = w->req;
    w->handle = NULL;
    req->on_client_gone = NULL;
    if (a->status != PAPERS_OK) {
        http__store_failed(req, a);
        return;
    }
    char *body = arena_sprintf(req->arena,
                               "{\"window\":\"%s\",\"window_seconds\":%lld,\"limit\":%ld,"
                               "\"queries\":%.*s}",
                               w->window, (long long)w->seconds, w->limit, (int)a->len, a->json);
    if (!body) {
        http_respond_oom(req);
        return;
    }
    http_respond(req, 200, "application/json", "Cache-Control: no-store\r\n", body, strlen(body));
}

static void popular_handler(http_req_t *req)
{
    const papers_repo_t *repo = req->route_data;
    const char *qs = req->query, *k, *v;
    const char *window = "24h";
    long limit = POPULAR_DEFAULT_LIMIT;
    unsigned seen = 0;
    int rc;
    while ((rc = http__next_param(req->arena, &qs, &k, &v)) == 1) {
        unsigned bit = strcmp(k, "window") == 0 ? 1u : strcmp(k, "limit") == 0 ? 2u : 0u;
        if (!bit) {
            http_respond_error(req, 400, "bad_request", "unknown parameter (window, limit)");
            return;
        }
        if (seen & bit) {
            http_respond_error(req, 400, "bad_request", "parameter '%s' given twice", k);
            return;
        }
        seen |= bit;
        if (bit == 1) {
            window = v;
        } else {
            char *end;
            limit = strtol(v, &end, 10);
            if (!*v || *end || strlen(v) > 6 || limit < 1 || limit > POPULAR_MAX_LIMIT) {
                http_respond_error(req, 400, "bad_request", "parameter 'limit' must be 1..%d",
                                   POPULAR_MAX_LIMIT);
                return;
            }
        }
    }
    int64_t seconds = papers_parse_window(window, strlen(window));
    if (rc < 0 || seconds < 0) {
        http_respond_error(
            req, 400, "bad_request",
            "parameter 'window' must be a duration like 30m, 24h or 7d (at most 366d)");
        return;
    }
    if (!http__store_usable(req, repo)) return;
    popular_wait_t *w = arena_calloc(req->arena, 1, sizeof *w);
    if (!w) {
        http_respond_oom(req);
        return;
    }
    w->req = req;
    w->repo = repo;
    w->window = window;
    w->seconds = seconds;
    w->limit = limit;
    w->handle = repo->popular(repo->ctx, seconds, (int)limit, on_popular, w);
    if (!w->handle) {
        http__store_refused(req, repo);
        return;
    }
    req->handler_data = w;
    req->on_client_gone = on_gone;
}

int http_analytics_register(http_router_t *r, const papers_repo_t *repo)
{
    return http_router_add(r, HTTP_M_GET, "/v1/analytics/popular", HTTP_ROUTE_READ, popular_handler,
                           (void *)repo);
}
