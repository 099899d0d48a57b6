#include "core/papers_repo.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/escape.h"
#include "core/paper.h"

int papers_parse_id(arena_t *a, const char *text, size_t len, paper_id_kind_t *kind,
                    const char **value)
{
    char *d = arena_alloc(a, len + 1);
    if (!d) return -1;
    long decoded = pct_decode(text, len, d, false);
    if (decoded < 0) return -1;
    size_t n = (size_t)decoded;
    if (memchr(d, '\0', n)) return -1;
    if (n == 0 || n > 300) return -1;
    size_t digits = strspn(d, "0123456789");
    if (digits == n) {
        if (n > 18) return -1;
        *kind = PAPER_ID_INTERNAL;
        *value = d;
        return 0;
    }
    if (n > 4 && strncasecmp(d, "doi:", 4) == 0) {
        char *v = paper_normalize_doi(a, d + 4, n - 4);
        if (!v || strncmp(v, "10.", 3) != 0 || !strchr(v, '/')) return -1;
        *kind = PAPER_ID_DOI;
        *value = v;
        return 0;
    }
    if (n > 6 && strncasecmp(d, "arxiv:", 6) == 0) {
        char *v = paper_normalize_arxiv_id(a, d + 6, n - 6, NULL);
        if (!v) return -1;
        *kind = PAPER_ID_ARXIV;
        *value = v;
        return 0;
    }
    return -1;
}

/* The cursor: "c1" + the id in lower-case hex, xor a constant so clients
 * do not take it for an id. */
#define CURSOR_MASK UINT64_C(0x5ca1ab1e5eed)

void papers_cursor_encode(int64_t last_id, char out[32])
{
    snprintf(out, 32, "c1%" PRIx64, (uint64_t)last_id ^ CURSOR_MASK);
}

int papers_cursor_decode(const char *token, size_t len, int64_t *last_id)
{
    if (len < 3 || len > 18 || token[0] != 'c' || token[1] != '1') return -1;
    uint64_t v = 0;
    for (size_t i = 2; i < len; i++) {
        int h = hex_digit(token[i]);
        if (h < 0 || isupper((unsigned char)token[i])) return -1;
        v = v * 16 + (uint64_t)h;
    }
    v ^= CURSOR_MASK;
    if (v > (uint64_t)INT64_MAX || v == 0) return -1;
    *last_id = (int64_t)v;
    return 0;
}

int64_t papers_parse_window(const char *s, size_t len)
{
    if (len < 2 || len > 12) return -1;
    int64_t v = 0;
    size_t i = 0;
    for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
        v = v * 10 + (s[i] - '0');
    if (i == 0 || i != len - 1) return -1;
    int64_t unit;
    switch (s[i]) {
    case 's':
        unit = 1;
        break;
    case 'm':
        unit = 60;
        break;
    case 'h':
        unit = 3600;
        break;
    case 'd':
        unit = 86400;
        break;
    case 'w':
        unit = 7 * 86400;
        break;
    default:
        return -1;
    }
    if (v <= 0 || v > 366 * 86400 / unit) return -1;
    return v * unit;
}
