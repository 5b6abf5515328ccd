/* test_reseal.c: re-sealing a table's values onto the current key, against a real server (the
 * test stack's, OI_TEST_PG_CONNINFO). The table is a temporary one of this session. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oi/crypto.h"
#include "oi/reseal.h"
#include "pgtest.h"

#define OLD "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define NEW "f0e1d2c3b4a5968778695a4b3c2d1e0f00112233445566778899aabbccddeeff"
#define ROWS 1203 /* more than two batches */

TestSuite(reseal, .timeout = 60);

static const oi_reseal_column_t COLUMN = {"t.secret", "pg_temp.sealed_rows", "secret", "'row/' || id::text",
                                          "secret = $3", OI_SEAL_INTEGRATION};

static void insert(PGconn *c, int id, const char *value)
{
    char ids[16];
    snprintf(ids, sizeof ids, "%d", id);
    const char *p[] = {ids, value};
    PGresult *r = PQexecParams(c, "INSERT INTO pg_temp.sealed_rows VALUES ($1::int, $2)", 2, NULL, p, NULL, NULL, 0);
    cr_assert_eq(PQresultStatus(r), PGRES_COMMAND_OK, "%s", PQerrorMessage(c));
    PQclear(r);
}

static char *value_of(PGconn *c, int id)
{
    char sql[96];
    snprintf(sql, sizeof sql, "SELECT secret FROM pg_temp.sealed_rows WHERE id = %d", id);
    PGresult *r = PQexec(c, sql);
    char *v = PQntuples(r) == 1 && !PQgetisnull(r, 0, 0) ? strdup(PQgetvalue(r, 0, 0)) : NULL;
    PQclear(r);
    return v;
}

static char *binding(int id)
{
    char *b = malloc(32);
    snprintf(b, 32, "row/%d", id);
    return b;
}

Test(reseal, every_old_value_moves_onto_the_current_key_and_the_unreadable_stay)
{
    cr_assert(oi_crypto_global_init());
    PGconn *c = pgtest_connect(pgtest_conninfo());
    pgtest_exec(c, "CREATE TEMP TABLE sealed_rows (id int PRIMARY KEY, secret text)");
    oi_crypto_t *old = oi_crypto_new(OLD, NULL, NULL), *now = oi_crypto_new(NEW, OLD, NULL);
    for (int id = 1; id <= ROWS; id++) {
        char *b = binding(id), text[32];
        snprintf(text, sizeof text, "secret-%d", id);
        char *v = oi_crypto_seal(id % 3 ? old : now, OI_SEAL_INTEGRATION, b, text); /* a third already current */
        insert(c, id, v);
        free(v);
        free(b);
    }
    char *stray = oi_crypto_seal(old, OI_SEAL_INTEGRATION, "row/1", "copied"); /* bound to another row */
    insert(c, ROWS + 1, stray);
    insert(c, ROWS + 2, "");
    pgtest_exec(c, "INSERT INTO pg_temp.sealed_rows VALUES (0, NULL)");
    oi_reseal_counts_t n;
    oi_error_t err;
    oi_error_init(&err);
    cr_assert_eq(oi_reseal_columns(c, now, &COLUMN, 1, &n, &err), OI_OK, "%s", err.message);
    cr_expect_eq(n.resealed, ROWS - ROWS / 3, "%ld", n.resealed);
    cr_expect_eq(n.unreadable, 1);
    cr_expect_eq(n.old, 1); /* only the stray is left */
    for (int id = 1; id <= ROWS; id += 97) {
        char *v = value_of(c, id), *b = binding(id), want[32];
        cr_expect(oi_crypto_sealed_current(now, v), "row %d: %s", id, v);
        char *plain = oi_crypto_open(now, OI_SEAL_INTEGRATION, b, v);
        snprintf(want, sizeof want, "secret-%d", id);
        cr_expect_str_eq(plain, want);
        oi_crypto_free_secret(plain);
        free(v);
        free(b);
    }
    char *left = value_of(c, ROWS + 1);
    cr_expect_str_eq(left, stray); /* left as it was */
    free(left);
    cr_assert_eq(oi_reseal_columns(c, now, &COLUMN, 1, &n, &err), OI_OK); /* a second pass finds nothing */
    cr_expect_eq(n.resealed, 0);
    cr_expect_eq(n.old, 1);
    free(stray);
    oi_crypto_destroy(&old);
    oi_crypto_destroy(&now);
    PQfinish(c);
}
