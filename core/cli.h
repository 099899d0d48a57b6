/* The command line shared by scifind's commands: the usage text, the
 * flags of `serve` (and of `migrate`, `keys` and `mcp`, which take the
 * same), and the configuration built from them in layers. */
#ifndef SF_CORE_CLI_H
#define SF_CORE_CLI_H

#include <stdio.h>

#include "core/config.h"

/* Flags of `scifind serve`, kept to build the configuration again on SIGHUP. */
typedef struct cli_flags {
    const char *config_file;
    int nsets;
    const char *keys[64];
    const char *values[64];
    char *owned[64]; /* "key=value" copies split in place */
    int nowned;
} cli_flags_t;

/* Prints the usage text to f. */
void cli_usage(FILE *f);

/* Parses serve's flags into fl; "--flag value" and "--flag=value" both
 * work. -1 (with a message on stderr) on an unknown or incomplete flag. */
int cli_parse_flags(int argc, char **argv, cli_flags_t *fl);

/* Frees what cli_parse_flags() copied. */
void cli_free_flags(cli_flags_t *fl);

/* Builds cfg from defaults < file (--config or SCIFIND_CONFIG) <
 * environment < flags, then validates it; data is the cli_flags_t. The
 * shape of master_run()'s loader, so SIGHUP builds it again the same way. */
int cli_load_config(sf_config_t *cfg, char *err, size_t errlen, void *data);

#endif
