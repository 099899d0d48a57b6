#include <libpq-fe.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/hash.h"
#include "store/migrate.h"
#include "store/sql.h"

#define MIGRATE_LOCK_KEY "7262951384004451" /* pg_advisory_lock key of scifind's migrator */

/* Runs sql; returns 0, or -1 with the server's message in err. */
static int exec_ok(PGconn *c, const char *sql, char *err, size_t errlen, const char *what)
{
    PGresult *r = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(r);
    int rc = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? 0 : -1;
    if (rc < 0) snprintf(err, errlen, "%s: %s", what, PQerrorMessage(c));
    PQclear(r);
    return rc;
}

PGconn *store_connect_blocking(const char *dsn, const char *app, char *err, size_t errlen)
{
    /* expand_dbname: "dbname" may hold a whole conninfo or URI. */
    const char *keys[] = {"dbname", "application_name", NULL};
    const char *vals[] = {dsn, app, NULL};
    PGconn *c = PQconnectdbParams(keys, vals, 1);
    if (!c || PQstatus(c) != CONNECTION_OK) {
        snprintf(err, errlen, "cannot connect: %s", c ? PQerrorMessage(c) : "out of memory");
        PQfinish(c);
        return NULL;
    }
    return c;
}

int store_migrate(const char *dsn, FILE *out, char *err, size_t errlen)
{
    PGconn *c = store_connect_blocking(dsn, "scifind-migrate", err, errlen);
    int applied = 0;
    if (!c) return -1;
    if (exec_ok(c, "SET client_min_messages = warning", err, errlen, "set") < 0 ||
        exec_ok(c, "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")", err, errlen, "lock") < 0 ||
        exec_ok(c,
                "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY,"
                " name text NOT NULL, checksum text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now())",
                err, errlen, "schema_migrations") < 0)
        goto fail;
    for (size_t i = 0; i < store_nmigrations; i++) {
        const store_migration_t *m = &store_migrations[i];
        char version[16], sum[20];
        snprintf(version, sizeof version, "%d", m->version);
        snprintf(sum, sizeof sum, "%016llx", (unsigned long long)fnv1a_str(m->sql));
        const char *p[1] = {version};
        PGresult *r = PQexecParams(c, "SELECT checksum FROM schema_migrations WHERE version = $1",
                                   1, NULL, p, NULL, NULL, 0);
        if (PQresultStatus(r) != PGRES_TUPLES_OK) {
            snprintf(err, errlen, "reading schema_migrations: %s", PQerrorMessage(c));
            PQclear(r);
            goto fail;
        }
        if (PQntuples(r) == 1) {
            if (out && strcmp(PQgetvalue(r, 0, 0), sum) != 0)
                fprintf(out,
                        "warning: %s was applied with a different text (checksum %s, now %s)\n",
                        m->name, PQgetvalue(r, 0, 0), sum);
            PQclear(r);
            continue;
        }
        PQclear(r);
        if (exec_ok(c, "BEGIN", err, errlen, m->name) < 0) goto fail;
        if (exec_ok(c, m->sql, err, errlen, m->name) < 0) {
            PQclear(PQexec(c, "ROLLBACK"));
            goto fail;
        }
        const char *ins[3] = {version, m->name, sum};
        r = PQexecParams(c,
                         "INSERT INTO schema_migrations (version, name, checksum)"
                         " VALUES ($1, $2, $3)",
                         3, NULL, ins, NULL, NULL, 0);
        bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
        PQclear(r);
        if (!ok || exec_ok(c, "COMMIT", err, errlen, m->name) < 0) {
            if (!ok) snprintf(err, errlen, "%s: recording it: %s", m->name, PQerrorMessage(c));
            PQclear(PQexec(c, "ROLLBACK"));
            goto fail;
        }
        if (out) fprintf(out, "applied %s\n", m->name);
        applied++;
    }
    PQclear(PQexec(c, "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")"));
    if (out && applied == 0)
        fprintf(out, "schema up to date (version %d)\n",
                store_nmigrations ? store_migrations[store_nmigrations - 1].version : 0);
    PQfinish(c);
    return applied;
fail:
    PQfinish(c);
    return -1;
}
