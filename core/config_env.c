/* The configuration's environment layer: every SCIFIND_* variable that
 * names a row (its env column) sets it; other SCIFIND_* names are only
 * reported. */
#include <stdio.h>
#include <string.h>

#include "core/config_schema.h"

#define ENV_PREFIX "SCIFIND_"

int config_load_env(sf_config_t *c, char *const *envp, void (*warn)(const char *name), char *err,
                    size_t errlen)
{
    if (envp == NULL) return 0;
    for (char *const *e = envp; *e != NULL; e++) {
        const char *kv = *e;
        if (strncmp(kv, ENV_PREFIX, strlen(ENV_PREFIX)) != 0) continue;
        const char *eq = strchr(kv, '=');
        if (eq == NULL) continue;
        size_t nlen = (size_t)(eq - kv);
        const config_key_t *k = config__find_env(kv, nlen);
        if (k == NULL) {
            if (warn != NULL) {
                char name[128];
                snprintf(name, sizeof(name), "%.*s", (int)(nlen < 127 ? nlen : 127), kv);
                warn(name);
            }
            continue;
        }
        char msg[512];
        if (config__key_set(c, k, eq + 1, msg, sizeof(msg)) != 0) {
            config__fmt_err(err, errlen, "environment %s: %s", k->env, msg);
            return -1;
        }
    }
    return 0;
}
