/* submit_db.c: one transaction per submission (writable CTEs, or a batch of plain statements), so
 * a submission is one round trip.
 * Rows found by id compare their workspace with IS TRUE: never an index condition, so generic
 * plans take the primary key instead of scanning a workspace's keyset index. */
#include "submit_db.h"

#include <stdio.h>
#include <stdlib.h>

#include "oi/mem.h"

#define STATE_OF(here) "CASE WHEN " here " THEN 'running' ELSE 'queued' END"
#define LEASE_OWNER(here, owner) "CASE WHEN " here " THEN " owner " END"
#define LEASE_UNTIL(here, ms) "CASE WHEN " here " THEN clock_timestamp() + (" ms "::text || ' milliseconds')::interval END"
#define EVENTS_INIT(here)                                                                              \
    "jsonb_build_array(jsonb_build_object('at', to_char(clock_timestamp(), 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), " \
    "'step', '', 'state', " STATE_OF(here) ", 'error', ''))"
#define JOB_COLUMNS                                                                                    \
    "id, workspace_id, kind, state, lane, attempts, max_attempts, request_sealed, request_hash, payload, " \
    "idempotency_key, number_id, lease_owner, lease_until, notify, events"

static void common_params(prov_t *p, const prov_submit_t *s, char lease[24], char max[16], char **payload)
{
    snprintf(lease, 24, "%d", p->lease_ms);
    snprintf(max, 16, "%d", p->max_attempts);
    *payload = json_dumps(s->payload, JSON_COMPACT);
}

/* $1 job, $2 ws, $3 here, $4 owner, $5 lease, $6 max attempts, $7 sealed, $8 hash, $9 payload, $10 key */
#define NEW_JOB_VALUES(kind, lane, number)                                                             \
    "VALUES ($1::uuid, $2::uuid, '" kind "', " STATE_OF("$3::boolean") ", " lane ", "                 \
    "CASE WHEN $3::boolean THEN 1 ELSE 0 END, $6::int, $7, $8, $9::jsonb, $10, " number ", "          \
    LEASE_OWNER("$3::boolean", "$4") ", " LEASE_UNTIL("$3::boolean", "$5") ", NOT $3::boolean, "      \
    EVENTS_INIT("$3::boolean") ") "                                                                    \
    "ON CONFLICT (workspace_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING RETURNING id"

static const oi_pg_stmt_t REGISTER = {
    "prov_submit_register",
    "WITH j AS (INSERT INTO provisioning.jobs (" JOB_COLUMNS ") " NEW_JOB_VALUES("register", "'local'", "$11::uuid")
    "), n AS (INSERT INTO provisioning.phone_numbers (id, workspace_id, phone_number, friendly_name, provider, "
    "agent_id, status, origin, inbound_trunk_id, outbound_trunk_id, dispatch_rule_id, inbound_routing, job_id, "
    "version) SELECT $11::uuid, $2::uuid, $12, $13, $14, $15::uuid, 'provisioning', 'registered', $16, $17, $18, "
    "$19::jsonb, $1::uuid, 1 FROM j RETURNING id) "
    "SELECT (SELECT id FROM j) AS job_id, (SELECT count(*) FROM n) AS reserved",
    19};

void prov_submit_register(prov_t *p, const prov_submit_t *s, const prov_number_row_t *n, oi_pg_done_cb cb, void *ud)
{
    char lease[24], max[16], *payload;
    common_params(p, s, lease, max, &payload);
    char *routing = prov_routing_to_json_text(n->routing);
    const char *params[] = {s->job_id,           s->workspace_id,     s->run_here ? "t" : "f", p->owner,
                            lease,               max,                 s->sealed,               s->request_hash,
                            payload,             s->idempotency_key,  n->id,                   n->phone_number,
                            n->friendly_name,    n->provider,         n->agent_id,             n->inbound_trunk_id,
                            n->outbound_trunk_id, n->dispatch_rule_id, routing};
    oi_pg_pipeline_exec(p->pg, &REGISTER, params, cb, ud);
    free(routing);
    free(payload);
}

