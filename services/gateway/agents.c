/* agents.c: /v1/agents — what routing needs of an agent (name, status, default voicemail). */
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "gw.h"
#include "oi/mem.h"
#include "oi/proto_enum.h"
#include "oneinbox/v1/dispatch.pb-c.h"
#include "render.h"

static const char *const agent_statuses[] = {"active", "paused", NULL};

/* A status the validator accepted ("active" | "paused"); unspecified when absent. */
static Oneinbox__V1__AgentStatus status_of(const char *name)
{
    int v = ONEINBOX__V1__AGENT_STATUS__AGENT_STATUS_UNSPECIFIED;
    if (name)
        oi_enum_parse(&oneinbox__v1__agent_status__descriptor, name, &v);
    return (Oneinbox__V1__AgentStatus)v;
}

static void on_agent(gw_req_t *r, oi_status_t st, const oi_error_t *err, const ProtobufCMessage *reply, int status)
{
    if (st) {
        gw_respond_error(r, err);
        return;
    }
    gw_respond_json(r, status, NULL, gw_render_agent((const Oneinbox__V1__Agent *)reply));
}

static void on_agent_200(gw_req_t *r, oi_status_t st, const oi_error_t *err, const ProtobufCMessage *reply)
{
    on_agent(r, st, err, reply, 200);
}

static void on_agent_201(gw_req_t *r, oi_status_t st, const oi_error_t *err, const ProtobufCMessage *reply)
{
    on_agent(r, st, err, reply, 201);
}

static void on_deleted(gw_req_t *r, oi_status_t st, const oi_error_t *err, const ProtobufCMessage *reply)
{
    if (st) {
        gw_respond_error(r, err);
        return;
    }
    gw_respond_json(r, 204, NULL, NULL);
}

void gw_agents_create(gw_req_t *r)
{
    oi_validation_t *v = gw_req_validation(r);
    oi_loc_t loc = oi_loc_root("body");
    if (!oi_v_object(v, &loc, r->body)) {
        gw_respond_validation(r);
        return;
    }
    Oneinbox__V1__CreateAgentRequest req = ONEINBOX__V1__CREATE_AGENT_REQUEST__INIT;
    Oneinbox__V1__OptString vm = ONEINBOX__V1__OPT_STRING__INIT;
    const char *name = oi_v_string(v, &loc, r->body, "name", OI_V_REQUIRED, 1, 255, NULL);
    const char *status = oi_v_enum(v, &loc, r->body, "status", 0, agent_statuses, NULL);
    const char *voicemail = oi_v_string(v, &loc, r->body, "voicemail_message", OI_V_NULLABLE, 0, 0, NULL);
    if (oi_validation_count(v)) {
        gw_respond_validation(r);
        return;
    }
    req.name = (char *)name;
    req.status = status ? status_of(status) : ONEINBOX__V1__AGENT_STATUS__AGENT_STATUS_ACTIVE;
    vm.value = (char *)voicemail;
    req.voicemail_message = voicemail ? &vm : NULL;
    gw_audit_begin(r, "agent", "agent.created", NULL);
    gw_rpc(r, GW_PEER_DISPATCH, "CreateAgent", &req.base, 0, on_agent_201);
}

static void on_agents(gw_req_t *r, oi_status_t st, const oi_error_t *err, const ProtobufCMessage *reply)
{
    if (st) {
        gw_respond_error(r, err);
        return;
    }
    const Oneinbox__V1__ListAgentsReply *l = (const Oneinbox__V1__ListAgentsReply *)reply;
    json_t *arr = json_array();
    for (size_t i = 0; i < l->n_agents; i++)
        json_array_append_new(arr, gw_render_agent(l->agents[i]));
    gw_respond_list(r, arr, l->next_cursor);
}

void gw_agents_list(gw_req_t *r)
{
    int limit;
    char cursor[256];
    if (!gw_list_params(r, &limit, cursor, sizeof cursor))
        return;
    Oneinbox__V1__ListRequest req = ONEINBOX__V1__LIST_REQUEST__INIT;
    req.limit = limit;
    req.cursor = cursor;
    gw_rpc(r, GW_PEER_DISPATCH, "ListAgents", &req.base, 0,
           on_agents);
}

void gw_agents_get(gw_req_t *r)
{
    char id[37];
    if (!gw_req_path_uuid(r, "agent_id", id))
        return;
    Oneinbox__V1__AgentIdRequest req = ONEINBOX__V1__AGENT_ID_REQUEST__INIT;
    req.id = id;
    gw_rpc(r, GW_PEER_DISPATCH, "GetAgent", &req.base, 0, on_agent_200);
}

static json_t *render_agent_msg(const ProtobufCMessage *m) { return gw_render_agent((const Oneinbox__V1__Agent *)m); }

/* The agent as it is, for the audit event of its change, then next. */
static void fetch_agent_then(gw_req_t *r, const char *id, const char *action, gw_audit_next_fn next)
{
    gw_audit_begin(r, "agent", action, id);
    Oneinbox__V1__AgentIdRequest req = ONEINBOX__V1__AGENT_ID_REQUEST__INIT;
    req.id = (char *)id;
    gw_audit_fetch(r, GW_PEER_DISPATCH, "GetAgent", &req.base, render_agent_msg, next);
}

static void agents_update_send(gw_req_t *r)
{
    char id[37];
    if (!gw_req_path_uuid(r, "agent_id", id))
        return;
    oi_validation_t *v = gw_req_validation(r);
    oi_loc_t loc = oi_loc_root("body");
    if (!oi_v_object(v, &loc, r->body)) {
        gw_respond_validation(r);
        return;
    }
    Oneinbox__V1__UpdateAgentRequest req = ONEINBOX__V1__UPDATE_AGENT_REQUEST__INIT;
    Oneinbox__V1__OptString name = ONEINBOX__V1__OPT_STRING__INIT, vm = ONEINBOX__V1__OPT_STRING__INIT;
    bool vm_present = false;
    name.value = (char *)oi_v_string(v, &loc, r->body, "name", 0, 1, 255, NULL);
    const char *status = oi_v_enum(v, &loc, r->body, "status", 0, agent_statuses, NULL);
    vm.value = (char *)oi_v_string(v, &loc, r->body, "voicemail_message", OI_V_NULLABLE, 0, 0, &vm_present);
    if (oi_validation_count(v)) {
        gw_respond_validation(r);
        return;
    }
    req.id = id;
    req.name = name.value ? &name : NULL;
    req.status = status_of(status);
    req.set_voicemail_message = vm_present;
    req.voicemail_message = vm.value ? &vm : NULL;
    gw_rpc(r, GW_PEER_DISPATCH, "UpdateAgent", &req.base, 0, on_agent_200);
}

void gw_agents_update(gw_req_t *r)
{
    char id[37];
    if (gw_req_path_uuid(r, "agent_id", id))
        fetch_agent_then(r, id, "agent.updated", agents_update_send);
}

static void agents_delete_send(gw_req_t *r)
{
    char id[37];
    if (!gw_req_path_uuid(r, "agent_id", id))
        return;
    Oneinbox__V1__AgentIdRequest req = ONEINBOX__V1__AGENT_ID_REQUEST__INIT;
    req.id = id;
    gw_rpc(r, GW_PEER_DISPATCH, "DeleteAgent", &req.base, 0, on_deleted);
}

void gw_agents_delete(gw_req_t *r)
{
    char id[37];
    if (gw_req_path_uuid(r, "agent_id", id))
        fetch_agent_then(r, id, "agent.deleted", agents_delete_send);
}
