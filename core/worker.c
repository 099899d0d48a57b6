/* A worker process: one libuv loop, the app's services on it, signals
 * (SIGTERM/SIGINT drain, SIGUSR1 reopens the log), and the drain deadline. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "core/defer.h"
#include "core/listen.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/worker.h"

typedef struct worker {
    uv_loop_t loop;
    const sf_config_t *cfg;
    const worker_app_t *app;
    uv_signal_t sig_term, sig_int, sig_usr1, sig_usr2, sig_hup;
    uv_timer_t drain_timer;
    uv_timer_t lag_timer;
    uint64_t lag_due_ns; /* uv_hrtime() the lag timer is due */
    bool stopping;
    bool stopped;
} worker_t;

/* One worker per process: the app's done callbacks find it here. */
static worker_t *the_worker;

static void on_walk_close(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h)) uv_close(h, NULL);
}

static void on_app_done(void)
{
    worker_t *w = the_worker;
    if (w->stopped) return;
    w->stopped = true;
    log_write(LOG_INFO, "worker stopped", LF_END);
    /* What is left (signals, the drain timer) closes; uv_run then returns. */
    sf_defer_loop_close(&w->loop);
    uv_walk(&w->loop, on_walk_close, NULL);
}

static void on_drain_timeout(uv_timer_t *t)
{
    worker_t *w = t->data;
    log_write(LOG_WARN, "drain timeout: closing what is still open", LF_END);
    w->app->close(w->app->app, on_app_done);
}

/* Loop lag: a repeating timer measures how late it fires (callbacks that
 * ran long, or the process waiting for a CPU); unref'd, it never keeps the
 * loop alive. Its cost is one callback per LOOP_LAG_PERIOD_MS, none per
 * request. */
#define LOOP_LAG_PERIOD_MS 100

/* libuv re-arms a repeating timer at the loop's time (milliseconds of the
 * same monotonic clock as uv_hrtime()) plus the period, before calling it:
 * the earliest instant it can fire again. */
static void lag_timer_due(worker_t *w)
{
    w->lag_due_ns = (uv_now(&w->loop) + LOOP_LAG_PERIOD_MS) * 1000000;
}

static void on_lag_tick(uv_timer_t *t)
{
    worker_t *w = t->data;
    uint64_t now = uv_hrtime();
    uint64_t lag_ns = now > w->lag_due_ns ? now - w->lag_due_ns : 0;
    metrics_loop_tick(lag_ns / 1000, uv_metrics_idle_time(&w->loop));
    lag_timer_due(w);
}

static void lag_timer_start(worker_t *w)
{
    uv_timer_init(&w->loop, &w->lag_timer);
    w->lag_timer.data = w;
    uv_update_time(&w->loop); /* the start took time: not lag */
    lag_timer_due(w);
    uv_timer_start(&w->lag_timer, on_lag_tick, LOOP_LAG_PERIOD_MS, LOOP_LAG_PERIOD_MS);
    uv_unref((uv_handle_t *)&w->lag_timer);
}

static void worker_stop(worker_t *w, const char *why, bool socket_shared)
{
    if (w->stopping) return;
    w->stopping = true;
    log_write(LOG_INFO, "worker draining", LF_STR, "reason", why, LF_END);
    uv_timer_start(&w->drain_timer, on_drain_timeout, (uint64_t)w->cfg->drain_timeout_ms, 0);
    w->app->drain(w->app->app, socket_shared, on_app_done);
}

static void on_signal(uv_signal_t *h, int signum)
{
    worker_t *w = h->data;
    switch (signum) {
    case SIGTERM:
        worker_stop(w, "SIGTERM", false);
        break;
    case SIGINT:
        worker_stop(w, "SIGINT", false);
        break;
    case SIGUSR2: /* the master replaces this worker: its successor shares the socket */
        worker_stop(w, "replaced", true);
        break;
    case SIGUSR1:
        if (log_reopen() < 0) log_error("could not reopen the log file");
        break;
    case SIGHUP:
        log_write(LOG_INFO, "SIGHUP ignored by a worker: the master reloads the configuration",
                  LF_END);
        break;
    default:
        break;
    }
}

static int watch_signal(worker_t *w, uv_signal_t *h, int signum)
{
    uv_signal_init(&w->loop, h);
    h->data = w;
    return uv_signal_start(h, on_signal, signum);
}

static void notify_ready(int fd)
{
    if (fd < 0) return;
    ssize_t n;
    do {
        n = write(fd, "R", 1);
    } while (n < 0 && errno == EINTR);
    close(fd);
}

int worker_run(const sf_config_t *cfg, const worker_app_t *app, int ready_fd, int listen_fd)
{
    worker_t w = {0};
    int rc = 2, err;

    the_worker = &w;
    w.cfg = cfg;
    w.app = app;
    signal(SIGPIPE, SIG_IGN);
    if (uv_loop_init(&w.loop) < 0) {
        log_error("cannot create the event loop");
        if (listen_fd >= 0) close(listen_fd);
        return 2;
    }
    /* Before the loop runs, or libuv does not count its idle time. */
    if (uv_loop_configure(&w.loop, UV_METRICS_IDLE_TIME) < 0)
        log_warn("libuv cannot measure the loop's idle time");
    uv_timer_init(&w.loop, &w.drain_timer);
    w.drain_timer.data = &w;
    if (watch_signal(&w, &w.sig_term, SIGTERM) || watch_signal(&w, &w.sig_int, SIGINT) ||
        watch_signal(&w, &w.sig_usr1, SIGUSR1) || watch_signal(&w, &w.sig_usr2, SIGUSR2) ||
        watch_signal(&w, &w.sig_hup, SIGHUP)) {
        log_error("cannot watch signals");
        goto out;
    }
    if (app->start(app->app, &w.loop, cfg) < 0) goto out;
    err = listen_fd >= 0 ? 0 : listen_socket_open(cfg->listen, &listen_fd);
    if (err == 0) err = app->listen(app->app, listen_fd);
    listen_fd = -1; /* the app's now, or closed */
    if (err < 0) {
        log_write(LOG_ERROR, "cannot listen", LF_STR, "listen", cfg->listen, LF_STR, "error",
                  uv_strerror(err), LF_END);
        goto out;
    }
    log_write(LOG_INFO, "worker listening", LF_STR, "listen", cfg->listen, LF_END);
    notify_ready(ready_fd);
    ready_fd = -1;
    lag_timer_start(&w);

    uv_run(&w.loop, UV_RUN_DEFAULT);
    rc = 0;

out:
    if (ready_fd >= 0) close(ready_fd);
    if (listen_fd >= 0) close(listen_fd);
    /* Close whatever is still open (after a failed start) and let the callbacks run. */
    sf_defer_loop_close(&w.loop);
    uv_walk(&w.loop, on_walk_close, NULL);
    uv_run(&w.loop, UV_RUN_DEFAULT);
    app->free(app->app);
    if (uv_loop_close(&w.loop) != 0) log_warn("event loop closed with handles still open");
    the_worker = NULL;
    return rc;
}
