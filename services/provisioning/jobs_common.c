/* jobs_common.c: the running job's context and the oi-dispatch steps every kind shares. */
#define OI_LOG_TAG "prov.jobs"
#include "jobs.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oi/mem.h"
#include "oneinbox/v1/dispatch.pb-c.h"
#include "oneinbox/v1/envelope.pb-c.h"
#include "remote.h"

const prov_job_ops_t *prov_job_ops(prov_job_kind_t kind)
{
    switch (kind) {
    case PROV_KIND_REGISTER:
        return &prov_job_register_ops;
    case PROV_KIND_PURCHASE:
        return &prov_job_purchase_ops;
    case PROV_KIND_UPDATE:
        return &prov_job_update_ops;
    case PROV_KIND_DELETE:
        return &prov_job_delete_ops;
    default:
        return NULL;
    }
}

oi_status_t prov_jctx_open_request(prov_jctx_t *j, const ProtobufCMessageDescriptor *desc, oi_error_t *err)
{
    char *b64 = oi_crypto_open(j->p->crypto, j->job->request_sealed);
    if (!b64)
        return oi_error_set(err, OI_INTERNAL, "job request cannot be unsealed (OI_SECRET_KEY changed?)");
    size_t cap = strlen(b64) + 1, len = 0;
    unsigned char *bin = oi_xmalloc(cap);
    int bad = sodium_base642bin(bin, cap, b64, strlen(b64), NULL, &len, NULL, sodium_base64_VARIANT_ORIGINAL);
    oi_crypto_free_secret(b64);
    if (!bad)
        j->req = protobuf_c_message_unpack(desc, NULL, len, bin);
    sodium_memzero(bin, cap);
    free(bin);
    if (!j->req)
        return oi_error_set(err, OI_INTERNAL, "job request is corrupt");
    return OI_OK;
}

const char *prov_jctx_get(const prov_jctx_t *j, const char *key)
{
    const char *v = json_string_value(json_object_get(j->job->payload, key));
    return v && v[0] ? v : NULL;
}

void prov_jctx_set(prov_jctx_t *j, const char *key, const char *value)
{
    if (value)
        json_object_set_new(j->job->payload, key, json_string(value));
    else
        json_object_del(j->job->payload, key);
}

oi_status_t prov_jctx_save(prov_jctx_t *j, const char *mark, oi_error_t *err)
{
    return prov_job_record_step(j->p, j->conn, j->job, mark, err);
}

static oi_status_t dsp_call(prov_jctx_t *j, const char *method, const ProtobufCMessage *req,
                            const ProtobufCMessageDescriptor *reply_desc, ProtobufCMessage **reply, oi_error_t *err)
{
    return prov_remote_call(j->p, PROV_PEER_DISPATCH, method, j->job->id, j->job->workspace_id, req, reply_desc,
                            reply, err);
}

oi_status_t prov_check_agents(prov_jctx_t *j, const char *const *ids, const char *const *fields, int n,
                              oi_error_t *err)
{
    char *list[8];
    int k = 0;
    for (int i = 0; i < n && k < 8; i++)
        if (ids[i] && ids[i][0])
            list[k++] = (char *)(uintptr_t)ids[i];
    if (k == 0)
        return OI_OK;
    Oneinbox__V1__CheckAgentsRequest req = ONEINBOX__V1__CHECK_AGENTS_REQUEST__INIT;
    req.n_ids = (size_t)k;
    req.ids = list;
    ProtobufCMessage *m = NULL;
    oi_status_t rc = dsp_call(j, "dispatch.CheckAgents", &req.base, &oneinbox__v1__check_agents_reply__descriptor,
                              &m, err);
    if (rc)
        return rc;
    Oneinbox__V1__CheckAgentsReply *rep = (Oneinbox__V1__CheckAgentsReply *)m;
    for (size_t x = 0; x < rep->n_missing && !rc; x++) {
        for (int i = 0; i < n; i++) {
            if (ids[i] && strcmp(ids[i], rep->missing[x]) == 0) {
                rc = oi_error_set(err, OI_AGENT_NOT_FOUND, "agent %s named by %s not found", ids[i], fields[i]);
                char loc[OI_ERROR_LOC_MAX];
                snprintf(loc, sizeof loc, "body.%s", fields[i]);
                oi_error_set_loc(err, loc);
                break;
            }
        }
    }
    if (!rc && rep->n_missing)
        rc = oi_error_set(err, OI_AGENT_NOT_FOUND, "agent %s not found", rep->missing[0]);
    protobuf_c_message_free_unpacked(m, NULL);
    return rc;
}

