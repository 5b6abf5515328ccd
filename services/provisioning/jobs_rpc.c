/* jobs_rpc.c: submitting the four job kinds (register, purchase, PATCH, delete).
 *
 * A submission chooses every id its steps will create, stores the sealed request with them, and
 * kicks a local runner; the Job is answered at once (the gateway then waits on WaitJob). */
#define OI_LOG_TAG "prov.submit"
#include "jobs_rpc.h"

#include <jansson.h>
#include <stdlib.h>

#include "jobs_db.h"
#include "numbers_db.h"
#include "oi/ids.h"
#include "oi/pg.h"
#include "runner.h"
#include "submit.h"

static void payload_new_id(json_t *payload, const char *key)
{
    char id[OI_UUID_STR_LEN + 1];
    oi_uuid_new(id);
    json_object_set_new(payload, key, json_string(id));
}

static void payload_copy(json_t *payload, const PGresult *row, const char *col)
{
    const char *v = oi_pg_get(row, 0, col);
    if (v && *v)
        json_object_set_new(payload, col, json_string(v));
}

static oi_status_t submit(const oi_rpc_ctx_t *ctx, PGconn *c, prov_job_kind_t kind, const ProtobufCMessage *req,
                          const char *idem_key, const char *number_id, json_t *payload, ProtobufCMessage **reply,
                          oi_error_t *err)
{
    prov_t *p = ctx->ud;
    if (p->draining)
        return oi_error_set(err, OI_UNAVAILABLE, "provisioning is shutting down");
    char id[OI_UUID_STR_LEN + 1];
    bool existing = false;
    oi_status_t rc = prov_job_submit(p, c, ctx->workspace_id, kind, req, idem_key, number_id, payload, id,
                                     &existing, err);
    Oneinbox__V1__Job *job = NULL;
    if (!rc)
        rc = prov_job_load_proto(c, ctx->workspace_id, id, &job, err);
    if (rc)
        return rc;
    prov_runner_kick(p->runner, id); /* harmless for a finished job: nothing to claim */
    *reply = &job->base;
    return OI_OK;
}

/* Runs submit with a pooled connection; payload is consumed. */
static oi_status_t submit_pooled(const oi_rpc_ctx_t *ctx, prov_job_kind_t kind, const ProtobufCMessage *req,
                                 const char *idem_key, const char *number_id, json_t *payload,
                                 ProtobufCMessage **reply, oi_error_t *err)
{
    prov_t *p = ctx->ud;
    PGconn *c = NULL;
    oi_status_t rc = prov_db_acquire(p, &c, err);
    if (!rc)
        rc = submit(ctx, c, kind, req, idem_key, number_id, payload, reply, err);
    prov_db_release(p, &c);
    json_decref(payload);
    return rc;
}

static json_t *payload_for_new_number(void)
{
    json_t *payload = json_object();
    payload_new_id(payload, "number_id");
    payload_new_id(payload, "outbound_trunk_id");
    payload_new_id(payload, "inbound_trunk_id");
    payload_new_id(payload, "dispatch_rule_id");
    return payload;
}

PROV_RPC(prov_rpc_register)
{
    const Oneinbox__V1__RegisterNumberRequest *r = (const Oneinbox__V1__RegisterNumberRequest *)req;
    if (!oi_uuid_valid(ctx->workspace_id))
        return oi_error_set(err, OI_UNAUTHORIZED, "no workspace");
    oi_status_t rc = prov_register_validate(r, err);
    if (rc)
        return rc;
    json_t *payload = payload_for_new_number();
    const char *number_id = json_string_value(json_object_get(payload, "number_id"));
    return submit_pooled(ctx, PROV_KIND_REGISTER, req, r->idempotency_key, number_id, payload, reply, err);
}

PROV_RPC(prov_rpc_purchase)
{
    prov_t *p = ctx->ud;
    const Oneinbox__V1__PurchaseNumberRequest *r = (const Oneinbox__V1__PurchaseNumberRequest *)req;
    if (!oi_uuid_valid(ctx->workspace_id))
        return oi_error_set(err, OI_UNAUTHORIZED, "no workspace");
    oi_status_t rc = prov_purchase_validate(r, err);
    if (rc)
        return rc;
    json_t *payload = payload_for_new_number();
    json_object_set_new(payload, "provider", json_string(p->purchase_carrier));
    const char *number_id = json_string_value(json_object_get(payload, "number_id"));
    return submit_pooled(ctx, PROV_KIND_PURCHASE, req, r->idempotency_key, number_id, payload, reply, err);
}

/* Loads the visible number a PATCH or DELETE acts on, into a payload with its current ids. */
static oi_status_t payload_for_existing(const oi_rpc_ctx_t *ctx, PGconn *c, const char *id, json_t **out,
                                        oi_error_t *err)
{
    *out = NULL;
    if (!oi_uuid_valid(id))
        return oi_error_set(err, OI_NUMBER_NOT_FOUND, NULL);
    PGresult *row = NULL;
    oi_status_t rc = prov_number_load(c, ctx->workspace_id, id, true, &row, err);
    if (rc)
        return rc;
    json_t *payload = json_object();
    json_object_set_new(payload, "number_id", json_string(oi_pg_get(row, 0, "id")));
    const char *cols[] = {"phone_number", "provider", "origin", "outbound_trunk_id", "inbound_trunk_id",
                          "dispatch_rule_id", "carrier_number_id", "carrier_trunk_id"};
    for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++)
        payload_copy(payload, row, cols[i]);
    if (!json_object_get(payload, "inbound_trunk_id"))
        payload_new_id(payload, "inbound_trunk_id");
    if (!json_object_get(payload, "dispatch_rule_id"))
        payload_new_id(payload, "dispatch_rule_id");
    PQclear(row);
    *out = payload;
    return OI_OK;
}

static oi_status_t submit_on_number(const oi_rpc_ctx_t *ctx, prov_job_kind_t kind, const ProtobufCMessage *req,
                                    const char *id, const char *idem_key, ProtobufCMessage **reply, oi_error_t *err)
{
    prov_t *p = ctx->ud;
    if (!oi_uuid_valid(ctx->workspace_id))
        return oi_error_set(err, OI_UNAUTHORIZED, "no workspace");
    PGconn *c = NULL;
    json_t *payload = NULL;
    oi_status_t rc = prov_db_acquire(p, &c, err);
    if (!rc)
        rc = payload_for_existing(ctx, c, id, &payload, err);
    if (!rc)
        rc = submit(ctx, c, kind, req, idem_key, id, payload, reply, err);
    json_decref(payload);
    prov_db_release(p, &c);
    return rc;
}

PROV_RPC(prov_rpc_update)
{
    const Oneinbox__V1__UpdateNumberRequest *r = (const Oneinbox__V1__UpdateNumberRequest *)req;
    return submit_on_number(ctx, PROV_KIND_UPDATE, req, r->id, r->idempotency_key, reply, err);
}

PROV_RPC(prov_rpc_delete)
{
    const Oneinbox__V1__NumberIdRequest *r = (const Oneinbox__V1__NumberIdRequest *)req;
    return submit_on_number(ctx, PROV_KIND_DELETE, req, r->id, r->idempotency_key, reply, err);
}
