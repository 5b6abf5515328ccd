/* routing.c: the internal routing API (resolve, failures, outbound) used by the SIP edge. */
#include <stdlib.h>
#include <string.h>

#include "gw.h"
#include "oi/http_server.h"
#include "oneinbox/v1/dispatch.pb-c.h"
#include "oneinbox/v1/envelope.pb-c.h"
#include "render.h"

static void on_resolved(gw_req_t *r, oi_status_t st, const oi_error_t *err, const ProtobufCMessage *reply)
{
    if (st) {
        gw_respond_error(r, err);
        return;
    }
    json_t *j = gw_render_resolve((const Oneinbox__V1__ResolveReply *)reply);
    char *body = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    gw_near_keep(r, NULL, body, strlen(body));
    gw_respond_text(r, 200, body, strlen(body));
    free(body);
}

/* to (required) and from (optional) must be E.164; call_id optional, ≤128 chars. */
void gw_routing_resolve(gw_req_t *r)
{
    const char *query = oi_http_req_query(r->http);
    char to[32] = "", from[32] = "", call_id[130] = "";
    json_t *holder = json_object();
    oi_validation_t *v = gw_req_validation(r);
    bool has_to = gw_query_param(v, query, "to", to, sizeof to);
    bool has_from = gw_query_param(v, query, "from", from, sizeof from);
    bool has_call = gw_query_param(v, query, "call_id", call_id, sizeof call_id);
    if (has_to)
        json_object_set_new(holder, "to", json_string(to));
    if (has_from)
        json_object_set_new(holder, "from", json_string(from));
    if (has_call)
        json_object_set_new(holder, "call_id", json_string(call_id));
    oi_loc_t loc = oi_loc_root("query");
    if (!has_to && oi_validation_count(v)) { /* to given but unusable: its own error, not "missing" */
        json_decref(holder);
        gw_respond_validation(r);
        return;
    }
    oi_v_e164(v, &loc, holder, "to", OI_V_REQUIRED, NULL);
    oi_v_e164(v, &loc, holder, "from", 0, NULL);
    oi_v_string(v, &loc, holder, "call_id", 0, 1, 128, NULL);
    json_decref(holder);
    if (oi_validation_count(v)) {
        gw_respond_validation(r);
        return;
    }
    /* without a call id the answer depends on the number only (from is not part of it) */
    if (!has_call && gw_near_answer(r, r->gw->near_routes, to, NULL))
        return;
    Oneinbox__V1__ResolveRequest req = ONEINBOX__V1__RESOLVE_REQUEST__INIT;
    req.to = to;
    req.from = from;
    req.call_id = call_id;
    gw_rpc(r, GW_PEER_DISPATCH, "Resolve", &req.base, 0,
           on_resolved);
}

static void on_reported(gw_req_t *r, oi_status_t st, const oi_error_t *err, const ProtobufCMessage *reply)
{
    if (st) {
        gw_respond_error(r, err);
        return;
    }
    gw_respond_json(r, 204, NULL, NULL);
}

/* {"call_id", "agent_id", "to"}: the worker could not reach agent_id for this call. */
void gw_routing_failure(gw_req_t *r)
{
    oi_validation_t *v = gw_req_validation(r);
    oi_loc_t loc = oi_loc_root("body");
    if (!oi_v_object(v, &loc, r->body)) {
        gw_respond_validation(r);
        return;
    }
    char agent[37];
    const char *call_id = oi_v_string(v, &loc, r->body, "call_id", OI_V_REQUIRED, 1, 128, NULL);
    oi_v_uuid(v, &loc, r->body, "agent_id", OI_V_REQUIRED, NULL, agent);
    const char *to = oi_v_e164(v, &loc, r->body, "to", 0, NULL);
    if (oi_validation_count(v)) {
        gw_respond_validation(r);
        return;
    }
    Oneinbox__V1__ReportFailureRequest req = ONEINBOX__V1__REPORT_FAILURE_REQUEST__INIT;
    req.call_id = (char *)call_id;
    req.agent_id = agent;
    req.to = (char *)(to ? to : "");
    gw_rpc(r, GW_PEER_DISPATCH, "ReportFailure", &req.base, 0, on_reported);
}

static void on_outbound(gw_req_t *r, oi_status_t st, const oi_error_t *err, const ProtobufCMessage *reply)
{
    if (st) {
        gw_respond_error(r, err);
        return;
    }
    json_t *j = gw_render_outbound((const Oneinbox__V1__OutboundRouteReply *)reply);
    gw_respond_json(r, 200, "Cache-Control: no-store\r\n", j);
}

/* from (E.164) and agent_id (UUID), both required: the trunk an agent's call from that number
 * leaves through, with its credentials. Never cached. */
void gw_routing_outbound(gw_req_t *r)
{
    const char *query = oi_http_req_query(r->http);
    char from[32] = "", agent_raw[64] = "", agent[37] = "";
    json_t *holder = json_object();
    oi_validation_t *v = gw_req_validation(r);
    if (gw_query_param(v, query, "from", from, sizeof from))
        json_object_set_new(holder, "from", json_string(from));
    if (gw_query_param(v, query, "agent_id", agent_raw, sizeof agent_raw))
        json_object_set_new(holder, "agent_id", json_string(agent_raw));
    if (oi_validation_count(v)) {
        json_decref(holder);
        gw_respond_validation(r);
        return;
    }
    oi_loc_t loc = oi_loc_root("query");
    oi_v_e164(v, &loc, holder, "from", OI_V_REQUIRED, NULL);
    oi_v_uuid(v, &loc, holder, "agent_id", OI_V_REQUIRED, NULL, agent);
    json_decref(holder);
    if (oi_validation_count(v)) {
        gw_respond_validation(r);
        return;
    }
    Oneinbox__V1__OutboundRouteRequest req = ONEINBOX__V1__OUTBOUND_ROUTE_REQUEST__INIT;
    req.from = from;
    req.agent_id = agent;
    gw_rpc(r, GW_PEER_DISPATCH, "OutboundRoute", &req.base, 0, on_outbound);
}
