#include "store/keys.h"

#include <errno.h>
#include <libpq-fe.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "core/api_key.h"
#include "core/sha256.h"
#include "store/migrate.h"

#define KEY_RANDOM_BYTES 32                  /* 256 bits: no guessing, no birthday clash */
#define LIVE_NAME_INDEX "api_keys_live_name" /* migration 0003 */

int store_keys_check_name(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > STORE_KEY_NAME_MAX) return -1;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  strchr("._@-", c);
        if (!ok) return -1;
    }
    return 0;
}

int store_keys_generate(char key[STORE_KEY_SIZE])
{
    unsigned char raw[KEY_RANDOM_BYTES];
    size_t got = 0;
    while (got < sizeof raw) {
        ssize_t n = getrandom(raw + got, sizeof raw - got, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        got += (size_t)n;
    }
    /* Base64 (44 characters with one '='), then its URL-safe alphabet: a
     * key travels in headers and shell variables, '+' and '/' do not help. */
    size_t plen = strlen(STORE_KEY_PREFIX);
    memcpy(key, STORE_KEY_PREFIX, plen);
    int n = EVP_EncodeBlock((unsigned char *)key + plen, raw, (int)sizeof raw);
    char *p = key + plen;
    while (n > 0 && p[n - 1] == '=')
        p[--n] = '\0';
    for (int i = 0; i < n; i++)
        p[i] = p[i] == '+' ? '-' : p[i] == '/' ? '_' : p[i];
    memset(raw, 0, sizeof raw);
    return 0;
}

/* The server's message for a failed result, with a hint when the schema
 * is older than this binary. */
static void result_error(PGconn *c, PGresult *r, const char *what, char *err, size_t errlen)
{
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    const char *primary = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    bool old_schema = state && (strcmp(state, "42703") == 0 || strcmp(state, "42P01") == 0);
    snprintf(err, errlen, "%s: %s%s", what, primary ? primary : PQerrorMessage(c),
             old_schema ? " (has `scifind migrate` run?)" : "");
}

/* Runs sql with params; returns the result when its status is want, else
 * NULL with a message in err. */
static PGresult *run(PGconn *c, const char *sql, int n, const char *const *params,
                     ExecStatusType want, const char *what, char *err, size_t errlen)
{
    PGresult *r = PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(r) == want) return r;
    result_error(c, r, what, err, errlen);
    PQclear(r);
    return NULL;
}

static bool is_live_name_clash(PGresult *r)
{
    const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    const char *constraint = PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME);
    return state && strcmp(state, "23505") == 0 && constraint &&
           strcmp(constraint, LIVE_NAME_INDEX) == 0;
}

int store_keys_add(const char *dsn, const char *name, const char *scopes, long per_minute,
                   char key[STORE_KEY_SIZE], char *err, size_t errlen)
{
    unsigned mask;
    if (store_keys_check_name(name) < 0) {
        snprintf(err, errlen, "bad key name '%s' (1 to %d of letters, digits, '._@-')", name,
                 STORE_KEY_NAME_MAX);
        return -1;
    }
    if (api_key_parse_scopes(scopes, strlen(scopes), &mask) < 0) {
        snprintf(err, errlen, "bad scopes '%s' (read, admin, or read,admin)", scopes);
        return -1;
    }
    if (store_keys_generate(key) < 0) {
        snprintf(err, errlen, "no random bytes: %s", strerror(errno));
        return -1;
    }
    char hash[SHA256_HEX_SIZE];
    sha256_hex(key, strlen(key), hash);
    PGconn *c = store_connect_blocking(dsn, "scifind-keys", err, errlen);
    if (!c) return -1;
    /* Stored as the middleware reads them: admin implies read. */
    char rate[24];
    snprintf(rate, sizeof rate, "%ld", per_minute);
    const char *params[4] = {hash, name, mask & API_SCOPE_ADMIN ? "read,admin" : "read",
                             per_minute > 0 ? rate : NULL};
    PGresult *r = PQexecParams(c,
                               "INSERT INTO api_keys (key_hash, name, scopes, rate_limit)"
                               " VALUES ($1, $2, string_to_array($3, ','), $4::integer)",
                               4, NULL, params, NULL, NULL, 0);
    int rc = 0;
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        if (is_live_name_clash(r))
            snprintf(err, errlen, "a live key is already called '%s' (revoke it first)", name);
        else
            result_error(c, r, "adding the key", err, errlen);
        rc = -1;
    }
    PQclear(r);
    PQfinish(c);
    if (rc < 0) memset(key, 0, STORE_KEY_SIZE);
    return rc;
}

/* Column i of every row, and its widest value (at least the header's). */
static int column_width(PGresult *r, int col, const char *header)
{
    int w = (int)strlen(header);
    for (int i = 0; i < PQntuples(r); i++)
        if (PQgetlength(r, i, col) > w) w = PQgetlength(r, i, col);
    return w;
}

/* One line of aligned columns, the last one unpadded. */
static void print_row(FILE *out, const char *const *cells, const int *width, int ncols)
{
    for (int col = 0; col + 1 < ncols; col++)
        fprintf(out, "%-*s  ", width[col], cells[col]);
    fprintf(out, "%s\n", cells[ncols - 1]);
}

int store_keys_list(const char *dsn, FILE *out, char *err, size_t errlen)
{
    static const char *const headers[] = {"NAME",    "SCOPES",  "RATE_LIMIT",
                                          "CREATED", "REVOKED", "HASH"};
    enum { NCOLS = sizeof headers / sizeof headers[0] };
    PGconn *c = store_connect_blocking(dsn, "scifind-keys", err, errlen);
    if (!c) return -1;
    /* Only a prefix of each hash leaves the server: enough to tell two
     * keys apart, of no use to anyone who reads the listing. */
    PGresult *r = run(c,
                      "SELECT name, array_to_string(scopes, ','),"
                      " coalesce(rate_limit::text, '-'),"
                      " to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
                      " coalesce(to_char(revoked_at AT TIME ZONE 'UTC',"
                      "   'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '-'),"
                      " left(key_hash, 8)"
                      " FROM api_keys ORDER BY created_at, id",
                      0, NULL, PGRES_TUPLES_OK, "listing the keys", err, errlen);
    PQfinish(c);
    if (!r) return -1;
    int width[NCOLS];
    for (int col = 0; col < NCOLS; col++)
        width[col] = column_width(r, col, headers[col]);
    print_row(out, headers, width, NCOLS);
    int n = PQntuples(r);
    for (int i = 0; i < n; i++) {
        const char *cells[NCOLS];
        for (int col = 0; col < NCOLS; col++)
            cells[col] = PQgetvalue(r, i, col);
        print_row(out, cells, width, NCOLS);
    }
    PQclear(r);
    return n;
}

int store_keys_revoke(const char *dsn, const char *name, char *err, size_t errlen)
{
    PGconn *c = store_connect_blocking(dsn, "scifind-keys", err, errlen);
    if (!c) return -1;
    const char *params[1] = {name};
    PGresult *r = run(c,
                      "UPDATE api_keys SET revoked_at = now()"
                      " WHERE name = $1 AND revoked_at IS NULL",
                      1, params, PGRES_COMMAND_OK, "revoking the key", err, errlen);
    PQfinish(c);
    if (!r) return -1;
    int revoked = atoi(PQcmdTuples(r)) > 0;
    PQclear(r);
    return revoked;
}
