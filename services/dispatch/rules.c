/* rules.c: dispatch rules in PostgreSQL: upsert by id, one rule per phone number. */
#define OI_LOG_TAG "dsp.rules"
#include "rules.h"

#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "db.h"
#include "mutate.h"
#include "oi/ids.h"
#include "oi/log.h"
#include "oi/mem.h"
#include "oneinbox/v1/dispatch.pb-c.h"
#include "oneinbox/v1/envelope.pb-c.h"

typedef struct {
    char ws[OI_UUID_STR_LEN + 1];
    char agent[OI_UUID_STR_LEN + 1];
    char fallback[OI_UUID_STR_LEN + 1]; /* "" = none */
} rule_ids_t;

/* The agents must exist in the caller's workspace; FOR SHARE orders this upsert with a
 * concurrent change of those agents (see agents.c). */
static oi_status_t lock_agents(PGconn *conn, const rule_ids_t *ids, oi_error_t *err)
{
    PGresult *res = NULL;
    const char *params[] = {ids->ws, ids->agent, *ids->fallback ? ids->fallback : NULL};
    oi_status_t rc = oi_pg_exec(conn,
                                "SELECT id::text AS id FROM dispatch.agents WHERE workspace_id = $1 "
                                "AND (id = $2::uuid OR id = $3::uuid) FOR SHARE",
                                3, params, &res, err);
    if (rc)
        return rc;
    bool have_agent = false, have_fallback = !*ids->fallback;
    for (int i = 0; i < PQntuples(res); i++) {
        const char *id = oi_pg_get(res, i, "id");
        have_agent = have_agent || (id && strcmp(id, ids->agent) == 0);
        have_fallback = have_fallback || (id && strcmp(id, ids->fallback) == 0);
    }
    PQclear(res);
    if (!have_agent) {
        rc = oi_error_set(err, OI_AGENT_NOT_FOUND, "agent %s not found", ids->agent);
        oi_error_set_loc(err, "agent_id");
    } else if (!have_fallback) {
        rc = oi_error_set(err, OI_AGENT_NOT_FOUND, "agent %s not found", ids->fallback);
        oi_error_set_loc(err, "fallback_agent_id");
    }
    return rc;
}

/* The rule's current number (it leaves that number when the upsert moves it), locked. */
static oi_status_t old_number(PGconn *conn, const char *id, const char *ws, dsp_numbers_t *touched, oi_error_t *err)
{
    PGresult *res = NULL;
    const char *params[] = {id};
    oi_status_t rc = oi_pg_exec(conn,
                                "SELECT phone_number, workspace_id::text AS workspace_id FROM dispatch.dispatch_rules "
                                "WHERE id = $1 FOR UPDATE",
                                1, params, &res, err);
    if (rc)
        return rc;
    if (PQntuples(res) == 1) {
        const char *owner = oi_pg_get(res, 0, "workspace_id");
        if (!owner || strcmp(owner, ws) != 0)
            rc = oi_error_set(err, OI_CONFLICT, "this id belongs to another resource");
        else
            dsp_numbers_add(touched, oi_pg_get(res, 0, "phone_number"));
    }
    PQclear(res);
    return rc;
}

static oi_status_t upsert(PGconn *conn, const Oneinbox__V1__DispatchRule *r, const rule_ids_t *ids, oi_error_t *err)
{
    const char *params[] = {r->id,
                            ids->ws,
                            r->number_id,
                            r->phone_number,
                            r->inbound_trunk_id ? r->inbound_trunk_id : "",
                            ids->agent,
                            *ids->fallback ? ids->fallback : NULL,
                            r->voicemail_message ? r->voicemail_message->value : NULL};
    oi_error_t local;
    oi_error_init(&local);
    oi_status_t rc = oi_pg_exec(conn,
                                "INSERT INTO dispatch.dispatch_rules (id, workspace_id, number_id, phone_number, "
                                "inbound_trunk_id, agent_id, fallback_agent_id, voicemail_message) "
                                "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO UPDATE SET "
                                "number_id = EXCLUDED.number_id, phone_number = EXCLUDED.phone_number, "
                                "inbound_trunk_id = EXCLUDED.inbound_trunk_id, agent_id = EXCLUDED.agent_id, "
                                "fallback_agent_id = EXCLUDED.fallback_agent_id, "
                                "voicemail_message = EXCLUDED.voicemail_message, updated_at = now()",
                                8, params, NULL, &local);
    if (rc == OI_CONFLICT && strstr(local.loc, "phone_number")) {
        rc = oi_error_set(err, OI_CONFLICT, "%s already has a dispatch rule", r->phone_number);
        oi_error_set_loc(err, "phone_number");
    } else if (rc) {
        rc = oi_error_set_code(err, rc, local.code, local.message);
    }
    return rc;
}

