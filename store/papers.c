/* The papers repository (core/papers_repo.h) on the store: each read is
 * one prepared statement on a replica when one is up, else the primary;
 * its result becomes a papers_answer_t. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sql.h"
#include "store/store_internal.h"

typedef struct papers_read {
    papers_cb cb;
    void *data;
    store_query_t *q;
    int limit; /* list: the page size (one more row is asked for) */
} papers_read_t;

/* Why a statement gave no rows: timeout (the server's statement timeout,
 * SQLSTATE 57014, or ours), unreachable, or an error of the server. */
static papers_status_t failure(PGresult *res, const char *err)
{
    if (!res)
        return err && strcmp(err, STORE_POOL_ERR_TIMEOUT) == 0 ? PAPERS_TIMEOUT
                                                               : PAPERS_UNAVAILABLE;
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    return state && strcmp(state, "57014") == 0 ? PAPERS_TIMEOUT : PAPERS_FAILED;
}

/* Answers the reader and frees the read. */
static void answer(papers_read_t *r, papers_answer_t *a)
{
    if (a->status == PAPERS_TIMEOUT || a->status == PAPERS_UNAVAILABLE) a->retry_after_s = 1;
    r->cb(r->data, a);
    free(r);
}

static bool answered(papers_read_t *r, PGresult *res, const char *err)
{
    if (res && PQresultStatus(res) == PGRES_TUPLES_OK) return true;
    answer(r, &(papers_answer_t){.status = failure(res, err)});
    return false;
}

/* Sends a read statement for the reader; NULL (cb not called) when the
 * store cannot take it now or memory is out. */
static papers_read_t *send_read(store_t *st, store_stmt_id_t stmt, int nparams,
                                const char *const *params, store_query_cb done, papers_cb cb,
                                void *data, int limit)
{
    papers_read_t *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    *r = (papers_read_t){.cb = cb, .data = data, .limit = limit};
    r->q = store_query(st, stmt, nparams, params, done, r);
    if (!r->q) {
        free(r);
        return NULL;
    }
    return r;
}

static void on_paper(PGresult *res, const char *err, void *data)
{
    papers_read_t *r = data;
    if (!answered(r, res, err)) return;
    if (PQntuples(res) == 0) {
        answer(r, &(papers_answer_t){.status = PAPERS_NOT_FOUND});
        return;
    }
    /* The row as a record too, read back from the row's own JSON (what
     * the local provider does), for GET /v1/papers/{id}?format=bibtex. */
    const char *json = PQgetvalue(res, 0, 0);
    arena_t *a = arena_new(0);
    json_t *o = a ? json_loads(json, 0, NULL) : NULL;
    paper_t p = {.title = "", .citations = -1};
    bool record = o && store_paper_from_json(o, a, 1, &p) == 0;
    answer(r, &(papers_answer_t){.status = PAPERS_OK,
                                 .json = json,
                                 .len = (size_t)PQgetlength(res, 0, 0),
                                 .paper = record ? &p : NULL});
    json_decref(o);
    arena_free(a);
}

static void *repo_get(void *ctx, paper_id_kind_t kind, const char *value, papers_cb cb, void *data)
{
    static const store_stmt_id_t by_kind[] = {
        [PAPER_ID_INTERNAL] = STORE_Q_PAPER_BY_ID,
        [PAPER_ID_DOI] = STORE_Q_PAPER_BY_DOI,
        [PAPER_ID_ARXIV] = STORE_Q_PAPER_BY_ARXIV,
    };
    if (kind == PAPER_ID_S2 || kind == PAPER_ID_OPENALEX) {
        const char *params[2] = {
            source_name(kind == PAPER_ID_S2 ? SRC_SEMANTIC_SCHOLAR : SRC_OPENALEX), value};
        return send_read(ctx, STORE_Q_PAPER_BY_SOURCE, 2, params, on_paper, cb, data, 0);
    }
    if ((unsigned)kind > PAPER_ID_ARXIV) return NULL;
    const char *params[1] = {value};
    return send_read(ctx, by_kind[kind], 1, params, on_paper, cb, data, 0);
}

/* Rows: the paper's JSON, its id. The array of the first limit rows; one
 * more row means a next page, below the last one shown. */
static void on_list(PGresult *res, const char *err, void *data)
{
    papers_read_t *r = data;
    if (!answered(r, res, err)) return;
    int n = PQntuples(res);
    int shown = n > r->limit ? r->limit : n;
    size_t len = 3;
    for (int i = 0; i < shown; i++)
        len += (size_t)PQgetlength(res, i, 0) + 1;
    char *json = malloc(len);
    if (!json) {
        answer(r, &(papers_answer_t){.status = PAPERS_FAILED});
        return;
    }
    size_t o = 0;
    json[o++] = '[';
    for (int i = 0; i < shown; i++) {
        if (i) json[o++] = ',';
        size_t l = (size_t)PQgetlength(res, i, 0);
        memcpy(json + o, PQgetvalue(res, i, 0), l);
        o += l;
    }
    json[o++] = ']';
    json[o] = '\0';
    int64_t next = n > r->limit && shown > 0 ? atoll(PQgetvalue(res, shown - 1, 1)) : 0;
    answer(r, &(papers_answer_t){.status = PAPERS_OK, .json = json, .len = o, .next_before = next});
    free(json);
}

static void *repo_list(void *ctx, const papers_filter_t *f, papers_cb cb, void *data)
{
    if (f->limit < 1) return NULL;
    char before[24], year[16], limit[16];
    snprintf(before, sizeof before, "%lld", (long long)f->before);
    snprintf(year, sizeof year, "%d", f->year);
    snprintf(limit, sizeof limit, "%d", f->limit + 1); /* one more: is there a next page? */
    const char *params[5] = {f->before > 0 ? before : NULL, f->provider, f->year ? year : NULL,
                             f->category, limit};
    return send_read(ctx, STORE_Q_PAPERS_LIST, 5, params, on_list, cb, data, f->limit);
}

/* One row: the JSON array the statement builds. */
static void on_popular(PGresult *res, const char *err, void *data)
{
    papers_read_t *r = data;
    if (!answered(r, res, err)) return;
    if (PQntuples(res) != 1) {
        answer(r, &(papers_answer_t){.status = PAPERS_FAILED});
        return;
    }
    answer(r, &(papers_answer_t){.status = PAPERS_OK,
                                 .json = PQgetvalue(res, 0, 0),
                                 .len = (size_t)PQgetlength(res, 0, 0)});
}

static void *repo_popular(void *ctx, int64_t window_s, int limit, papers_cb cb, void *data)
{
    char secs[24], lim[16];
    snprintf(secs, sizeof secs, "%lld", (long long)window_s);
    snprintf(lim, sizeof lim, "%d", limit);
    const char *params[2] = {secs, lim};
    return send_read(ctx, STORE_Q_POPULAR, 2, params, on_popular, cb, data, limit);
}

static void repo_cancel(void *ctx, void *handle)
{
    (void)ctx;
    papers_read_t *r = handle;
    if (!r) return;
    store_pool_cancel(r->q);
    free(r);
}

static bool repo_available(void *ctx, int *retry_after_s)
{
    return store_available(ctx, retry_after_s);
}

const papers_repo_t *store_papers_repo(store_t *st)
{
    st->repo = (papers_repo_t){
        .ctx = st,
        .available = repo_available,
        .get = repo_get,
        .list = repo_list,
        .popular = repo_popular,
        .cancel = repo_cancel,
    };
    return &st->repo;
}