static oi_status_t dsp_put(prov_jctx_t *j, const char *method, const ProtobufCMessage *req,
                           const ProtobufCMessageDescriptor *reply_desc, oi_error_t *err)
{
    ProtobufCMessage *m = NULL;
    oi_status_t rc = dsp_call(j, method, req, reply_desc, &m, err);
    if (m)
        protobuf_c_message_free_unpacked(m, NULL);
    return rc;
}

#define S(x) ((char *)(uintptr_t)((x) ? (x) : ""))

oi_status_t prov_dsp_put_outbound(prov_jctx_t *j, const char *id, const char *phone, const char *provider,
                                  const char *address, const char *user, const char *password, oi_error_t *err)
{
    Oneinbox__V1__OutboundTrunk t = ONEINBOX__V1__OUTBOUND_TRUNK__INIT;
    t.id = S(id);
    t.phone_number = S(phone);
    t.provider = S(provider);
    t.trunk_address = S(address);
    t.auth_username = S(user);
    t.auth_password = S(password);
    return dsp_put(j, "dispatch.PutOutboundTrunk", &t.base, &oneinbox__v1__outbound_trunk__descriptor, err);
}

oi_status_t prov_dsp_put_inbound(prov_jctx_t *j, const char *id, const char *phone, const char *provider,
                                 oi_error_t *err)
{
    Oneinbox__V1__InboundTrunk t = ONEINBOX__V1__INBOUND_TRUNK__INIT;
    t.id = S(id);
    t.phone_number = S(phone);
    t.provider = S(provider);
    return dsp_put(j, "dispatch.PutInboundTrunk", &t.base, &oneinbox__v1__inbound_trunk__descriptor, err);
}

oi_status_t prov_dsp_put_rule(prov_jctx_t *j, const char *rule_id, const char *number_id, const char *phone,
                              const char *inbound_id, const prov_routing_t *r, oi_error_t *err)
{
    Oneinbox__V1__DispatchRule d = ONEINBOX__V1__DISPATCH_RULE__INIT;
    Oneinbox__V1__OptString fb = ONEINBOX__V1__OPT_STRING__INIT, vm = ONEINBOX__V1__OPT_STRING__INIT;
    d.id = S(rule_id);
    d.number_id = S(number_id);
    d.phone_number = S(phone);
    d.inbound_trunk_id = S(inbound_id);
    d.agent_id = S(r->agent_id);
    if (r->fallback_agent_id) {
        fb.value = S(r->fallback_agent_id);
        d.fallback_agent_id = &fb;
    }
    if (r->voicemail_message) {
        vm.value = S(r->voicemail_message);
        d.voicemail_message = &vm;
    }
    return dsp_put(j, "dispatch.PutDispatchRule", &d.base, &oneinbox__v1__dispatch_rule__descriptor, err);
}

oi_status_t prov_dsp_delete(prov_jctx_t *j, const char *method, const char *id, oi_error_t *err)
{
    if (!id || !id[0])
        return OI_OK;
    Oneinbox__V1__ResourceIdRequest r = ONEINBOX__V1__RESOURCE_ID_REQUEST__INIT;
    r.id = S(id);
    return dsp_put(j, method, &r.base, &oneinbox__v1__empty__descriptor, err);
}

oi_status_t prov_dsp_delete_all(prov_jctx_t *j, oi_error_t *err)
{
    oi_status_t rc = prov_dsp_delete(j, "dispatch.DeleteDispatchRule", prov_jctx_get(j, "dispatch_rule_id"), err);
    oi_status_t rc2 = prov_dsp_delete(j, "dispatch.DeleteInboundTrunk", prov_jctx_get(j, "inbound_trunk_id"), err);
    oi_status_t rc3 = prov_dsp_delete(j, "dispatch.DeleteOutboundTrunk", prov_jctx_get(j, "outbound_trunk_id"), err);
    return rc ? rc : (rc2 ? rc2 : rc3);
}

void prov_routing_of_request(prov_routing_t *out, const Oneinbox__V1__InboundRouting *in)
{
    prov_routing_from_proto(out, in);
}
