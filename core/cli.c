/* The command line: usage, flags, configuration layers (core/cli.h). */
#include "core/cli.h"

#include <stdlib.h>
#include <string.h>

#include "core/log.h"

extern char **environ;

void cli_usage(FILE *f)
{
    fprintf(f,
            "scifind %s: academic paper search service\n"
            "\n"
            "Usage:\n"
            "  scifind serve [options]        run the service\n"
            "  scifind config check FILE      validate a configuration file and exit\n"
            "  scifind migrate [options]      apply the PostgreSQL schema migrations (pg.dsn)\n"
            "  scifind keys add NAME [--scopes read|admin|read,admin] [--rate-limit N]\n"
            "                                 make an API key in the store (pg.dsn), print it\n"
            "                                 once; N: its own limit in requests per minute\n"
            "  scifind keys list [options]    the store's API keys: names, scopes, dates\n"
            "  scifind keys revoke NAME [options]\n"
            "                                 revoke an API key; workers drop it within\n"
            "                                 auth.store_refresh\n"
            "  scifind config keys            list every configuration key\n"
            "  scifind config reference       the same as a Markdown table, with meanings\n"
            "  scifind mcp --url http://HOST:PORT\n"
            "                                 MCP over stdio, forwarded to a running scifind's\n"
            "                                 /mcp (key: SCIFIND_API_KEY); docs/mcp.md\n"
            "  scifind mcp [options]          MCP over stdio with the engine in this process,\n"
            "                                 configured as serve is\n"
            "  scifind --help | --version\n"
            "\n"
            "Options of serve (each overrides the environment, which overrides the file):\n"
            "  --config FILE        YAML configuration file\n"
            "  --listen HOST:PORT   address to listen on (default 127.0.0.1:8080)\n"
            "  --workers N          worker processes (default: number of cores; 0: one\n"
            "                       worker in the foreground, no master)\n"
            "  --log-level LEVEL    debug, info, warn or error\n"
            "  --log-file PATH      log to PATH instead of stderr\n"
            "  --set KEY=VALUE      set any configuration key (see `scifind config keys`)\n"
            "\n"
            "Signals: SIGTERM/SIGINT drain and stop, SIGHUP reloads the configuration and\n"
            "replaces the workers one by one, SIGUSR1 reopens the log file.\n",
            SCIFIND_VERSION);
}

static void warn_unknown_env(const char *name)
{
    if (strcmp(name, "SCIFIND_CONFIG") == 0) return; /* the file's path, read by main */
    log_write(LOG_WARN, "unknown SCIFIND_ environment variable ignored", LF_STR, "name", name,
              LF_END);
}

int cli_load_config(sf_config_t *cfg, char *err, size_t errlen, void *data)
{
    const cli_flags_t *fl = data;
    config_defaults(cfg);
    const char *file = fl->config_file ? fl->config_file : getenv("SCIFIND_CONFIG");
    if (file && *file && config_load_file(cfg, file, err, errlen) < 0) return -1;
    if (config_load_env(cfg, environ, warn_unknown_env, err, errlen) < 0) return -1;
    for (int i = 0; i < fl->nsets; i++)
        if (config_set(cfg, fl->keys[i], fl->values[i], err, errlen) < 0) return -1;
    return config_validate(cfg, err, errlen);
}

static int add_set(cli_flags_t *fl, const char *key, const char *value)
{
    if (fl->nsets >= (int)(sizeof fl->keys / sizeof fl->keys[0])) return -1;
    fl->keys[fl->nsets] = key;
    fl->values[fl->nsets] = value;
    fl->nsets++;
    return 0;
}

int cli_parse_flags(int argc, char **argv, cli_flags_t *fl)
{
    static const struct {
        const char *flag;
        const char *key; /* NULL: handled here */
    } map[] = {{"--config", NULL},           {"--listen", "listen"},     {"--workers", "workers"},
               {"--log-level", "log.level"}, {"--log-file", "log.file"}, {"--set", NULL}};
    for (int i = 0; i < argc; i++) {
        char *arg = argv[i], *val = NULL;
        char *eq = strchr(arg, '=');
        size_t flen = eq && strncmp(arg, "--", 2) == 0 ? (size_t)(eq - arg) : strlen(arg);
        size_t k;
        for (k = 0; k < sizeof map / sizeof map[0]; k++)
            if (strlen(map[k].flag) == flen && strncmp(arg, map[k].flag, flen) == 0) break;
        if (k == sizeof map / sizeof map[0]) {
            fprintf(stderr, "scifind: unknown option '%s' (see scifind --help)\n", arg);
            return -1;
        }
        if (arg[flen] == '=')
            val = arg + flen + 1;
        else if (i + 1 < argc)
            val = argv[++i];
        else {
            fprintf(stderr, "scifind: option '%s' needs a value\n", map[k].flag);
            return -1;
        }
        if (map[k].key) {
            if (add_set(fl, map[k].key, val) < 0) return -1;
        } else if (strcmp(map[k].flag, "--config") == 0) {
            fl->config_file = val;
        } else {
            char *copy = strdup(val);
            char *e = copy ? strchr(copy, '=') : NULL;
            if (!e || e == copy) {
                fprintf(stderr, "scifind: --set needs KEY=VALUE, got '%s'\n", val);
                free(copy);
                return -1;
            }
            *e = '\0';
            fl->owned[fl->nowned++] = copy;
            if (add_set(fl, copy, e + 1) < 0 || fl->nowned >= 64) return -1;
        }
    }
    return 0;
}

void cli_free_flags(cli_flags_t *fl)
{
    for (int i = 0; i < fl->nowned; i++)
        free(fl->owned[i]);
}
