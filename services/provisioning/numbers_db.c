/* numbers_db.c: phone_numbers SQL and the PhoneNumber proto. */
#include "numbers_db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oi/clock.h"
#include "oi/mem.h"
#include "oi/pg.h"

static Oneinbox__V1__OptString *opt_col(const PGresult *res, int row, const char *col)
{
    const char *v = oi_pg_get(res, row, col);
    if (!v)
        return NULL;
    Oneinbox__V1__OptString *o = oi_xmalloc(sizeof *o);
    oneinbox__v1__opt_string__init(o);
    o->value = oi_xstrdup(v);
    return o;
}

static char *str_col(const PGresult *res, int row, const char *col)
{
    const char *v = oi_pg_get(res, row, col);
    return oi_xstrdup(v ? v : "");
}

static char *time_col(const PGresult *res, int row, const char *col)
{
    char out[32] = "";
    const char *v = oi_pg_get(res, row, col);
    if (v && !oi_clock_pg_to_rfc3339(v, out, sizeof out))
        out[0] = '\0';
    return oi_xstrdup(out);
}

Oneinbox__V1__PhoneNumber *prov_number_to_proto(const PGresult *res, int row)
{
    Oneinbox__V1__PhoneNumber *n = oi_xmalloc(sizeof *n);
    oneinbox__v1__phone_number__init(n);
    n->id = str_col(res, row, "id");
    n->workspace_id = str_col(res, row, "workspace_id");
    n->phone_number = str_col(res, row, "phone_number");
    n->friendly_name = opt_col(res, row, "friendly_name");
    n->provider = str_col(res, row, "provider");
    n->agent_id = str_col(res, row, "agent_id");
    const char *st = oi_pg_get(res, row, "status");
    n->status = oi_xstrdup(st && strcmp(st, "provisioning") == 0 ? "inactive" : (st ? st : "inactive"));
    n->inbound_trunk_id = opt_col(res, row, "inbound_trunk_id");
    n->outbound_trunk_id = opt_col(res, row, "outbound_trunk_id");
    n->dispatch_rule_id = opt_col(res, row, "dispatch_rule_id");
    prov_routing_t r;
    if (prov_routing_from_json_text(&r, oi_pg_get(res, row, "inbound_routing"), NULL) == OI_OK)
        n->inbound_routing = prov_routing_to_proto(&r);
    prov_routing_cleanup(&r);
    const char *sms = oi_pg_get(res, row, "sms_capable");
    if (sms) {
        n->sms_capable = oi_xmalloc(sizeof *n->sms_capable);
        oneinbox__v1__opt_bool__init(n->sms_capable);
        n->sms_capable->value = sms[0] == 't';
    }
    n->created_at = time_col(res, row, "created_at");
    n->updated_at = time_col(res, row, "updated_at");
    n->origin = str_col(res, row, "origin");
    n->carrier_number_id = str_col(res, row, "carrier_number_id");
    return n;
}

oi_status_t prov_number_load(PGconn *c, const char *workspace_id, const char *id, bool visible_only,
                             PGresult **out, oi_error_t *err)
{
    *out = NULL;
    const char *sql = visible_only ? "SELECT " PROV_NUMBER_COLS " FROM provisioning.phone_numbers "
                                     "WHERE id = $1::uuid AND ($2::uuid IS NULL OR workspace_id = $2::uuid) "
                                     "AND deleted_at IS NULL AND status <> 'provisioning'"
                                   : "SELECT " PROV_NUMBER_COLS " FROM provisioning.phone_numbers "
                                     "WHERE id = $1::uuid AND ($2::uuid IS NULL OR workspace_id = $2::uuid)";
    const char *params[] = {id, workspace_id};
    PGresult *res = NULL;
    oi_status_t rc = oi_pg_exec(c, sql, 2, params, &res, err);
    if (rc)
        return rc;
    if (PQntuples(res) != 1) {
        PQclear(res);
        return oi_error_set(err, OI_NUMBER_NOT_FOUND, "phone number %s not found", id);
    }
    *out = res;
    return OI_OK;
}

static char *routing_text(const prov_routing_t *r)
{
    json_t *j = prov_routing_to_json(r);
    if (!j)
        return NULL;
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    return s;
}

