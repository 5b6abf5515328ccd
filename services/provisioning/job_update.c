/* job_update.c: PATCH a number's name, agent and inbound routing (merge rules in merge.h). */
#define OI_LOG_TAG "prov.update"
#include <string.h>

#include "jobs.h"
#include "merge.h"
#include "numbers_db.h"
#include "oi/pg.h"

#define REQ(j) ((const Oneinbox__V1__UpdateNumberRequest *)(j)->req)

typedef struct {
    PGresult *row;
    prov_routing_t current;
    prov_merge_t merge;
} view_t;

static void view_cleanup(view_t *v)
{
    PQclear(v->row);
    v->row = NULL;
    prov_routing_cleanup(&v->current);
    prov_merge_cleanup(&v->merge);
}

static oi_status_t view_load(prov_jctx_t *j, view_t *v, oi_error_t *err)
{
    memset(v, 0, sizeof *v);
    oi_status_t rc = prov_number_load(j->conn, j->job->workspace_id, prov_jctx_get(j, "number_id"), true, &v->row, err);
    if (!rc)
        rc = prov_routing_from_json_text(&v->current, oi_pg_get(v->row, 0, "inbound_routing"), err);
    if (!rc)
        rc = prov_merge_apply(oi_pg_get(v->row, 0, "agent_id"), &v->current, REQ(j), &v->merge, err);
    return rc;
}

static oi_status_t step_agents(prov_jctx_t *j, oi_error_t *err)
{
    view_t v;
    oi_status_t rc = view_load(j, &v, err);
    if (!rc)
        rc = prov_check_agents(j, v.merge.check_ids, v.merge.check_fields, v.merge.n_check, err);
    view_cleanup(&v);
    return rc;
}

static oi_status_t sync_dispatch(prov_jctx_t *j, const PGresult *row, const prov_routing_t *r, oi_error_t *err)
{
    const char *inbound = prov_jctx_get(j, "inbound_trunk_id");
    const char *rule = prov_jctx_get(j, "dispatch_rule_id");
    if (!r->present) {
        oi_status_t rc = prov_dsp_delete(j, "dispatch.DeleteDispatchRule", rule, err);
        if (!rc)
            rc = prov_dsp_delete(j, "dispatch.DeleteInboundTrunk", inbound, err);
        return rc;
    }
    const char *phone = oi_pg_get(row, 0, "phone_number");
    oi_status_t rc = prov_dsp_put_inbound(j, inbound, phone, oi_pg_get(row, 0, "provider"), err);
    if (!rc)
        rc = prov_dsp_put_rule(j, rule, prov_jctx_get(j, "number_id"), phone, inbound, r, err);
    return rc;
}

static oi_status_t step_dispatch(prov_jctx_t *j, oi_error_t *err)
{
    view_t v;
    oi_status_t rc = view_load(j, &v, err);
    if (!rc && (v.merge.routing_changed || v.merge.routing.present))
        rc = sync_dispatch(j, v.row, &v.merge.routing, err);
    view_cleanup(&v);
    return rc;
}

static oi_status_t step_save(prov_jctx_t *j, oi_error_t *err)
{
    view_t v;
    oi_status_t rc = view_load(j, &v, err);
    if (!rc)
        rc = prov_number_apply_patch(j->conn, prov_jctx_get(j, "number_id"), &v.merge,
                                     prov_jctx_get(j, "inbound_trunk_id"), prov_jctx_get(j, "dispatch_rule_id"), err);
    view_cleanup(&v);
    return rc;
}

/* Puts oi-dispatch back in line with the row (which the failed job did not change). */
static oi_status_t compensate(prov_jctx_t *j, oi_error_t *err)
{
    PGresult *row = NULL;
    prov_routing_t cur;
    memset(&cur, 0, sizeof cur);
    oi_status_t rc = prov_number_load(j->conn, j->job->workspace_id, prov_jctx_get(j, "number_id"), true, &row, err);
    if (rc == OI_NUMBER_NOT_FOUND)
        return OI_OK; /* deleted meanwhile: its delete job removed the routing */
    if (!rc)
        rc = prov_routing_from_json_text(&cur, oi_pg_get(row, 0, "inbound_routing"), err);
    if (!rc)
        rc = sync_dispatch(j, row, &cur, err);
    prov_routing_cleanup(&cur);
    PQclear(row);
    return rc;
}

static const prov_step_t steps[] = {
    {"check_agents", step_agents},
    {"dispatch_routing", step_dispatch},
    {"save_number", step_save},
};

const prov_job_ops_t prov_job_update_ops = {
    .request = &oneinbox__v1__update_number_request__descriptor,
    .steps = steps,
    .n_steps = sizeof steps / sizeof steps[0],
    .compensate = compensate,
};
