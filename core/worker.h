/* A worker: one libuv loop on one core, its own socket of the SO_REUSEPORT
 * group (core/listen.h), and the HTTP server on it. */
#ifndef SF_WORKER_H
#define SF_WORKER_H

#include <uv.h>

#include "core/config.h"

/* What a worker runs: the services main.c wires together (HTTP server,
 * providers, caches, store). The worker owns the loop, the signals and the
 * drain deadline; the app owns everything on the loop. */
typedef struct worker_app {
    void *app;
    /* Builds the services on loop. Returns 0, or -1 (already logged). */
    int (*start)(void *app, uv_loop_t *loop, const sf_config_t *cfg);
    /* Starts accepting on fd, a listening socket it owns from now on.
     * Returns 0 or a negative errno (libuv code). */
    int (*listen)(void *app, int fd);
    /* Stops accepting, lets in-flight work finish, releases its handles,
     * then calls done (possibly at once). socket_shared: a successor goes
     * on accepting on the listening socket (http_server_drain()). */
    void (*drain)(void *app, bool socket_shared, void (*done)(void));
    /* Ends what is left now, releases its handles, then calls done. */
    void (*close)(void *app, void (*done)(void));
    /* Frees what start() built, once the loop has stopped. */
    void (*free)(void *app);
} worker_app_t;

/* Runs a worker until it is told to stop (SIGTERM/SIGINT: stop accepting,
 * finish in-flight requests within drain_timeout, exit; SIGUSR2, from the
 * master during a reload: the same, leaving the listening socket to the
 * successor that shares it). It accepts on
 * listen_fd (its slot's socket, from the master), or on a socket of its own
 * for cfg->listen when listen_fd is -1. When ready_fd is not -1, one byte
 * is written to it once the worker is listening, and it is closed. Returns
 * the process exit code: 0 after a clean stop, 2 when the services or the
 * listener could not be set up. */
int worker_run(const sf_config_t *cfg, const worker_app_t *app, int ready_fd, int listen_fd);

#endif
