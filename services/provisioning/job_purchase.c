/* job_purchase.c: buy a number from the platform's carrier (Paths A and B).
 *
 * The number row is reserved BEFORE buying: the unique live-number index then guarantees that two
 * jobs never buy (or adopt) the same number, and a job that finds the number already on our account
 * (Lookup, after a crash or timeout) knows it is its own purchase. A search-picked number that the
 * carrier refuses (taken meanwhile) is released from the reservation and the next match tried. */
#define OI_LOG_TAG "prov.purchase"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobs.h"
#include "numbers_db.h"
#include "oi/log.h"
#include "oneinbox/v1/carrier.pb-c.h"
#include "oneinbox/v1/envelope.pb-c.h"
#include "remote.h"
#include "sipcfg.h"

#define REQ(j) ((const Oneinbox__V1__PurchaseNumberRequest *)(j)->req)
#define S(x) ((char *)(uintptr_t)((x) ? (x) : ""))
#define SEARCH_LIMIT 20
#define MAX_PICKS 5

static const char *opt(const Oneinbox__V1__OptString *o) { return o && o->value[0] ? o->value : NULL; }

static oi_status_t car_call(prov_jctx_t *j, const char *method, const ProtobufCMessage *req,
                            const ProtobufCMessageDescriptor *reply_desc, ProtobufCMessage **reply, oi_error_t *err)
{
    return prov_remote_call(j->p, PROV_PEER_CARRIER, method, j->job->id, j->job->workspace_id, req, reply_desc,
                            reply, err);
}

static oi_status_t step_agents(prov_jctx_t *j, oi_error_t *err)
{
    const Oneinbox__V1__PurchaseNumberRequest *r = REQ(j);
    const Oneinbox__V1__InboundRouting *ir = r->inbound_routing;
    const char *ids[] = {r->agent_id, ir ? ir->agent_id : NULL, ir ? opt(ir->fallback_agent_id) : NULL};
    const char *fields[] = {"agent_id", "inbound_routing.agent_id", "inbound_routing.fallback.agent_id"};
    return prov_check_agents(j, ids, fields, 3, err);
}

static oi_status_t reserve(prov_jctx_t *j, const char *phone, oi_error_t *err)
{
    const Oneinbox__V1__PurchaseNumberRequest *r = REQ(j);
    prov_routing_t routing;
    prov_routing_of_request(&routing, r->inbound_routing);
    prov_number_row_t row = {
        .id = prov_jctx_get(j, "number_id"),
        .workspace_id = j->job->workspace_id,
        .phone_number = phone,
        .friendly_name = opt(r->friendly_name),
        .provider = prov_jctx_get(j, "provider"),
        .agent_id = r->agent_id,
        .origin = "purchased",
        .inbound_trunk_id = routing.present ? prov_jctx_get(j, "inbound_trunk_id") : NULL,
        .outbound_trunk_id = prov_jctx_get(j, "outbound_trunk_id"),
        .dispatch_rule_id = routing.present ? prov_jctx_get(j, "dispatch_rule_id") : NULL,
        .routing = &routing,
        .job_id = j->job->id,
    };
    oi_status_t rc = prov_number_reserve(j->conn, &row, err);
    prov_routing_cleanup(&routing);
    if (!rc)
        prov_jctx_set(j, "phone_number", phone);
    return rc;
}

/* A reservation made by an attempt that died before recording it. */
static void adopt_reservation(prov_jctx_t *j)
{
    PGresult *res = NULL;
    if (prov_number_load(j->conn, j->job->workspace_id, prov_jctx_get(j, "number_id"), false, &res, NULL))
        return;
    if (!oi_pg_get(res, 0, "deleted_at"))
        prov_jctx_set(j, "phone_number", oi_pg_get(res, 0, "phone_number"));
    PQclear(res);
}

static bool excluded(prov_jctx_t *j, const char *phone)
{
    json_t *ex = json_object_get(j->job->payload, "excluded");
    size_t i;
    json_t *v;
    json_array_foreach(ex, i, v)
    {
        if (json_string_value(v) && strcmp(json_string_value(v), phone) == 0)
            return true;
    }
    return false;
}

