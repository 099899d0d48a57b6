#include <stdlib.h>
#include <string.h>

#include "core/search_service.h"

bool search_reply_partial(const search_reply_t *r)
{
    return r->status == 200 && r->partial;
}

uint64_t search_reply_etag(const void *bytes, size_t n)
{
    /* FNV-1a's step over 8 bytes at a time (one multiply per word, not
     * per byte: it was 3 % of an uncached search), the length mixed in
     * so that trailing NULs count, then a murmur finaliser to spread the
     * last word's bits. */
    const unsigned char *p = bytes;
    uint64_t h = 0xcbf29ce484222325ULL ^ (uint64_t)n;
    for (; n >= 8; p += 8, n -= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = (h ^ w) * 0x100000001b3ULL;
    }
    uint64_t tail = 0;
    memcpy(&tail, p, n);
    h = (h ^ tail) * 0x100000001b3ULL;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}

bool search_reply_body_ok(const void *bytes, size_t n)
{
    const char *d = bytes;
    if (n == 0) return false;
    return (d[0] == '{' && n >= 2) || d[0] == '@' || d[0] == 'T' || d[0] == '[' || d[0] == '\n';
}

blob_t *search_reply_oom_body(void)
{
    static const char oom[] =
        "{\"error\":{\"code\":\"internal_error\",\"message\":\"out of memory\"}}";
    return blob_new(oom, sizeof oom - 1);
}

void search_reply_oom(search_reply_cb cb, void *data, const char *tier)
{
    blob_t *b = search_reply_oom_body();
    search_reply_t r = {.status = 500, .body = b, .tier = tier};
    if (b) cb(&r, data);
    blob_unref(b);
}

void search_chain_init(search_chain_t *c)
{
    c->head = NULL;
    sf_queue_init(&c->observers);
}

void search_chain_observe(search_chain_t *c, search_observer_t *o)
{
    sf_queue_insert_tail(&c->observers, &o->node);
}

static const search_observer_t *observer_at(const sf_queue_t *q)
{
    return sf_queue_data(q, search_observer_t, node);
}

void search_chain_computed(const search_chain_t *c, const query_t *q, const search_reply_t *r,
                           const paper_t *papers, size_t n)
{
    const sf_queue_t *it;
    if (c) sf_queue_foreach(it, &c->observers)
        {
            const search_observer_t *o = observer_at(it);
            if (o->computed) o->computed(o->ctx, q, r, papers, n);
        }
}

void search_chain_answered(const search_chain_t *c, const query_t *q, const search_reply_t *r)
{
    const sf_queue_t *it;
    if (c) sf_queue_foreach(it, &c->observers)
        {
            const search_observer_t *o = observer_at(it);
            if (o->answered) o->answered(o->ctx, q, r);
        }
}

void search_chain_sent(const search_chain_t *c, const search_reply_t *r, const char *request_id,
                       uint64_t start_ns)
{
    const sf_queue_t *it;
    if (c) sf_queue_foreach(it, &c->observers)
        {
            const search_observer_t *o = observer_at(it);
            if (o->sent) o->sent(o->ctx, r, request_id, start_ns);
        }
}
