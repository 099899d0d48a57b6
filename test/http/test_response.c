/* The response writer (http/response.c, error.c, status.c) through a real
 * connection: a socketpair adopted by a server, raw requests in, the bytes
 * that come back checked. The status line and common headers, Connection
 * as the request and the server decide, HEAD without a body, a cached JSON
 * answer with its request id spliced in, error bodies that stay UTF-8 JSON,
 * pipelined answers in order. */
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/config.h"
#include "core/log.h"
#include "http/conn.h"
#include "http/put.h"
#include "http/router.h"
#include "http/server.h"
#include "test/test.h"

static uv_loop_t loop;
static sf_config_t cfg;

static void h_text(http_req_t *req)
{
    http_respond(req, 200, "text/plain", "X-A: 1\r\n", "hello", 5);
}

static void h_blob(http_req_t *req)
{
    const char *json = req->query_len ? "{}" : "{\"a\":1}";
    blob_t *b = blob_new(json, strlen(json));
    http_respond_json_blob(req, 200, NULL, b);
    blob_unref(b); /* the answer holds its own reference */
}

static void h_err(http_req_t *req)
{
    http_respond_error(req, 400, "bad_request", "unknown parameter '%s'",
                       "\xff\xfe"
                       "ab\"");
}

static void h_oom(http_req_t *req)
{
    http_respond_oom(req);
}

typedef struct later {
    uv_timer_t t;
    http_req_t *req;
} later_t;

static void later_closed(uv_handle_t *h)
{
    free(h);
}

static void later_fire(uv_timer_t *t)
{
    later_t *l = (later_t *)t;
    http_respond(l->req, 202, "text/plain", NULL, "later", 5);
    uv_close((uv_handle_t *)t, later_closed);
}

static void h_later(http_req_t *req)
{
    later_t *l = malloc(sizeof *l);
    uv_timer_init(&loop, &l->t);
    l->req = req;
    uv_timer_start(&l->t, later_fire, 1, 0);
}

static http_router_t *router(void)
{
    http_router_t *r = http_router_new();
    ASSERT_NOT_NULL(r);
    ASSERT_EQ(http_router_add(r, HTTP_M_GET, "/text", HTTP_ROUTE_READ, h_text, NULL), 0);
    ASSERT_EQ(http_router_add(r, HTTP_M_GET, "/blob", HTTP_ROUTE_READ, h_blob, NULL), 0);
    ASSERT_EQ(http_router_add(r, HTTP_M_GET, "/err", HTTP_ROUTE_READ, h_err, NULL), 0);
    ASSERT_EQ(http_router_add(r, HTTP_M_GET, "/oom", HTTP_ROUTE_READ, h_oom, NULL), 0);
    ASSERT_EQ(http_router_add(r, HTTP_M_GET, "/later", HTTP_ROUTE_READ, h_later, NULL), 0);
    return r;
}

static bool closed;

static void on_closed(http_server_t *s)
{
    (void)s;
    closed = true;
}

/* Sends request on a fresh connection, runs the loop until the server
 * closes it (every request here ends with Connection: close) and returns
 * what came back, NUL-terminated (malloc'd). */
static char *exchange(const char *request)
{
    static char buf[65536];
    size_t len = 0;
    signal(SIGPIPE, SIG_IGN);
    log_set_level(LOG_ERROR);
    config_defaults(&cfg);
    char err[256];
    ASSERT_EQ(config_set(&cfg, "log.access", "false", err, sizeof err), 0);
    ASSERT_EQ(uv_loop_init(&loop), 0);
    http_router_t *r = router();
    http_server_t *s = http_server_new(&loop, &cfg, r);
    ASSERT_NOT_NULL(s);
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
    http__conn_adopt(s, sv[0]);
    ASSERT_EQ(write(sv[1], request, strlen(request)), (ssize_t)strlen(request));
    bool eof = false;
    for (int round = 0; round < 2000 && !eof; round++) {
        uv_run(&loop, UV_RUN_NOWAIT);
        for (;;) {
            ssize_t n = read(sv[1], buf + len, sizeof buf - 1 - len);
            if (n > 0) {
                len += (size_t)n;
                continue;
            }
            if (n == 0) eof = true;
            break;
        }
        if (!eof) usleep(1000);
    }
    ASSERT(eof);
    closed = false;
    http_server_close(s, on_closed);
    uv_run(&loop, UV_RUN_DEFAULT);
    ASSERT(closed);
    http_server_free(s);
    http_router_free(r);
    ASSERT_EQ(uv_loop_close(&loop), 0);
    close(sv[1]);
    buf[len] = '\0';
    return strdup(buf);
}

