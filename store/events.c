/* Events on NATS: the worker's bounded queue and its publisher thread.
 *
 * Why a thread and not libnats' libuv adapter (nats/adapters/libuv.h) on
 * the worker's loop: with the adapter the loop itself calls libnats, and
 * in libnats 3.4 (Debian 12) two of those calls can wait for the network.
 * natsConnection_Connect() runs the first connect (TCP connect, INFO,
 * CONNECT and PING/PONG, up to natsOptions_SetTimeout) in the calling
 * thread. And the reconnect thread holds the connection's mutex while it
 * connects (conn.c: _doReconnect() calls _createConn() and
 * _processConnInit() under natsConn_Lock()), the mutex that
 * natsConnection_Publish() takes: a publish from the loop during a
 * reconnect to a server that accepts but does not answer waits for that
 * attempt, on the reply path of every request the loop serves. So the loop
 * never calls libnats. It pushes a pointer into this queue (a mutex held
 * only to push or pop one) and signals; the publisher thread does the rest
 * with libnats in its threaded mode (its own read and flush threads). */
#include <errno.h>
#include <jansson.h>
#include <nats/nats.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/metrics.h"
#include "store/events.h"

#define SUBJECT_SEARCH "search.completed"
#define SUBJECT_PAPERS "papers.indexed"
#define EVENT_VERSION 1
#define POP_BATCH 32
#define STOP_FLUSH_MS 1000
#define RID_MAX 128

typedef struct ev_item {
    metrics_event_t kind;
    char *data; /* search: the answer without "papers" (a JSON object); papers: the rows */
    size_t len;
    size_t n; /* papers: rows in data */
    struct timespec ts;
    /* search only */
    int status;
    bool stale;
    int64_t age_s;
    double duration_ms;
    char tier[16];
    char request_id[RID_MAX + 1];
} ev_item_t;

struct store_events {
    const sf_config_t *cfg;
    uv_thread_t thread;
    bool thread_started;
    /* The queue: a ring of cap items, guarded by mu. */
    uv_mutex_t mu;
    uv_cond_t cond;
    ev_item_t **ring;
    size_t cap, head, n;
    bool stop;
    /* The publisher thread's own. */
    natsOptions *opts;
    natsConnection *nc;
    char host[128];
    long pid;
    uint64_t seed; /* reconnect jitter */
};

static void item_free(ev_item_t *it)
{
    if (!it) return;
    free(it->data);
    free(it);
}

/* ---- the worker's side: copy, push, signal ------------------------------ */

static void push(store_events_t *ev, ev_item_t *it)
{
    bool full;
    uv_mutex_lock(&ev->mu);
    full = ev->n >= ev->cap;
    if (!full) {
        ev->ring[(ev->head + ev->n) % ev->cap] = it;
        ev->n++;
    }
    uv_mutex_unlock(&ev->mu);
    if (full) {
        metrics_event_dropped_queue(it->kind);
        item_free(it);
        return;
    }
    uv_cond_signal(&ev->cond);
}

static const char *find(const char *h, size_t hl, const char *n, size_t from)
{
    size_t nl = strlen(n);
    if (from >= hl) return NULL;
    return memmem(h + from, hl - from, n, nl);
}

/* The last occurrence of n in h at or after from, looking first in the
 * last 8 KiB (where the providers are) before the whole. */
static const char *find_last(const char *h, size_t hl, const char *n, size_t from)
{
    size_t starts[2] = {hl > 8192 && hl - 8192 > from ? hl - 8192 : from, from};
    for (int pass = 0; pass < 2; pass++) {
        const char *last = NULL, *p;
        size_t at = starts[pass];
        while ((p = find(h, hl, n, at)) != NULL) {
            last = p;
            at = (size_t)(p - h) + 1;
        }
        if (last || starts[pass] == from) return last;
    }
    return NULL;
}

