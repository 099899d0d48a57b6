/* Live lookups by id (core/lookup.h) behind GET /v1/papers/{id},
 * GET /v1/search/papers/{provider}/{id}, POST /v1/papers/batch and the MCP
 * tool get_paper. The answers' shapes are in docs/api.md. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/escape.h"
#include "core/export.h"
#include "core/paper_id.h"
#include "core/strbuf.h"
#include "http/handlers_papers.h"

/* The forms a client may use, for the 400 answer. */
#define ID_FORMS                                                                                   \
    "doi:10.NNNN/..., arxiv:NNNN.NNNNN, s2:<40 hex>, corpus:N, openalex:WN, pmid:N, the "          \
    "internal number, or a doi.org / arxiv.org / openalex.org / semanticscholar.org URL"

/* A growing answer body (malloc'd): a batch of 500 papers is about a megabyte. */
typedef struct sbuf {
    char *p;
    size_t len, cap;
    bool failed;
} sbuf_t;

static void sb_put(sbuf_t *b, const char *s, size_t n)
{
    if (b->failed) return;
    if (!sf_strbuf_grow(&b->p, &b->cap, b->len, n, 4096, SIZE_MAX / 4)) {
        b->failed = true;
        return;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_lit(sbuf_t *b, const char *s)
{
    sb_put(b, s, strlen(s));
}

/* A JSON string of s. */
static void sb_str(sbuf_t *b, const char *s)
{
    size_t cap = strlen(s) * 6 + 3;
    char *tmp = malloc(cap);
    if (!tmp) {
        b->failed = true;
        return;
    }
    sb_lit(b, "\"");
    json_escape_into(tmp, cap, s);
    sb_lit(b, tmp);
    sb_lit(b, "\"");
    free(tmp);
}

/* The paper object, with only the fields asked for (fields NULL: all). */
static void sb_paper(sbuf_t *b, const lookup_item_t *it, const json_t *fields)
{
    if (!fields) {
        sb_put(b, it->json, it->len);
        return;
    }
    json_t *p = json_loadb(it->json, it->len, 0, NULL);
    json_t *keep = json_object();
    size_t i;
    json_t *f;
    json_array_foreach(fields, i, f)
    {
        json_t *v = json_object_get(p, json_string_value(f));
        if (v) json_object_set(keep, json_string_value(f), v);
    }
    char *out = json_dumps(keep, JSON_COMPACT);
    if (out)
        sb_lit(b, out);
    else
        b->failed = true;
    free(out);
    json_decref(keep);
    json_decref(p);
}

/* The providers asked, each with its status, results, latency, error and
 * the calls made to it. */
static void sb_providers(sbuf_t *b, const lookup_t *l)
{
    answer_provider_t pr[SRC_COUNT];
    lookup_providers(l, pr);
    size_t len;
    char *js = answer_json_providers(pr, &len);
    if (!js) {
        b->failed = true;
        return;
    }
    json_t *o = json_loadb(js, len, 0, NULL);
    free(js);
    const char *name;
    json_t *v;
    json_object_foreach(o, name, v)
    {
        int src = source_parse(name, strlen(name));
        if (src >= 0)
            json_object_set_new(v, "calls", json_integer((json_int_t)lookup_calls(l, src)));
    }
    char *out = o ? json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(9)) : NULL;
    if (out)
        sb_lit(b, out);
    else
        b->failed = true;
    free(out);
    json_decref(o);
}

static void sb_tail(sbuf_t *b, const lookup_t *l)
{
    char tail[96];
    sb_lit(b, ",\"providers\":");
    sb_providers(b, l);
    snprintf(tail, sizeof tail, ",\"took_ms\":%.3f,\"partial\":%s}", lookup_took_ms(l),
             lookup_partial(l) ? "true" : "false");
    sb_lit(b, tail);
}

/* Sends b (or the out-of-memory answer) and frees it. */
static void send_sb(http_req_t *req, int status, sbuf_t *b)
{
    if (b->failed) {
        free(b->p);
        http_respond_oom(req);
        return;
    }
    char *body = arena_alloc(req->arena, b->len + 1);
    if (!body) {
        free(b->p);
        http_respond_oom(req);
        return;
    }
    memcpy(body, b->p, b->len + 1);
    http_respond(req, status, "application/json", "Cache-Control: no-store\r\n", body, b->len);
    free(b->p);
}

/* "fields": an array of names or one comma-separated string; NULL when
 * absent. Returns -1 for a bad value (answered). */
static int parse_fields(http_req_t *req, const json_t *in, json_t **out)
{
    static const char *const known[] = {
        "id",         "title",        "abstract",       "authors",
        "year",       "published_at", "venue",          "type",
        "doi",        "arxiv_id",     "categories",     "citation_count",
        "url",        "pdf_url",      "is_open_access", "score",
        "sources",    "source_ids",   "arxiv_version",  "created_at",
        "updated_at", NULL,
    };
    *out = NULL;
    if (!in || json_is_null(in)) return 0;
    json_t *arr = json_array();
    if (json_is_string(in)) {
        const char *s = json_string_value(in);
        while (*s) {
            size_t n = strcspn(s, ",");
            if (n) json_array_append_new(arr, json_stringn(s, n));
            s += n + (s[n] == ',');
        }
    } else if (json_is_array(in)) {
        json_array_extend(arr, (json_t *)in);
    }
    size_t i;
    json_t *f;
    bool ok = json_array_size(arr) > 0;
    json_array_foreach(arr, i, f)
    {
        const char *name = json_string_value(f);
        size_t k = 0;
        while (name && known[k] && strcmp(known[k], name) != 0)
            k++;
        if (!name || !known[k]) {
            http_respond_error(req, 400, "bad_request", "unknown field '%.64s' in 'fields'",
                               name ? name : "(not a string)");
            json_decref(arr);
            return -1;
        }
    }
    if (!ok) {
        http_respond_error(req, 400, "bad_request",
                           "'fields' is a list of field names or a comma-separated string");
        json_decref(arr);
        return -1;
    }
    *out = arr;
    return 0;
}

/* ---- one id: GET /v1/papers/{id}, GET /v1/search/papers/{provider}/{id} ---- */

typedef struct live_wait {
    http_req_t *req;
    lookup_t *l;
    const char *canonical;
    json_t *fields;
    export_format_t format; /* BibTeX, RIS, CSL-JSON: the paper rendered (core/export.h) */
    bool format_given;
} live_wait_t;

static void on_live_gone(http_req_t *req)
{
    live_wait_t *w = req->handler_data;
    lookup_free(w->l);
    w->l = NULL;
    json_decref(w->fields);
    http_respond_error(req, 503, "service_unavailable", "client went away");
}

static void on_live(lookup_t *l, void *data)
{
    live_wait_t *w = data;
    http_req_t *req = w->req;
    req->on_client_gone = NULL;
    lookup_item_t it;
    lookup_item(l, 0, &it);
    if (w->format != EXPORT_JSON && it.outcome == LOOKUP_FOUND) {
        const char *h = w->format_given ? "Cache-Control: no-store\r\n"
                                        : "Cache-Control: no-store\r\nVary: Accept\r\n";
        size_t len;
        char *out = it.paper ? export_write(w->format, &it.paper, 1, &len) : NULL;
        char *copy = out ? arena_strndup(req->arena, out, len) : NULL;
        free(out);
        lookup_free(l);
        w->l = NULL;
        json_decref(w->fields);
        if (!copy) {
            http_respond_error(req, 500, "internal_error", "the paper could not be rendered");
            return;
        }
        http_respond(req, 200, export_content_type(w->format), h, copy, len);
        return;
    }
    sbuf_t b = {0};
    int status = 200;
    sb_lit(&b, "{\"id\":");
    sb_str(&b, w->canonical);
    if (it.outcome == LOOKUP_FOUND) {
        sb_lit(&b, ",\"from\":");
        sb_str(&b, lookup_from_name(it.from));
        sb_lit(&b, ",\"paper\":");
        sb_paper(&b, &it, w->fields);
    } else {
        /* Not found anywhere asked: 404; else the reason it is not known. */
        status = it.outcome == LOOKUP_NOT_FOUND      ? 404
                 : it.outcome == LOOKUP_TIMEOUT      ? 504
                 : it.outcome == LOOKUP_RATE_LIMITED ? 503
                                                     : 502;
        char msg[160];
        snprintf(msg, sizeof msg, "%s: %s",
                 it.outcome == LOOKUP_NOT_FOUND ? "no such paper"
                                                : "the paper could not be looked up",
                 lookup_outcome_name(it.outcome));
        sb_lit(&b, ",\"error\":{\"code\":");
        sb_str(&b, lookup_outcome_name(it.outcome));
        sb_lit(&b, ",\"message\":");
        sb_str(&b, msg);
        sb_lit(&b, "}");
    }
    sb_tail(&b, l);
    lookup_free(l);
    w->l = NULL;
    json_decref(w->fields);
    send_sb(req, status, &b);
}

void http__papers_live(http_req_t *req, lookup_service_t *svc, const char *raw, unsigned only)
{
    paper_ref_t ref;
    if (paper_ref_parse(req->arena, raw, strlen(raw), &ref) < 0) {
        http_respond_error(req, 400, "invalid_id", "'%.200s' is not a paper id (" ID_FORMS ")",
                           raw);
        return;
    }
    if (only) {
        int src = __builtin_ctz(only);
        if (!paper_ref_answerable(ref.kind, (source_t)src)) {
            http_respond_error(req, 400, "invalid_id", "%s cannot look up %s ids",
                               source_name((source_t)src), paper_ref_kind_name(ref.kind));
            return;
        }
    }
    live_wait_t *w = arena_calloc(req->arena, 1, sizeof *w);
    if (!w || !(w->canonical = paper_ref_string(req->arena, &ref))) {
        http_respond_oom(req);
        return;
    }
    const char *qs = req->query, *k, *v;
    int rc;
    const char *format = NULL;
    while ((rc = http__next_param(req->arena, &qs, &k, &v)) == 1) {
        if (strcmp(k, "format") == 0) {
            format = v;
            continue;
        }
        if (strcmp(k, "fields") != 0) {
            json_decref(w->fields); /* before the answer: it frees w with the request */
            http_respond_error(req, 400, "bad_request",
                               "unknown parameter '%.64s' (fields, format)", k);
            return;
        }
        json_t *s = json_string(v);
        json_decref(w->fields);
        int bad = parse_fields(req, s, &w->fields);
        json_decref(s);
        if (bad) return;
    }
    if (rc < 0) {
        json_decref(w->fields);
        http_respond_error(req, 400, "bad_request", "bad percent-encoding in the query string");
        return;
    }
    json_t *fields = w->fields;
    if (!http__export_format(req, format, &w->format)) { /* answered: w is gone */
        json_decref(fields);
        return;
    }
    w->format_given = format != NULL;
    w->req = req;
    /* The cache keeps JSON only: an export asks past it. */
    w->l = lookup_start(svc, &ref, 1, only | (w->format != EXPORT_JSON ? LOOKUP_SKIP_CACHE : 0),
                        http_req_header(req, "traceparent"), on_live, w);
    if (!w->l) {
        json_decref(w->fields);
        http_respond_oom(req);
        return;
    }
    req->handler_data = w;
    req->on_client_gone = on_live_gone;
}

/* ---- POST /v1/papers/batch ------------------------------------------------------ */

typedef struct batch_wait {
    http_req_t *req;
    lookup_t *l;
    size_t n;           /* ids given */
    const char **given; /* as given */
    long *slot;         /* the id's place in the lookup, -1: invalid */
    json_t *fields;
    export_format_t format; /* BibTeX, RIS, CSL-JSON: the resolved papers rendered */
    bool format_given;
} batch_wait_t;

static void on_batch_gone(http_req_t *req)
{
    batch_wait_t *w = req->handler_data;
    lookup_free(w->l);
    w->l = NULL;
    json_decref(w->fields);
    http_respond_error(req, 503, "service_unavailable", "client went away");
}

/* id i of the batch: its lookup item, LOOKUP_FAILED when it never got one. */
static lookup_item_t batch_item(const batch_wait_t *w, size_t i)
{
    lookup_item_t it = {.outcome = LOOKUP_FAILED};
    if (w->slot[i] >= 0 && w->l) lookup_item(w->l, (size_t)w->slot[i], &it);
    return it;
}

static const char *batch_reason(const batch_wait_t *w, size_t i, const lookup_item_t *it)
{
    return w->slot[i] < 0 ? "invalid_id" : lookup_outcome_name(it->outcome);
}

/* The batch in w->format: the resolved papers in input order; the
 * unresolved ids are left out (a list of references to cite has no place
 * for them), BibTeX names each in a comment line before the entries
 * ("% unresolved: <id> (<reason>)", which readers skip), and every format
 * counts them in X-Resolved / X-Unresolved. */
static void batch_export(batch_wait_t *w)
{
    http_req_t *req = w->req;
    const paper_t **papers = arena_alloc(req->arena, w->n * sizeof(*papers));
    sbuf_t b = {0};
    if (!papers) b.failed = true;
    size_t found = 0;
    for (size_t i = 0; i < w->n && papers; i++) {
        lookup_item_t it = batch_item(w, i);
        if (it.outcome == LOOKUP_FOUND && it.paper) {
            papers[found++] = it.paper;
            continue;
        }
        if (w->format != EXPORT_BIBTEX) continue;
        sb_lit(&b, "% unresolved: ");
        size_t start = b.len;
        sb_lit(&b, w->given[i]);
        for (size_t k = start; k < b.len && !b.failed; k++) /* one line, whatever the id */
            if ((unsigned char)b.p[k] < 0x20 || b.p[k] == 0x7f) b.p[k] = ' ';
        sb_lit(&b, " (");
        sb_lit(&b, it.outcome == LOOKUP_FOUND ? "not_rendered" : batch_reason(w, i, &it));
        sb_lit(&b, ")\n");
    }
    size_t len = 0;
    char *out = b.failed ? NULL : export_write(w->format, papers, found, &len);
    if (out) {
        if (b.len) sb_lit(&b, "\n");
        sb_put(&b, out, len);
    }
    free(out);
    char *headers = arena_sprintf(req->arena,
                                  "Cache-Control: no-store\r\n%sX-Resolved: %zu\r\nX-Unresolved: "
                                  "%zu\r\n",
                                  w->format_given ? "" : "Vary: Accept\r\n", found, w->n - found);
    char *body = out && !b.failed && headers ? arena_strndup(req->arena, b.p, b.len) : NULL;
    size_t body_len = b.len;
    free(b.p);
    lookup_free(w->l);
    w->l = NULL;
    json_decref(w->fields);
    if (!body) {
        http_respond_error(req, 500, "internal_error", "the papers could not be rendered");
        return;
    }
    http_respond(req, 200, export_content_type(w->format), headers, body, body_len);
}

static void batch_answer(batch_wait_t *w)
{
    http_req_t *req = w->req;
    req->on_client_gone = NULL;
    if (w->format != EXPORT_JSON) {
        batch_export(w);
        return;
    }
    sbuf_t b = {0};
    size_t found = 0;
    sb_lit(&b, "{\"papers\":[");
    for (size_t i = 0; i < w->n; i++) {
        if (i) sb_lit(&b, ",");
        sb_lit(&b, "{\"id\":");
        sb_str(&b, w->given[i]);
        lookup_item_t it = batch_item(w, i);
        if (it.outcome == LOOKUP_FOUND) {
            found++;
            sb_lit(&b, ",\"from\":");
            sb_str(&b, lookup_from_name(it.from));
            sb_lit(&b, ",\"paper\":");
            sb_paper(&b, &it, w->fields);
            sb_lit(&b, "}");
        } else {
            sb_lit(&b, ",\"unresolved\":{\"reason\":");
            sb_str(&b, batch_reason(w, i, &it));
            sb_lit(&b, "}}");
        }
    }
    char counts[96];
    snprintf(counts, sizeof counts, "],\"resolved\":%zu,\"unresolved\":%zu", found, w->n - found);
    sb_lit(&b, counts);
    if (w->l) {
        sb_tail(&b, w->l);
    } else {
        sb_lit(&b, ",\"providers\":{},\"took_ms\":0,\"partial\":false}");
    }
    lookup_free(w->l);
    w->l = NULL;
    json_decref(w->fields);
    send_sb(req, 200, &b);
}

static void on_batch(lookup_t *l, void *data)
{
    (void)l;
    batch_answer(data);
}

void http__papers_batch_handler(http_req_t *req)
{
    const http_papers_ctx_t *ctx = req->route_data;
    if (!ctx->lookup) {
        http_respond_error(req, 503, "service_unavailable", "lookups are not available");
        return;
    }
    json_error_t jerr;
    json_t *root = json_loadb(req->body, req->body_len, 0, &jerr);
    if (!json_is_object(root)) {
        json_decref(root);
        http_respond_error(req, 400, "bad_request",
                           "the body is a JSON object {\"ids\": [...], \"fields\": ...}");
        return;
    }
    const char *key;
    json_t *val;
    json_object_foreach(root, key, val)
    {
        if (strcmp(key, "ids") != 0 && strcmp(key, "fields") != 0 && strcmp(key, "format") != 0) {
            http_respond_error(req, 400, "bad_request",
                               "unknown member '%.64s' (ids, fields, format)", key);
            json_decref(root);
            return;
        }
    }
    json_t *ids = json_object_get(root, "ids");
    size_t n = json_array_size(ids);
    if (!json_is_array(ids) || n == 0 || n > LOOKUP_MAX_IDS) {
        http_respond_error(req, 400, "bad_request", "'ids' is an array of 1 to %d paper ids",
                           LOOKUP_MAX_IDS);
        json_decref(root);
        return;
    }
    batch_wait_t *w = arena_calloc(req->arena, 1, sizeof *w);
    paper_ref_t *refs = w ? arena_alloc(req->arena, n * sizeof *refs) : NULL;
    if (w) {
        w->given = arena_alloc(req->arena, n * sizeof *w->given);
        w->slot = arena_alloc(req->arena, n * sizeof *w->slot);
    }
    if (!w || !refs || !w->given || !w->slot) {
        json_decref(root);
        http_respond_oom(req);
        return;
    }
    if (parse_fields(req, json_object_get(root, "fields"), &w->fields) < 0) {
        json_decref(root);
        return;
    }
    const json_t *format = json_object_get(root, "format");
    if (format && !json_is_string(format)) {
        json_decref(w->fields);
        json_decref(root);
        http_respond_error(req, 400, "bad_request",
                           "parameter 'format': a string (json, bibtex, ris, csl-json)");
        return;
    }
    w->format_given = format != NULL;
    json_t *fields = w->fields;
    if (!http__export_format(req, json_string_value(format), &w->format)) { /* w is gone */
        json_decref(fields);
        json_decref(root);
        return;
    }
    size_t nvalid = 0;
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get(ids, i);
        const char *s = json_is_string(e) ? json_string_value(e) : NULL;
        size_t sl = s ? json_string_length(e) : 0;
        w->given[i] = s ? arena_strndup(req->arena, s, sl) : "";
        w->slot[i] = -1;
        if (!w->given[i]) w->given[i] = "";
        if (s && strlen(s) == sl && paper_ref_parse(req->arena, s, sl, &refs[nvalid]) == 0)
            w->slot[i] = (long)nvalid++;
    }
    json_decref(root);
    w->req = req;
    w->n = n;
    if (nvalid == 0) {
        batch_answer(w);
        return;
    }
    /* The cache keeps JSON only: an export asks past it (as for one id). */
    w->l = lookup_start(ctx->lookup, refs, nvalid, w->format != EXPORT_JSON ? LOOKUP_SKIP_CACHE : 0,
                        http_req_header(req, "traceparent"), on_batch, w);
    if (!w->l) {
        json_decref(w->fields);
        http_respond_oom(req);
        return;
    }
    req->handler_data = w;
    req->on_client_gone = on_batch_gone;
}

