/* The master: forks N workers, restarts the ones that die, rolls them on
 * SIGHUP, drains them on SIGTERM/SIGINT.
 *
 * It runs no libuv loop: signals arrive on a signalfd, worker readiness on
 * one pipe per starting worker, and poll() waits on both with a timeout for
 * the next scheduled thing (a respawn after backoff, a kill deadline).
 *
 * It also holds each slot's listening socket (core/listen.h), as NGINX's
 * master does with `reuseport`: the workers of a slot inherit it, so during
 * a roll the new worker accepts from the very queue the old one leaves, and
 * no queued connection is reset when the old one closes its copy. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/listen.h"
#include "core/log.h"
#include "core/master.h"
#include "core/worker.h"

#define MAX_WORKERS 256
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 10000
/* A worker that lived at least this long resets its slot's backoff. */
#define STABLE_MS 5000
/* A new worker that does not say it is ready in this time is killed. */
#define READY_TIMEOUT_MS 10000
/* After the drain timeout, workers get this long before SIGKILL. */
#define KILL_GRACE_MS 5000

typedef struct slot {
    pid_t pid;    /* current worker, 0 if none */
    int ready_fd; /* read end of its readiness pipe, -1 once ready */
    int64_t started_ms;
    int64_t respawn_at_ms; /* 0: not scheduled */
    int64_t backoff_ms;
    pid_t retiring; /* the worker this one replaces during a roll, 0 if none */
    int listen_fd;  /* the slot's listening socket, -1 if none open */
    bool renewed;   /* a reload gave the slot a new socket: the retiring
                       worker is the last holder of the old one */
} slot_t;

