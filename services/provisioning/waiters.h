/* waiters.h: callers waiting for jobs to end, on the loop: a timer and a list entry each, no
 * thread and no connection.
 *
 * A job this replica runs wakes its waiters directly with the finished Job (prov_waiters_finish);
 * a job another replica ends reaches us as NOTIFY oi_jobs 'done:<id>' (prov_waiters_poke), and
 * after a lost LISTEN every waiter is poked (prov_waiters_poke_all): a poked waiter reads the job
 * again. The callback runs exactly once per waiter: with the Job when it ended, or with NULL when
 * the wait ran out or the waiter was poked (the caller then reads the job itself). Loop thread. */
#ifndef PROV_WAITERS_H
#define PROV_WAITERS_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#include "oneinbox/v1/provisioning.pb-c.h"

typedef struct prov_waiters prov_waiters_t;
typedef struct prov_waiter prov_waiter_t;

typedef enum { PROV_WAIT_ENDED = 0, PROV_WAIT_TIMEOUT, PROV_WAIT_POKED, PROV_WAIT_CANCELLED } prov_wait_outcome_t;

/* job: the finished job (borrowed for the call) when outcome is ENDED, else NULL. */
typedef void (*prov_wait_cb)(prov_wait_outcome_t outcome, const Oneinbox__V1__Job *job, void *ud);

prov_waiters_t *prov_waiters_new(uv_loop_t *loop);
/* Waits for job id (copied) at most timeout_ms. The handle stays valid until cb ran. */
prov_waiter_t *prov_waiters_add(prov_waiters_t *w, const char *id, int timeout_ms, prov_wait_cb cb, void *ud);
/* The job ended here: every waiter of id gets it (borrowed). */
void prov_waiters_finish(prov_waiters_t *w, const char *id, const Oneinbox__V1__Job *job);
/* Something about job id changed elsewhere: its waiters get POKED. */
void prov_waiters_poke(prov_waiters_t *w, const char *id);
void prov_waiters_poke_all(prov_waiters_t *w);
/* Answers every waiter with CANCELLED (shutting down). */
void prov_waiters_cancel_all(prov_waiters_t *w);
/* Is anyone here waiting for id? */
bool prov_waiters_has(const prov_waiters_t *w, const char *id);
size_t prov_waiters_count(const prov_waiters_t *w);
/* Cancels what is left, frees once the timers are closed. Nulls *self_p. */
void prov_waiters_close(prov_waiters_t **self_p);

#endif
