/* apply_many.c: the statements of apply_many.h. The rows are found by arrays of their keys
 * (index conditions); a call's own values join by its position. A row read for each call is a
 * lateral lookup by its own key, kept from being flattened into a join (LIMIT 1): a subquery
 * that also named the whole array made a generic plan probe the index once per array element
 * for every call (a batch of 64: 4,096 probes), and a join let it scan the whole table for
 * every batch. Each call's agents are unnested once and its shortfall found by its position: an
 * anti-join that cast every call's agents again for every agent of the batch took 0.7 ms of a
 * registration batch's 0.8.
 *
 * The fence and the writes are one statement, so one snapshot: the fence upsert takes each
 * number's row whatever its version (waiting for a concurrent apply of it, then seeing what that
 * committed), never lowers it, and returns the version it is at and the one it had
 * (prior_version), which is how the writes know it moved. A second statement would only have
 * been there for a fresh snapshot; it cost about a quarter of the pair in the database. */
#include "apply_many.h"

#include "agent_lock.h"

#define ROWS                                                                                            \
    "v AS (SELECT * FROM unnest($1::int[], $2::uuid[], $3::text[], $4::bigint[], $5::text[], $6::text[], " \
    "$7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], " \
    "$15::text[], $16::text[], $17::uuid[], $18::uuid[], $19::text[], $20::jsonb[], $21::text[]) AS v(ord, ws, " \
    "number_id, version, agents, ob_mode, ob_id, ob_phone, ob_provider, ob_address, ob_user, ob_sealed, it, " \
    "rule, phone, provider, agent, fallback, vm, policy, policy_agents))"

