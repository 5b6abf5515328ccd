/* submit_db.c: one transaction per submission (writable CTEs, or a batch of plain statements), so
 * a submission is one round trip.
 * Rows found by id compare their workspace with IS TRUE: never an index condition, so generic
 * plans take the primary key instead of scanning a workspace's keyset index. */
#include "submit_db.h"

#include <stdio.h>
#include <stdlib.h>

#include "oi/json_dump.h"
#include "oi/mem.h"
#include "quota.h"

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
    *payload = oi_json_dump(s->payload);
}

/* $1 job, $2 ws, $3 here, $4 owner, $5 lease, $6 max attempts, $7 sealed, $8 hash, $9 payload, $10 key */
#define NEW_JOB_ROW(kind, lane, number)                                                                \
    "$1::uuid, $2::uuid, '" kind "', " STATE_OF("$3::boolean") ", " lane ", "                         \
    "CASE WHEN $3::boolean THEN 1 ELSE 0 END, $6::int, $7, $8, $9::jsonb, $10, " number ", "          \
    LEASE_OWNER("$3::boolean", "$4") ", " LEASE_UNTIL("$3::boolean", "$5") ", NOT $3::boolean, "      \
    EVENTS_INIT("$3::boolean")
#define ON_KEY_TAKEN                                                                                   \
    "ON CONFLICT (workspace_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING RETURNING id"

/* Registrations, many in one statement (oi/pg_coalesce.h): each job, and each number whose job
 * was inserted (a job whose idempotency key exists already is not, and reserves nothing), while
 * its workspace's numbers quota (quota.h) leaves room: rows in order, as many as fit. A row over
 * the quota says so (over_quota, with what the workspace holds); a row whose key exists is never
 * over it (job_id NULL: join that job).
 * Columns ($2…): job, workspace, here, lease owner, lease ms, max attempts, sealed request,
 * request hash, payload, idempotency key, number, phone, name, provider, agent, inbound trunk id,
 * outbound trunk id, rule id, routing, the tenant's trunk address, username, sealed password,
 * the numbers quota (0: none). */
#define REGISTER_ROWS                                                                                   \
    "v AS (SELECT * FROM unnest($1::int[], $2::uuid[], $3::uuid[], $4::bool[], $5::text[], $6::int[], "  \
    "$7::int[], $8::text[], $9::text[], $10::jsonb[], $11::text[], $12::uuid[], $13::text[], $14::text[], " \
    "$15::text[], $16::uuid[], $17::text[], $18::text[], $19::text[], $20::jsonb[], $21::text[], $22::text[], " \
    "$23::text[], $24::int[]) AS v(v_ord, v_job, v_ws, v_here, v_owner, v_lease_ms, v_max, v_sealed, v_hash, " \
    "v_payload, v_key, v_number, v_phone, v_name, v_provider, v_agent, v_it, v_ot, v_rule, v_routing, "     \
    "v_trunk_address, v_trunk_username, v_trunk_password, v_quota))"

