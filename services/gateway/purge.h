/* purge.h: rows past their retention are deleted (idempotency records: OI_IDEMPOTENCY_TTL_HOURS,
 * default 24; audit events: OI_AUDIT_RETENTION_DAYS, default 365): a timer on the loop (every
 * OI_IDEMPOTENCY_PURGE_MS, default 5 minutes), the DELETE on the threadpool in batches over a
 * connection of its own, at most one at a time per purge. */
#ifndef GW_PURGE_H
#define GW_PURGE_H

#include "gw.h"

/* sql: a DELETE of at most GW_PURGE_BATCH rows older than $1 (text, spliced into an interval:
 * age, e.g. "24 hours"); what: for the log ("idempotency records"). Both static strings. */
#define GW_PURGE_BATCH 1000
gw_purge_t *gw_purge_new(gw_t *gw, const char *conninfo, const char *what, const char *sql, const char *age,
                         int interval_ms);
/* Stops the timer; a purge in flight finishes, then frees. */
void gw_purge_close(gw_purge_t **self_p);

#endif
