/* route_db.c: the database side of Resolve and ReportFailure (prepared statements on the
 * loop's pipeline). */
#define OI_LOG_TAG "dsp.route_db"
#include "route_db.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "oi/ids.h"
#include "oi/log.h"
#include "oi/mem.h"
#include "oi/metrics.h"
#include "oi/pg.h"

#define CLEANUP_EVERY 256

static const oi_pg_stmt_t ROUTE_LOAD = {
    "dsp_route_load",
    "SELECT r.id, r.workspace_id, r.number_id, r.inbound_trunk_id, r.agent_id, r.fallback_agent_id, "
    "r.voicemail_message, "
    "p.id IS NOT NULL AS p_present, p.deleted_at IS NOT NULL AS p_deleted, p.status = 'active' AS p_active, "
    "p.voicemail_message AS p_vm, "
    "f.id IS NOT NULL AS f_present, f.deleted_at IS NOT NULL AS f_deleted, f.status = 'active' AS f_active, "
    "f.voicemail_message AS f_vm, t.provider, v.version, r.policy::text AS policy, "
    "CASE WHEN cardinality(r.policy_agents) > 0 THEN (SELECT json_agg(json_build_array(a.id, "
    "a.deleted_at IS NOT NULL, a.status = 'active', a.voicemail_message)) FROM dispatch.agents a "
    "WHERE a.id = ANY (r.policy_agents) AND a.workspace_id = r.workspace_id) END AS policy_agents "
    "FROM dispatch.dispatch_rules r "
    "LEFT JOIN dispatch.inbound_trunks t ON t.id = r.inbound_trunk_id "
    "LEFT JOIN dispatch.agents p ON p.id = r.agent_id AND p.workspace_id = r.workspace_id "
    "LEFT JOIN dispatch.agents f ON f.id = r.fallback_agent_id AND f.workspace_id = r.workspace_id "
    "LEFT JOIN dispatch.number_versions v ON v.number_id = r.number_id "
    "WHERE r.phone_number = $1",
    1};

static const oi_pg_stmt_t FAILURES_LOAD = {
    "dsp_failures_load",
    "SELECT string_agg(agent_id::text, ',') AS agents FROM dispatch.call_failures "
    "WHERE call_id = $1 AND created_at > now() - interval '1 hour'",
    1};

static const oi_pg_stmt_t FAILURE_STORE = {
    "dsp_failure_store",
    "INSERT INTO dispatch.call_failures (call_id, agent_id) VALUES ($1, $2::uuid) "
    "ON CONFLICT (call_id, agent_id) DO UPDATE SET created_at = now()",
    2};

static const oi_pg_stmt_t FAILURES_EXPIRE = {
    "dsp_failures_expire", "DELETE FROM dispatch.call_failures WHERE created_at < now() - interval '1 hour'", 0};

static const oi_pg_stmt_t FAILURES_RECENT = {
    "dsp_failures_recent",
    "SELECT call_id, string_agg(agent_id::text || ',', '') AS agents FROM dispatch.call_failures "
    "WHERE created_at > now() - interval '1 hour' GROUP BY call_id LIMIT 20000",
    0};

void dsp_route_load(oi_pg_pipeline_t *pg, const char *to, oi_pg_done_cb cb, void *ud)
{
    oi_metric_inc("oi_dispatch_resolve_db_queries_total", "", 1);
    const char *params[] = {to};
    oi_pg_pipeline_exec(pg, &ROUTE_LOAD, params, cb, ud);
}

static void agent_from_row(const PGresult *res, const char *prefix, oi_agent_state_t *a)
{
    char col[16];
    snprintf(col, sizeof col, "%s_present", prefix);
    a->present = oi_pg_bool(res, 0, col);
    snprintf(col, sizeof col, "%s_deleted", prefix);
    a->deleted = oi_pg_bool(res, 0, col);
    snprintf(col, sizeof col, "%s_active", prefix);
    a->active = oi_pg_bool(res, 0, col);
    snprintf(col, sizeof col, "%s_vm", prefix);
    a->voicemail = oi_pg_dup(res, 0, col);
}

