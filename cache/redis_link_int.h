/* Inside the Redis link (cache/redis_link.h): its struct and the send that
 * names a command's owner, shared by redis_link.c and redis_eval.c. */
#ifndef SF_CACHE_REDIS_LINK_INT_H
#define SF_CACHE_REDIS_LINK_INT_H

#include <hiredis/async.h>

#include "cache/redis_link.h"

#define REDIS_SCRIPTS 4 /* distinct Lua scripts run through cache_redis_eval() */

/* The connection's life. */
typedef enum {
    LINK_CONNECTING, /* connect under way, connect_timeout armed */
    LINK_HANDSHAKE,  /* connected: AUTH/SELECT/the ready command sent; ready at its answer */
    LINK_READY,      /* commands flow; the owner's tick every second */
    LINK_BACKOFF,    /* dropped: waiting (backoff + jitter) before connecting again */
    LINK_CLOSED,     /* closed for good (drain): nothing more */
} link_state_t;

struct cache_redis_link {
    uv_loop_t *loop;
    const sf_config_t *cfg;
    cache_redis_link_hooks_t hooks;
    link_state_t state;
    redisAsyncContext *ac;
    char host[CONFIG_STR_MAX], user[128], password[256];
    int port, db;
    uv_timer_t timer; /* connect deadline, backoff, then the tick; the link is freed at its close */
    int backoff_ms;
    int timeouts_in_a_row;
    cache_redis_link_stats_t st;
    /* scripts: known by their source's address; sha once SCRIPT LOAD told it */
    struct {
        const char *source;
        char sha[41];
        bool loading;
    } scripts[REDIS_SCRIPTS];
};

/* cache_redis_link_send() with the owner fn is given (the link's own
 * commands pass the link). */
int redis__send(cache_redis_link_t *link, void *owner, cache_redis_reply_fn fn, void *data,
                int argc, const char **argv, const size_t *argvlen);

#endif
