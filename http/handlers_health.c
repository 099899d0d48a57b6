#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "http/conn.h"
#include "http/handlers_health.h"

static const char OK_BODY[] = "{\"status\":\"ok\"}";

static void health(http_req_t *req)
{
    http_respond(req, 200, "application/json", "Cache-Control: no-store\r\n", OK_BODY,
                 sizeof OK_BODY - 1);
}

static void health_ready(http_req_t *req)
{
    const http_server_t *s = req->conn->server;
    bool draining = http_server_draining(s);
    char *body =
        arena_sprintf(req->arena,
                      "{\"status\":\"%s\",\"pid\":%ld,\"checks\":{\"http\":{\"status\":\"%s\","
                      "\"connections\":%zu}}}",
                      draining ? "draining" : "ready", (long)getpid(), draining ? "draining" : "ok",
                      http_server_connections(s));
    if (!body) {
        http_respond_error(req, 500, "internal_error", "out of memory");
        return;
    }
    if (draining)
        http_respond(req, 503, "application/json", "Cache-Control: no-store\r\nRetry-After: 1\r\n",
                     body, strlen(body));
    else
        http_respond(req, 200, "application/json", "Cache-Control: no-store\r\n", body,
                     strlen(body));
}

int http_health_register(http_router_t *r)
{
    if (http_router_add(r, HTTP_M_GET, "/health", health, NULL) ||
        http_router_add(r, HTTP_M_GET, "/health/live", health, NULL) ||
        http_router_add(r, HTTP_M_GET, "/health/ready", health_ready, NULL))
        return -1;
    return 0;
}