static const oi_pg_stmt_t PURCHASE = {
    "prov_submit_purchase",
    "WITH j AS (INSERT INTO provisioning.jobs (" JOB_COLUMNS ") " NEW_JOB_VALUES("purchase", "$12", "$11::uuid")
    ") SELECT (SELECT id FROM j) AS job_id",
    12};

void prov_submit_purchase(prov_t *p, const prov_submit_t *s, const char *number_id, prov_lane_t lane,
                          oi_pg_done_cb cb, void *ud)
{
    char lease[24], max[16], *payload;
    common_params(p, s, lease, max, &payload);
    const char *params[] = {s->job_id, s->workspace_id, s->run_here ? "t" : "f", p->owner,  lease, max,
                            s->sealed, s->request_hash, payload, s->idempotency_key, number_id, prov_lane_name(lane)};
    oi_pg_pipeline_exec(p->pg, &PURCHASE, params, cb, ud);
    free(payload);
}

/* PATCH, statement 1: the merged state into the row, if it is still at the version the merge was
 * based on; the row remembers the job ($1) that changed it last. $1 job, $2 ws, $3 name given,
 * $4 name, $5 agent, $6 routing, $7 inbound trunk id, $8 rule id, $9 number, $10 version. */
static const oi_pg_stmt_t UPDATE_ROW = {
    "prov_submit_update_row",
    "UPDATE provisioning.phone_numbers SET friendly_name = CASE WHEN $3::boolean THEN $4 ELSE friendly_name END, "
    "agent_id = $5::uuid, inbound_routing = $6::jsonb, inbound_trunk_id = COALESCE(inbound_trunk_id, $7), "
    "dispatch_rule_id = COALESCE(dispatch_rule_id, $8), version = version + 1, updated_at = clock_timestamp(), "
    "job_id = $1::uuid WHERE id = $9::uuid AND (workspace_id = $2::uuid) IS TRUE AND version = $10::bigint AND "
    "deleted_at IS NULL AND status IN ('active', 'inactive') RETURNING " PROV_NUMBER_COLS,
    10};

/* PATCH, statement 2 (same transaction): the job, only when statement 1 changed the row (which
 * then names it). Two plain statements cost less to start than one writable CTE joining them.
 * $1 job, $2 ws, $3 here, $4 owner, $5 lease, $6 max attempts, $7 payload, $8 number. */
static const oi_pg_stmt_t UPDATE_JOB = {
    "prov_submit_update_job",
    "INSERT INTO provisioning.jobs (" JOB_COLUMNS ", step) SELECT $1::uuid, $2::uuid, 'update_routing', "
    STATE_OF("$3::boolean") ", 'local', CASE WHEN $3::boolean THEN 1 ELSE 0 END, $6::int, '', '', $7::jsonb || "
    "jsonb_strip_nulls(jsonb_build_object('number_id', n.id::text, 'phone_number', n.phone_number, 'provider', "
    "n.provider, 'inbound_trunk_id', n.inbound_trunk_id, 'dispatch_rule_id', n.dispatch_rule_id, "
    "'outbound_trunk_id', n.outbound_trunk_id)), NULL, n.id, "
    LEASE_OWNER("$3::boolean", "$4") ", " LEASE_UNTIL("$3::boolean", "$5") ", NOT $3::boolean, "
    EVENTS_INIT("$3::boolean") ", 'save_number' FROM provisioning.phone_numbers n "
    "WHERE n.id = $8::uuid AND n.job_id = $1::uuid",
    8};

void prov_submit_update(prov_t *p, const prov_submit_t *s, const char *number_id, long long version,
                        const prov_merge_t *m, const char *inbound_trunk_id, const char *dispatch_rule_id,
                        oi_pg_done_cb cb, void *ud)
{
    char lease[24], max[16], ver[24], *payload;
    common_params(p, s, lease, max, &payload);
    snprintf(ver, sizeof ver, "%lld", version);
    char *routing = prov_routing_to_json_text(&m->routing);
    const char *row[] = {s->job_id,       s->workspace_id, m->friendly_name_set ? "t" : "f", m->friendly_name,
                         m->agent_id,     routing,         inbound_trunk_id,                 dispatch_rule_id,
                         number_id,       ver};
    const char *job[] = {s->job_id, s->workspace_id, s->run_here ? "t" : "f", p->owner, lease, max, payload, number_id};
    oi_pg_query_t q[] = {{&UPDATE_ROW, row}, {&UPDATE_JOB, job}};
    oi_pg_pipeline_batch(p->pg, q, 2, cb, ud); /* copies the parameters */
    free(routing);
    free(payload);
}

