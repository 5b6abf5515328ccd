/* drift_db.c: the statements of drift_db.h. */
#include "drift_db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "job_policy.h"
#include "oi/mem.h"
#include "oi/pg.h"
#include "submit_db.h"

#define TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
#define FINDING_COLS                                                                                   \
    "f.id, f.provider, f.kind, f.phone_number, f.number_id, f.workspace_id, f.carrier_number_id, "     \
    "f.detail::text AS detail, " TS("f.first_seen_at") " AS first_seen_at, " TS("f.last_seen_at")      \
    " AS last_seen_at, " TS("f.resolved_at") " AS resolved_at, f.resolution, f.resolved_by, f.resolved_request_id"

/* Orphans: on the account, held by no live row (nor by a row changed since the listing began).
 * Missing: a live purchased row of this carrier, settled before the listing, whose number the
 * account does not hold. Trunk mismatch: the account has the number on another trunk than the
 * row's. Origination mismatch: the number is on the row's trunk, but that trunk is gone or does
 * not send calls to our ingress ($4: trunk id -> {found, reaches, uris}; $5: the ingress). A
 * finding dismissed once is not raised again. */
static const oi_pg_stmt_t COMPARE = {
    "prov_drift_compare",
    "WITH a AS (SELECT DISTINCT ON (phone_number) * FROM jsonb_to_recordset($2::jsonb) AS "
    "a(phone_number text, carrier_number_id text, trunk_id text) WHERE phone_number IS NOT NULL), "
    "o AS (SELECT key AS trunk_id, value AS v FROM jsonb_each($4::jsonb)), "
    "t0 AS (SELECT to_timestamp($3::bigint / 1000.0) - interval '1 minute' AS at), "
    "live AS MATERIALIZED (SELECT id, workspace_id, phone_number, provider, origin, status, carrier_number_id, "
    "carrier_trunk_id, updated_at FROM provisioning.phone_numbers WHERE deleted_at IS NULL), "
    "recent AS MATERIALIZED (SELECT phone_number FROM provisioning.phone_numbers "
    "WHERE updated_at > (SELECT at FROM t0)), "
    "settled AS (SELECT * FROM live WHERE origin = 'purchased' AND provider = $1 "
    "AND status IN ('active', 'quarantined') AND updated_at <= (SELECT at FROM t0)), "
    "found AS ("
    "SELECT 'orphan'::text AS kind, a.phone_number, NULL::uuid AS number_id, NULL::uuid AS workspace_id, "
    "a.carrier_number_id, jsonb_build_object('trunk_id', NULLIF(a.trunk_id, '')) AS detail FROM a "
    "WHERE a.phone_number NOT IN (SELECT phone_number FROM live) AND a.phone_number NOT IN (SELECT phone_number FROM recent) "
    "UNION ALL SELECT 'missing', s.phone_number, s.id, s.workspace_id, s.carrier_number_id, "
    "jsonb_build_object('status', s.status) FROM settled s WHERE s.phone_number NOT IN (SELECT phone_number FROM a) "
    "UNION ALL SELECT 'trunk_mismatch', s.phone_number, s.id, s.workspace_id, s.carrier_number_id, "
    "jsonb_build_object('expected_trunk_id', s.carrier_trunk_id, 'carrier_trunk_id', NULLIF(a.trunk_id, '')) "
    "FROM settled s JOIN a ON a.phone_number = s.phone_number WHERE s.carrier_trunk_id IS NOT NULL "
    "AND s.carrier_trunk_id IS DISTINCT FROM NULLIF(a.trunk_id, '') "
    "UNION ALL SELECT 'origination_mismatch', s.phone_number, s.id, s.workspace_id, s.carrier_number_id, "
    "jsonb_build_object('trunk_id', s.carrier_trunk_id, 'trunk_found', (o.v->>'found')::boolean, "
    "'origination_uris', coalesce(o.v->'uris', '[]'::jsonb), 'expected_uri', $5::text) "
    "FROM settled s JOIN a ON a.phone_number = s.phone_number AND a.trunk_id = s.carrier_trunk_id "
    "JOIN o ON o.trunk_id = s.carrier_trunk_id "
    "WHERE NOT ((o.v->>'found')::boolean AND (o.v->>'reaches')::boolean)), "
    "kept AS (SELECT * FROM found x WHERE NOT EXISTS (SELECT 1 FROM provisioning.drift_findings d WHERE "
    "d.resolution = 'dismissed' AND d.provider = $1 AND d.kind = x.kind AND d.phone_number = x.phone_number)), "
    "up AS (INSERT INTO provisioning.drift_findings AS f (id, provider, kind, phone_number, number_id, workspace_id, "
    "carrier_number_id, detail) SELECT gen_random_uuid(), $1, kind, phone_number, number_id, workspace_id, "
    "carrier_number_id, detail FROM kept ON CONFLICT (provider, kind, phone_number) WHERE resolved_at IS NULL "
    "DO UPDATE SET last_seen_at = clock_timestamp(), detail = EXCLUDED.detail, number_id = EXCLUDED.number_id, "
    "workspace_id = EXCLUDED.workspace_id, carrier_number_id = EXCLUDED.carrier_number_id RETURNING f.id), "
    "healed AS (UPDATE provisioning.drift_findings f SET resolved_at = clock_timestamp(), "
    "resolution = 'no_longer_seen' WHERE f.provider = $1 AND f.resolved_at IS NULL AND NOT EXISTS "
    "(SELECT 1 FROM kept WHERE kept.kind = f.kind AND kept.phone_number = f.phone_number) RETURNING f.id) "
    "SELECT (SELECT count(*) FROM a) AS on_account, "
    "(SELECT count(*) FROM kept WHERE kind = 'orphan') AS orphan, "
    "(SELECT count(*) FROM kept WHERE kind = 'missing') AS missing, "
    "(SELECT count(*) FROM kept WHERE kind = 'trunk_mismatch') AS trunk_mismatch, "
    "(SELECT count(*) FROM kept WHERE kind = 'origination_mismatch') AS origination_mismatch, "
    "(SELECT count(*) FROM up) + (SELECT count(*) FROM healed) AS written",
    5};

