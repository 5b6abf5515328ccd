/* numbers_db.c: phone_numbers statements and the PhoneNumber proto. */
#include "numbers_db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oi/clock.h"
#include "oi/mem.h"
#include "oi/pg.h"

/* --- rows → protos ------------------------------------------------------------------------------ */

static const char *col(const PGresult *res, int row, const char *prefix, const char *name)
{
    if (!prefix[0])
        return oi_pg_get(res, row, name);
    char full[64];
    snprintf(full, sizeof full, "%s%s", prefix, name);
    return oi_pg_get(res, row, full);
}

static Oneinbox__V1__OptString *opt_str(const char *v)
{
    if (!v)
        return NULL;
    Oneinbox__V1__OptString *o = oi_xmalloc(sizeof *o);
    oneinbox__v1__opt_string__init(o);
    o->value = oi_xstrdup(v);
    return o;
}

static char *str_or_empty(const char *v) { return oi_xstrdup(v ? v : ""); }

static char *time_text(const char *v)
{
    char out[32] = "";
    if (v && !oi_clock_pg_to_rfc3339(v, out, sizeof out))
        out[0] = '\0';
    return oi_xstrdup(out);
}

/* A row's place in its lifecycle, as the API names it: a deleted row is released whatever its
 * last status was (registered numbers deleted before quarantine existed kept "inactive"). */
static const char *api_status(const char *st, const char *deleted_at)
{
    if (deleted_at)
        return "released";
    return st ? st : "active";
}

Oneinbox__V1__PhoneNumber *prov_number_to_proto(const PGresult *res, int row, const char *prefix)
{
    prov_routing_t r;
    bool parsed = prov_routing_from_json_text(&r, col(res, row, prefix, "inbound_routing"), NULL) == OI_OK;
    Oneinbox__V1__PhoneNumber *n = prov_number_to_proto_with(res, row, prefix, parsed ? &r : NULL);
    prov_routing_cleanup(&r);
    return n;
}

Oneinbox__V1__PhoneNumber *prov_number_to_proto_with(const PGresult *res, int row, const char *prefix,
                                                     const prov_routing_t *routing)
{
    const char *id = col(res, row, prefix, "id");
    if (!id)
        return NULL;
    Oneinbox__V1__PhoneNumber *n = oi_xmalloc(sizeof *n);
    oneinbox__v1__phone_number__init(n);
    n->id = oi_xstrdup(id);
    n->workspace_id = str_or_empty(col(res, row, prefix, "workspace_id"));
    n->phone_number = str_or_empty(col(res, row, prefix, "phone_number"));
    n->friendly_name = opt_str(col(res, row, prefix, "friendly_name"));
    n->provider = prov_provider_parse(col(res, row, prefix, "provider"));
    n->agent_id = str_or_empty(col(res, row, prefix, "agent_id"));
    n->status = oi_xstrdup(api_status(col(res, row, prefix, "status"), col(res, row, prefix, "deleted_at")));
    n->release_at = time_text(col(res, row, prefix, "release_after"));
    if (routing)
        n->inbound_routing = prov_routing_to_proto(routing);
    if (n->inbound_routing) { /* the ids of the routing in force; kept, but not shown, without one */
        n->inbound_trunk_id = opt_str(col(res, row, prefix, "inbound_trunk_id"));
        n->dispatch_rule_id = opt_str(col(res, row, prefix, "dispatch_rule_id"));
    }
    n->outbound_trunk_id = opt_str(col(res, row, prefix, "outbound_trunk_id"));
    const char *sms = col(res, row, prefix, "sms_capable");
    if (sms) {
        n->sms_capable = oi_xmalloc(sizeof *n->sms_capable);
        oneinbox__v1__opt_bool__init(n->sms_capable);
        n->sms_capable->value = sms[0] == 't';
    }
    n->created_at = time_text(col(res, row, prefix, "created_at"));
    n->updated_at = time_text(col(res, row, prefix, "updated_at"));
    n->origin = str_or_empty(col(res, row, prefix, "origin"));
    n->carrier_number_id = str_or_empty(col(res, row, prefix, "carrier_number_id"));
    const char *version = col(res, row, prefix, "version");
    n->version = version ? strtoll(version, NULL, 10) : 0;
    return n;
}

oi_status_t prov_number_routing(const PGresult *res, int row, prov_routing_t *out, oi_error_t *err)
{
    return prov_routing_from_json_text(out, oi_pg_get(res, row, "inbound_routing"), err);
}

long long prov_number_version(const PGresult *res, int row)
{
    const char *v = oi_pg_get(res, row, "version");
    return v ? strtoll(v, NULL, 10) : 0;
}

/* --- statements --------------------------------------------------------------------------------- */

/* The workspace is compared with IS TRUE so it is never an index condition: a prepared
 * statement's generic plan would otherwise key on the workspace's keyset index and scan every
 * number of the workspace instead of taking the one row by its primary key. */
