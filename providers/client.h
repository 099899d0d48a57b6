/* The HTTP client for providers: one libcurl multi handle per worker,
 * driven by the worker's libuv loop (multi_socket_action with uv_poll and a
 * uv_timer). Connections are kept alive and reused, capped per host, HTTP/2
 * multiplexed where the server offers it; DNS answers and TLS sessions are
 * shared by every transfer of the worker; gzip is accepted. */
#ifndef SF_PROV_CLIENT_H
#define SF_PROV_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "providers/provider.h"

typedef struct prov_client prov_client_t;
typedef struct prov_call prov_call_t;

typedef struct prov_client_opts {
    const char *user_agent;    /* e.g. "scifind/0.1.0 (mailto:ops@example.org)" */
    long max_host_connections; /* per host; 0 = libcurl's default (no cap) */
    size_t max_response_bytes; /* a body past this is cut and the call fails */
    /* libcurl sends a request again on its own when the reused connection
     * it went out on turns out dead. Asked before each such re-send, with
     * the call's data: false aborts the call instead (PROV_CALL_ERROR).
     * NULL: always allowed. */
    bool (*allow_resend)(void *data);
} prov_client_opts_t;

typedef enum {
    PROV_CALL_OK = 0,    /* an HTTP answer arrived (any status: see http_status) */
    PROV_CALL_TIMEOUT,   /* connect or total timeout */
    PROV_CALL_TOO_LARGE, /* body over max_response_bytes */
    PROV_CALL_ERROR,     /* connection refused, reset, bad HTTP, ... */
} prov_call_outcome_t;

/* Called once per call that was not cancelled, from the loop (never from
 * inside libcurl). The call stays valid until prov_call_free(). */
typedef void (*prov_call_cb)(prov_call_t *call, void *data);

/* Receives a 2xx answer's body piece by piece as it arrives (from inside
 * libcurl's write callback: it must not start or cancel calls). */
typedef void (*prov_body_sink_fn)(void *ctx, const char *p, size_t n);

/* How much of a streamed body the call keeps: what the verdict reads for
 * the signs of throttling and blocking (providers/answers.c peeks as far). */
#define PROV_CALL_PEEK 4096

struct prov_call {
    /* Read-only once the callback runs. */
    prov_call_outcome_t outcome;
    long http_status; /* 0 when no answer */
    char *body;       /* NUL-terminated; NULL when empty; only its first bytes when streamed */
    size_t body_len;
    size_t body_total; /* bytes of the body that arrived, kept or not */
    bool streamed;  /* the body went to the sink (2xx); body holds its first PROV_CALL_PEEK bytes */
    bool restarted; /* a new answer began after body bytes of another arrived */
    double latency_ms;
    long retry_after_s; /* from a Retry-After header (seconds form), -1 if none */
    unsigned resends;   /* times libcurl sent the request again (dead reused connection) */
    /* A metered provider's budget headers (OpenAlex X-RateLimit-Limit-USD,
     * -Remaining-USD, -Cost-USD, X-RateLimit-Reset in seconds); -1 if none. */
    double budget_limit_usd, budget_remaining_usd, budget_cost_usd;
    long budget_reset_s;
    char error[256]; /* libcurl's message when outcome != OK */

    /* Private. */
    prov_client_t *client;
    void *easy;    /* CURL * */
    void *headers; /* struct curl_slist * */
    size_t body_cap;
    uint64_t start_ns;
    prov_call_cb cb;
    void *data;
    prov_call_t *next_done;
    unsigned sends;      /* times the request went out */
    bool got_header;     /* an answer's header arrived since the last send */
    bool saw_length;     /* this answer's header block: Content-Length */
    bool saw_chunked;    /* ... and Transfer-Encoding: chunked */
    bool bad_framing;    /* both: the call was aborted (RFC 9112 6.3) */
    bool resend_refused; /* allow_resend said no */
    prov_body_sink_fn sink;
    void *sink_ctx;
    bool sink_decided; /* the first body byte told whether the answer is 2xx */
};

/* Returns a client on loop, or NULL. */
prov_client_t *prov_client_new(uv_loop_t *loop, const prov_client_opts_t *opts);

/* Starts req. connect_timeout_ms and timeout_ms bound the call. Returns the
 * call, or NULL when it could not be started (cb is then never called). */
prov_call_t *prov_client_start(prov_client_t *c, const prov_request_t *req, long connect_timeout_ms,
                               long timeout_ms, prov_call_cb cb, void *data);

/* Sends the body of a 2xx answer to fn(ctx, ...) while it arrives instead
 * of keeping it whole (call->streamed); any other answer is kept whole as
 * before (its message is read from it). Set right after
 * prov_client_start(), before the loop runs. The size cap counts every
 * byte either way. */
void prov_call_stream(prov_call_t *call, prov_body_sink_fn fn, void *ctx);

/* Stops a call whose callback has not run yet and frees it; its callback
 * will not run. */
void prov_call_cancel(prov_call_t *call);

/* Frees a call after its callback ran. */
void prov_call_free(prov_call_t *call);

/* Number of calls in flight. */
size_t prov_client_active(const prov_client_t *c);

/* Ends every call in flight at once, in time linear in their number (the
 * worker stops at its drain deadline): their callbacks never run, each is
 * still its owner's to cancel, and new calls fail. The cached connections
 * close (on_socket / on_close_socket close their polls). */
void prov_client_abort(prov_client_t *c);

/* Cancels every call and releases the client; handles close on the loop,
 * so run it once more afterwards. */
void prov_client_free(prov_client_t *c);

#endif
