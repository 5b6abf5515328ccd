/* api_keys.c: POST/GET/DELETE /v1/api-keys. Keys are "oi_sk_" + 48 hex, shown once, stored as
 * SHA-256. The admin token creates a workspace (by name) on first use. A listing shows who made
 * each key and when it was last used, so a leaked key cannot mint keys nobody sees. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "audit.h"
#include "gw.h"
#include "oi/clock.h"
#include "oi/crypto.h"
#include "oi/ids.h"
#include "oi/mem.h"

typedef struct {
    char *name;        /* owned */
    char *workspace;   /* owned; admin only */
    char id[37];
    char workspace_id[37];
    char *key;         /* owned; plaintext shown once */
    char created_at[32];
} key_create_t;

static void key_create_free(void *p)
{
    key_create_t *k = p;
    free(k->name);
    free(k->workspace);
    if (k->key)
        oi_crypto_free_secret(k->key);
    free(k);
}

static oi_status_t ensure_workspace(PGconn *c, key_create_t *k, oi_error_t *err)
{
    char id[37];
    oi_uuid_new(id);
    const char *params[] = {id, k->workspace};
    PGresult *res = NULL;
    oi_status_t rc = oi_pg_exec(c, "INSERT INTO gateway.workspaces(id, name) VALUES ($1, $2) "
                       "ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING id::text",
                    2, params, &res, err);
    if (rc)
        return rc;
    snprintf(k->workspace_id, sizeof k->workspace_id, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    return OI_OK;
}

static oi_status_t create_key(gw_req_t *r, PGconn *c, void *arg, oi_error_t *err)
{
    key_create_t *k = arg;
    oi_status_t rc = OI_OK;
    if (k->workspace)
        rc = ensure_workspace(c, k, err);
    else
        snprintf(k->workspace_id, sizeof k->workspace_id, "%s", r->workspace_id);
    if (rc)
        return rc;
    oi_uuid_new(k->id);
    k->key = oi_random_token("oi_sk_", 24);
    char hash[65], prefix[16];
    oi_sha256_hex(k->key, strlen(k->key), hash);
    snprintf(prefix, sizeof prefix, "%.10s", k->key);
    char by[300];
    gw_caller_name(r, by, sizeof by);
    const char *params[] = {k->id, k->workspace_id, k->name, hash, prefix, by};
    PGresult *res = NULL;
    rc = oi_pg_exec(c, "INSERT INTO gateway.api_keys(id, workspace_id, name, key_hash, key_prefix, created_by) "
                       "VALUES ($1, $2, $3, $4, $5, $6) RETURNING created_at",
                    6, params, &res, err);
    if (rc)
        return rc;
    oi_clock_pg_to_rfc3339(PQgetvalue(res, 0, 0), k->created_at, sizeof k->created_at);
    PQclear(res);
    return OI_OK;
}

static void on_created(gw_req_t *r, oi_status_t st, const oi_error_t *err, void *arg)
{
    key_create_t *k = arg;
    if (st) {
        gw_respond_error(r, err);
        return;
    }
    gw_respond_json(r, 201, NULL,
                    json_pack("{ss ss ss ss ss}", "id", k->id, "key", k->key, "workspace_id", k->workspace_id, "name",
                              k->name, "created_at", k->created_at));
}

void gw_api_keys_create(gw_req_t *r)
{
    oi_validation_t *v = gw_req_validation(r);
    oi_loc_t loc = oi_loc_root("body");
    if (!oi_v_object(v, &loc, r->body)) {
        gw_respond_validation(r);
        return;
    }
    const char *name = oi_v_string(v, &loc, r->body, "name", OI_V_REQUIRED, 1, 255, NULL);
    const char *workspace = oi_v_string(v, &loc, r->body, "workspace", r->caller == GW_CALLER_ADMIN ? OI_V_REQUIRED : 0,
                                        1, 255, NULL);
    if (oi_validation_count(v)) {
        gw_respond_validation(r);
        return;
    }
    key_create_t *k = oi_xcalloc(1, sizeof *k);
    k->name = oi_xstrdup(name);
    k->workspace = r->caller == GW_CALLER_ADMIN ? oi_xstrdup(workspace) : NULL;
    r->scratch = k; /* owned by the request: freed with it, after the answer is written */
    r->scratch_free = key_create_free;
    gw_audit_begin(r, "api_key", "api_key.created", NULL); /* the key itself is a secret: redacted */
    gw_db(r, create_key, k, on_created);
}

typedef struct {
    char id[37];
    bool found;
    char workspace_id[37]; /* the key's, for its audit event */
    char name[256];
} key_revoke_t;

static oi_status_t revoke_key(gw_req_t *r, PGconn *c, void *arg, oi_error_t *err)
{
    key_revoke_t *k = arg;
    const char *params[] = {k->id, r->workspace_id};
    PGresult *res = NULL;
    oi_status_t rc = oi_pg_exec(c, r->caller == GW_CALLER_ADMIN
                                       ? "UPDATE gateway.api_keys SET revoked_at = now() WHERE id = $1 "
                                         "AND revoked_at IS NULL RETURNING workspace_id::text, name"
                                       : "UPDATE gateway.api_keys SET revoked_at = now() WHERE id = $1 "
                                         "AND workspace_id = $2::uuid AND revoked_at IS NULL "
                                         "RETURNING workspace_id::text, name",
                                r->caller == GW_CALLER_ADMIN ? 1 : 2, params, &res, err);
    if (rc)
        return rc;
    k->found = PQntuples(res) == 1;
    if (k->found) {
        snprintf(k->workspace_id, sizeof k->workspace_id, "%s", PQgetvalue(res, 0, 0));
        snprintf(k->name, sizeof k->name, "%s", PQgetvalue(res, 0, 1));
    }
    PQclear(res);
    return OI_OK;
}

static void on_revoked(gw_req_t *r, oi_status_t st, const oi_error_t *err, void *arg)
{
    key_revoke_t *k = arg;
    if (st)
        gw_respond_error(r, err);
    else if (!k->found)
        gw_respond_status(r, OI_API_KEY_NOT_FOUND, NULL);
    else {
        gw_auth_cache_forget_key(r->gw->auth, k->id);
        gw_audit_begin(r, "api_key", "api_key.deleted", k->id);
        gw_audit_workspace(r, k->workspace_id);
        gw_audit_before(r, json_pack("{ssss}", "id", k->id, "name", k->name));
        gw_respond_json(r, 204, NULL, NULL);
    }
    free(k);
}

void gw_api_keys_delete(gw_req_t *r)
{
    key_revoke_t *k = oi_xcalloc(1, sizeof *k);
    if (!gw_req_path_uuid(r, "key_id", k->id)) {
        free(k);
        return;
    }
    gw_db(r, revoke_key, k, on_revoked);
}

/* --- GET /v1/api-keys ------------------------------------------------------------------------- */

typedef struct {
    char workspace[256]; /* admin: the workspace's name; "" for a workspace's own caller */
    char cursor[40];
    int limit;
    PGresult *res;       /* owned */
} key_list_t;

static void key_list_free(void *p)
{
    key_list_t *l = p;
    if (l->res)
        PQclear(l->res);
    free(l);
}

#define KEY_LIST_SQL(workspace)                                                                         \
    "SELECT k.id::text, k.name, k.key_prefix, k.created_by, "                                         \
    "to_char(k.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS created_at, "          \
    "to_char(k.last_used_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS last_used_at "     \
    "FROM gateway.api_keys k WHERE k.workspace_id = " workspace " AND k.revoked_at IS NULL AND "        \
    "($2::uuid IS NULL OR (k.created_at, k.id) > (SELECT created_at, id FROM gateway.api_keys WHERE id = " \
    "$2::uuid)) ORDER BY k.created_at, k.id LIMIT $3::int"

static oi_status_t list_keys(gw_req_t *r, PGconn *c, void *arg, oi_error_t *err)
{
    key_list_t *l = arg;
    char lim[16];
    snprintf(lim, sizeof lim, "%d", l->limit + 1);
    const char *params[] = {l->workspace[0] ? l->workspace : r->workspace_id, l->cursor[0] ? l->cursor : NULL, lim};
    return oi_pg_exec(c,
                      l->workspace[0] ? KEY_LIST_SQL("(SELECT id FROM gateway.workspaces WHERE name = $1)")
                                      : KEY_LIST_SQL("$1::uuid"),
                      3, params, &l->res, err);
}

static void on_listed(gw_req_t *r, oi_status_t st, const oi_error_t *err, void *arg)
{
    key_list_t *l = arg;
    if (st) {
        gw_respond_error(r, err);
        return;
    }
    int rows = PQntuples(l->res), take = rows > l->limit ? l->limit : rows;
    json_t *arr = json_array();
    for (int i = 0; i < take; i++) {
        const char *used = PQgetisnull(l->res, i, 5) ? NULL : PQgetvalue(l->res, i, 5);
        json_array_append_new(arr, json_pack("{ss ss ss ss ss so}", "id", PQgetvalue(l->res, i, 0), "name",
                                             PQgetvalue(l->res, i, 1), "prefix", PQgetvalue(l->res, i, 2),
                                             "created_by", PQgetvalue(l->res, i, 3), "created_at",
                                             PQgetvalue(l->res, i, 4), "last_used_at",
                                             used ? json_string(used) : json_null()));
    }
    gw_respond_list(r, arr, rows > l->limit ? PQgetvalue(l->res, take - 1, 0) : NULL);
}

void gw_api_keys_list(gw_req_t *r)
{
    int limit;
    char cursor[256];
    if (!gw_list_params(r, &limit, cursor, sizeof cursor))
        return;
    key_list_t *l = oi_xcalloc(1, sizeof *l);
    r->scratch = l;
    r->scratch_free = key_list_free;
    l->limit = limit;
    oi_validation_t *v = gw_req_validation(r);
    oi_loc_t loc = oi_loc_root("query");
    gw_list_uuid_cursor(r, cursor, l->cursor);
    bool named = gw_query_param(v, oi_http_req_query(r->http), "workspace", l->workspace, sizeof l->workspace);
    if (r->caller == GW_CALLER_ADMIN && !named && !oi_validation_count(v)) {
        oi_loc_t l_ws = oi_loc_key(&loc, "workspace");
        oi_validation_add(v, &l_ws, "missing", "Field required", NULL, NULL);
    }
    if (r->caller != GW_CALLER_ADMIN)
        l->workspace[0] = '\0'; /* a workspace's own caller sees its own keys, whatever it names */
    if (oi_validation_count(v)) {
        gw_respond_validation(r);
        return;
    }
    if (l->workspace[0]) { /* the next page's Link names the workspace too */
        static const char head[] = "&workspace=";
        memcpy(r->list_query, head, sizeof head);
        gw_query_encode(l->workspace, r->list_query + sizeof head - 1, sizeof r->list_query - (sizeof head - 1));
    }
    gw_db(r, list_keys, l, on_listed);
}
