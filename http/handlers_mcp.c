#include "http/handlers_mcp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/json_num.h"
#include "core/jsonrpc.h"
#include "http/cors.h"
#include "http/mcp_session.h"

#define MCP_ROUTE "/mcp"

/* Newest first. Batches exist in 2025-03-26 only (and are tolerated in the
 * version before it); 2025-06-18 removed them. */
static const char *const versions[] = {"2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"};
#define NVERSIONS (int)(sizeof versions / sizeof versions[0])
#define VERSION_DEFAULT 2 /* no header and no session: 2025-03-26, as the spec says */
#define FIRST_WITH_BATCHES 2

struct http_mcp {
    http_mcp_ctx_t tools;
    const sf_config_t *cfg;
    http_cors_t *origins; /* mcp.origins, parsed as CORS lists are */
};

static int version_index(const char *v)
{
    for (int i = 0; v && i < NVERSIONS; i++)
        if (strcmp(versions[i], v) == 0) return i;
    return -1;
}

/* ---- answers ------------------------------------------------------------ */

static void send_json(http_req_t *req, int status, const char *headers, json_t *msg)
{
    char *text = msg ? json_num_dumps(msg) : NULL;
    char *body = text ? arena_strdup(req->arena, text) : NULL;
    free(text);
    json_decref(msg);
    if (!body) {
        http_respond_oom(req);
        return;
    }
    http_respond(req, status, "application/json", headers, body, strlen(body));
}

/* A refusal of the whole request: an HTTP status and one JSON-RPC error. */
static void refuse(http_req_t *req, int status, const char *headers, int code, const char *msg)
{
    json_t *data = json_pack("{s:i,s:s}", "status", status, "request_id", req->request_id);
    send_json(req, status, headers, jsonrpc_error(NULL, code, msg, data));
}

/* The middleware's refusals (401, 403, 429, 503) and any other error of
 * this route, in JSON-RPC form: http_set_error_body(). */
static char *error_body(http_req_t *req, int status, const char *code, const char *message)
{
    json_t *data =
        json_pack("{s:i,s:s,s:s}", "status", status, "error", code, "request_id", req->request_id);
    json_t *e = jsonrpc_error(NULL, jsonrpc_code_of_status(status), message, data);
    char *text = e ? json_num_dumps(e) : NULL;
    char *body = text ? arena_strdup(req->arena, text) : NULL;
    free(text);
    json_decref(e);
    return body;
}

/* Does Accept prefer text/event-stream to application/json? */
static double q_of(const char *accept, const char *type)
{
    size_t n = strlen(type);
    for (const char *p = accept; p && *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len >= n && strncasecmp(p, type, n) == 0 && (len == n || p[n] == ';' || p[n] == ' ')) {
            const char *q = strstr(p, "q=");
            return q && q < p + len ? strtod(q + 2, NULL) : 1.0;
        }
        p = end ? end + 1 : p + len;
    }
    return 0;
}

static bool wants_sse(const http_req_t *req)
{
    const char *a = http_req_header(req, "Accept");
    double sse = q_of(a, "text/event-stream"), json = q_of(a, "application/json");
    return sse > 0 && sse > json;
}

/* ---- one POST: its messages and their answers ---------------------------- */

typedef struct exchange exchange_t;

typedef struct item {
    exchange_t *x;
    json_t *id;       /* borrowed from the body */
    blob_t *response; /* the JSON-RPC message, once answered; NULL: nothing to send */
    void *call;       /* a tool call under way */
} item_t;

struct exchange {
    http_req_t *req;
    http_mcp_t *m;
    jsonrpc_body_t body;
    item_t *items;
    size_t pending;
    bool starting; /* messages are being dispatched: answers only count */
    bool answered;
    int version;
    char session[HTTP_MCP_SESSION_LEN + 1]; /* made by initialize */
};

static void exchange_release(exchange_t *x)
{
    for (size_t i = 0; x->items && i < x->body.n; i++) /* no items yet when refused early */
        blob_unref(x->items[i].response);
    jsonrpc_body_free(&x->body);
}