/* carrier.Search in the request's country on the job's carrier; *m is the reply. */
static oi_status_t search(prov_jctx_t *j, Oneinbox__V1__OptString *area_code, Oneinbox__V1__OptString *contains,
                          ProtobufCMessage **m, oi_error_t *err)
{
    Oneinbox__V1__CarrierSearchRequest q = ONEINBOX__V1__CARRIER_SEARCH_REQUEST__INIT;
    q.provider = S(prov_jctx_get(j, "provider"));
    q.country = S(REQ(j)->country);
    q.area_code = area_code;
    q.contains = contains;
    q.limit = SEARCH_LIMIT;
    return car_call(j, "carrier.Search", &q.base, &oneinbox__v1__carrier_search_reply__descriptor, m, err);
}

static oi_status_t pick_from_search(prov_jctx_t *j, oi_error_t *err)
{
    ProtobufCMessage *m = NULL;
    oi_status_t rc = search(j, REQ(j)->area_code, REQ(j)->contains, &m, err);
    if (rc)
        return rc;
    const Oneinbox__V1__CarrierSearchReply *rep = (const Oneinbox__V1__CarrierSearchReply *)m;
    rc = OI_NO_NUMBERS_FOUND;
    for (size_t i = 0; i < rep->n_numbers && rc; i++) {
        const char *phone = rep->numbers[i]->phone_number;
        if (!phone[0] || excluded(j, phone))
            continue;
        oi_error_t e;
        oi_error_init(&e);
        rc = reserve(j, phone, &e);
        if (!rc) /* the search lists capabilities some carriers' number records lack */
            prov_jctx_set(j, "search_sms", rep->numbers[i]->sms ? "true" : "false");
        if (rc && rc != OI_PHONE_NUMBER_EXISTS) {
            oi_error_set_code(err, e.status, e.code, e.message);
            break;
        }
    }
    protobuf_c_message_free_unpacked(m, NULL);
    if (rc == OI_NO_NUMBERS_FOUND || rc == OI_PHONE_NUMBER_EXISTS)
        rc = oi_error_set(err, OI_NO_NUMBERS_FOUND, "no available number matches the search");
    return rc;
}

static void take_number(prov_jctx_t *j, const Oneinbox__V1__CarrierNumber *n)
{
    j->job->charged = true;
    prov_jctx_set(j, "carrier_number_id", n->carrier_number_id[0] ? n->carrier_number_id : NULL);
    const char *listed = prov_jctx_get(j, "search_sms");
    bool sms = n->capabilities_unknown && listed ? strcmp(listed, "true") == 0 : n->sms;
    prov_jctx_set(j, "sms", sms ? "true" : "false");
    bool pending = strcmp(n->state, "pending") == 0;
    if (pending && n->order_id[0])
        prov_jctx_set(j, "order_id", n->order_id);
    prov_jctx_set(j, "pending", pending ? "true" : NULL);
}

