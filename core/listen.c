/* libuv 1.44 has no flag for SO_REUSEPORT: the socket is made here and
 * handed to uv_tcp_open() by the HTTP server. */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "core/config.h"
#include "core/listen.h"

#define LISTEN_BACKLOG 4096

int listen_socket_open(const char *listen_addr, int *out_fd)
{
    char host[CONFIG_STR_MAX];
    int port;
    if (config_parse_listen(listen_addr, host, sizeof host, &port) < 0) return UV_EINVAL;
    struct addrinfo hints = {0}, *res = NULL;
    char portstr[16];
    snprintf(portstr, sizeof portstr, "%d", port);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    if (getaddrinfo(host[0] ? host : NULL, portstr, &hints, &res) != 0) return UV_EINVAL;
    int err = UV_EADDRNOTAVAIL;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            err = -errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0 ||
            bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, LISTEN_BACKLOG) != 0) {
            err = -errno;
            close(fd);
            continue;
        }
        *out_fd = fd;
        freeaddrinfo(res);
        return 0;
    }
    freeaddrinfo(res);
    return err;
}
