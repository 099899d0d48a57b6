/* libFuzzer target: the JSON-RPC envelope parser of core/jsonrpc.c (what
 * POST /mcp reads first), twice: with the default batch limit and with a
 * batch limit of 2.
 *
 * Input in a malloc'd buffer of exactly its size (no NUL after it). A body
 * is refused whole only as a parse error or an invalid request, with a
 * message; otherwise every message is one of the four kinds with what
 * that kind needs (a request: a non-empty method and an id; a notification:
 * a method and no id; an invalid one: -32600 and a message), and the
 * answer to each, written and parsed back, carries its id unchanged. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jsonrpc.h"

static void fatal(const char *what)
{
    fprintf(stderr, "fuzz_jsonrpc: %s\n", what);
    abort();
}

static void check_answer(const jsonrpc_msg_t *m)
{
    json_t *a = m->kind == JSONRPC_REQUEST
                    ? jsonrpc_result(m->id, json_object())
                    : jsonrpc_error(m->id, m->error_code, m->error_msg, json_string("data"));
    if (!a) return; /* out of memory */
    char *text = json_dumps(a, JSON_COMPACT);
    json_t *back = text ? json_loads(text, 0, NULL) : NULL;
    if (text && !back) fatal("an answer does not parse back");
    json_t *id = json_object_get(back, "id");
    if (back && !(m->id ? json_equal(id, m->id) : json_is_null(id)))
        fatal("the answer's id is not the request's");
    json_decref(back);
    free(text);
    json_decref(a);
}

static void run(const char *buf, size_t size, size_t max_batch)
{
    jsonrpc_body_t b;
    if (jsonrpc_parse(buf, size, max_batch, &b) < 0) return; /* out of memory */
    if (b.error_code) {
        if (b.error_code != JSONRPC_PARSE_ERROR && b.error_code != JSONRPC_INVALID_REQUEST)
            fatal("a body refused with an unknown code");
        if (!b.error_msg[0] || !memchr(b.error_msg, '\0', sizeof b.error_msg))
            fatal("a body refused without a message");
        if (b.n && b.error_code == JSONRPC_PARSE_ERROR) fatal("messages in a body not parsed");
    } else {
        if (b.n == 0 || b.n > max_batch) fatal("message count out of range");
        if (!b.batch && b.n != 1) fatal("a single body with several messages");
    }
    for (size_t i = 0; !b.error_code && i < b.n; i++) {
        const jsonrpc_msg_t *m = &b.msgs[i];
        switch (m->kind) {
        case JSONRPC_REQUEST:
            if (!m->id || !m->method || !m->method[0]) fatal("a request without id or method");
            break;
        case JSONRPC_NOTIFICATION:
            if (m->id || !m->method || !m->method[0]) fatal("a notification with an id");
            break;
        case JSONRPC_RESPONSE:
            if (!m->id) fatal("a response without an id");
            break;
        case JSONRPC_INVALID:
            if (m->error_code != JSONRPC_INVALID_REQUEST || !m->error_msg)
                fatal("an invalid message without its error");
            break;
        default:
            fatal("unknown kind");
        }
        if (m->params && !json_is_object(m->params) && !json_is_array(m->params))
            fatal("params neither object nor array");
        if (m->kind != JSONRPC_RESPONSE && m->kind != JSONRPC_NOTIFICATION) check_answer(m);
    }
    jsonrpc_body_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size ? size : 1);
    if (!buf) return 0;
    if (size) memcpy(buf, data, size);
    run(buf, size, 100);
    run(buf, size, 2);
    free(buf);
    return 0;
}
