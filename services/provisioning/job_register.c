/* job_register.c: register a number the user brings (Path C). */
#define OI_LOG_TAG "prov.register"
#include <string.h>

#include "integrations.h"
#include "jobs.h"
#include "numbers_db.h"
#include "sipcfg.h"

#define REQ(j) ((const Oneinbox__V1__RegisterNumberRequest *)(j)->req)

static const char *opt(const Oneinbox__V1__OptString *o) { return o ? o->value : NULL; }

/* Resolves the trunk settings; integ must be cleaned by the caller on every path. */
static oi_status_t resolve(prov_jctx_t *j, prov_sip_fields_t *out, prov_integration_sip_t *integ, oi_error_t *err)
{
    const Oneinbox__V1__RegisterNumberRequest *r = REQ(j);
    memset(integ, 0, sizeof *integ);
    const char *cred = opt(r->credential_id);
    if (cred && cred[0]) {
        oi_status_t rc = prov_integration_sip_load(j->p, j->conn, j->job->workspace_id, cred, integ, err);
        if (rc) {
            if (rc == OI_INTEGRATION_NOT_FOUND)
                oi_error_set_loc(err, "body.credential_id");
            return rc;
        }
    }
    prov_sip_fields_t req = {0}, in = {integ->trunk_address, integ->auth_username, integ->auth_password}, env;
    if (r->provider_config) {
        req.trunk_address = opt(r->provider_config->trunk_address);
        req.auth_username = opt(r->provider_config->auth_username);
        req.auth_password = opt(r->provider_config->auth_password);
    }
    prov_sip_env(r->provider, &env);
    return prov_sip_resolve(&req, &in, &env, out, err);
}

static oi_status_t step_resolve(prov_jctx_t *j, oi_error_t *err)
{
    prov_sip_fields_t f;
    prov_integration_sip_t integ;
    oi_status_t rc = resolve(j, &f, &integ, err);
    prov_integration_sip_cleanup(&integ);
    return rc;
}

static oi_status_t step_agents(prov_jctx_t *j, oi_error_t *err)
{
    const Oneinbox__V1__RegisterNumberRequest *r = REQ(j);
    const Oneinbox__V1__InboundRouting *ir = r->inbound_routing;
    const char *ids[] = {r->agent_id, ir ? ir->agent_id : NULL, ir ? opt(ir->fallback_agent_id) : NULL};
    const char *fields[] = {"agent_id", "inbound_routing.agent_id", "inbound_routing.fallback.agent_id"};
    return prov_check_agents(j, ids, fields, 3, err);
}

static oi_status_t step_reserve(prov_jctx_t *j, oi_error_t *err)
{
    const Oneinbox__V1__RegisterNumberRequest *r = REQ(j);
    prov_routing_t routing;
    prov_routing_of_request(&routing, r->inbound_routing);
    prov_number_row_t row = {
        .id = prov_jctx_get(j, "number_id"),
        .workspace_id = j->job->workspace_id,
        .phone_number = r->phone_number,
        .friendly_name = opt(r->friendly_name),
        .provider = r->provider,
        .agent_id = r->agent_id,
        .origin = "registered",
        .inbound_trunk_id = routing.present ? prov_jctx_get(j, "inbound_trunk_id") : NULL,
        .outbound_trunk_id = prov_jctx_get(j, "outbound_trunk_id"),
        .dispatch_rule_id = routing.present ? prov_jctx_get(j, "dispatch_rule_id") : NULL,
        .routing = &routing,
        .job_id = j->job->id,
    };
    oi_status_t rc = prov_number_reserve(j->conn, &row, err);
    if (rc == OI_PHONE_NUMBER_EXISTS)
        oi_error_set_loc(err, "body.phone_number");
    prov_routing_cleanup(&routing);
    return rc;
}

static oi_status_t step_outbound(prov_jctx_t *j, oi_error_t *err)
{
    const Oneinbox__V1__RegisterNumberRequest *r = REQ(j);
    prov_sip_fields_t f;
    prov_integration_sip_t integ;
    oi_status_t rc = resolve(j, &f, &integ, err);
    if (!rc)
        rc = prov_dsp_put_outbound(j, prov_jctx_get(j, "outbound_trunk_id"), r->phone_number, r->provider,
                                   f.trunk_address, f.auth_username, f.auth_password, err);
    prov_integration_sip_cleanup(&integ);
    return rc;
}

static oi_status_t step_inbound(prov_jctx_t *j, oi_error_t *err)
{
    const Oneinbox__V1__RegisterNumberRequest *r = REQ(j);
    if (!r->inbound_routing)
        return OI_OK;
    return prov_dsp_put_inbound(j, prov_jctx_get(j, "inbound_trunk_id"), r->phone_number, r->provider, err);
}

static oi_status_t step_rule(prov_jctx_t *j, oi_error_t *err)
{
    const Oneinbox__V1__RegisterNumberRequest *r = REQ(j);
    if (!r->inbound_routing)
        return OI_OK;
    prov_routing_t routing;
    prov_routing_of_request(&routing, r->inbound_routing);
    oi_status_t rc = prov_dsp_put_rule(j, prov_jctx_get(j, "dispatch_rule_id"), prov_jctx_get(j, "number_id"),
                                       r->phone_number, prov_jctx_get(j, "inbound_trunk_id"), &routing, err);
    prov_routing_cleanup(&routing);
    return rc;
}

static oi_status_t step_activate(prov_jctx_t *j, oi_error_t *err)
{
    return prov_number_activate(j->conn, prov_jctx_get(j, "number_id"), -1, NULL, NULL, err);
}

static oi_status_t compensate(prov_jctx_t *j, oi_error_t *err)
{
    oi_status_t rc = prov_dsp_delete_all(j, err);
    oi_status_t rc2 = prov_number_unreserve(j->conn, prov_jctx_get(j, "number_id"), err);
    return rc ? rc : rc2;
}

static const prov_step_t steps[] = {
    {"resolve_trunk", step_resolve}, {"check_agents", step_agents},   {"reserve_number", step_reserve},
    {"outbound_trunk", step_outbound}, {"inbound_trunk", step_inbound}, {"dispatch_rule", step_rule},
    {"activate", step_activate},
};

const prov_job_ops_t prov_job_register_ops = {
    .request = &oneinbox__v1__register_number_request__descriptor,
    .steps = steps,
    .n_steps = sizeof steps / sizeof steps[0],
    .compensate = compensate,
};
