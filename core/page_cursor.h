/* The opaque next_cursor of /v1/search deep paging: each provider's own
 * position (an OpenAlex or Crossref cursor, a Semantic Scholar bulk token,
 * an arXiv start, the local store's offset), how many merged results the
 * client has already been shown, the query it belongs to and when it
 * expires, signed with HMAC-SHA256 under a per-deployment secret so a
 * client can neither forge a position nor reuse a cursor on another query.
 * Text form: base64url (no padding) of the binary form below; safe in a URL
 * query without escaping. */
#ifndef SF_CORE_PAGE_CURSOR_H
#define SF_CORE_PAGE_CURSOR_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/paper.h"
#include "core/query.h"

#define PAGE_CURSOR_POS_MAX 512   /* a provider's position, bytes */
#define PAGE_CURSOR_TEXT_MAX 4096 /* the whole cursor as text, with the NUL */

typedef struct {
    unsigned char query_hash[16]; /* page_cursor_query_hash() of the query */
    int64_t expires_ms;           /* wall clock (clock_wall_ms()) */
    uint32_t consumed;            /* merged results shown on earlier pages */
    /* per provider: its position for the next page; "" = not started
     * (ask its first page), has_pos 0 with done 1 = exhausted */
    struct {
        unsigned char has_pos, done;
        char pos[PAGE_CURSOR_POS_MAX + 1];
    } prov[SRC_COUNT];
} page_cursor_t;

typedef enum {
    PAGE_CURSOR_OK = 0,
    PAGE_CURSOR_MALFORMED,   /* not base64url, truncated, unknown version */
    PAGE_CURSOR_TAMPERED,    /* the signature does not match */
    PAGE_CURSOR_EXPIRED,     /* past expires_ms */
    PAGE_CURSOR_OTHER_QUERY, /* made for another query */
    PAGE_CURSOR_WITH_OFFSET, /* given together with offset */
} page_cursor_status_t;

/* What the client is told (the message of the 400 invalid_cursor). */
const char *page_cursor_status_text(page_cursor_status_t s);

/* The first 16 bytes of SHA-256 of the normalised query key (query_key()
 * with offset 0 and no cursor), so a cursor is refused on another query. */
void page_cursor_query_hash(const char *query_key, unsigned char out[16]);

/* Writes c as text into out (PAGE_CURSOR_TEXT_MAX bytes). Returns the
 * length, or -1 when it does not fit. */
int page_cursor_encode(const page_cursor_t *c, const void *secret, size_t secret_len,
                       char out[PAGE_CURSOR_TEXT_MAX]);

/* Reads text s made by page_cursor_encode() under the same secret, checks
 * its signature, that it has not expired at now_ms and that it was made
 * for the query whose page_cursor_query_hash() is want_hash. */
page_cursor_status_t page_cursor_decode(const char *s, size_t len, const void *secret,
                                        size_t secret_len, const unsigned char want_hash[16],
                                        int64_t now_ms, page_cursor_t *c);

/* How long a next_cursor is good for: at least the TTL, at most one step
 * more. */
#define PAGE_CURSOR_TTL_MS (60 * 60 * 1000)
#define PAGE_CURSOR_EXPIRY_STEP_MS (10 * 60 * 1000)

/* page_cursor_query_hash() of q's key with offset 0 and no cursor: what a
 * cursor for q carries. Returns 0, or -1 when out of memory. */
int page_cursor_hash_of_query(const query_t *q, arena_t *a, unsigned char out[16]);

/* The key page_cursor_apply() and page_cursor_next() sign with:
 * mcp.session_secret, or a built-in key when it is empty or NULL. */
void page_cursor_set_secret(const char *secret);

/* When q carries a cursor: checks it (under page_cursor_set_secret()'s key) and sets q->offset to
 * the merged results it consumed. This stage pages the merged list by offset; the providers' own
 * positions are carried but not used yet (docs/api.md "Deep paging"). */
page_cursor_status_t page_cursor_apply(query_t *q, arena_t *a);

/* The next_cursor after a page of shown papers at q->offset of total:
 * written into out and returns 1, or 0 at the end of the list (or past
 * what this stage can page to), or -1 when out of memory. */
int page_cursor_next(const query_t *q, size_t shown, size_t total, arena_t *a,
                     char out[PAGE_CURSOR_TEXT_MAX]);

#endif
