/* trunks.c: inbound and outbound SIP trunks in PostgreSQL. */
#define OI_LOG_TAG "dsp.trunks"
#include "trunks.h"

#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "db.h"
#include "mutate.h"
#include "oi/crypto.h"
#include "oi/ids.h"
#include "oi/log.h"
#include "oi/mem.h"
#include "oneinbox/v1/dispatch.pb-c.h"
#include "oneinbox/v1/envelope.pb-c.h"

static oi_status_t exec_scoped(dsp_t *d, const char *sql, int n, const char *const *params, bool need_row,
                               oi_error_t *err)
{
    PGconn *conn = NULL;
    PGresult *res = NULL;
    oi_status_t rc = dsp_db_acquire(d, &conn, err);
    if (rc)
        goto out;
    rc = oi_pg_exec(conn, sql, n, params, &res, err);
    if (rc)
        goto out;
    if (need_row && PQntuples(res) != 1)
        rc = oi_error_set(err, OI_CONFLICT, "this id belongs to another resource");
out:
    if (res)
        PQclear(res);
    dsp_db_release(d, &conn);
    return rc;
}

static ProtobufCMessage *empty_new(void)
{
    Oneinbox__V1__Empty *e = oi_xmalloc(sizeof *e);
    oneinbox__v1__empty__init(e);
    return &e->base;
}

oi_status_t dsp_outbound_trunk_put(const oi_rpc_ctx_t *ctx, const ProtobufCMessage *msg, ProtobufCMessage **reply,
                                   oi_error_t *err)
{
    const Oneinbox__V1__OutboundTrunk *t = (const Oneinbox__V1__OutboundTrunk *)msg;
    dsp_t *d = ctx->ud;
    char ws[OI_UUID_STR_LEN + 1];
    oi_status_t rc = dsp_workspace(ctx, ws, err);
    if (!rc)
        rc = dsp_check_outbound_trunk(t, err);
    if (rc)
        return rc;
    char *sealed = *t->auth_password ? oi_crypto_seal(d->crypto, t->auth_password) : NULL;
    const char *params[] = {t->id, ws, t->phone_number, t->provider, t->trunk_address, t->auth_username, sealed};
    rc = exec_scoped(d,
                     "INSERT INTO dispatch.outbound_trunks (id, workspace_id, phone_number, provider, trunk_address, "
                     "auth_username, auth_password_sealed) VALUES ($1, $2, $3, $4, $5, $6, $7) "
                     "ON CONFLICT (id) DO UPDATE SET phone_number = EXCLUDED.phone_number, "
                     "provider = EXCLUDED.provider, trunk_address = EXCLUDED.trunk_address, "
                     "auth_username = EXCLUDED.auth_username, auth_password_sealed = EXCLUDED.auth_password_sealed, "
                     "updated_at = now() WHERE outbound_trunks.workspace_id = EXCLUDED.workspace_id RETURNING id",
                     7, params, true, err);
    free(sealed);
    if (rc)
        return rc;
    Oneinbox__V1__OutboundTrunk *out = oi_xmalloc(sizeof *out);
    oneinbox__v1__outbound_trunk__init(out);
    out->id = oi_xstrdup(t->id);
    out->phone_number = oi_xstrdup(t->phone_number);
    out->provider = oi_xstrdup(t->provider);
    out->trunk_address = oi_xstrdup(t->trunk_address);
    out->auth_username = oi_xstrdup(t->auth_username);
    out->auth_password = oi_xstrdup(""); /* never returned */
    *reply = &out->base;
    return OI_OK;
}

static oi_status_t delete_by_id(const oi_rpc_ctx_t *ctx, const ProtobufCMessage *msg, const char *sql,
                                ProtobufCMessage **reply, oi_error_t *err)
{
    const Oneinbox__V1__ResourceIdRequest *req = (const Oneinbox__V1__ResourceIdRequest *)msg;
    char ws[OI_UUID_STR_LEN + 1];
    oi_status_t rc = dsp_workspace(ctx, ws, err);
    if (rc)
        return rc;
    if (!dsp_res_id_valid(req->id)) {
        rc = oi_error_set(err, OI_INVALID, "id: must be 1..128 characters of [A-Za-z0-9._:-]");
        oi_error_set_loc(err, "id");
        return rc;
    }
    const char *params[] = {req->id, ws};
    rc = exec_scoped(ctx->ud, sql, 2, params, false, err);
    if (!rc)
        *reply = empty_new();
    return rc;
}

oi_status_t dsp_outbound_trunk_delete(const oi_rpc_ctx_t *ctx, const ProtobufCMessage *msg,
                                      ProtobufCMessage **reply, oi_error_t *err)
{
    return delete_by_id(ctx, msg, "DELETE FROM dispatch.outbound_trunks WHERE id = $1 AND workspace_id = $2", reply,
                        err);
}

oi_status_t dsp_inbound_trunk_put(const oi_rpc_ctx_t *ctx, const ProtobufCMessage *msg, ProtobufCMessage **reply,
                                  oi_error_t *err)
{
    const Oneinbox__V1__InboundTrunk *t = (const Oneinbox__V1__InboundTrunk *)msg;
    char ws[OI_UUID_STR_LEN + 1];
    oi_status_t rc = dsp_workspace(ctx, ws, err);
    if (!rc)
        rc = dsp_check_inbound_trunk(t, err);
    if (rc)
        return rc;
    const char *params[] = {t->id, ws, t->phone_number, t->provider};
    rc = exec_scoped(ctx->ud,
                     "INSERT INTO dispatch.inbound_trunks (id, workspace_id, phone_number, provider) "
                     "VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO UPDATE SET phone_number = EXCLUDED.phone_number, "
                     "provider = EXCLUDED.provider, updated_at = now() "
                     "WHERE inbound_trunks.workspace_id = EXCLUDED.workspace_id RETURNING id",
                     4, params, true, err);
    if (rc)
        return rc;
    Oneinbox__V1__InboundTrunk *out = oi_xmalloc(sizeof *out);
    oneinbox__v1__inbound_trunk__init(out);
    out->id = oi_xstrdup(t->id);
    out->phone_number = oi_xstrdup(t->phone_number);
    out->provider = oi_xstrdup(t->provider);
    *reply = &out->base;
    return OI_OK;
}

oi_status_t dsp_inbound_trunk_delete(const oi_rpc_ctx_t *ctx, const ProtobufCMessage *msg,
                                     ProtobufCMessage **reply, oi_error_t *err)
{
    return delete_by_id(ctx, msg, "DELETE FROM dispatch.inbound_trunks WHERE id = $1 AND workspace_id = $2", reply,
                        err);
}
