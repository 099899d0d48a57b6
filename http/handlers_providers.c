#include <stdlib.h>
#include <string.h>

#include "http/compress.h"
#include "http/handlers_providers.h"

static void providers_handler(http_req_t *req)
{
    http_providers_ctx_t *ctx = req->route_data;
    char *json = ctx->describe(ctx->data);
    char *body = json ? arena_sprintf(req->arena, "{\"providers\":%s}", json) : NULL;
    free(json);
    if (!body) {
        http_respond_oom(req);
        return;
    }
    http_respond_maybe_gzip(req, 200, "application/json", "Cache-Control: no-store\r\n", body,
                            strlen(body));
}

int http_providers_register(http_router_t *r, http_providers_ctx_t *ctx)
{
    return http_router_add(r, HTTP_M_GET, "/v1/providers", HTTP_ROUTE_READ, providers_handler, ctx);
}
