/* A request's accessors: what handlers and the middleware may ask of the
 * request beyond its fields (its headers, its peer, its server), so that
 * nothing outside the connection reads req->conn. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "http/conn.h"

const char *http_req_header(const http_req_t *req, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < req->nheaders; i++) {
        const http_header_t *h = &req->headers[i];
        if (h->name_len == n && strncasecmp(h->name, name, n) == 0) return h->value;
    }
    return NULL;
}

void http_req_close_after(http_req_t *req)
{
    if (req->conn) req->conn->last_request = true;
}

const char *http_req_peer(const http_req_t *req)
{
    http_conn_t *c = req->conn;
    if (!c) return NULL;
    if (c->peer[0]) return c->peer;
    struct sockaddr_storage ss;
    int sl = sizeof ss;
    if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &sl) != 0) return NULL;
    const void *src = ss.ss_family == AF_INET
                          ? (const void *)&((struct sockaddr_in *)&ss)->sin_addr
                          : (const void *)&((struct sockaddr_in6 *)&ss)->sin6_addr;
    if (!inet_ntop(ss.ss_family, src, c->peer, sizeof c->peer)) {
        c->peer[0] = '\0';
        return NULL;
    }
    return c->peer;
}

const http_server_t *http_req_server(const http_req_t *req)
{
    return req->conn ? req->conn->server : NULL;
}

bool http_req_random64(const http_req_t *req, uint64_t *out)
{
    if (!req->conn) return false;
    *out = http__random64(req->conn->server);
    return true;
}
