/* engine.h: which jobs run here, and when.
 *
 * Each lane (local work; each carrier) runs at most its capacity of jobs at once. A job
 * submitted here starts at once when its lane has room (its row was inserted running under our
 * lease: nothing to claim); otherwise it is queued and this replica, or any other one that
 * heard NOTIFY oi_jobs 'work:<lane>', claims it when room frees. A job put back with a delay is
 * claimed when it is due by a timer of the replica that put it back. The sweep, every
 * OI_JOB_SWEEP_MS and whenever a lease or a due time it saw comes round, claims what a dead
 * replica left; it is the only statement an idle replica sends. Running jobs' leases are renewed
 * every lease/3, and only theirs. Successes of runs that already answered are written in
 * batches. Loop thread only. */
#ifndef PROV_ENGINE_H
#define PROV_ENGINE_H

#include <stdbool.h>

#include "jobs.h"

prov_engine_t *prov_engine_new(prov_t *p);
/* Starts sweeping (and claiming what is due). */
void prov_engine_start(prov_engine_t *e);
/* Room for one more job in lane now? */
bool prov_engine_has_room(const prov_engine_t *e, prov_lane_t lane);
/* Takes a run whose row is already running under our lease and starts it. */
void prov_engine_adopt(prov_engine_t *e, prov_run_t *r);
/* Same, for a run taken from the queue to be cancelled (prov_run_start_cancel). */
void prov_engine_adopt_cancel(prov_engine_t *e, prov_run_t *r);
/* A run ends (it frees itself after this). */
void prov_engine_run_ended(prov_engine_t *e, prov_run_t *r);
/* The success of job id is to be written: within SUCCESS_LINGER_MS (engine.c), with the others
 * that ended meanwhile. */
void prov_engine_defer_success(prov_engine_t *e, const char *id);
/* A job of lane is queued and due in delay_ms (0: now): claim it then. notify: tell the other
 * replicas too (this one may have no room). */
void prov_engine_queued(prov_engine_t *e, prov_lane_t lane, int64_t delay_ms, bool notify);
/* NOTIFY payload from another replica ("work:<lane>"); anything else is ignored. */
void prov_engine_on_notify(prov_engine_t *e, const char *payload);
/* The LISTEN was (re)established: look for work at once. */
void prov_engine_resync(prov_engine_t *e);
/* Jobs running here now (in one lane). */
int prov_engine_running(const prov_engine_t *e);
int prov_engine_running_in(const prov_engine_t *e, prov_lane_t lane);
/* Stops claiming; running jobs go on. */
void prov_engine_stop(prov_engine_t *e);
/* Abandons the runs left (their leases expire and another replica resumes them), flushes
 * nothing more, frees once the timers are closed. Nulls *self_p. */
void prov_engine_close(prov_engine_t **self_p);

#endif
