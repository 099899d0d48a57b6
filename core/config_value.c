/* The configuration's value syntax (core/config.h says it): integers,
 * sizes, durations, booleans, ratios, choices and strings, each checked
 * against its row's bounds; and the two calls that set values from text,
 * config_defaults() and config_set(). */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/config_schema.h"

const char *config__parse_digits(const char *s, int64_t *out)
{
    int64_t v = 0;
    const char *p = s;
    while (*p >= '0' && *p <= '9') {
        int d = *p - '0';
        if (v > (INT64_MAX - d) / 10) return NULL;
        v = v * 10 + d;
        p++;
    }
    if (p == s) return NULL;
    *out = v;
    return p;
}

static int parse_int(const char *s, int64_t *out)
{
    bool neg = false;
    if (*s == '-' || *s == '+') neg = *s++ == '-';
    int64_t v;
    const char *end = config__parse_digits(s, &v);
    if (end == NULL || *end != '\0') return -1;
    *out = neg ? -v : v;
    return 0;
}

static int parse_size(const char *s, int64_t *out)
{
    int64_t v;
    const char *end = config__parse_digits(s, &v);
    if (end == NULL) return -1;
    int64_t mul = 1;
    switch (*end) {
    case '\0':
        break;
    case 'k':
    case 'K':
        mul = CONFIG_KB, end++;
        break;
    case 'm':
    case 'M':
        mul = CONFIG_MB, end++;
        break;
    case 'g':
    case 'G':
        mul = CONFIG_GB, end++;
        break;
    default:
        return -1;
    }
    if (*end != '\0' || v > INT64_MAX / mul) return -1;
    *out = v * mul;
    return 0;
}

static int parse_duration(const char *s, int64_t *out)
{
    int64_t v;
    const char *end = config__parse_digits(s, &v);
    if (end == NULL) return -1;
    int64_t mul;
    if (*end == '\0' || strcmp(end, "ms") == 0)
        mul = 1;
    else if (strcmp(end, "s") == 0)
        mul = CONFIG_SEC;
    else if (strcmp(end, "m") == 0)
        mul = 60 * CONFIG_SEC;
    else if (strcmp(end, "h") == 0)
        mul = CONFIG_HOUR;
    else
        return -1;
    if (v > INT64_MAX / mul) return -1;
    *out = v * mul;
    return 0;
}

static int parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return -1;
}

static int parse_ratio(const char *s, double *out)
{
    if (*s == '\0' || isspace((unsigned char)*s)) return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (*end != '\0' || errno != 0 || isnan(v)) return -1;
    *out = v;
    return 0;
}

static bool enum_has(const char *choices, const char *s)
{
    size_t n = strlen(s);
    const char *p = choices;
    while (*p != '\0') {
        const char *bar = strchr(p, '|');
        size_t len = bar != NULL ? (size_t)(bar - p) : strlen(p);
        if (len == n && n > 0 && memcmp(p, s, n) == 0) return true;
        if (bar == NULL) break;
        p = bar + 1;
    }
    return false;
}

/* Writes v in the row's own syntax, choosing the largest exact unit, so
 * messages show bounds the way a user writes them ("1g", "24h"). */
static void fmt_value(const config_key_t *k, int64_t v, char *buf, size_t len)
{
    if (k->type == CT_SIZE) {
        if (v != 0 && v % CONFIG_GB == 0)
            snprintf(buf, len, "%lldg", (long long)(v / CONFIG_GB));
        else if (v != 0 && v % CONFIG_MB == 0)
            snprintf(buf, len, "%lldm", (long long)(v / CONFIG_MB));
        else if (v != 0 && v % CONFIG_KB == 0)
            snprintf(buf, len, "%lldk", (long long)(v / CONFIG_KB));
        else
            snprintf(buf, len, "%lld", (long long)v);
    } else if (k->type == CT_DURATION) {
        if (v != 0 && v % CONFIG_HOUR == 0)
            snprintf(buf, len, "%lldh", (long long)(v / CONFIG_HOUR));
        else if (v != 0 && v % (60 * CONFIG_SEC) == 0)
            snprintf(buf, len, "%lldm", (long long)(v / (60 * CONFIG_SEC)));
        else if (v != 0 && v % CONFIG_SEC == 0)
            snprintf(buf, len, "%llds", (long long)(v / CONFIG_SEC));
        else
            snprintf(buf, len, "%lldms", (long long)v);
    } else {
        snprintf(buf, len, "%lld", (long long)v);
    }
}

