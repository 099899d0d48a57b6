#include "http/mcp_stdio.h"

#include <errno.h>
#include <jansson.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "core/json_num.h"
#include "core/jsonrpc.h"

#define HEAD_MAX 16384
#define BODY_MAX (64u * 1024 * 1024)
#define IO_TIMEOUT_S 120 /* a search's longest deadline is well under this */

typedef struct fwd {
    char host[256], port[8], path[512];
    int fd;
    char session[128];
    char version[32];
    const char *key;
    char *init; /* the client's initialize line (malloc'd), to start again */
    size_t init_len;
} fwd_t;

static int parse_url(const char *url, fwd_t *f)
{
    if (strncmp(url, "http://", 7) != 0) return -1;
    const char *h = url + 7, *slash = strchr(h, '/');
    size_t hl = slash ? (size_t)(slash - h) : strlen(h);
    const char *colon = memchr(h, ':', hl);
    if (!colon || colon == h || (size_t)(colon - h) >= sizeof f->host) return -1;
    memcpy(f->host, h, (size_t)(colon - h));
    f->host[colon - h] = '\0';
    size_t pl = hl - (size_t)(colon + 1 - h);
    if (pl == 0 || pl >= sizeof f->port) return -1;
    memcpy(f->port, colon + 1, pl);
    f->port[pl] = '\0';
    snprintf(f->path, sizeof f->path, "%s", slash && slash[1] ? slash : "/mcp");
    return 0;
}

static int connect_to(fwd_t *f)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL;
    int rc = getaddrinfo(f->host, f->port, &hints, &ai);
    if (rc != 0) {
        fprintf(stderr, "scifind mcp: %s:%s: %s\n", f->host, f->port, gai_strerror(rc));
        return -1;
    }
    int fd = -1;
    for (struct addrinfo *p = ai; p && fd < 0; p = p->ai_next) {
        fd = socket(p->ai_family, p->ai_socktype | SOCK_CLOEXEC, p->ai_protocol);
        if (fd < 0) continue;
        struct timeval tv = {.tv_sec = IO_TIMEOUT_S};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        if (connect(fd, p->ai_addr, p->ai_addrlen) < 0) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(ai);
    f->fd = fd;
    return fd < 0 ? -1 : 0;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

typedef struct answer {
    int status;
    char *body; /* malloc'd, NUL-terminated */
    size_t len;
    bool sse;
    bool close;
} answer_t;

static const char *header_value(const char *head, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = strstr(head, "\r\n"); p; p = strstr(p + 2, "\r\n")) {
        if (strncasecmp(p + 2, name, n) == 0 && p[2 + n] == ':') {
            const char *v = p + 3 + n;
            while (*v == ' ')
                v++;
            return v;
        }
    }
    return NULL;
}

static void copy_value(char *dst, size_t len, const char *v)
{
    size_t n = strcspn(v, "\r\n");
    if (n >= len) n = len - 1;
    memcpy(dst, v, n);
    dst[n] = '\0';
}

/* One request/response on the kept connection. Returns 0 or -1 (the
 * connection is then closed). */
static int exchange(fwd_t *f, const char *method, const char *body, size_t len, answer_t *a)
{
    memset(a, 0, sizeof *a);
    if (f->fd < 0 && connect_to(f) < 0) return -1;
    char head[2048];
    int hl = snprintf(
        head, sizeof head,
        "%s %s HTTP/1.1\r\nHost: %s:%s\r\nContent-Type: application/json\r\n"
        "Accept: application/json, text/event-stream\r\nContent-Length: %zu\r\n"
        "%s%s%s%s%s%s%s%s%s\r\n",
        method, f->path, f->host, f->port, len, f->session[0] ? "Mcp-Session-Id: " : "", f->session,
        f->session[0] ? "\r\n" : "", f->version[0] ? "MCP-Protocol-Version: " : "", f->version,
        f->version[0] ? "\r\n" : "", f->key ? "Authorization: Bearer " : "", f->key ? f->key : "",
        f->key ? "\r\n" : "");
    if (hl < 0 || (size_t)hl >= sizeof head || write_all(f->fd, head, (size_t)hl) < 0 ||
        write_all(f->fd, body, len) < 0)
        goto fail;
    char buf[HEAD_MAX + 1];
    size_t got = 0;
    char *end = NULL;
    while (!end) {
        if (got == HEAD_MAX) goto fail;
        ssize_t r = recv(f->fd, buf + got, HEAD_MAX - got, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) goto fail;
        got += (size_t)r;
        buf[got] = '\0';
        end = strstr(buf, "\r\n\r\n");
    }
    *end = '\0';
    size_t have = got - (size_t)(end + 4 - buf);
    if (sscanf(buf, "HTTP/1.%*d %d", &a->status) != 1) goto fail;
    const char *cl = header_value(buf, "Content-Length");
    const char *ct = header_value(buf, "Content-Type");
    const char *sid = header_value(buf, "Mcp-Session-Id");
    const char *conn = header_value(buf, "Connection");
    if (!cl) goto fail; /* scifind always sends one */
    size_t n = strtoull(cl, NULL, 10);
    if (n > BODY_MAX) goto fail;
    if (sid) copy_value(f->session, sizeof f->session, sid);
    a->sse = ct && strncasecmp(ct, "text/event-stream", 17) == 0;
    a->close = conn && strncasecmp(conn, "close", 5) == 0;
    a->body = malloc(n + 1);
    if (!a->body) goto fail;
    size_t k = have < n ? have : n;
    memcpy(a->body, end + 4, k);
    while (k < n) {
        ssize_t r = recv(f->fd, a->body + k, n - k, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) goto fail;
        k += (size_t)r;
    }
    a->body[n] = '\0';
    a->len = n;
    if (a->close) {
        close(f->fd);
        f->fd = -1;
    }
    return 0;
fail:
    free(a->body);
    a->body = NULL;
    if (f->fd >= 0) close(f->fd);
    f->fd = -1;
    return -1;
}