/* Looks the number up (a resumed job must not buy twice), else buys it. OI_ACCEPTED: pending. */
static oi_status_t buy(prov_jctx_t *j, const char *phone, oi_error_t *err)
{
    if (prov_jctx_get(j, "carrier_number_id") && !prov_jctx_get(j, "pending"))
        return OI_OK;
    const char *provider = prov_jctx_get(j, "provider");
    Oneinbox__V1__CarrierLookupRequest lq = ONEINBOX__V1__CARRIER_LOOKUP_REQUEST__INIT;
    lq.provider = S(provider);
    lq.phone_number = S(phone);
    lq.order_id = S(prov_jctx_get(j, "order_id"));
    ProtobufCMessage *m = NULL;
    oi_status_t rc = car_call(j, "carrier.Lookup", &lq.base, &oneinbox__v1__carrier_lookup_reply__descriptor, &m, err);
    if (rc)
        return rc;
    const Oneinbox__V1__CarrierLookupReply *lr = (const Oneinbox__V1__CarrierLookupReply *)m;
    bool found = lr->found && lr->number;
    if (found)
        take_number(j, lr->number);
    protobuf_c_message_free_unpacked(m, NULL);
    if (!found) {
        prov_jctx_set(j, "order_id", NULL);
        prov_jctx_set(j, "pending", NULL);
        Oneinbox__V1__CarrierPurchaseRequest pq = ONEINBOX__V1__CARRIER_PURCHASE_REQUEST__INIT;
        pq.provider = S(provider);
        pq.phone_number = S(phone);
        pq.friendly_name = S(opt(REQ(j)->friendly_name));
        pq.reference = j->job->id;
        rc = car_call(j, "carrier.Purchase", &pq.base, &oneinbox__v1__carrier_number__descriptor, &m, err);
        if (rc)
            return rc;
        take_number(j, (const Oneinbox__V1__CarrierNumber *)m);
        protobuf_c_message_free_unpacked(m, NULL);
        oi_log_info(&(oi_log_ctx_t){.request_id = j->job->id, .action = "buying a number"}, "bought %s on %s", phone,
                    provider);
    }
    rc = prov_jctx_save(j, "number_bought", err); /* the charge is durable before anything else */
    if (rc)
        return rc;
    return prov_jctx_get(j, "pending") ? oi_error_set(err, OI_ACCEPTED, "carrier order pending") : OI_OK;
}

static void exclude(prov_jctx_t *j, const char *phone)
{
    json_t *ex = json_object_get(j->job->payload, "excluded");
    if (!json_is_array(ex)) {
        ex = json_array();
        json_object_set_new(j->job->payload, "excluded", ex);
    }
    json_array_append_new(ex, json_string(phone));
}

/* A named number's capabilities from the carrier's listing of it, before it is bought and leaves
 * the listing: some carriers' number records carry none (Telnyx). Best effort: a failed or
 * empty search only leaves them to what the purchase answers. */
static void probe_listing(prov_jctx_t *j, const char *phone)
{
    size_t len = strlen(phone);
    if (prov_jctx_get(j, "search_sms") || len < 8)
        return;
    Oneinbox__V1__OptString contains = ONEINBOX__V1__OPT_STRING__INIT;
    contains.value = (char *)phone + len - 7; /* the subscriber digits: every carrier matches them */
    ProtobufCMessage *m = NULL;
    oi_error_t e;
    oi_error_init(&e);
    if (search(j, NULL, &contains, &m, &e))
        return;
    const Oneinbox__V1__CarrierSearchReply *rep = (const Oneinbox__V1__CarrierSearchReply *)m;
    for (size_t i = 0; i < rep->n_numbers; i++)
        if (strcmp(rep->numbers[i]->phone_number, phone) == 0)
            prov_jctx_set(j, "search_sms", rep->numbers[i]->sms ? "true" : "false");
    protobuf_c_message_free_unpacked(m, NULL);
}

static oi_status_t step_acquire(prov_jctx_t *j, oi_error_t *err)
{
    const char *wanted = opt(REQ(j)->phone_number);
    if (!prov_jctx_get(j, "phone_number"))
        adopt_reservation(j);
    for (int tries = 0; tries < MAX_PICKS; tries++) {
        oi_status_t rc = OI_OK;
        if (!prov_jctx_get(j, "phone_number")) {
            rc = wanted ? reserve(j, wanted, err) : pick_from_search(j, err);
            if (!rc && wanted)
                probe_listing(j, wanted);
        }
        if (!rc)
            rc = prov_jctx_save(j, "number_reserved", err);
        if (rc)
            return rc;
        char phone[40];
        snprintf(phone, sizeof phone, "%s", prov_jctx_get(j, "phone_number"));
        oi_error_t e;
        oi_error_init(&e);
        rc = buy(j, phone, &e);
        if (rc != OI_NUMBER_NOT_AVAILABLE || wanted) {
            if (rc)
                oi_error_set_code(err, e.status, e.code, e.message);
            return rc;
        }
        /* taken between search and purchase: free the reservation and try the next match */
        rc = prov_number_unreserve(j->conn, prov_jctx_get(j, "number_id"), err);
        if (rc)
            return rc;
        exclude(j, phone);
        prov_jctx_set(j, "phone_number", NULL);
    }
    return oi_error_set(err, OI_NUMBER_NOT_AVAILABLE, "the matching numbers were taken meanwhile");
}