int config__key_set(sf_config_t *c, const config_key_t *k, const char *value, char *err,
                    size_t errlen)
{
    char *field = (char *)c + k->offset;
    int64_t v = 0;
    int rc = 0;
    const char *expected = NULL;

    switch (k->type) {
    case CT_STR:
        if (strlen(value) >= k->size) {
            config__fmt_err(err, errlen, "key '%s': value too long (at most %zu bytes)", k->key,
                            k->size - 1);
            return -1;
        }
        memcpy(field, value, strlen(value) + 1);
        return 0;
    case CT_ENUM:
        if (!enum_has(k->choices, value) || strlen(value) >= k->size) {
            char list[256];
            size_t j = 0;
            for (const char *q = k->choices; *q != '\0' && j + 3 < sizeof(list); q++) {
                if (*q == '|') {
                    list[j++] = ',';
                    list[j++] = ' ';
                } else {
                    list[j++] = *q;
                }
            }
            list[j] = '\0';
            config__fmt_err(err, errlen, "key '%s': expected one of %s, got '%s'", k->key, list,
                            value);
            return -1;
        }
        memcpy(field, value, strlen(value) + 1);
        return 0;
    case CT_BOOL: {
        bool b;
        if (parse_bool(value, &b) != 0) {
            config__fmt_err(err, errlen,
                            "key '%s': expected true or false (also yes/no, on/off, 1/0), "
                            "got '%s'",
                            k->key, value);
            return -1;
        }
        *(bool *)field = b;
        return 0;
    }
    case CT_RATIO: {
        double d;
        if (parse_ratio(value, &d) != 0 || d < 0 || d > 1) {
            config__fmt_err(err, errlen, "key '%s': expected a number from 0 to 1, got '%s'",
                            k->key, value);
            return -1;
        }
        *(double *)field = d;
        return 0;
    }
    case CT_INT:
        rc = parse_int(value, &v);
        expected = "an integer";
        break;
    case CT_SIZE:
        rc = parse_size(value, &v);
        expected = "a size like 1048576, 64k or 1m";
        break;
    case CT_DURATION:
        rc = parse_duration(value, &v);
        expected = "a duration like 250ms, 10s, 2m or 1h";
        break;
    }
    if (rc != 0) {
        config__fmt_err(err, errlen, "key '%s': expected %s, got '%s'", k->key, expected, value);
        return -1;
    }
    if (v < k->min || v > k->max) {
        char lo[32], hi[32];
        fmt_value(k, k->min, lo, sizeof(lo));
        fmt_value(k, k->max, hi, sizeof(hi));
        config__fmt_err(err, errlen, "key '%s': must be from %s to %s, got '%s'", k->key, lo, hi,
                        value);
        return -1;
    }
    if (k->size == sizeof(int))
        *(int *)field = (int)v;
    else
        *(int64_t *)field = v;
    return 0;
}

void config_defaults(sf_config_t *c)
{
    memset(c, 0, sizeof(*c));
    for (size_t i = 0; i < config__nkeys; i++) {
        char err[256];
        if (config__key_set(c, &config__keys[i], config__keys[i].def, err, sizeof(err)) != 0) {
            /* a bad row is a programming error: fail loudly at startup */
            fprintf(stderr, "config: bad default: %s\n", err);
            abort();
        }
    }
}

int config_set(sf_config_t *c, const char *key, const char *value, char *err, size_t errlen)
{
    const config_key_t *k = config__find(key);
    if (k == NULL) {
        config__fmt_err(err, errlen, "unknown key '%s'", key);
        return -1;
    }
    return config__key_set(c, k, value, err, errlen);
}
