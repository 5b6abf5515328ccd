/* oi/pg.h: PostgreSQL connection pool and query helpers over libpq.
 *
 * The pool hands out blocking connections to libuv threadpool work and job-runner threads
 * (never to the loop thread): the loop stays non-blocking and every query runs with a
 * statement timeout. Broken connections are reset on release; acquire waits at most
 * timeout_ms and fails fast with OI_DB_UNAVAILABLE, so an outage never hangs requests.
 *
 * Foreign errors are translated here and nowhere else: SQLSTATE 23505 → OI_CONFLICT,
 * 40001/40P01 → OI_CONFLICT (retryable), connection failures → OI_DB_UNAVAILABLE,
 * 57014 (statement timeout) → OI_TIMEOUT, other → OI_INTERNAL.
 *
 * Every session (here and in oi/pg_pipeline.h) runs in UTC, with the statement timeout, and
 * without JIT: the server compiles a statement whose estimated cost passes jit_above_cost on
 * every execution, and a submission's plan carries the quota count over the workspace's numbers
 * even when no quota is set (never run, but costed): past about 100,000 numbers in one workspace
 * each registration batch spent some 85 ms compiling, and registrations fell from ~1,900/s to
 * ~180/s. No statement of the suite scans enough for JIT to pay. */
#ifndef OI_PG_H
#define OI_PG_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "oi/status.h"

typedef struct oi_pg_pool oi_pg_pool_t;

/* Connects lazily; size connections at most. statement_timeout_ms applies to every session. */
oi_pg_pool_t *oi_pg_pool_new(const char *conninfo, int size, int statement_timeout_ms);
void oi_pg_pool_destroy(oi_pg_pool_t **self_p);
/* Names the pool in its metrics (oi_pg_pool_size / _in_use / _acquire_wait_seconds /
 * _exhausted_total, label pool="name"); an unnamed pool publishes none. */
void oi_pg_pool_name(oi_pg_pool_t *p, const char *name);
oi_status_t oi_pg_pool_acquire(oi_pg_pool_t *p, int timeout_ms, PGconn **out, oi_error_t *err);
/* Returns the connection (rolls back an open transaction, resets a broken one). Nulls *c. */
void oi_pg_pool_release(oi_pg_pool_t *p, PGconn **c);
/* true when a connection could be made recently (for /readyz). */
bool oi_pg_pool_healthy(oi_pg_pool_t *p);
/* Counters for metrics. */
void oi_pg_pool_stats(oi_pg_pool_t *p, int *size, int *in_use, long *queries);

/* Runs a parameterised statement (text params, NULL = SQL NULL). On OI_OK *out (if non-NULL)
 * holds the result, which the caller PQclear()s; on error no result is returned. The SQLSTATE's
 * constraint name is put in err->loc for 23505 so callers can tell which key clashed. */
oi_status_t oi_pg_exec(PGconn *c, const char *sql, int nparams, const char *const *params, PGresult **out,
                       oi_error_t *err);
oi_status_t oi_pg_begin(PGconn *c, oi_error_t *err);
oi_status_t oi_pg_commit(PGconn *c, oi_error_t *err);
void oi_pg_rollback(PGconn *c);

/* The field of column col in res (PQfnumber's answer, without its copy of the name), -1 when
 * none. hint: a field looked at first (-1: none), for a caller reading the columns in the
 * result's order. */
int oi_pg_field(const PGresult *res, const char *col, int hint);
/* Column helpers on a result row: NULL when SQL NULL. Borrowed from res. */
const char *oi_pg_get(const PGresult *res, int row, const char *col);
/* Returns a new heap copy or NULL. */
char *oi_pg_dup(const PGresult *res, int row, const char *col);
/* A boolean column: true only for "t" (SQL NULL and a missing column are false). */
bool oi_pg_bool(const PGresult *res, int row, const char *col);

/* Applies dir/NNN_*.sql in order inside schema (created if absent), each once, recorded in
 * <schema>.schema_migrations, under an advisory lock so replicas may start together. */
oi_status_t oi_pg_migrate(oi_pg_pool_t *p, const char *schema, const char *dir, oi_error_t *err);

#endif
