/* Shortest doubles for JSON, and a compact jansson writer that uses them. */
#include "core/json_num.h"

#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t json_num_format(double v, char *buf)
{
    if (!isfinite(v)) {
        memcpy(buf, "null", 5);
        return 4;
    }
    int n = 0;
    for (int prec = 15; prec <= 17; prec++) {
        n = snprintf(buf, JSON_NUM_MAX, "%.*g", prec, v);
        if (strtod(buf, NULL) == v) break;
    }
    return (size_t)n;
}

/* ---- the writer ---------------------------------------------------------- */

typedef struct out {
    char *p;
    size_t len, cap;
    bool failed;
} out_t;

static void put(out_t *o, const char *s, size_t n)
{
    if (o->failed) return;
    if (o->len + n + 1 > o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 256;
        while (cap < o->len + n + 1)
            cap *= 2;
        char *p = realloc(o->p, cap);
        if (!p) {
            o->failed = true;
            return;
        }
        o->p = p;
        o->cap = cap;
    }
    memcpy(o->p + o->len, s, n);
    o->len += n;
    o->p[o->len] = '\0';
}

/* A string as jansson writes it without flags: quote, backslash and
 * control characters escaped, the rest (UTF-8, jansson checked it) as is. */
static void put_string(out_t *o, const char *s, size_t n)
{
    put(o, "\"", 1);
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch >= 0x20 && ch != '"' && ch != '\\') continue;
        put(o, s + run, i - run);
        run = i + 1;
        char esc[8];
        switch (ch) {
        case '"':
            put(o, "\\\"", 2);
            break;
        case '\\':
            put(o, "\\\\", 2);
            break;
        case '\b':
            put(o, "\\b", 2);
            break;
        case '\f':
            put(o, "\\f", 2);
            break;
        case '\n':
            put(o, "\\n", 2);
            break;
        case '\r':
            put(o, "\\r", 2);
            break;
        case '\t':
            put(o, "\\t", 2);
            break;
        default:
            snprintf(esc, sizeof esc, "\\u%04X", ch);
            put(o, esc, 6);
        }
    }
    put(o, s + run, n - run);
    put(o, "\"", 1);
}

static void put_value(out_t *o, const json_t *j, int depth)
{
    char buf[JSON_NUM_MAX + 2];
    if (depth > 2048) { /* jansson's own limit on what it parses */
        o->failed = true;
        return;
    }
    switch (json_typeof(j)) {
    case JSON_NULL:
        put(o, "null", 4);
        break;
    case JSON_TRUE:
        put(o, "true", 4);
        break;
    case JSON_FALSE:
        put(o, "false", 5);
        break;
    case JSON_INTEGER: {
        int n = snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(j));
        put(o, buf, (size_t)n);
        break;
    }
    case JSON_REAL: {
        size_t n = json_num_format(json_real_value(j), buf);
        if (!strpbrk(buf, ".eEn")) { /* "5" would read back as an integer */
            memcpy(buf + n, ".0", 3);
            n += 2;
        }
        put(o, buf, n);
        break;
    }
    case JSON_STRING:
        put_string(o, json_string_value(j), json_string_length(j));
        break;
    case JSON_ARRAY: {
        put(o, "[", 1);
        for (size_t i = 0; i < json_array_size(j); i++) {
            if (i) put(o, ",", 1);
            put_value(o, json_array_get(j, i), depth + 1);
        }
        put(o, "]", 1);
        break;
    }
    case JSON_OBJECT: {
        const char *key;
        json_t *v;
        bool first = true;
        put(o, "{", 1);
        json_object_foreach((json_t *)j, key, v)
        {
            if (!first) put(o, ",", 1);
            first = false;
            put_string(o, key, strlen(key));
            put(o, ":", 1);
            put_value(o, v, depth + 1);
        }
        put(o, "}", 1);
        break;
    }
    }
}

char *json_num_dumps(const json_t *json)
{
    if (!json) return NULL;
    out_t o = {0};
    put_value(&o, json, 0);
    if (o.failed) {
        free(o.p);
        return NULL;
    }
    return o.p;
}
