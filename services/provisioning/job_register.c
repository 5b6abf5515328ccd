/* job_register.c: register a number the user brings (Path C).
 *
 * The submission resolved the trunk settings, then wrote the job and the number's reservation in
 * one statement; the run makes the dispatch side (agents checked, outbound trunk, inbound trunk
 * and rule) in one call, then makes the number active and the job succeeded in one statement.
 * Nothing here waits on a carrier. */
#define OI_LOG_TAG "prov.register"
#include <stdlib.h>
#include <string.h>

#include "dsp_sync.h"
#include "job_activate.h"
#include "integrations.h"
#include "job_register.h"
#include "numbers_db.h"
#include "oi/mem.h"
#include "oi/pg.h"
#include "sipcfg.h"

#define REQ(r) ((const Oneinbox__V1__RegisterNumberRequest *)(r)->req)

static const char *opt(const Oneinbox__V1__OptString *o) { return o ? o->value : NULL; }

static void scratch_free(void *s)
{
    prov_integration_sip_t *integ = s;
    prov_integration_sip_cleanup(integ);
    free(integ);
}

void prov_register_keep_integration(prov_run_t *r, prov_integration_sip_t *integ)
{
    prov_integration_sip_t *kept = oi_xcalloc(1, sizeof *kept);
    *kept = *integ;
    memset(integ, 0, sizeof *integ);
    r->scratch = kept;
    r->scratch_free = scratch_free;
}

oi_status_t prov_register_resolve(const Oneinbox__V1__RegisterNumberRequest *q, const prov_integration_sip_t *integ,
                                  prov_sip_fields_t *out, bool *tenants, oi_error_t *err)
{
    prov_sip_fields_t req = {0}, in = {0}, env;
    if (integ)
        in = (prov_sip_fields_t){integ->trunk_address, integ->auth_username, integ->auth_password};
    if (q->provider_config) {
        req.trunk_address = opt(q->provider_config->trunk_address);
        req.auth_username = opt(q->provider_config->auth_username);
        req.auth_password = opt(q->provider_config->auth_password);
    }
    if (tenants)
        *tenants = prov_sip_tenants(&req, &in);
    prov_sip_env(prov_provider_name(q->provider), &env);
    return prov_sip_resolve(&req, &in, &env, out, err);
}

static void on_applied(prov_run_t *r, oi_status_t st, const oi_error_t *err, const ProtobufCMessage *reply)
{
    (void)reply;
    prov_run_step_done(r, st, err);
}

static void apply(prov_run_t *r)
{
    const Oneinbox__V1__RegisterNumberRequest *q = REQ(r);
    prov_sip_fields_t sip;
    oi_error_t e;
    oi_error_init(&e);
    oi_status_t rc = prov_register_resolve(q, r->scratch, &sip, NULL, &e);
    if (rc) {
        prov_run_step_done(r, rc, &e);
        return;
    }
    prov_routing_t routing;
    prov_routing_from_proto(&routing, q->inbound_routing);
    const Oneinbox__V1__InboundRouting *ir = q->inbound_routing;
    prov_dsp_number_t n = {
        .number_id = prov_run_get(r, "number_id"),
        .phone_number = q->phone_number,
        .provider = prov_provider_name(q->provider),
        .version = 1,
        .agent_ids = {q->agent_id, ir ? ir->agent_id : NULL, ir ? opt(ir->fallback_agent_id) : NULL},
        .agent_fields = {"body.agent_id", "body.inbound_routing.agent_id", "body.inbound_routing.fallback.agent_id"},
        .outbound_trunk_id = prov_run_get(r, "outbound_trunk_id"),
        .outbound = &sip,
        .inbound_trunk_id = prov_run_get(r, "inbound_trunk_id"),
        .dispatch_rule_id = prov_run_get(r, "dispatch_rule_id"),
        .routing = &routing,
        .check_policy_agents = true,
    };
    prov_dsp_apply(r, &n, on_applied);
    prov_routing_cleanup(&routing);
}

static void on_integration(prov_run_t *r, oi_status_t st, const oi_error_t *err, PGresult *const *res, size_t n)
{
    if (st) {
        prov_run_step_done(r, st, err);
        return;
    }
    prov_integration_sip_t integ;
    oi_error_t e;
    oi_error_init(&e);
    oi_status_t rc = prov_integration_sip_from_row(r->p, n ? res[0] : NULL, &integ, &e);
    if (rc) {
        oi_error_set_loc(&e, "body.credential_id");
        prov_run_step_done(r, rc, &e);
        return;
    }
    prov_register_keep_integration(r, &integ);
    apply(r);
}

/* A resumed job reads its integration again; a fresh one got it from the submission. */
static void step_dispatch(prov_run_t *r)
{
    const char *cred = opt(REQ(r)->credential_id);
    if (!cred || !cred[0] || r->scratch) {
        apply(r);
        return;
    }
    prov_integration_sip_load(r->p, r->job->workspace_id, cred, PROV_RUN_SQL(r, on_integration));
}

static void finish(prov_run_t *r)
{
    prov_number_activation_t a = {.number_id = prov_run_get(r, "number_id"), .job_id = r->job->id, .step = "activate"};
    prov_job_activate(r, &a);
}

static void on_unreserved(prov_run_t *r, oi_status_t st, const oi_error_t *err, PGresult *const *res, size_t n)
{
    (void)res;
    (void)n;
    prov_run_step_done(r, st, err);
}

static void on_removed(prov_run_t *r, oi_status_t st, const oi_error_t *err, const ProtobufCMessage *reply)
{
    (void)reply;
    if (st) {
        prov_run_step_done(r, st, err);
        return;
    }
    prov_number_unreserve(r->p, prov_run_get(r, "number_id"), PROV_RUN_SQL(r, on_unreserved));
}

/* Removes what the dispatch step made (a version above the one it used), then the reservation. */
static void compensate(prov_run_t *r) { prov_dsp_remove(r, 2, on_removed); }

static const prov_step_t steps[] = {
    {"dispatch_routing", step_dispatch, false},
};

const prov_job_ops_t prov_job_register_ops = {
    .request = &oneinbox__v1__register_number_request__descriptor,
    .steps = steps,
    .n_steps = sizeof steps / sizeof steps[0],
    .finish = finish,
    .compensate = compensate,
};