void store_events_search(store_events_t *ev, const query_t *q, const search_reply_t *r,
                         const char *request_id, uint64_t start_ns)
{
    (void)q; /* the answer's own "query" says it as normalised */
    if (!ev || !r || !r->body) return;
    ev_item_t *it = calloc(1, sizeof *it);
    if (!it) goto oom;
    it->kind = METRICS_EVENT_SEARCH;
    clock_gettime(CLOCK_REALTIME, &it->ts);
    it->status = r->status;
    it->stale = r->stale;
    it->age_s = r->age_s;
    it->duration_ms = (double)(clock_now_ns() - start_ns) / 1e6;
    snprintf(it->tier, sizeof it->tier, "%s", r->tier ? r->tier : "search");
    snprintf(it->request_id, sizeof it->request_id, "%s", request_id ? request_id : "");
    /* The answer without its papers: the members before "papers" and from
     * the top-level "providers" on. Both keys are unique at those places
     * (a quote inside a string is escaped; "query" has a "providers"
     * array, not an object). What the JSON means is read in the thread. */
    const char *b = (const char *)r->body->data;
    size_t bl = r->body->len;
    const char *papers = find(b, bl, ",\"papers\":[", 0);
    const char *prov = papers ? find_last(b, bl, ",\"providers\":{", (size_t)(papers - b)) : NULL;
    if (papers && prov) {
        size_t head = (size_t)(papers - b), tail = bl - (size_t)(prov - b);
        it->data = malloc(head + tail + 1);
        if (!it->data) goto oom;
        memcpy(it->data, b, head);
        memcpy(it->data + head, prov, tail);
        it->len = head + tail;
        it->data[it->len] = '\0';
    }
    push(ev, it);
    return;
oom:
    item_free(it);
    metrics_event_dropped_queue(METRICS_EVENT_SEARCH);
}

void store_events_papers(store_events_t *ev, char *rows, size_t n)
{
    if (!ev) {
        free(rows);
        return;
    }
    ev_item_t *it = calloc(1, sizeof *it);
    if (!it) {
        free(rows);
        metrics_event_dropped_queue(METRICS_EVENT_PAPERS);
        return;
    }
    it->kind = METRICS_EVENT_PAPERS;
    clock_gettime(CLOCK_REALTIME, &it->ts);
    it->data = rows;
    it->len = rows ? strlen(rows) : 0;
    it->n = n;
    push(ev, it);
}

/* ---- the publisher thread ------------------------------------------------- */

static void iso_time(const struct timespec *ts, char *buf, size_t len)
{
    struct tm tm;
    gmtime_r(&ts->tv_sec, &tm);
    size_t o = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + o, len - o, ".%03ldZ", ts->tv_nsec / 1000000);
}

static json_t *envelope(const store_events_t *ev, const char *name, const ev_item_t *it)
{
    char ts[40];
    iso_time(&it->ts, ts, sizeof ts);
    json_t *o = json_object();
    if (!o) return NULL;
    json_object_set_new(o, "event", json_string(name));
    json_object_set_new(o, "version", json_integer(EVENT_VERSION));
    json_object_set_new(o, "ts", json_string(ts));
    json_object_set_new(o, "host", json_string(ev->host));
    json_object_set_new(o, "pid", json_integer(ev->pid));
    return o;
}

static json_t *member(json_t *frag, const char *key)
{
    json_t *v = frag ? json_object_get(frag, key) : NULL;
    return v ? json_incref(v) : json_null();
}

static json_t *search_event(const store_events_t *ev, const ev_item_t *it)
{
    json_t *o = envelope(ev, SUBJECT_SEARCH, it);
    if (!o) return NULL;
    json_t *frag = it->data ? json_loadb(it->data, it->len, 0, NULL) : NULL;
    json_object_set_new(o, "request_id", json_string(it->request_id));
    json_object_set_new(o, "status", json_integer(it->status));
    json_object_set_new(o, "query", member(frag, "query"));
    json_object_set_new(o, "total", member(frag, "total"));
    json_object_set_new(o, "offset", member(frag, "offset"));
    json_object_set_new(o, "limit", member(frag, "limit"));
    json_object_set_new(o, "partial", member(frag, "partial"));
    json_object_set_new(o, "providers", member(frag, "providers"));
    json_object_set_new(o, "took_ms", member(frag, "took_ms"));
    json_object_set_new(o, "duration_ms", json_real(it->duration_ms));
    json_object_set_new(o, "cache",
                        json_pack("{s:s, s:b, s:I}", "tier", it->tier, "stale", it->stale, "age_s",
                                  (json_int_t)it->age_s));
    json_object_set_new(o, "error", member(frag, "error"));
    json_decref(frag);
    return o;
}

static json_t *row_field(json_t *row, const char *key)
{
    json_t *v = json_object_get(row, key);
    return v ? json_incref(v) : json_null();
}

static json_t *papers_event(const store_events_t *ev, const ev_item_t *it)
{
    json_t *o = envelope(ev, SUBJECT_PAPERS, it);
    if (!o) return NULL;
    json_t *rows = it->data ? json_loadb(it->data, it->len, 0, NULL) : NULL;
    json_t *list = json_array();
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row)
    {
        const char *doi = json_string_value(json_object_get(row, "doi"));
        const char *ax = json_string_value(json_object_get(row, "arxiv_id"));
        char id[600] = "";
        if (doi && *doi)
            snprintf(id, sizeof id, "doi:%s", doi);
        else if (ax && *ax)
            snprintf(id, sizeof id, "arxiv:%s", ax);
        json_t *p = json_object();
        json_object_set_new(p, "id", id[0] ? json_string(id) : json_null());
        json_object_set_new(p, "doi", row_field(row, "doi"));
        json_object_set_new(p, "arxiv_id", row_field(row, "arxiv_id"));
        json_object_set_new(p, "title", row_field(row, "title"));
        json_object_set_new(p, "year", row_field(row, "year"));
        json_object_set_new(p, "sources", row_field(row, "sources"));
        json_object_set_new(p, "source_ids", row_field(row, "source_ids"));
        json_array_append_new(list, p);
    }
    json_object_set_new(o, "count", json_integer((json_int_t)it->n));
    json_object_set_new(o, "papers", list);
    json_decref(rows);
    return o;
}

