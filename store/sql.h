/* The store's pure parts, without a connection: cache row keys, papers
 * to and from the JSON rows the SQL functions take and give (ids, cursors
 * and windows of the reads: core/papers_repo.h).
 * Unit-tested in test/store/test_store_sql.c. */
#ifndef SF_STORE_SQL_H
#define SF_STORE_SQL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/paper.h"

/* The L3 row key of a cache key: "v1:" + 16 hex digits (FNV-1a 64). out
 * holds at least 20 bytes. */
void store_cache_key_hash(const char *key, char out[20]);

/* One paper as an object of the batch array scifind_upsert_papers() takes
 * (malloc'd compact JSON for the caller to free), or NULL when it carries
 * nothing the store can key on (no DOI, arXiv id or title) or memory is
 * out. Its title_key and first_author are the merge's dedupe keys
 * (paper_dedupe_title_key, paper_family_key). The "local" source is left out (it is the store
 * itself). Invalid UTF-8 is replaced. */
char *store_paper_row_json(const paper_t *p);

/* Fills p (zeroed by the caller, citations -1) from a scifind_paper_json()
 * object, strings copied into a; the "local" source gets the internal id
 * and rank. Returns 0 or -1. */
int store_paper_from_json(const json_t *o, arena_t *a, int rank, paper_t *p);

#endif
