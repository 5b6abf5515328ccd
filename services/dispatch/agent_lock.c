/* agent_lock.c: the advisory locks of agent_lock.h. */
#include "agent_lock.h"

#include "oi/pg.h"

/* The lock's class (its first key): "oiAG", apart from other advisory locks of the database. */
#define AGENT_CLASS "1869168967"

/* In id order, each once (shared locks never wait for each other, but an order costs nothing). */
const oi_pg_stmt_t DSP_AGENTS_LOCK = {
    "dsp_agents_lock",
    "SELECT count(pg_advisory_xact_lock_shared(" AGENT_CLASS ", hashtext(id::text))) AS locked"
    " FROM (SELECT DISTINCT id FROM unnest($1::uuid[]) AS w(id) ORDER BY id) s",
    1};

const oi_pg_stmt_t DSP_AGENTS_LOCK_MANY = {
    "dsp_agents_lock_many",
    "SELECT count(pg_advisory_xact_lock_shared(" AGENT_CLASS ", hashtext(id::text))) AS locked"
    " FROM (SELECT DISTINCT w.id FROM unnest($1::text[]) AS v(agents)"
    " CROSS JOIN LATERAL unnest(v.agents::uuid[]) AS w(id) ORDER BY w.id) s",
    1};

oi_status_t dsp_agent_lock(PGconn *conn, const char *agent_id, oi_error_t *err)
{
    const char *params[] = {agent_id};
    return oi_pg_exec(conn, "SELECT pg_advisory_xact_lock(" AGENT_CLASS ", hashtext($1::uuid::text))", 1, params,
                      NULL, err);
}
