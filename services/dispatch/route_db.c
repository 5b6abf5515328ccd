/* route_db.c: the database side of Resolve and ReportFailure. */
#define OI_LOG_TAG "dsp.route_db"
#include "route_db.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "oi/log.h"
#include "oi/mem.h"
#include "oi/metrics.h"

#define CLEANUP_EVERY 256

static const char *const load_sql =
    "SELECT r.id, r.workspace_id, r.number_id, r.inbound_trunk_id, r.agent_id, r.fallback_agent_id, "
    "r.voicemail_message, "
    "p.id IS NOT NULL AS p_present, p.deleted_at IS NOT NULL AS p_deleted, p.status = 'active' AS p_active, "
    "p.voicemail_message AS p_vm, "
    "f.id IS NOT NULL AS f_present, f.deleted_at IS NOT NULL AS f_deleted, f.status = 'active' AS f_active, "
    "f.voicemail_message AS f_vm "
    "FROM dispatch.dispatch_rules r "
    "LEFT JOIN dispatch.agents p ON p.id = r.agent_id AND p.workspace_id = r.workspace_id "
    "LEFT JOIN dispatch.agents f ON f.id = r.fallback_agent_id AND f.workspace_id = r.workspace_id "
    "WHERE r.phone_number = $1";

static void agent_from_row(const PGresult *res, const char *prefix, dsp_agent_state_t *a)
{
    char col[16];
    snprintf(col, sizeof col, "%s_present", prefix);
    a->present = dsp_db_bool(res, 0, col);
    snprintf(col, sizeof col, "%s_deleted", prefix);
    a->deleted = dsp_db_bool(res, 0, col);
    snprintf(col, sizeof col, "%s_active", prefix);
    a->active = dsp_db_bool(res, 0, col);
    snprintf(col, sizeof col, "%s_vm", prefix);
    a->voicemail = oi_pg_dup(res, 0, col);
}

oi_status_t dsp_route_load(dsp_t *d, const char *to, dsp_route_t *out, oi_error_t *err)
{
    PGconn *conn = NULL;
    PGresult *res = NULL;
    oi_metric_inc("oi_dispatch_resolve_db_queries_total", "", 1);
    oi_status_t rc = dsp_db_acquire(d, &conn, err);
    if (rc)
        goto out;
    const char *params[] = {to};
    rc = oi_pg_exec(conn, load_sql, 1, params, &res, err);
    if (rc)
        goto out;
    if (PQntuples(res) != 1) {
        rc = oi_error_set(err, OI_NO_ROUTE, "no inbound route for %s", to);
        goto out;
    }
    out->rule_id = dsp_db_str(res, 0, "id");
    out->workspace_id = dsp_db_str(res, 0, "workspace_id");
    out->number_id = dsp_db_str(res, 0, "number_id");
    out->inbound_trunk_id = dsp_db_str(res, 0, "inbound_trunk_id");
    out->agent_id = dsp_db_str(res, 0, "agent_id");
    out->fallback_agent_id = oi_pg_dup(res, 0, "fallback_agent_id");
    out->voicemail = oi_pg_dup(res, 0, "voicemail_message");
    agent_from_row(res, "p", &out->primary);
    agent_from_row(res, "f", &out->fallback);
out:
    if (res)
        PQclear(res);
    dsp_db_release(d, &conn);
    return rc;
}

oi_status_t dsp_failures_load(dsp_t *d, const char *call_id, char (*ids)[DSP_ID_MAX], size_t max, size_t *n,
                              oi_error_t *err)
{
    PGconn *conn = NULL;
    PGresult *res = NULL;
    *n = 0;
    oi_status_t rc = dsp_db_acquire(d, &conn, err);
    if (rc)
        goto out;
    const char *params[] = {call_id};
    rc = oi_pg_exec(conn,
                    "SELECT string_agg(agent_id::text, ',') AS agents FROM dispatch.call_failures "
                    "WHERE call_id = $1 AND created_at > now() - interval '1 hour'",
                    1, params, &res, err);
    if (rc)
        goto out;
    const char *agents = PQntuples(res) == 1 ? oi_pg_get(res, 0, "agents") : NULL;
    if (agents)
        *n = dsp_failures_parse(agents, strlen(agents), ids, max);
out:
    if (res)
        PQclear(res);
    dsp_db_release(d, &conn);
    return rc;
}

static atomic_uint failure_count;

oi_status_t dsp_failure_store(dsp_t *d, const char *call_id, const char *agent_id, oi_error_t *err)
{
    PGconn *conn = NULL;
    oi_status_t rc = dsp_db_acquire(d, &conn, err);
    if (rc)
        goto out;
    const char *params[] = {call_id, agent_id};
    rc = oi_pg_exec(conn,
                    "INSERT INTO dispatch.call_failures (call_id, agent_id) VALUES ($1, $2::uuid) "
                    "ON CONFLICT (call_id, agent_id) DO UPDATE SET created_at = now()",
                    2, params, NULL, err);
    if (rc)
        goto out;
    if (atomic_fetch_add(&failure_count, 1) % CLEANUP_EVERY == 0) {
        oi_error_t ignored;
        oi_error_init(&ignored);
        if (oi_pg_exec(conn, "DELETE FROM dispatch.call_failures WHERE created_at < now() - interval '1 hour'", 0,
                       NULL, NULL, &ignored))
            oi_log_warn(&(oi_log_ctx_t){.action = "expiring call failures"}, "%s", ignored.message);
    }
out:
    dsp_db_release(d, &conn);
    return rc;
}
