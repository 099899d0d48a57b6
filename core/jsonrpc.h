/* JSON-RPC 2.0 envelopes (https://www.jsonrpc.org/specification), as MCP
 * carries them: a body is one message or, where the protocol version allows
 * it, a batch (a non-empty array of messages). Parsed with jansson; what
 * comes back is a tree the caller owns.
 *
 * Each message of a body is classified on its own, so one bad member of a
 * batch gets its own error and the others still run. */
#ifndef SF_JSONRPC_H
#define SF_JSONRPC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define JSONRPC_PARSE_ERROR (-32700)
#define JSONRPC_INVALID_REQUEST (-32600)
#define JSONRPC_METHOD_NOT_FOUND (-32601)
#define JSONRPC_INVALID_PARAMS (-32602)
#define JSONRPC_INTERNAL_ERROR (-32603)

typedef enum {
    JSONRPC_REQUEST,      /* method + id: wants a response */
    JSONRPC_NOTIFICATION, /* method, no id: no response */
    JSONRPC_RESPONSE,     /* result or error + id: the client answering us */
    JSONRPC_INVALID,      /* none of those: error_code/error_msg say why */
} jsonrpc_kind_t;

typedef struct jsonrpc_msg {
    jsonrpc_kind_t kind;
    const char *method; /* requests and notifications; in the tree */
    json_t *id;         /* borrowed; NULL for notifications; null when unknown */
    json_t *params;     /* borrowed; NULL when absent; else an object or array */
    int error_code;     /* JSONRPC_INVALID */
    const char *error_msg;
} jsonrpc_msg_t;

typedef struct jsonrpc_body {
    json_t *root; /* owned: jsonrpc_body_free() */
    bool batch;   /* the body was an array */
    size_t n;     /* messages (0 only when error_code is set) */
    jsonrpc_msg_t *msgs;
    /* Set when the body as a whole is refused: JSONRPC_PARSE_ERROR (not
     * JSON) or JSONRPC_INVALID_REQUEST (an empty array, a batch over
     * max_batch, or neither object nor array). */
    int error_code;
    char error_msg[160];
} jsonrpc_body_t;

/* Parses len bytes. A batch of more than max_batch messages is refused
 * whole. Returns 0 (look at out->error_code) or -1 when out of memory. */
int jsonrpc_parse(const char *body, size_t len, size_t max_batch, jsonrpc_body_t *out);
void jsonrpc_body_free(jsonrpc_body_t *b);

/* {"jsonrpc":"2.0","id":id,"result":result}; steals result; id borrowed
 * (NULL: null). Returns NULL when out of memory. */
json_t *jsonrpc_result(json_t *id, json_t *result);

/* {"jsonrpc":"2.0","id":id,"error":{"code","message"[,"data"]}}; steals
 * data (may be NULL); id borrowed (NULL: null). */
json_t *jsonrpc_error(json_t *id, int code, const char *message, json_t *data);

/* The JSON-RPC error code for an HTTP refusal (401 -> -32001, 403 ->
 * -32003, 404 -> -32004, 429 -> -32029, 5xx -> -32050 - (status - 500)):
 * within the "server error" range -32000..-32099. */
int jsonrpc_code_of_status(int status);

#endif