oi_status_t prov_number_reserve(PGconn *c, const prov_number_row_t *r, oi_error_t *err)
{
    char *routing = routing_text(r->routing);
    const char *params[] = {r->id, r->workspace_id, r->phone_number, r->friendly_name, r->provider,
                            r->agent_id, r->origin, r->inbound_trunk_id, r->outbound_trunk_id,
                            r->dispatch_rule_id, routing, r->job_id};
    PGresult *res = NULL;
    oi_error_t local;
    oi_error_init(&local);
    oi_status_t rc = oi_pg_exec(c,
                                "INSERT INTO provisioning.phone_numbers (id, workspace_id, phone_number, "
                                "friendly_name, provider, agent_id, status, origin, inbound_trunk_id, "
                                "outbound_trunk_id, dispatch_rule_id, inbound_routing, job_id) VALUES ($1, $2, "
                                "$3, $4, $5, $6, 'provisioning', $7, $8, $9, $10, $11::jsonb, $12) "
                                "ON CONFLICT (id) DO NOTHING RETURNING id",
                                12, params, &res, &local);
    free(routing);
    if (rc == OI_CONFLICT && strstr(local.loc, "phone_numbers_live_number"))
        return oi_error_set(err, OI_PHONE_NUMBER_EXISTS, "phone number %s is already registered", r->phone_number);
    if (rc) {
        oi_error_set_code(err, local.status, local.code, local.message);
        return rc;
    }
    bool inserted = PQntuples(res) == 1;
    PQclear(res);
    if (inserted)
        return OI_OK;
    /* the id exists: a resumed step. It must still be this job's live reservation. */
    const char *p2[] = {r->id, r->phone_number};
    rc = oi_pg_exec(c,
                    "SELECT 1 FROM provisioning.phone_numbers WHERE id = $1 AND phone_number = $2 "
                    "AND deleted_at IS NULL",
                    2, p2, &res, err);
    if (rc)
        return rc;
    bool ours = PQntuples(res) == 1;
    PQclear(res);
    return ours ? OI_OK : oi_error_set(err, OI_CONFLICT, "number id %s is taken by another number", r->id);
}

oi_status_t prov_number_activate(PGconn *c, const char *id, int sms, const char *carrier_number_id,
                                 const char *carrier_trunk_id, oi_error_t *err)
{
    const char *params[] = {id, sms < 0 ? NULL : (sms ? "true" : "false"), carrier_number_id, carrier_trunk_id};
    return oi_pg_exec(c,
                      "UPDATE provisioning.phone_numbers SET status = 'active', sms_capable = $2::boolean, "
                      "carrier_number_id = COALESCE($3, carrier_number_id), carrier_trunk_id = COALESCE($4, "
                      "carrier_trunk_id), updated_at = clock_timestamp() WHERE id = $1 AND deleted_at IS NULL",
                      4, params, NULL, err);
}

oi_status_t prov_number_unreserve(PGconn *c, const char *id, oi_error_t *err)
{
    const char *params[] = {id};
    return oi_pg_exec(c, "DELETE FROM provisioning.phone_numbers WHERE id = $1 AND status = 'provisioning'", 1,
                      params, NULL, err);
}

oi_status_t prov_number_soft_delete(PGconn *c, const char *id, oi_error_t *err)
{
    const char *params[] = {id};
    return oi_pg_exec(c,
                      "UPDATE provisioning.phone_numbers SET deleted_at = clock_timestamp(), status = 'inactive', "
                      "updated_at = clock_timestamp() WHERE id = $1 AND deleted_at IS NULL",
                      1, params, NULL, err);
}

oi_status_t prov_number_apply_patch(PGconn *c, const char *id, const prov_merge_t *m, const char *inbound_trunk_id,
                                    const char *dispatch_rule_id, oi_error_t *err)
{
    char *routing = routing_text(&m->routing);
    const char *params[] = {id,
                            m->friendly_name_set ? "t" : "f",
                            m->friendly_name,
                            m->agent_id,
                            routing,
                            m->routing.present ? inbound_trunk_id : NULL,
                            m->routing.present ? dispatch_rule_id : NULL};
    oi_status_t rc = oi_pg_exec(c,
                                "UPDATE provisioning.phone_numbers SET friendly_name = CASE WHEN $2::boolean "
                                "THEN $3 ELSE friendly_name END, agent_id = $4::uuid, inbound_routing = "
                                "$5::jsonb, inbound_trunk_id = $6, dispatch_rule_id = $7, updated_at = "
                                "clock_timestamp() WHERE id = $1 AND deleted_at IS NULL",
                                7, params, NULL, err);
    free(routing);
    return rc;
}