/* The body of the response at r (after its blank line). */
static const char *body_of(const char *r)
{
    const char *b = strstr(r, "\r\n\r\n");
    ASSERT_NOT_NULL(b);
    return b + 4;
}

TEST(response_has_the_status_line_and_common_headers)
{
    char *r = exchange("GET /text HTTP/1.1\r\nHost: x\r\nX-Request-ID: rid-1\r\n"
                       "Connection: close\r\n\r\n");
    ASSERT(strncmp(r, "HTTP/1.1 200 OK\r\n", 17) == 0);
    ASSERT_STR_CONTAINS(r, "\r\nDate: ");
    ASSERT_STR_CONTAINS(r, "\r\nServer: scifind\r\n");
    ASSERT_STR_CONTAINS(r, "\r\nContent-Type: text/plain\r\n");
    ASSERT_STR_CONTAINS(r, "\r\nContent-Length: 5\r\n");
    ASSERT_STR_CONTAINS(r, "\r\nX-Request-ID: rid-1\r\n");
    ASSERT_STR_CONTAINS(r, "\r\nConnection: close\r\n");
    ASSERT_STR_CONTAINS(r, "\r\nX-A: 1\r\n");
    ASSERT_STR_EQ(body_of(r), "hello");
    free(r);
}

TEST(response_header_block_is_exactly_these_bytes)
{
    char *r = exchange("GET /text HTTP/1.1\r\nHost: x\r\nX-Request-ID: rid-9\r\n"
                       "Connection: close\r\n\r\n");
    /* the Date value is 29 characters: "Sun, 06 Nov 1994 08:49:37 GMT" */
    ASSERT(strncmp(r, "HTTP/1.1 200 OK\r\nDate: ", 23) == 0);
    ASSERT(strlen(r) > 23 + 29);
    ASSERT_STR_EQ(r + 23 + 29, "\r\nServer: scifind\r\nContent-Type: text/plain\r\n"
                               "Content-Length: 5\r\nX-Request-ID: rid-9\r\n"
                               "Connection: close\r\nX-A: 1\r\n\r\nhello");
    free(r);
}

TEST(put_helpers_write_what_printf_would)
{
    char b[64], *d;
    d = http__put_uint(b, 0);
    *d = '\0';
    ASSERT_STR_EQ(b, "0");
    d = http__put_uint(b, UINT64_MAX);
    *d = '\0';
    ASSERT_STR_EQ(b, "18446744073709551615");
    d = http__put_hex16(b, 0xabcULL);
    *d = '\0';
    ASSERT_STR_EQ(b, "0000000000000abc");
    d = http__put_ms3(b, 1234567); /* 1.234567 ms */
    *d = '\0';
    ASSERT_STR_EQ(b, "1.235");
    d = http__put_ms3(b, 42);
    *d = '\0';
    ASSERT_STR_EQ(b, "0.000");
    d = http__put_ms3(b, 20999600);
    *d = '\0';
    ASSERT_STR_EQ(b, "21.000");
}