/* Writes one JSON-RPC message as one line; the negotiated version is
 * noted from an initialize result. An error the server gave the whole
 * request (id null) gets the id of the request it answers. */
static void emit(fwd_t *f, json_t *msg, json_t *req_id, FILE *out)
{
    json_t *res = json_object_get(msg, "result");
    json_t *pv = json_object_get(res, "protocolVersion");
    if (json_is_string(pv) && json_object_get(res, "serverInfo"))
        snprintf(f->version, sizeof f->version, "%s", json_string_value(pv));
    if (req_id && json_object_get(msg, "error") && json_is_null(json_object_get(msg, "id")))
        json_object_set(msg, "id", req_id);
    char *s = json_num_dumps(msg);
    if (s) fprintf(out, "%s\n", s);
    free(s);
    fflush(out);
}

static void emit_text(fwd_t *f, const char *text, size_t len, json_t *req_id, FILE *out)
{
    json_t *m = json_loadb(text, len, 0, NULL);
    if (!m) {
        fprintf(stderr, "scifind mcp: the server's answer is not JSON (%zu bytes)\n", len);
        return;
    }
    if (json_is_array(m)) {
        size_t i;
        json_t *v;
        json_array_foreach(m, i, v) emit(f, v, NULL, out);
    } else {
        emit(f, m, req_id, out);
    }
    json_decref(m);
}

static int post(fwd_t *f, const char *line, size_t len, answer_t *a)
{
    int rc = exchange(f, "POST", line, len, a);
    if (rc < 0) rc = exchange(f, "POST", line, len, a); /* a kept connection may have closed */
    return rc;
}

/* The session is gone (404: scifind restarted, or the id expired): a new
 * one with the client's own initialize, as if it had never ended. The
 * stdio client knows no sessions. Returns 0 when there is a new one. */
static int start_again(fwd_t *f)
{
    static const char initialized[] =
        "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}";
    answer_t a;
    f->session[0] = '\0';
    if (!f->init || post(f, f->init, f->init_len, &a) < 0) return -1;
    int status = a.status;
    free(a.body);
    if (status != 200 || !f->session[0]) return -1;
    if (post(f, initialized, sizeof initialized - 1, &a) == 0) free(a.body);
    fprintf(stderr, "scifind mcp: the session had ended; a new one started\n");
    return 0;
}

static void forward(fwd_t *f, const char *line, size_t len, FILE *out)
{
    json_t *req = json_loadb(line, len, 0, NULL);
    json_t *id = json_is_object(req) ? json_object_get(req, "id") : NULL;
    json_t *method = json_is_object(req) ? json_object_get(req, "method") : NULL;
    bool init = json_is_string(method) && strcmp(json_string_value(method), "initialize") == 0;
    if (init) {
        free(f->init);
        f->init = malloc(len);
        if (f->init) memcpy(f->init, line, len);
        f->init_len = f->init ? len : 0;
        f->session[0] = '\0'; /* a new session for a new initialize */
    }
    answer_t a;
    int rc = post(f, line, len, &a);
    if (rc == 0 && a.status == 404 && !init && f->session[0] && start_again(f) == 0) {
        free(a.body);
        rc = post(f, line, len, &a);
    }
    if (rc < 0) {
        fprintf(stderr, "scifind mcp: %s:%s%s unreachable\n", f->host, f->port, f->path);
        if (id) {
            json_t *e = jsonrpc_error(id, -32000, "scifind is unreachable", NULL);
            if (e) emit(f, e, NULL, out);
            json_decref(e);
        }
        json_decref(req);
        return;
    }
    if (a.status >= 400) fprintf(stderr, "scifind mcp: HTTP %d\n", a.status);
    if (a.sse) {
        /* One JSON message per "data:" line (scifind writes each on one). */
        for (char *p = a.body; p && *p;) {
            char *nl = strchr(p, '\n');
            if (strncmp(p, "data:", 5) == 0) {
                char *d = p + 5;
                while (*d == ' ')
                    d++;
                emit_text(f, d, nl ? (size_t)(nl - d) : strlen(d), id, out);
            }
            p = nl ? nl + 1 : NULL;
        }
    } else if (a.len) {
        emit_text(f, a.body, a.len, id, out);
    }
    free(a.body);
    json_decref(req);
}

int http_mcp_stdio(const char *url, FILE *in, FILE *out)
{
    fwd_t f = {.fd = -1, .key = getenv("SCIFIND_API_KEY")};
    if (!url || parse_url(url, &f) < 0) {
        fprintf(stderr, "scifind mcp: --url must be http://HOST:PORT[/PATH]\n");
        return 2;
    }
    if (f.key && !*f.key) f.key = NULL;
    fprintf(stderr, "scifind mcp: forwarding stdio to http://%s:%s%s\n", f.host, f.port, f.path);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, in)) >= 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        if (n > 0) forward(&f, line, (size_t)n, out);
    }
    free(line);
    if (f.session[0]) { /* the session ends with its client */
        answer_t a;
        if (exchange(&f, "DELETE", "", 0, &a) == 0) free(a.body);
    }
    if (f.fd >= 0) close(f.fd);
    free(f.init);
    return 0;
}
