/* route_db.h: the database side of Resolve and ReportFailure: routing snapshots and per-call
 * failures, through the loop's pipeline (oi/pg_pipeline.h). Loop thread only.
 *
 * Each submitting function runs cb exactly once, later, on the loop (the pipeline's contract);
 * the *_from_result helpers read the result that callback was given (borrowed for the
 * callback only). */
#ifndef DSP_ROUTE_DB_H
#define DSP_ROUTE_DB_H

#include <stddef.h>

#include "oi/pg_pipeline.h"
#include "oi/route.h"

/* Reads the rule for phone number `to` with its agents' states (one statement, counted in
 * oi_dispatch_resolve_db_queries_total). */
void dsp_route_load(oi_pg_pipeline_t *pg, const char *to, oi_pg_done_cb cb, void *ud);
/* The snapshot of a dsp_route_load result, into out (clean on entry): OI_OK, or OI_NO_ROUTE
 * when `to` has no rule (out then stays clean). */
oi_status_t dsp_route_from_result(const PGresult *res, const char *to, oi_route_t *out, oi_error_t *err);

/* Reads the agents recorded failed for call_id within the last hour. */
void dsp_failures_load(oi_pg_pipeline_t *pg, const char *call_id, oi_pg_done_cb cb, void *ud);
/* The canonical agent ids of a dsp_failures_load result, up to max. Returns how many. */
size_t dsp_failures_from_result(const PGresult *res, char (*ids)[OI_ROUTE_ID_MAX], size_t max);

/* Records that agent_id failed for call_id (idempotent: a repeat refreshes the time). Now and
 * then it also deletes the records older than an hour, in a statement of its own whose failure
 * is only logged. */
void dsp_failure_store(oi_pg_pipeline_t *pg, const char *call_id, const char *agent_id, oi_pg_done_cb cb,
                       void *ud);

/* Reads the failures of the last hour, one row per call (columns call_id, agents = "id,id,"),
 * at most 20000 calls: what the cache copies to Redis after a reconnect. */
void dsp_failures_recent(oi_pg_pipeline_t *pg, oi_pg_done_cb cb, void *ud);

#endif