void prov_drift_compare(prov_t *p, const char *provider, const char *seen_json, const char *origination_json,
                        const char *ingress_uri, int64_t started_ms, oi_pg_done_cb cb, void *ud)
{
    char started[24];
    snprintf(started, sizeof started, "%lld", (long long)started_ms);
    const char *params[] = {provider, seen_json, started, origination_json, ingress_uri};
    oi_pg_pipeline_exec(p->pg, &COMPARE, params, cb, ud);
}

static const oi_pg_stmt_t TRUNKS = {
    "prov_drift_trunks",
    "SELECT DISTINCT carrier_trunk_id FROM provisioning.phone_numbers WHERE deleted_at IS NULL "
    "AND origin = 'purchased' AND provider = $1 AND status IN ('active', 'quarantined') "
    "AND carrier_trunk_id IS NOT NULL ORDER BY 1",
    1};

void prov_drift_trunks(prov_t *p, const char *provider, oi_pg_done_cb cb, void *ud)
{
    const char *params[] = {provider};
    oi_pg_pipeline_exec(p->pg, &TRUNKS, params, cb, ud);
}

static const oi_pg_stmt_t CLAIM = {
    "prov_drift_claim",
    "UPDATE provisioning.periodic_claims SET claimed_at = clock_timestamp(), claimed_by = $2 "
    "WHERE name = 'drift_check' AND claimed_at <= clock_timestamp() - $1::bigint * interval '1 millisecond' "
    "RETURNING name",
    2};

void prov_drift_claim(prov_t *p, int period_ms, oi_pg_done_cb cb, void *ud)
{
    char within[24];
    snprintf(within, sizeof within, "%lld", (long long)period_ms * 9 / 10);
    const char *params[] = {within, p->owner};
    oi_pg_pipeline_exec(p->pg, &CLAIM, params, cb, ud);
}

static const oi_pg_stmt_t COUNTS = {
    "prov_drift_counts",
    "SELECT provider, kind, count(*) AS n FROM provisioning.drift_findings WHERE resolved_at IS NULL "
    "GROUP BY provider, kind",
    0};

void prov_drift_counts(prov_t *p, oi_pg_done_cb cb, void *ud) { oi_pg_pipeline_exec(p->pg, &COUNTS, NULL, cb, ud); }

