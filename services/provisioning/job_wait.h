/* job_wait.h: answering a call with a job once it ends, or with the job as it is when the wait
 * runs out. The wait holds a timer and a list entry, never a thread or a connection. */
#ifndef PROV_JOB_WAIT_H
#define PROV_JOB_WAIT_H

#include <stdbool.h>

#include "oi/rpc.h"
#include "job_policy.h"
#include "prov.h"

/* Takes the call. ws: the caller's workspace ("" = admin). watch: ask whoever ends the job to
 * notify (it may run on another replica); a job this replica just started needs no watch.
 * state: what to say if the wait runs out without news (running or queued). */
void prov_wait_answer(prov_t *p, oi_rpc_call_t *call, const char *ws, const char *id, int wait_ms, bool watch,
                      prov_job_state_t state);
/* A wait whose answer may not leave yet: something else the caller is told only after (a near
 * cache's announcement) runs beside the job. Whatever ends the wait first keeps its answer until
 * prov_wait_release, which sends it or lets the next end send it. */
typedef struct prov_wait prov_wait_t;
/* prov_wait_answer, held; previous (taken, NULL: none): the number as it was before the change, in
 * the answer's Job.previous (for the audit trail). The wait stays valid until released (exactly
 * once). */
prov_wait_t *prov_wait_answer_held(prov_t *p, oi_rpc_call_t *call, const char *ws, const char *id, int wait_ms,
                                   bool watch, prov_job_state_t state, Oneinbox__V1__PhoneNumber *previous);
void prov_wait_release(prov_wait_t *w);

#endif
