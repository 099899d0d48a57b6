/* The store's api_keys table for operators: `scifind keys add | list |
 * revoke` (core/main.c). A key is "sf_" + 32 random bytes in base64url;
 * the table keeps only its SHA-256 (hex), its name, its scopes and dates,
 * so a key is shown once, when it is made. Workers read the live rows on
 * their own (store_on_api_keys in store/store.h): a change here takes
 * effect within auth.store_refresh. Blocking libpq, like store/migrate.h:
 * for the command line only, never on a worker's loop. */
#ifndef SF_STORE_KEYS_H
#define SF_STORE_KEYS_H

#include <stddef.h>
#include <stdio.h>

#define STORE_KEY_PREFIX "sf_"
#define STORE_KEY_SIZE 48 /* "sf_" + 43 base64url characters + NUL, rounded up */
#define STORE_KEY_NAME_MAX 64

/* Returns 0 when name can name a key: 1 to STORE_KEY_NAME_MAX characters
 * among letters, digits and "._@-" (no spaces, nothing to escape). */
int store_keys_check_name(const char *name);

/* Writes a new random key to key. Returns 0, or -1 when the system has no
 * randomness to give (getrandom failed). */
int store_keys_generate(char key[STORE_KEY_SIZE]);

/* Makes a key called name with scopes ("read", "admin", "read,admin";
 * admin implies read) and its own rate limit (requests per minute; 0:
 * none, the configured one applies), stores its hash and writes the key
 * itself to key.
 * Returns 0, or -1 with a message in err (bad name or scopes, a live key
 * already has that name, the store refused). */
int store_keys_add(const char *dsn, const char *name, const char *scopes, long per_minute,
                   char key[STORE_KEY_SIZE], char *err, size_t errlen);

/* Prints every key, live and revoked, oldest first: name, scopes, rate
 * limit, created, revoked, and the first 8 hex digits of its hash (never
 * the whole hash). Returns the number of keys, or -1 with a message in err. */
int store_keys_list(const char *dsn, FILE *out, char *err, size_t errlen);

/* Revokes the live key called name (its row stays, with revoked_at).
 * Returns 1 when revoked, 0 when no live key has that name, or -1 with a
 * message in err. */
int store_keys_revoke(const char *dsn, const char *name, char *err, size_t errlen);

#endif
