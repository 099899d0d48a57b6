/* libFuzzer target: the search request parsers of core/query.c, the URL
 * query string (query_parse_params) and the JSON body (query_parse_json),
 * and query_key() on every query they accept.
 *
 * The same input goes to both parsers, each time in a malloc'd buffer of
 * exactly its size (no NUL after it), so a read past len is caught. An
 * accepted query must hold the documented invariants (non-empty
 * normalised text, limit 1..100, offset >= 0, known sort and strategy),
 * and its key must be a function of the query: normalising the text again
 * changes nothing. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/query.h"

static void fatal(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz_query: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    abort();
}

static void check_query(const query_t *q, arena_t *a, const char *err, size_t errlen)
{
    if (!q->text || !q->text[0]) fatal("accepted query with empty text", NULL);
    if (q->limit < 1 || q->limit > QUERY_MAX_LIMIT) fatal("limit out of range", NULL);
    if (q->offset < 0) fatal("negative offset", NULL);
    if ((unsigned)q->sort > SORT_CITATIONS) fatal("unknown sort", NULL);
    if ((unsigned)q->strategy > STRATEGY_FASTEST) fatal("unknown strategy", NULL);
    if (q->deadline_ms < 0) fatal("negative deadline", NULL);
    if (q->year_from && q->year_to && q->year_from > q->year_to)
        fatal("year_from after year_to", NULL);
    if (q->date_from && strlen(q->date_from) != 10) fatal("date_from is not YYYY-MM-DD", NULL);
    if (q->date_to && strlen(q->date_to) != 10) fatal("date_to is not YYYY-MM-DD", NULL);
    if (q->providers >> SRC_COUNT) fatal("provider bit out of range", NULL);
    (void)err, (void)errlen;
    char *again = query_normalize_text(a, q->text, strlen(q->text));
    if (!again || strcmp(again, q->text) != 0) fatal("normalised text is not a fixed point", q->text);
    char *k1 = query_key(q, a);
    if (!k1) fatal("query_key failed", NULL);
    query_t copy = *q;
    copy.deadline_ms = q->deadline_ms ? 0 : 1000; /* the deadline is not part of the key */
    char *k2 = query_key(&copy, a);
    if (!k2 || strcmp(k1, k2) != 0) fatal("the deadline changed the key", k1);
}

static void run(const uint8_t *data, size_t size, bool json)
{
    char *buf = malloc(size ? size : 1);
    if (!buf) return;
    if (size) memcpy(buf, data, size);
    arena_t *a = arena_new(0);
    if (!a) {
        free(buf);
        return;
    }
    query_t q;
    char err[256];
    memset(err, 'x', sizeof err);
    int rc = json ? query_parse_json(&q, buf, size, a, err, sizeof err)
                  : query_parse_params(&q, buf, size, a, err, sizeof err);
    if (rc == 0)
        check_query(&q, a, err, sizeof err);
    else if (rc != -1)
        fatal("parser returned neither 0 nor -1", NULL);
    else if (!memchr(err, '\0', sizeof err) || !err[0])
        fatal("refusal without a NUL-terminated message", NULL);
    arena_free(a);
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    run(data, size, false);
    run(data, size, true);
    return 0;
}