static void exchange_answer(exchange_t *x)
{
    http_req_t *req = x->req;
    x->answered = true;
    req->on_client_gone = NULL;
    bool sse = wants_sse(req);
    size_t n = 0, len = 2;
    for (size_t i = 0; i < x->body.n; i++) {
        blob_t *r = x->items[i].response;
        if (r) n++, len += r->len + (sse ? 24 : 1);
    }
    char *headers = arena_sprintf(req->arena, "Cache-Control: no-store\r\n%s%s%s",
                                  x->session[0] ? "Mcp-Session-Id: " : "", x->session,
                                  x->session[0] ? "\r\n" : "");
    /* One JSON message, a JSON array of them (a batch), or an SSE stream of
     * one event each that then ends: nothing else comes on it (this server
     * sends no requests of its own). */
    char *body = n ? arena_alloc(req->arena, len) : NULL;
    size_t o = 0, k = 0;
    bool array = x->body.batch && !sse;
    if (body && array) body[o++] = '[';
    for (size_t i = 0; body && i < x->body.n; i++) {
        blob_t *r = x->items[i].response;
        if (!r) continue;
        if (sse) {
            memcpy(body + o, "event: message\ndata: ", 21);
            o += 21;
        } else if (k) {
            body[o++] = ',';
        }
        memcpy(body + o, r->data, r->len);
        o += r->len;
        if (sse) {
            memcpy(body + o, "\n\n", 2);
            o += 2;
        }
        k++;
    }
    if (body && array) body[o++] = ']';
    exchange_release(x);
    if (n == 0) /* notifications and responses only */
        http_respond(req, 202, "application/json", headers, "", 0);
    else if (!body)
        http_respond_oom(req);
    else
        http_respond(req, 200, sse ? "text/event-stream" : "application/json", headers, body, o);
}

/* Takes response (a JSON-RPC message, stolen) as the item's answer. */
static void item_answer(item_t *it, blob_t *response)
{
    exchange_t *x = it->x;
    it->response = response;
    it->call = NULL;
    if (--x->pending == 0 && !x->starting && !x->answered) exchange_answer(x);
}

static void item_done(item_t *it, json_t *msg)
{
    char *text = msg ? json_num_dumps(msg) : NULL;
    json_decref(msg);
    item_answer(it, text ? blob_new(text, strlen(text)) : NULL);
    free(text);
}

/* {"jsonrpc":"2.0","id":ID,"result":RESULT}, RESULT spliced as it is. */
static void on_tool_done(void *data, blob_t *result, int code, const char *message)
{
    item_t *it = data;
    if (!result) {
        item_done(it, jsonrpc_error(it->id, code, message, NULL));
        return;
    }
    static const char pre[] = "{\"jsonrpc\":\"2.0\",\"id\":", mid[] = ",\"result\":";
    char *id = json_num_dumps(it->id ? it->id : json_null());
    size_t idlen = id ? strlen(id) : 0;
    blob_t *b = id ? blob_alloc(sizeof pre - 1 + idlen + sizeof mid - 1 + result->len + 1) : NULL;
    if (b) {
        char *o = b->data;
        memcpy(o, pre, sizeof pre - 1);
        o += sizeof pre - 1;
        memcpy(o, id, idlen);
        o += idlen;
        memcpy(o, mid, sizeof mid - 1);
        o += sizeof mid - 1;
        memcpy(o, result->data, result->len);
        o += result->len;
        *o = '}';
    }
    free(id);
    if (b)
        item_answer(it, b);
    else
        item_done(it, jsonrpc_error(it->id, JSONRPC_INTERNAL_ERROR, "out of memory", NULL));
}

static void on_client_gone(http_req_t *req)
{
    exchange_t *x = req->handler_data;
    if (x->answered) return;
    x->answered = true;
    for (size_t i = 0; i < x->body.n; i++)
        if (x->items[i].call) http_mcp_tool_cancel(&x->m->tools, x->items[i].call);
    exchange_release(x);
    http_respond_error(req, 503, "service_unavailable", "client went away");
}

static json_t *initialize(exchange_t *x, json_t *params, json_t *id)
{
    json_t *asked = json_object_get(params, "protocolVersion");
    if (!json_is_string(asked))
        return jsonrpc_error(id, JSONRPC_INVALID_PARAMS, "params.protocolVersion must be a string",
                             NULL);
    /* The client's version when we speak it, else our newest: the client
     * then decides whether it can go on. */
    int v = version_index(json_string_value(asked));
    if (v < 0) v = 0;
    x->version = v;
    if (http_mcp_session_new(x->m->cfg->mcp.session_secret, v, (int64_t)time(NULL), x->session) < 0)
        return jsonrpc_error(id, JSONRPC_INTERNAL_ERROR, "no random bytes for a session", NULL);
    json_t *res = json_pack(
        "{s:s,s:{s:{s:b}},s:{s:s,s:s,s:s},s:s}", "protocolVersion", versions[v], "capabilities",
        "tools", "listChanged", 0, "serverInfo", "name", "scifind", "title",
        "scifind academic paper search", "version", SCIFIND_VERSION, "instructions",
        "Use search to find papers (arXiv, Semantic Scholar, Exa, OpenAlex, Crossref and the "
        "local store, merged); get_paper to look one paper up by any id (DOI, arXiv, S2, OpenAlex, "
        "PMID), live. "
        "Answers stop at a byte budget: follow next_cursor for more.");
    return jsonrpc_result(id, res);
}

