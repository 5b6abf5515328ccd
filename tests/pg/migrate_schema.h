/* migrate_schema.h: for the tests/pg runners. Applies any missing migration of schema (from dir)
 * as the schema's owner (the service's role, so the service can still use what this creates),
 * or as the connecting user when the schema does not exist yet. admin: an open connection. */
#ifndef PGTEST_MIGRATE_SCHEMA_H
#define PGTEST_MIGRATE_SCHEMA_H

#include <criterion/criterion.h>
#include <libpq-fe.h>
#include <stdlib.h>

#include "oi/mem.h"
#include "oi/pg.h"

static inline void pgtest_migrate_schema(PGconn *admin, const char *conninfo, const char *schema, const char *dir)
{
    const char *params[] = {schema};
    PGresult *r = PQexecParams(admin, "SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = $1", 1, NULL,
                               params, NULL, NULL, 0);
    cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s", PQresultErrorMessage(r));
    char *owner = PQntuples(r) ? oi_xstrdup(PQgetvalue(r, 0, 0)) : NULL;
    PQclear(r);
    char *ci = oi_xasprintf("%s options='-c client_min_messages=warning%s%s'", conninfo, owner ? " -c role=" : "",
                            owner ? owner : "");
    oi_pg_pool_t *pool = oi_pg_pool_new(ci, 1, 10000);
    oi_error_t err;
    oi_error_init(&err);
    cr_assert_eq(oi_pg_migrate(pool, schema, dir, &err), OI_OK, "migrating %s: %s", schema, err.message);
    oi_pg_pool_destroy(&pool);
    free(ci);
    free(owner);
}

#endif
