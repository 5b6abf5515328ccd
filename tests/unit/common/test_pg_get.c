/* test_pg_get.c: a row's column by name answers what PQfnumber would, without its copy. */
#include <criterion/criterion.h>
#include <libpq-fe.h>
#include <string.h>

#include "oi/pg.h"

TestSuite(pg_get);

static PGresult *row_of(void)
{
    PGresult *res = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
    cr_assert_not_null(res);
    PGresAttDesc cols[4];
    memset(cols, 0, sizeof cols);
    const char *names[] = {"id", "Name", "id", "gone"};
    for (int i = 0; i < 4; i++) {
        cols[i].name = (char *)names[i];
        cols[i].format = 0;
        cols[i].typid = 25;
        cols[i].typlen = -1;
        cols[i].atttypmod = -1;
    }
    cr_assert(PQsetResultAttrs(res, 4, cols));
    const char *values[] = {"first", "mixed", "second"};
    for (int i = 0; i < 3; i++)
        cr_assert(PQsetvalue(res, 0, i, (char *)values[i], (int)strlen(values[i])));
    cr_assert(PQsetvalue(res, 0, 3, NULL, -1)); /* NULL */
    return res;
}

Test(pg_get, answers_as_pqfnumber_does)
{
    PGresult *res = row_of();
    cr_expect_str_eq(oi_pg_get(res, 0, "id"), "first", "the first column of that name");
    cr_expect_null(oi_pg_get(res, 0, "gone"), "SQL NULL");
    cr_expect_null(oi_pg_get(res, 0, "missing"));
    cr_expect_null(oi_pg_get(res, 1, "id"), "no such row");
    /* capitals fold as in SQL unless quoted, as PQfnumber has it */
    cr_expect_null(oi_pg_get(res, 0, "Name"));
    cr_expect_null(oi_pg_get(res, 0, "name"));
    cr_expect_str_eq(oi_pg_get(res, 0, "\"Name\""), "mixed");
    cr_expect_null(oi_pg_get(NULL, 0, "id"));
    PQclear(res);
}
