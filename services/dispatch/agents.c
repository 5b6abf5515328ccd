/* agents.c: agents in PostgreSQL (schema dispatch), scoped by the caller's workspace. */
#define OI_LOG_TAG "dsp.agents"
#include "agents.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_lock.h"
#include "check.h"
#include "cursor.h"
#include "db.h"
#include "oi/buf.h"
#include "oi/ids.h"
#include "oi/log.h"
#include "oi/mem.h"
#include "oi/proto_enum.h"
#include "oneinbox/v1/dispatch.pb-c.h"
#include "oneinbox/v1/envelope.pb-c.h"

#define AGENT_COLS                                                                                          \
    "id, workspace_id, name, status, voicemail_message, " DSP_SQL_TS("created_at") " AS created_at, "      \
    DSP_SQL_TS("updated_at") " AS updated_at, " DSP_SQL_USEC("created_at") " AS created_us"

static Oneinbox__V1__Agent *agent_from_row(const PGresult *res, int row)
{
    Oneinbox__V1__Agent *a = oi_xmalloc(sizeof *a);
    oneinbox__v1__agent__init(a);
    a->id = dsp_db_str(res, row, "id");
    a->workspace_id = dsp_db_str(res, row, "workspace_id");
    a->name = dsp_db_str(res, row, "name");
    int status = ONEINBOX__V1__AGENT_STATUS__AGENT_STATUS_UNSPECIFIED;
    oi_enum_parse(&oneinbox__v1__agent_status__descriptor, oi_pg_get(res, row, "status"), &status);
    a->status = (Oneinbox__V1__AgentStatus)status;
    a->created_at = dsp_db_str(res, row, "created_at");
    a->updated_at = dsp_db_str(res, row, "updated_at");
    const char *vm = oi_pg_get(res, row, "voicemail_message");
    if (vm) {
        a->voicemail_message = oi_xmalloc(sizeof *a->voicemail_message);
        oneinbox__v1__opt_string__init(a->voicemail_message);
        a->voicemail_message->value = oi_xstrdup(vm);
    }
    return a;
}

static oi_status_t agent_not_found(oi_error_t *err, const char *id)
{
    return oi_error_set(err, OI_AGENT_NOT_FOUND, "agent %s not found", id);
}

oi_status_t dsp_agent_create(const oi_rpc_ctx_t *ctx, const ProtobufCMessage *msg, ProtobufCMessage **reply,
                             oi_error_t *err)
{
    const Oneinbox__V1__CreateAgentRequest *req = (const Oneinbox__V1__CreateAgentRequest *)msg;
    dsp_t *d = ctx->ud;
    char ws[OI_UUID_STR_LEN + 1], id[OI_UUID_STR_LEN + 1];
    oi_status_t rc = dsp_workspace(ctx, ws, err);
    if (!rc)
        rc = dsp_check_create_agent(req, err);
    if (rc)
        return rc;
    oi_uuid_new(id);
    PGconn *conn = NULL;
    PGresult *res = NULL;
    rc = dsp_db_acquire(d, &conn, err);
    if (rc)
        goto out;
    const char *status = req->status ? oi_enum_str(&oneinbox__v1__agent_status__descriptor, (int)req->status) : "active";
    const char *params[] = {id, ws, req->name, status,
                            req->voicemail_message ? req->voicemail_message->value : NULL};
    rc = oi_pg_exec(conn,
                    "INSERT INTO dispatch.agents (id, workspace_id, name, status, voicemail_message) "
                    "VALUES ($1, $2, $3, $4, $5) RETURNING " AGENT_COLS,
                    5, params, &res, err);
    if (rc)
        goto out;
    *reply = &agent_from_row(res, 0)->base;
    oi_log_info(&(oi_log_ctx_t){.request_id = ctx->request_id, .action = "creating agent"}, "agent %s created", id);
out:
    if (res)
        PQclear(res);
    dsp_db_release(d, &conn);
    return rc;
}

