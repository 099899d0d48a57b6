#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "providers/client.h"
#include "providers/fanout.h"
#include "providers/provider.h"

#ifndef SCIFIND_VERSION
#define SCIFIND_VERSION "0.1.0"
#endif

struct prov_fanout {
    const sf_config_t *cfg;
    prov_client_t *client;
    search_backend_t backend;
    unsigned enabled;
    char user_agent[CONFIG_STR_MAX + 64];
};

/* One provider call of one search, in the search's arena. */
typedef struct fanout_call {
    prov_fanout_t *fanout;
    search_t *search;
    source_t source;
    prov_call_t *call;
} fanout_call_t;

static const sf_provider_config_t *provider_config(const sf_config_t *cfg, source_t src)
{
    switch (src) {
    case SRC_ARXIV:
        return &cfg->providers.arxiv;
    case SRC_SEMANTIC_SCHOLAR:
        return &cfg->providers.semantic_scholar;
    case SRC_EXA:
        return &cfg->providers.exa;
    case SRC_OPENALEX:
        return &cfg->providers.openalex;
    case SRC_CROSSREF:
        return &cfg->providers.crossref;
    default:
        return NULL;
    }
}

/* Reads an answer: the adapter parses 2xx bodies; statuses say the rest. */
static void on_call_done(prov_call_t *call, void *data)
{
    fanout_call_t *fc = data;
    search_t *s = fc->search;
    arena_t *a = search_arena(s);
    const prov_def_t *def = prov_def_for(fc->source);
    *search_backend_slot(s, fc->source) = NULL;
    fc->call = NULL;

    search_pstatus_t st = PSTAT_ERROR;
    paper_list_t *papers = NULL;
    char err[300] = "";
    switch (call->outcome) {
    case PROV_CALL_OK:
        if (call->http_status >= 200 && call->http_status < 300) {
            prov_result_t res = {0};
            res.total = -1;
            if (def->parse(call->body ? call->body : "", call->body_len, a, &res, err,
                           sizeof err) == 0) {
                st = PSTAT_OK;
                papers = arena_alloc(a, sizeof *papers);
                if (papers) *papers = res.papers;
            } else if (!err[0]) {
                snprintf(err, sizeof err, "unreadable answer");
            }
        } else if (call->http_status == 429) {
            st = PSTAT_RATE_LIMITED;
            if (call->retry_after_s >= 0)
                snprintf(err, sizeof err, "HTTP 429: retry after %ld s", call->retry_after_s);
            else
                snprintf(err, sizeof err, "HTTP 429");
        } else {
            snprintf(err, sizeof err, "HTTP %ld", call->http_status);
        }
        break;
    case PROV_CALL_TIMEOUT:
        st = PSTAT_TIMEOUT;
        snprintf(err, sizeof err, "%s", call->error);
        break;
    case PROV_CALL_TOO_LARGE:
    case PROV_CALL_ERROR:
        snprintf(err, sizeof err, "%s", call->error);
        break;
    }
    if (st != PSTAT_OK)
        log_write(LOG_DEBUG, "provider call failed", LF_STR, "provider", def->name, LF_STR,
                  "status", search_pstatus_name(st), LF_STR, "error", err, LF_END);
    double latency = call->latency_ms;
    prov_call_free(call);
    search_provider_done(s, fc->source, st, papers, latency, err[0] ? err : NULL);
}

static void fanout_start(void *ctx, search_t *s, source_t src)
{
    prov_fanout_t *f = ctx;
    const prov_def_t *def = prov_def_for(src);
    const sf_provider_config_t *pc = provider_config(f->cfg, src);
    if (!def || !pc) {
        search_provider_done(s, src, PSTAT_DISABLED, NULL, 0, "no such provider in this build");
        return;
    }
    arena_t *a = search_arena(s);
    prov_settings_t ps = {
        .base_url = pc->base_url,
        .api_key = pc->api_key,
        .mailto = f->cfg->providers.contact,
        .max_results = (int)pc->max_results,
    };
    prov_request_t req = {0};
    char err[256] = "";
    if (def->build(search_query(s), &ps, a, &req, err, sizeof err) < 0) {
        search_provider_done(s, src, PSTAT_ERROR, NULL, 0, err[0] ? err : "cannot build request");
        return;
    }
    fanout_call_t *fc = arena_calloc(a, 1, sizeof *fc);
    if (!fc) {
        search_provider_done(s, src, PSTAT_ERROR, NULL, 0, "out of memory");
        return;
    }
    fc->fanout = f;
    fc->search = s;
    fc->source = src;
    *search_backend_slot(s, src) = fc;
    fc->call = prov_client_start(f->client, &req, (long)pc->connect_timeout_ms,
                                 (long)pc->timeout_ms, on_call_done, fc);
    if (!fc->call) {
        *search_backend_slot(s, src) = NULL;
        search_provider_done(s, src, PSTAT_ERROR, NULL, 0, "cannot start the request");
    }
}

static void fanout_cancel(void *ctx, search_t *s, source_t src)
{
    (void)ctx;
    void **slot = search_backend_slot(s, src);
    fanout_call_t *fc = *slot;
    if (!fc) return;
    *slot = NULL;
    if (fc->call) prov_call_cancel(fc->call);
    fc->call = NULL;
}

prov_fanout_t *prov_fanout_new(uv_loop_t *loop, const sf_config_t *cfg)
{
    prov_fanout_t *f = calloc(1, sizeof *f);
    if (!f) return NULL;
    f->cfg = cfg;
    if (cfg->providers.contact[0])
        snprintf(f->user_agent, sizeof f->user_agent, "scifind/%s (mailto:%s)", SCIFIND_VERSION,
                 cfg->providers.contact);
    else
        snprintf(f->user_agent, sizeof f->user_agent, "scifind/%s", SCIFIND_VERSION);
    prov_client_opts_t opts = {
        .user_agent = f->user_agent,
        .max_host_connections = (long)cfg->providers.max_host_connections,
        .max_response_bytes = (size_t)cfg->providers.max_response_bytes,
    };
    f->client = prov_client_new(loop, &opts);
    if (!f->client) {
        free(f);
        return NULL;
    }
    for (int s = 0; s < SRC_COUNT; s++) {
        const sf_provider_config_t *pc = provider_config(cfg, (source_t)s);
        if (!pc || !pc->enabled || !prov_def_for((source_t)s)) continue;
        if (s == SRC_EXA && !pc->api_key[0])
            continue; /* reported once, by the master or worker 0 */
        f->enabled |= 1u << s;
    }
    f->backend = (search_backend_t){.ctx = f, .start = fanout_start, .cancel = fanout_cancel};
    return f;
}

const search_backend_t *prov_fanout_backend(prov_fanout_t *f)
{
    return &f->backend;
}

unsigned prov_fanout_enabled(const prov_fanout_t *f)
{
    return f->enabled;
}

size_t prov_fanout_active(const prov_fanout_t *f)
{
    return prov_client_active(f->client);
}

void prov_fanout_free(prov_fanout_t *f)
{
    if (!f) return;
    prov_client_free(f->client);
    free(f);
}
