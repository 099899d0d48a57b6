#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/clock.h"
#include "core/deflate.h"
#include "core/export.h"
#include "core/page_cursor.h"
#include "core/query.h"
#include "http/compress.h"
#include "http/gzip_splice.h"
#include "http/handlers_papers.h"
#include "http/handlers_search.h"
#include "http/put.h"

#define BATCH_MAX 20

/* ---- request parsing ---------------------------------------------------- */

static bool is_json(const char *ct)
{
    if (!ct) return false;
    size_t n = strlen("application/json");
    return strncasecmp(ct, "application/json", n) == 0 &&
           (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/* The deadline a query may have: its own timeout_ms, within the maximum. */
static int deadline_of(const http_search_ctx_t *ctx, const query_t *q, char *err, size_t errlen)
{
    if (!q->deadline_ms) return (int)ctx->cfg->search.deadline_ms;
    if (q->deadline_ms > ctx->cfg->search.max_deadline_ms) {
        snprintf(err, errlen, "parameter 'timeout_ms' is over the maximum of %lld ms",
                 (long long)ctx->cfg->search.max_deadline_ms);
        return -1;
    }
    return q->deadline_ms;
}

/* ---- one search ----------------------------------------------------------- */

typedef struct search_wait {
    http_req_t *req;
    http_search_ctx_t *ctx;
    const query_t *query; /* in the request's arena */
    void *handle;         /* the service's, while it works */
    bool answered;
} search_wait_t;

static bool etag_matches(const char *inm, const char *etag)
{
    if (!inm) return false;
    if (strcmp(inm, "*") == 0) return true;
    size_t n = strlen(etag);
    for (const char *p = strstr(inm, etag); p; p = strstr(p + 1, etag)) {
        bool start_ok = p == inm || p[-1] == ' ' || p[-1] == ',' ||
                        (p >= inm + 2 && p[-1] == '/' && p[-2] == 'W');
        bool end_ok = p[n] == '\0' || p[n] == ',' || p[n] == ' ';
        if (start_ok && end_ok) return true;
    }
    return false;
}

/* The headers of a cacheable answer, written by hand (this is the memory
 * tier's hit path, where vsnprintf was a tenth of the time):
 * Cache-Control: public, max-age=N, ETag, Vary, X-Cache, Age, and
 * Server-Timing: app;dur=MS.mmm. NULL when out of memory. */
static char *cache_headers(arena_t *a, int64_t max_age, const char *etag, const char *tier,
                           bool stale, int64_t age_s, uint64_t app_ns, bool vary_accept)
{
    size_t ntier = strlen(tier), netag = strlen(etag);
    char *h = arena_alloc(a, 200 + ntier + netag + 3 * 24);
    if (!h) return NULL;
    char *d = HTTP_PUT_LIT(h, "Cache-Control: public, max-age=");
    d = http__put_uint(d, max_age > 0 ? (uint64_t)max_age : 0);
    d = HTTP_PUT_LIT(d, "\r\nETag: ");
    d = http__put(d, etag, netag);
    /* Without format= the answer's type came from Accept: caches must know. */
    if (vary_accept)
        d = HTTP_PUT_LIT(d, "\r\nVary: Accept, Accept-Encoding\r\nX-Cache: ");
    else
        d = HTTP_PUT_LIT(d, "\r\nVary: Accept-Encoding\r\nX-Cache: ");
    d = http__put(d, tier, ntier);
    if (stale) d = HTTP_PUT_LIT(d, " (stale)");
    d = HTTP_PUT_LIT(d, "\r\nAge: ");
    d = http__put_uint(d, age_s > 0 ? (uint64_t)age_s : 0);
    d = HTTP_PUT_LIT(d, "\r\nServer-Timing: app;dur=");
    d = http__put_ms3(d, app_ns);
    d = HTTP_PUT_LIT(d, "\r\n");
    *d = '\0';
    return h;
}

/* Cache-Control: no-store, X-Cache and Server-Timing; NULL when out of memory. */
static char *nocache_headers(arena_t *a, const char *tier, uint64_t app_ns)
{
    size_t ntier = strlen(tier);
    char *h = arena_alloc(a, 100 + ntier + 24);
    if (!h) return NULL;
    char *d = HTTP_PUT_LIT(h, "Cache-Control: no-store\r\nX-Cache: ");
    d = http__put(d, tier, ntier);
    d = HTTP_PUT_LIT(d, "\r\nServer-Timing: app;dur=");
    d = http__put_ms3(d, app_ns);
    d = HTTP_PUT_LIT(d, "\r\n");
    *d = '\0';
    return h;
}

/* An export's 200 (BibTeX, RIS, CSL-JSON): the bytes as the tiers keep
 * them, no request id spliced in (it is in X-Request-ID). gzip from the
 * cached DEFLATE copy, which covers all but the first byte (the JSON
 * answer's '{'): that byte goes in the spliced head. The gzip member is
 * copied into the arena: exports are not the hot path. */
static void send_export(http_req_t *req, const http_search_ctx_t *ctx, const search_reply_t *r,
                        const char *ctype, const char *headers)
{
    blob_t *body = r->body;
    if (!http_accepts_gzip(req) || body->len < 2) {
        http_respond_blob(req, r->status, ctype, headers, body);
        return;
    }
    if (r->body_deflate) {
        size_t dlen = r->body_deflate->len, n = 0;
        unsigned char *out = arena_alloc(req->arena, GZIP_SPLICE_OVERHEAD + 1 + dlen + 8);
        char *h = arena_sprintf(req->arena, "Content-Encoding: gzip\r\n%s", headers);
        if (out && h) {
            n = gzip_splice_head(body->data, 1, out);
            memcpy(out + n, r->body_deflate->data, dlen);
            n += dlen;
            gzip_splice_trailer(body->data, 1, r->body_crc32, body->len - 1, out + n);
            http_respond(req, r->status, ctype, h, out, n + 8);
            return;
        }
    } else if (ctx->cfg->compression.enabled) {
        char *copy = arena_alloc(req->arena, body->len);
        if (copy) {
            memcpy(copy, body->data, body->len);
            http_respond_maybe_gzip(req, r->status, ctype, headers, copy, body->len);
            return;
        }
    }
    http_respond_blob(req, r->status, ctype, headers, body);
}

static void send_reply(http_req_t *req, const http_search_ctx_t *ctx, const query_t *q,
                       const search_reply_t *r)
{
    bool export = r->status == 200 && q->format != EXPORT_JSON;
    const char *ctype = export ? export_content_type(q->format) : "application/json";
    /* Server-Timing: from the request parsed to its answer ready, so a
     * client can tell the gateway's time from the providers'. */
    uint64_t app_ns = clock_now_ns() - req->start_ns;
    char etag[24];
    char *e = etag;
    *e++ = '"';
    e = http__put_hex16(e, r->etag);
    *e++ = '"';
    *e = '\0';
    char *headers;
    if (r->status == 200) {
        int64_t ttl_ms = ctx->cfg->cache.ttl_ms;
        if (search_reply_partial(r) && ttl_ms > SEARCH_PARTIAL_TTL_MAX_MS)
            ttl_ms = SEARCH_PARTIAL_TTL_MAX_MS; /* as long as our own caches keep it */
        int64_t ttl_s = ttl_ms / 1000;
        int64_t max_age = r->stale || r->age_s >= ttl_s ? 0 : ttl_s - r->age_s;
        headers = cache_headers(req->arena, max_age, etag, r->tier, r->stale, r->age_s, app_ns,
                                !q->format_given);
        if (headers && etag_matches(http_req_header(req, "If-None-Match"), etag)) {
            http_respond(req, 304, ctype, headers, "", 0);
            return;
        }
    } else {
        headers = nocache_headers(req->arena, r->tier, app_ns);
    }
    if (export && headers) {
        send_export(req, ctx, r, ctype, headers);
        return;
    }
    if (!http_accepts_gzip(req)) {
        http_respond_json_blob(req, r->status, headers, r->body);
    } else if (r->body_deflate) {
        http_respond_json_gzip(req, r->status, headers, r->body, r->body_deflate, r->body_crc32);
    } else if (ctx->cfg->compression.enabled &&
               r->body->len >= (size_t)ctx->cfg->compression.min_bytes && r->body->len > 1) {
        /* No compressed copy (caches off): compress this once, now. */
        size_t n;
        uint32_t crc;
        unsigned char *z = sf_deflate_raw(r->body->data + 1, r->body->len - 1,
                                          ctx->cfg->compression.level, &n, &crc);
        blob_t *deflate = z ? blob_new(z, n) : NULL;
        free(z);
        if (deflate)
            http_respond_json_gzip(req, r->status, headers, r->body, deflate, crc);
        else
            http_respond_json_blob(req, r->status, headers, r->body);
        blob_unref(deflate);
    } else {
        http_respond_json_blob(req, r->status, headers, r->body);
    }
}

static void on_reply(const search_reply_t *r, void *data)
{
    search_wait_t *w = data;
    w->answered = true;
    w->handle = NULL;
    w->req->on_client_gone = NULL;
    search_chain_answered(w->ctx->chain, w->query, r);
    /* The request (and w in its arena) may be gone once answered. */
    const http_search_ctx_t *ctx = w->ctx;
    char rid[HTTP_REQUEST_ID_MAX + 1];
    uint64_t start_ns = w->req->start_ns;
    memcpy(rid, w->req->request_id, sizeof rid);
    send_reply(w->req, w->ctx, w->query, r);
    search_chain_sent(ctx->chain, r, rid, start_ns);
}

static void on_client_gone(http_req_t *req)
{
    search_wait_t *w = req->handler_data;
    if (w->answered) return;
    w->answered = true;
    if (w->handle) w->ctx->chain->head->cancel(w->ctx->chain->head, w->handle);
    w->handle = NULL;
    http_respond_error(req, 503, "service_unavailable", "client went away");
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
    int deadline = rc < 0 ? -1 : deadline_of(ctx, &q, err, sizeof err);
    if (deadline < 0) {
        http_respond_error(req, 400, "bad_request", "%s", err);
        return;
    }
    /* a next_cursor becomes the offset it stands for, so its page is the
     * same cached answer as that offset's (core/page_cursor.h) */
    page_cursor_status_t cst = page_cursor_apply(&q, req->arena);
    if (cst != PAGE_CURSOR_OK) {
        http_respond_error(req, 400, "invalid_cursor", "%s", page_cursor_status_text(cst));
        return;
    }
    /* format= chooses the rendering; else the Accept header does. */
    if (!q.format_given && !http__export_format(req, NULL, &q.format)) return;
    q.traceparent = http_req_header(req, "traceparent");
    char *key = query_key(&q, req->arena);
    search_wait_t *w = arena_calloc(req->arena, 1, sizeof *w);
    if (!key || !w) {
        http_respond_oom(req);
        return;
    }
    query_t *qcopy = arena_alloc(req->arena, sizeof *qcopy);
    if (!qcopy) {
        http_respond_oom(req);
        return;
    }
    *qcopy = q;
    w->req = req;
    w->ctx = ctx;
    w->query = qcopy;
    req->handler_data = w;
    req->on_client_gone = on_client_gone;
    search_request_t sr = {.query = &q, .key = key, .deadline_ms = deadline};
    search_service_t *head = ctx->chain->head;
    w->handle = head->fetch(head, &sr, on_reply, w);
    if (!w->handle) {
        req->on_client_gone = NULL;
        http_respond_oom(req);
    }
}

/* ---- batch ---------------------------------------------------------------- */

typedef struct batch batch_t;

typedef struct batch_item {
    batch_t *batch;
    const query_t *query;
    void *handle;
    blob_t *body; /* the answer, once in */
    int status;
    bool done;
} batch_item_t;

struct batch {
    http_req_t *req;
    http_search_ctx_t *ctx;
    batch_item_t items[BATCH_MAX];
    size_t n, pending;
    bool answered;
};

/* {"request_id": ..., "results": [{"status": 200, ...answer...}, ...]} */
static void batch_answer(batch_t *b)
{
    http_req_t *req = b->req;
    size_t len = 64 + strlen(req->request_id);
    bool whole = true; /* every answer's body is here (an out-of-memory one may lack it) */
    for (size_t i = 0; i < b->n; i++) {
        if (b->items[i].body)
            len += b->items[i].body->len + 32;
        else
            whole = false;
    }
    char *out = whole ? arena_alloc(req->arena, len) : NULL;
    size_t o = 0;
    if (out) {
        o = (size_t)sprintf(out, "{\"request_id\":\"%s\",\"results\":[", req->request_id);
        for (size_t i = 0; i < b->n; i++) {
            blob_t *body = b->items[i].body;
            o += (size_t)sprintf(out + o, "%s{\"status\":%d%s", i ? "," : "", b->items[i].status,
                                 body->len > 2 ? "," : "");
            memcpy(out + o, body->data + 1, body->len - 1); /* the answer's members and its '}' */
            o += body->len - 1;
        }
        o += (size_t)sprintf(out + o, "]}");
    }
    /* Done with the answers before responding: the response may free b. */
    for (size_t i = 0; i < b->n; i++)
        blob_unref(b->items[i].body);
    b->answered = true;
    req->on_client_gone = NULL;
    if (!out)
        http_respond_oom(req);
    else
        http_respond_maybe_gzip(req, 200, "application/json", "Cache-Control: no-store\r\n", out,
                                o);
}

static void on_batch_reply(const search_reply_t *r, void *data)
{
    batch_item_t *it = data;
    batch_t *b = it->batch;
    it->done = true;
    it->handle = NULL;
    it->status = r->status;
    it->body = blob_ref(r->body);
    search_chain_answered(b->ctx->chain, it->query, r);
    search_chain_sent(b->ctx->chain, r, b->req->request_id, b->req->start_ns);
    if (--b->pending == 0 && !b->answered) batch_answer(b);
}

static void on_batch_client_gone(http_req_t *req)
{
    batch_t *b = req->handler_data;
    if (b->answered) return;
    b->answered = true;
    for (size_t i = 0; i < b->n; i++) {
        batch_item_t *it = &b->items[i];
        if (!it->done && it->handle) b->ctx->chain->head->cancel(b->ctx->chain->head, it->handle);
        blob_unref(it->body);
    }
    http_respond_error(req, 503, "service_unavailable", "client went away");
}

static void batch_handler(http_req_t *req)
{
    http_search_ctx_t *ctx = req->route_data;
    char err[300];
    if (!is_json(http_req_header(req, "Content-Type"))) {
        http_respond_error(
            req, 415, "unsupported_media_type",
            "POST /v1/search/batch takes a JSON object (Content-Type: application/json)");
        return;
    }
    json_error_t jerr;
    json_t *root = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
    json_t *list = root ? json_object_get(root, "searches") : NULL;
    if (!root || !json_is_object(root) || !json_is_array(list) || json_object_size(root) != 1) {
        json_decref(root);
        http_respond_error(req, 400, "bad_request",
                           "body must be {\"searches\": [ {search}, ... ]} with 1 to %d searches",
                           BATCH_MAX);
        return;
    }
    size_t n = json_array_size(list);
    if (n == 0 || n > BATCH_MAX) {
        json_decref(root);
        http_respond_error(req, 400, "bad_request", "field 'searches' must hold 1 to %d searches",
                           BATCH_MAX);
        return;
    }
    query_t *qs = arena_calloc(req->arena, n, sizeof *qs);
    int *deadlines = arena_calloc(req->arena, n, sizeof *deadlines);
    batch_t *b = arena_calloc(req->arena, 1, sizeof *b);
    if (!qs || !deadlines || !b) {
        json_decref(root);
        http_respond_oom(req);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        char *text = json_dumps(json_array_get(list, i), JSON_COMPACT);
        int rc =
            text ? query_parse_json(&qs[i], text, strlen(text), req->arena, err, sizeof err) : -1;
        free(text);
        if (rc == 0) deadlines[i] = deadline_of(ctx, &qs[i], err, sizeof err);
        if (rc == 0 && deadlines[i] >= 0 && qs[i].format != EXPORT_JSON) {
            snprintf(err, sizeof err,
                     "parameter 'format' is not taken by a batch (it answers JSON)");
            rc = -1;
        }
        page_cursor_status_t cst = rc == 0 ? page_cursor_apply(&qs[i], req->arena) : 0;
        if (cst != PAGE_CURSOR_OK) {
            json_decref(root);
            http_respond_error(req, 400, "invalid_cursor", "searches[%zu]: %s", i,
                               page_cursor_status_text(cst));
            return;
        }
        qs[i].traceparent = http_req_header(req, "traceparent");
        if (rc < 0 || deadlines[i] < 0) {
            json_decref(root);
            http_respond_error(req, 400, "bad_request", "searches[%zu]: %s", i, err);
            return;
        }
    }
    json_decref(root);
    b->req = req;
    b->ctx = ctx;
    b->n = n;
    b->pending = n;
    req->handler_data = b;
    req->on_client_gone = on_batch_client_gone;
    for (size_t i = 0; i < n; i++) {
        batch_item_t *it = &b->items[i];
        it->batch = b;
        it->query = &qs[i];
        char *key = query_key(&qs[i], req->arena);
        search_request_t sr = {.query = &qs[i], .key = key ? key : "", .deadline_ms = deadlines[i]};
        search_service_t *head = ctx->chain->head;
        it->handle = key ? head->fetch(head, &sr, on_batch_reply, it) : NULL;
        if (!it->handle) { /* the chain could not take it: this one is a 500 */
            it->done = true;
            it->status = 500;
            it->body = search_reply_oom_body();
            b->pending--;
        }
    }
    if (b->pending == 0) batch_answer(b);
}

int http_search_register(http_router_t *r, http_search_ctx_t *ctx)
{
    if (http_router_add(r, HTTP_M_GET | HTTP_M_POST, "/v1/search", HTTP_ROUTE_SEARCH,
                        search_handler, ctx) ||
        http_router_add(r, HTTP_M_POST, "/v1/search/batch", HTTP_ROUTE_SEARCH, batch_handler, ctx))
        return -1;
    return 0;
}
