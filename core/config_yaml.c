/* The configuration file: a YAML mapping whose nested mappings make dotted
 * keys (log: {level: debug} sets "log.level"), read with libyaml's event
 * parser. Unknown keys, a key given twice, lists and aliases are refused
 * with the file, line and key; a file with an error changes nothing. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "core/config_schema.h"

#define YAML_MAX_DEPTH 8
#define YAML_KEY_MAX 256

typedef struct yaml_ctx {
    yaml_parser_t parser;
    const char *path;
    sf_config_t *c;
    bool *seen; /* per row: a key given twice in one file is refused */
    char *err;
    size_t errlen;
} yaml_ctx_t;

static int next_event(yaml_ctx_t *y, yaml_event_t *ev)
{
    if (yaml_parser_parse(&y->parser, ev)) return 0;
    config__fmt_err(y->err, y->errlen, "%s:%zu: YAML syntax error: %s%s%s", y->path,
                    (size_t)y->parser.problem_mark.line + 1,
                    y->parser.problem != NULL ? y->parser.problem : "unknown problem",
                    y->parser.context != NULL ? " " : "",
                    y->parser.context != NULL ? y->parser.context : "");
    return -1;
}

static size_t ev_line(const yaml_event_t *ev)
{
    return (size_t)ev->start_mark.line + 1;
}

/* Plain ~, null and an empty value mean "no value": the empty string. */
static const char *scalar_text(const yaml_event_t *ev)
{
    const char *s = (const char *)ev->data.scalar.value;
    if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
        (strcmp(s, "~") == 0 || strcmp(s, "null") == 0 || strcmp(s, "Null") == 0 ||
         strcmp(s, "NULL") == 0))
        return "";
    return s;
}

static int parse_mapping(yaml_ctx_t *y, const char *prefix, int depth);

/* Handles the value event of key (already dotted). */
static int parse_value(yaml_ctx_t *y, const char *key, size_t line, yaml_event_t *ev, int depth)
{
    const config_key_t *k = config__find(key);
    switch (ev->type) {
    case YAML_SCALAR_EVENT: {
        if (k == NULL) {
            config__fmt_err(y->err, y->errlen, "%s:%zu: unknown key '%s'", y->path, line, key);
            return -1;
        }
        size_t idx = (size_t)(k - config__keys);
        if (y->seen[idx]) {
            config__fmt_err(y->err, y->errlen, "%s:%zu: key '%s' is given twice", y->path, line,
                            key);
            return -1;
        }
        y->seen[idx] = true;
        char msg[512];
        if (config__key_set(y->c, k, scalar_text(ev), msg, sizeof(msg)) != 0) {
            config__fmt_err(y->err, y->errlen, "%s:%zu: %s", y->path, line, msg);
            return -1;
        }
        return 0;
    }
    case YAML_MAPPING_START_EVENT:
        if (k != NULL) {
            config__fmt_err(y->err, y->errlen,
                            "%s:%zu: key '%s': expected a single value, got a mapping", y->path,
                            line, key);
            return -1;
        }
        if (!config__is_section(key)) {
            config__fmt_err(y->err, y->errlen, "%s:%zu: unknown key '%s'", y->path, line, key);
            return -1;
        }
        return parse_mapping(y, key, depth + 1);
    case YAML_SEQUENCE_START_EVENT:
        if (k == NULL) {
            config__fmt_err(y->err, y->errlen, "%s:%zu: unknown key '%s'", y->path, line, key);
            return -1;
        }
        config__fmt_err(y->err, y->errlen,
                        "%s:%zu: key '%s': expected a single value, got a list "
                        "(quote a value that starts with '[', like \"[::1]:8080\")",
                        y->path, line, key);
        return -1;
    case YAML_ALIAS_EVENT:
        config__fmt_err(y->err, y->errlen, "%s:%zu: key '%s': aliases are not supported", y->path,
                        line, key);
        return -1;
    default:
        config__fmt_err(y->err, y->errlen, "%s:%zu: key '%s': unexpected YAML element", y->path,
                        line, key);
        return -1;
    }
}

