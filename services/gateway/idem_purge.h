/* idem_purge.h: idempotency records are kept OI_IDEMPOTENCY_TTL_HOURS (default 24), then
 * deleted: a timer on the loop (every OI_IDEMPOTENCY_PURGE_MS, default 5 minutes), the DELETE on
 * the threadpool in batches over a connection of its own, at most one at a time. */
#ifndef GW_IDEM_PURGE_H
#define GW_IDEM_PURGE_H

#include "gw.h"

gw_idem_purge_t *gw_idem_purge_new(gw_t *gw, const char *conninfo, int ttl_hours, int interval_ms);
/* Stops the timer; a purge in flight finishes, then frees. */
void gw_idem_purge_close(gw_idem_purge_t **self_p);

#endif