oi_status_t dsp_agent_get(const oi_rpc_ctx_t *ctx, const ProtobufCMessage *msg, ProtobufCMessage **reply,
                          oi_error_t *err)
{
    const Oneinbox__V1__AgentIdRequest *req = (const Oneinbox__V1__AgentIdRequest *)msg;
    dsp_t *d = ctx->ud;
    char ws[OI_UUID_STR_LEN + 1], id[OI_UUID_STR_LEN + 1];
    oi_status_t rc = dsp_workspace(ctx, ws, err);
    if (rc)
        return rc;
    if (!oi_uuid_normalize(req->id, id))
        return agent_not_found(err, "(invalid id)");
    PGconn *conn = NULL;
    PGresult *res = NULL;
    rc = dsp_db_acquire(d, &conn, err);
    if (rc)
        goto out;
    const char *params[] = {id, ws};
    rc = oi_pg_exec(conn,
                    "SELECT " AGENT_COLS " FROM dispatch.agents WHERE id = $1 AND workspace_id = $2 "
                    "AND deleted_at IS NULL",
                    2, params, &res, err);
    if (rc)
        goto out;
    if (PQntuples(res) != 1) {
        rc = agent_not_found(err, id);
        goto out;
    }
    *reply = &agent_from_row(res, 0)->base;
out:
    if (res)
        PQclear(res);
    dsp_db_release(d, &conn);
    return rc;
}

static void list_fill(const PGresult *res, int limit, Oneinbox__V1__ListAgentsReply *l)
{
    int n = PQntuples(res);
    int take = n > limit ? limit : n;
    l->agents = oi_xcalloc((size_t)take + 1, sizeof *l->agents);
    for (int i = 0; i < take; i++)
        l->agents[l->n_agents++] = agent_from_row(res, i);
    char cursor[DSP_CURSOR_MAX] = "";
    if (n > limit) {
        const char *us = oi_pg_get(res, take - 1, "created_us");
        long long v = us ? strtoll(us, NULL, 10) : -1;
        if (!dsp_cursor_encode((int64_t)v, l->agents[take - 1]->id, cursor, sizeof cursor))
            cursor[0] = '\0';
    }
    l->next_cursor = oi_xstrdup(cursor);
}

oi_status_t dsp_agent_list(const oi_rpc_ctx_t *ctx, const ProtobufCMessage *msg, ProtobufCMessage **reply,
                           oi_error_t *err)
{
    const Oneinbox__V1__ListRequest *req = (const Oneinbox__V1__ListRequest *)msg;
    dsp_t *d = ctx->ud;
    char ws[OI_UUID_STR_LEN + 1], after_id[OI_UUID_STR_LEN + 1] = "";
    int limit = 0;
    int64_t after_us = 0;
    oi_status_t rc = dsp_workspace(ctx, ws, err);
    if (!rc)
        rc = dsp_check_limit(req->limit, &limit, err);
    if (!rc && *req->cursor)
        rc = dsp_cursor_decode(req->cursor, &after_us, after_id, err);
    if (rc)
        return rc;
    char us_text[24], limit_text[16];
    snprintf(us_text, sizeof us_text, "%lld", (long long)after_us);
    snprintf(limit_text, sizeof limit_text, "%d", limit + 1);
    PGconn *conn = NULL;
    PGresult *res = NULL;
    rc = dsp_db_acquire(d, &conn, err);
    if (rc)
        goto out;
    const char *params[] = {ws, *after_id ? us_text : NULL, *after_id ? after_id : NULL, limit_text};
    rc = oi_pg_exec(conn,
                    "SELECT " AGENT_COLS " FROM dispatch.agents a WHERE workspace_id = $1 AND deleted_at IS NULL "
                    "AND ($2::bigint IS NULL OR (created_at, id) > "
                    "('epoch'::timestamptz + $2::bigint * interval '1 microsecond', $3::uuid)) "
                    "ORDER BY a.created_at, a.id LIMIT $4::int", /* the table columns, not the text aliases */
                    4, params, &res, err);
    if (rc)
        goto out;
    Oneinbox__V1__ListAgentsReply *l = oi_xmalloc(sizeof *l);
    oneinbox__v1__list_agents_reply__init(l);
    list_fill(res, limit, l);
    *reply = &l->base;
out:
    if (res)
        PQclear(res);
    dsp_db_release(d, &conn);
    return rc;
}

/* "{id,id}" of the canonical ids among req->ids; the others are missing already. */
static char *check_split(const Oneinbox__V1__CheckAgentsRequest *req, Oneinbox__V1__CheckAgentsReply *rep,
                         bool *valid)
{
    oi_buf_t b;
    oi_buf_init(&b, 64 * 1024);
    oi_buf_appends(&b, "{");
    bool first = true;
    for (size_t i = 0; i < req->n_ids; i++) {
        char id[OI_UUID_STR_LEN + 1];
        valid[i] = oi_uuid_normalize(req->ids[i], id);
        if (!valid[i]) {
            rep->missing[rep->n_missing++] = oi_xstrdup(req->ids[i]);
            continue;
        }
        oi_buf_printf(&b, "%s%s", first ? "" : ",", id);
        first = false;
    }
    oi_buf_appends(&b, "}");
    return oi_buf_steal(&b, NULL);
}

