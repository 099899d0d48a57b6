/* The dedupe keys computed in SQL (migration 0005, which rekeys the rows
 * written before it) against the C ones the merge and the batcher use
 * (core/paper.h), on a real PostgreSQL (run_with_pg.py sets
 * SCIFIND_TEST_PG_DSN; without it, skipped). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/paper.h"
#include "store/migrate.h"
#include "test/test.h"

#define NEED_DSN(d)                                                                                \
    const char *d = getenv("SCIFIND_TEST_PG_DSN");                                                 \
    if (!d || !*d) TEST_SKIP("SCIFIND_TEST_PG_DSN not set (run through run_with_pg.py)")

static const char *const names[] = {
    "Ada Lovelace",
    "Lovelace, Ada",
    "J. R. R. Tolkien.",
    "O'Brien",
    "Martin Luther King Jr.",
    "King Jr",
    "Jr.",
    "Smith III",
    "III",
    "Smith, Jr.",
    "Smith iv.",
    "Smith Sr",
    "Jos\xc3\xa9 M\xc3\xbcller",
    "\xc3\x89MILE ZOLA",
    "Gro\xc3\x9f",
    "\xc3\x9e\xc3\xb3r \xc3\x98rsted",
    "Jean-Luc Picard",
    "\xe6\x9d\x8e \xe5\xb0\x8f",
    "\xce\xa3\xcf\x89\xce\xba\xcf\x81\xce\xac\xcf\x84\xce\xb7\xcf\x82",
    "A.\tTabbed",
    "Name \xc3\x97",
    "  ",
    "",
    ", Ada",
    "x ii",
    "\xe2\x85\xa1",
    "Smith \xe2\x85\xa3",
    "\xc3\x96",
    "van der Berg",
    "Berg, van der",
    "D'Arcy-Smith.",
    "Zo\xc3\xab ...",
    "Nguy\xe1\xbb\x85n V\xc4\x83n A",
    "ii Smith",
    "M. \xc3\xbf",
};

static const char *const titles[] = {
    "Attention Is All You Need",
    "Pre-training Deep Models: A Survey",
    "KwaZulu\xe2\x80\x90Natal \xe2\x80\x9c"
    "birds\xe2\x80\x9d \xe2\x80\x94 a study",
    "Non\xc2\xa0"
    "breaking\tspace\nand CR\r",
    "\xc3\x80 la recherche du temps perdu",
    "\xce\x9a\xce\xb2\xce\xb1\xce\xbd\xcf\x84\xce\xb9\xce\xba\xce\xae "
    "\xce\xb8\xce\xb5\xcf\x89\xcf\x81\xce\xaf\xce\xb1",
    "100% (of) [the] {best} <things>; a|b~c^d`e_f",
    "\xe9\x87\x8f\xe5\xad\x90 \xe8\xae\xa1\xe7\xae\x97",
    "...",
    "",
    "C++ & C#: 2 languages \xe2\x80\xa6 \xe2\x82\xac"
    "5",
};

/* The SQL function fn of arg, as an arena string, or NULL for SQL NULL. */
static const char *sql_key(PGconn *c, arena_t *a, const char *fn, const char *arg)
{
    char sql[96];
    snprintf(sql, sizeof sql, "SELECT %s($1)", fn);
    const char *params[1] = {arg};
    PGresult *r = PQexecParams(c, sql, 1, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        fprintf(stderr, "%s: %s", fn, PQerrorMessage(c));
        PQclear(r);
        return "<error>";
    }
    const char *v = PQgetisnull(r, 0, 0) ? NULL : arena_strdup(a, PQgetvalue(r, 0, 0));
    PQclear(r);
    return v;
}

static int same(const char *what, const char *in, const char *c_key, const char *sql)
{
    if ((!c_key && !sql) || (c_key && sql && strcmp(c_key, sql) == 0)) return 1;
    fprintf(stderr, "%s of \"%s\": C \"%s\", SQL \"%s\"\n", what, in, c_key ? c_key : "(null)",
            sql ? sql : "(null)");
    return 0;
}

TEST(sql_dedupe_keys_are_the_c_ones)
{
    NEED_DSN(dsn);
    char err[512];
    ASSERT(store_migrate(dsn, NULL, err, sizeof err) >= 0);
    PGconn *c = store_connect_blocking(dsn, "scifind-test", err, sizeof err);
    ASSERT_NOT_NULL(c);
    arena_t *a = arena_new(0);
    int bad = 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        bad += !same("family key", names[i], paper_family_key(a, names[i]),
                     sql_key(c, a, "scifind_family_key", names[i]));
    for (size_t i = 0; i < sizeof titles / sizeof titles[0]; i++)
        bad += !same("title key", titles[i], paper_dedupe_title_key(a, titles[i]),
                     sql_key(c, a, "scifind_dedupe_title_key", titles[i]));
    ASSERT_EQ(bad, 0);
    arena_free(a);
    PQfinish(c);
}

TEST(migration_rekeys_older_rows)
{
    /* A row with the keys of before (title with spaces, the old family
     * name), rekeyed as 0005 does: the keys the batcher writes now. */
    NEED_DSN(dsn);
    char err[512];
    ASSERT(store_migrate(dsn, NULL, err, sizeof err) >= 0);
    PGconn *c = store_connect_blocking(dsn, "scifind-test", err, sizeof err);
    ASSERT_NOT_NULL(c);
    PGresult *r = PQexec(c, "INSERT INTO papers (title, title_key, authors, first_author, sources)"
                            " VALUES ('Attention Is All You-Need', 'attention is all youneed',"
                            " ARRAY['Ashish Vaswani Jr.'], 'jr', ARRAY['arxiv']) RETURNING id");
    ASSERT_EQ(PQresultStatus(r), PGRES_TUPLES_OK);
    const char *params[1] = {PQgetvalue(r, 0, 0)};
    PGresult *u = PQexecParams(c,
                               "UPDATE papers SET title_key = coalesce(scifind_dedupe_title_key("
                               "title), ''), first_author = coalesce(scifind_family_key("
                               "authors[1]), '') WHERE id = $1::bigint"
                               " RETURNING title_key, first_author",
                               1, NULL, params, NULL, NULL, 0);
    ASSERT_EQ(PQresultStatus(u), PGRES_TUPLES_OK);
    ASSERT_STR_EQ(PQgetvalue(u, 0, 0), "attentionisallyouneed");
    ASSERT_STR_EQ(PQgetvalue(u, 0, 1), "vaswani");
    PQclear(u);
    PQclear(r);
    PQfinish(c);
}

TEST_MAIN()
