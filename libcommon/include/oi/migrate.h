/* oi/migrate.h: the migrate-only mode of the services that own a schema.
 *
 * With OI_MIGRATE_ONLY=true a service applies its schema's migrations (OI_MIGRATIONS_DIR) on
 * OI_PG_CONNINFO and exits, without reading the rest of its configuration or listening on
 * anything: the Kubernetes migration Job runs it before a rollout. Services also migrate when
 * they start (one migrator at a time per schema, under an advisory lock), so the Job is an
 * ordering convenience, never a requirement. */
#ifndef OI_MIGRATE_H
#define OI_MIGRATE_H

/* -1 when OI_MIGRATE_ONLY is unset or false: start normally. Otherwise the exit status of the
 * migrate-only run: 0 applied (or nothing to do), 1 failed, 2 invalid configuration (a
 * malformed OI_MIGRATE_ONLY included); problems are logged. */
int oi_migrate_only(const char *schema, const char *default_dir);

#endif
