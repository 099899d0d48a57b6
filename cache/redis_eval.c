/* Scripts on the Redis link (the client rate limit's): EVALSHA once
 * SCRIPT LOAD told the SHA1, EVAL before and on NOSCRIPT. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache/redis_link_int.h"

#define EVAL_ARGS 8 /* keys + arguments of one script call */
#define EVAL_INTS 8 /* integers of a script's reply handed on */

/* One script call: EVALSHA, then EVAL with the same arguments on NOSCRIPT. */
typedef struct eval_op {
    int script;
    bool retried;
    int nkeys, argc;
    char *argv[EVAL_ARGS]; /* copies, in the op's own allocation */
    cache_redis_eval_fn done;
    void *data;
} eval_op_t;

static int eval_send(cache_redis_link_t *l, eval_op_t *op);

static void on_script_load(void *owner, redisReply *r, void *data)
{
    cache_redis_link_t *l = owner;
    int i = (int)(intptr_t)data;
    l->scripts[i].loading = false;
    if (r && r->type == REDIS_REPLY_STRING && r->len == 40) memcpy(l->scripts[i].sha, r->str, 41);
}

/* The slot of script (claimed on first use), or -1 when the table is full. */
static int script_slot(cache_redis_link_t *l, const char *script)
{
    for (int i = 0; i < REDIS_SCRIPTS; i++) {
        if (l->scripts[i].source == script) return i;
        if (!l->scripts[i].source) {
            l->scripts[i].source = script;
            return i;
        }
    }
    return -1;
}

static void on_eval_reply(void *owner, redisReply *r, void *data)
{
    cache_redis_link_t *l = owner;
    eval_op_t *op = data;
    if (r && r->type == REDIS_REPLY_ERROR && strncmp(r->str, "NOSCRIPT", 8) == 0 && !op->retried) {
        op->retried = true; /* Redis restarted or flushed its scripts: EVAL loads it again */
        if (eval_send(l, op) == 0) return;
        r = NULL;
    }
    long long ints[EVAL_INTS];
    int n = -1;
    if (r && r->type == REDIS_REPLY_INTEGER) {
        ints[0] = r->integer;
        n = 1;
    } else if (r && r->type == REDIS_REPLY_ARRAY) {
        for (n = 0; n < (int)r->elements && n < EVAL_INTS; n++) {
            if (r->element[n]->type != REDIS_REPLY_INTEGER) break;
            ints[n] = r->element[n]->integer;
        }
    }
    op->done(op->data, n >= 0 ? ints : NULL, n);
    free(op);
}

/* Sends op: EVALSHA when the script's SHA1 is known and op was not refused
 * it, else EVAL (and SCRIPT LOAD once, to learn the SHA1). Returns 0, or -1
 * when the link cannot send (on_eval_reply will not run). */
static int eval_send(cache_redis_link_t *l, eval_op_t *op)
{
    const char *script = l->scripts[op->script].source;
    char *sha = l->scripts[op->script].sha;
    bool by_sha = sha[0] && !op->retried;
    if (!sha[0] && !l->scripts[op->script].loading) {
        const char *load[] = {"SCRIPT", "LOAD", script};
        if (redis__send(l, l, on_script_load, (void *)(intptr_t)op->script, 3, load, NULL) == 0)
            l->scripts[op->script].loading = true;
    }
    char nkeys[16];
    snprintf(nkeys, sizeof nkeys, "%d", op->nkeys);
    const char *argv[3 + EVAL_ARGS] = {by_sha ? "EVALSHA" : "EVAL", by_sha ? sha : script, nkeys};
    for (int i = 0; i < op->argc; i++)
        argv[3 + i] = op->argv[i];
    return redis__send(l, l, on_eval_reply, op, 3 + op->argc, argv, NULL);
}

int cache_redis_eval(void *link, const char *script, int nkeys, int argc, const char **argv,
                     cache_redis_eval_fn done, void *data)
{
    cache_redis_link_t *l = link;
    if (l->state != LINK_READY || argc > EVAL_ARGS || nkeys > argc) return -1;
    int slot = script_slot(l, script);
    if (slot < 0) return -1;
    size_t bytes = sizeof(eval_op_t);
    for (int i = 0; i < argc; i++)
        bytes += strlen(argv[i]) + 1;
    eval_op_t *op = malloc(bytes);
    if (!op) return -1;
    *op = (eval_op_t){.script = slot, .nkeys = nkeys, .argc = argc, .done = done, .data = data};
    char *p = (char *)(op + 1);
    for (int i = 0; i < argc; i++) {
        size_t n = strlen(argv[i]) + 1;
        op->argv[i] = memcpy(p, argv[i], n);
        p += n;
    }
    if (eval_send(l, op) < 0) {
        free(op);
        return -1;
    }
    return 0;
}