/* carrier.EnsureTrunk; the trunk id it answers (none: removed) goes into the payload. */
static oi_status_t ensure_trunk(prov_jctx_t *j, const Oneinbox__V1__CarrierTrunkRequest *q, oi_error_t *err)
{
    ProtobufCMessage *m = NULL;
    oi_status_t rc = car_call(j, "carrier.EnsureTrunk", &q->base, &oneinbox__v1__carrier_trunk__descriptor, &m, err);
    if (rc)
        return rc;
    const Oneinbox__V1__CarrierTrunk *t = (const Oneinbox__V1__CarrierTrunk *)m;
    prov_jctx_set(j, "carrier_trunk_id", t->trunk_id[0] ? t->trunk_id : NULL);
    protobuf_c_message_free_unpacked(m, NULL);
    return OI_OK;
}

static oi_status_t step_carrier_trunk(prov_jctx_t *j, oi_error_t *err)
{
    if (prov_jctx_get(j, "carrier_trunk_id"))
        return OI_OK;
    char name[64];
    snprintf(name, sizeof name, "oi-%s", prov_jctx_get(j, "number_id"));
    Oneinbox__V1__CarrierTrunkRequest q = ONEINBOX__V1__CARRIER_TRUNK_REQUEST__INIT;
    q.provider = S(prov_jctx_get(j, "provider"));
    q.name = name;
    q.carrier_number_id = S(prov_jctx_get(j, "carrier_number_id"));
    /* the intent is durable before the first call: only a call made after it may find a trunk
     * already there (a crash or timeout after the carrier created it), and only that one looks */
    q.first_attempt = !prov_jctx_get(j, "carrier_trunk_intent");
    oi_status_t rc = OI_OK;
    if (q.first_attempt) {
        prov_jctx_set(j, "carrier_trunk_intent", name);
        rc = prov_jctx_save(j, "carrier_trunk_intent", err);
        if (rc)
            return rc;
    }
    return ensure_trunk(j, &q, err);
}

static oi_status_t step_outbound(prov_jctx_t *j, oi_error_t *err)
{
    const char *provider = prov_jctx_get(j, "provider");
    prov_sip_fields_t env;
    prov_sip_env(provider, &env);
    char domain[128];
    if (strcmp(S(provider), "telnyx") == 0)
        snprintf(domain, sizeof domain, "sip.telnyx.com");
    else
        snprintf(domain, sizeof domain, "oi-%s.pstn.twilio.com", prov_jctx_get(j, "number_id"));
    const char *address = env.trunk_address && env.trunk_address[0] ? env.trunk_address : domain;
    return prov_dsp_put_outbound(j, prov_jctx_get(j, "outbound_trunk_id"), prov_jctx_get(j, "phone_number"),
                                 provider, address, env.auth_username, env.auth_password, err);
}

static oi_status_t step_inbound(prov_jctx_t *j, oi_error_t *err)
{
    if (!REQ(j)->inbound_routing)
        return OI_OK;
    return prov_dsp_put_inbound(j, prov_jctx_get(j, "inbound_trunk_id"), prov_jctx_get(j, "phone_number"),
                                prov_jctx_get(j, "provider"), err);
}

static oi_status_t step_rule(prov_jctx_t *j, oi_error_t *err)
{
    if (!REQ(j)->inbound_routing)
        return OI_OK;
    prov_routing_t routing;
    prov_routing_of_request(&routing, REQ(j)->inbound_routing);
    oi_status_t rc = prov_dsp_put_rule(j, prov_jctx_get(j, "dispatch_rule_id"), prov_jctx_get(j, "number_id"),
                                       prov_jctx_get(j, "phone_number"), prov_jctx_get(j, "inbound_trunk_id"),
                                       &routing, err);
    prov_routing_cleanup(&routing);
    return rc;
}