static Oneinbox__V1__OptString *opt_dup(const char *s)
{
    if (!s || !*s)
        return NULL;
    Oneinbox__V1__OptString *o = oi_xmalloc(sizeof *o);
    oneinbox__v1__opt_string__init(o);
    o->value = oi_xstrdup(s);
    return o;
}

static ProtobufCMessage *rule_reply(const Oneinbox__V1__DispatchRule *r, const rule_ids_t *ids)
{
    Oneinbox__V1__DispatchRule *out = oi_xmalloc(sizeof *out);
    oneinbox__v1__dispatch_rule__init(out);
    out->id = oi_xstrdup(r->id);
    out->number_id = oi_xstrdup(r->number_id);
    out->phone_number = oi_xstrdup(r->phone_number);
    out->inbound_trunk_id = oi_xstrdup(r->inbound_trunk_id ? r->inbound_trunk_id : "");
    out->agent_id = oi_xstrdup(ids->agent);
    out->fallback_agent_id = opt_dup(ids->fallback);
    if (r->voicemail_message) {
        out->voicemail_message = oi_xmalloc(sizeof *out->voicemail_message);
        oneinbox__v1__opt_string__init(out->voicemail_message);
        out->voicemail_message->value = oi_xstrdup(r->voicemail_message->value);
    }
    return &out->base;
}

static oi_status_t rule_put(dsp_t *d, const oi_rpc_ctx_t *ctx, const ProtobufCMessage *msg, ProtobufCMessage **reply,
                            dsp_numbers_t *touched, oi_error_t *err)
{
    const Oneinbox__V1__DispatchRule *r = (const Oneinbox__V1__DispatchRule *)msg;
    rule_ids_t ids = {0};
    oi_status_t rc = dsp_workspace(ctx, ids.ws, err);
    if (!rc)
        rc = dsp_check_rule(r, err);
    if (rc)
        return rc;
    oi_uuid_normalize(r->agent_id, ids.agent);
    if (r->fallback_agent_id)
        oi_uuid_normalize(r->fallback_agent_id->value, ids.fallback);
    PGconn *conn = NULL;
    rc = dsp_db_acquire(d, &conn, err);
    if (!rc)
        rc = oi_pg_begin(conn, err);
    if (!rc)
        rc = lock_agents(conn, &ids, err);
    if (!rc)
        rc = old_number(conn, r->id, ids.ws, touched, err);
    if (!rc)
        rc = upsert(conn, r, &ids, err);
    if (!rc) {
        dsp_numbers_add(touched, r->phone_number);
        rc = oi_pg_commit(conn, err);
    }
    dsp_db_release(d, &conn);
    if (rc)
        return rc;
    *reply = rule_reply(r, &ids);
    oi_log_info(&(oi_log_ctx_t){.request_id = ctx->request_id, .action = "putting dispatch rule"},
                "rule %s routes %s", r->id, r->phone_number);
    return OI_OK;
}

static oi_status_t rule_delete(dsp_t *d, const oi_rpc_ctx_t *ctx, const ProtobufCMessage *msg,
                               ProtobufCMessage **reply, dsp_numbers_t *touched, oi_error_t *err)
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
    PGconn *conn = NULL;
    PGresult *res = NULL;
    rc = dsp_db_acquire(d, &conn, err);
    if (rc)
        goto out;
    const char *params[] = {req->id, ws};
    rc = oi_pg_exec(conn,
                    "DELETE FROM dispatch.dispatch_rules WHERE id = $1 AND workspace_id = $2 RETURNING phone_number",
                    2, params, &res, err);
    if (rc)
        goto out;
    for (int i = 0; i < PQntuples(res); i++)
        dsp_numbers_add(touched, oi_pg_get(res, i, "phone_number"));
    Oneinbox__V1__Empty *e = oi_xmalloc(sizeof *e);
    oneinbox__v1__empty__init(e);
    *reply = &e->base;
out:
    if (res)
        PQclear(res);
    dsp_db_release(d, &conn);
    return rc;
}

void dsp_rule_put_on_call(oi_rpc_call_t *call, const oi_rpc_ctx_t *ctx, const ProtobufCMessage *req)
{
    dsp_mutate_run(call, ctx, req, rule_put);
}

void dsp_rule_delete_on_call(oi_rpc_call_t *call, const oi_rpc_ctx_t *ctx, const ProtobufCMessage *req)
{
    dsp_mutate_run(call, ctx, req, rule_delete);
}
