/* The configuration's listings: `scifind config keys` (--help) and the
 * Markdown reference that docs/configuration.md holds unchanged
 * (test/core/check_config_doc.py). */
#include <stdio.h>

#include "core/config_schema.h"

static const char *type_name(const config_key_t *k)
{
    switch (k->type) {
    case CT_STR:
        return "string";
    case CT_INT:
        return "int";
    case CT_SIZE:
        return "size";
    case CT_DURATION:
        return "duration";
    case CT_BOOL:
        return "bool";
    case CT_RATIO:
        return "ratio";
    case CT_ENUM:
        return k->choices;
    }
    return "?";
}

/* A Markdown table cell: '|' would end it. */
static void md_cell(FILE *f, const char *before, const char *s, const char *after)
{
    fputs(before, f);
    for (; *s; s++) {
        if (*s == '|') fputc('\\', f);
        fputc(*s, f);
    }
    fputs(after, f);
}

void config_print_reference(void *fp)
{
    FILE *f = fp;
    fprintf(f, "| key | environment | type | default | meaning |\n|---|---|---|---|---|\n");
    for (size_t i = 0; i < config__nkeys; i++) {
        const config_key_t *k = &config__keys[i];
        md_cell(f, "| `", k->key, "` ");
        md_cell(f, "| `", k->env, "` ");
        md_cell(f, "| ", type_name(k), " ");
        md_cell(f, "| `", k->def[0] != '\0' ? k->def : "\"\"", "` ");
        md_cell(f, "| ", k->help, " |\n");
    }
}

void config_print_keys(void *fp)
{
    FILE *f = fp;
    for (size_t i = 0; i < config__nkeys; i++) {
        const config_key_t *k = &config__keys[i];
        fprintf(f, "%-28s %-36s %-22s %s\n", k->key, k->env, type_name(k),
                k->def[0] != '\0' ? k->def : "\"\"");
    }
}
