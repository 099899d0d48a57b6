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
#include "core/escape.h"
#include "core/log.h"
#include "core/metrics.h"
#include "store/events.h"

#define SUBJECT_SEARCH "search.completed"
#define SUBJECT_PAPERS "papers.indexed"
#define EVENT_VERSION 1
#define POP_BATCH 256
#define GATHER_MS 2
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
    char buf[]; /* a search's data, in the same allocation */
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
    bool waiting; /* the thread sleeps on cond: only then is a signal worth its syscall */
    /* The publisher thread's own. */
    natsOptions *opts;
    natsConnection *nc;
    char host[128];
    long pid;
    uint64_t seed; /* reconnect jitter */
    /* Set when the client refused an event for want of room while
     * disconnected, cleared on (re)connect: until then events are dropped
     * before any work is spent on them. Written by libnats' callback thread
     * and this thread: atomic. */
    int buffer_full;
};

static void item_free(ev_item_t *it)
{
    if (!it) return;
    if (it->data != it->buf) free(it->data);
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
        if (ev->waiting) uv_cond_signal(&ev->cond);
    }
    uv_mutex_unlock(&ev->mu);
    if (full) {
        metrics_event_dropped_queue(it->kind);
        item_free(it);
    }
}

static const char *find(const char *h, size_t hl, const char *n, size_t from)
{
    size_t nl = strlen(n);
    if (from >= hl) return NULL;
    return memmem(h + from, hl - from, n, nl);
}

/* The last occurrence of n in h at or after from, scanning backwards: the
 * providers are near the end of an answer, after its papers. */
static const char *find_last(const char *h, size_t hl, const char *n, size_t from)
{
    size_t nl = strlen(n);
    if (hl < nl || hl - nl < from) return NULL;
    for (size_t i = hl - nl + 1; i-- > from;)
        if (h[i] == n[0] && memcmp(h + i, n, nl) == 0) return h + i;
    return NULL;
}