static void publish(store_events_t *ev, const ev_item_t *it)
{
    json_t *o = it->kind == METRICS_EVENT_SEARCH ? search_event(ev, it) : papers_event(ev, it);
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    natsStatus s = NATS_NO_MEMORY;
    if (text && ev->nc)
        s = natsConnection_PublishString(
            ev->nc, it->kind == METRICS_EVENT_SEARCH ? SUBJECT_SEARCH : SUBJECT_PAPERS, text);
    free(text);
    if (s == NATS_OK)
        metrics_event_published(it->kind);
    else
        metrics_event_dropped_nats(it->kind);
}

/* Reconnect backoff: reconnect_wait doubled per failed round, capped at
 * reconnect_max_wait, with +-25 % jitter so that workers do not knock in
 * step. Runs in libnats' reconnect thread. */
static int64_t reconnect_delay(natsConnection *nc, int attempts, void *closure)
{
    (void)nc;
    store_events_t *ev = closure;
    int64_t base = ev->cfg->nats.reconnect_wait_ms, cap = ev->cfg->nats.reconnect_max_wait_ms;
    int64_t d = base;
    for (int i = 1; i < attempts && d < cap; i++)
        d *= 2;
    if (d > cap) d = cap;
    /* xorshift: only this thread touches seed */
    ev->seed ^= ev->seed << 13;
    ev->seed ^= ev->seed >> 7;
    ev->seed ^= ev->seed << 17;
    int64_t j = d / 4;
    if (j > 0) d += (int64_t)(ev->seed % (uint64_t)(2 * j + 1)) - j;
    return d > 0 ? d : 1;
}

static void on_connected(natsConnection *nc, void *closure)
{
    (void)nc;
    (void)closure;
    metrics_events_connected(true);
    log_write(LOG_INFO, "events: connected to NATS", LF_END);
}

static void on_disconnected(natsConnection *nc, void *closure)
{
    (void)nc;
    (void)closure;
    metrics_events_connected(false);
    log_write(LOG_WARN, "events: NATS connection lost, reconnecting", LF_END);
}

/* nats.url's comma-separated servers, trimmed, into opts. */
static bool set_servers(natsOptions *o, const char *url)
{
    char copy[CONFIG_STR_MAX];
    const char *servers[16];
    int n = 0;
    char *save = NULL;
    snprintf(copy, sizeof copy, "%s", url);
    for (char *t = strtok_r(copy, ",", &save); t && n < 16; t = strtok_r(NULL, ",", &save)) {
        while (*t == ' ' || *t == '\t')
            t++;
        size_t l = strlen(t);
        while (l && (t[l - 1] == ' ' || t[l - 1] == '\t'))
            t[--l] = '\0';
        if (l) servers[n++] = t;
    }
    return n > 0 && natsOptions_SetServers(o, servers, n) == NATS_OK;
}

static bool configure(store_events_t *ev)
{
    const sf_config_t *cfg = ev->cfg;
    natsOptions *o = NULL;
    if (natsOptions_Create(&o) != NATS_OK) return false;
    ev->opts = o;
    return set_servers(o, cfg->nats.url) && natsOptions_SetName(o, "scifind") == NATS_OK &&
           natsOptions_SetTimeout(o, cfg->nats.connect_timeout_ms) == NATS_OK &&
           natsOptions_SetAllowReconnect(o, true) == NATS_OK &&
           natsOptions_SetMaxReconnect(o, -1) == NATS_OK &&
           natsOptions_SetReconnectWait(o, cfg->nats.reconnect_wait_ms) == NATS_OK &&
           natsOptions_SetCustomReconnectDelay(o, reconnect_delay, ev) == NATS_OK &&
           natsOptions_SetReconnectBufSize(o, (int)cfg->nats.buffer_bytes) == NATS_OK &&
           natsOptions_SetRetryOnFailedConnect(o, true, on_connected, ev) == NATS_OK &&
           natsOptions_SetDisconnectedCB(o, on_disconnected, ev) == NATS_OK &&
           natsOptions_SetReconnectedCB(o, on_connected, ev) == NATS_OK;
}

