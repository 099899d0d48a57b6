/* An API key as scifind keeps it: its SHA-256, its scopes and its own rate
 * limit. The configuration (auth.keys, auth.keys_file) and the store's
 * api_keys table both give keys in this form; the middleware (http/auth.h)
 * matches a presented key against a set of them. A key's text is never
 * kept, only its digest. */
#ifndef SF_CORE_API_KEY_H
#define SF_CORE_API_KEY_H

#include <stddef.h>

#define API_SCOPE_READ 1u  /* searches, papers, providers */
#define API_SCOPE_ADMIN 2u /* cache invalidation, provider changes; implies read */

typedef struct api_key {
    unsigned char hash[32]; /* SHA-256 of the key */
    unsigned scopes;        /* API_SCOPE_*; admin always comes with read */
    long per_minute;        /* its own rate limit in requests per minute; 0: the configured one */
} api_key_t;

/* Parses scopes separated by '+' or ',' ("read+admin", "read,admin";
 * admin implies read) into *out. Returns 0, or -1 on an unknown or empty
 * scope list (*out unchanged). */
int api_key_parse_scopes(const char *s, size_t len, unsigned *out);

/* Fills *k from a key's SHA-256 in hex (hlen must be 64), its scopes as
 * api_key_parse_scopes() reads them and its rate limit (>= 0). Returns 0,
 * or -1 when one is malformed (*k is then unspecified). */
int api_key_from_text(api_key_t *k, const char *sha256hex, size_t hlen, const char *scopes,
                      size_t slen, long per_minute);

#endif