static const oi_pg_stmt_t REGISTER_MANY = {
    "prov_submit_register_many",
    "WITH " REGISTER_ROWS ", "
    "held AS (SELECT w AS h_ws, q AS h_q, CASE WHEN q > 0 THEN " QUOTA_HELD("w") " ELSE 0 END AS h_n "
    "FROM (SELECT v_ws AS w, max(v_quota) AS q FROM v GROUP BY v_ws) x), "
    "ranked AS (SELECT v.*, row_number() OVER (PARTITION BY v_ws ORDER BY v_ord) AS v_rank FROM v), "
    "ok AS (SELECT r.* FROM ranked r JOIN held h ON h.h_ws = r.v_ws WHERE h.h_q <= 0 OR h.h_n + r.v_rank <= h.h_q), "
    "j AS (INSERT INTO provisioning.jobs (" JOB_COLUMNS ") SELECT v_job, v_ws, 'register', " STATE_OF("v_here")
    ", 'local', CASE WHEN v_here THEN 1 ELSE 0 END, v_max, v_sealed, v_hash, v_payload, v_key, v_number, "
    "CASE WHEN v_here THEN v_owner END, CASE WHEN v_here THEN clock_timestamp() + v_lease_ms * "
    "interval '1 millisecond' END, NOT v_here, " EVENTS_INIT("v_here") " FROM ok "
    "ON CONFLICT (workspace_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING RETURNING id), "
    "n AS (INSERT INTO provisioning.phone_numbers (id, workspace_id, phone_number, friendly_name, provider, "
    "agent_id, status, origin, inbound_trunk_id, outbound_trunk_id, dispatch_rule_id, inbound_routing, job_id, "
    "version, " PROV_NUMBER_TRUNK_COLS ") SELECT v_number, v_ws, v_phone, v_name, v_provider, v_agent, "
    "'provisioning', 'registered', v_it, v_ot, v_rule, v_routing, v_job, 1, v_trunk_address, v_trunk_username, "
    "v_trunk_password FROM ok WHERE v_job IN (SELECT id FROM j) RETURNING job_id) "
    "SELECT v.v_ord AS ord, j.id AS job_id, (SELECT count(*) FROM n WHERE n.job_id = v.v_job) AS reserved, "
    "v.v_ord NOT IN (SELECT v_ord FROM ok) AND NOT EXISTS (SELECT 1 FROM provisioning.jobs k WHERE "
    "k.workspace_id = v.v_ws AND k.idempotency_key = v.v_key) AS over_quota, "
    "(SELECT h_n FROM held WHERE h_ws = v.v_ws) AS held "
    "FROM v LEFT JOIN j ON j.id = v.v_job",
    24};

/* With a numbers quota: the workspaces' locks first (quota.h); the unread CTE types every
 * parameter, so both statements share one parameter list. */
static const oi_pg_stmt_t REGISTER_LOCK = {
    "prov_submit_register_lock",
    "WITH " REGISTER_ROWS " " QUOTA_LOCK("$3::uuid[]"),
    24};

oi_pg_coalesce_t *prov_registrations_new(prov_t *p)
{
    oi_pg_coalesce_config_t cfg = {.stmt = &REGISTER_MANY,
                                   .first = p->quota_numbers > 0 ? &REGISTER_LOCK : NULL,
                                   .columns = 23,
                                   PROV_COALESCE_TUNING};
    return oi_pg_coalesce_new(p->loop, p->pg, &cfg);
}

void prov_submit_register(prov_t *p, const prov_submit_t *s, const prov_number_row_t *n, oi_pg_row_cb cb, void *ud)
{
    char lease[24], max[16], quota[16], *payload;
    snprintf(quota, sizeof quota, "%d", p->quota_numbers);
    common_params(p, s, lease, max, &payload);
    char *routing = prov_routing_to_json_text(n->routing);
    const char *values[] = {s->job_id,          s->workspace_id,    s->run_here ? "t" : "f", p->owner,
                            lease,              max,                s->sealed,               s->request_hash,
                            payload,            s->idempotency_key, n->id,                   n->phone_number,
                            n->friendly_name,   n->provider,        n->agent_id,             n->inbound_trunk_id,
                            n->outbound_trunk_id, n->dispatch_rule_id, routing,
                            n->trunk ? n->trunk->trunk_address : NULL, n->trunk ? n->trunk->auth_username : NULL,
                            n->trunk ? n->trunk->auth_password : NULL, quota};
    oi_pg_coalesce_add(p->registrations, values, cb, ud);
    free(routing);
    free(payload);
}

/* A purchase's job, when the workspace's quotas (quota.h) leave room: $13 numbers quota,
 * $14 purchases per day (0: none). Its row says why not: over_numbers (held), over_today
 * (bought, frees_in_s); neither is set for a key already used (job_id NULL: join that job). */
