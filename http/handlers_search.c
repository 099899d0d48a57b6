#include <string.h>
#include <strings.h>

#include "core/query.h"
#include "core/search.h"
#include "http/handlers_search.h"

/* Ties a request to the search answering it, both ways, so that whichever
 * ends first (the search, or the client) can find the other. */
typedef struct search_wait {
    http_req_t *req;
    search_t *search;
    bool answered;
} search_wait_t;

static void on_search_done(search_t *s, void *data)
{
    search_wait_t *w = data;
    w->search = s;
    w->answered = true;
    w->req->on_client_gone = NULL;
    http_respond_json_blob(w->req, search_status(s), "Cache-Control: no-store\r\n", search_body(s));
    search_free(s);
}

static void on_client_gone(http_req_t *req)
{
    search_wait_t *w = req->handler_data;
    if (w->answered || !w->search) return;
    search_free(w->search); /* cancels the provider calls still running */
    w->search = NULL;
    w->answered = true;
    http_respond_error(req, 503, "service_unavailable", "client went away");
}

static bool is_json(const char *ct)
{
    if (!ct) return false;
    size_t n = strlen("application/json");
    return strncasecmp(ct, "application/json", n) == 0 &&
           (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

static void search_handler(http_req_t *req)
{
    http_search_ctx_t *ctx = req->route_data;
    query_t q;
    char err[256];
    int rc;
    if (req->method == HTTP_M_POST) {
        if (!is_json(http_req_header(req, "Content-Type"))) {
            http_respond_error(
                req, 415, "unsupported_media_type",
                "POST /v1/search takes a JSON object (Content-Type: application/json)");
            return;
        }
        if (req->query_len) {
            http_respond_error(req, 400, "bad_request",
                               "POST /v1/search takes its parameters in the body only");
            return;
        }
        rc = query_parse_json(&q, req->body, req->body_len, req->arena, err, sizeof err);
    } else {
        rc = query_parse_params(&q, req->query, req->query_len, req->arena, err, sizeof err);
    }
    if (rc < 0) {
        http_respond_error(req, 400, "bad_request", "%s", err);
        return;
    }
    int64_t deadline = ctx->cfg->search.deadline_ms;
    if (q.deadline_ms) {
        if (q.deadline_ms > ctx->cfg->search.max_deadline_ms) {
            http_respond_error(req, 400, "bad_request",
                               "parameter 'timeout_ms' is over the maximum of %lld ms",
                               (long long)ctx->cfg->search.max_deadline_ms);
            return;
        }
        deadline = q.deadline_ms;
    }
    search_wait_t *w = arena_calloc(req->arena, 1, sizeof *w);
    if (!w) {
        http_respond_error(req, 500, "internal_error", "out of memory");
        return;
    }
    w->req = req;
    req->handler_data = w;
    req->on_client_gone = on_client_gone;
    search_t *s =
        search_start(ctx->loop, &q, ctx->enabled, ctx->backend, (int)deadline, on_search_done, w);
    if (!s) {
        req->on_client_gone = NULL;
        http_respond_error(req, 500, "internal_error", "out of memory");
        return;
    }
    if (!w->answered) w->search = s; /* else it answered at once and is already freed */
}

int http_search_register(http_router_t *r, http_search_ctx_t *ctx)
{
    return http_router_add(r, HTTP_M_GET | HTTP_M_POST, "/v1/search", search_handler, ctx);
}
