/* The HTTP server of one worker: a listening socket of its own in the
 * SO_REUSEPORT group, and the connections accepted on it. */
#ifndef SF_HTTP_SERVER_H
#define SF_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "core/config.h"
#include "http/router.h"

typedef struct http_server_stats {
    uint64_t connections_accepted;
    uint64_t requests;
    uint64_t responses_by_class[6]; /* index status/100: 1xx .. 5xx */
    uint64_t parse_errors;
    uint64_t timeouts;
} http_server_stats_t;

/* Returns a server for loop using cfg's http.* limits and the router (both
 * must outlive the server), or NULL when out of memory. */
http_server_t *http_server_new(uv_loop_t *loop, const sf_config_t *cfg,
                               const http_router_t *router);

/* Starts accepting on fd, a listening socket (core/listen.h). The server
 * owns fd from now on, failure included. Returns 0 or a negative errno
 * (libuv code). */
int http_server_listen(http_server_t *s, int fd);

/* Starts a graceful stop: stops listening, closes idle connections, and
 * makes every response still to come close its connection. done is called
 * once no connection is left (it may be called before this function
 * returns).
 *
 * socket_shared: another process goes on accepting on the listening socket
 * (the successor in a reload). The socket is closed at once, after taking
 * what is queued; the rest of its queue is the successor's.
 * Otherwise this process is the socket's last holder and its queue would be
 * reset when it closes: new handshakes are refused first (SYNs dropped, so
 * clients retry them elsewhere or are refused), the ones under way are
 * accepted for a quarter of a second, and then the socket closes. */
void http_server_drain(http_server_t *s, bool socket_shared, void (*done)(http_server_t *s));

/* Closes every connection now, answered or not, then calls done once all
 * handles are closed. Requests still with their handler are marked
 * client_gone and freed when the handler answers. */
void http_server_close(http_server_t *s, void (*done)(http_server_t *s));

/* Frees the server. Only after the done callback of http_server_close(). */
void http_server_free(http_server_t *s);

bool http_server_draining(const http_server_t *s);
size_t http_server_connections(const http_server_t *s);
const http_server_stats_t *http_server_stats(const http_server_t *s);

/* Middleware: runs around every request, whatever its route. */
typedef struct http_hooks {
    void *ctx;
    /* Before the handler (after routing: req->route is set). Returns true
     * when it answered the request itself (refused it, a CORS preflight),
     * false to let the handler run. */
    bool (*before)(void *ctx, http_req_t *req);
    /* Once the answer is written or dropped: req->status, req->bytes_out,
     * req->route; duration from the first byte of the request. */
    void (*after)(void *ctx, const http_req_t *req, double duration_ms);
    /* Last word on every answer's headers (CORS, trace context): returns
     * extra header lines to add (request's arena), or NULL. */
    const char *(*headers)(void *ctx, http_req_t *req);
} http_hooks_t;

void http_server_set_hooks(http_server_t *s, const http_hooks_t *hooks);

/* An opaque pointer handlers can reach with http_server_of(req). */
void http_server_set_data(http_server_t *s, void *data);
void *http_server_data_of(const http_req_t *req);

#endif