static bool id_in_result(const PGresult *res, const char *raw)
{
    char id[OI_UUID_STR_LEN + 1];
    if (!oi_uuid_normalize(raw, id))
        return false;
    for (int r = 0; r < PQntuples(res); r++) {
        const char *v = oi_pg_get(res, r, "id");
        if (v && strcmp(v, id) == 0)
            return true;
    }
    return false;
}

oi_status_t dsp_agent_check(const oi_rpc_ctx_t *ctx, const ProtobufCMessage *msg, ProtobufCMessage **reply,
                            oi_error_t *err)
{
    const Oneinbox__V1__CheckAgentsRequest *req = (const Oneinbox__V1__CheckAgentsRequest *)msg;
    dsp_t *d = ctx->ud;
    char ws[OI_UUID_STR_LEN + 1];
    oi_status_t rc = dsp_workspace(ctx, ws, err);
    if (rc)
        return rc;
    if (req->n_ids > DSP_CHECK_IDS_MAX) {
        rc = oi_error_set(err, OI_INVALID, "ids: at most %d", DSP_CHECK_IDS_MAX);
        oi_error_set_loc(err, "ids");
        return rc;
    }
    Oneinbox__V1__CheckAgentsReply *rep = oi_xmalloc(sizeof *rep);
    oneinbox__v1__check_agents_reply__init(rep);
    rep->missing = oi_xcalloc(req->n_ids + 1, sizeof *rep->missing);
    bool *valid = oi_xcalloc(req->n_ids + 1, sizeof *valid);
    char *array = check_split(req, rep, valid);
    PGconn *conn = NULL;
    PGresult *res = NULL;
    rc = dsp_db_acquire(d, &conn, err);
    if (rc)
        goto out;
    const char *params[] = {ws, array};
    rc = oi_pg_exec(conn,
                    "SELECT id::text AS id FROM dispatch.agents WHERE workspace_id = $1 AND deleted_at IS NULL "
                    "AND id = ANY($2::uuid[])",
                    2, params, &res, err);
    if (rc)
        goto out;
    for (size_t i = 0; i < req->n_ids; i++) {
        if (valid[i] && !id_in_result(res, req->ids[i]))
            rep->missing[rep->n_missing++] = oi_xstrdup(req->ids[i]);
    }
out:
    if (res)
        PQclear(res);
    dsp_db_release(d, &conn);
    free(array);
    free(valid);
    if (rc)
        protobuf_c_message_free_unpacked(&rep->base, NULL);
    else
        *reply = &rep->base;
    return rc;
}

/* --- mutations ------------------------------------------------------------------------- */

/* Every number whose rule names the agent (primary, fallback or in its policy) in the workspace. Runs in
 * the transaction that changed the agent, which holds the agent's lock (agent_lock.h) before the
 * change: so no rule can slip between the change and this list. */
static oi_status_t numbers_of_agent(PGconn *conn, const char *ws, const char *id, dsp_numbers_t *touched,
                                    oi_error_t *err)
{
    PGresult *res = NULL;
    const char *params[] = {ws, id};
    oi_status_t rc = oi_pg_exec(conn,
                                "SELECT phone_number FROM dispatch.dispatch_rules WHERE workspace_id = $1 "
                                "AND (agent_id = $2::uuid OR fallback_agent_id = $2::uuid "
                                "OR (policy_agents @> ARRAY[$2::uuid] AND policy_agents <> '{}'))",
                                2, params, &res, err);
    if (rc)
        return rc;
    for (int i = 0; i < PQntuples(res); i++)
        dsp_numbers_add(touched, oi_pg_get(res, i, "phone_number"));
    PQclear(res);
    return OI_OK;
}

/* One change of agent id of workspace ws, in a transaction of its own: the agent held
 * (agent_lock.h), sql changing its live row ($1 id, $2 workspace; RETURNING what *row gets),
 * then the numbers whose rules name it. OI_AGENT_NOT_FOUND when no live agent changed. On OI_OK
 * *row is the caller's to clear. */
