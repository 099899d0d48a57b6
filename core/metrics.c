/* Group-wide metrics in shared memory, rendered as Prometheus text.
 * See core/metrics.h for the slot life cycle. */
#include "core/metrics.h"

#include "core/clock.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/shm.h"

_Static_assert(PSTAT_COUNT <= SHM_PSTATUSES, "a metrics slot counts every provider status");

/* One writer per slot: a relaxed load and store are enough (no lock
 * prefix), and readers never see a torn 64-bit value. */
#define M_LOAD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define M_SET(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
#define M_ADD(x, n) M_SET(x, M_LOAD(x) + (n))

/* Status codes with their own label; anything else is "other" (the last). */
static const int http_codes[SHM_HTTP_CODES - 1] = {200, 201, 204, 206, 301, 302, 304, 400, 401,
                                                   403, 404, 405, 408, 409, 413, 414, 415, 417,
                                                   422, 429, 431, 500, 501, 502, 503};

/* Histogram upper bounds in microseconds; the +Inf bucket is the count. */
static const uint64_t http_bounds_us[SHM_HIST_BUCKETS] = {
    1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, 2500000, 5000000};
static const uint64_t prov_bounds_us[] = {100000,  250000,  500000,  1000000,
                                          2500000, 5000000, 10000000};
#define PROV_BUCKETS (sizeof prov_bounds_us / sizeof prov_bounds_us[0])
/* Loop lag: the timer's resolution is a millisecond, so below 1 ms is noise. */
static const uint64_t lag_bounds_us[] = {1000,   2000,   5000,   10000,   25000,  50000,
                                         100000, 250000, 500000, 1000000, 2500000};
#define LAG_BUCKETS (sizeof lag_bounds_us / sizeof lag_bounds_us[0])
_Static_assert(LAG_BUCKETS <= SHM_HIST_BUCKETS, "loop lag bounds fit a histogram");

#define ROUTE_NONE 0
#define ROUTE_OTHER (SHM_ROUTES - 1)

static shm_metrics_t local_slot; /* no shared region, or every slot taken */
static char local_routes[SHM_ROUTES][SHM_ROUTE_NAME];
static int my_slot = -1;
static int my_pid;
static shm_metrics_t *me = &local_slot;

/* Route pattern -> id, this process's memo of the interned names. */
static struct {
    const char *pattern;
    int id;
} route_memo[SHM_ROUTES];
static int route_memo_n;

static bool pid_alive(int pid)
{
    return pid > 0 && (kill(pid, 0) == 0 || errno != ESRCH);
}

static void reset_gauges(shm_metrics_t *m)
{
    M_SET(m->http_in_flight, 0);
    M_SET(m->searches_in_flight, 0);
    for (int i = 0; i < SHM_DB_STATES; i++)
        M_SET(m->db_connections[i], 0);
    M_SET(m->events_connected, 0);
    M_SET(m->loop_idle_ns, 0);
}

int metrics_attach(void)
{
    shm_region_t *r = shm_get();
    int pid = (int)getpid();
    if (my_slot >= 0 && my_pid == pid) return my_slot;
    my_slot = -1; /* a forked child does not inherit its parent's slot */
    me = &local_slot;
    route_memo_n = 0;
    if (!r) return -1;
    /* First pass: a free slot; second: the slot of a process that is gone. */
    for (int pass = 0; pass < 2 && my_slot < 0; pass++) {
        for (int i = 0; i < SHM_MAX_WORKERS; i++) {
            int cur = __atomic_load_n(&r->workers[i].pid, __ATOMIC_ACQUIRE);
            if (pass == 0 ? cur != 0 : (cur == 0 || pid_alive(cur))) continue;
            if (__atomic_compare_exchange_n(&r->workers[i].pid, &cur, pid, false, __ATOMIC_ACQ_REL,
                                            __ATOMIC_ACQUIRE)) {
                my_slot = i;
                break;
            }
        }
    }
    if (my_slot < 0) return -1;
    my_pid = pid;
    me = &r->metrics[my_slot];
    reset_gauges(me);
    M_SET(me->used, 1);
    return my_slot;
}

