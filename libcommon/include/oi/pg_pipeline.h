/* oi/pg_pipeline.h: PostgreSQL on the loop: a few non-blocking connections in libpq pipeline
 * mode, shared by every caller of the loop thread.
 *
 * A caller submits a batch (one or more prepared statements); the batch is written at once
 * behind whatever the connection already carries and ends with one Sync, so its statements run
 * in one implicit transaction: all of them commit or none (a failed statement aborts the rest).
 * Many callers' batches ride one connection back to back, each its own transaction, so one
 * round trip carries as many of them as are ready. Nothing waits on a thread and no connection
 * is held between batches.
 *
 * Statements are static descriptors prepared lazily on each connection (the first batch that
 * uses one sends the Parse in the same pipeline). Their names must be unique per process.
 *
 *   static const oi_pg_stmt_t GET_NUMBER = {"prov_number_get", "SELECT … WHERE id = $1", 1};
 *   const char *params[] = {id};
 *   oi_pg_pipeline_exec(pg, &GET_NUMBER, params, on_number, req);
 *
 * Every callback runs exactly once on the loop thread, never from inside the submitting call.
 * Results are borrowed for the callback only (copy what you keep), like hiredis replies.
 *
 * Failures: a broken connection fails its in-flight batches with OI_DB_UNAVAILABLE (their outcome
 * is unknown: a commit may have happened) and reconnects with backoff; while no connection
 * works, new batches fail fast with OI_DB_UNAVAILABLE instead of queueing. SQLSTATEs are
 * translated as in oi/pg.h (one table, oi_pg_translate). Loop thread only. */
#ifndef OI_PG_PIPELINE_H
#define OI_PG_PIPELINE_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "oi/status.h"

typedef struct oi_pg_pipeline oi_pg_pipeline_t;

/* A prepared statement: static, borrowed for the pool's life. */
typedef struct {
    const char *name; /* unique per process, e.g. "prov_number_get" */
    const char *sql;
    int nparams;      /* text parameters $1..$n */
} oi_pg_stmt_t;

/* One statement of a batch with its text parameters (NULL = SQL NULL; copied at submission). */
typedef struct {
    const oi_pg_stmt_t *stmt;
    const char *const *params;
} oi_pg_query_t;

/* st == OI_OK: res[i] is the result of query i (n of them, each PGRES_TUPLES_OK or
 * PGRES_COMMAND_OK). Otherwise err says why and res is NULL. Results are freed after the
 * callback returns. */
typedef void (*oi_pg_done_cb)(oi_status_t st, const oi_error_t *err, PGresult *const *res, size_t n, void *ud);

typedef struct {
    const char *conninfo;      /* libpq conninfo (borrowed during new) */
    int connections;           /* how many connections (≥ 1) */
    int statement_timeout_ms;  /* set on every session */
    int queue_timeout_ms;      /* how long a batch may wait for a connection that is still opening */
    int max_queued;            /* batches waiting for a connection before OI_DB_UNAVAILABLE */
    const char *name;          /* metrics label pool="name" (NULL: no metrics) */
} oi_pg_pipeline_config_t;

/* Starts connecting at once (in the background). */
oi_pg_pipeline_t *oi_pg_pipeline_new(uv_loop_t *loop, const oi_pg_pipeline_config_t *cfg);
/* Submits one statement. Returns 0; cb runs later exactly once. */
int oi_pg_pipeline_exec(oi_pg_pipeline_t *p, const oi_pg_stmt_t *stmt, const char *const *params, oi_pg_done_cb cb,
                        void *ud);
/* Submits one statement planned for its own parameter values (a custom plan; sessions plan
 * generically otherwise). For a list whose filters are optional ("$2 IS NULL OR col = $2"): a
 * generic plan cannot know which of them are set, so it can use no index that one of them, or a
 * partial index's predicate, would allow, and scans the whole table for every page. Planning costs
 * a fraction of a millisecond: for reads a person asks for, never for the hot paths. cb sees the
 * statement's result alone. Returns 0; cb runs later exactly once. */
int oi_pg_pipeline_exec_planned(oi_pg_pipeline_t *p, const oi_pg_stmt_t *stmt, const char *const *params,
                                oi_pg_done_cb cb, void *ud);
/* Submits n statements as one transaction (n ≤ OI_PG_BATCH_MAX). Returns 0; cb runs later exactly
 * once. */
#define OI_PG_BATCH_MAX 8
int oi_pg_pipeline_batch(oi_pg_pipeline_t *p, const oi_pg_query_t *q, size_t n, oi_pg_done_cb cb, void *ud);
/* true while a connection works (or none has failed yet): for readiness. Answers from state,
 * sends nothing. */
bool oi_pg_pipeline_healthy(const oi_pg_pipeline_t *p);
/* Batches submitted and not yet answered. */
size_t oi_pg_pipeline_pending(const oi_pg_pipeline_t *p);
/* Batches submitted since the pipeline was made (a measure of activity). */
uint64_t oi_pg_pipeline_submitted(const oi_pg_pipeline_t *p);
/* Fails what is pending with OI_UNAVAILABLE, closes every connection; frees once the handles are
 * closed, then calls on_closed (may be NULL). Nulls *self_p. */
void oi_pg_pipeline_close(oi_pg_pipeline_t **self_p, void (*on_closed)(void *ud), void *ud);

#endif