/* Starts one request; its answer lands in it->response now or later. */
static void dispatch(exchange_t *x, item_t *it, const jsonrpc_msg_t *m)
{
    const char *method = m->method;
    if (strcmp(method, "initialize") == 0) {
        item_done(it, initialize(x, m->params, m->id));
    } else if (strcmp(method, "ping") == 0) {
        item_done(it, jsonrpc_result(m->id, json_object()));
    } else if (strcmp(method, "tools/list") == 0) {
        item_done(it, jsonrpc_result(m->id, http_mcp_tools_list()));
    } else if (strcmp(method, "tools/call") == 0) {
        void *call = http_mcp_tool_call(&x->m->tools, x->req->arena, m->params,
                                        http_req_header(x->req, "traceparent"), on_tool_done, it);
        if (call && !it->response) it->call = call;
    } else {
        char msg[160];
        snprintf(msg, sizeof msg,
                 "method '%.64s' not found (initialize, ping, tools/list, "
                 "tools/call)",
                 method);
        item_done(it, jsonrpc_error(m->id, JSONRPC_METHOD_NOT_FOUND, msg, NULL));
    }
}

static bool is_json(const char *ct)
{
    size_t n = strlen("application/json");
    return ct && strncasecmp(ct, "application/json", n) == 0 &&
           (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/* Origin, when sent, must be allowed (DNS rebinding: a page of another
 * site reaching a local scifind through the browser). */
static bool origin_ok(http_req_t *req, const http_mcp_t *m)
{
    const char *origin = http_req_header(req, "Origin");
    if (!origin || http_cors_allowed(m->origins, origin)) return true;
    refuse(req, 403, NULL, jsonrpc_code_of_status(403),
           "Origin is not allowed (mcp.origins lists the allowed ones)");
    return false;
}

/* The session of the request: 0 with *s; -1 none sent, -2 not ours, -3
 * ended or expired. */
static int session_of(http_req_t *req, const http_mcp_t *m, http_mcp_session_t *s)
{
    const char *id = http_req_header(req, "Mcp-Session-Id");
    if (!id) return -1;
    int rc = http_mcp_session_check(m->cfg->mcp.session_secret, id, (int64_t)time(NULL),
                                    m->cfg->mcp.session_ttl_ms / 1000, s);
    return rc == 0 ? 0 : rc == -2 ? -3 : -2;
}

/* Answers a request whose session_of() failed with rc. */
static void refuse_session(http_req_t *req, int rc)
{
    if (rc == -1)
        refuse(req, 400, NULL, JSONRPC_INVALID_REQUEST,
               "the Mcp-Session-Id header is required: initialize first");
    else
        refuse(req, 404, NULL, jsonrpc_code_of_status(404),
               rc == -3 ? "the session has ended or expired: initialize a new one"
                        : "unknown session: initialize a new one");
}

static void post(http_req_t *req, http_mcp_t *m)
{
    if (!is_json(http_req_header(req, "Content-Type"))) {
        refuse(req, 415, NULL, JSONRPC_INVALID_REQUEST,
               "POST /mcp takes JSON-RPC (Content-Type: application/json)");
        return;
    }
    const char *pv = http_req_header(req, "MCP-Protocol-Version");
    if (pv && version_index(pv) < 0) {
        refuse(req, 400, NULL, JSONRPC_INVALID_REQUEST,
               "unsupported MCP-Protocol-Version (2025-11-25, 2025-06-18, 2025-03-26, "
               "2024-11-05)");
        return;
    }
    exchange_t *x = arena_calloc(req->arena, 1, sizeof *x);
    if (!x ||
        jsonrpc_parse(req->body, req->body_len, (size_t)m->cfg->mcp.max_batch, &x->body) < 0) {
        http_respond_oom(req);
        return;
    }
    x->req = req;
    x->m = m;
    if (x->body.error_code) {
        int code = x->body.error_code;
        char msg[sizeof x->body.error_msg];
        memcpy(msg, x->body.error_msg, sizeof msg);
        exchange_release(x);
        refuse(req, 400, NULL, code, msg);
        return;
    }
    bool init = false;
    for (size_t i = 0; i < x->body.n; i++)
        init |= x->body.msgs[i].kind == JSONRPC_REQUEST &&
                strcmp(x->body.msgs[i].method, "initialize") == 0;
    if (init && x->body.batch) {
        exchange_release(x);
        refuse(req, 400, NULL, JSONRPC_INVALID_REQUEST, "initialize must not be part of a batch");
        return;
    }
    x->version = pv ? version_index(pv) : VERSION_DEFAULT;
    if (!init) {
        http_mcp_session_t s;
        int rc = session_of(req, m, &s);
        if (rc < 0) {
            exchange_release(x); /* before answering: the answer may free the arena */
            refuse_session(req, rc);
            return;
        }
        if (!pv && s.version >= 0 && s.version < NVERSIONS) x->version = s.version;
    }
    if (x->body.batch && x->version < FIRST_WITH_BATCHES) {
        char msg[128];
        snprintf(msg, sizeof msg,
                 "JSON-RPC batches are not part of MCP %s: send one message "
                 "per request",
                 versions[x->version]);
        exchange_release(x);
        refuse(req, 400, NULL, JSONRPC_INVALID_REQUEST, msg);
        return;
    }
    x->items = arena_calloc(req->arena, x->body.n, sizeof *x->items);
    if (!x->items) {
        exchange_release(x);
        http_respond_oom(req);
        return;
    }
    req->handler_data = x;
    req->on_client_gone = on_client_gone;
    x->starting = true;
    x->pending = x->body.n;
    for (size_t i = 0; i < x->body.n; i++) {
        const jsonrpc_msg_t *msg = &x->body.msgs[i];
        item_t *it = &x->items[i];
        it->x = x;
        it->id = msg->id;
        if (msg->kind == JSONRPC_INVALID)
            item_done(it, jsonrpc_error(msg->id, msg->error_code, msg->error_msg, NULL));
        else if (msg->kind == JSONRPC_REQUEST)
            dispatch(x, it, msg);
        else /* notifications (initialized, cancelled) and responses: nothing to say */
            item_done(it, NULL);
    }
    x->starting = false;
    if (x->pending == 0 && !x->answered) exchange_answer(x);
}

static void mcp_handler(http_req_t *req)
{
    http_mcp_t *m = req->route_data;
    if (!origin_ok(req, m)) return;
    if (req->method == HTTP_M_POST) {
        post(req, m);
    } else if (req->method == HTTP_M_DELETE) {
        http_mcp_session_t s;
        int rc = session_of(req, m, &s);
        if (rc < 0) {
            refuse_session(req, rc);
            return;
        }
        http_mcp_session_end(&s, m->cfg->mcp.session_ttl_ms / 1000, (int64_t)time(NULL));
        http_respond(req, 204, "application/json", "Cache-Control: no-store\r\n", "", 0);
    } else {
        /* No stream of server-initiated messages: every answer comes on
         * the POST that asked for it. */
        refuse(req, 405, "Allow: POST, DELETE\r\n", jsonrpc_code_of_status(405),
               "GET /mcp: this server sends no server-initiated messages; POST requests");
    }
}

http_mcp_t *http_mcp_register(http_router_t *r, const http_mcp_ctx_t *tools)
{
    http_mcp_t *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->tools = *tools;
    m->cfg = tools->cfg;
    m->origins = http_cors_new(m->cfg->mcp.origins, 0);
    json_t *list = http_mcp_tools_list(); /* parsed now: a bad schema fails at start */
    json_decref(list);
    if (!m->origins || !list ||
        http_router_add(r, HTTP_M_GET | HTTP_M_POST | HTTP_M_DELETE, MCP_ROUTE, HTTP_ROUTE_READ,
                        mcp_handler, m) < 0) {
        http_mcp_free(m);
        return NULL;
    }
    http_set_error_body(MCP_ROUTE, error_body);
    return m;
}

void http_mcp_free(http_mcp_t *m)
{
    if (!m) return;
    http_cors_free(m->origins);
    free(m);
}