static const oi_pg_stmt_t GET = {
    "prov_number_get",
    "SELECT " PROV_NUMBER_COLS " FROM provisioning.phone_numbers WHERE id = $1::uuid AND (workspace_id = $2::uuid) "
    "IS TRUE AND " PROV_NUMBER_SHOWN,
    2};

void prov_number_get(prov_t *p, const char *ws, const char *id, oi_pg_done_cb cb, void *ud)
{
    const char *params[] = {id, ws};
    oi_pg_pipeline_exec(p->pg, &GET, params, cb, ud);
}

static const oi_pg_stmt_t GET_MANY = {
    "prov_number_get_many",
    "SELECT v.ord, n.* FROM unnest($1::int[], $2::uuid[], $3::uuid[]) AS v(ord, want_id, want_ws) "
    "CROSS JOIN LATERAL (SELECT " PROV_NUMBER_COLS ", " PROV_NUMBER_TRUNK_COLS " FROM provisioning.phone_numbers "
    "WHERE id = v.want_id AND "
    "(workspace_id = v.want_ws) IS TRUE AND " PROV_NUMBER_SHOWN ") AS n",
    3};

oi_pg_coalesce_t *prov_number_reads_new(prov_t *p)
{
    return oi_pg_coalesce_new(p->loop, p->pg, &(oi_pg_coalesce_config_t){.stmt = &GET_MANY, .columns = 2,
                                                                          PROV_COALESCE_TUNING});
}

void prov_number_get_coalesced(prov_t *p, const char *ws, const char *id, oi_pg_row_cb cb, void *ud)
{
    const char *values[] = {id, ws};
    oi_pg_coalesce_add(p->number_reads, values, cb, ud);
}

static const oi_pg_stmt_t LOAD = {
    "prov_number_load",
    "SELECT " PROV_NUMBER_COLS ", " PROV_NUMBER_TRUNK_COLS " FROM provisioning.phone_numbers WHERE id = $1::uuid", 1};

void prov_number_load(prov_t *p, const char *id, oi_pg_done_cb cb, void *ud)
{
    const char *params[] = {id};
    oi_pg_pipeline_exec(p->pg, &LOAD, params, cb, ud);
}

/* The filters are NULL or a value, planned for the values given (oi_pg_pipeline_exec_planned):
 * the live numbers' keyset index on (workspace, created_at, id) drives the scan, the agent's
 * (phone_numbers_workspace_agent) when an agent is asked for, the live number's unique index for
 * a phone number, the released numbers' own index for "released"; other filters only drop rows
 * from the scan. */
static const oi_pg_stmt_t LIST = {
    "prov_number_list",
    "SELECT " PROV_NUMBER_COLS " FROM provisioning.phone_numbers WHERE workspace_id = $1::uuid "
    "AND CASE WHEN $7::text = 'released' THEN deleted_at IS NOT NULL ELSE " PROV_NUMBER_SHOWN " END "
    "AND ($2::uuid IS NULL OR "
    "(created_at, id) > (SELECT created_at, id FROM provisioning.phone_numbers WHERE id = $2::uuid)) "
    "AND ($4::uuid IS NULL OR agent_id = $4::uuid) AND ($5::text IS NULL OR phone_number = $5) "
    "AND ($6::text IS NULL OR provider = $6) AND ($7::text IS NULL OR $7 = 'released' OR status = $7) "
    "ORDER BY created_at, id LIMIT $3::int",
    7};

void prov_number_list(prov_t *p, const char *ws, const char *cursor, int limit, const prov_number_filter_t *f,
                      oi_pg_done_cb cb, void *ud)
{
    char lim[16];
    snprintf(lim, sizeof lim, "%d", limit + 1);
    const char *params[] = {ws, cursor, lim, f->agent_id, f->phone_number, f->provider, f->status};
    oi_pg_pipeline_exec_planned(p->pg, &LIST, params, cb, ud);
}

static const oi_pg_stmt_t RESERVE = {
    "prov_number_reserve",
    "WITH ins AS (INSERT INTO provisioning.phone_numbers (id, workspace_id, phone_number, friendly_name, provider, "
    "agent_id, status, origin, inbound_trunk_id, outbound_trunk_id, dispatch_rule_id, inbound_routing, job_id, "
    "version) VALUES ($1, $2, $3, $4, $5, $6, 'provisioning', $7, $8, $9, $10, $11::jsonb, $12, 1) "
    "ON CONFLICT (id) DO NOTHING RETURNING id) "
    "SELECT id FROM ins UNION ALL SELECT id FROM provisioning.phone_numbers WHERE id = $1::uuid AND "
    "phone_number = $3 AND deleted_at IS NULL AND NOT EXISTS (SELECT 1 FROM ins)",
    12};

void prov_number_reserve(prov_t *p, const prov_number_row_t *r, oi_pg_done_cb cb, void *ud)
{
    char *routing = prov_routing_to_json_text(r->routing);
    const char *params[] = {r->id,       r->workspace_id,      r->phone_number,      r->friendly_name,
                            r->provider, r->agent_id,          r->origin,            r->inbound_trunk_id,
                            r->outbound_trunk_id, r->dispatch_rule_id, routing, r->job_id};
    oi_pg_pipeline_exec(p->pg, &RESERVE, params, cb, ud);
    free(routing);
}

