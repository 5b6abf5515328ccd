/* job_retention.h: what a finished job keeps is only for OI_JOB_RETENTION_DAYS (default 30):
 * then its sealed request and the sealed secrets of its payload are cleared (the row, its
 * state, events and result stay). A timer (OI_JOB_RETENTION_PURGE_MS, default one hour) runs
 * one statement per batch of 1,000 on the pipeline, the next at once while batches come full. */
#ifndef PROV_JOB_RETENTION_H
#define PROV_JOB_RETENTION_H

#include "prov.h"

prov_retention_t *prov_retention_new(prov_t *p, int days, int interval_ms);
/* Stops the timer; a batch in flight ends first (the pipeline answers it before it closes). */
void prov_retention_close(prov_retention_t **self_p);

#endif