static const oi_pg_stmt_t PURCHASE = {
    "prov_submit_purchase",
    "WITH u AS (SELECT CASE WHEN $13::int > 0 THEN " QUOTA_HELD("$2::uuid") " ELSE 0 END AS held, "
    "CASE WHEN $14::int > 0 THEN " QUOTA_BOUGHT("$2::uuid") " ELSE 0 END AS bought, "
    "EXISTS (SELECT 1 FROM provisioning.jobs k WHERE k.workspace_id = $2::uuid AND k.idempotency_key = $10) AS known), "
    "room AS (SELECT u.*, ($13::int > 0 AND u.held >= $13::int) AS over_numbers, "
    "($14::int > 0 AND u.bought >= $14::int) AS over_today FROM u), "
    "j AS (INSERT INTO provisioning.jobs (" JOB_COLUMNS ") SELECT " NEW_JOB_ROW("purchase", "$12", "$11::uuid")
    " FROM room WHERE NOT room.over_numbers AND NOT room.over_today " ON_KEY_TAKEN ") "
    "SELECT (SELECT id FROM j) AS job_id, held, bought, over_numbers AND NOT known AS over_numbers, "
    "over_today AND NOT known AS over_today, CASE WHEN over_today THEN " QUOTA_BOUGHT_FREES_IN("$2::uuid")
    " END AS frees_in_s FROM room",
    14};

static const oi_pg_stmt_t PURCHASE_LOCK = {"prov_submit_purchase_lock", QUOTA_LOCK("ARRAY[$1::uuid]"), 1};

void prov_submit_purchase(prov_t *p, const prov_submit_t *s, const char *number_id, prov_lane_t lane,
                          oi_pg_done_cb cb, void *ud)
{
    char lease[24], max[16], numbers[16], today[16], *payload;
    common_params(p, s, lease, max, &payload);
    snprintf(numbers, sizeof numbers, "%d", p->quota_numbers);
    snprintf(today, sizeof today, "%d", p->quota_purchases_per_day);
    const char *params[] = {s->job_id, s->workspace_id, s->run_here ? "t" : "f", p->owner,  lease, max,
                            s->sealed, s->request_hash, payload, s->idempotency_key, number_id, prov_lane_name(lane),
                            numbers,   today};
    const char *lock[] = {s->workspace_id};
    oi_pg_query_t q[] = {{&PURCHASE_LOCK, lock}, {&PURCHASE, params}};
    bool quota = p->quota_numbers > 0 || p->quota_purchases_per_day > 0;
    oi_pg_pipeline_batch(p->pg, quota ? q : q + 1, quota ? 2 : 1, cb, ud); /* copies the parameters */
    free(payload);
}

/* PATCH: the merged state into each row that is still at the version its merge was based on
 * (the row then names the job that changed it last), and a job for each row changed, for many
 * PATCHes in one statement (oi/pg_coalesce.h). The rows are found by the array of their ids (an
 * index condition) and matched to their values by id; two PATCHes of one row in one statement
 * change it once: the other finds no row and merges again on top of it.
 * Columns ($2…): job, workspace, name given, name, agent, routing, inbound trunk id, rule id,
 * number, version, here, lease owner, lease ms, max attempts, payload, trunk settings given, the
 * tenant's trunk address, username, sealed password, restore (a quarantined row becomes active). */
