/* jobs_read.h: jobs as their callers see them (the Job proto, its number as result once it
 * succeeded), read through the pipeline. */
#ifndef PROV_JOBS_READ_H
#define PROV_JOBS_READ_H

#include <libpq-fe.h>

#include "oi/pg_pipeline.h"
#include "oneinbox/v1/provisioning.pb-c.h"
#include "prov.h"

/* One job; ws NULL = any workspace (admin). Zero rows: not found. */
void prov_jobs_get(prov_t *p, const char *ws, const char *id, oi_pg_done_cb cb, void *ud);
/* A page, newest first: filters may be NULL; limit + 1 rows. */
void prov_jobs_list(prov_t *p, const char *ws, const char *state, const char *kind, const char *cursor, int limit,
                    oi_pg_done_cb cb, void *ud);
/* New Job proto from a row of either statement (the number joined as n_* columns). */
Oneinbox__V1__Job *prov_jobs_to_proto(const PGresult *res, int row);
/* Is the job in this row done (succeeded, failed, cancelled)? */
bool prov_jobs_row_terminal(const PGresult *res, int row);

#endif
