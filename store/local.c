/* The "local" provider: the store's own papers, searched in full text
 * (statement sf_search) as one more source of the fan-out. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "store/sql.h"
#include "store/store_internal.h"

#define LOCAL_MAX_ROWS 200 /* the most rows one search reads */

typedef struct local_call {
    store_t *st;
    search_t *search;
    store_query_t *q;
    uint64_t start_ns;
} local_call_t;

static void local_done(PGresult *res, const char *err, void *data)
{
    local_call_t *lc = data;
    search_t *s = lc->search;
    double ms = (double)(clock_now_ns() - lc->start_ns) / 1e6;
    *search_backend_slot(s, SRC_LOCAL) = NULL;
    if (!res || PQresultStatus(res) != PGRES_TUPLES_OK) {
        char msg[256];
        snprintf(msg, sizeof msg, "store: %s", err ? err : "query failed");
        msg[strcspn(msg, "\n")] = '\0';
        bool timeout = err && strstr(err, "statement timeout");
        search_provider_done(s, SRC_LOCAL, timeout ? PSTAT_TIMEOUT : PSTAT_ERROR, NULL, ms, msg);
        return;
    }
    arena_t *a = search_arena(s);
    paper_list_t *list = arena_calloc(a, 1, sizeof *list);
    int n = PQntuples(res);
    for (int i = 0; list && i < n; i++) {
        json_t *o = json_loads(PQgetvalue(res, i, 0), 0, NULL);
        paper_t *p = o ? paper_list_add(list, a) : NULL;
        if (p && store_paper_from_json(o, a, i + 1, p) < 0) list->n--;
        json_decref(o);
    }
    search_provider_done(s, SRC_LOCAL, list ? PSTAT_OK : PSTAT_ERROR, list, ms,
                         list ? NULL : "out of memory");
}

void store__local_start(void *ctx, search_t *s, source_t src)
{
    store_t *st = ctx;
    const query_t *q = search_query(s);
    arena_t *a = search_arena(s);
    int retry;
    if (!store_available(st, &retry)) {
        search_provider_done(s, src, PSTAT_ERROR, NULL, 0, "store unavailable");
        return;
    }
    local_call_t *lc = arena_calloc(a, 1, sizeof *lc);
    if (!lc) {
        search_provider_done(s, src, PSTAT_ERROR, NULL, 0, "out of memory");
        return;
    }
    /* Its own page size, as each HTTP provider asks for its max_results;
     * more when the query's page lies beyond it. */
    int want = q->offset + q->limit;
    int max = (int)st->cfg->providers.local_max_results;
    if (want < max) want = max;
    if (want > LOCAL_MAX_ROWS) want = LOCAL_MAX_ROWS;
    const char *params[8] = {
        q->text,
        q->year_from ? arena_sprintf(a, "%d", q->year_from) : NULL,
        q->year_to ? arena_sprintf(a, "%d", q->year_to) : NULL,
        q->author,
        q->category,
        q->open_access ? "true" : "false",
        q->sort == SORT_DATE        ? "date"
        : q->sort == SORT_CITATIONS ? "citations"
                                    : "relevance",
        arena_sprintf(a, "%d", want),
    };
    lc->st = st;
    lc->search = s;
    lc->start_ns = clock_now_ns();
    lc->q = store_query(st, STORE_Q_SEARCH, 8, params, local_done, lc);
    if (!lc->q) {
        search_provider_done(s, src, PSTAT_ERROR, NULL, 0, "store unavailable");
        return;
    }
    *search_backend_slot(s, src) = lc;
}

void store__local_cancel(void *ctx, search_t *s, source_t src)
{
    (void)ctx;
    local_call_t *lc = *search_backend_slot(s, src);
    if (!lc) return;
    store_pool_cancel(lc->q);
    *search_backend_slot(s, src) = NULL;
}

const search_backend_t *store_backend(store_t *st)
{
    return &st->backend;
}
