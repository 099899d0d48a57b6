/* Helpers for the provider tests: fixtures read into buffers of exactly
 * their size (no trailing NUL, so ASan catches a parser reading past len),
 * a default query and settings. */
#ifndef SF_TEST_PROV_HELPERS_H
#define SF_TEST_PROV_HELPERS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "providers/provider.h"
#include "test/test.h"

/* Reads a fixture into a malloc'd buffer of exactly its length (*len). */
static inline char *fixture_read(const char *rel, size_t *len)
{
    *len = 0;
    FILE *f = fopen(test_fixture(rel), "rb");
    if (f == NULL) {
        fprintf(stderr, "cannot open fixture %s\n", test_fixture(rel));
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc(n > 0 ? (size_t)n : 1);
    size_t got = buf != NULL ? fread(buf, 1, (size_t)n, f) : 0;
    fclose(f);
    *len = got;
    return buf;
}

/* A copy of s without its NUL, in a buffer of exactly strlen(s) bytes. */
static inline char *exact_copy(const char *s, size_t *len)
{
    *len = strlen(s);
    char *b = malloc(*len > 0 ? *len : 1);
    memcpy(b, s, *len);
    return b;
}

/* Parses a fixture (or its first cut bytes when cut > 0) with def. */
static inline int parse_fixture(const prov_def_t *def, const char *rel, size_t cut, arena_t *a,
                                prov_result_t *out, char *err, size_t errlen)
{
    size_t len = 0;
    char *body = fixture_read(rel, &len);
    if (body == NULL) return -99;
    if (cut > 0 && cut < len) len = cut;
    int rc = prov_parse(def, body, len, a, out, err, errlen);
    free(body);
    return rc;
}

/* Parses an inline string (copied without its NUL). */
static inline int parse_string(const prov_def_t *def, const char *s, arena_t *a, prov_result_t *out,
                               char *err, size_t errlen)
{
    size_t len;
    char *body = exact_copy(s, &len);
    int rc = prov_parse(def, body, len, a, out, err, errlen);
    free(body);
    return rc;
}

static inline query_t test_query(const char *text)
{
    query_t q;
    memset(&q, 0, sizeof(q));
    q.text = text;
    q.limit = 10;
    return q;
}

static inline prov_settings_t test_settings(const char *base, const char *key, const char *mailto,
                                            int max)
{
    prov_settings_t s = {.base_url = base, .api_key = key, .mailto = mailto, .max_results = max};
    return s;
}

/* Whether the request has exactly this header line. */
static inline int has_header(const prov_request_t *r, const char *line)
{
    for (size_t i = 0; i < r->nheaders; i++)
        if (strcmp(r->headers[i], line) == 0) return 1;
    return 0;
}

/* A body every JSON parser must refuse without crashing. */
static const char *const garbage_bodies[] __attribute__((unused)) = {
    "not json at all",
    "{",
    "[1,2,3]",
    "\"string\"",
    "null",
    "{\"data\": \"nope\"}",
    "<html><body>502 Bad Gateway</body></html>",
    "\xff\xfe\x00garbage",
    "{}",
};

#endif