void store_events_search(store_events_t *ev, const query_t *q, const search_reply_t *r,
                         const char *request_id, uint64_t start_ns)
{
    (void)q; /* the answer's own "query" says it as normalised */
    if (!ev || !r || !r->body) return;
    /* The answer without its papers: the members before "papers" and from
     * the top-level "providers" on. Both keys are unique at those places
     * (a quote inside a string is escaped; "query" has a "providers"
     * array, not an object). What the JSON means is read in the thread. */
    const char *b = (const char *)r->body->data;
    size_t bl = r->body->len;
    const char *papers = find(b, bl, ",\"papers\":[", 0);
    const char *prov = papers ? find_last(b, bl, ",\"providers\":{", (size_t)(papers - b)) : NULL;
    size_t head = papers && prov ? (size_t)(papers - b) : 0;
    size_t tail = papers && prov ? bl - (size_t)(prov - b) : 0;
    ev_item_t *it = malloc(sizeof *it + head + tail + 1);
    if (!it) goto oom;
    memset(it, 0, sizeof *it);
    it->kind = METRICS_EVENT_SEARCH;
    clock_gettime(CLOCK_REALTIME, &it->ts);
    it->status = r->status;
    it->stale = r->stale;
    it->age_s = r->age_s;
    it->duration_ms = (double)(clock_now_ns() - start_ns) / 1e6;
    snprintf(it->tier, sizeof it->tier, "%s", r->tier ? r->tier : "search");
    snprintf(it->request_id, sizeof it->request_id, "%s", request_id ? request_id : "");
    if (head) {
        it->data = it->buf;
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

/* Appends s to buf (at *o, cap bytes) as JSON string content. */
static void put_escaped(char *buf, size_t cap, size_t *o, const char *s)
{
    if (*o < cap) *o += json_escape_into(buf + *o, cap - *o, s);
}

/* search.completed without parsing: the answer's own members (already
 * JSON, from the worker's loop) between the envelope and this request's
 * figures. Returns a malloc'd text, or NULL. */
static char *search_event(const store_events_t *ev, const ev_item_t *it)
{
    char ts[40], head[512];
    size_t o = 0;
    iso_time(&it->ts, ts, sizeof ts);
    o += (size_t)snprintf(head, sizeof head,
                          "{\"event\":\"" SUBJECT_SEARCH
                          "\",\"version\":%d,\"ts\":\"%s\",\"host\":\"",
                          EVENT_VERSION, ts);
    put_escaped(head, sizeof head, &o, ev->host);
    o += (size_t)snprintf(head + o, sizeof head - o, "\",\"pid\":%ld,\"request_id\":\"", ev->pid);
    put_escaped(head, sizeof head, &o, it->request_id);
    o += (size_t)snprintf(head + o, sizeof head - o, "\",\"status\":%d", it->status);
    /* The answer's members: {"query":...,"providers":{...},...} or, for a
     * 502, {"error":{...},"query":...}; without them (not found) only ours. */
    const char *members = it->data && it->len > 2 ? it->data + 1 : "";
    size_t mlen = it->data && it->len > 2 ? it->len - 2 : 0;
    bool has_error = mlen >= 8 && memcmp(members, "\"error\":", 8) == 0;
    char tail[256];
    int tl = snprintf(tail, sizeof tail,
                      "%s\"duration_ms\":%.3f,\"cache\":{\"tier\":\"%s\",\"stale\":%s,"
                      "\"age_s\":%lld}%s}",
                      mlen ? "," : "", it->duration_ms, it->tier, it->stale ? "true" : "false",
                      (long long)it->age_s, has_error ? "" : ",\"error\":null");
    if (o >= sizeof head - 1 || tl < 0 || (size_t)tl >= sizeof tail) return NULL;
    char *out = malloc(o + 1 + mlen + (size_t)tl + 1);
    if (!out) return NULL;
    size_t k = 0;
    memcpy(out, head, o);
    k = o;
    if (mlen) {
        out[k++] = ',';
        memcpy(out + k, members, mlen);
        k += mlen;
    }
    memcpy(out + k, tail, (size_t)tl);
    k += (size_t)tl;
    out[k] = '\0';
    return out;
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
    if (__atomic_load_n(&ev->buffer_full, __ATOMIC_RELAXED)) {
        metrics_event_dropped_nats(it->kind);
        return;
    }
    char *text;
    if (it->kind == METRICS_EVENT_SEARCH) {
        text = search_event(ev, it);
    } else {
        json_t *o = papers_event(ev, it);
        text = o ? json_dumps(o, JSON_COMPACT) : NULL;
        json_decref(o);
    }
    natsStatus s = NATS_NO_MEMORY;
    if (text && ev->nc)
        s = natsConnection_PublishString(
            ev->nc, it->kind == METRICS_EVENT_SEARCH ? SUBJECT_SEARCH : SUBJECT_PAPERS, text);
    free(text);
    if (s == NATS_OK) {
        metrics_event_published(it->kind);
        return;
    }
    metrics_event_dropped_nats(it->kind);
    if (s == NATS_INSUFFICIENT_BUFFER) __atomic_store_n(&ev->buffer_full, 1, __ATOMIC_RELAXED);
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
    store_events_t *ev = closure;
    __atomic_store_n(&ev->buffer_full, 0, __ATOMIC_RELAXED);
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
        bool slept = false;
        while (ev->n == 0 && !ev->stop) {
            ev->waiting = true;
            uv_cond_wait(&ev->cond, &ev->mu);
            ev->waiting = false;
            slept = true;
        }
        if (slept && !ev->stop) {
            /* Let events gather for a moment: the loop signals only a
             * sleeping thread, so this makes one wake-up (a futex call on
             * the loop) per batch instead of one per event. */
            uv_mutex_unlock(&ev->mu);
            uv_sleep(GATHER_MS);
            uv_mutex_lock(&ev->mu);
        }
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
    uv_cond_signal(&ev->cond);
    uv_mutex_unlock(&ev->mu);
    if (ev->thread_started) uv_thread_join(&ev->thread);
    for (size_t i = 0; i < ev->n; i++)
        item_free(ev->ring[(ev->head + i) % ev->cap]);
    uv_cond_destroy(&ev->cond);
    uv_mutex_destroy(&ev->mu);
    free(ev->ring);
    free(ev);
}
