/* agent_lock.h: the lock that orders a change of an agent with the writes of rules naming it.
 *
 * A rule's upsert (apply.h, apply_many.h) holds each agent it names shared; a change of an
 * agent (an update, a deletion: agents.c) holds it exclusive; each until its transaction ends.
 * The statement after the lock runs with a fresh snapshot, so it sees what the other side
 * committed: an upsert sees the agent deleted, a change lists the rule just written.
 *
 * These are transaction-scoped advisory locks keyed by the agent's id (PostgreSQL's lock table,
 * in memory), not row locks on the agent: every registration names its agent, and row locks
 * shared by many concurrent upserts made PostgreSQL create a MultiXact for nearly each of them,
 * with its WAL (1 ms a statement, the slowest part of a registration). Two agents whose keys
 * collide only wait for each other. */
#ifndef DSP_AGENT_LOCK_H
#define DSP_AGENT_LOCK_H

#include <libpq-fe.h>

#include "oi/pg_pipeline.h"
#include "oi/status.h"

/* $1 uuid[]: the agents, held shared. */
extern const oi_pg_stmt_t DSP_AGENTS_LOCK;
/* $1 text[]: each element an array of agents ("{…}", NULL or "{}" for none), all held shared. */
extern const oi_pg_stmt_t DSP_AGENTS_LOCK_MANY;

/* Holds agent_id exclusive in conn's open transaction. */
oi_status_t dsp_agent_lock(PGconn *conn, const char *agent_id, oi_error_t *err);

#endif