static const oi_pg_stmt_t APPLY_MANY = {
    "dsp_apply_many",
    "WITH " ROWS ", "
    "need AS (SELECT v.ord, v.ws, w.id FROM v CROSS JOIN LATERAL unnest(v.agents::uuid[]) AS w(id)), "
    "named AS (SELECT id, workspace_id FROM dispatch.agents"
    " WHERE id = ANY (ARRAY(SELECT id FROM need)) AND deleted_at IS NULL), "
    "short AS (SELECT need.ord FROM need WHERE NOT EXISTS (SELECT 1 FROM named"
    " WHERE named.id = need.id AND named.workspace_id = need.ws)), "
    "ready AS (SELECT * FROM v WHERE NOT EXISTS (SELECT 1 FROM short WHERE short.ord = v.ord)), "
    "want AS (SELECT DISTINCT ON (number_id) number_id, ws, version FROM ready ORDER BY number_id, version DESC), "
    "fence AS ("
    " INSERT INTO dispatch.number_versions AS f (number_id, workspace_id, version)"
    " SELECT number_id, ws, version FROM want"
    " ON CONFLICT (number_id) DO UPDATE SET prior_version = f.version,"
    " version = GREATEST(f.version, EXCLUDED.version),"
    " updated_at = CASE WHEN f.version < EXCLUDED.version THEN now() ELSE f.updated_at END"
    " WHERE f.workspace_id = EXCLUDED.workspace_id"
    " RETURNING f.number_id, f.workspace_id, f.version, f.prior_version), "
    "moved AS (SELECT DISTINCT ON (v.number_id) v.* FROM v JOIN fence"
    " ON fence.number_id = v.number_id AND fence.version = v.version"
    " WHERE fence.prior_version IS NULL OR fence.prior_version < fence.version ORDER BY v.number_id, v.ord), "
    "fence_row AS (SELECT number_id, workspace_id, version FROM dispatch.number_versions"
    " WHERE number_id = ANY ($3::text[])), "
    "ob_put AS ("
    " INSERT INTO dispatch.outbound_trunks AS t (id, workspace_id, phone_number, provider, trunk_address,"
    " auth_username, auth_password_sealed, creds_version)"
    " SELECT ob_id, ws, ob_phone, ob_provider, ob_address, ob_user, ob_sealed, version FROM moved"
    " WHERE ob_mode = 'put'"
    " ON CONFLICT (id) DO UPDATE SET phone_number = EXCLUDED.phone_number, provider = EXCLUDED.provider,"
    " trunk_address = EXCLUDED.trunk_address, auth_username = EXCLUDED.auth_username,"
    " auth_password_sealed = EXCLUDED.auth_password_sealed, creds_version = EXCLUDED.creds_version,"
    " updated_at = now()"
    " WHERE t.workspace_id = EXCLUDED.workspace_id RETURNING t.id), "
    "it_put AS ("
    " INSERT INTO dispatch.inbound_trunks AS t (id, workspace_id, phone_number, provider)"
    " SELECT it, ws, phone, provider FROM moved"
    " ON CONFLICT (id) DO UPDATE SET phone_number = EXCLUDED.phone_number, provider = EXCLUDED.provider,"
    " updated_at = now() WHERE t.workspace_id = EXCLUDED.workspace_id RETURNING t.id), "
    "rule_put AS ("
    " INSERT INTO dispatch.dispatch_rules AS r (id, workspace_id, number_id, phone_number, inbound_trunk_id,"
    " agent_id, fallback_agent_id, voicemail_message, policy, policy_agents)"
    " SELECT rule, ws, number_id, phone, it, agent, fallback, vm, policy, coalesce(policy_agents::uuid[], '{}')"
    " FROM moved"
    " ON CONFLICT (id) DO UPDATE SET number_id = EXCLUDED.number_id, phone_number = EXCLUDED.phone_number,"
    " inbound_trunk_id = EXCLUDED.inbound_trunk_id, agent_id = EXCLUDED.agent_id,"
    " fallback_agent_id = EXCLUDED.fallback_agent_id, voicemail_message = EXCLUDED.voicemail_message,"
    " policy = EXCLUDED.policy, policy_agents = EXCLUDED.policy_agents,"
    " updated_at = now() WHERE r.workspace_id = EXCLUDED.workspace_id RETURNING r.id) "
    "SELECT v.ord, m.ord IS NOT NULL AS moved, coalesce(fz.version, fr.version) AS fence_version,"
    " o.phone_number AS old_phone,"
    " CASE WHEN m.ord IS NULL THEN (SELECT string_agg(a.id::text, ',') FROM dispatch.agents a"
    " WHERE a.id = ANY (v.agents::uuid[]) AND (a.workspace_id = v.ws) IS TRUE AND a.deleted_at IS NULL) END AS found,"
    " dispatch.id_taken(CASE"
    " WHEN coalesce(fz.workspace_id, fr.workspace_id) <> v.ws THEN 'number_versions_pkey'"
    " WHEN m.ord IS NULL THEN NULL"
    " WHEN v.ob_mode = 'put' AND NOT EXISTS (SELECT 1 FROM ob_put WHERE ob_put.id = v.ob_id)"
    " THEN 'outbound_trunks_pkey'"
    " WHEN NOT EXISTS (SELECT 1 FROM it_put WHERE it_put.id = v.it) THEN 'inbound_trunks_pkey'"
    " WHEN NOT EXISTS (SELECT 1 FROM rule_put WHERE rule_put.id = v.rule) THEN 'dispatch_rules_pkey' END) AS refused "
    "FROM v LEFT JOIN moved m ON m.ord = v.ord LEFT JOIN fence fz ON fz.number_id = v.number_id "
    "LEFT JOIN fence_row fr ON fr.number_id = v.number_id "
    "LEFT JOIN LATERAL (SELECT r.phone_number FROM dispatch.dispatch_rules r WHERE r.id = v.rule "
    "AND r.workspace_id = v.ws LIMIT 1) o ON true",
    21};

oi_pg_coalesce_t *dsp_apply_many_new(uv_loop_t *loop, oi_pg_pipeline_t *pg)
{
    oi_pg_coalesce_config_t cfg = {.stmt = &APPLY_MANY,
                                   .lock = &DSP_AGENTS_LOCK_MANY,
                                   .lock_column = DSP_APPLY_MANY_AGENTS,
                                   .columns = DSP_APPLY_MANY_COLUMNS,
                                   .max_in_flight = DSP_APPLY_IN_FLIGHT,
                                   .linger_ms = DSP_APPLY_LINGER_MS,
                                   .linger_rows = DSP_APPLY_LINGER_ROWS};
    return oi_pg_coalesce_new(loop, pg, &cfg);
}

void dsp_apply_many_add(oi_pg_coalesce_t *many, const char *const values[DSP_APPLY_MANY_COLUMNS], oi_pg_row_cb cb,
                        void *ud)
{
    oi_pg_coalesce_add(many, values, cb, ud);
}
