#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "http/handlers_health.h"
#include "http/server.h"

static const char OK_BODY[] = "{\"status\":\"ok\"}";

typedef struct health_ctx {
    const http_health_check_t *checks;
    size_t n;
} health_ctx_t;

static health_ctx_t health_checks;

static void health(http_req_t *req)
{
    http_respond(req, 200, "application/json", "Cache-Control: no-store\r\n", OK_BODY,
                 sizeof OK_BODY - 1);
}

static void health_ready(http_req_t *req)
{
    const health_ctx_t *ctx = req->route_data;
    const http_server_t *s = http_req_server(req);
    bool draining = http_server_draining(s);
    bool degraded = false;
    char *checks = arena_sprintf(req->arena, "\"http\":{\"status\":\"%s\",\"connections\":%zu}",
                                 draining ? "draining" : "ok", http_server_connections(s));
    for (size_t i = 0; checks && i < ctx->n; i++) {
        char detail[512] = "";
        const char *st = ctx->checks[i].fn(ctx->checks[i].data, detail, sizeof detail);
        degraded |= strcmp(st, "ok") != 0 && strcmp(st, "disabled") != 0;
        checks = arena_sprintf(req->arena, "%s,\"%s\":%s", checks, ctx->checks[i].name,
                               detail[0] ? detail : "{}");
    }
    char *body = checks
                     ? arena_sprintf(req->arena, "{\"status\":\"%s\",\"pid\":%ld,\"checks\":{%s}}",
                                     draining   ? "draining"
                                     : degraded ? "degraded"
                                                : "ready",
                                     (long)getpid(), checks)
                     : NULL;
    if (!body) {
        http_respond_oom(req);
        return;
    }
    if (draining)
        http_respond(req, 503, "application/json", "Cache-Control: no-store\r\nRetry-After: 1\r\n",
                     body, strlen(body));
    else
        http_respond(req, 200, "application/json", "Cache-Control: no-store\r\n", body,
                     strlen(body));
}

int http_health_register(http_router_t *r, const http_health_check_t *checks, size_t n)
{
    /* One worker, one router: the checks live as long as the process. */
    health_checks = (health_ctx_t){.checks = checks, .n = n};
    if (http_router_add(r, HTTP_M_GET, "/health", HTTP_ROUTE_OPEN, health, NULL) ||
        http_router_add(r, HTTP_M_GET, "/health/live", HTTP_ROUTE_OPEN, health, NULL) ||
        http_router_add(r, HTTP_M_GET, "/health/ready", HTTP_ROUTE_OPEN, health_ready,
                        &health_checks))
        return -1;
    return 0;
}
