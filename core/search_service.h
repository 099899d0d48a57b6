/* The way a handler gets a search answered: a chain of services, each
 * answering from what it holds or asking the next one. main.c builds the
 * chain: L1 memory cache -> single-flight -> L2 Redis -> L3 PostgreSQL ->
 * the fan-out search (search_direct.c), leaving out the tiers that are not
 * configured. Each link has the same interface and obeys the same protocol
 * (below), so a tier is added or removed without touching the others or
 * the handler. */
#ifndef SF_SEARCH_SERVICE_H
#define SF_SEARCH_SERVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/blob.h"
#include "core/paper.h"
#include "core/query.h"
#include "core/queue.h"

/* A finished answer. The blobs are the caller's to keep with blob_ref(). */
typedef struct search_reply {
    int status;   /* 200, or 502 when every provider failed */
    blob_t *body; /* the JSON answer (starts with '{') */
    /* Optional, for gzip answers without compressing per request: the raw
     * DEFLATE stream (no header, ends with a final block) of the body
     * without its first byte, and the CRC-32 of those bytes. The HTTP
     * layer splices the request id in front (http/gzip_splice.c). */
    blob_t *body_deflate;
    uint32_t body_crc32;
    uint64_t etag;    /* a strong validator of body (search_reply_etag()) */
    const char *tier; /* who answered: "memory", "redis", "postgres", "search" */
    int64_t age_s;    /* seconds since the answer was computed */
    bool stale;       /* served past its TTL while a refresh runs */
    /* What the answer says, as values computed once by the fan-out and
     * carried by every tier beside the bytes (never parsed back out): */
    bool partial;   /* a provider asked failed or was late (see search_reply_partial()) */
    int64_t total;  /* distinct papers found, before limit and offset */
    double took_ms; /* the fan-out's time, as the body's "took_ms" */
} search_reply_t;

typedef void (*search_reply_cb)(const search_reply_t *reply, void *data);

typedef struct search_request {
    const query_t *query; /* valid during fetch() only: copy what you keep */
    const char *key;      /* query_key(query): the cache key */
    int deadline_ms;
} search_request_t;

/* The one protocol of every link (and of the caller of the head):
 *
 *  - fetch() never calls cb before it returns. A link that has the answer
 *    at once (an L1 hit, a fan-out whose providers all answered inside
 *    their start) delivers it on a later loop turn (core/defer.h). So a
 *    caller keeps the handle, and may touch its own state, after fetch()
 *    whatever the link does; no link needs to know whether it is inside
 *    the fetch() of the link below.
 *  - fetch() returns a handle: cb runs exactly once, later, unless
 *    cancel(handle) comes first; after cb ran the handle is spent.
 *  - fetch() returns NULL when it could not take the request (out of
 *    memory): cb will never run, nothing of req is kept, and the caller
 *    answers for itself (a link whose fetch() is running returns NULL in
 *    turn; one answering from a callback sends search_reply_oom()).
 *  - cb may fetch() or cancel() anything, except the handle being
 *    answered. */
typedef struct search_service search_service_t;
struct search_service {
    void *ctx;
    void *(*fetch)(search_service_t *self, const search_request_t *req, search_reply_cb cb,
                   void *data);
    /* The waiter behind handle is gone: cb will not run; work nobody else
     * waits for stops. */
    void (*cancel)(search_service_t *self, void *handle);
};

/* Sends cb a 500 answer from tier ("out of memory") now: from a callback,
 * never inside a fetch() (there, return NULL instead). */
void search_reply_oom(search_reply_cb cb, void *data, const char *tier);

/* The body of that answer as a new blob, or NULL. */
blob_t *search_reply_oom_body(void);

/* A 200 answer that lacks a provider's part (one failed or was late):
 * r->partial of a 200.
 * Caches keep it at most SEARCH_PARTIAL_TTL_MAX_MS, without stale grace,
 * and tell HTTP caches no longer, so the provider is asked again soon. */
bool search_reply_partial(const search_reply_t *r);
#define SEARCH_PARTIAL_TTL_MAX_MS 10000

/* A 64-bit hash of n bytes (FNV-1a's step on 8-byte words): the ETag of
 * an answer. */
uint64_t search_reply_etag(const void *bytes, size_t n);

/* True when n bytes read back from a tier can be an answer body: a JSON
 * object, or an export by its first byte (core/export.h: BibTeX '@', RIS
 * 'T', CSL-JSON '[', an empty list "\n"). The tiers check what they read. */
bool search_reply_body_ok(const void *bytes, size_t n);

/* ---- the chain and who hears of its answers ------------------------------
 *
 * Beside the clients, others want to know what the chain answered: the
 * store's write-behind (the papers of each fan-out), analytics (each query
 * answered), events (each answer sent). They are observers of the one
 * chain, added by main.c; the fan-out link and the callers of the head tell
 * the chain, which tells every observer in the order they were added. Each
 * callback is optional, runs inside the teller's callback, and must not
 * fetch() or cancel(). */
typedef struct search_observer search_observer_t;
struct search_observer {
    /* The fan-out computed r for q; papers are every distinct paper merged
     * (before filters and the page), valid during the call only. */
    void (*computed)(void *ctx, const query_t *q, const search_reply_t *r, const paper_t *papers,
                     size_t n);
    /* A client got r for q, from whichever tier (HTTP or MCP). */
    void (*answered)(void *ctx, const query_t *q, const search_reply_t *r);
    /* An HTTP request's answer, once written (a single search) or as it
     * comes (a batch's): the request's id and start (clock_now_ns()). */
    void (*sent)(void *ctx, const search_reply_t *r, const char *request_id, uint64_t start_ns);
    void *ctx;
    /* private */
    sf_queue_t node;
};

typedef struct search_chain {
    search_service_t *head; /* what callers fetch() from; main.c sets it */
    /* private */
    sf_queue_t observers;
} search_chain_t;

/* An empty chain: no head yet, no observers. */
void search_chain_init(search_chain_t *c);

/* Adds o (which must outlive the chain) to the observers. */
void search_chain_observe(search_chain_t *c, search_observer_t *o);

/* Tell the observers (c may be NULL: nobody hears). */
void search_chain_computed(const search_chain_t *c, const query_t *q, const search_reply_t *r,
                           const paper_t *papers, size_t n);
void search_chain_answered(const search_chain_t *c, const query_t *q, const search_reply_t *r);
void search_chain_sent(const search_chain_t *c, const search_reply_t *r, const char *request_id,
                       uint64_t start_ns);

#endif
