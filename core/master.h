/* The master process: forks the workers and looks after them. It does not
 * run a libuv loop (a loop must not cross fork()); it waits on a signalfd
 * and the workers' readiness pipes with poll(). */
#ifndef SF_MASTER_H
#define SF_MASTER_H

#include <stddef.h>

#include "core/config.h"
#include "core/worker.h"

/* Loads the configuration anew (SIGHUP). Returns 0, or -1 with a message in err. */
typedef int (*master_load_fn)(sf_config_t *out, char *err, size_t errlen, void *data);

/* Runs the master with cfg->workers workers until SIGTERM/SIGINT, then
 * drains them. Restarts a worker that dies (with backoff); SIGHUP reloads
 * the configuration through load and replaces the workers one by one;
 * SIGUSR1 reopens the log file here and in every worker. Returns the exit
 * code. */
int master_run(const sf_config_t *cfg, const worker_app_t *app, master_load_fn load,
               void *load_data);

#endif
