/* routing.c: the internal routing API (resolve, failures, outbound) used by the SIP edge. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw.h"
#include "oi/http_server.h"
#include "oi/clock.h"
#include "oi/mem.h"
#include "oi/route.h"
#include "oi/rfc3339.h"
#include "oneinbox/v1/dispatch.pb-c.h"
#include "oneinbox/v1/envelope.pb-c.h"
#include "render.h"

/* Where a resolve answer in r's format is kept, and how it is written. */
typedef struct {
    oi_near_cache_t *near;
    oi_route_memo_t *memo;
    oi_route_render_fn render;
} resolve_format_t;

static resolve_format_t format_of(const gw_req_t *r)
{
    const gw_t *gw = r->gw;
    if (r->answer_form)
        return (resolve_format_t){gw->near_routes_form, gw->route_memo_form, gw_render_resolve_form};
    return (resolve_format_t){gw->near_routes, gw->route_memo, gw_render_resolve_body};
}

static void respond_decision(gw_req_t *r, const char *body, size_t len)
{
    if (r->answer_form)
        gw_respond_document(r, "application/x-www-form-urlencoded", NULL, body, len);
    else
        gw_respond_text(r, 200, body, len);
}

static void on_resolved(gw_req_t *r, oi_status_t st, const oi_error_t *err, const ProtobufCMessage *reply)
{
    if (st) {
        gw_respond_error(r, err);
        return;
    }
    const Oneinbox__V1__ResolveReply *rep = (const Oneinbox__V1__ResolveReply *)reply;
    size_t len = 0;
    char *body = (char *)format_of(r).render(rep, &len);
    /* a decision that depends on the caller or the moment is never kept by number: its
     * snapshot is, to decide from (oi/route_memo.h) */
    if (rep->per_call)
        gw_near_keep(r, NULL, (const char *)rep->snapshot.data, rep->snapshot.len);
    else
        gw_near_keep(r, NULL, body, len);
    respond_decision(r, body, len);
    free(body);
}

/* The answer from the near cache: a body kept as it is, or one decided here from the number's
 * snapshot for this caller, now. false on a miss (r then fills the cache). */
static bool near_resolve(gw_req_t *r, const char *to, const char *from)
{
    resolve_format_t f = format_of(r);
    oi_near_value_t v;
    if (!gw_near_lookup(r, f.near, to, &v))
        return false;
    if (!oi_route_memo_applies(&v)) {
        respond_decision(r, v.data, v.len);
        return true;
    }
    size_t len = 0;
    const uint8_t *body = oi_route_memo_answer(f.memo, &v, from, oi_clock_now_ms(), &len);
    if (!body)
        return false; /* a snapshot that does not parse: the source answers (no fill begun) */
    respond_decision(r, (const char *)body, len);
    return true;
}

/* at (optional): an RFC 3339 date-time ("value_error" otherwise) into *ms; false when invalid. */
static bool at_param(oi_validation_t *v, const char *query, bool *has_at, int64_t *ms)
{
    char at[48] = "";
    *has_at = gw_query_param(v, query, "at", at, sizeof at);
    *ms = 0;
    if (!*has_at || oi_rfc3339_parse(at, ms))
        return true;
    oi_loc_t loc = oi_loc_root("query");
    oi_loc_t l = oi_loc_key(&loc, "at");
    json_t *input = json_string(at);
    oi_validation_add(v, &l, "value_error", "Value error, at must be an RFC 3339 date-time such as 2026-12-25T09:30:00Z",
                      input, json_pack("{ss}", "error", "at must be an RFC 3339 date-time"));
    json_decref(input);
    return false;
}

/* to (required) and from (optional) must be E.164; call_id optional, ≤128 chars; at optional;
 * format optional: json (the default) or form (gw_render_resolve_form). */
