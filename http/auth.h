/* API keys: who may call, and what.
 *
 * A client presents its key as "Authorization: Bearer KEY" or "X-API-Key:
 * KEY". The configuration holds only each key's SHA-256 (64 hex digits)
 * and scopes, from auth.keys ("sha256hex:read+admin,sha256hex:read") and
 * auth.keys_file (lines "sha256hex read,admin"; '#' starts a comment).
 * The store adds the keys of its api_keys table (rows of core/api_key.h,
 * made into a set by core/main.c), as a second set the middleware replaces
 * whole.
 * A presented key is hashed and compared with every stored hash in
 * constant time (CRYPTO_memcmp, no early exit), so timing says nothing of
 * which bytes matched. Scopes: "read" (searches, papers, providers) and
 * "admin" (cache invalidation, provider changes; implies read). */
#ifndef SF_HTTP_AUTH_H
#define SF_HTTP_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "core/api_key.h"
#include "http/request.h"

#define HTTP_SCOPE_READ API_SCOPE_READ
#define HTTP_SCOPE_ADMIN API_SCOPE_ADMIN

typedef struct http_auth http_auth_t;

/* Loads keys from the list and the file (either may be NULL or ""). Returns
 * the key set (possibly empty), or NULL with a message in err naming the bad
 * entry. */
http_auth_t *http_auth_new(const char *keys, const char *keys_file, char *err, size_t errlen);
void http_auth_free(http_auth_t *a);

/* Adds a key by its SHA-256 (64 hex digits), its scopes ("read,admin") and
 * its own rate limit in requests per minute (0: the configured one).
 * Returns 0, or -1 when one is malformed or out of memory. */
int http_auth_add(http_auth_t *a, const char *sha256hex, const char *scopes, long per_minute);

/* Adds a key row (copied). Returns 0, or -1 when out of memory. */
int http_auth_add_key(http_auth_t *a, const api_key_t *k);

/* Returns a set of the n keys (copied), or NULL when out of memory. */
http_auth_t *http_auth_from_keys(const api_key_t *keys, size_t n);

/* Number of keys loaded. */
size_t http_auth_count(const http_auth_t *a);

/* Returns the scopes of the key (admin implies read), 0 when it is none of
 * the loaded keys. */
unsigned http_auth_check(const http_auth_t *a, const char *key, size_t len);

/* The same, and the key's own rate limit in *per_minute (0 when it has
 * none or is unknown; per_minute may be NULL). */
unsigned http_auth_lookup(const http_auth_t *a, const char *key, size_t len, long *per_minute);

/* The key the request presents, or NULL (*len set). */
const char *http_auth_key_of(const http_req_t *req, size_t *len);

#endif