static void publisher_main(void *arg)
{
    store_events_t *ev = arg;
    natsStatus s = nats_Open(-1);
    if (s == NATS_OK && configure(ev)) {
        s = natsConnection_Connect(&ev->nc, ev->opts);
        if (s == NATS_OK) {
            on_connected(ev->nc, ev);
        } else if (s == NATS_NOT_YET_CONNECTED) {
            log_write(LOG_WARN, "events: NATS not reachable yet, retrying in the background",
                      LF_STR, "url", ev->cfg->nats.url, LF_END);
        } else {
            log_write(LOG_ERROR, "events: cannot use NATS; events are dropped", LF_STR, "url",
                      ev->cfg->nats.url, LF_STR, "error", natsStatus_GetText(s), LF_END);
            ev->nc = NULL;
        }
    } else {
        log_write(LOG_ERROR, "events: cannot set up the NATS client; events are dropped", LF_STR,
                  "error", natsStatus_GetText(s), LF_END);
    }

    uint64_t stop_by = 0;
    for (;;) {
        ev_item_t *batch[POP_BATCH];
        size_t k = 0;
        bool stopping;
        uv_mutex_lock(&ev->mu);
        while (ev->n == 0 && !ev->stop)
            uv_cond_wait(&ev->cond, &ev->mu);
        while (k < POP_BATCH && ev->n > 0) {
            batch[k++] = ev->ring[ev->head];
            ev->head = (ev->head + 1) % ev->cap;
            ev->n--;
        }
        stopping = ev->stop;
        uv_mutex_unlock(&ev->mu);
        if (stopping && !stop_by) stop_by = clock_now_ns() + STOP_FLUSH_MS * 1000000ull;
        for (size_t i = 0; i < k; i++) {
            if (stop_by && clock_now_ns() > stop_by)
                metrics_event_dropped_nats(batch[i]->kind);
            else
                publish(ev, batch[i]);
            item_free(batch[i]);
        }
        if (stopping && k == 0) break;
    }

    if (ev->nc) {
        if (natsConnection_Status(ev->nc) == NATS_CONN_STATUS_CONNECTED)
            natsConnection_FlushTimeout(ev->nc, STOP_FLUSH_MS);
        natsConnection_Close(ev->nc);
        natsConnection_Destroy(ev->nc);
        ev->nc = NULL;
    }
    metrics_events_connected(false);
    natsOptions_Destroy(ev->opts);
    ev->opts = NULL;
    nats_CloseAndWait(2 * STOP_FLUSH_MS);
}

store_events_t *store_events_new(const sf_config_t *cfg)
{
    if (!cfg->nats.url[0]) return NULL;
    store_events_t *ev = calloc(1, sizeof *ev);
    if (!ev) goto oom;
    ev->cfg = cfg;
    ev->cap = (size_t)cfg->nats.queue_max;
    ev->ring = calloc(ev->cap, sizeof *ev->ring);
    if (!ev->ring) goto oom;
    if (gethostname(ev->host, sizeof ev->host - 1) != 0) snprintf(ev->host, sizeof ev->host, "?");
    ev->pid = (long)getpid();
    ev->seed = clock_now_ns() ^ ((uint64_t)ev->pid << 32) ^ 0x9e3779b97f4a7c15ull;
    if (uv_mutex_init(&ev->mu) != 0) goto oom;
    if (uv_cond_init(&ev->cond) != 0) {
        uv_mutex_destroy(&ev->mu);
        goto oom;
    }
    if (uv_thread_create(&ev->thread, publisher_main, ev) != 0) {
        log_write(LOG_ERROR, "events: cannot start the publisher thread", LF_END);
        uv_cond_destroy(&ev->cond);
        uv_mutex_destroy(&ev->mu);
        free(ev->ring);
        free(ev);
        return NULL;
    }
    ev->thread_started = true;
    log_write(LOG_INFO, "events: publishing on NATS", LF_STR, "url", cfg->nats.url, LF_INT,
              "queue_max", cfg->nats.queue_max, LF_END);
    return ev;
oom:
    if (ev) free(ev->ring);
    free(ev);
    log_error("events: out of memory");
    return NULL;
}

void store_events_free(store_events_t *ev)
{
    if (!ev) return;
    uv_mutex_lock(&ev->mu);
    ev->stop = true;
    uv_mutex_unlock(&ev->mu);
    uv_cond_signal(&ev->cond);
    if (ev->thread_started) uv_thread_join(&ev->thread);
    for (size_t i = 0; i < ev->n; i++)
        item_free(ev->ring[(ev->head + i) % ev->cap]);
    uv_cond_destroy(&ev->cond);
    uv_mutex_destroy(&ev->mu);
    free(ev->ring);
    free(ev);
}
