/* quarantine.h: the end of a purchased number's quarantine.
 *
 * A DELETE of a purchased number (OI_RELEASE_QUARANTINE_HOURS > 0) takes its routing away at
 * once but keeps it on the carrier account until release_after (numbers_db.h); until then
 * POST .../restore brings it back. Every OI_RELEASE_QUARANTINE_SWEEP_MS each replica takes the
 * quarantines that are due (oldest first, skipping rows another replica holds), makes them
 * "releasing" and queues, in the same statement, the delete job that releases them on the
 * carrier (job_delete.c), so a number is released by exactly one job whichever replicas sweep.
 * A restore and the sweep race on the row: whichever commits first wins, the other changes
 * nothing. Gauge oi_provisioning_numbers_quarantined: quarantines left after the last sweep.
 * Loop thread. */
#ifndef PROV_QUARANTINE_H
#define PROV_QUARANTINE_H

#include "prov.h"

prov_quarantine_t *prov_quarantine_new(prov_t *p, int interval_ms);
/* Stops sweeping; frees once a sweep in flight is done. Nulls *self_p. */
void prov_quarantine_close(prov_quarantine_t **self_p);

#endif