static oi_status_t step_activate(prov_jctx_t *j, oi_error_t *err)
{
    const char *sms = prov_jctx_get(j, "sms");
    return prov_number_activate(j->conn, prov_jctx_get(j, "number_id"), sms ? strcmp(sms, "true") == 0 : -1,
                                prov_jctx_get(j, "carrier_number_id"), prov_jctx_get(j, "carrier_trunk_id"), err);
}

/* A trunk whose creation was cut off before its id was saved (a crash in the carrier_trunk
 * step): find it by name, so the compensation deletes it too. */
static oi_status_t find_unsaved_trunk(prov_jctx_t *j, oi_error_t *err)
{
    const char *name = prov_jctx_get(j, "carrier_trunk_intent");
    if (!name || prov_jctx_get(j, "carrier_trunk_id"))
        return OI_OK;
    Oneinbox__V1__CarrierTrunkRequest q = ONEINBOX__V1__CARRIER_TRUNK_REQUEST__INIT;
    q.provider = S(prov_jctx_get(j, "provider"));
    q.name = (char *)name;
    q.lookup_only = true;
    return ensure_trunk(j, &q, err);
}

static oi_status_t compensate(prov_jctx_t *j, oi_error_t *err)
{
    const char *provider = prov_jctx_get(j, "provider");
    oi_status_t rc = OI_OK;
    if (prov_jctx_get(j, "carrier_number_id") || prov_jctx_get(j, "order_id")) {
        Oneinbox__V1__CarrierReleaseRequest q = ONEINBOX__V1__CARRIER_RELEASE_REQUEST__INIT;
        q.provider = S(provider);
        q.carrier_number_id = S(prov_jctx_get(j, "carrier_number_id"));
        q.phone_number = S(prov_jctx_get(j, "phone_number"));
        rc = prov_remote_call0(j->p, PROV_PEER_CARRIER, "carrier.Release", j->job->id, j->job->workspace_id, &q.base,
                               err);
    }
    if (!rc)
        rc = find_unsaved_trunk(j, err);
    if (!rc && prov_jctx_get(j, "carrier_trunk_id")) {
        Oneinbox__V1__CarrierTrunkDeleteRequest q = ONEINBOX__V1__CARRIER_TRUNK_DELETE_REQUEST__INIT;
        q.provider = S(provider);
        q.trunk_id = S(prov_jctx_get(j, "carrier_trunk_id"));
        rc = prov_remote_call0(j->p, PROV_PEER_CARRIER, "carrier.DeleteTrunk", j->job->id, j->job->workspace_id,
                               &q.base, err);
    }
    if (!rc)
        rc = prov_dsp_delete_all(j, err);
    if (!rc)
        rc = prov_number_unreserve(j->conn, prov_jctx_get(j, "number_id"), err);
    if (!rc) {
        static const char *const progress[] = {"phone_number", "carrier_number_id", "order_id", "pending",
                                               "carrier_trunk_id", "carrier_trunk_intent", "sms", "search_sms"};
        for (size_t i = 0; i < sizeof progress / sizeof progress[0]; i++)
            prov_jctx_set(j, progress[i], NULL);
    }
    return rc;
}

static const prov_step_t steps[] = {
    {"check_agents", step_agents},   {"acquire_number", step_acquire}, {"carrier_trunk", step_carrier_trunk},
    {"outbound_trunk", step_outbound}, {"inbound_trunk", step_inbound},  {"dispatch_rule", step_rule},
    {"activate", step_activate},
};

const prov_job_ops_t prov_job_purchase_ops = {
    .request = &oneinbox__v1__purchase_number_request__descriptor,
    .steps = steps,
    .n_steps = sizeof steps / sizeof steps[0],
    .compensate = compensate,
};
