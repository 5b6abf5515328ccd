/* job_update.h: what the PATCH submission shares with its job. */
#ifndef PROV_JOB_UPDATE_H
#define PROV_JOB_UPDATE_H

#include <libpq-fe.h>

#include "jobs.h"
#include "routing.h"

/* Hands the row as the submission left it (PROV_NUMBER_COLS) to the run: its version and
 * routing for oi-dispatch, and the number as the job's result. routing: the routing the row was
 * just written with (copied; the stored JSON is then not parsed again), or NULL to read the row's.
 * OI_INTERNAL when the stored routing is malformed. */
oi_status_t prov_update_keep_row(prov_run_t *r, const PGresult *res, int row, const prov_routing_t *routing,
                                 oi_error_t *err);

#endif
