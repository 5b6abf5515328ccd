/* integrations.c: integrations CRUD (workspace scoped, secrets sealed). */
#define OI_LOG_TAG "prov.integrations"
#include "integrations.h"
#include "sealed.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oi/clock.h"
#include "oi/crypto.h"
#include "oi/ids.h"
#include "oi/log.h"
#include "oi/mem.h"
#include "calls.h"
#include "job_policy.h"
#include "oi/pg.h"
#include "oneinbox/v1/dispatch.pb-c.h"
#include "oneinbox/v1/envelope.pb-c.h"
#include "metadata_secrets.h"
#include "oneinbox/v1/provisioning.pb-c.h"

/* rows found by id compare their workspace with IS TRUE: never an index condition, so generic
 * plans take the primary key, not the workspace's keyset index */
#define INTEGRATION_COLS "id, workspace_id, name, provider, metadata::text AS metadata, created_at, updated_at"
#define LIST_MAX 100

static char *time_text(const PGresult *res, int row, const char *col)
{
    char out[32] = "";
    const char *v = oi_pg_get(res, row, col);
    if (!v || !oi_clock_pg_to_rfc3339(v, out, sizeof out))
        out[0] = '\0';
    return oi_xstrdup(out);
}

static Oneinbox__V1__Integration *to_proto(const PGresult *res, int row)
{
    Oneinbox__V1__Integration *m = oi_xmalloc(sizeof *m);
    oneinbox__v1__integration__init(m);
    m->id = oi_pg_dup(res, row, "id");
    m->workspace_id = oi_pg_dup(res, row, "workspace_id");
    m->name = oi_pg_dup(res, row, "name");
    m->provider = prov_provider_parse(oi_pg_get(res, row, "provider"));
    m->metadata_json = oi_pg_dup(res, row, "metadata");
    m->created_at = time_text(res, row, "created_at");
    m->updated_at = time_text(res, row, "updated_at");
    return m;
}

static oi_status_t validate_create(const Oneinbox__V1__CreateIntegrationRequest *r, oi_error_t *err)
{
    size_t n = strlen(r->name);
    if (n < 1 || n > 255) {
        oi_error_set(err, OI_INVALID, "name must be 1..255 characters");
        oi_error_set_loc(err, "body.name");
        return OI_INVALID;
    }
    if (r->provider != ONEINBOX__V1__PROVIDER__PROVIDER_TWILIO && r->provider != ONEINBOX__V1__PROVIDER__PROVIDER_TELNYX) {
        oi_error_set(err, OI_INVALID, "provider must be twilio or telnyx");
        oi_error_set_loc(err, "body.provider");
        return OI_INVALID;
    }
    if (!r->api_key[0] || strlen(r->api_key) > 1024) {
        oi_error_set(err, OI_INVALID, "api_key is required (at most 1024 characters)");
        oi_error_set_loc(err, "body.api_key");
        return OI_INVALID;
    }
    return OI_OK;
}

static oi_status_t created_reply(const prov_call_t *c, PGresult *const *res, size_t n, ProtobufCMessage **reply,
                                 oi_error_t *err)
{
    (void)c;
    if (n != 1 || PQntuples(res[0]) != 1)
        return oi_error_set(err, OI_INTERNAL, "integration not stored");
    *reply = &to_proto(res[0], 0)->base;
    return OI_OK;
}

static const oi_pg_stmt_t CREATE = {
    "prov_integration_create",
    "INSERT INTO provisioning.integrations (id, workspace_id, name, provider, api_key_sealed, sip_password_sealed, "
    "metadata, metadata_secrets_sealed) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8) RETURNING " INTEGRATION_COLS,
    8};

