/* integrations.c: /v1/integrations — carrier credentials; the secret is write-only. */
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "gw.h"
#include "oi/proto_enum.h"
#include "oi/mem.h"
#include "oneinbox/v1/envelope.pb-c.h"
#include "oneinbox/v1/provisioning.pb-c.h"
#include "render.h"

static const char *const providers[] = {"twilio", "telnyx", NULL};

static void on_integration(gw_req_t *r, oi_status_t st, const oi_error_t *err, const ProtobufCMessage *reply,
                           int status)
{
    if (st) {
        gw_respond_error(r, err);
        return;
    }
    gw_respond_json(r, status, NULL, gw_render_integration((const Oneinbox__V1__Integration *)reply));
}

static void on_integration_200(gw_req_t *r, oi_status_t st, const oi_error_t *err, const ProtobufCMessage *reply)
{
    on_integration(r, st, err, reply, 200);
}

static void on_integration_201(gw_req_t *r, oi_status_t st, const oi_error_t *err, const ProtobufCMessage *reply)
{
    on_integration(r, st, err, reply, 201);
}

void gw_integrations_create(gw_req_t *r)
{
    oi_validation_t *v = gw_req_validation(r);
    oi_loc_t loc = oi_loc_root("body");
    if (!oi_v_object(v, &loc, r->body)) {
        gw_respond_validation(r);
        return;
    }
    const char *name = oi_v_string(v, &loc, r->body, "name", OI_V_REQUIRED, 1, 255, NULL);
    const char *provider = oi_v_enum(v, &loc, r->body, "provider", OI_V_REQUIRED, providers, NULL);
    const char *api_key = oi_v_string(v, &loc, r->body, "api_key", OI_V_REQUIRED, 1, 1024, NULL);
    bool meta_null = false;
    json_t *meta = oi_v_subobject(v, &loc, r->body, "metadata", OI_V_NULLABLE, NULL, &meta_null);
    if (meta) {
        oi_loc_t ml = oi_loc_key(&loc, "metadata");
        oi_v_string(v, &ml, meta, "sip_trunk", OI_V_NULLABLE, 0, 255, NULL);
        oi_v_string(v, &ml, meta, "account_sid", OI_V_NULLABLE, 0, 255, NULL);
        oi_v_e164(v, &ml, meta, "phone_number", OI_V_NULLABLE, NULL);
    }
    if (oi_validation_count(v)) {
        gw_respond_validation(r);
        return;
    }
    char *meta_json = meta ? json_dumps(meta, JSON_COMPACT) : oi_xstrdup("{}");
    Oneinbox__V1__CreateIntegrationRequest req = ONEINBOX__V1__CREATE_INTEGRATION_REQUEST__INIT;
    req.name = (char *)name;
    int pv = ONEINBOX__V1__PROVIDER__PROVIDER_UNSPECIFIED;
    oi_enum_parse(&oneinbox__v1__provider__descriptor, provider, &pv);
    req.provider = (Oneinbox__V1__Provider)pv;
    req.api_key = (char *)api_key;
    req.metadata_json = meta_json;
    gw_audit_begin(r, "integration", "integration.created", NULL);
    gw_rpc(r, GW_PEER_PROVISIONING, "CreateIntegration", &req.base, 0, on_integration_201);
    free(meta_json);
}

static void on_integrations(gw_req_t *r, oi_status_t st, const oi_error_t *err, const ProtobufCMessage *reply)
{
    if (st) {
        gw_respond_error(r, err);
        return;
    }
    const Oneinbox__V1__ListIntegrationsReply *l = (const Oneinbox__V1__ListIntegrationsReply *)reply;
    json_t *arr = json_array();
    for (size_t i = 0; i < l->n_integrations; i++)
        json_array_append_new(arr, gw_render_integration(l->integrations[i]));
    gw_respond_list(r, arr, l->next_cursor);
}

void gw_integrations_list(gw_req_t *r)
{
    int limit;
    char cursor[256];
    if (!gw_list_params(r, &limit, cursor, sizeof cursor))
        return;
    Oneinbox__V1__ListRequest req = ONEINBOX__V1__LIST_REQUEST__INIT;
    req.limit = limit;
    req.cursor = cursor;
    gw_rpc(r, GW_PEER_PROVISIONING, "ListIntegrations", &req.base, 0, on_integrations);
}

void gw_integrations_get(gw_req_t *r)
{
    char id[37];
    if (!gw_req_path_uuid(r, "integration_id", id))
        return;
    Oneinbox__V1__IntegrationIdRequest req = ONEINBOX__V1__INTEGRATION_ID_REQUEST__INIT;
    req.id = id;
    gw_rpc(r, GW_PEER_PROVISIONING, "GetIntegration", &req.base,
           0, on_integration_200);
}

static void on_deleted(gw_req_t *r, oi_status_t st, const oi_error_t *err, const ProtobufCMessage *reply)
{
    if (st) {
        gw_respond_error(r, err);
        return;
    }
    gw_respond_json(r, 204, NULL, NULL);
}

static void integrations_delete_send(gw_req_t *r)
{
    char id[37];
    if (!gw_req_path_uuid(r, "integration_id", id))
        return;
    Oneinbox__V1__IntegrationIdRequest req = ONEINBOX__V1__INTEGRATION_ID_REQUEST__INIT;
    req.id = id;
    gw_rpc(r, GW_PEER_PROVISIONING, "DeleteIntegration", &req.base, 0,
           on_deleted);
}

static json_t *render_integration_msg(const ProtobufCMessage *m)
{
    return gw_render_integration((const Oneinbox__V1__Integration *)m);
}

/* The integration as it was goes into the audit event of its deletion. */
void gw_integrations_delete(gw_req_t *r)
{
    char id[37];
    if (!gw_req_path_uuid(r, "integration_id", id))
        return;
    gw_audit_begin(r, "integration", "integration.deleted", id);
    Oneinbox__V1__IntegrationIdRequest req = ONEINBOX__V1__INTEGRATION_ID_REQUEST__INIT;
    req.id = id;
    gw_audit_fetch(r, GW_PEER_PROVISIONING, "GetIntegration", &req.base, render_integration_msg,
                   integrations_delete_send);
}
