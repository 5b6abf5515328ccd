/* route_db.h: routing snapshots and per-call failures from PostgreSQL (threadpool only). */
#ifndef DSP_ROUTE_DB_H
#define DSP_ROUTE_DB_H

#include "dsp.h"
#include "route.h"

/* Loads the rule for phone number `to` with its agents' states into out (clean on entry).
 * OI_NO_ROUTE when no rule; OI_DB_UNAVAILABLE/OI_TIMEOUT/OI_INTERNAL from the database. */
oi_status_t dsp_route_load(dsp_t *d, const char *to, dsp_route_t *out, oi_error_t *err);
/* Agents recorded failed for call_id within the last hour (up to max, canonical ids). */
oi_status_t dsp_failures_load(dsp_t *d, const char *call_id, char (*ids)[DSP_ID_MAX], size_t max, size_t *n,
                              oi_error_t *err);
/* Records a failure (idempotent) and, now and then, deletes records older than an hour. */
oi_status_t dsp_failure_store(dsp_t *d, const char *call_id, const char *agent_id, oi_error_t *err);

#endif
