/* outbound.c: dispatch.OutboundRoute (see outbound.h). */
#define OI_LOG_TAG "dsp.outbound"
#include "outbound.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "db.h"
#include "dsp.h"
#include "oi/crypto.h"
#include "oi/ids.h"
#include "oi/log.h"
#include "oi/mem.h"
#include "oi/pg.h"
#include "oneinbox/v1/dispatch.pb-c.h"

/* The number's newest outbound trunk and whether the agent is a live one of the same workspace. */
#define OUTBOUND_SQL                                                                                    \
    "SELECT t.id, t.workspace_id, t.phone_number, t.provider, t.trunk_address, t.auth_username, "       \
    "t.auth_password_sealed, a.id IS NOT NULL AS agent_ok "                                             \
    "FROM dispatch.outbound_trunks t "                                                                  \
    "LEFT JOIN dispatch.agents a ON a.id = $2::uuid AND a.workspace_id = t.workspace_id "               \
    "AND a.deleted_at IS NULL "                                                                         \
    "WHERE t.phone_number = $1 AND NOT t.suspended ORDER BY t.updated_at DESC LIMIT 1"

static oi_status_t not_allowed(oi_error_t *err, const char *from)
{
    return oi_error_set(err, OI_FORBIDDEN, "no outbound route from %s for this agent", from);
}

/* The reply from the row; the password opened (OI_INTERNAL when it cannot be). */
static oi_status_t reply_from_row(const dsp_t *d, const PGresult *res, Oneinbox__V1__OutboundRouteReply **out,
                                  oi_error_t *err)
{
    char *password = NULL;
    const char *sealed = oi_pg_get(res, 0, "auth_password_sealed");
    if (sealed && *sealed) {
        password = oi_crypto_open(d->crypto, OI_SEAL_OUTBOUND_TRUNK, oi_pg_get(res, 0, "id"), sealed);
        if (!password)
            return oi_error_set(err, OI_INTERNAL, "the trunk's stored password cannot be opened (OI_SECRET_KEY?)");
    }
    Oneinbox__V1__OutboundRouteReply *r = oi_xmalloc(sizeof *r);
    oneinbox__v1__outbound_route_reply__init(r);
    r->outbound_trunk_id = dsp_db_str(res, 0, "id");
    r->workspace_id = dsp_db_str(res, 0, "workspace_id");
    r->phone_number = dsp_db_str(res, 0, "phone_number");
    r->provider = dsp_db_str(res, 0, "provider");
    r->trunk_address = dsp_db_str(res, 0, "trunk_address");
    r->auth_username = dsp_db_str(res, 0, "auth_username");
    r->auth_password = oi_xstrdup(password ? password : "");
    oi_crypto_free_secret(password);
    *out = r;
    return OI_OK;
}

oi_status_t dsp_outbound_route(const oi_rpc_ctx_t *ctx, const ProtobufCMessage *msg, ProtobufCMessage **reply,
                               oi_error_t *err)
{
    const Oneinbox__V1__OutboundRouteRequest *req = (const Oneinbox__V1__OutboundRouteRequest *)msg;
    dsp_t *d = ctx->ud;
    char agent[OI_UUID_STR_LEN + 1];
    oi_status_t rc = dsp_check_outbound_route(req, agent, err);
    if (rc)
        return rc;
    PGconn *conn = NULL;
    PGresult *res = NULL;
    rc = dsp_db_acquire(d, &conn, err);
    if (rc)
        goto out;
    const char *params[] = {req->from, agent};
    rc = oi_pg_exec(conn, OUTBOUND_SQL, 2, params, &res, err);
    if (rc)
        goto out;
    if (PQntuples(res) != 1 || !oi_pg_bool(res, 0, "agent_ok")) {
        rc = not_allowed(err, req->from);
        goto out;
    }
    Oneinbox__V1__OutboundRouteReply *r = NULL;
    rc = reply_from_row(d, res, &r, err);
    if (!rc)
        *reply = &r->base;
out:
    if (res)
        PQclear(res);
    dsp_db_release(d, &conn);
    return rc;
}

const oi_reseal_column_t DSP_SEALED_PASSWORD = {"outbound_trunks.auth_password_sealed", "dispatch.outbound_trunks",
                                                "auth_password_sealed", "id", "auth_password_sealed = $3",
                                                OI_SEAL_OUTBOUND_TRUNK};

#define SUSPEND_SQL                                                                                     \
    "UPDATE dispatch.outbound_trunks SET suspended = $2::boolean, suspended_version = $3::bigint "     \
    "WHERE id = $1 AND (workspace_id = $4::uuid) IS TRUE AND suspended_version < $3::bigint"

oi_status_t dsp_outbound_suspend(const oi_rpc_ctx_t *ctx, const ProtobufCMessage *msg, ProtobufCMessage **reply,
                                 oi_error_t *err)
{
    const Oneinbox__V1__SuspendOutboundRequest *req = (const Oneinbox__V1__SuspendOutboundRequest *)msg;
    dsp_t *d = ctx->ud;
    if (!req->outbound_trunk_id[0] || strlen(req->outbound_trunk_id) > 128 || req->version <= 0 ||
        !oi_uuid_valid(ctx->workspace_id))
        return oi_error_set(err, OI_INVALID, "outbound_trunk_id, a version and a workspace are required");
    PGconn *conn = NULL;
    PGresult *res = NULL;
    oi_status_t rc = dsp_db_acquire(d, &conn, err);
    if (rc)
        return rc;
    char version[24];
    snprintf(version, sizeof version, "%lld", (long long)req->version);
    const char *params[] = {req->outbound_trunk_id, req->suspended ? "t" : "f", version, ctx->workspace_id};
    rc = oi_pg_exec(conn, SUSPEND_SQL, 4, params, &res, err);
    if (res)
        PQclear(res);
    dsp_db_release(d, &conn);
    if (!rc) {
        Oneinbox__V1__Empty *e = oi_xmalloc(sizeof *e);
        oneinbox__v1__empty__init(e);
        *reply = &e->base;
    }
    return rc;
}