static const oi_pg_stmt_t UPDATE_MANY = {
    "prov_submit_update_many",
    "WITH v AS (SELECT * FROM unnest($1::int[], $2::uuid[], $3::uuid[], $4::bool[], $5::text[], $6::uuid[], "
    "$7::jsonb[], $8::text[], $9::text[], $10::uuid[], $11::bigint[], $12::bool[], $13::text[], $14::int[], "
    "$15::int[], $16::jsonb[], $17::bool[], $18::text[], $19::text[], $20::text[], $21::bool[]) AS v(v_ord, v_job, "
    "v_ws, v_name_set, v_name, v_agent, v_routing, v_it, v_rule, v_number, v_version, v_here, v_owner, v_lease_ms, "
    "v_max, v_payload, v_trunk_set, v_trunk_address, v_trunk_username, v_trunk_password, v_restore)), "
    "u AS (UPDATE provisioning.phone_numbers n SET "
    "friendly_name = CASE WHEN v.v_name_set THEN v.v_name ELSE n.friendly_name END, agent_id = v.v_agent, "
    "inbound_routing = v.v_routing, inbound_trunk_id = COALESCE(n.inbound_trunk_id, v.v_it), "
    "dispatch_rule_id = COALESCE(n.dispatch_rule_id, v.v_rule), version = n.version + 1, "
    "updated_at = clock_timestamp(), job_id = v.v_job, "
    "trunk_address = CASE WHEN v.v_trunk_set THEN v.v_trunk_address ELSE n.trunk_address END, "
    "trunk_username = CASE WHEN v.v_trunk_set THEN v.v_trunk_username ELSE n.trunk_username END, "
    "trunk_password_sealed = CASE WHEN v.v_trunk_set THEN v.v_trunk_password ELSE n.trunk_password_sealed END, "
    "status = CASE WHEN v.v_restore THEN 'active' ELSE n.status END, "
    "release_after = CASE WHEN v.v_restore THEN NULL ELSE n.release_after END "
    "FROM v "
    "WHERE n.id = ANY ($10::uuid[]) AND n.id = v.v_number AND (n.workspace_id = v.v_ws) IS TRUE AND "
    "n.version = v.v_version AND n.deleted_at IS NULL AND "
    "CASE WHEN v.v_restore THEN n.status = 'quarantined' ELSE n.status IN ('active', 'inactive') END "
    "RETURNING v.*, " PROV_NUMBER_COLS ", " PROV_NUMBER_TRUNK_COLS "), "
    "j AS (INSERT INTO provisioning.jobs (" JOB_COLUMNS ", step) SELECT v_job, workspace_id, 'update_routing', "
    STATE_OF("v_here") ", 'local', CASE WHEN v_here THEN 1 ELSE 0 END, v_max, '', '', v_payload || "
    "jsonb_strip_nulls(jsonb_build_object('number_id', id::text, 'phone_number', phone_number, 'provider', "
    "provider, 'inbound_trunk_id', inbound_trunk_id, 'dispatch_rule_id', dispatch_rule_id, "
    "'outbound_trunk_id', outbound_trunk_id)), NULL, id, CASE WHEN v_here THEN v_owner END, "
    "CASE WHEN v_here THEN clock_timestamp() + v_lease_ms * interval '1 millisecond' END, NOT v_here, "
    EVENTS_INIT("v_here") ", 'save_number' FROM u) "
    "SELECT v_ord AS ord, " PROV_NUMBER_COLS_PLAIN ", " PROV_NUMBER_TRUNK_COLS " FROM u",
    21};

oi_pg_coalesce_t *prov_update_writes_new(prov_t *p)
{
    return oi_pg_coalesce_new(p->loop, p->pg, &(oi_pg_coalesce_config_t){.stmt = &UPDATE_MANY, .columns = 20,
                                                                          PROV_COALESCE_TUNING});
}

void prov_submit_update(prov_t *p, const prov_submit_t *s, const char *number_id, long long version,
                        const prov_merge_t *m, const prov_sip_fields_t *trunk, const char *inbound_trunk_id,
                        const char *dispatch_rule_id, bool restore, oi_pg_row_cb cb, void *ud)
{
    char lease[24], max[16], ver[24], *payload;
    common_params(p, s, lease, max, &payload);
    snprintf(ver, sizeof ver, "%lld", version);
    char *routing = prov_routing_to_json_text(&m->routing);
    const char *values[] = {s->job_id,       s->workspace_id,  m->friendly_name_set ? "t" : "f", m->friendly_name,
                            m->agent_id,     routing,          inbound_trunk_id,                 dispatch_rule_id,
                            number_id,       ver,              s->run_here ? "t" : "f",          p->owner,
                            lease,           max,              payload,
                            trunk ? "t" : "f",
                            trunk ? trunk->trunk_address : NULL,
                            trunk ? trunk->auth_username : NULL,
                            trunk ? trunk->auth_password : NULL,
                            restore ? "t" : "f"};
    oi_pg_coalesce_add(p->update_writes, values, cb, ud);
    free(routing);
    free(payload);
}