/* [[id, deleted, active, voicemail|null], …] into out's policy agents. */
static oi_status_t policy_agents_from_json(const char *text, oi_route_t *out, oi_error_t *err)
{
    json_t *list = text ? json_loads(text, 0, NULL) : NULL;
    if (text && !json_is_array(list)) {
        json_decref(list);
        return oi_error_set(err, OI_INTERNAL, "policy agents: unexpected JSON from the database");
    }
    size_t n = json_array_size(list);
    out->policy_agents = n ? oi_xcalloc(n, sizeof *out->policy_agents) : NULL;
    for (size_t i = 0; i < n; i++) {
        json_t *row = json_array_get(list, i);
        oi_policy_agent_t *a = &out->policy_agents[out->n_policy_agents];
        if (!oi_uuid_normalize(json_string_value(json_array_get(row, 0)), a->id))
            continue;
        a->state.present = true;
        a->state.deleted = json_is_true(json_array_get(row, 1));
        a->state.active = json_is_true(json_array_get(row, 2));
        const char *vm = json_string_value(json_array_get(row, 3));
        a->state.voicemail = vm ? oi_xstrdup(vm) : NULL;
        out->n_policy_agents++;
    }
    json_decref(list);
    return OI_OK;
}

oi_status_t dsp_route_from_result(const PGresult *res, const char *to, oi_route_t *out, oi_error_t *err)
{
    if (PQntuples(res) != 1)
        return oi_error_set(err, OI_NO_ROUTE, "no inbound route for %s", to);
    out->rule_id = dsp_db_str(res, 0, "id");
    out->workspace_id = dsp_db_str(res, 0, "workspace_id");
    out->number_id = dsp_db_str(res, 0, "number_id");
    out->inbound_trunk_id = dsp_db_str(res, 0, "inbound_trunk_id");
    out->provider = dsp_db_str(res, 0, "provider");
    out->agent_id = dsp_db_str(res, 0, "agent_id");
    out->fallback_agent_id = oi_pg_dup(res, 0, "fallback_agent_id");
    out->voicemail = oi_pg_dup(res, 0, "voicemail_message");
    agent_from_row(res, "p", &out->primary);
    agent_from_row(res, "f", &out->fallback);
    const char *version = oi_pg_get(res, 0, "version");
    out->version = version ? strtoll(version, NULL, 10) : 0;
    out->policy_json = oi_pg_dup(res, 0, "policy");
    return policy_agents_from_json(oi_pg_get(res, 0, "policy_agents"), out, err);
}

void dsp_failures_load(oi_pg_pipeline_t *pg, const char *call_id, oi_pg_done_cb cb, void *ud)
{
    const char *params[] = {call_id};
    oi_pg_pipeline_exec(pg, &FAILURES_LOAD, params, cb, ud);
}

size_t dsp_failures_from_result(const PGresult *res, char (*ids)[OI_ROUTE_ID_MAX], size_t max)
{
    const char *agents = PQntuples(res) == 1 ? oi_pg_get(res, 0, "agents") : NULL;
    return agents ? oi_route_failures_parse(agents, strlen(agents), ids, max) : 0;
}

static void on_expired(oi_status_t st, const oi_error_t *err, PGresult *const *res, size_t n, void *ud)
{
    (void)res;
    (void)n;
    (void)ud;
    if (st && st != OI_UNAVAILABLE) /* OI_UNAVAILABLE: shutting down; the next replica expires them */
        oi_log_warn(&(oi_log_ctx_t){.action = "expiring call failures"}, "%s", err->message);
}

void dsp_failure_store(oi_pg_pipeline_t *pg, const char *call_id, const char *agent_id, oi_pg_done_cb cb,
                       void *ud)
{
    static unsigned stored; /* loop thread only */
    const char *params[] = {call_id, agent_id};
    oi_pg_pipeline_exec(pg, &FAILURE_STORE, params, cb, ud);
    if (stored++ % CLEANUP_EVERY == 0)
        oi_pg_pipeline_exec(pg, &FAILURES_EXPIRE, NULL, on_expired, NULL);
}

void dsp_failures_recent(oi_pg_pipeline_t *pg, oi_pg_done_cb cb, void *ud)
{
    oi_pg_pipeline_exec(pg, &FAILURES_RECENT, NULL, cb, ud);
}