static const oi_pg_stmt_t LIST = {
    "prov_drift_list",
    "SELECT " FINDING_COLS " FROM provisioning.drift_findings f WHERE "
    "($1 = 'all' OR ($1 = 'open') = (f.resolved_at IS NULL)) AND ($2::text IS NULL OR f.provider = $2) "
    "AND ($3::text IS NULL OR f.kind = $3) AND ($4::uuid IS NULL OR f.id > $4::uuid) ORDER BY f.id LIMIT $5::int",
    5};

void prov_drift_list(prov_t *p, const char *state, const char *provider, const char *kind, const char *cursor,
                     int limit, oi_pg_done_cb cb, void *ud)
{
    char lim[16];
    snprintf(lim, sizeof lim, "%d", limit + 1);
    const char *params[] = {state, provider, kind, cursor, lim};
    oi_pg_pipeline_exec_planned(p->pg, &LIST, params, cb, ud);
}

static const oi_pg_stmt_t GET = {
    "prov_drift_get",
    "SELECT " FINDING_COLS ", EXISTS (SELECT 1 FROM provisioning.phone_numbers n WHERE n.phone_number = "
    "f.phone_number AND n.deleted_at IS NULL) AS held, (SELECT n.carrier_trunk_id FROM provisioning.phone_numbers n "
    "WHERE n.id = f.number_id AND n.deleted_at IS NULL AND n.status IN ('active', 'quarantined')) AS row_trunk_id "
    "FROM provisioning.drift_findings f WHERE f.id = $1::uuid",
    1};

void prov_drift_get(prov_t *p, const char *id, oi_pg_done_cb cb, void *ud)
{
    const char *params[] = {id};
    oi_pg_pipeline_exec(p->pg, &GET, params, cb, ud);
}

static const oi_pg_stmt_t CLOSE = {
    "prov_drift_close",
    "UPDATE provisioning.drift_findings f SET resolved_at = clock_timestamp(), resolution = $2, resolved_by = $3, "
    "resolved_request_id = $4 WHERE f.id = $1::uuid AND f.resolved_at IS NULL RETURNING " FINDING_COLS,
    4};

void prov_drift_resolve(prov_t *p, const char *id, const char *resolution, const char *by, const char *request_id,
                      oi_pg_done_cb cb, void *ud)
{
    const char *params[] = {id, resolution, by, request_id};
    oi_pg_pipeline_exec(p->pg, &CLOSE, params, cb, ud);
}

void prov_drift_mark_released(prov_t *p, const char *id, const char *number_id, const char *job_ids,
                              const char *by, const char *request_id, oi_pg_done_cb cb, void *ud)
{
    char max[16];
    snprintf(max, sizeof max, "%d", p->max_attempts);
    const char *release[] = {job_ids, max, number_id};
    const char *close[] = {id, "marked_released", by, request_id};
    oi_pg_query_t q[] = {{&PROV_SUBMIT_RELEASE_ONE, release}, {&CLOSE, close}};
    oi_pg_pipeline_batch(p->pg, q, 2, cb, ud);
}

static char *copy(const PGresult *res, int row, const char *col)
{
    const char *v = oi_pg_get(res, row, col);
    return oi_xstrdup(v ? v : "");
}

Oneinbox__V1__DriftFinding *prov_drift_finding_to_proto(const PGresult *res, int row)
{
    Oneinbox__V1__DriftFinding *f = oi_xmalloc(sizeof *f);
    oneinbox__v1__drift_finding__init(f);
    f->id = copy(res, row, "id");
    f->provider = prov_provider_parse(oi_pg_get(res, row, "provider"));
    f->kind = copy(res, row, "kind");
    f->phone_number = copy(res, row, "phone_number");
    f->number_id = copy(res, row, "number_id");
    f->workspace_id = copy(res, row, "workspace_id");
    f->carrier_number_id = copy(res, row, "carrier_number_id");
    f->detail_json = copy(res, row, "detail");
    f->first_seen_at = copy(res, row, "first_seen_at");
    f->last_seen_at = copy(res, row, "last_seen_at");
    f->resolved_at = copy(res, row, "resolved_at");
    f->resolution = copy(res, row, "resolution");
    f->resolved_by = copy(res, row, "resolved_by");
    f->resolved_request_id = copy(res, row, "resolved_request_id");
    return f;
}
