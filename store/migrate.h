/* Schema migrations: plain .sql files in store/migrations/, named
 * NNNN_what.sql, compiled into the binary (store/embed_sql.py) and applied
 * in version order, each in its own transaction, recorded in the table
 * schema_migrations (version, name, checksum, applied_at). Applying them
 * again changes nothing. Blocking libpq: for `scifind migrate` and for the
 * master before it forks workers, never on a worker's loop. */
#ifndef SF_STORE_MIGRATE_H
#define SF_STORE_MIGRATE_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdio.h>

typedef struct store_migration {
    int version;
    const char *name; /* "0001_init" */
    const char *sql;
} store_migration_t;

extern const store_migration_t store_migrations[];
extern const size_t store_nmigrations;

/* A blocking connection to dsn (a conninfo string or URI) named app in
 * pg_stat_activity. Returns it, or NULL with a message in err. */
PGconn *store_connect_blocking(const char *dsn, const char *app, char *err, size_t errlen);

/* Connects to dsn and applies the migrations not yet recorded, serialised
 * with other migrators by an advisory lock. Reports each step to out (may
 * be NULL). Returns the number applied (0: up to date), or -1 with a
 * message in err. */
int store_migrate(const char *dsn, FILE *out, char *err, size_t errlen);

#endif