void gw_routing_resolve(gw_req_t *r)
{
    static const char *const formats[] = {"json", "form", NULL};
    const char *query = oi_http_req_query(r->http);
    char to[32] = "", from[32] = "", call_id[130] = "", format[16] = "";
    json_t *holder = json_object();
    oi_validation_t *v = gw_req_validation(r);
    bool has_to = gw_query_param(v, query, "to", to, sizeof to);
    bool has_from = gw_query_param(v, query, "from", from, sizeof from);
    bool has_call = gw_query_param(v, query, "call_id", call_id, sizeof call_id);
    bool has_format = gw_query_param(v, query, "format", format, sizeof format);
    bool has_at = false;
    int64_t at_ms = 0;
    if (has_to)
        json_object_set_new(holder, "to", json_string(to));
    if (has_from)
        json_object_set_new(holder, "from", json_string(from));
    if (has_call)
        json_object_set_new(holder, "call_id", json_string(call_id));
    if (has_format)
        json_object_set_new(holder, "format", json_string(format));
    oi_loc_t loc = oi_loc_root("query");
    if (!has_to && oi_validation_count(v)) { /* to given but unusable: its own error, not "missing" */
        json_decref(holder);
        gw_respond_validation(r);
        return;
    }
    oi_v_e164(v, &loc, holder, "to", OI_V_REQUIRED, NULL);
    oi_v_e164(v, &loc, holder, "from", 0, NULL);
    oi_v_string(v, &loc, holder, "call_id", 0, 1, 128, NULL);
    const char *as = oi_v_enum(v, &loc, holder, "format", 0, formats, NULL);
    r->answer_form = as && strcmp(as, "form") == 0;
    at_param(v, query, &has_at, &at_ms);
    json_decref(holder);
    if (oi_validation_count(v)) {
        gw_respond_validation(r);
        return;
    }
    /* without a call id or a moment: from memory (a number without a policy answers the same to
     * everyone; one with a policy is decided here from its snapshot) */
    if (!has_call && !has_at && near_resolve(r, to, from))
        return;
    Oneinbox__V1__ResolveRequest req = ONEINBOX__V1__RESOLVE_REQUEST__INIT;
    req.to = to;
    req.from = from;
    req.call_id = call_id;
    req.at_unix_ms = at_ms;
    req.want_snapshot = r->near != NULL; /* filling the near cache */
    gw_rpc(r, GW_PEER_DISPATCH, "Resolve", &req.base, 0,
           on_resolved);
}

/* --- GET /v1/phone-numbers/{id}/routing/explain -------------------------------------------------- */

typedef struct {
    char from[32];
    int64_t at_ms;
} explain_t;

static void on_explained(gw_req_t *r, oi_status_t st, const oi_error_t *err, const ProtobufCMessage *reply)
{
    if (st) {
        gw_respond_error(r, err);
        return;
    }
    const Oneinbox__V1__ResolveReply *rep = (const Oneinbox__V1__ResolveReply *)reply;
    if (strcmp(rep->workspace_id, r->workspace_id) != 0) { /* moved since it was read: not this caller's */
        gw_respond_status(r, OI_NUMBER_NOT_FOUND, NULL);
        return;
    }
    json_t *j = gw_render_resolve(rep);
    json_object_set_new(j, "trace", gw_render_trace(rep));
    gw_respond_json(r, 200, "Cache-Control: no-store\r\n", j);
}

static void on_number_for_explain(gw_req_t *r, oi_status_t st, const oi_error_t *err, const ProtobufCMessage *reply)
{
    if (st) {
        gw_respond_error(r, err);
        return;
    }
    const Oneinbox__V1__PhoneNumber *n = (const Oneinbox__V1__PhoneNumber *)reply;
    const explain_t *x = r->scratch;
    if (!n->inbound_routing) {
        gw_respond_status(r, OI_NO_ROUTE, "the number has no inbound routing (outbound only)");
        return;
    }
    char to[32];
    snprintf(to, sizeof to, "%s", n->phone_number);
    Oneinbox__V1__ResolveRequest req = ONEINBOX__V1__RESOLVE_REQUEST__INIT;
    req.to = to;
    req.from = (char *)x->from;
    req.call_id = (char *)"";
    req.at_unix_ms = x->at_ms;
    req.explain = true;
    gw_rpc(r, GW_PEER_DISPATCH, "Resolve", &req.base, 0, on_explained);
}

/* from (optional, E.164) and at (optional, RFC 3339): the decision for that caller and moment. */
void gw_routing_explain(gw_req_t *r)
{
    char id[37];
    if (!gw_req_path_uuid(r, "phone_id", id))
        return;
    const char *query = oi_http_req_query(r->http);
    oi_validation_t *v = gw_req_validation(r);
    explain_t *x = oi_xcalloc(1, sizeof *x);
    r->scratch = x;
    r->scratch_free = free;
    json_t *holder = json_object();
    if (gw_query_param(v, query, "from", x->from, sizeof x->from))
        json_object_set_new(holder, "from", json_string(x->from));
    oi_loc_t loc = oi_loc_root("query");
    oi_v_e164(v, &loc, holder, "from", 0, NULL);
    json_decref(holder);
    bool has_at = false;
    at_param(v, query, &has_at, &x->at_ms);
    if (oi_validation_count(v)) {
        gw_respond_validation(r);
        return;
    }
    Oneinbox__V1__NumberIdRequest req = ONEINBOX__V1__NUMBER_ID_REQUEST__INIT;
    req.id = id;
    gw_rpc(r, GW_PEER_PROVISIONING, "GetNumber", &req.base, 0, on_number_for_explain);
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
