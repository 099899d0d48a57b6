/* A worker: one libuv loop on one core, its own SO_REUSEPORT listener, and
 * the HTTP server on it. */
#ifndef SF_WORKER_H
#define SF_WORKER_H

#include "core/config.h"

/* Runs a worker until it is told to stop (SIGTERM/SIGINT: stop accepting,
 * finish in-flight requests within drain_timeout, exit). When ready_fd is
 * not -1, one byte is written to it once the worker is listening, and it is
 * closed. Returns the process exit code: 0 after a clean stop, 2 when the
 * listener could not be set up. */
int worker_run(const sf_config_t *cfg, int ready_fd);

#endif
