/* merge.c: the PATCH merge of a phone number (pure). */
#include "merge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oi/ids.h"
#include "oi/mem.h"

void prov_merge_cleanup(prov_merge_t *m)
{
    if (!m)
        return;
    OI_FREE(m->friendly_name);
    OI_FREE(m->agent_id);
    prov_routing_cleanup(&m->routing);
    m->n_check = 0;
}

static bool differs(const char *a, const char *b)
{
    if (!a || !b)
        return a != b;
    return strcmp(a, b) != 0;
}

static void want_check(prov_merge_t *m, const char *id, const char *old, const char *field)
{
    if (!id || !differs(id, old) || m->n_check >= PROV_MERGE_MAX_CHECKS)
        return;
    m->check_ids[m->n_check] = id;
    m->check_fields[m->n_check] = field;
    m->n_check++;
}

static oi_status_t opt_uuid(const Oneinbox__V1__OptString *o, const char *loc, oi_error_t *err)
{
    if (o && !oi_uuid_valid(o->value)) {
        oi_error_set(err, OI_INVALID, "%s must be a UUID", loc);
        oi_error_set_loc(err, loc);
        return OI_INVALID;
    }
    return OI_OK;
}

static void merge_routing(prov_merge_t *m, const prov_routing_t *cur, const Oneinbox__V1__InboundRoutingUpdate *u)
{
    prov_routing_t *r = &m->routing;
    if (cur && cur->present)
        prov_routing_copy(r, cur);
    r->present = true;
    if (u && u->agent_id) {
        OI_FREE(r->agent_id);
        r->agent_id = oi_xstrdup(u->agent_id->value);
    } else if (!r->agent_id) {
        r->agent_id = oi_xstrdup(m->agent_id);
    }
    if (u && u->set_fallback) {
        OI_FREE(r->fallback_agent_id);
        r->fallback_agent_id = u->fallback_agent_id ? oi_xstrdup(u->fallback_agent_id->value) : NULL;
    }
    if (u && u->set_voicemail_message) {
        OI_FREE(r->voicemail_message);
        r->voicemail_message = u->voicemail_message ? oi_xstrdup(u->voicemail_message->value) : NULL;
    }
    const bool set[OI_POLICY__MEMBERS] = {u && u->set_fallbacks, u && u->set_schedule, u && u->set_caller_rules};
    const Oneinbox__V1__OptString *value[OI_POLICY__MEMBERS] = {u ? u->fallbacks : NULL, u ? u->schedule : NULL,
                                                                u ? u->caller_rules : NULL};
    for (int k = 0; k < OI_POLICY__MEMBERS; k++) {
        if (!set[k])
            continue;
        OI_FREE(r->policy[k]);
        if (value[k] && value[k]->value[0]) /* not JSON: left unset, check_policy_agents refuses */
            r->policy[k] = prov_routing_member_canonical(value[k]->value);
    }
}

/* The members this patch sets, as one policy: their agents must exist. OI_INVALID when a member
 * is not a valid policy (the gateway checked it; another caller may not have). */
static oi_status_t check_policy_agents(prov_merge_t *m, const Oneinbox__V1__InboundRoutingUpdate *u, oi_error_t *err)
{
    if (!u || !(u->set_fallbacks || u->set_schedule || u->set_caller_rules))
        return OI_OK;
    /* the members as merge_routing made them canonical (borrowed); one it left unset though given
     * is not JSON */
    prov_routing_t given = {.present = true};
    const Oneinbox__V1__OptString *value[OI_POLICY__MEMBERS] = {u->set_fallbacks ? u->fallbacks : NULL,
                                                                u->set_schedule ? u->schedule : NULL,
                                                                u->set_caller_rules ? u->caller_rules : NULL};
    bool json = true;
    for (int k = 0; k < OI_POLICY__MEMBERS; k++) {
        if (value[k] && value[k]->value[0]) {
            given.policy[k] = m->routing.policy[k];
            json = json && given.policy[k];
        }
    }
    char *text = json ? prov_routing_policy_json(&given) : NULL;
    oi_policy_t *p = NULL;
    oi_status_t rc = json ? oi_policy_parse(text, &p, err) : oi_error_set(err, OI_INVALID, "a member is not JSON");
    free(text);
    if (rc) {
        char why[sizeof err->message];
        snprintf(why, sizeof why, "%s", err->message);
        oi_error_set(err, OI_INVALID, "inbound_routing: %s", why);
        oi_error_set_loc(err, "body.inbound_routing");
        return OI_INVALID;
    }
    const char *ids[OI_POLICY_AGENTS_MAX];
    size_t n = oi_policy_agents(p, ids, m->policy_fields, OI_POLICY_AGENTS_MAX);
    for (size_t i = 0; i < n; i++) {
        snprintf(m->policy_ids[i], sizeof m->policy_ids[i], "%s", ids[i]);
        want_check(m, m->policy_ids[i], NULL, m->policy_fields[i]);
    }
    oi_policy_free(&p);
    return OI_OK;
}

oi_status_t prov_merge_apply(const char *cur_agent_id, const prov_routing_t *cur_routing,
                             const Oneinbox__V1__UpdateNumberRequest *req, prov_merge_t *out, oi_error_t *err)
{
    memset(out, 0, sizeof *out);
    /* "inbound_routing": null arrives as set + clear; clear wins and the object is ignored */
    const Oneinbox__V1__InboundRoutingUpdate *u = req->clear_inbound_routing ? NULL : req->inbound_routing;
    oi_status_t rc = opt_uuid(req->agent_id, "body.agent_id", err);
    if (!rc && req->set_inbound_routing && u)
        rc = opt_uuid(u->agent_id, "body.inbound_routing.agent_id", err);
    if (!rc && req->set_inbound_routing && u && u->set_fallback)
        rc = opt_uuid(u->fallback_agent_id, "body.inbound_routing.fallback.agent_id", err);
    if (rc)
        return rc;

    if (req->set_friendly_name) {
        out->friendly_name_set = true;
        out->friendly_name = req->friendly_name ? oi_xstrdup(req->friendly_name->value) : NULL;
    }
    out->agent_id = oi_xstrdup(req->agent_id ? req->agent_id->value : cur_agent_id);
    want_check(out, out->agent_id, cur_agent_id, "agent_id");

    if (req->clear_inbound_routing) {
        out->routing.present = false;
    } else if (req->set_inbound_routing) {
        merge_routing(out, cur_routing, u);
        const prov_routing_t *cr = cur_routing && cur_routing->present ? cur_routing : NULL;
        want_check(out, out->routing.agent_id, cr ? cr->agent_id : NULL, "inbound_routing.agent_id");
        want_check(out, out->routing.fallback_agent_id, cr ? cr->fallback_agent_id : NULL,
                   "inbound_routing.fallback.agent_id");
        rc = check_policy_agents(out, u, err);
        if (rc)
            return rc;
    } else if (cur_routing) {
        prov_routing_copy(&out->routing, cur_routing);
    }
    prov_routing_t none = {0};
    out->routing_changed = !prov_routing_equal(&out->routing, cur_routing ? cur_routing : &none);
    return OI_OK;
}
