/* Configuration: what is left once each layer has set its keys, the
 * cross-key checks, and one provider's settings by source. The other parts
 * are listed in core/config_schema.h. */
#include <stdio.h>
#include <string.h>

#include "core/config_schema.h"
#include "core/paper.h"

const sf_provider_config_t *config_provider(const sf_config_t *c, int source)
{
#define SOURCE_CASE_(ID, name, kind, ...)                                                          \
    SOURCE_IF_HTTP(kind, case SRC_##ID : return &c->providers.name;)
    switch (source) {
        SOURCE_TABLE(SOURCE_CASE_)
    default:
        return NULL;
    }
#undef SOURCE_CASE_
}

bool config_provider_on(const sf_config_t *c, int source)
{
    const sf_provider_config_t *pc = config_provider(c, source);
    return pc && pc->enabled && !(source_needs_key((source_t)source) && !pc->api_key[0]);
}

int config_validate(const sf_config_t *c, char *err, size_t errlen)
{
    char host[CONFIG_STR_MAX];
    int port;
    if (config_parse_listen(c->listen, host, sizeof(host), &port) != 0) {
        config__fmt_err(
            err, errlen,
            "key 'listen': expected HOST:PORT or [IPv6]:PORT with a port from 1 to 65535, "
            "got '%s'",
            c->listen);
        return -1;
    }
    for (int src = 0; src < SRC_COUNT; src++) {
        const sf_provider_config_t *p = config_provider(c, src);
        if (!p) continue;
        const char *u = p->base_url;
        const char *rest = strncmp(u, "http://", 7) == 0    ? u + 7
                           : strncmp(u, "https://", 8) == 0 ? u + 8
                                                            : NULL;
        if (!rest || !*rest || strchr(rest, '/') || strchr(rest, '?') || strchr(rest, ' ')) {
            config__fmt_err(err, errlen,
                            "key 'providers.%s.base_url': expected scheme://host[:port] "
                            "(http or https, no path), got '%s'",
                            source_name((source_t)src), u);
            return -1;
        }
    }
    source_t order[SRC_COUNT];
    char why[128];
    if (source_parse_list(c->search.first_order, order, why, sizeof why) < 0) {
        config__fmt_err(err, errlen, "key 'search.first_order': %s", why);
        return -1;
    }
    if (c->search.deadline_ms > c->search.max_deadline_ms) {
        config__fmt_err(err, errlen,
                        "key 'search.deadline': %lld ms is over search.max_deadline (%lld ms)",
                        (long long)c->search.deadline_ms, (long long)c->search.max_deadline_ms);
        return -1;
    }
    return 0;
}