typedef struct master {
    sf_config_t cfg;
    const worker_app_t *app;
    master_load_fn load;
    void *load_data;
    slot_t slots[MAX_WORKERS];
    int nslots;                 /* slots in use: cfg.workers */
    pid_t old[MAX_WORKERS * 2]; /* retired workers still draining */
    int nold;
    int sfd;
    bool stopping;
    int64_t kill_at_ms;
    int roll_next; /* next slot to roll on SIGHUP, -1 when no roll runs */
    sigset_t old_mask;
} master_t;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void describe_status(int status, char *buf, size_t len)
{
    if (WIFEXITED(status))
        snprintf(buf, len, "exited with code %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    else
        snprintf(buf, len, "status %d", status);
}

static void slot_reset(slot_t *s)
{
    memset(s, 0, sizeof *s);
    s->ready_fd = -1;
    s->listen_fd = -1;
    s->backoff_ms = BACKOFF_MIN_MS;
}

static void close_listen_fd(slot_t *s)
{
    if (s->listen_fd >= 0) close(s->listen_fd);
    s->listen_fd = -1;
}

static int open_listen_fd(const char *listen, int *fd)
{
    int err = listen_socket_open(listen, fd);
    if (err < 0)
        log_write(LOG_ERROR, "cannot listen", LF_STR, "listen", listen, LF_STR, "error",
                  strerror(-err), LF_END);
    return err;
}

/* Forks one worker for slot i. Returns 0, or -1 (the slot is rescheduled). */
static int spawn(master_t *m, int i)
{
    slot_t *s = &m->slots[i];
    int fds[2];
    if (s->listen_fd < 0 && open_listen_fd(m->cfg.listen, &s->listen_fd) < 0) {
        s->respawn_at_ms = now_ms() + s->backoff_ms;
        return -1;
    }
    if (pipe2(fds, O_CLOEXEC) < 0) {
        log_error("pipe failed: %s", strerror(errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        log_error("fork failed: %s", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        s->respawn_at_ms = now_ms() + s->backoff_ms;
        return -1;
    }
    if (pid == 0) {
        /* Child: back to normal signal handling, die with the master. */
        close(fds[0]);
        close(m->sfd);
        for (int k = 0; k < m->nslots; k++) {
            if (m->slots[k].ready_fd >= 0) close(m->slots[k].ready_fd);
            /* Another slot's socket kept open here would outlive that slot. */
            if (k != i) close_listen_fd(&m->slots[k]);
        }
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() == 1) _exit(0);
        sigprocmask(SIG_SETMASK, &m->old_mask, NULL);
        exit(worker_run(&m->cfg, m->app, fds[1], s->listen_fd));
    }
    close(fds[1]);
    s->pid = pid;
    s->ready_fd = fds[0];
    s->started_ms = now_ms();
    s->respawn_at_ms = 0;
    log_write(LOG_INFO, "worker started", LF_INT, "worker_pid", (int64_t)pid, LF_INT, "slot",
              (int64_t)i, LF_END);
    return 0;
}

static void signal_all(master_t *m, int sig)
{
    for (int i = 0; i < m->nslots; i++) {
        if (m->slots[i].pid) kill(m->slots[i].pid, sig);
        if (m->slots[i].retiring) kill(m->slots[i].retiring, sig);
    }
    for (int i = 0; i < m->nold; i++)
        kill(m->old[i], sig);
}

static int live_workers(const master_t *m)
{
    int n = m->nold;
    for (int i = 0; i < m->nslots; i++)
        n += (m->slots[i].pid != 0) + (m->slots[i].retiring != 0);
    return n;
}

/* Drains a worker: sig is SIGUSR2 when its successor shares its slot's
 * socket, SIGTERM when the socket goes with it. */
static void retire(master_t *m, pid_t pid, int sig)
{
    if (pid <= 0) return;
    kill(pid, sig);
    if (m->nold < (int)(sizeof m->old / sizeof m->old[0])) m->old[m->nold++] = pid;
}

/* Starts replacing the next slot of a roll; ends the roll after the last. */
static void roll_step(master_t *m)
{
    while (m->roll_next >= 0 && m->roll_next < m->nslots) {
        int i = m->roll_next;
        slot_t *s = &m->slots[i];
        if (s->retiring) return; /* this slot's replacement is still starting */
        s->retiring = s->pid;
        s->pid = 0;
        if (s->ready_fd >= 0) {
            close(s->ready_fd);
            s->ready_fd = -1;
        }
        s->backoff_ms = BACKOFF_MIN_MS;
        if (spawn(m, i) < 0) {
            close_listen_fd(s); /* nobody takes over the socket */
            retire(m, s->retiring, SIGTERM);
            s->retiring = 0;
            m->roll_next++;
            continue;
        }
        return; /* wait for the new worker to be ready */
    }
    if (m->roll_next >= 0) {
        log_write(LOG_INFO, "configuration reloaded: every worker replaced", LF_END);
        m->roll_next = -1;
    }
}

static void on_worker_ready(master_t *m, int i)
{
    slot_t *s = &m->slots[i];
    char b;
    ssize_t n = read(s->ready_fd, &b, 1);
    close(s->ready_fd);
    s->ready_fd = -1;
    if (n != 1) return; /* the worker died before it was ready; SIGCHLD handles it */
    log_write(LOG_DEBUG, "worker ready", LF_INT, "worker_pid", (int64_t)s->pid, LF_END);
    bool rolled = s->retiring != 0;
    /* The worker it replaces shares the slot's socket, unless a reload
     * gave the slot a new one: then it is the old socket's last holder. */
    if (rolled) retire(m, s->retiring, s->renewed ? SIGTERM : SIGUSR2);
    s->retiring = 0;
    s->renewed = false;
    if (rolled) {
        m->roll_next++;
        roll_step(m);
    }
}

static void reap(master_t *m)
{
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        char why[96];
        describe_status(status, why, sizeof why);
        bool clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
        for (int k = 0; k < m->nold; k++) {
            if (m->old[k] == pid) {
                m->old[k] = m->old[--m->nold];
                log_write(clean ? LOG_INFO : LOG_WARN, "worker exited", LF_INT, "worker_pid",
                          (int64_t)pid, LF_STR, "reason", why, LF_STR, "role", "retired", LF_END);
                goto next;
            }
        }
        for (int i = 0; i < m->nslots; i++) {
            slot_t *s = &m->slots[i];
            if (s->retiring == pid) {
                /* The worker being replaced died first: its successor takes over. */
                s->retiring = 0;
                if (!s->pid) close_listen_fd(s); /* the successor died too */
                log_write(LOG_WARN, "worker exited", LF_INT, "worker_pid", (int64_t)pid, LF_STR,
                          "reason", why, LF_STR, "role", "retiring", LF_END);
                goto next;
            }
            if (s->pid != pid) continue;
            int64_t lived = now_ms() - s->started_ms;
            s->pid = 0;
            if (s->ready_fd >= 0) {
                close(s->ready_fd);
                s->ready_fd = -1;
            }
            /* Nobody accepts on the slot's socket now (a retiring worker
             * does, unless a reload renewed the socket): close it, so that
             * new connections go to the live workers instead of waiting for
             * the restart (a new socket is opened for it). */
            if (!s->retiring || s->renewed) close_listen_fd(s);
            if (m->stopping) {
                log_write(clean ? LOG_INFO : LOG_WARN, "worker exited", LF_INT, "worker_pid",
                          (int64_t)pid, LF_STR, "reason", why, LF_END);
                goto next;
            }
            if (lived >= STABLE_MS) s->backoff_ms = BACKOFF_MIN_MS;
            s->respawn_at_ms = now_ms() + s->backoff_ms;
            log_write(LOG_ERROR, "worker exited", LF_INT, "worker_pid", (int64_t)pid, LF_STR,
                      "reason", why, LF_INT, "lived_ms", lived, LF_INT, "restart_in_ms",
                      s->backoff_ms, LF_END);
            s->backoff_ms = s->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : s->backoff_ms * 2;
            if (s->retiring == 0 && m->roll_next == i) {
                /* A replacement died before it was ready: go on with the roll. */
                m->roll_next++;
                roll_step(m);
            }
            goto next;
        }
        log_write(LOG_DEBUG, "unknown child exited", LF_INT, "child_pid", (int64_t)pid, LF_END);
    next:;
    }
}

static void reload(master_t *m)
{
    sf_config_t next;
    char err[512];
    if (m->load(&next, err, sizeof err, m->load_data) < 0) {
        log_write(LOG_ERROR, "configuration reload refused, keeping the running one", LF_STR,
                  "error", err, LF_END);
        return;
    }
    if (next.workers < 0) next.workers = m->cfg.workers;
    if (next.workers == 0 || next.workers > MAX_WORKERS) {
        log_error("configuration reload refused: workers must be 1..%d under a master",
                  MAX_WORKERS);
        return;
    }
    /* The new workers' sockets: the slots' own when the address is the
     * same, new ones when it changed. A socket that cannot be opened (the
     * address is taken) refuses the reload before any worker is touched. */
    int fds[MAX_WORKERS];
    bool same_listen = strcmp(next.listen, m->cfg.listen) == 0;
    for (int i = 0; i < next.workers; i++) {
        fds[i] = -1;
        if (same_listen && i < m->nslots && m->slots[i].listen_fd >= 0) continue;
        if (open_listen_fd(next.listen, &fds[i]) < 0) {
            for (int k = 0; k < i; k++)
                if (fds[k] >= 0) close(fds[k]);
            log_error("configuration reload refused: cannot listen on %s", next.listen);
            return;
        }
    }
    if (log_open(next.log.file, LOG_INFO) < 0) log_warn("cannot open log file %s", next.log.file);
    log_level_t lvl;
    if (log_level_parse(next.log.level, &lvl) == 0) log_set_level(lvl);

    /* Slots beyond the new count are retired now; new ones start empty. */
    for (int i = next.workers; i < m->nslots; i++) {
        slot_t *s = &m->slots[i];
        retire(m, s->pid, SIGTERM);
        retire(m, s->retiring, SIGTERM);
        if (s->ready_fd >= 0) close(s->ready_fd);
        close_listen_fd(s);
        slot_reset(s);
    }
    for (int i = m->nslots; i < next.workers; i++)
        slot_reset(&m->slots[i]);
    for (int i = 0; i < next.workers; i++) {
        if (fds[i] < 0) continue;
        close_listen_fd(&m->slots[i]); /* its old workers keep their copies */
        m->slots[i].listen_fd = fds[i];
        m->slots[i].renewed = true;
    }
    m->nslots = next.workers;
    m->cfg = next;
    log_write(LOG_INFO, "configuration reloaded: replacing workers one by one", LF_INT, "workers",
              (int64_t)m->nslots, LF_END);
    m->roll_next = 0;
    roll_step(m);
}

static void begin_stop(master_t *m, const char *why)
{
    if (m->stopping) return;
    m->stopping = true;
    m->roll_next = -1;
    m->kill_at_ms = now_ms() + m->cfg.drain_timeout_ms + KILL_GRACE_MS;
    log_write(LOG_INFO, "master stopping: draining workers", LF_STR, "reason", why, LF_END);
    /* The workers' copies are then the last: a socket closes with its worker. */
    for (int i = 0; i < m->nslots; i++)
        close_listen_fd(&m->slots[i]);
    signal_all(m, SIGTERM);
}

static void handle_signal(master_t *m, const struct signalfd_siginfo *si)
{
    switch (si->ssi_signo) {
    case SIGCHLD:
        reap(m);
        break;
    case SIGTERM:
        begin_stop(m, "SIGTERM");
        break;
    case SIGINT:
        begin_stop(m, "SIGINT");
        break;
    case SIGHUP:
        if (!m->stopping) reload(m);
        break;
    case SIGUSR1:
        if (log_reopen() < 0) log_error("cannot reopen the log file");
        signal_all(m, SIGUSR1);
        break;
    default:
        break;
    }
}

int master_run(const sf_config_t *cfg, const worker_app_t *app, master_load_fn load,
               void *load_data)
{
    static master_t m; /* big (slots): not on the stack */
    memset(&m, 0, sizeof m);
    m.cfg = *cfg;
    m.app = app;
    m.load = load;
    m.load_data = load_data;
    m.nslots = cfg->workers;
    m.roll_next = -1;
    if (m.nslots < 1 || m.nslots > MAX_WORKERS) {
        log_error("workers must be 1..%d under a master", MAX_WORKERS);
        return 2;
    }

    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGCHLD);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGHUP);
    sigaddset(&mask, SIGUSR1);
    sigprocmask(SIG_BLOCK, &mask, &m.old_mask);
    m.sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
    if (m.sfd < 0) {
        log_error("signalfd failed: %s", strerror(errno));
        return 2;
    }

    log_write(LOG_INFO, "master started", LF_INT, "workers", (int64_t)m.nslots, LF_STR, "listen",
              cfg->listen, LF_END);
    for (int i = 0; i < m.nslots; i++)
        slot_reset(&m.slots[i]);
    /* An address that cannot be had at start is a configuration error: say
     * so and exit rather than restart workers that cannot listen. */
    for (int i = 0; i < m.nslots; i++) {
        if (open_listen_fd(cfg->listen, &m.slots[i].listen_fd) < 0) {
            for (int k = 0; k < i; k++)
                close_listen_fd(&m.slots[k]);
            close(m.sfd);
            sigprocmask(SIG_SETMASK, &m.old_mask, NULL);
            return 2;
        }
    }
    for (int i = 0; i < m.nslots; i++)
        if (spawn(&m, i) < 0) m.slots[i].respawn_at_ms = now_ms() + BACKOFF_MIN_MS;

    for (;;) {
        if (m.stopping && live_workers(&m) == 0) break;

        struct pollfd pfd[MAX_WORKERS + 1];
        int slot_of[MAX_WORKERS + 1];
        int n = 0;
        pfd[n].fd = m.sfd;
        pfd[n].events = POLLIN;
        slot_of[n++] = -1;
        int64_t now = now_ms(), wake = now + 1000;
        for (int i = 0; i < m.nslots; i++) {
            slot_t *s = &m.slots[i];
            if (s->ready_fd >= 0) {
                pfd[n].fd = s->ready_fd;
                pfd[n].events = POLLIN;
                slot_of[n++] = i;
                if (s->started_ms + READY_TIMEOUT_MS < wake)
                    wake = s->started_ms + READY_TIMEOUT_MS;
            }
            if (s->respawn_at_ms && s->respawn_at_ms < wake) wake = s->respawn_at_ms;
        }
        if (m.stopping && m.kill_at_ms < wake) wake = m.kill_at_ms;
        int timeout = wake > now ? (int)(wake - now) : 0;

        int r = poll(pfd, (nfds_t)n, timeout);
        if (r < 0 && errno != EINTR) {
            log_error("poll failed: %s", strerror(errno));
            break;
        }
        if (r > 0 && (pfd[0].revents & POLLIN)) {
            struct signalfd_siginfo si;
            while (read(m.sfd, &si, sizeof si) == (ssize_t)sizeof si)
                handle_signal(&m, &si);
        }
        for (int k = 1; r > 0 && k < n; k++)
            if (pfd[k].revents && m.slots[slot_of[k]].ready_fd == pfd[k].fd)
                on_worker_ready(&m, slot_of[k]);

        now = now_ms();
        for (int i = 0; i < m.nslots; i++) {
            slot_t *s = &m.slots[i];
            if (!m.stopping && s->respawn_at_ms && s->respawn_at_ms <= now && !s->pid) spawn(&m, i);
            if (s->ready_fd >= 0 && s->started_ms + READY_TIMEOUT_MS <= now) {
                log_write(LOG_ERROR, "worker not ready in time: killed", LF_INT, "worker_pid",
                          (int64_t)s->pid, LF_END);
                kill(s->pid, SIGKILL);
                close(s->ready_fd);
                s->ready_fd = -1;
            }
        }
        if (m.stopping && now >= m.kill_at_ms) {
            log_write(LOG_WARN, "workers still running after the drain timeout: killed", LF_END);
            signal_all(&m, SIGKILL);
            m.kill_at_ms = now + 1000;
        }
    }
    for (int i = 0; i < m.nslots; i++) {
        if (m.slots[i].ready_fd >= 0) close(m.slots[i].ready_fd);
        close_listen_fd(&m.slots[i]);
    }
    close(m.sfd);
    sigprocmask(SIG_SETMASK, &m.old_mask, NULL);
    log_write(LOG_INFO, "master stopped", LF_END);
    return 0;
}
