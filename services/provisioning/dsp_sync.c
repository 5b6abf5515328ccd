/* dsp_sync.c: building dispatch.ApplyNumber from a number's desired state. */
#define OI_LOG_TAG "prov.dispatch"
#include "dsp_sync.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oi/routing_policy.h"

#include "oneinbox/v1/dispatch.pb-c.h"

#define S(x) ((char *)(uintptr_t)((x) ? (x) : ""))

#define CHECKS_MAX (PROV_DSP_AGENTS_MAX + OI_POLICY_AGENTS_MAX)

typedef struct {
    Oneinbox__V1__AgentCheck checks[CHECKS_MAX];
    Oneinbox__V1__AgentCheck *ptrs[CHECKS_MAX];
    char fields[OI_POLICY_AGENTS_MAX][64];
    char body_fields[OI_POLICY_AGENTS_MAX][72];
    oi_policy_t *policy;        /* owned: the ids point into it */
} checks_t;

static void check_add(checks_t *c, Oneinbox__V1__ApplyNumberRequest *q, const char *id, const char *field)
{
    if (!id || !id[0] || q->n_agents >= CHECKS_MAX)
        return;
    oneinbox__v1__agent_check__init(&c->checks[q->n_agents]);
    c->checks[q->n_agents].id = S(id);
    c->checks[q->n_agents].field = S(field);
    c->ptrs[q->n_agents] = &c->checks[q->n_agents];
    q->n_agents++;
}

/* The policy's agents ("body.inbound_routing.fallbacks[0].agent_id", …); a policy that does not
 * parse adds none (oi-dispatch refuses it itself). */
static void policy_checks(checks_t *c, Oneinbox__V1__ApplyNumberRequest *q, const char *policy_json)
{
    oi_error_t e;
    oi_error_init(&e);
    if (!policy_json || oi_policy_parse(policy_json, &c->policy, &e))
        return;
    const char *ids[OI_POLICY_AGENTS_MAX];
    size_t n = oi_policy_agents(c->policy, ids, c->fields, OI_POLICY_AGENTS_MAX);
    for (size_t i = 0; i < n; i++) {
        snprintf(c->body_fields[i], sizeof c->body_fields[i], "body.%s", c->fields[i]);
        check_add(c, q, ids[i], c->body_fields[i]);
    }
}

void prov_dsp_apply(prov_run_t *r, const prov_dsp_number_t *n, prov_run_reply_fn cb)
{
    Oneinbox__V1__ApplyNumberRequest q = ONEINBOX__V1__APPLY_NUMBER_REQUEST__INIT;
    q.number_id = S(n->number_id);
    q.phone_number = S(n->phone_number);
    q.provider = prov_provider_parse(n->provider);
    q.version = n->version;
    checks_t c = {0};
    for (int i = 0; i < PROV_DSP_AGENTS_MAX; i++)
        check_add(&c, &q, n->agent_ids[i], n->agent_fields[i]);
    char *policy = n->routing && n->routing->present ? prov_routing_policy_json(n->routing) : NULL;
    if (n->check_policy_agents)
        policy_checks(&c, &q, policy);
    q.agents = c.ptrs;
    q.outbound_trunk_id = S(n->outbound_trunk_id);
    Oneinbox__V1__OutboundTrunk out = ONEINBOX__V1__OUTBOUND_TRUNK__INIT;
    if (n->outbound) {
        out.id = S(n->outbound_trunk_id);
        out.phone_number = S(n->phone_number);
        out.provider = prov_provider_parse(n->provider);
        out.trunk_address = S(n->outbound->trunk_address);
        out.auth_username = S(n->outbound->auth_username);
        out.auth_password = S(n->outbound->auth_password);
        q.outbound_trunk = &out;
    }
    q.delete_outbound_trunk = !n->outbound && n->delete_outbound;
    q.rotate_outbound_trunk = n->outbound && n->rotate_outbound;
    q.inbound_trunk_id = S(n->inbound_trunk_id);
    q.dispatch_rule_id = S(n->dispatch_rule_id);
    Oneinbox__V1__NumberRouting routing = ONEINBOX__V1__NUMBER_ROUTING__INIT;
    Oneinbox__V1__OptString fb = ONEINBOX__V1__OPT_STRING__INIT, vm = ONEINBOX__V1__OPT_STRING__INIT;
    if (n->routing && n->routing->present) {
        routing.agent_id = S(n->routing->agent_id);
        if (n->routing->fallback_agent_id) {
            fb.value = S(n->routing->fallback_agent_id);
            routing.fallback_agent_id = &fb;
        }
        if (n->routing->voicemail_message) {
            vm.value = S(n->routing->voicemail_message);
            routing.voicemail_message = &vm;
        }
        routing.policy_json = S(policy);
        q.routing = &routing;
    }
    prov_run_call(r, PROV_PEER_DISPATCH, "ApplyNumber", &q.base, cb);
    free(policy);
    oi_policy_free(&c.policy);
}

/* The run's number without inbound routing; its outbound trunk deleted too, or kept. */
static void remove_routing(prov_run_t *r, long long version, bool delete_outbound, prov_run_reply_fn cb)
{
    prov_dsp_number_t n = {
        .number_id = prov_run_get(r, "number_id"),
        .phone_number = prov_run_get(r, "phone_number"),
        .provider = prov_run_get(r, "provider"),
        .version = version,
        .outbound_trunk_id = prov_run_get(r, "outbound_trunk_id"),
        .delete_outbound = delete_outbound,
        .inbound_trunk_id = prov_run_get(r, "inbound_trunk_id"),
        .dispatch_rule_id = prov_run_get(r, "dispatch_rule_id"),
    };
    prov_dsp_apply(r, &n, cb);
}

void prov_dsp_remove(prov_run_t *r, long long version, prov_run_reply_fn cb) { remove_routing(r, version, true, cb); }

void prov_dsp_remove_inbound(prov_run_t *r, long long version, prov_run_reply_fn cb)
{
    remove_routing(r, version, false, cb);
}

void prov_dsp_suspend_outbound(prov_run_t *r, bool suspended, long long version, prov_run_reply_fn cb)
{
    Oneinbox__V1__SuspendOutboundRequest q = ONEINBOX__V1__SUSPEND_OUTBOUND_REQUEST__INIT;
    q.outbound_trunk_id = (char *)(uintptr_t)prov_run_get(r, "outbound_trunk_id");
    q.suspended = suspended;
    q.version = version;
    prov_run_call(r, PROV_PEER_DISPATCH, "SuspendOutbound", &q.base, cb);
}
