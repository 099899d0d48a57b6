#include "core/jsonrpc.h"

#include "core/utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An id is a string, a number or null (JSON-RPC 2.0 section 4; MCP says
 * requests must not use null, which we answer anyway). */
static bool id_ok(const json_t *id)
{
    return json_is_string(id) || json_is_integer(id) || json_is_real(id) || json_is_null(id);
}

static void invalid(jsonrpc_msg_t *m, const char *why)
{
    m->kind = JSONRPC_INVALID;
    m->error_code = JSONRPC_INVALID_REQUEST;
    m->error_msg = why;
}

static void classify(json_t *v, jsonrpc_msg_t *m)
{
    memset(m, 0, sizeof *m);
    if (!json_is_object(v)) {
        invalid(m, "a JSON-RPC message is an object");
        return;
    }
    json_t *id = json_object_get(v, "id");
    /* An unusable id is answered with null: the client cannot be told apart. */
    m->id = id && id_ok(id) ? id : NULL;
    json_t *ver = json_object_get(v, "jsonrpc");
    if (!json_is_string(ver) || strcmp(json_string_value(ver), "2.0") != 0) {
        invalid(m, "member 'jsonrpc' must be \"2.0\"");
        return;
    }
    if (id && !id_ok(id)) {
        invalid(m, "member 'id' must be a string or a number");
        return;
    }
    json_t *method = json_object_get(v, "method");
    json_t *result = json_object_get(v, "result");
    json_t *error = json_object_get(v, "error");
    if (!method && (result || error)) {
        if (!id || (result && error)) {
            invalid(m, "a response has an 'id' and one of 'result' or 'error'");
            return;
        }
        m->kind = JSONRPC_RESPONSE;
        return;
    }
    if (!json_is_string(method) || json_string_length(method) == 0) {
        invalid(m, "member 'method' must be a non-empty string");
        return;
    }
    json_t *params = json_object_get(v, "params");
    if (params && !json_is_object(params) && !json_is_array(params)) {
        invalid(m, "member 'params' must be an object or an array");
        return;
    }
    m->method = json_string_value(method);
    m->params = params;
    m->kind = id ? JSONRPC_REQUEST : JSONRPC_NOTIFICATION;
}

int jsonrpc_parse(const char *body, size_t len, size_t max_batch, jsonrpc_body_t *out)
{
    memset(out, 0, sizeof *out);
    json_error_t jerr;
    /* Duplicate keys are refused: two "id"s or "method"s are ambiguous. */
    out->root = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (!out->root) {
        out->error_code = JSONRPC_PARSE_ERROR;
        snprintf(out->error_msg, sizeof out->error_msg, "not JSON: %.100s (at byte %d)", jerr.text,
                 jerr.position);
        return 0;
    }
    if (json_is_array(out->root)) {
        out->batch = true;
        out->n = json_array_size(out->root);
        if (out->n == 0) {
            out->error_code = JSONRPC_INVALID_REQUEST;
            snprintf(out->error_msg, sizeof out->error_msg, "an empty batch");
            return 0;
        }
        if (out->n > max_batch) {
            out->error_code = JSONRPC_INVALID_REQUEST;
            snprintf(out->error_msg, sizeof out->error_msg,
                     "a batch of %zu messages: at most %zu are taken", out->n, max_batch);
            out->n = 0;
            return 0;
        }
    } else if (json_is_object(out->root)) {
        out->n = 1;
    } else {
        out->error_code = JSONRPC_INVALID_REQUEST;
        snprintf(out->error_msg, sizeof out->error_msg,
                 "a JSON-RPC body is an object (or an array of them)");
        return 0;
    }
    out->msgs = calloc(out->n, sizeof *out->msgs);
    if (!out->msgs) {
        jsonrpc_body_free(out);
        return -1;
    }
    for (size_t i = 0; i < out->n; i++)
        classify(out->batch ? json_array_get(out->root, i) : out->root, &out->msgs[i]);
    return 0;
}

void jsonrpc_body_free(jsonrpc_body_t *b)
{
    json_decref(b->root);
    free(b->msgs);
    b->root = NULL;
    b->msgs = NULL;
    b->n = 0;
}

static json_t *envelope(json_t *id)
{
    json_t *o = json_object();
    if (!o) return NULL;
    if (json_object_set_new(o, "jsonrpc", json_string("2.0")) < 0 ||
        json_object_set_new(o, "id", id ? json_incref(id) : json_null()) < 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *jsonrpc_result(json_t *id, json_t *result)
{
    json_t *o = result ? envelope(id) : NULL;
    if (!o || json_object_set_new(o, "result", result) < 0) {
        json_decref(o);
        if (!o) json_decref(result);
        return NULL;
    }
    return o;
}

/* s with every byte that is not part of valid UTF-8 as U+FFFD: messages
 * may echo what the client sent. */
static json_t *string_fixed(const char *s)
{
    size_t n = strlen(s), o = 0;
    char *buf = malloc(3 * n + 1);
    if (!buf) return NULL;
    for (size_t i = 0; i < n;) {
        size_t k = utf8_seq((const unsigned char *)s + i, n - i);
        if (k == 0) {
            memcpy(buf + o, "\xef\xbf\xbd", 3);
            o += 3;
            i++;
        } else {
            memcpy(buf + o, s + i, k);
            o += k;
            i += k;
        }
    }
    buf[o] = '\0';
    json_t *v = json_string(buf);
    free(buf);
    return v;
}

json_t *jsonrpc_error(json_t *id, int code, const char *message, json_t *data)
{
    json_t *msg = json_string(message ? message : "");
    if (!msg && message) msg = string_fixed(message);
    json_t *e = json_pack("{s:I,s:o}", "code", (json_int_t)code, "message", msg);
    if (e && data && json_object_set(e, "data", data) < 0) {
        json_decref(e);
        e = NULL;
    }
    json_decref(data);
    json_t *o = e ? envelope(id) : NULL;
    if (!o || json_object_set_new(o, "error", e) < 0) { /* set_new took e even when failing */
        if (!o) json_decref(e);
        json_decref(o);
        return NULL;
    }
    return o;
}

int jsonrpc_code_of_status(int status)
{
    if (status >= 400 && status < 500) return -32000 - (status - 400);
    if (status >= 500 && status < 550) return -32050 - (status - 500);
    return -32000;
}
