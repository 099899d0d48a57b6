/* Internal to the configuration (core/config_*.c): the schema, one row per
 * setting, and the value syntax every layer parses with. Not for other
 * modules; they use core/config.h.
 *
 *   config_schema.c  the rows (config__keys[]) and lookups
 *   config_value.c   value syntax: config__key_set(), defaults, config_set()
 *   config_yaml.c    the YAML file reader
 *   config_env.c     SCIFIND_* environment variables
 *   config_listen.c  "HOST:PORT" parsing
 *   config_doc.c     `scifind config keys` and the reference in docs/
 *   config.c         cross-key checks and config_provider() */
#ifndef SF_CONFIG_SCHEMA_H
#define SF_CONFIG_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"

typedef enum {
    CT_STR,      /* char[size]; bounds are unused */
    CT_INT,      /* int or int64_t (by size); min..max */
    CT_SIZE,     /* int64_t bytes, "64k"; min..max */
    CT_DURATION, /* int64_t milliseconds, "10s"; min..max */
    CT_BOOL,     /* bool */
    CT_RATIO,    /* double 0..1 */
    CT_ENUM,     /* char[size] holding one of choices */
} config_type_t;

typedef struct config_key {
    const char *key; /* dotted YAML path */
    const char *env; /* environment variable */
    config_type_t type;
    size_t offset;       /* of the field in sf_config_t */
    size_t size;         /* of the field */
    int64_t min, max;    /* CT_INT, CT_SIZE, CT_DURATION */
    const char *choices; /* CT_ENUM: "a|b|c" */
    const char *def;     /* default, in the value syntax */
    const char *help;    /* one line, for --help and docs */
} config_key_t;

#define CONFIG_KB INT64_C(1024)
#define CONFIG_MB (CONFIG_KB * 1024)
#define CONFIG_GB (CONFIG_MB * 1024)
#define CONFIG_SEC INT64_C(1000)
#define CONFIG_HOUR (3600 * CONFIG_SEC)

/* Every setting, in the order of the reference. */
extern const config_key_t config__keys[];
extern const size_t config__nkeys;

/* The row of a dotted key, or NULL. */
const config_key_t *config__find(const char *key);
/* The row of an environment variable name (len bytes), or NULL. */
const config_key_t *config__find_env(const char *name, size_t len);
/* True when prefix is the start of a longer key ("http" of "http.max_headers"). */
bool config__is_section(const char *prefix);

/* Parses value in the row's syntax into its field of c. Returns 0, or -1
 * with "key 'x': reason" in err (c unchanged). */
int config__key_set(sf_config_t *c, const config_key_t *k, const char *value, char *err,
                    size_t errlen);

/* Parses an unsigned decimal prefix of s into *out; returns the end, or NULL
 * when there is no digit or the number overflows. */
const char *config__parse_digits(const char *s, int64_t *out);

/* snprintf into err when err is not NULL. */
void config__fmt_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