void prov_integration_create(oi_rpc_call_t *call, const oi_rpc_ctx_t *ctx, const ProtobufCMessage *req)
{
    prov_t *p = ctx->ud;
    const Oneinbox__V1__CreateIntegrationRequest *r = (const Oneinbox__V1__CreateIntegrationRequest *)req;
    oi_error_t err;
    oi_error_init(&err);
    if (!oi_uuid_valid(ctx->workspace_id)) {
        oi_error_set(&err, OI_UNAUTHORIZED, "workspace required");
        prov_call_fail(call, OI_UNAUTHORIZED, &err);
        return;
    }
    char *stored = NULL, *secrets = NULL, *password = NULL;
    oi_status_t rc = validate_create(r, &err);
    if (!rc)
        rc = prov_metadata_split(r->metadata_json, &stored, &secrets, &password, &err);
    if (rc) {
        prov_call_fail(call, rc, &err);
        return;
    }
    char id[OI_UUID_STR_LEN + 1];
    oi_uuid_new(id);
    char *key_sealed = prov_integration_seal(p, id, "api_key_sealed", r->api_key);
    char *pw_sealed = password ? prov_integration_seal(p, id, "sip_password_sealed", password) : NULL;
    char *secrets_sealed = secrets ? prov_integration_seal(p, id, "metadata_secrets_sealed", secrets) : NULL;
    oi_crypto_free_secret(password);
    oi_crypto_free_secret(secrets);
    const char *params[] = {id,        ctx->workspace_id, r->name, prov_provider_name(r->provider),
                            key_sealed, pw_sealed,        stored,  secrets_sealed};
    oi_pg_pipeline_exec(p->pg, &CREATE, params, prov_call_done, prov_call_new(call, created_reply, 0));
    oi_log_info(&(oi_log_ctx_t){.request_id = ctx->request_id, .action = "creating an integration"},
                "integration %s (%s) submitted", id, prov_provider_name(r->provider));
    free(stored);
    free(key_sealed);
    free(pw_sealed);
    free(secrets_sealed);
}

static const oi_pg_stmt_t GET = {
    "prov_integration_get",
    "SELECT " INTEGRATION_COLS " FROM provisioning.integrations WHERE id = $1::uuid AND (workspace_id = $2::uuid) IS TRUE AND "
    "deleted_at IS NULL",
    2};

static oi_status_t one_reply(const prov_call_t *c, PGresult *const *res, size_t n, ProtobufCMessage **reply,
                             oi_error_t *err)
{
    (void)c;
    if (n != 1 || PQntuples(res[0]) != 1)
        return oi_error_set(err, OI_INTEGRATION_NOT_FOUND, NULL);
    *reply = &to_proto(res[0], 0)->base;
    return OI_OK;
}

void prov_integration_get(oi_rpc_call_t *call, const oi_rpc_ctx_t *ctx, const ProtobufCMessage *req)
{
    prov_t *p = ctx->ud;
    const Oneinbox__V1__IntegrationIdRequest *r = (const Oneinbox__V1__IntegrationIdRequest *)req;
    if (!oi_uuid_valid(ctx->workspace_id) || !oi_uuid_valid(r->id)) {
        prov_call_fail(call, OI_INTEGRATION_NOT_FOUND, NULL);
        return;
    }
    const char *params[] = {r->id, ctx->workspace_id};
    oi_pg_pipeline_exec(p->pg, &GET, params, prov_call_done, prov_call_new(call, one_reply, 0));
}

static const oi_pg_stmt_t LIST = {
    "prov_integration_list",
    "SELECT " INTEGRATION_COLS " FROM provisioning.integrations i WHERE workspace_id = $1::uuid AND deleted_at IS "
    "NULL AND ($2::uuid IS NULL OR (created_at, id) > (SELECT created_at, id FROM provisioning.integrations WHERE "
    "id = $2::uuid)) ORDER BY created_at, id LIMIT $3::int",
    3};

static oi_status_t list_reply(const prov_call_t *c, PGresult *const *res, size_t n, ProtobufCMessage **reply,
                              oi_error_t *err)
{
    (void)err;
    int limit = (int)prov_call_arg(c);
    Oneinbox__V1__ListIntegrationsReply *out = oi_xmalloc(sizeof *out);
    oneinbox__v1__list_integrations_reply__init(out);
    int rows = n == 1 ? PQntuples(res[0]) : 0;
    int take = rows > limit ? limit : rows;
    out->integrations = oi_xcalloc((size_t)take + 1, sizeof *out->integrations);
    for (int i = 0; i < take; i++)
        out->integrations[out->n_integrations++] = to_proto(res[0], i);
    out->next_cursor = oi_xstrdup(rows > limit ? oi_pg_get(res[0], take - 1, "id") : "");
    *reply = &out->base;
    return OI_OK;
}

