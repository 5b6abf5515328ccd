/* runner.h: job runner threads (OI_JOB_WORKERS) and the lease heartbeat.
 *
 * Submissions kick a local runner at once; runners also poll for queued jobs that are due and
 * running jobs whose lease expired (another replica died). Finished jobs wake WaitJob callers. */
#ifndef PROV_RUNNER_H
#define PROV_RUNNER_H

#include <stdbool.h>
#include <stdint.h>

#include "jobs.h"
#include "prov.h"

prov_runner_t *prov_runner_new(prov_t *p);
/* Starts the threads; false if a thread could not be created. */
bool prov_runner_start(prov_runner_t *r);
/* Asks a runner to claim job id now (id copied). */
void prov_runner_kick(prov_runner_t *r, const char *id);
/* Blocks up to timeout_ms or until some job finishes here. */
void prov_runner_wait_any(prov_runner_t *r, int timeout_ms);
/* Stops claiming new jobs; threads exit after their current job. */
void prov_runner_stop(prov_runner_t *r);
/* Threads still running (loop thread polls this while draining). */
int prov_runner_alive(prov_runner_t *r);
/* Joins and frees (only once prov_runner_alive() is 0, or at exit). */
void prov_runner_destroy(prov_runner_t **self_p);

/* Runs one claimed job to its next resting state (exposed for tests and CancelJob). */
void prov_runner_run_job(prov_t *p, PGconn *c, prov_job_t *job);
/* Compensates a job outside a runner (CancelJob): unseals its request and runs the kind's
 * compensation. */
oi_status_t prov_runner_compensate(prov_t *p, PGconn *c, prov_job_t *job, oi_error_t *err);

#endif