/* Reads key/value pairs up to the end of the mapping whose start was just
 * read. prefix is "" at the top. */
static int parse_mapping(yaml_ctx_t *y, const char *prefix, int depth)
{
    if (depth > YAML_MAX_DEPTH) {
        config__fmt_err(y->err, y->errlen, "%s: nested too deep at '%s'", y->path, prefix);
        return -1;
    }
    for (;;) {
        yaml_event_t kev, vev;
        if (next_event(y, &kev) != 0) return -1;
        if (kev.type == YAML_MAPPING_END_EVENT) {
            yaml_event_delete(&kev);
            return 0;
        }
        size_t line = ev_line(&kev);
        if (kev.type != YAML_SCALAR_EVENT) {
            config__fmt_err(y->err, y->errlen, "%s:%zu: keys must be plain names", y->path, line);
            yaml_event_delete(&kev);
            return -1;
        }
        char key[YAML_KEY_MAX];
        int n = snprintf(key, sizeof(key), "%s%s%s", prefix, prefix[0] != '\0' ? "." : "",
                         (const char *)kev.data.scalar.value);
        yaml_event_delete(&kev);
        if (n < 0 || (size_t)n >= sizeof(key)) {
            config__fmt_err(y->err, y->errlen, "%s:%zu: key too long", y->path, line);
            return -1;
        }
        if (next_event(y, &vev) != 0) return -1;
        int rc = parse_value(y, key, line, &vev, depth);
        yaml_event_delete(&vev);
        if (rc != 0) return -1;
    }
}

int config_load_file(sf_config_t *c, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        config__fmt_err(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    yaml_ctx_t y;
    memset(&y, 0, sizeof(y));
    y.path = path;
    y.c = c;
    y.err = err;
    y.errlen = errlen;
    y.seen = calloc(config__nkeys, sizeof *y.seen);
    if (!y.seen || !yaml_parser_initialize(&y.parser)) {
        free(y.seen);
        fclose(f);
        config__fmt_err(err, errlen, "%s: out of memory", path);
        return -1;
    }
    yaml_parser_set_input_file(&y.parser, f);

    /* Work on a copy so a file with an error leaves c untouched. */
    sf_config_t tmp = *c;
    y.c = &tmp;

    int rc = -1;
    int docs = 0;
    for (;;) {
        yaml_event_t ev;
        if (next_event(&y, &ev) != 0) goto done;
        yaml_event_type_t t = ev.type;
        size_t line = ev_line(&ev);
        int r = 0;
        switch (t) {
        case YAML_STREAM_START_EVENT:
        case YAML_DOCUMENT_END_EVENT:
            break;
        case YAML_DOCUMENT_START_EVENT:
            if (++docs > 1) {
                config__fmt_err(err, errlen, "%s:%zu: only one YAML document is allowed", path,
                                line);
                r = -1;
            }
            break;
        case YAML_MAPPING_START_EVENT:
            r = parse_mapping(&y, "", 0);
            break;
        case YAML_SCALAR_EVENT:
            /* an empty document ("---" alone) is fine */
            if (scalar_text(&ev)[0] != '\0') {
                config__fmt_err(err, errlen, "%s:%zu: expected a mapping of keys at the top", path,
                                line);
                r = -1;
            }
            break;
        case YAML_STREAM_END_EVENT:
            yaml_event_delete(&ev);
            rc = 0;
            goto done;
        default:
            config__fmt_err(err, errlen, "%s:%zu: expected a mapping of keys at the top", path,
                            line);
            r = -1;
            break;
        }
        yaml_event_delete(&ev);
        if (r != 0) goto done;
    }
done:
    yaml_parser_delete(&y.parser);
    free(y.seen);
    fclose(f);
    if (rc == 0) *c = tmp;
    return rc;
}