void metrics_detach(void)
{
    shm_region_t *r = shm_get();
    if (my_slot < 0 || !r || my_pid != (int)getpid()) return;
    reset_gauges(me);
    int expected = my_pid;
    __atomic_compare_exchange_n(&r->workers[my_slot].pid, &expected, 0, false, __ATOMIC_ACQ_REL,
                                __ATOMIC_ACQUIRE);
    my_slot = -1;
    me = &local_slot;
}

int metrics_slot(void)
{
    return my_slot;
}

/* Finds or adds name in the group's route table. */
static int route_intern(const char *name)
{
    shm_region_t *r = shm_get();
    char(*names)[SHM_ROUTE_NAME] = r ? r->route_names : local_routes;
    int id = ROUTE_OTHER;
    if (strlen(name) >= SHM_ROUTE_NAME) return ROUTE_OTHER;
    if (r) shm_lock(&r->metrics_lock);
    for (int i = 1; i < ROUTE_OTHER; i++) {
        if (names[i][0] == '\0') {
            memcpy(names[i], name, strlen(name) + 1);
            id = i;
            break;
        }
        if (strcmp(names[i], name) == 0) {
            id = i;
            break;
        }
    }
    if (r) shm_unlock(&r->metrics_lock);
    return id;
}

static int route_id(const char *route)
{
    if (!route) return ROUTE_NONE;
    for (int i = 0; i < route_memo_n; i++)
        if (route_memo[i].pattern == route) return route_memo[i].id;
    int id = route_intern(route);
    if (route_memo_n < SHM_ROUTES) route_memo[route_memo_n++] = (typeof(route_memo[0])){route, id};
    return id;
}

static int code_index(int status)
{
    for (int i = 0; i < SHM_HTTP_CODES - 1; i++)
        if (http_codes[i] == status) return i;
    return SHM_HTTP_CODES - 1;
}

static void hist_observe(shm_hist_t *h, const uint64_t *bounds, size_t nbounds, double ms)
{
    uint64_t us = ms <= 0 ? 0 : (uint64_t)(ms * 1000.0);
    size_t i = 0;
    while (i < nbounds && us > bounds[i])
        i++;
    if (i < nbounds) M_ADD(h->buckets[i], 1);
    M_ADD(h->count, 1);
    M_ADD(h->sum_us, us);
}

void metrics_http_request(const char *route, int status, double duration_ms)
{
    int rid = route_id(route);
    M_ADD(me->http_requests[rid][code_index(status)], 1);
    int cls = status >= 100 && status < 600 ? status / 100 : 0;
    hist_observe(&me->http_duration[rid][cls], http_bounds_us, SHM_HIST_BUCKETS, duration_ms);
}

void metrics_loop_tick(uint64_t lag_us, uint64_t idle_ns)
{
    hist_observe(&me->loop_lag, lag_bounds_us, LAG_BUCKETS, (double)lag_us / 1000.0);
    M_SET(me->loop_idle_ns, (int64_t)idle_ns);
}

void metrics_http_in_flight(int delta)
{
    M_ADD(me->http_in_flight, delta);
}

void metrics_searches_in_flight(int delta)
{
    M_ADD(me->searches_in_flight, delta);
}

long metrics_searches_in_flight_now(void)
{
    return (long)M_LOAD(me->searches_in_flight);
}

