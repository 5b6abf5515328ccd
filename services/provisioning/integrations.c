/* integrations.c: integrations CRUD (workspace scoped, secrets sealed). */
#define OI_LOG_TAG "prov.integrations"
#include "integrations.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oi/clock.h"
#include "oi/crypto.h"
#include "oi/ids.h"
#include "oi/log.h"
#include "oi/mem.h"
#include "oi/pg.h"
#include "oneinbox/v1/dispatch.pb-c.h"
#include "oneinbox/v1/envelope.pb-c.h"
#include "oneinbox/v1/provisioning.pb-c.h"

#define INTEGRATION_COLS "id, workspace_id, name, provider, metadata::text AS metadata, created_at, updated_at"
#define LIST_MAX 100

static bool secret_key(const char *k)
{
    static const char *const words[] = {"password", "api_key", "apikey", "secret", "token"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strcasestr(k, words[i]))
            return true;
    return false;
}

oi_status_t prov_integration_metadata_split(const char *metadata, char **stored, char **password, oi_error_t *err)
{
    *stored = NULL;
    *password = NULL;
    json_t *j = metadata && metadata[0] ? json_loads(metadata, 0, NULL) : json_object();
    if (!json_is_object(j)) {
        json_decref(j);
        oi_error_set(err, OI_INVALID, "metadata must be a JSON object");
        oi_error_set_loc(err, "body.metadata");
        return OI_INVALID;
    }
    static const char *const pw_keys[] = {"sip_password", "auth_password", "password"};
    for (size_t i = 0; i < 3 && !*password; i++) {
        const char *v = json_string_value(json_object_get(j, pw_keys[i]));
        if (v && v[0])
            *password = oi_xstrdup(v);
    }
    const char *k;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(j, tmp, k, v)
    {
        if (secret_key(k))
            json_object_del(j, k);
    }
    char *s = json_dumps(j, JSON_COMPACT);
    *stored = oi_xstrdup(s);
    free(s);
    json_decref(j);
    return OI_OK;
}

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
    m->provider = oi_pg_dup(res, row, "provider");
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
    if (strcmp(r->provider, "twilio") != 0 && strcmp(r->provider, "telnyx") != 0) {
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

oi_status_t prov_integration_create(const oi_rpc_ctx_t *ctx, const ProtobufCMessage *req, ProtobufCMessage **reply,
                                    oi_error_t *err)
{
    prov_t *p = ctx->ud;
    const Oneinbox__V1__CreateIntegrationRequest *r = (const Oneinbox__V1__CreateIntegrationRequest *)req;
    if (!oi_uuid_valid(ctx->workspace_id))
        return oi_error_set(err, OI_UNAUTHORIZED, "workspace required");
    oi_status_t rc = validate_create(r, err);
    if (rc)
        return rc;
    char *stored = NULL, *password = NULL, *key_sealed = NULL, *pw_sealed = NULL;
    PGconn *c = NULL;
    PGresult *res = NULL;
    rc = prov_integration_metadata_split(r->metadata_json, &stored, &password, err);
    if (rc)
        goto out;
    key_sealed = oi_crypto_seal(p->crypto, r->api_key);
    pw_sealed = password ? oi_crypto_seal(p->crypto, password) : NULL;
    char id[OI_UUID_STR_LEN + 1];
    oi_uuid_new(id);
    rc = prov_db_acquire(p, &c, err);
    if (rc)
        goto out;
    const char *params[] = {id, ctx->workspace_id, r->name, r->provider, key_sealed, pw_sealed, stored};
    rc = oi_pg_exec(c,
                    "INSERT INTO provisioning.integrations (id, workspace_id, name, provider, api_key_sealed, "
                    "sip_password_sealed, metadata) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb) RETURNING " INTEGRATION_COLS,
                    7, params, &res, err);
    if (rc)
        goto out;
    *reply = &to_proto(res, 0)->base;
    oi_log_info(&(oi_log_ctx_t){.request_id = ctx->request_id, .action = "creating an integration"},
                "integration %s (%s) created", id, r->provider);
out:
    PQclear(res);
    prov_db_release(p, &c);
    free(stored);
    free(key_sealed);
    free(pw_sealed);
    oi_crypto_free_secret(password);
    return rc;
}

static oi_status_t load_row(PGconn *c, const char *ws, const char *id, const char *cols, PGresult **res,
                            oi_error_t *err)
{
    if (!oi_uuid_valid(id))
        return oi_error_set(err, OI_INTEGRATION_NOT_FOUND, "integration %s not found", id);
    char *sql = oi_xasprintf("SELECT %s FROM provisioning.integrations WHERE id = $1::uuid AND workspace_id = "
                             "$2::uuid AND deleted_at IS NULL",
                             cols);
    const char *params[] = {id, ws};
    oi_status_t rc = oi_pg_exec(c, sql, 2, params, res, err);
    free(sql);
    if (rc)
        return rc;
    if (PQntuples(*res) != 1) {
        PQclear(*res);
        *res = NULL;
        return oi_error_set(err, OI_INTEGRATION_NOT_FOUND, "integration %s not found", id);
    }
    return OI_OK;
}

oi_status_t prov_integration_get(const oi_rpc_ctx_t *ctx, const ProtobufCMessage *req, ProtobufCMessage **reply,
                                 oi_error_t *err)
{
    prov_t *p = ctx->ud;
    const Oneinbox__V1__IntegrationIdRequest *r = (const Oneinbox__V1__IntegrationIdRequest *)req;
    if (!oi_uuid_valid(ctx->workspace_id))
        return oi_error_set(err, OI_INTEGRATION_NOT_FOUND, NULL);
    PGconn *c = NULL;
    PGresult *res = NULL;
    oi_status_t rc = prov_db_acquire(p, &c, err);
    if (!rc)
        rc = load_row(c, ctx->workspace_id, r->id, INTEGRATION_COLS, &res, err);
    if (!rc)
        *reply = &to_proto(res, 0)->base;
    PQclear(res);
    prov_db_release(p, &c);
    return rc;
}

oi_status_t prov_integration_list(const oi_rpc_ctx_t *ctx, const ProtobufCMessage *req, ProtobufCMessage **reply,
                                  oi_error_t *err)
{
    prov_t *p = ctx->ud;
    const Oneinbox__V1__ListRequest *r = (const Oneinbox__V1__ListRequest *)req;
    int limit = r->limit <= 0 ? 20 : r->limit;
    if (limit > LIST_MAX || !oi_uuid_valid(ctx->workspace_id))
        return oi_error_set(err, OI_INVALID, "limit must be 1..100");
    if (r->cursor[0] && !oi_uuid_valid(r->cursor))
        return oi_error_set(err, OI_INVALID, "invalid cursor");
    char lim[16];
    snprintf(lim, sizeof lim, "%d", limit + 1);
    const char *params[] = {ctx->workspace_id, r->cursor[0] ? r->cursor : NULL, lim};
    PGconn *c = NULL;
    PGresult *res = NULL;
    oi_status_t rc = prov_db_acquire(p, &c, err);
    if (!rc)
        rc = oi_pg_exec(c,
                        "SELECT " INTEGRATION_COLS " FROM provisioning.integrations i WHERE workspace_id = $1::uuid "
                        "AND deleted_at IS NULL AND ($2::uuid IS NULL OR (created_at, id) > (SELECT created_at, id "
                        "FROM provisioning.integrations WHERE id = $2::uuid)) ORDER BY created_at, id LIMIT $3::int",
                        3, params, &res, err);
    if (!rc) {
        Oneinbox__V1__ListIntegrationsReply *out = oi_xmalloc(sizeof *out);
        oneinbox__v1__list_integrations_reply__init(out);
        int n = PQntuples(res);
        int take = n > limit ? limit : n;
        out->integrations = oi_xcalloc((size_t)take + 1, sizeof *out->integrations);
        for (int i = 0; i < take; i++)
            out->integrations[out->n_integrations++] = to_proto(res, i);
        out->next_cursor = oi_xstrdup(n > limit ? oi_pg_get(res, take - 1, "id") : "");
        *reply = &out->base;
    }
    PQclear(res);
    prov_db_release(p, &c);
    return rc;
}

oi_status_t prov_integration_delete(const oi_rpc_ctx_t *ctx, const ProtobufCMessage *req, ProtobufCMessage **reply,
                                    oi_error_t *err)
{
    prov_t *p = ctx->ud;
    const Oneinbox__V1__IntegrationIdRequest *r = (const Oneinbox__V1__IntegrationIdRequest *)req;
    if (!oi_uuid_valid(ctx->workspace_id) || !oi_uuid_valid(r->id))
        return oi_error_set(err, OI_INTEGRATION_NOT_FOUND, NULL);
    PGconn *c = NULL;
    PGresult *res = NULL;
    const char *params[] = {r->id, ctx->workspace_id};
    oi_status_t rc = prov_db_acquire(p, &c, err);
    if (!rc)
        rc = oi_pg_exec(c,
                        "UPDATE provisioning.integrations SET deleted_at = clock_timestamp(), api_key_sealed = '', "
                        "sip_password_sealed = NULL, updated_at = clock_timestamp() WHERE id = $1::uuid AND "
                        "workspace_id = $2::uuid AND deleted_at IS NULL RETURNING id",
                        2, params, &res, err);
    if (!rc && PQntuples(res) != 1)
        rc = oi_error_set(err, OI_INTEGRATION_NOT_FOUND, "integration %s not found", r->id);
    if (!rc) {
        Oneinbox__V1__Empty *e = oi_xmalloc(sizeof *e);
        oneinbox__v1__empty__init(e);
        *reply = &e->base;
    }
    PQclear(res);
    prov_db_release(p, &c);
    return rc;
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

oi_status_t prov_integration_sip_load(prov_t *p, PGconn *c, const char *ws, const char *id,
                                      prov_integration_sip_t *out, oi_error_t *err)
{
    memset(out, 0, sizeof *out);
    PGresult *res = NULL;
    oi_status_t rc = load_row(c, ws, id, "metadata::text AS metadata, sip_password_sealed", &res, err);
    if (rc)
        return rc;
    json_t *j = json_loads(oi_pg_get(res, 0, "metadata"), 0, NULL);
    static const char *const addr_keys[] = {"sip_trunk", "trunk_address"};
    static const char *const user_keys[] = {"sip_username", "auth_username", "username"};
    out->trunk_address = first_string(j, addr_keys, 2);
    out->auth_username = first_string(j, user_keys, 3);
    json_decref(j);
    const char *sealed = oi_pg_get(res, 0, "sip_password_sealed");
    if (sealed && sealed[0])
        out->auth_password = oi_crypto_open(p->crypto, sealed);
    PQclear(res);
    return OI_OK;
}

void prov_integration_sip_cleanup(prov_integration_sip_t *s)
{
    OI_FREE(s->trunk_address);
    OI_FREE(s->auth_username);
    oi_crypto_free_secret(s->auth_password);
    s->auth_password = NULL;
}
