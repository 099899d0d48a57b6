/* The store's pure parts, without a connection: ids, cursors, windows,
 * papers to and from the JSON rows the SQL functions take and give.
 * Unit-tested in test/store/test_store_sql.c. */
#ifndef SF_STORE_SQL_H
#define SF_STORE_SQL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/paper.h"

/* FNV-1a 64 of n bytes. */
uint64_t store_fnv1a64(const void *bytes, size_t n);

/* The L3 row key of a cache key: "v1:" + 16 hex digits (FNV-1a 64). out
 * holds at least 20 bytes. */
void store_cache_key_hash(const char *key, char out[20]);

typedef enum {
    STORE_ID_INTERNAL = 0, /* "12345": the papers.id */
    STORE_ID_DOI,          /* "doi:10.1000/xyz" -> normalised DOI */
    STORE_ID_ARXIV,        /* "arxiv:2401.01234v2" -> "2401.01234" */
} store_id_kind_t;

/* Parses a paper id as given in GET /v1/papers/{id}, percent-decoded
 * first. *value gets an arena string (the decimal id, the normalised DOI
 * or the arXiv id without version). Returns 0, or -1 when it is none of
 * the three forms. */
int store_parse_paper_id(arena_t *a, const char *text, size_t len, store_id_kind_t *kind,
                         const char **value);

/* Keyset cursor of GET /v1/papers: an opaque token for "rows with an id
 * below last_id". out holds at least 32 bytes. */
void store_cursor_encode(int64_t last_id, char out[32]);
/* Returns 0 and the id, or -1 when the token is not one of ours. */
int store_cursor_decode(const char *token, size_t len, int64_t *last_id);

/* "24h", "30m", "7d", "3600s", "1w" -> seconds (1 s .. 366 d). Returns -1 when bad. */
int64_t store_parse_window(const char *s, size_t len);

/* The lower-cased family name of an author ("Ada Lovelace" -> "lovelace",
 * "Lovelace, Ada" -> "lovelace"), written to out (size outlen). */
void store_family_name(const char *author, char *out, size_t outlen);

/* One paper as an object of the batch array scifind_upsert_papers() takes
 * (malloc'd compact JSON for the caller to free), or NULL when it carries
 * nothing the store can key on (no DOI, arXiv id or title) or memory is
 * out. The "local" source is left out (it is the store itself). Invalid
 * UTF-8 is replaced. */
char *store_paper_row_json(const paper_t *p);

/* Fills p (zeroed by the caller, citations -1) from a scifind_paper_json()
 * object, strings copied into a; the "local" source gets the internal id
 * and rank. Returns 0 or -1. */
int store_paper_from_json(const json_t *o, arena_t *a, int rank, paper_t *p);

#endif