void prov_integration_list(oi_rpc_call_t *call, const oi_rpc_ctx_t *ctx, const ProtobufCMessage *req)
{
    prov_t *p = ctx->ud;
    const Oneinbox__V1__ListRequest *r = (const Oneinbox__V1__ListRequest *)req;
    int limit = r->limit <= 0 ? 20 : r->limit;
    oi_error_t err;
    oi_error_init(&err);
    if (limit > LIST_MAX || !oi_uuid_valid(ctx->workspace_id) || (r->cursor[0] && !oi_uuid_valid(r->cursor))) {
        oi_error_set(&err, OI_INVALID, r->cursor[0] && !oi_uuid_valid(r->cursor) ? "invalid cursor"
                                                                                   : "limit must be 1..100");
        prov_call_fail(call, OI_INVALID, &err);
        return;
    }
    char lim[16];
    snprintf(lim, sizeof lim, "%d", limit + 1);
    const char *params[] = {ctx->workspace_id, r->cursor[0] ? r->cursor : NULL, lim};
    oi_pg_pipeline_exec_planned(p->pg, &LIST, params, prov_call_done, prov_call_new(call, list_reply, limit));
}

static const oi_pg_stmt_t DELETE = {
    "prov_integration_delete",
    "UPDATE provisioning.integrations SET deleted_at = clock_timestamp(), api_key_sealed = '', sip_password_sealed = "
    "NULL, metadata_secrets_sealed = "
    "NULL, updated_at = clock_timestamp() WHERE id = $1::uuid AND (workspace_id = $2::uuid) IS TRUE AND deleted_at IS NULL "
    "RETURNING id",
    2};

static oi_status_t deleted_reply(const prov_call_t *c, PGresult *const *res, size_t n, ProtobufCMessage **reply,
                                 oi_error_t *err)
{
    (void)c;
    if (n != 1 || PQntuples(res[0]) != 1)
        return oi_error_set(err, OI_INTEGRATION_NOT_FOUND, NULL);
    *reply = prov_empty_new();
    return OI_OK;
}

void prov_integration_delete(oi_rpc_call_t *call, const oi_rpc_ctx_t *ctx, const ProtobufCMessage *req)
{
    prov_t *p = ctx->ud;
    const Oneinbox__V1__IntegrationIdRequest *r = (const Oneinbox__V1__IntegrationIdRequest *)req;
    if (!oi_uuid_valid(ctx->workspace_id) || !oi_uuid_valid(r->id)) {
        prov_call_fail(call, OI_INTEGRATION_NOT_FOUND, NULL);
        return;
    }
    const char *params[] = {r->id, ctx->workspace_id};
    oi_pg_pipeline_exec(p->pg, &DELETE, params, prov_call_done, prov_call_new(call, deleted_reply, 0));
}

static char *first_string(json_t *j, const char *const *keys, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *v = json_string_value(json_object_get(j, keys[i]));
        if (v && v[0])
            return oi_xstrdup(v);
    }
    return NULL;
}

static const oi_pg_stmt_t SIP_LOAD = {
    "prov_integration_sip_load",
    "SELECT id::text AS id, metadata::text AS metadata, sip_password_sealed FROM provisioning.integrations "
    "WHERE id = $1::uuid AND "
    "(workspace_id = $2::uuid) IS TRUE AND deleted_at IS NULL",
    2};

void prov_integration_sip_load(prov_t *p, const char *ws, const char *id, oi_pg_done_cb cb, void *ud)
{
    const char *params[] = {id, ws};
    oi_pg_pipeline_exec(p->pg, &SIP_LOAD, params, cb, ud);
}

oi_status_t prov_integration_sip_from_row(prov_t *p, const PGresult *res, prov_integration_sip_t *out,
                                          oi_error_t *err)
{
    memset(out, 0, sizeof *out);
    if (!res || PQntuples(res) != 1)
        return oi_error_set(err, OI_INTEGRATION_NOT_FOUND, NULL);
    json_t *j = json_loads(oi_pg_get(res, 0, "metadata"), 0, NULL);
    static const char *const addr_keys[] = {"sip_trunk", "trunk_address"};
    static const char *const user_keys[] = {"sip_username", "auth_username", "username"};
    out->trunk_address = first_string(j, addr_keys, 2);
    out->auth_username = first_string(j, user_keys, 3);
    json_decref(j);
    const char *sealed = oi_pg_get(res, 0, "sip_password_sealed");
    if (sealed && sealed[0])
        out->auth_password = prov_integration_open(p, oi_pg_get(res, 0, "id"), "sip_password_sealed", sealed);
    return OI_OK;
}

void prov_integration_sip_cleanup(prov_integration_sip_t *s)
{
    OI_FREE(s->trunk_address);
    OI_FREE(s->auth_username);
    oi_crypto_free_secret(s->auth_password);
    s->auth_password = NULL;
}