bool prov_number_taken(oi_status_t st, const oi_error_t *err)
{
    return st == OI_CONFLICT && err && strcmp(err->loc, "phone_numbers_live_number") == 0;
}

static const oi_pg_stmt_t UNRESERVE = {
    "prov_number_unreserve",
    "DELETE FROM provisioning.phone_numbers WHERE id = $1::uuid AND status = 'provisioning'", 1};

void prov_number_unreserve(prov_t *p, const char *id, oi_pg_done_cb cb, void *ud)
{
    const char *params[] = {id};
    oi_pg_pipeline_exec(p->pg, &UNRESERVE, params, cb, ud);
}

static const oi_pg_stmt_t SOFT_DELETE = {
    "prov_number_soft_delete",
    "UPDATE provisioning.phone_numbers SET deleted_at = clock_timestamp(), status = 'released', release_after = NULL, "
    "version = version + 1, updated_at = clock_timestamp() WHERE id = $1::uuid AND deleted_at IS NULL",
    1};

void prov_number_soft_delete(prov_t *p, const char *id, oi_pg_done_cb cb, void *ud)
{
    const char *params[] = {id};
    oi_pg_pipeline_exec(p->pg, &SOFT_DELETE, params, cb, ud);
}

/* Many activations in one statement: the jobs still ours locked in id order, then each number
 * and its job together. The job's state test is wrapped in IS TRUE (as in jobs_db.c): bare, it
 * matches the predicate of jobs_claimable, and a generic plan then scans every queued and
 * running job. Columns ($2…): number, sms, carrier number id, carrier trunk id, job, lease owner,
 * step. */
static const oi_pg_stmt_t ACTIVATE_FINISH_MANY = {
    "prov_number_activate_finish_many",
    "WITH v AS (SELECT * FROM unnest($1::int[], $2::uuid[], $3::boolean[], $4::text[], $5::text[], $6::uuid[], "
    "$7::text[], $8::text[]) AS v(v_ord, v_number, v_sms, v_cn, v_ct, v_job, v_owner, v_step)), "
    "ours AS (SELECT j.id AS o_job, j.notify AS o_notify, v.v_ord AS o_ord FROM provisioning.jobs j "
    "JOIN v ON j.id = v.v_job AND j.lease_owner = v.v_owner WHERE j.id = ANY ($6::uuid[]) AND "
    "(j.state = 'running') IS TRUE ORDER BY j.id FOR UPDATE OF j), "
    "n AS (UPDATE provisioning.phone_numbers SET status = 'active', sms_capable = COALESCE(v.v_sms, sms_capable), "
    "carrier_number_id = COALESCE(v.v_cn, carrier_number_id), carrier_trunk_id = COALESCE(v.v_ct, carrier_trunk_id), "
    "updated_at = clock_timestamp() FROM v JOIN ours ON ours.o_ord = v.v_ord "
    "WHERE id = ANY ($2::uuid[]) AND id = v.v_number AND deleted_at IS NULL "
    "RETURNING v.v_ord, v.v_job, v.v_step, " PROV_NUMBER_COLS "), "
    "j AS (UPDATE provisioning.jobs SET state = 'succeeded', step = n.v_step, lease_owner = NULL, lease_until = NULL, "
    "error_code = NULL, error_message = NULL, error_status = NULL, updated_at = clock_timestamp(), "
    "events = CASE WHEN jsonb_array_length(events) >= 100 THEN events ELSE events || jsonb_build_array("
    "jsonb_build_object('at', to_char(clock_timestamp(), 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), 'step', n.v_step, "
    "'state', 'succeeded', 'error', '')) END FROM n WHERE jobs.id = n.v_job "
    "RETURNING jobs.id, jobs.notify), "
    "x AS (SELECT pg_notify('" PROV_NOTIFY_CHANNEL "', 'done:' || id) AS sent FROM j WHERE notify) "
    "SELECT n.v_ord AS ord, " PROV_NUMBER_COLS_PLAIN ", (SELECT count(*) FROM x) AS notified FROM n "
    "WHERE n.v_job IN (SELECT id FROM j)",
    8};

oi_pg_coalesce_t *prov_number_activations_new(prov_t *p)
{
    return oi_pg_coalesce_new(p->loop, p->pg, &(oi_pg_coalesce_config_t){.stmt = &ACTIVATE_FINISH_MANY, .columns = 7,
                                                                          PROV_COALESCE_TUNING});
}

void prov_number_activate_finish(prov_t *p, const prov_number_activation_t *a, oi_pg_row_cb cb, void *ud)
{
    const char *values[] = {a->number_id, a->sms, a->carrier_number_id, a->carrier_trunk_id, a->job_id, p->owner,
                            a->step};
    oi_pg_coalesce_add(p->activations, values, cb, ud);
}
