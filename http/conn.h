/* Internal to http/: the server and connection structures shared by
 * server.c (listener, connection set), conn.c (the connection's state
 * machine), parser.c (reading one request with llhttp), request.c (the
 * request's accessors) and response.c (writing answers). */
#ifndef SF_HTTP_CONN_H
#define SF_HTTP_CONN_H

#include <llhttp.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <sys/types.h>
#include <uv.h>

#include "http/request.h"
#include "http/server.h"
#include "http/syntax.h"

/* States of a connection. http__conn_set_state() is the only writer;
 * conn.c has one function per state (IDLE, HEADERS and BODY share the one
 * that runs the parser) and the loop, conn_step(). */
typedef enum {
    CONN_IDLE,     /* between requests: reading, the idle timer running */
    CONN_HEADERS,  /* a request has begun: its whole-header deadline running */
    CONN_BODY,     /* reading its body: the body timer re-armed on every read */
    CONN_DISPATCH, /* complete (llhttp paused after it): the loop hands it to the router */
    CONN_HANDLING, /* with its handler: input is kept, not parsed; no timer but writes' */
    CONN_FLUSHING, /* the last answer queued: waiting for it to be written; not reading */
    CONN_LINGER,   /* the last answer written, FIN sent: input discarded until EOF */
    CONN_CLOSED,   /* the socket closed: freed in the timer's close callback, once no
                      handler holds a request and no write is pending */
} http_conn_state_t;

typedef struct http_conn http_conn_t;

/* A growable byte string inside a request's arena (header names/values, url, body). */
typedef struct http_sbuf {
    char *p;
    size_t len, cap;
} http_sbuf_t;

struct http_conn {
    uv_tcp_t tcp; /* first member: (http_conn_t *)handle */
    uv_timer_t timer;
    llhttp_t parser;
    http_server_t *server;
    http_conn_t *prev, *next; /* the server's connection list */
    http_conn_state_t state;

    http_req_t *req;             /* the request being read or handled; NULL when idle */
    char peer[INET6_ADDRSTRLEN]; /* the peer's address once asked for (http_req_peer) */

    /* Unparsed input. Points into the server's shared read buffer while a
     * read is being parsed; copied into own memory (own = true) when bytes
     * are left over (pipelining, a handler still working). */
    char *in;
    size_t in_off, in_len, in_cap;
    bool in_own;

    /* Per-request parse state, reset at message begin. */
    http_sbuf_t url, hname, hval, body;
    size_t header_bytes;
    size_t nheaders, headers_cap;
    int last_cb;     /* which llhttp callback ran last, to catch obs-fold */
    int fail_status; /* why the request is refused (parser.c), for conn.c to answer */
    const char *fail_code;
    const char *fail_msg;
    char fail_text[160]; /* fail_msg when it is made up */
    uint64_t headers_deadline_ns;
    /* llhttp 8.1 checks neither obs-fold nor the CRLF after chunk data:
     * the callbacks look at the raw bytes around them for that. */
    const char *exec_start, *exec_end; /* the buffer llhttp_execute() is on */
    char prev_byte;                    /* last byte of the previous buffer */
    uint64_t chunk_left;               /* data bytes left in the current chunk */
    int crlf_check;                    /* bytes of the chunk's CRLF still to check */
    size_t chunk_ext_bytes;            /* chunk extension bytes of this request */
    /* The head's bytes are scanned before llhttp sees them (syntax.h). */
    http_head_scan_t head_scan;

    unsigned requests; /* requests dispatched on this connection */
    unsigned writes_pending;
    int handles_open;  /* tcp and timer, until their close callbacks */
    bool last_request; /* the request read or handled is the last: its answer says
                          Connection: close (the client's, http_req_close_after(), a refusal) */
    bool reading;      /* uv_read_start() in effect */
    bool in_step;      /* conn_step() is on the stack */
    /* What the loop's callbacks recorded, for conn_step(). */
    bool peer_eof; /* the client closed its side: no more input */
    int error;     /* a libuv error of the socket (read, write, shutdown): it closes */
    uv_shutdown_t shutdown;
};

struct http_server {
    uv_loop_t *loop;
    const sf_config_t *cfg;
    const http_router_t *router;
    uv_tcp_t listener;
    bool listening;
    bool accept_waiting; /* libuv holds an accepted fd until a slot frees */
    bool draining;
    bool closing;
    size_t nconns;
    http_conn_t *conns;
    char *rbuf; /* shared read buffer: reads are parsed before the next one */
    bool rbuf_busy;
    void (*done)(http_server_t *s);
    bool listener_open;
    uv_timer_t linger; /* a last holder's drain: accepting a little longer */
    bool linger_open;
    http_server_stats_t stats;
    http_hooks_t hooks;
    void *data;
    uint64_t rng[2];
};

/* conn.c */
/* The one writer of c->state: traced at debug level, re-arms the timer. */
void http__conn_set_state(http_conn_t *c, http_conn_state_t st);
void http__conn_accept(http_server_t *s);
/* Takes an accepted socket fd (drain: the listener's backlog is emptied). */
void http__conn_adopt(http_server_t *s, int fd);
void http__conn_close(http_conn_t *c);
/* The server drains: re-arms an idle connection's timer for the grace. */
void http__conn_drain(http_conn_t *c);
/* Called by response.c once a request's answer is queued. */
void http__conn_answered(http_conn_t *c, http_req_t *req);
/* Called by response.c once a request's answer is fully written (or dropped). */
void http__conn_request_done(http_conn_t *c, http_req_t *req);
/* Writes bufs on the connection; done is called with req when written or dropped. */
void http__conn_write(http_conn_t *c, http_req_t *req, uv_buf_t *bufs, unsigned nbufs);
bool http__conn_will_close(const http_conn_t *c);
void http__server_conn_closed(http_server_t *s, http_conn_t *c);
void http__request_id_new(http_server_t *s, char *out /* 33 bytes */);
/* The next word of the server's generator (xorshift128+, seeded by the
 * kernel): unique, cheap ids, not secrets. */
uint64_t http__random64(http_server_t *s);

/* parser.c */
void http__parser_init(http_conn_t *c);
/* Starts a request: a fresh arena and http_req_t in c->req, the parse
 * state reset, state HEADERS. Returns 0, or -1 when out of memory. */
int http__parser_begin(http_conn_t *c);
/* Runs llhttp on len bytes at data; returns the bytes used. It stops after
 * a complete request (state DISPATCH, the rest left for the next one).
 * Returns -1 when the input is refused: c->fail_* say how to answer. */
ssize_t http__parser_execute(http_conn_t *c, const char *data, size_t len);
/* Fills the request's fields (method, path, query, body, request id) from
 * what was parsed. */
void http__parser_finish(http_conn_t *c);

/* response.c */
void http__req_free(http_req_t *req);

#endif
