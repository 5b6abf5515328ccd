/* drift.c: /v1/ops/drift — carrier drift findings, a check on demand, and their fixes (admin;
 * provisioning's drift.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "gw.h"
#include "oi/http_server.h"
#include "oi/proto_enum.h"
#include "oneinbox/v1/provisioning.pb-c.h"

#define CHECK_TIMEOUT_MS 120000 /* a check lists whole carrier accounts */

static json_t *str_or_null(const char *s) { return s && *s ? json_string(s) : json_null(); }

static json_t *render_finding(const Oneinbox__V1__DriftFinding *f)
{
    json_t *detail = json_loads(f->detail_json, 0, NULL);
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(f->id));
    json_object_set_new(o, "provider", json_string(oi_enum_str(&oneinbox__v1__provider__descriptor, (int)f->provider)));
    json_object_set_new(o, "kind", json_string(f->kind));
    json_object_set_new(o, "phone_number", json_string(f->phone_number));
    json_object_set_new(o, "number_id", str_or_null(f->number_id));
    json_object_set_new(o, "workspace_id", str_or_null(f->workspace_id));
    json_object_set_new(o, "carrier_number_id", str_or_null(f->carrier_number_id));
    json_object_set_new(o, "detail", detail ? detail : json_object());
    json_object_set_new(o, "first_seen_at", json_string(f->first_seen_at));
    json_object_set_new(o, "last_seen_at", json_string(f->last_seen_at));
    json_object_set_new(o, "resolved_at", str_or_null(f->resolved_at));
    json_object_set_new(o, "resolution", str_or_null(f->resolution));
    json_object_set_new(o, "resolved_by", str_or_null(f->resolved_by));
    json_object_set_new(o, "resolved_request_id", str_or_null(f->resolved_request_id));
    return o;
}

static void on_findings(gw_req_t *r, oi_status_t st, const oi_error_t *err, const ProtobufCMessage *reply)
{
    if (st) {
        gw_respond_error(r, err);
        return;
    }
    const Oneinbox__V1__ListDriftReply *l = (const Oneinbox__V1__ListDriftReply *)reply;
    json_t *arr = json_array();
    for (size_t i = 0; i < l->n_findings; i++)
        json_array_append_new(arr, render_finding(l->findings[i]));
    gw_respond_list(r, arr, l->next_cursor);
}

/* ?state=open|resolved|all&provider=&kind=&limit=&cursor= (provisioning checks the values: 422). */
void gw_drift_list(gw_req_t *r)
{
    int limit;
    char cursor[256], state[16] = "", provider[16] = "", kind[32] = "";
    if (!gw_list_params(r, &limit, cursor, sizeof cursor))
        return;
    const char *query = oi_http_req_query(r->http);
    oi_validation_t *v = gw_req_validation(r);
    gw_query_param(v, query, "state", state, sizeof state);
    gw_query_param(v, query, "provider", provider, sizeof provider);
    gw_query_param(v, query, "kind", kind, sizeof kind);
    if (oi_validation_count(v)) {
        gw_respond_validation(r);
        return;
    }
    Oneinbox__V1__ListDriftRequest req = ONEINBOX__V1__LIST_DRIFT_REQUEST__INIT;
    req.state = state;
    req.provider = provider;
    req.kind = kind;
    req.limit = limit;
    req.cursor = cursor;
    gw_rpc(r, GW_PEER_PROVISIONING, "ListDrift", &req.base, 0, on_findings);
}

static void on_report(gw_req_t *r, oi_status_t st, const oi_error_t *err, const ProtobufCMessage *reply)
{
    if (st) {
        gw_respond_error(r, err);
        return;
    }
    const Oneinbox__V1__DriftReport *rep = (const Oneinbox__V1__DriftReport *)reply;
    json_t *carriers = json_array();
    for (size_t i = 0; i < rep->n_carriers; i++) {
        const Oneinbox__V1__DriftCarrierReport *c = rep->carriers[i];
        json_array_append_new(
            carriers, json_pack("{s:s, s:i, s:i, s:i, s:{s:i, s:i, s:i, s:i}, s:o}", "provider",
                                oi_enum_str(&oneinbox__v1__provider__descriptor, (int)c->provider),
                                "numbers_on_account", (int)c->numbers_on_account, "pages", (int)c->pages,
                                "trunks_checked", (int)c->trunks_checked, "findings", "orphan", (int)c->orphan,
                                "missing", (int)c->missing, "trunk_mismatch", (int)c->trunk_mismatch,
                                "origination_mismatch", (int)c->origination_mismatch, "error", str_or_null(c->error)));
    }
    gw_respond_json(r, 200, NULL, json_pack("{s:o}", "carriers", carriers));
}

void gw_drift_check(gw_req_t *r)
{
    Oneinbox__V1__Empty req = ONEINBOX__V1__EMPTY__INIT;
    gw_rpc(r, GW_PEER_PROVISIONING, "CheckDrift", &req.base, CHECK_TIMEOUT_MS, on_report);
}

/* A fix's audit event: the finding as it was (open: the same without its resolution) and as it
 * is. It belongs to the workspace whose number the finding is about; an orphan, which no
 * workspace holds, keeps its trail on the finding itself (resolved_by, resolved_request_id). */
static void on_resolved(gw_req_t *r, oi_status_t st, const oi_error_t *err, const ProtobufCMessage *reply)
{
    if (st) {
        gw_respond_error(r, err);
        return;
    }
    json_t *after = render_finding((const Oneinbox__V1__DriftFinding *)reply);
    json_t *before = json_deep_copy(after);
    static const char *const resolution[] = {"resolved_at", "resolution", "resolved_by", "resolved_request_id"};
    for (size_t i = 0; i < sizeof resolution / sizeof resolution[0]; i++)
        json_object_set_new(before, resolution[i], json_null());
    gw_audit_before(r, before);
    gw_respond_json(r, 200, NULL, after);
}

/* body {"action": "release" | "mark_released" | "repair" | "dismiss"} */
void gw_drift_resolve(gw_req_t *r)
{
    static const char *const actions[] = {"release", "mark_released", "repair", "dismiss", NULL};
    static const char *const done[] = {"released", "marked_released", "repaired", "dismissed"};
    char id[37];
    if (!gw_req_path_uuid(r, "finding_id", id))
        return;
    oi_validation_t *v = gw_req_validation(r);
    oi_loc_t loc = oi_loc_root("body");
    const char *action = oi_v_object(v, &loc, r->body)
                             ? oi_v_enum(v, &loc, r->body, "action", OI_V_REQUIRED, actions, NULL)
                             : NULL;
    if (oi_validation_count(v) || !action) {
        gw_respond_validation(r);
        return;
    }
    Oneinbox__V1__ResolveDriftRequest req = ONEINBOX__V1__RESOLVE_DRIFT_REQUEST__INIT;
    req.id = id;
    req.action = (char *)action;
    size_t a = 0;
    while (strcmp(actions[a], action) != 0)
        a++;
    char audit_action[48];
    snprintf(audit_action, sizeof audit_action, "drift_finding.%s", done[a]);
    gw_audit_begin(r, "drift_finding", audit_action, id);
    gw_rpc(r, GW_PEER_PROVISIONING, "ResolveDrift", &req.base, CHECK_TIMEOUT_MS, on_resolved);
}
