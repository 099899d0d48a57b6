/* The listen address: "HOST:PORT" or "[IPv6]:PORT", checked before any
 * socket is opened. */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#include "core/config_schema.h"

static bool host_name_ok(const char *h)
{
    size_t n = strlen(h);
    if (n == 0 || n > 253) return false;
    bool all_num = true;
    for (const char *p = h; *p != '\0'; p++) {
        if (!(isalnum((unsigned char)*p) || *p == '-' || *p == '.')) return false;
        if (isalpha((unsigned char)*p) || *p == '-') all_num = false;
    }
    if (all_num) {
        /* digits and dots: must be a dotted-quad IPv4 address */
        struct in_addr a;
        return inet_pton(AF_INET, h, &a) == 1;
    }
    /* labels: 1..63 characters, no leading or trailing '-' */
    const char *label = h;
    for (const char *p = h;; p++) {
        if (*p == '.' || *p == '\0') {
            size_t len = (size_t)(p - label);
            if (len == 0 || len > 63 || label[0] == '-' || p[-1] == '-') return false;
            if (*p == '\0') break;
            label = p + 1;
        }
    }
    return true;
}

int config_parse_listen(const char *listen, char *host, size_t hostlen, int *port)
{
    const char *h;
    size_t hlen;
    const char *p;
    char tmp[CONFIG_STR_MAX];

    if (listen == NULL) return -1;
    if (listen[0] == '[') {
        const char *close = strchr(listen, ']');
        if (close == NULL || close[1] != ':') return -1;
        h = listen + 1;
        hlen = (size_t)(close - h);
        p = close + 2;
        if (hlen == 0 || hlen >= sizeof(tmp)) return -1;
        memcpy(tmp, h, hlen);
        tmp[hlen] = '\0';
        struct in6_addr a6;
        if (inet_pton(AF_INET6, tmp, &a6) != 1) return -1;
    } else {
        const char *colon = strchr(listen, ':');
        if (colon == NULL || strchr(colon + 1, ':') != NULL)
            return -1; /* no port, or IPv6 without brackets */
        h = listen;
        hlen = (size_t)(colon - h);
        p = colon + 1;
        if (hlen == 0 || hlen >= sizeof(tmp)) return -1;
        memcpy(tmp, h, hlen);
        tmp[hlen] = '\0';
        if (!host_name_ok(tmp)) return -1;
    }
    int64_t v;
    const char *end = config__parse_digits(p, &v);
    if (end == NULL || *end != '\0' || v < 1 || v > 65535) return -1;
    if (hlen >= hostlen) return -1;
    memcpy(host, tmp, hlen + 1);
    *port = (int)v;
    return 0;
}
