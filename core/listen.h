/* The listening socket of a worker: TCP, SO_REUSEPORT, non-blocking.
 *
 * Under a master, the master opens one such socket per worker slot before
 * forking and the slot's workers inherit it; a worker that replaces another
 * (SIGHUP) then takes over the same socket and its accept queue, so a reload
 * resets no connection. With `--workers 0` the worker opens its own. */
#ifndef SF_LISTEN_H
#define SF_LISTEN_H

/* Opens a socket bound to listen ("HOST:PORT", "[V6]:PORT") with
 * SO_REUSEPORT, listening, non-blocking and close-on-exec. Returns 0 with
 * the socket in *fd, or a negative errno (a libuv error code) with nothing
 * left open. */
int listen_socket_open(const char *listen, int *fd);

#endif