static oi_status_t agent_change(dsp_t *d, const char *ws, const char *id, const char *sql, int n,
                                const char *const *params, PGresult **row, dsp_numbers_t *touched, oi_error_t *err)
{
    PGconn *conn = NULL;
    PGresult *res = NULL;
    oi_status_t rc = dsp_db_acquire(d, &conn, err);
    if (!rc)
        rc = oi_pg_begin(conn, err);
    if (!rc)
        rc = dsp_agent_lock(conn, id, err);
    if (!rc)
        rc = oi_pg_exec(conn, sql, n, params, &res, err);
    if (!rc && PQntuples(res) != 1)
        rc = agent_not_found(err, id);
    if (!rc)
        rc = numbers_of_agent(conn, ws, id, touched, err);
    if (!rc)
        rc = oi_pg_commit(conn, err);
    dsp_db_release(d, &conn);
    if (rc && res) {
        PQclear(res);
        res = NULL;
    }
    *row = res;
    return rc;
}

/* The caller's workspace and the agent's id (canonical) from the call. */
static oi_status_t agent_target(const oi_rpc_ctx_t *ctx, const char *given, char ws[OI_UUID_STR_LEN + 1],
                                char id[OI_UUID_STR_LEN + 1], oi_error_t *err)
{
    oi_status_t rc = dsp_workspace(ctx, ws, err);
    if (!rc && !oi_uuid_normalize(given, id))
        rc = agent_not_found(err, "(invalid id)");
    return rc;
}

static oi_status_t agent_update(dsp_t *d, const oi_rpc_ctx_t *ctx, const ProtobufCMessage *msg,
                                ProtobufCMessage **reply, dsp_numbers_t *touched, oi_error_t *err)
{
    const Oneinbox__V1__UpdateAgentRequest *req = (const Oneinbox__V1__UpdateAgentRequest *)msg;
    char ws[OI_UUID_STR_LEN + 1], id[OI_UUID_STR_LEN + 1];
    oi_status_t rc = agent_target(ctx, req->id, ws, id, err);
    if (!rc)
        rc = dsp_check_update_agent(req, err);
    if (rc)
        return rc;
    const char *status = req->status ? oi_enum_str(&oneinbox__v1__agent_status__descriptor, (int)req->status) : NULL;
    const char *params[] = {id, ws, req->name ? req->name->value : NULL, status,
                            req->set_voicemail_message ? "t" : "f",
                            req->voicemail_message ? req->voicemail_message->value : NULL};
    PGresult *res = NULL;
    rc = agent_change(d, ws, id,
                      "UPDATE dispatch.agents SET name = COALESCE($3, name), status = COALESCE($4, status), "
                      "voicemail_message = CASE WHEN $5::bool THEN $6 ELSE voicemail_message END, updated_at = now() "
                      "WHERE id = $1 AND workspace_id = $2 AND deleted_at IS NULL RETURNING " AGENT_COLS,
                      6, params, &res, touched, err);
    if (rc)
        return rc;
    *reply = &agent_from_row(res, 0)->base;
    PQclear(res);
    return OI_OK;
}

static oi_status_t agent_delete(dsp_t *d, const oi_rpc_ctx_t *ctx, const ProtobufCMessage *msg,
                                ProtobufCMessage **reply, dsp_numbers_t *touched, oi_error_t *err)
{
    const Oneinbox__V1__AgentIdRequest *req = (const Oneinbox__V1__AgentIdRequest *)msg;
    char ws[OI_UUID_STR_LEN + 1], id[OI_UUID_STR_LEN + 1];
    oi_status_t rc = agent_target(ctx, req->id, ws, id, err);
    if (rc)
        return rc;
    const char *params[] = {id, ws};
    PGresult *res = NULL;
    rc = agent_change(d, ws, id,
                      "UPDATE dispatch.agents SET deleted_at = now(), updated_at = now() "
                      "WHERE id = $1 AND workspace_id = $2 AND deleted_at IS NULL RETURNING id",
                      2, params, &res, touched, err);
    if (rc)
        return rc;
    PQclear(res);
    Oneinbox__V1__Empty *e = oi_xmalloc(sizeof *e);
    oneinbox__v1__empty__init(e);
    *reply = &e->base;
    oi_log_info(&(oi_log_ctx_t){.request_id = ctx->request_id, .action = "deleting agent"}, "agent %s deleted", id);
    return OI_OK;
}

void dsp_agent_update_on_call(oi_rpc_call_t *call, const oi_rpc_ctx_t *ctx, const ProtobufCMessage *req)
{
    dsp_mutate_run(call, ctx, req, agent_update);
}

void dsp_agent_delete_on_call(oi_rpc_call_t *call, const oi_rpc_ctx_t *ctx, const ProtobufCMessage *req)
{
    dsp_mutate_run(call, ctx, req, agent_delete);
}