TEST(response_to_head_has_the_length_without_the_body)
{
    char *r = exchange("HEAD /text HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    ASSERT(strncmp(r, "HTTP/1.1 200 OK\r\n", 17) == 0);
    ASSERT_STR_CONTAINS(r, "\r\nContent-Length: 5\r\n");
    ASSERT_STR_EQ(body_of(r), "");
    free(r);
}

TEST(response_says_keep_alive_to_http10_only_when_asked)
{
    char *r = exchange("GET /text HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
                       "GET /text HTTP/1.0\r\n\r\n");
    const char *second = strstr(body_of(r), "HTTP/1.1 200 OK\r\n");
    ASSERT_NOT_NULL(second);
    ASSERT_STR_CONTAINS(r, "\r\nConnection: keep-alive\r\n");
    ASSERT_STR_CONTAINS(second, "\r\nConnection: close\r\n");
    free(r);
}

TEST(response_of_a_cached_json_answer_gets_the_request_id_first)
{
    char *r = exchange("GET /blob HTTP/1.1\r\nHost: x\r\nX-Request-ID: rid-2\r\n"
                       "Connection: close\r\n\r\n");
    ASSERT_STR_EQ(body_of(r), "{\"request_id\":\"rid-2\",\"a\":1}");
    ASSERT_STR_CONTAINS(r, "\r\nContent-Length: 28\r\n");
    ASSERT_STR_CONTAINS(r, "\r\nContent-Type: application/json\r\n");
    free(r);
    r = exchange("GET /blob?empty HTTP/1.1\r\nHost: x\r\nX-Request-ID: rid-3\r\n"
                 "Connection: close\r\n\r\n");
    ASSERT_STR_EQ(body_of(r), "{\"request_id\":\"rid-3\"}");
    free(r);
}

TEST(response_error_body_is_utf8_json_whatever_it_echoes)
{
    char *r = exchange("GET /err HTTP/1.1\r\nHost: x\r\nX-Request-ID: rid-4\r\n"
                       "Connection: close\r\n\r\n");
    ASSERT(strncmp(r, "HTTP/1.1 400 Bad Request\r\n", 26) == 0);
    json_error_t e;
    json_t *j = json_loads(body_of(r), 0, &e); /* jansson refuses invalid UTF-8 */
    ASSERT_NOT_NULL(j);
    ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(j, "error"), "code")),
                  "bad_request");
    ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(j, "error"), "message")),
                  "unknown parameter '\xef\xbf\xbd\xef\xbf\xbd"
                  "ab\"'");
    ASSERT_STR_EQ(json_string_value(json_object_get(j, "request_id")), "rid-4");
    json_decref(j);
    free(r);
}

TEST(response_out_of_memory_is_a_json_500)
{
    char *r = exchange("GET /oom HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    ASSERT(strncmp(r, "HTTP/1.1 500 Internal Server Error\r\n", 36) == 0);
    ASSERT_STR_CONTAINS(body_of(r), "{\"error\":{\"code\":\"internal_error\","
                                    "\"message\":\"out of memory\"}");
    free(r);
}

TEST(response_pipelined_answers_keep_the_order_of_the_requests)
{
    char *r = exchange("GET /later HTTP/1.1\r\nHost: x\r\n\r\n"
                       "GET /text HTTP/1.1\r\nHost: x\r\n\r\n"
                       "GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n"
                       "POST /text HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
                       "Connection: close\r\n\r\n");
    const char *a = strstr(r, "HTTP/1.1 202 Accepted\r\n");
    const char *b = strstr(r, "HTTP/1.1 200 OK\r\n");
    const char *c = strstr(r, "HTTP/1.1 404 Not Found\r\n");
    const char *d = strstr(r, "HTTP/1.1 405 Method Not Allowed\r\n");
    ASSERT(a == r);
    ASSERT(b && c && d && a < b && b < c && c < d);
    ASSERT_STR_CONTAINS(d, "\r\nAllow: GET, HEAD\r\n");
    ASSERT_STR_CONTAINS(d, "\r\nConnection: close\r\n");
    free(r);
}

TEST(status_names_and_error_codes)
{
    ASSERT_STR_EQ(http_status_reason(431), "Request Header Fields Too Large");
    ASSERT_STR_EQ(http_status_reason(299), "Unknown");
    ASSERT_STR_EQ(http_status_code_name(429), "rate_limited");
    ASSERT_STR_EQ(http_status_code_name(599), "internal_error");
    ASSERT_STR_EQ(http_status_code_name(418), "error");
}

TEST_MAIN()