/* What a delete job needs of its number (row r of PROV_NUMBER_COLS), as its payload. */
#define DELETE_PAYLOAD(r)                                                                              \
    "jsonb_strip_nulls(jsonb_build_object('number_id', " r ".id::text, 'phone_number', " r ".phone_number, " \
    "'provider', " r ".provider, 'origin', " r ".origin, 'outbound_trunk_id', " r ".outbound_trunk_id, "    \
    "'inbound_trunk_id', " r ".inbound_trunk_id, 'dispatch_rule_id', " r ".dispatch_rule_id, "             \
    "'carrier_number_id', NULLIF(" r ".carrier_number_id, ''), 'carrier_trunk_id', " r ".carrier_trunk_id, " \
    "'version', " r ".version::text, 'quarantine', CASE WHEN " r ".status = 'quarantined' THEN 'true' END))"

/* A purchased number goes into quarantine ($11 hours > 0) or straight to "releasing"; one in
 * quarantine already is released now (a second DELETE is deliberate). A registered number is
 * released at once: it stays on the user's own carrier account. Only a release calls a carrier,
 * so only a release takes the carrier's lane. */
static const oi_pg_stmt_t DELETE = {
    "prov_submit_delete",
    "WITH n AS (UPDATE provisioning.phone_numbers SET version = version + 1, updated_at = clock_timestamp(), "
    "deleted_at = CASE WHEN origin = 'purchased' THEN NULL ELSE clock_timestamp() END, "
    "status = CASE WHEN origin <> 'purchased' THEN 'released' WHEN $11::int > 0 AND status <> 'quarantined' "
    "THEN 'quarantined' ELSE 'releasing' END, "
    "release_after = CASE WHEN origin = 'purchased' AND $11::int > 0 AND status <> 'quarantined' "
    "THEN clock_timestamp() + make_interval(hours => $11::int) END "
    "WHERE id = $5::uuid AND (workspace_id = $2::uuid) IS TRUE AND deleted_at IS NULL "
    "AND status IN ('active', 'inactive', 'quarantined') "
    "AND ($10::bigint = 0 OR version = $10::bigint) RETURNING " PROV_NUMBER_COLS ", "
    "CASE WHEN status = 'releasing' THEN provider ELSE 'local' END AS lane), "
    "r AS (SELECT n.*, CASE n.lane WHEN 'local' THEN $6::boolean WHEN 'telnyx' THEN $8::boolean ELSE $7::boolean "
    "END AS here FROM n), "
    "j AS (INSERT INTO provisioning.jobs (" JOB_COLUMNS ") SELECT $1::uuid, $2::uuid, 'delete', " STATE_OF("r.here")
    ", r.lane, CASE WHEN r.here THEN 1 ELSE 0 END, $9::int, '', '', " DELETE_PAYLOAD("r") ", NULL, r.id, "
    LEASE_OWNER("r.here", "$3") ", " LEASE_UNTIL("r.here", "$4") ", NOT r.here, " EVENTS_INIT("r.here")
    " FROM r RETURNING state) "
    "SELECT r.*, (SELECT state FROM j) AS job_state FROM r",
    11};

void prov_submit_delete(prov_t *p, const prov_submit_t *s, const char *number_id, long long if_match,
                        const bool room[PROV_LANE__COUNT], oi_pg_done_cb cb, void *ud)
{
    char lease[24], max[16], version[24], hours[16];
    snprintf(version, sizeof version, "%lld", if_match > 0 ? if_match : 0);
    snprintf(lease, sizeof lease, "%d", p->lease_ms);
    snprintf(max, sizeof max, "%d", p->max_attempts);
    snprintf(hours, sizeof hours, "%d", p->quarantine_hours);
    const char *params[] = {s->job_id,
                            s->workspace_id,
                            p->owner,
                            lease,
                            number_id,
                            room[PROV_LANE_LOCAL] ? "t" : "f",
                            room[PROV_LANE_TWILIO] ? "t" : "f",
                            room[PROV_LANE_TELNYX] ? "t" : "f",
                            max,
                            version,
                            hours};
    oi_pg_pipeline_exec(p->pg, &DELETE, params, cb, ud);
}