void metrics_count(metrics_counter_t c)
{
    switch (c) {
    case METRIC_RATE_LIMITED:
        M_ADD(me->rate_limited, 1);
        break;
    case METRIC_SHED:
        M_ADD(me->shed, 1);
        break;
    case METRIC_UNAUTHORIZED:
        M_ADD(me->unauthorized, 1);
        break;
    case METRIC_FORBIDDEN:
        M_ADD(me->forbidden, 1);
        break;
    case METRIC_RATELIMIT_REDIS_TAKE:
        M_ADD(me->ratelimit_redis_takes, 1);
        break;
    case METRIC_RATELIMIT_REDIS_ERROR:
        M_ADD(me->ratelimit_redis_errors, 1);
        break;
    }
}

void metrics_provider_call(source_t src, search_pstatus_t status, double latency_ms)
{
    if ((unsigned)src >= SRC_COUNT || (unsigned)status >= SHM_PSTATUSES) return;
    M_ADD(me->prov_requests[src][status], 1);
    hist_observe(&me->prov_search_duration[src], prov_bounds_us, PROV_BUCKETS, latency_ms);
    if (status == PSTAT_OK || status == PSTAT_ERROR || status == PSTAT_TIMEOUT)
        hist_observe(&me->prov_response_time[src], prov_bounds_us, PROV_BUCKETS, latency_ms);
}

void metrics_provider_retry(source_t src, metrics_retry_t outcome)
{
    if ((unsigned)src < SRC_COUNT && (unsigned)outcome < SHM_RETRY_OUTCOMES)
        M_ADD(me->prov_retries[src][outcome], 1);
}

void metrics_cache_hit(metrics_tier_t tier)
{
    if ((unsigned)tier < SHM_CACHE_TIERS) M_ADD(me->cache_hits[tier], 1);
}

void metrics_cache_miss(metrics_tier_t tier)
{
    if ((unsigned)tier < SHM_CACHE_TIERS) M_ADD(me->cache_misses[tier], 1);
}

void metrics_event_published(metrics_event_t e)
{
    M_ADD(me->events_published[e & 1], 1);
}

void metrics_event_dropped_queue(metrics_event_t e)
{
    M_ADD(me->events_dropped_queue[e & 1], 1);
}

void metrics_event_dropped_nats(metrics_event_t e)
{
    M_ADD(me->events_dropped_nats[e & 1], 1);
}

void metrics_events_connected(bool up)
{
    M_SET(me->events_connected, up ? 1 : 0);
}

void metrics_db_connections(int idle, int active, int connecting, int broken)
{
    M_SET(me->db_connections[0], idle);
    M_SET(me->db_connections[1], active);
    M_SET(me->db_connections[2], connecting);
    M_SET(me->db_connections[3], broken);
}

/* ---- rendering ---------------------------------------------------------- */

typedef struct out {
    char *p;
    size_t len, cap;
    bool oom;
} out_t;

static void put(out_t *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(out_t *o, const char *fmt, ...)
{
    if (o->oom) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            o->oom = true;
            return;
        }
        if ((size_t)n < o->cap - o->len) {
            o->len += (size_t)n;
            return;
        }
        size_t cap = o->cap * 2 + (size_t)n;
        char *p = realloc(o->p, cap);
        if (!p) {
            o->oom = true;
            return;
        }
        o->p = p;
        o->cap = cap;
    }
}

