/* oi/sched.h: how the kernel schedules a service's threads.
 *
 * A service is a pipeline of short turns: the loop thread hands a message to ZeroMQ's I/O
 * thread, PostgreSQL answers a backend's batch, a peer's reply wakes the loop. Under the
 * default policy every such wake-up preempts whoever runs on that core, so a PATCH costs
 * several forced context switches per hop. SCHED_BATCH (Linux, no privilege needed) keeps the
 * woken thread waiting until the running one blocks or uses up its slice: the loops drain more
 * messages per turn and switch less. Interleaved runs on 2 cores: the services' CPU per PATCH
 * about an eighth lower, PATCH and resolve through the gateway 6-9 % faster; resolve over
 * ZeroMQ within 3 %, its p99 unchanged (docs/DECISIONS.md 27). */
#ifndef OI_SCHED_H
#define OI_SCHED_H

/* Puts the calling thread under SCHED_BATCH; threads it creates afterwards inherit the policy
 * (so: first thing in main, before any library starts a thread). 0, or the errno of the
 * refusal (e.g. a seccomp profile that forbids sched_setscheduler). */
int oi_sched_batch(void);
/* 1 when the calling thread runs under SCHED_BATCH, 0 when not, -1 when it cannot be told. */
int oi_sched_is_batch(void);

#endif