/* Rows of CTE "due" become "releasing", each with its queued delete job (ids from $1, in order;
 * $2 max attempts): CTEs n (the rows), r, j (the jobs: id, lane, number_id). */
#define RELEASE_DUE_ROWS                                                                               \
    "n AS (UPDATE provisioning.phone_numbers p SET status = 'releasing', release_after = NULL, "      \
    "version = p.version + 1, updated_at = clock_timestamp() FROM due WHERE p.id = due.id RETURNING p.*), " \
    "r AS (SELECT n.*, row_number() OVER (ORDER BY n.id) AS rn FROM n), "                             \
    "j AS (INSERT INTO provisioning.jobs (" JOB_COLUMNS ") SELECT ($1::uuid[])[r.rn::int], r.workspace_id, " \
    "'delete', 'queued', r.provider, 0, $2::int, '', '', " DELETE_PAYLOAD("r") ", NULL, r.id, NULL, NULL, false, " \
    EVENTS_INIT("false") " FROM r RETURNING id, lane, number_id) "
#define QUARANTINED_COUNT                                                                              \
    "(SELECT count(*) FROM provisioning.phone_numbers q WHERE q.release_after IS NOT NULL AND q.deleted_at IS NULL)"

/* The quarantines due, oldest first, rows another replica holds skipped. A number has a
 * release_after exactly while it is quarantined (migration 014), which is what the sweep's index
 * keys on. */
static const oi_pg_stmt_t RELEASE_DUE = {
    "prov_submit_release_due",
    "WITH due AS (SELECT id FROM provisioning.phone_numbers WHERE release_after IS NOT NULL AND deleted_at IS NULL "
    "AND release_after <= clock_timestamp() AND status = 'quarantined' ORDER BY release_after LIMIT " PROV_RELEASE_BATCH_TEXT
    " FOR UPDATE SKIP LOCKED), " RELEASE_DUE_ROWS
    "SELECT j.id AS job_id, j.lane, j.number_id, " QUARANTINED_COUNT " - (SELECT count(*) FROM n) AS left_quarantined "
    "FROM j UNION ALL SELECT NULL, NULL, NULL, " QUARANTINED_COUNT " WHERE NOT EXISTS (SELECT 1 FROM n)",
    2};

void prov_submit_release_due(prov_t *p, const char *job_ids, oi_pg_done_cb cb, void *ud)
{
    char max[16];
    snprintf(max, sizeof max, "%d", p->max_attempts);
    const char *params[] = {job_ids, max};
    oi_pg_pipeline_exec(p->pg, &RELEASE_DUE, params, cb, ud);
}

/* One purchased number that is active or quarantined, $3. */
const oi_pg_stmt_t PROV_SUBMIT_RELEASE_ONE = {
    "prov_submit_release_one",
    "WITH due AS (SELECT id FROM provisioning.phone_numbers WHERE id = $3::uuid AND deleted_at IS NULL "
    "AND origin = 'purchased' AND status IN ('active', 'quarantined') FOR UPDATE), " RELEASE_DUE_ROWS
    "SELECT j.id AS job_id, j.lane, j.number_id FROM j",
    3};

static const oi_pg_stmt_t FIND_KEY = {
    "prov_submit_find_key",
    "SELECT id, request_hash, state FROM provisioning.jobs WHERE workspace_id = $1::uuid AND idempotency_key = $2",
    2};

void prov_submit_find_key(prov_t *p, const char *ws, const char *key, oi_pg_done_cb cb, void *ud)
{
    const char *params[] = {ws, key};
    oi_pg_pipeline_exec(p->pg, &FIND_KEY, params, cb, ud);
}