static void family(out_t *o, const char *name, const char *type, const char *help)
{
    put(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value with \, " and newline escaped. */
static const char *esc(const char *s, char *buf, size_t len)
{
    size_t j = 0;
    for (; *s && j + 3 < len; s++) {
        if (*s == '\\' || *s == '"') {
            buf[j++] = '\\';
            buf[j++] = *s;
        } else if (*s == '\n') {
            buf[j++] = '\\';
            buf[j++] = 'n';
        } else {
            buf[j++] = *s;
        }
    }
    buf[j] = '\0';
    return buf;
}

static void put_hist(out_t *o, const char *name, const char *labels, const shm_hist_t *h,
                     const uint64_t *bounds, size_t nbounds)
{
    uint64_t cum = 0;
    for (size_t i = 0; i < nbounds; i++) {
        cum += h->buckets[i];
        put(o, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, labels, *labels ? "," : "",
            (double)bounds[i] / 1e6, (unsigned long long)cum);
    }
    put(o, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, *labels ? "," : "",
        (unsigned long long)h->count);
    const char *open = *labels ? "{" : "", *close = *labels ? "}" : "";
    put(o, "%s_sum%s%s%s %.6f\n", name, open, labels, close, (double)h->sum_us / 1e6);
    put(o, "%s_count%s%s%s %llu\n", name, open, labels, close, (unsigned long long)h->count);
}

static void hist_add(shm_hist_t *dst, const shm_hist_t *src)
{
    for (int i = 0; i < SHM_HIST_BUCKETS; i++)
        dst->buckets[i] += M_LOAD(src->buckets[i]);
    dst->count += M_LOAD(src->count);
    dst->sum_us += M_LOAD(src->sum_us);
}

/* Process figures from /proc/<pid>. Returns false when it is gone. */
typedef struct proc_figures {
    double cpu_seconds, start_seconds;
    uint64_t rss_bytes, vsize_bytes;
    long fds;
} proc_figures_t;

static bool proc_read(int pid, proc_figures_t *pf)
{
    char path[64], buf[1024];
    memset(pf, 0, sizeof *pf);
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "re");
    if (!f) return false;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')'); /* the command name may hold spaces */
    if (!p) return false;
    unsigned long utime = 0, stime = 0, vsize = 0;
    unsigned long long start = 0;
    long rss = 0;
    /* Fields 3.. after the name: state ppid pgrp session tty tpgid flags minflt cminflt majflt
     * cmajflt utime stime cutime cstime priority nice threads itrealvalue starttime vsize rss */
    if (sscanf(p + 2,
               "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu %*d %*d %*d %*d %*d %*d "
               "%llu %lu %ld",
               &utime, &stime, &start, &vsize, &rss) != 5)
        return false;
    long tick = sysconf(_SC_CLK_TCK);
    long page = sysconf(_SC_PAGESIZE);
    if (tick <= 0) tick = 100;
    pf->cpu_seconds = (double)(utime + stime) / (double)tick;
    pf->start_seconds = (double)start / (double)tick; /* since boot */
    pf->vsize_bytes = vsize;
    pf->rss_bytes = (uint64_t)(rss > 0 ? rss : 0) * (uint64_t)(page > 0 ? page : 4096);
    snprintf(path, sizeof path, "/proc/%d/fd", pid);
    DIR *d = opendir(path);
    pf->fds = -1;
    if (d) {
        long c = 0;
        struct dirent *e;
        while ((e = readdir(d)))
            if (e->d_name[0] != '.') c++;
        closedir(d);
        pf->fds = c;
    }
    return true;
}

static const char *const breaker_names[] = {"closed", "open", "half_open"};
static const char *const tier_names[SHM_CACHE_TIERS] = {"l1", "l2", "l3"};
static const char *const db_state_names[SHM_DB_STATES] = {"idle", "active", "connecting", "broken"};

