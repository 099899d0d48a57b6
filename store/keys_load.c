/* The api_keys table, loaded on every worker each auth.store_refresh for
 * the middleware (store_on_api_keys in store.h). */
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "store/store_internal.h"

#define KEYS_RETRY_NS (1000000000ull) /* after a failed load */

static void on_api_keys(PGresult *res, const char *err, void *data)
{
    store_t *st = data;
    st->keys_loading = false;
    if (!res || PQresultStatus(res) != PGRES_TUPLES_OK) {
        log_write(st->keys_failures++ ? LOG_DEBUG : LOG_WARN,
                  "store: cannot load API keys; the last ones loaded stay", LF_STR, "error", err,
                  LF_END);
        st->next_keys_ns = clock_now_ns() + KEYS_RETRY_NS;
        return;
    }
    st->keys_failures = 0;
    int n = PQntuples(res), bad = 0;
    size_t nkeys = 0;
    api_key_t *keys = calloc((size_t)n + 1, sizeof *keys);
    if (!keys) return; /* the last set stays */
    for (int i = 0; i < n; i++) {
        const char *hash = PQgetvalue(res, i, 0), *scopes = PQgetvalue(res, i, 1);
        long per_minute = strtol(PQgetvalue(res, i, 2), NULL, 10);
        if (api_key_from_text(&keys[nkeys], hash, strlen(hash), scopes, strlen(scopes),
                              per_minute) < 0)
            bad++;
        else
            nkeys++;
    }
    if (bad)
        log_write(LOG_WARN,
                  "store: api_keys rows left out (key_hash not 64 hex digits, or rate_limit < 0)",
                  LF_INT, "rows", (int64_t)bad, LF_END);
    st->keys_cb(st->keys_data, keys, nkeys);
    free(keys);
}

void store__load_api_keys(store_t *st, uint64_t now)
{
    if (!st->keys_cb || st->keys_loading || now < st->next_keys_ns) return;
    st->next_keys_ns = now + (uint64_t)st->cfg->auth.store_refresh_ms * 1000000u;
    if (store_pool_send(st->primary, STORE_Q_API_KEYS, 0, NULL, on_api_keys, st))
        st->keys_loading = true;
    else
        st->next_keys_ns = now + KEYS_RETRY_NS;
}

void store_on_api_keys(store_t *st, store_keys_cb cb, void *data)
{
    if (st->cfg->auth.store_refresh_ms <= 0) return;
    st->keys_cb = cb;
    st->keys_data = data;
}
