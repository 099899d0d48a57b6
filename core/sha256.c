#include "core/sha256.h"

#include <openssl/sha.h>

void sha256_digest(const void *data, size_t len, unsigned char out[32])
{
    SHA256(data, len, out);
}

void sha256_hex(const void *data, size_t len, char out[SHA256_HEX_SIZE])
{
    static const char digits[] = "0123456789abcdef";
    unsigned char h[32];
    sha256_digest(data, len, h);
    for (int i = 0; i < 32; i++) {
        out[2 * i] = digits[h[i] >> 4];
        out[2 * i + 1] = digits[h[i] & 15];
    }
    out[64] = '\0';
}
