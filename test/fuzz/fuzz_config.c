/* libFuzzer target: the configuration parsers of core/config.c.
 *
 * The input is written to a memfd and loaded with config_load_file() (a
 * YAML document), then each of its lines of the form KEY=VALUE is given to
 * config_set(). A config that loads is then checked with config_validate()
 * and its listen address split with config_parse_listen(). A failed load
 * must leave the configuration untouched and say why. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/config.h"

static int g_fd = -1;
static char g_path[64];

static void fatal(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz_config: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    abort();
}

static void load(const uint8_t *data, size_t size)
{
    if (g_fd < 0) {
        g_fd = memfd_create("fuzz_config", MFD_CLOEXEC);
        if (g_fd < 0) fatal("memfd_create", NULL);
        snprintf(g_path, sizeof g_path, "/proc/self/fd/%d", g_fd);
    }
    if (ftruncate(g_fd, 0) != 0) fatal("ftruncate", NULL);
    size_t off = 0;
    while (off < size) {
        ssize_t w = pwrite(g_fd, data + off, size - off, (off_t)off);
        if (w <= 0) fatal("pwrite", NULL);
        off += (size_t)w;
    }
    sf_config_t *c = malloc(sizeof *c), *before = malloc(sizeof *before);
    if (!c || !before) fatal("out of memory", NULL);
    config_defaults(c);
    memcpy(before, c, sizeof *c);
    char err[512];
    memset(err, 'x', sizeof err);
    if (config_load_file(c, g_path, err, sizeof err) == 0) {
        char verr[512], host[256];
        int port;
        if (config_validate(c, verr, sizeof verr) != 0 && !memchr(verr, '\0', sizeof verr))
            fatal("config_validate message not NUL-terminated", NULL);
        (void)config_parse_listen(c->listen, host, sizeof host, &port);
    } else {
        if (!memchr(err, '\0', sizeof err) || !err[0]) fatal("refusal without a message", NULL);
        if (memcmp(c, before, sizeof *c) != 0) fatal("a failed load changed the config", err);
    }
    free(before);
    free(c);
}

/* Every line "KEY=VALUE" (NUL-free) of the input goes to config_set(). */
static void set_lines(const uint8_t *data, size_t size)
{
    sf_config_t *c = malloc(sizeof *c);
    if (!c) fatal("out of memory", NULL);
    config_defaults(c);
    size_t i = 0;
    while (i < size) {
        const uint8_t *nl = memchr(data + i, '\n', size - i);
        size_t end = nl ? (size_t)(nl - data) : size;
        const uint8_t *eq = memchr(data + i, '=', end - i);
        if (eq && !memchr(data + i, '\0', end - i)) {
            size_t klen = (size_t)(eq - (data + i)), vlen = end - (size_t)(eq - data) - 1;
            char *key = malloc(klen + 1), *val = malloc(vlen + 1);
            if (!key || !val) fatal("out of memory", NULL);
            memcpy(key, data + i, klen);
            key[klen] = '\0';
            memcpy(val, eq + 1, vlen);
            val[vlen] = '\0';
            char err[256];
            memset(err, 'x', sizeof err);
            if (config_set(c, key, val, err, sizeof err) != 0 &&
                (!memchr(err, '\0', sizeof err) || !err[0]))
                fatal("config_set refusal without a message", key);
            free(key);
            free(val);
        }
        i = end + 1;
    }
    char verr[256];
    (void)config_validate(c, verr, sizeof verr);
    free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    load(data, size);
    set_lines(data, size);
    return 0;
}