static const oi_pg_stmt_t DELETE = {
    "prov_submit_delete",
    "WITH n AS (UPDATE provisioning.phone_numbers SET version = version + 1, updated_at = clock_timestamp(), "
    "deleted_at = CASE WHEN origin = 'purchased' THEN NULL ELSE clock_timestamp() END, "
    "status = CASE WHEN origin = 'purchased' THEN 'releasing' ELSE 'inactive' END "
    "WHERE id = $5::uuid AND (workspace_id = $2::uuid) IS TRUE AND deleted_at IS NULL AND status IN ('active', 'inactive') "
    "AND ($10::bigint = 0 OR version = $10::bigint) RETURNING " PROV_NUMBER_COLS ", CASE WHEN origin = 'purchased' THEN provider ELSE 'local' END AS lane), "
    "r AS (SELECT n.*, CASE n.lane WHEN 'local' THEN $6::boolean WHEN 'telnyx' THEN $8::boolean ELSE $7::boolean "
    "END AS here FROM n), "
    "j AS (INSERT INTO provisioning.jobs (" JOB_COLUMNS ") SELECT $1::uuid, $2::uuid, 'delete', " STATE_OF("r.here")
    ", r.lane, CASE WHEN r.here THEN 1 ELSE 0 END, $9::int, '', '', jsonb_strip_nulls(jsonb_build_object("
    "'number_id', r.id::text, 'phone_number', r.phone_number, 'provider', r.provider, 'origin', r.origin, "
    "'outbound_trunk_id', r.outbound_trunk_id, 'inbound_trunk_id', r.inbound_trunk_id, 'dispatch_rule_id', "
    "r.dispatch_rule_id, 'carrier_number_id', NULLIF(r.carrier_number_id, ''), 'carrier_trunk_id', "
    "r.carrier_trunk_id, 'version', r.version::text)), NULL, r.id, " LEASE_OWNER("r.here", "$3") ", "
    LEASE_UNTIL("r.here", "$4") ", NOT r.here, " EVENTS_INIT("r.here") " FROM r RETURNING state) "
    "SELECT r.*, (SELECT state FROM j) AS job_state FROM r",
    10};

void prov_submit_delete(prov_t *p, const prov_submit_t *s, const char *number_id, long long if_match,
                        const bool room[PROV_LANE__COUNT], oi_pg_done_cb cb, void *ud)
{
    char lease[24], max[16], version[24];
    snprintf(version, sizeof version, "%lld", if_match > 0 ? if_match : 0);
    snprintf(lease, sizeof lease, "%d", p->lease_ms);
    snprintf(max, sizeof max, "%d", p->max_attempts);
    const char *params[] = {s->job_id,
                            s->workspace_id,
                            p->owner,
                            lease,
                            number_id,
                            room[PROV_LANE_LOCAL] ? "t" : "f",
                            room[PROV_LANE_TWILIO] ? "t" : "f",
                            room[PROV_LANE_TELNYX] ? "t" : "f",
                            max,
                            version};
    oi_pg_pipeline_exec(p->pg, &DELETE, params, cb, ud);
}

static const oi_pg_stmt_t FIND_KEY = {
    "prov_submit_find_key",
    "SELECT id, request_hash, state FROM provisioning.jobs WHERE workspace_id = $1::uuid AND idempotency_key = $2",
    2};

void prov_submit_find_key(prov_t *p, const char *ws, const char *key, oi_pg_done_cb cb, void *ud)
{
    const char *params[] = {ws, key};
    oi_pg_pipeline_exec(p->pg, &FIND_KEY, params, cb, ud);
}