/* ---- MCP get_paper, live --------------------------------------------------------- */

typedef struct mcp_live {
    lookup_t *l;
    http_mcp_paper_cb cb;
    void *data;
} mcp_live_t;

static void on_mcp_live(lookup_t *l, void *data)
{
    mcp_live_t *m = data;
    lookup_item_t it;
    lookup_item(l, 0, &it);
    m->l = NULL;
    if (it.outcome == LOOKUP_FOUND) {
        m->cb(m->data, 200, it.json, NULL, 0);
    } else if (it.outcome == LOOKUP_NOT_FOUND) {
        m->cb(m->data, 404, NULL, "no such paper", 0);
    } else {
        m->cb(m->data, 503, NULL, "the paper could not be looked up now", 1);
    }
    lookup_free(l);
}

void *http__mcp_live_get(lookup_service_t *svc, arena_t *a, const char *id, http_mcp_paper_cb cb,
                         void *data)
{
    paper_ref_t ref;
    if (paper_ref_parse(a, id, strlen(id), &ref) < 0) {
        cb(data, 400, NULL, "not a paper id (" ID_FORMS ")", 0);
        return NULL;
    }
    mcp_live_t *m = arena_calloc(a, 1, sizeof *m);
    if (!m) {
        cb(data, 500, NULL, "out of memory", 0);
        return NULL;
    }
    m->cb = cb;
    m->data = data;
    m->l = lookup_start(svc, &ref, 1, 0, NULL, on_mcp_live, m);
    if (!m->l) {
        cb(data, 500, NULL, "out of memory", 0);
        return NULL;
    }
    return m;
}

void http__mcp_live_cancel(void *handle)
{
    mcp_live_t *m = handle;
    if (m && m->l) lookup_free(m->l);
    if (m) m->l = NULL;
}
