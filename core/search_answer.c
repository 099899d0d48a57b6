#include <stdlib.h>
#include <string.h>

#include "core/answer_json.h"
#include "core/export.h"
#include "core/merge.h"
#include "core/search_answer.h"

/* The 502 body: the usual answer, with the error object clients expect
 * from a failed request in front. */
static blob_t *with_error(blob_t *answer)
{
    static const char head[] =
        "{\"error\":{\"code\":\"bad_gateway\",\"message\":\"every provider asked failed\"},";
    if (answer->len < 2) return answer;
    blob_t *b = blob_alloc(sizeof head - 1 + answer->len - 1);
    if (!b) {
        blob_unref(answer);
        return NULL;
    }
    memcpy(b->data, head, sizeof head - 1);
    memcpy(b->data + sizeof head - 1, answer->data + 1, answer->len - 1);
    b->data[b->len] = '\0';
    blob_unref(answer);
    return b;
}

blob_t *search_answer_build(const search_answer_input_t *in, arena_t *a, const paper_t **all,
                            size_t *nall, size_t *total)
{
    const paper_list_t *lists[SRC_COUNT];
    answer_t ans = {0};
    ans.query = in->query;
    ans.took_ms = in->took_ms;
    ans.partial = in->partial;
    for (int i = 0; i < SRC_COUNT; i++) {
        const search_answer_provider_t *p = &in->providers[i];
        bool answered = p->status == PSTAT_OK || p->status == PSTAT_CACHED;
        lists[i] = answered && p->papers ? p->papers : NULL;
        answer_provider_t *ap = &ans.providers[i];
        ap->asked = p->status != PSTAT_NOT_ASKED;
        ap->status = p->status;
        ap->results = answered && p->papers ? (long)p->papers->n : 0;
        ap->latency_ms = p->status == PSTAT_DISABLED ? -1 : p->latency_ms;
        ap->error = p->error;
        ap->filters_asked = ap->asked ? query_filters_asked(in->query) : 0;
        ap->filters_pushed = p->filters_pushed;
    }
    merge_result_t m;
    if (merge_papers(a, lists, in->query, &m) < 0) return NULL;
    if (all) *all = m.all;
    if (nall) *nall = m.nall;
    ans.papers = m.page;
    ans.npapers = m.npage;
    ans.total = m.total;
    if (total) *total = m.total;
    /* An export renders the same page of merged papers; a failed search
     * answers its JSON error whatever the format (the handler sends it as
     * JSON: its status is not 200). */
    if (in->query->format != EXPORT_JSON && !in->all_failed)
        return export_blob(in->query->format, m.page, m.npage);
    facets_t facets;
    if (in->query->facets) {
        if (facets_count(a, m.ranked, m.total, in->query->facets, &facets) < 0) return NULL;
        ans.facets = &facets;
    }
    blob_t *b = answer_json_blob(&ans);
    if (b && in->all_failed) b = with_error(b);
    return b;
}
