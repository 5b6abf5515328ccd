/* migrate.c: OI_MIGRATE_ONLY=true → apply the schema's migrations and exit (oi/migrate.h). */
#define OI_LOG_TAG "common.migrate"
#include "oi/migrate.h"

#include "oi/config.h"
#include "oi/log.h"
#include "oi/pg.h"

#define MIGRATE_STATEMENT_TIMEOUT_MS 600000 /* a migration may rewrite a large table */

static int run(oi_config_t *c, const char *schema, const char *default_dir)
{
    /* not oi_config_str_required: the manifest check reads that as "every binary needs it" */
    const char *conninfo = oi_config_str(c, "OI_PG_CONNINFO", NULL);
    if (!conninfo || !*conninfo)
        oi_config_fail(c, "OI_PG_CONNINFO", "is required to migrate");
    const char *dir = oi_config_str(c, "OI_MIGRATIONS_DIR", default_dir);
    if (!oi_config_check(c))
        return 2;
    oi_pg_pool_t *pg = oi_pg_pool_new(conninfo, 1, MIGRATE_STATEMENT_TIMEOUT_MS);
    oi_error_t err;
    oi_error_init(&err);
    oi_log_ctx_t ctx = {.action = "migrating"};
    int rc = 0;
    if (oi_pg_migrate(pg, schema, dir, &err)) {
        oi_log_error(&ctx, "schema %s from %s: %s", schema, dir, err.message);
        rc = 1;
    } else {
        oi_log_info(&ctx, "schema %s is up to date (%s)", schema, dir);
    }
    oi_pg_pool_destroy(&pg);
    return rc;
}

int oi_migrate_only(const char *schema, const char *default_dir)
{
    oi_config_t *c = oi_config_new();
    bool on = oi_config_bool(c, "OI_MIGRATE_ONLY", false);
    int rc = on ? run(c, schema, default_dir) : oi_config_check(c) ? -1 : 2;
    oi_config_destroy(&c);
    return rc;
}
