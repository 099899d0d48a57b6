#include "core/api_key.h"

#include <string.h>

#include "core/escape.h"

int api_key_parse_scopes(const char *s, size_t len, unsigned *out)
{
    unsigned scopes = 0;
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && s[j] != '+' && s[j] != ',')
            j++;
        size_t n = j - i;
        if (n == 4 && strncmp(s + i, "read", 4) == 0)
            scopes |= API_SCOPE_READ;
        else if (n == 5 && strncmp(s + i, "admin", 5) == 0)
            scopes |= API_SCOPE_ADMIN | API_SCOPE_READ;
        else
            return -1;
        i = j + 1;
    }
    if (!scopes) return -1;
    *out = scopes;
    return 0;
}

int api_key_from_text(api_key_t *k, const char *sha256hex, size_t hlen, const char *scopes,
                      size_t slen, long per_minute)
{
    if (hlen != 64 || per_minute < 0) return -1;
    for (int i = 0; i < 32; i++) {
        int hi = hex_digit(sha256hex[2 * i]), lo = hex_digit(sha256hex[2 * i + 1]);
        if (hi < 0 || lo < 0) return -1;
        k->hash[i] = (unsigned char)(hi << 4 | lo);
    }
    if (api_key_parse_scopes(scopes, slen, &k->scopes) < 0) return -1;
    k->per_minute = per_minute;
    return 0;
}