char *metrics_render(size_t *len)
{
    shm_region_t *r = shm_get();
    /* Sum of every used slot, gauges of live ones only. */
    shm_metrics_t *sum = calloc(1, sizeof *sum);
    out_t o = {.cap = 32768};
    o.p = malloc(o.cap);
    if (!sum || !o.p) goto oom;
    int nslots = r ? SHM_MAX_WORKERS : 1;
    int pids[SHM_MAX_WORKERS] = {0};
    int live = 0;
    for (int s = 0; s < nslots; s++) {
        const shm_metrics_t *m = r ? &r->metrics[s] : &local_slot;
        if (r && !M_LOAD(m->used)) continue;
        int pid = r ? __atomic_load_n(&r->workers[s].pid, __ATOMIC_ACQUIRE) : (int)getpid();
        bool alive = r ? pid != 0 && pid_alive(pid) : true;
        if (alive) {
            pids[s] = pid;
            live++;
            sum->http_in_flight += M_LOAD(m->http_in_flight);
            sum->searches_in_flight += M_LOAD(m->searches_in_flight);
            for (int i = 0; i < SHM_DB_STATES; i++)
                sum->db_connections[i] += M_LOAD(m->db_connections[i]);
            sum->events_connected += M_LOAD(m->events_connected);
        }
        hist_add(&sum->loop_lag, &m->loop_lag);
        for (int e = 0; e < 2; e++) {
            sum->events_published[e] += M_LOAD(m->events_published[e]);
            sum->events_dropped_queue[e] += M_LOAD(m->events_dropped_queue[e]);
            sum->events_dropped_nats[e] += M_LOAD(m->events_dropped_nats[e]);
        }
        for (int rt = 0; rt < SHM_ROUTES; rt++) {
            for (int c = 0; c < SHM_HTTP_CODES; c++)
                sum->http_requests[rt][c] += M_LOAD(m->http_requests[rt][c]);
            for (int c = 0; c < SHM_HTTP_CLASSES; c++)
                hist_add(&sum->http_duration[rt][c], &m->http_duration[rt][c]);
        }
        for (int p = 0; p < SRC_COUNT; p++) {
            for (int st = 0; st < SHM_PSTATUSES; st++)
                sum->prov_requests[p][st] += M_LOAD(m->prov_requests[p][st]);
            for (int o = 0; o < SHM_RETRY_OUTCOMES; o++)
                sum->prov_retries[p][o] += M_LOAD(m->prov_retries[p][o]);
            hist_add(&sum->prov_search_duration[p], &m->prov_search_duration[p]);
            hist_add(&sum->prov_response_time[p], &m->prov_response_time[p]);
        }
        for (int t = 0; t < SHM_CACHE_TIERS; t++) {
            sum->cache_hits[t] += M_LOAD(m->cache_hits[t]);
            sum->cache_misses[t] += M_LOAD(m->cache_misses[t]);
        }
        sum->rate_limited += M_LOAD(m->rate_limited);
        sum->shed += M_LOAD(m->shed);
        sum->unauthorized += M_LOAD(m->unauthorized);
        sum->forbidden += M_LOAD(m->forbidden);
        sum->ratelimit_redis_takes += M_LOAD(m->ratelimit_redis_takes);
        sum->ratelimit_redis_errors += M_LOAD(m->ratelimit_redis_errors);
    }
    char names[SHM_ROUTES][SHM_ROUTE_NAME];
    if (r) shm_lock(&r->metrics_lock);
    memcpy(names, r ? r->route_names : local_routes, sizeof names);
    if (r) shm_unlock(&r->metrics_lock);
    snprintf(names[ROUTE_NONE], SHM_ROUTE_NAME, "none");
    snprintf(names[ROUTE_OTHER], SHM_ROUTE_NAME, "other");

    char e[2 * SHM_ROUTE_NAME + 1], labels[256];

    /* Providers. */
    family(&o, "scifind_search_requests_total", "counter",
           "Provider parts of searches, by provider and final status.");
    for (int p = 0; p < SRC_COUNT; p++)
        for (int st = PSTAT_OK; st <= PSTAT_CANCELLED; st++)
            put(&o, "scifind_search_requests_total{provider=\"%s\",status=\"%s\"} %llu\n",
                source_name((source_t)p), search_pstatus_name((search_pstatus_t)st),
                (unsigned long long)sum->prov_requests[p][st]);
    family(&o, "scifind_provider_retries_total", "counter",
           "Retries of failed provider calls: sent, or refused by the retry budget or the "
           "breaker.");
    static const char *const retry_outcomes[SHM_RETRY_OUTCOMES] = {"sent", "budget", "breaker"};
    for (int p = 0; p < SRC_COUNT; p++)
        for (int ro = 0; ro < SHM_RETRY_OUTCOMES; ro++)
            put(&o, "scifind_provider_retries_total{provider=\"%s\",outcome=\"%s\"} %llu\n",
                source_name((source_t)p), retry_outcomes[ro],
                (unsigned long long)sum->prov_retries[p][ro]);
    family(&o, "scifind_search_duration_seconds", "histogram",
           "How long searches waited for each provider, whatever its status.");
    for (int p = 0; p < SRC_COUNT; p++) {
        snprintf(labels, sizeof labels, "provider=\"%s\"", source_name((source_t)p));
        put_hist(&o, "scifind_search_duration_seconds", labels, &sum->prov_search_duration[p],
                 prov_bounds_us, PROV_BUCKETS);
    }
    family(&o, "scifind_provider_response_time_seconds", "histogram",
           "Provider calls that reached the provider (ok, error, timeout).");
    for (int p = 0; p < SRC_COUNT; p++) {
        snprintf(labels, sizeof labels, "provider=\"%s\"", source_name((source_t)p));
        put_hist(&o, "scifind_provider_response_time_seconds", labels, &sum->prov_response_time[p],
                 prov_bounds_us, PROV_BUCKETS);
    }
    family(&o, "scifind_provider_circuit_state", "gauge",
           "Each provider's circuit breaker: 1 for its current state.");
    for (int p = 0; p < SRC_COUNT; p++) {
        int b = r ? (int)__atomic_load_n(&r->providers[p].breaker, __ATOMIC_RELAXED) : 0;
        for (int s = 0; s < 3; s++)
            put(&o, "scifind_provider_circuit_state{provider=\"%s\",state=\"%s\"} %d\n",
                source_name((source_t)p), breaker_names[s], b == s);
    }

    family(&o, "scifind_provider_suspended", "gauge",
           "1 while a provider gets no calls after it said slow down, refused us or its budget "
           "ran out, by reason.");
    for (int p = 0; p < SRC_COUNT; p++) {
        static const char *const why[] = {"rate_limited", "blocked", "budget"};
        int64_t until =
            r ? __atomic_load_n(&r->providers[p].suspended_until_ns, __ATOMIC_RELAXED) : 0;
        int reason = r ? __atomic_load_n(&r->providers[p].suspend_reason, __ATOMIC_RELAXED) : 0;
        bool on = until > (int64_t)clock_now_ns();
        for (int k = 0; k < 3; k++)
            put(&o, "scifind_provider_suspended{provider=\"%s\",reason=\"%s\"} %d\n",
                source_name((source_t)p), why[k], on && reason == k + 1);
    }
    family(&o, "scifind_provider_budget_remaining_usd", "gauge",
           "A metered provider's remaining daily budget, from its last answer's headers.");
    for (int p = 0; p < SRC_COUNT; p++) {
        if (!r || !__atomic_load_n(&r->providers[p].budget_known, __ATOMIC_RELAXED)) continue;
        shm_lock(&r->providers[p].lock);
        double rem = r->providers[p].budget_remaining_usd;
        shm_unlock(&r->providers[p].lock);
        put(&o, "scifind_provider_budget_remaining_usd{provider=\"%s\"} %.6g\n",
            source_name((source_t)p), rem);
    }

    /* HTTP. */
    family(&o, "scifind_http_requests_total", "counter",
           "Answered HTTP requests by route pattern and status.");
    for (int rt = 0; rt < SHM_ROUTES; rt++)
        for (int c = 0; c < SHM_HTTP_CODES; c++) {
            uint64_t v = sum->http_requests[rt][c];
            if (!v) continue;
            char code[8];
            if (c < SHM_HTTP_CODES - 1)
                snprintf(code, sizeof code, "%d", http_codes[c]);
            else
                snprintf(code, sizeof code, "other");
            put(&o, "scifind_http_requests_total{route=\"%s\",status=\"%s\"} %llu\n",
                esc(names[rt], e, sizeof e), code, (unsigned long long)v);
        }
    family(&o, "scifind_http_request_duration_seconds", "histogram",
           "HTTP request durations, from the first byte to the answer written, by route and "
           "status class.");
    for (int rt = 0; rt < SHM_ROUTES; rt++)
        for (int c = 0; c < SHM_HTTP_CLASSES; c++) {
            if (!sum->http_duration[rt][c].count) continue;
            char cls[8];
            if (c)
                snprintf(cls, sizeof cls, "%dxx", c);
            else
                snprintf(cls, sizeof cls, "other");
            snprintf(labels, sizeof labels, "route=\"%s\",status=\"%s\"",
                     esc(names[rt], e, sizeof e), cls);
            put_hist(&o, "scifind_http_request_duration_seconds", labels,
                     &sum->http_duration[rt][c], http_bounds_us, SHM_HIST_BUCKETS);
        }
    family(&o, "scifind_http_requests_in_flight", "gauge",
           "Routed requests not yet answered, whole group.");
    put(&o, "scifind_http_requests_in_flight %lld\n", (long long)sum->http_in_flight);
    family(&o, "scifind_searches_in_flight", "gauge", "Searches not yet answered, whole group.");
    put(&o, "scifind_searches_in_flight %lld\n", (long long)sum->searches_in_flight);
    family(&o, "scifind_rate_limited_requests_total", "counter",
           "Requests refused by the client rate limit (429).");
    put(&o, "scifind_rate_limited_requests_total %llu\n", (unsigned long long)sum->rate_limited);
    family(&o, "scifind_ratelimit_redis_takes_total", "counter",
           "Admitted requests also taken from the client's instance-wide bucket in Redis.");
    put(&o, "scifind_ratelimit_redis_takes_total %llu\n",
        (unsigned long long)sum->ratelimit_redis_takes);
    family(&o, "scifind_ratelimit_redis_errors_total", "counter",
           "Takes that got no verdict from Redis (down, slow, error): the limit fell back to "
           "this instance's own buckets.");
    put(&o, "scifind_ratelimit_redis_errors_total %llu\n",
        (unsigned long long)sum->ratelimit_redis_errors);
    family(&o, "scifind_shed_requests_total", "counter",
           "Searches refused by load shedding (503).");
    put(&o, "scifind_shed_requests_total %llu\n", (unsigned long long)sum->shed);
    family(&o, "scifind_auth_failures_total", "counter",
           "Requests refused for their API key: reason unauthorized (401) or forbidden (403).");
    put(&o, "scifind_auth_failures_total{reason=\"unauthorized\"} %llu\n",
        (unsigned long long)sum->unauthorized);
    put(&o, "scifind_auth_failures_total{reason=\"forbidden\"} %llu\n",
        (unsigned long long)sum->forbidden);

    /* Cache and store. */
    family(&o, "scifind_cache_hits_total", "counter", "Cache hits by tier.");
    for (int t = 0; t < SHM_CACHE_TIERS; t++)
        put(&o, "scifind_cache_hits_total{tier=\"%s\"} %llu\n", tier_names[t],
            (unsigned long long)sum->cache_hits[t]);
    family(&o, "scifind_cache_misses_total", "counter", "Cache misses by tier.");
    for (int t = 0; t < SHM_CACHE_TIERS; t++)
        put(&o, "scifind_cache_misses_total{tier=\"%s\"} %llu\n", tier_names[t],
            (unsigned long long)sum->cache_misses[t]);
    {
        static const char *const subjects[2] = {"search.completed", "papers.indexed"};
        family(&o, "scifind_events_published_total", "counter",
               "Events handed to NATS (nats.url), by subject.");
        for (int e = 0; e < 2; e++)
            put(&o, "scifind_events_published_total{subject=\"%s\"} %llu\n", subjects[e],
                (unsigned long long)sum->events_published[e]);
        family(&o, "scifind_events_dropped_total", "counter",
               "Events not published, by subject and reason: queue (the worker's queue was "
               "full, nats.queue_max) or nats (the client refused it: its buffer for a "
               "disconnection, nats.buffer_bytes, was full, or another error).");
        for (int e = 0; e < 2; e++) {
            put(&o, "scifind_events_dropped_total{subject=\"%s\",reason=\"queue\"} %llu\n",
                subjects[e], (unsigned long long)sum->events_dropped_queue[e]);
            put(&o, "scifind_events_dropped_total{subject=\"%s\",reason=\"nats\"} %llu\n",
                subjects[e], (unsigned long long)sum->events_dropped_nats[e]);
        }
        family(&o, "scifind_events_connected", "gauge",
               "Workers whose NATS connection is up (with nats.url set).");
        put(&o, "scifind_events_connected %lld\n", (long long)sum->events_connected);
    }
    family(&o, "scifind_db_connections", "gauge", "PostgreSQL connections by state, whole group.");
    for (int i = 0; i < SHM_DB_STATES; i++)
        put(&o, "scifind_db_connections{status=\"%s\"} %lld\n", db_state_names[i],
            (long long)sum->db_connections[i]);

    /* Processes: one series per live worker slot. */
    family(&o, "scifind_workers", "gauge", "Live worker processes.");
    put(&o, "scifind_workers %d\n", live);
    family(&o, "scifind_loop_lag_seconds", "histogram",
           "How late each worker's 100 ms loop timer fired: time its loop spent on other "
           "callbacks, or that the process waited for a CPU; whole group.");
    put_hist(&o, "scifind_loop_lag_seconds", "", &sum->loop_lag, lag_bounds_us, LAG_BUCKETS);
    family(&o, "scifind_loop_idle_seconds_total", "counter",
           "Time each worker's event loop spent waiting for events (libuv idle time), since "
           "the worker started.");
    for (int s = 0; s < nslots; s++)
        if (pids[s]) {
            const shm_metrics_t *m = r ? &r->metrics[s] : &local_slot;
            put(&o, "scifind_loop_idle_seconds_total{worker=\"%d\"} %.6f\n", s,
                (double)M_LOAD(m->loop_idle_ns) / 1e9);
        }
    proc_figures_t pf[SHM_MAX_WORKERS];
    bool have[SHM_MAX_WORKERS] = {0};
    for (int s = 0; s < nslots; s++)
        if (pids[s]) have[s] = proc_read(pids[s], &pf[s]);
    family(&o, "scifind_process_resident_memory_bytes", "gauge", "Resident memory of each worker.");
    for (int s = 0; s < nslots; s++)
        if (have[s])
            put(&o, "scifind_process_resident_memory_bytes{worker=\"%d\"} %llu\n", s,
                (unsigned long long)pf[s].rss_bytes);
    family(&o, "scifind_process_virtual_memory_bytes", "gauge", "Virtual memory of each worker.");
    for (int s = 0; s < nslots; s++)
        if (have[s])
            put(&o, "scifind_process_virtual_memory_bytes{worker=\"%d\"} %llu\n", s,
                (unsigned long long)pf[s].vsize_bytes);
    family(&o, "scifind_process_open_fds", "gauge", "Open file descriptors of each worker.");
    for (int s = 0; s < nslots; s++)
        if (have[s] && pf[s].fds >= 0)
            put(&o, "scifind_process_open_fds{worker=\"%d\"} %ld\n", s, pf[s].fds);
    family(&o, "scifind_process_cpu_seconds_total", "counter",
           "User and system CPU time of each worker.");
    for (int s = 0; s < nslots; s++)
        if (have[s])
            put(&o, "scifind_process_cpu_seconds_total{worker=\"%d\"} %.2f\n", s,
                pf[s].cpu_seconds);
    if (o.oom) goto oom;
    free(sum);
    *len = o.len;
    return o.p;
oom:
    free(sum);
    free(o.p);
    return NULL;
}
