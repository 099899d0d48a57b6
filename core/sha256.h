/* SHA-256, for API keys: the configuration and the api_keys table hold a
 * key's digest, never the key. OpenSSL's libcrypto computes it. */
#ifndef SF_CORE_SHA256_H
#define SF_CORE_SHA256_H

#include <stddef.h>

#define SHA256_HEX_SIZE 65 /* 64 lowercase hex digits and the NUL */

/* Writes the 32-byte SHA-256 of data[0..len) to out. */
void sha256_digest(const void *data, size_t len, unsigned char out[32]);

/* Writes the lowercase hex SHA-256 of data[0..len) and a NUL to out. */
void sha256_hex(const void *data, size_t len, char out[SHA256_HEX_SIZE]);

#endif
