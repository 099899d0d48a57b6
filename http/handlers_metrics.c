#include "http/handlers_metrics.h"

#include <stdlib.h>
#include <string.h>

#include "core/metrics.h"
#include "http/compress.h"

static void metrics_handler(http_req_t *req)
{
    size_t len;
    char *text = metrics_render(&len);
    char *body = text ? arena_strndup(req->arena, text, len) : NULL;
    free(text);
    if (!body) {
        http_respond_oom(req);
        return;
    }
    /* Which worker answered, as a comment (the series are the same). */
    char *extra = arena_sprintf(req->arena, "Cache-Control: no-store\r\nX-Scifind-Worker: %d\r\n",
                                metrics_slot());
    http_respond_maybe_gzip(req, 200, "text/plain; version=0.0.4; charset=utf-8", extra, body, len);
}

int http_metrics_register(http_router_t *r)
{
    return http_router_add(r, HTTP_M_GET, "/metrics", HTTP_ROUTE_OPEN, metrics_handler, NULL);
}
