/* A parsed HTTP request as handlers see it, and the calls that answer it.
 *
 * A handler gets an http_req_t and must answer it exactly once, now or later
 * (from any loop callback), with http_respond*(). After that call the request
 * belongs to the connection again and the handler must not touch it. All
 * request memory comes from req->arena and is freed in one go once the
 * response has been written. */
#ifndef SF_HTTP_REQUEST_H
#define SF_HTTP_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/blob.h"

/* Methods the router knows, as a bit mask (HEAD is routed to GET handlers); llhttp owns the
 * HTTP_GET names. */
enum {
    HTTP_M_GET = 1u << 0,
    HTTP_M_HEAD = 1u << 1,
    HTTP_M_POST = 1u << 2,
    HTTP_M_PUT = 1u << 3,
    HTTP_M_DELETE = 1u << 4,
    HTTP_M_OPTIONS = 1u << 5,
    HTTP_M_PATCH = 1u << 6,
    HTTP_M_OTHER = 1u << 7, /* any other method llhttp accepts */
};

#define HTTP_MAX_PARAMS 4
#define HTTP_REQUEST_ID_MAX 128
#define HTTP_MAX_BODY_PARTS 4

typedef struct http_header {
    const char *name;  /* NUL-terminated, as sent */
    const char *value; /* NUL-terminated, without surrounding blanks */
    size_t name_len;
    size_t value_len;
} http_header_t;

/* What a route is to the middleware (http/middleware.h), declared where the
 * route is registered (http/router.h) and read from req->route_class: the middleware keeps
 * no list of paths. Zero is ADMIN, so a route nobody classed is closed. */
typedef enum {
    HTTP_ROUTE_ADMIN = 0, /* changes the service (cache flush, provider settings): an
                             admin key; without keys, loopback callers only */
    HTTP_ROUTE_READ,      /* the API: a key with the read scope when keys are set, the
                             client's rate limit */
    HTTP_ROUTE_SEARCH,    /* READ, and runs searches: counted in searches in flight and
                             shed past shed.max_in_flight */
    HTTP_ROUTE_OPEN,      /* probes, scrapes, the page's static files: no key, no limit */
} http_route_class_t;

typedef struct http_req http_req_t;
typedef struct http_server http_server_t;
struct http_conn;

struct http_req {
    /* Read-only for handlers. */
    arena_t *arena;
    unsigned method;         /* one HTTP_M_* bit */
    const char *method_name; /* "GET", ... */
    const char *path;        /* target up to '?', NUL-terminated, not decoded */
    size_t path_len;
    const char *query; /* after '?', NUL-terminated; "" when absent */
    size_t query_len;
    http_header_t *headers;
    size_t nheaders;
    const char *body; /* NUL-terminated; "" when absent */
    size_t body_len;
    uint8_t http_major, http_minor;
    char request_id[HTTP_REQUEST_ID_MAX + 1];
    uint64_t start_ns;
    const char *params[HTTP_MAX_PARAMS]; /* {name} segments of the matched route */
    size_t nparams;
    void *route_data;               /* the pointer given to http_router_add() */
    const char *route;              /* the matched route's pattern, NULL when none matched */
    http_route_class_t route_class; /* the matched route's (http_route_match_t.cls) */
    /* Set when the client closed or reset its side while the handler runs:
     * the answer will likely be discarded, so expensive work may stop. */
    bool client_gone;
    /* Handlers may set this to learn when client_gone becomes true. */
    void (*on_client_gone)(http_req_t *req);
    void *handler_data;
    void *hook_data; /* the server hooks' own (http/server.h): the middleware's */
    /* This hop's traceparent (HTTP_TRACEPARENT_LEN chars), set by
     * http_trace_apply(); NULL before, or when it failed. */
    const char *traceparent;

    /* Private to the connection (http/conn.h): handlers use the accessors
     * below, never these. */
    struct http_conn *conn;
    int status;
    size_t bytes_out;
    bool head_only;
    bool answered;
    blob_t *held_blob[2]; /* body blobs referenced until the response is written */
};

/* The connection closes once this request's answer has been written (the
 * answer says Connection: close). */
void http_req_close_after(http_req_t *req);

/* Returns the value of the first header named name (case-insensitive), or
 * NULL. */
const char *http_req_header(const http_req_t *req, const char *name);

/* The address of the request's TCP peer (the proxy's when behind one: see
 * http_client_addr() for X-Forwarded-For), as inet_ntop() writes it, read
 * once per connection. NULL when it cannot be read or the request has no
 * connection (unit tests). Valid while the request is. */
const char *http_req_peer(const http_req_t *req);

/* The server the request came in on (for http_server_draining() and
 * http_server_connections()), or NULL when it has no connection. */
const http_server_t *http_req_server(const http_req_t *req);

/* Sets *out to the next word of the server's generator (xorshift128+,
 * seeded by the kernel: unique, cheap ids, not secrets) and returns true;
 * false when the request has no connection (the caller asks the kernel). */
bool http_req_random64(const http_req_t *req, uint64_t *out);

/* Answers with body bytes that stay valid until the response is written
 * (static data or req->arena). extra_headers is NULL or complete header
 * lines ("Name: value\r\n..."). content_type NULL means application/json. */
void http_respond(http_req_t *req, int status, const char *content_type, const char *extra_headers,
                  const void *body, size_t len);

/* Same with a body from malloc (what the JSON writers return), which it
 * takes over: copied into req->arena and freed. NULL (out of memory)
 * answers 500. */
void http_respond_malloced(http_req_t *req, int status, const char *content_type,
                           const char *extra_headers, char *body, size_t len);

/* Same with a refcounted blob: the response holds a reference until it has
 * been written, the caller keeps its own. */
void http_respond_blob(http_req_t *req, int status, const char *content_type,
                       const char *extra_headers, blob_t *body);

/* Answers with a JSON object blob (it must start with '{') with
 * "request_id" added as its first member, without copying the blob: the
 * way cached answers go out. */
void http_respond_json_blob(http_req_t *req, int status, const char *extra_headers, blob_t *body);

/* The same, gzip-compressed without compressing now: deflate is the raw
 * DEFLATE stream of body without its first byte and crc its CRC-32 (see
 * http/gzip_splice.h). Adds Content-Encoding: gzip. */
void http_respond_json_gzip(http_req_t *req, int status, const char *extra_headers, blob_t *body,
                            blob_t *deflate, uint32_t crc);

/* Answers with the JSON error shape
 * {"error":{"code":code,"message":...},"request_id":...}. */
void http_respond_error(http_req_t *req, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Same, with extra header lines (e.g. "Allow: GET, HEAD\r\n"). */
void http_respond_error_h(http_req_t *req, int status, const char *extra_headers, const char *code,
                          const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* The out-of-memory answer: a 500 internal_error (in the route's error
 * shape, see http_set_error_body()). The one way a handler says it. */
void http_respond_oom(http_req_t *req);

/* Errors of one route in another shape than the JSON error above (MCP's
 * JSON-RPC): fn returns the body (req's arena), or NULL for the usual one.
 * For every error answer of that route, the middleware's included. Set at
 * start, before serving; a few routes at most. */
typedef char *(*http_error_body_fn)(http_req_t *req, int status, const char *code,
                                    const char *message);
void http_set_error_body(const char *route, http_error_body_fn fn);

/* The reason phrase for a status ("Not Found"), "Unknown" if none. */
const char *http_status_reason(int status);

/* The error code string used in JSON errors for a status ("not_found"). */
const char *http_status_code_name(int status);

#endif
