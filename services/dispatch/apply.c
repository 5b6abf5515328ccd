/* apply.c: dispatch.ApplyNumber: one transaction behind the per-number fence (see apply.h),
 * then cache invalidation, then the reply. */
#define OI_LOG_TAG "dsp.apply"
#include "apply.h"
#include "apply_many.h"
#include "agent_lock.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "check.h"
#include "db.h"
#include "dsp.h"
#include "mutate.h"
#include "oi/assert.h"
#include "oi/ids.h"
#include "oi/log.h"
#include "oi/mem.h"
#include "oi/pg.h"
#include "oi/proto_enum.h"
#include "oi/routing_policy.h"

#define AGENTS_MAX DSP_APPLY_AGENTS_MAX
#define PHONE_MAX 24

/* (The workspace is compared with IS TRUE, never an index condition: a generic plan would
 * otherwise scan the workspace's agents keyset index instead of taking each agent by id; with no
 * agent to check, the cardinality test makes the scan a one-time filter that never runs.)
 * Statement 1, after DSP_AGENTS_LOCK held the agents (agent_lock.h). $1 workspace, $2 number_id,
 * $3 version, $4 agent ids ("{…}"). Finds the agents that exist; moves the fence only when all of them do and the version is newer (ON CONFLICT
 * waits for a concurrent apply of the number, then compares with what it committed); notes the
 * move in a transaction-local setting that statement 2 reads. */
static const oi_pg_stmt_t FENCE = {
    "dsp_apply_fence",
    "WITH named AS ("
    " SELECT id FROM dispatch.agents"
    " WHERE cardinality($4::uuid[]) > 0 AND (workspace_id = $1::uuid) IS TRUE AND id = ANY ($4::uuid[])"
    " AND deleted_at IS NULL), "
    "fence AS ("
    " INSERT INTO dispatch.number_versions AS v (number_id, workspace_id, version)"
    " SELECT $2::text, $1::uuid, $3::bigint"
    " WHERE NOT EXISTS (SELECT 1 FROM unnest($4::uuid[]) AS want(id) WHERE want.id NOT IN (SELECT id FROM named))"
    " ON CONFLICT (number_id) DO UPDATE SET version = EXCLUDED.version, updated_at = now()"
    " WHERE v.version < EXCLUDED.version AND v.workspace_id = EXCLUDED.workspace_id"
    " RETURNING v.version) "
    "SELECT (SELECT string_agg(id::text, ',') FROM named) AS found,"
    " set_config('dispatch.apply_fence',"
    " CASE WHEN EXISTS (SELECT 1 FROM fence) THEN $2::text || '@' || $3::bigint ELSE '' END, true) AS fence",
    4};

/* Statement 1 when no agent is to be checked (a PATCH of the voicemail, a deletion): the fence
 * alone. Same parameters (the fourth unused but typed, so both share one parameter list). */
static const oi_pg_stmt_t FENCE_ONLY = {
    "dsp_apply_fence_only",
    "WITH fence AS ("
    " INSERT INTO dispatch.number_versions AS v (number_id, workspace_id, version)"
    " VALUES ($2::text, $1::uuid, $3::bigint)"
    " ON CONFLICT (number_id) DO UPDATE SET version = EXCLUDED.version, updated_at = now()"
    " WHERE v.version < EXCLUDED.version AND v.workspace_id = EXCLUDED.workspace_id"
    " RETURNING v.version) "
    "SELECT NULL::text AS found, $4::uuid[] IS NULL AS unused,"
    " set_config('dispatch.apply_fence',"
    " CASE WHEN EXISTS (SELECT 1 FROM fence) THEN $2::text || '@' || $3::bigint ELSE '' END, true) AS fence",
    4};

/* Statement 2, a fresh snapshot in the same transaction. $1 workspace, $2 number_id, $3 version,
 * $4 outbound mode (put | delete | ''), $5..$10 outbound trunk id, phone, provider, address,
 * username, sealed password, $11 routing present, $12 inbound trunk id, $13 rule id, $14 phone,
 * $15 provider, $16 agent, $17 fallback, $18 voicemail, $19 policy (canonical JSON or NULL), $20 the
 * policy's agents ("{…}" or NULL). Writes only when statement 1 moved the
 * fence. An upsert whose id another workspace owns returns no row, and then dispatch.id_taken
 * raises 23505 on that key, rolling back everything. Returns the fence's version (the number's
 * workspace is checked the same way) and the phone the rule had before.
 *
 * One variant per (outbound mode, routing present): each holds only the writes its case makes,
 * since every data-modifying CTE costs its executor start-up even when it writes nothing. The
 * `params` CTE is never read (so never run); it types every parameter, so all variants share
 * one parameter list. */
#define W_HEAD                                                                                          \
    "WITH params AS (SELECT $4::text, $5::text, $6::text, $7::text, $8::text, $9::text, $10::text, "    \
    "$11::bool, $12::text, $13::text, $14::text, $15::text, $16::uuid, $17::uuid, $18::text, $19::jsonb, " \
    "$20::uuid[]), "                                                                                    \
    "g AS (SELECT coalesce(current_setting('dispatch.apply_fence', true), '') = $2::text || '@' || "   \
    "$3::bigint AS moved), "                                                                            \
    "fence_row AS (SELECT workspace_id, version FROM dispatch.number_versions WHERE number_id = $2::text), " \
    "old_rule AS (SELECT phone_number FROM dispatch.dispatch_rules WHERE id = $13::text AND workspace_id = $1::uuid)"
#define W_OB_PUT                                                                                        \
    ", ob_put AS ("                                                                                      \
    " INSERT INTO dispatch.outbound_trunks AS t (id, workspace_id, phone_number, provider, trunk_address," \
    " auth_username, auth_password_sealed, creds_version)"                                              \
    " SELECT $5::text, $1::uuid, $6::text, $7::text, $8::text, $9::text, $10::text, $3::bigint FROM g"  \
    " WHERE g.moved"                                                                                     \
    " ON CONFLICT (id) DO UPDATE SET phone_number = EXCLUDED.phone_number, provider = EXCLUDED.provider," \
    " trunk_address = EXCLUDED.trunk_address, auth_username = EXCLUDED.auth_username,"                  \
    " auth_password_sealed = EXCLUDED.auth_password_sealed, creds_version = EXCLUDED.creds_version,"    \
    " updated_at = now()"                                                                                \
    " WHERE t.workspace_id = EXCLUDED.workspace_id RETURNING t.id)"
#define W_OB_DEL                                                                                        \
    ", ob_del AS ("                                                                                      \
    " DELETE FROM dispatch.outbound_trunks WHERE (SELECT moved FROM g) AND id = $5::text AND workspace_id = $1::uuid)"
#define W_ROUTE_PUT                                                                                     \
    ", it_put AS ("                                                                                      \
    " INSERT INTO dispatch.inbound_trunks AS t (id, workspace_id, phone_number, provider)"               \
    " SELECT $12::text, $1::uuid, $14::text, $15::text FROM g WHERE g.moved"                            \
    " ON CONFLICT (id) DO UPDATE SET phone_number = EXCLUDED.phone_number, provider = EXCLUDED.provider," \
    " updated_at = now() WHERE t.workspace_id = EXCLUDED.workspace_id RETURNING t.id), "                \
    "rule_put AS ("                                                                                      \
    " INSERT INTO dispatch.dispatch_rules AS r (id, workspace_id, number_id, phone_number, inbound_trunk_id," \
    " agent_id, fallback_agent_id, voicemail_message, policy, policy_agents)"                           \
    " SELECT $13::text, $1::uuid, $2::text, $14::text, $12::text, $16::uuid, $17::uuid, $18::text,"      \
    " $19::jsonb, coalesce($20::uuid[], '{}') FROM g"                                                    \
    " WHERE g.moved"                                                                                     \
    " ON CONFLICT (id) DO UPDATE SET number_id = EXCLUDED.number_id, phone_number = EXCLUDED.phone_number," \
    " inbound_trunk_id = EXCLUDED.inbound_trunk_id, agent_id = EXCLUDED.agent_id,"                      \
    " fallback_agent_id = EXCLUDED.fallback_agent_id, voicemail_message = EXCLUDED.voicemail_message,"  \
    " policy = EXCLUDED.policy, policy_agents = EXCLUDED.policy_agents,"                                \
    " updated_at = now() WHERE r.workspace_id = EXCLUDED.workspace_id RETURNING r.id)"
#define W_ROUTE_DEL                                                                                     \
    ", it_del AS ("                                                                                      \
    " DELETE FROM dispatch.inbound_trunks WHERE (SELECT moved FROM g) AND id = $12::text AND workspace_id = $1::uuid), " \
    "rule_del AS ("                                                                                      \
    " DELETE FROM dispatch.dispatch_rules WHERE (SELECT moved FROM g) AND id = $13::text AND workspace_id = $1::uuid" \
    " RETURNING phone_number)"
/* the result row; ob_taken / route_taken: the CASE arms naming a key another workspace owns */
#define W_TAIL(old_phone, ob_taken, route_taken)                                                        \
    " SELECT (SELECT moved FROM g) AS moved, (SELECT version FROM fence_row) AS fence_version, "        \
    old_phone " AS old_phone, dispatch.id_taken(CASE"                                                   \
    " WHEN (SELECT workspace_id FROM fence_row) <> $1::uuid THEN 'number_versions_pkey'"                \
    " WHEN NOT (SELECT moved FROM g) THEN NULL" ob_taken route_taken " END) AS refused"
#define W_OLD_PHONE_KEPT "(SELECT phone_number FROM old_rule)"
#define W_OLD_PHONE_DELETED "coalesce((SELECT phone_number FROM rule_del), (SELECT phone_number FROM old_rule))"
#define W_OB_TAKEN " WHEN NOT EXISTS (SELECT 1 FROM ob_put) THEN 'outbound_trunks_pkey'"
#define W_ROUTE_TAKEN                                                                                   \
    " WHEN NOT EXISTS (SELECT 1 FROM it_put) THEN 'inbound_trunks_pkey'"                                 \
    " WHEN NOT EXISTS (SELECT 1 FROM rule_put) THEN 'dispatch_rules_pkey'"

static const oi_pg_stmt_t WRITE_KEEP_ROUTE = {"dsp_apply_write_keep_route",
    W_HEAD W_ROUTE_PUT W_TAIL(W_OLD_PHONE_KEPT, "", W_ROUTE_TAKEN), 20};
static const oi_pg_stmt_t WRITE_DEL_ROUTE = {"dsp_apply_write_del_route",
    W_HEAD W_OB_DEL W_ROUTE_PUT W_TAIL(W_OLD_PHONE_KEPT, "", W_ROUTE_TAKEN), 20};
static const oi_pg_stmt_t WRITE_KEEP_NOROUTE = {"dsp_apply_write_keep_noroute",
    W_HEAD W_ROUTE_DEL W_TAIL(W_OLD_PHONE_DELETED, "", ""), 20};
static const oi_pg_stmt_t WRITE_PUT_NOROUTE = {"dsp_apply_write_put_noroute",
    W_HEAD W_OB_PUT W_ROUTE_DEL W_TAIL(W_OLD_PHONE_DELETED, W_OB_TAKEN, ""), 20};
static const oi_pg_stmt_t WRITE_DEL_NOROUTE = {"dsp_apply_write_del_noroute",
    W_HEAD W_OB_DEL W_ROUTE_DEL W_TAIL(W_OLD_PHONE_DELETED, "", ""), 20};

/* Statement 3 of a rotation (rotate_outbound_trunk), after the others and whatever they did: the
 * trunk's address and credentials, when this version is newer than the one that set them. An
 * UPDATE: a trunk deleted meanwhile stays deleted. $1 trunk id, $2 workspace, $3 address,
 * $4 username, $5 sealed password, $6 version. */
static const oi_pg_stmt_t ROTATE = {
    "dsp_apply_rotate",
    "UPDATE dispatch.outbound_trunks SET trunk_address = $3, auth_username = $4, auth_password_sealed = $5, "
    "creds_version = $6::bigint, updated_at = now() "
    "WHERE id = $1 AND (workspace_id = $2::uuid) IS TRUE AND creds_version < $6::bigint",
    6};

/* The variant for an outbound mode ('' keep, put, delete) and whether routing is present. A trunk
 * put with routing never comes here: that is the shared statements' case (apply_many.h). */
static const oi_pg_stmt_t *write_variant(const char *mode, bool routing)
{
    if (strcmp(mode, "put") == 0)
        return &WRITE_PUT_NOROUTE;
    if (strcmp(mode, "delete") == 0)
        return routing ? &WRITE_DEL_ROUTE : &WRITE_DEL_NOROUTE;
    return routing ? &WRITE_KEEP_ROUTE : &WRITE_KEEP_NOROUTE;
}

/* --- the transaction ------------------------------------------------------------------------ */

typedef struct {
    char id[OI_UUID_STR_LEN + 1];  /* canonical */
    char field[OI_ERROR_LOC_MAX];  /* the loc when it is missing */
} agent_ref_t;

typedef struct {
    dsp_apply_done_cb cb;
    void *ud;
    int64_t version;
    char phone[PHONE_MAX];
    size_t n_agents;
    agent_ref_t agents[AGENTS_MAX]; /* request order: the first missing one is reported */
} apply_t;

static void agent_add(apply_t *a, const char *id, const char *field)
{
    agent_ref_t *ref = &a->agents[a->n_agents++];
    oi_uuid_normalize(id, ref->id);
    snprintf(ref->field, sizeof ref->field, "%s", field);
}

/* The agents to check and lock: the request's AgentChecks. The routing's own agents are taken as
 * given: its caller checked the new or changed ones, and one deleted since is for Resolve to
 * route around (fallback, voicemail), not a reason to refuse a number's other changes. */
static void agents_collect(apply_t *a, const Oneinbox__V1__ApplyNumberRequest *req)
{
    for (size_t i = 0; i < req->n_agents; i++) {
        char loc[48];
        snprintf(loc, sizeof loc, "agents[%zu].id", i);
        agent_add(a, req->agents[i]->id, *req->agents[i]->field ? req->agents[i]->field : loc);
    }
}

/* "{id,id,…}" of a's agents into out. */
static void agents_array(const apply_t *a, char *out, size_t cap)
{
    size_t len = (size_t)snprintf(out, cap, "{");
    for (size_t i = 0; i < a->n_agents && len < cap; i++)
        len += (size_t)snprintf(out + len, cap - len, "%s%s", i ? "," : "", a->agents[i].id);
    if (len < cap)
        snprintf(out + len, cap - len, "}");
}

/* The first agent (request order) absent from found ("id,id", canonical, NULL = none found). */
static const agent_ref_t *first_missing(const apply_t *a, const char *found)
{
    for (size_t i = 0; i < a->n_agents; i++) {
        /* whole items only: a 36-character window across a comma cannot match a UUID */
        if (!found || !strstr(found, a->agents[i].id))
            return &a->agents[i];
    }
    return NULL;
}

/* A 23505 on one of the keys the transaction writes, said as the field that named it. */
static oi_status_t conflict_on(const apply_t *a, const oi_error_t *src, oi_error_t *err)
{
    static const struct {
        const char *key, *field;
    } keys[] = {{"number_versions_pkey", "number_id"},
                {"outbound_trunks_pkey", "outbound_trunk_id"},
                {"inbound_trunks_pkey", "inbound_trunk_id"},
                {"dispatch_rules_pkey", "dispatch_rule_id"}};
    oi_status_t rc;
    if (strcmp(src->loc, "dispatch_rules_phone_number_key") == 0) {
        rc = oi_error_set(err, OI_CONFLICT, "%s already has a dispatch rule", a->phone);
        oi_error_set_loc(err, "phone_number");
        return rc;
    }
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        if (strcmp(src->loc, keys[i].key) == 0) {
            rc = oi_error_set(err, OI_CONFLICT, "%s: this id belongs to another workspace", keys[i].field);
            oi_error_set_loc(err, keys[i].field);
            return rc;
        }
    }
    return oi_error_take(err, src);
}

/* What row `row` of statement 2 says; found: the agents statement 1 found ("id,id", or NULL). */
static oi_status_t outcome(const apply_t *a, const char *found, const PGresult *write, int row,
                           dsp_apply_result_t *out, oi_error_t *err)
{
    if (oi_pg_bool(write, row, "moved")) {
        const char *old = oi_pg_get(write, row, "old_phone");
        out->applied = true;
        out->old_phone = old && strcmp(old, a->phone) != 0 ? old : NULL;
        return OI_OK;
    }
    const char *applied = oi_pg_get(write, row, "fence_version");
    if (applied && strtoll(applied, NULL, 10) >= a->version)
        return OI_OK; /* a repeat or a late call: it succeeds without writing */
    const agent_ref_t *missing = first_missing(a, found);
    if (missing) {
        oi_status_t rc = oi_error_set(err, OI_AGENT_NOT_FOUND, "agent %s not found", missing->id);
        oi_error_set_loc(err, missing->field);
        return rc;
    }
    return oi_error_set(err, OI_CONFLICT, "the number's version did not move; retry");
}

/* Answers a: found and row as for outcome(); write NULL: the statements answered nothing for it. */
static void answer(apply_t *a, oi_status_t st, const oi_error_t *err, const char *found, const PGresult *write,
                   int row)
{
    oi_error_t e;
    oi_error_init(&e);
    dsp_apply_result_t out = {0};
    if (st == OI_CONFLICT)
        st = conflict_on(a, err, &e);
    else if (st)
        st = oi_error_take(&e, err);
    else if (write && row >= 0)
        st = outcome(a, found, write, row, &out, &e);
    else
        st = oi_error_set(&e, OI_INTERNAL, "unexpected result from the apply statements");
    a->cb(st, st ? &e : NULL, st ? NULL : &out, a->ud);
    free(a);
}

static void on_done(oi_status_t st, const oi_error_t *err, PGresult *const *res, size_t n, void *ud)
{
    if (st == OI_OK && ((apply_t *)ud)->n_agents && n > 0) { /* the agents' lock answers first */
        res++;
        n--;
    }
    bool one_each = st == OI_OK && n >= 2 && PQntuples(res[0]) == 1 && PQntuples(res[1]) == 1;
    answer(ud, st, err, one_each ? oi_pg_get(res[0], 0, "found") : NULL, one_each ? res[1] : NULL, 0);
}

static void on_done_many(oi_status_t st, const oi_error_t *err, const PGresult *res, int row, void *ud)
{
    answer(ud, st, err, res && row >= 0 ? oi_pg_get(res, row, "found") : NULL, res, row);
}

static const char *nonempty(const char *s) { return s && *s ? s : NULL; }

/* "{id,id,…}" of every agent the routing's policy names, "" when it names none. parsed: that
 * policy already parsed, or NULL to parse it here (checked by dsp_check_apply_number: it parses). */
static void policy_agents_array(const Oneinbox__V1__NumberRouting *rt, const oi_policy_t *parsed, char *out,
                                size_t cap)
{
    out[0] = '\0';
    oi_policy_t *own = NULL;
    oi_error_t e;
    oi_error_init(&e);
    if (!parsed && (!rt || !rt->policy_json || !*rt->policy_json || oi_policy_parse(rt->policy_json, &own, &e)))
        return;
    const oi_policy_t *p = parsed ? parsed : own;
    const char *ids[OI_POLICY_AGENTS_MAX];
    size_t n = oi_policy_agents(p, ids, NULL, OI_POLICY_AGENTS_MAX);
    size_t len = 0;
    for (size_t i = 0; i < n && len < cap; i++)
        len += (size_t)snprintf(out + len, cap - len, "%s%s", i ? "," : "{", ids[i]);
    if (n && len < cap)
        snprintf(out + len, cap - len, "}");
    oi_policy_free(&own);
}

void dsp_apply_run(oi_pg_pipeline_t *pg, oi_pg_coalesce_t *many, const oi_crypto_t *crypto, const char *ws,
                   const Oneinbox__V1__ApplyNumberRequest *req, const oi_policy_t *policy, dsp_apply_done_cb cb,
                   void *ud)
{
    OI_ASSERT(many); /* every routing it puts goes through the shared statements */
    OI_ASSERT(req->n_agents <= DSP_APPLY_AGENTS_MAX); /* dsp_check_apply_number ran */
    apply_t *a = oi_xcalloc(1, sizeof *a);
    a->cb = cb;
    a->ud = ud;
    a->version = req->version;
    snprintf(a->phone, sizeof a->phone, "%s", req->phone_number);
    agents_collect(a, req);
    char version[24], agents[AGENTS_MAX * (OI_UUID_STR_LEN + 1) + 3];
    char policy_agents[OI_POLICY_AGENTS_MAX * (OI_UUID_STR_LEN + 1) + 3];
    snprintf(version, sizeof version, "%lld", (long long)req->version);
    agents_array(a, agents, sizeof agents);
    policy_agents_array(req->routing, policy, policy_agents, sizeof policy_agents);
    const Oneinbox__V1__OutboundTrunk *t = req->outbound_trunk;
    const Oneinbox__V1__NumberRouting *rt = req->routing;
    /* sealed to its trunk: the row the password is written into */
    char *sealed = t && *t->auth_password
                       ? oi_crypto_seal(crypto, OI_SEAL_OUTBOUND_TRUNK, req->outbound_trunk_id, t->auth_password)
                       : NULL;
    char agent[OI_UUID_STR_LEN + 1] = "", fallback[OI_UUID_STR_LEN + 1] = "";
    if (rt)
        oi_uuid_normalize(rt->agent_id, agent);
    if (rt && rt->fallback_agent_id)
        oi_uuid_normalize(rt->fallback_agent_id->value, fallback);
    const char *mode = t && !req->rotate_outbound_trunk ? "put" : req->delete_outbound_trunk ? "delete" : "";
    const char *fence_params[] = {ws, req->number_id, version, agents};
    const char *write_params[] = {ws, req->number_id, version, mode, nonempty(req->outbound_trunk_id),
                                  t ? t->phone_number : NULL,
                                  t ? oi_enum_str(&oneinbox__v1__provider__descriptor, (int)t->provider) : NULL,
                                  t ? t->trunk_address : NULL, t ? t->auth_username : NULL, sealed,
                                  rt ? "t" : "f", nonempty(req->inbound_trunk_id),
                                  nonempty(req->dispatch_rule_id), req->phone_number,
                                  oi_enum_str(&oneinbox__v1__provider__descriptor, (int)req->provider),
                                  nonempty(agent), nonempty(fallback),
                                  rt && rt->voicemail_message ? rt->voicemail_message->value : NULL,
                                  rt ? nonempty(rt->policy_json) : NULL, rt && *policy_agents ? policy_agents : NULL};
    if (rt && strcmp(mode, "delete") != 0 && !req->rotate_outbound_trunk) { /* shared */
        /* no agent to check (a PATCH of the voicemail): NULL, and no lock statement */
        const char *row[DSP_APPLY_MANY_COLUMNS] = {ws, req->number_id, version, a->n_agents ? agents : NULL};
        memcpy(row + 4, write_params + 3, 7 * sizeof *row);        /* mode … sealed password */
        memcpy(row + 11, write_params + 11, 9 * sizeof *row);      /* inbound trunk … policy's agents */
        dsp_apply_many_add(many, row, on_done_many, a);
    } else {
        const char *rotate_params[] = {nonempty(req->outbound_trunk_id), ws, t ? t->trunk_address : NULL,
                                       t ? t->auth_username : NULL, sealed, version};
        const char *lock_params[] = {agents};
        oi_pg_query_t q[] = {{&DSP_AGENTS_LOCK, lock_params},
                             {a->n_agents ? &FENCE : &FENCE_ONLY, fence_params},
                             {write_variant(mode, rt != NULL), write_params},
                             {&ROTATE, rotate_params}};
        size_t skip = a->n_agents ? 0 : 1; /* no agent named: nothing to hold */
        oi_pg_pipeline_batch(pg, q + skip, (req->rotate_outbound_trunk ? 4 : 3) - skip, on_done,
                             a); /* copies the parameters */
    }
    free(sealed);
}

/* --- the RPC handler -------------------------------------------------------------------------- */

typedef struct {
    dsp_t *d;
    oi_rpc_call_t *call;
    char *request_id;        /* owned */
    char *number_id;         /* owned */
    char phone[PHONE_MAX];
    int64_t version;
    dsp_numbers_t touched;
    oi_status_t status;
    oi_error_t err;
    bool applied;
} apply_call_t;

static void call_finish(apply_call_t *ac)
{
    Oneinbox__V1__ApplyNumberReply rep = ONEINBOX__V1__APPLY_NUMBER_REPLY__INIT;
    rep.applied = ac->applied;
    if (!ac->status)
        oi_log_info(&(oi_log_ctx_t){.request_id = ac->request_id, .action = "applying number"},
                    "number %s version %lld %s", ac->number_id, (long long)ac->version,
                    ac->applied ? "applied" : "already applied (or older): nothing written");
    oi_rpc_call_reply(&ac->call, ac->status, ac->status ? &ac->err : NULL, ac->status ? NULL : &rep.base);
    ac->d->busy--;
    dsp_numbers_cleanup(&ac->touched);
    free(ac->request_id);
    free(ac->number_id);
    free(ac);
}

static void on_invalidated(oi_status_t st, void *ud)
{
    apply_call_t *ac = ud;
    if (st)
        oi_log_warn(&(oi_log_ctx_t){.request_id = ac->request_id, .action = "invalidating routes"},
                    "cache invalidation deferred (%s): cache bypassed until the generation is bumped",
                    oi_status_name(st));
    call_finish(ac);
}

static void on_applied(oi_status_t st, const oi_error_t *err, const dsp_apply_result_t *res, void *ud)
{
    apply_call_t *ac = ud;
    ac->status = st;
    if (st)
        ac->err = *err;
    else
        ac->applied = res->applied;
    /* the numbers whose routing may have changed, also when a commit may have happened unseen */
    if ((!st && res->applied) || st == OI_DB_UNAVAILABLE)
        dsp_numbers_add(&ac->touched, ac->phone);
    if (!st && res->applied)
        dsp_numbers_add(&ac->touched, res->old_phone);
    if (ac->touched.n == 0) {
        call_finish(ac);
        return;
    }
    dsp_cache_invalidate(ac->d->cache, (const char *const *)ac->touched.items, ac->touched.n, on_invalidated, ac);
}

void dsp_apply_on_call(oi_rpc_call_t *call, const oi_rpc_ctx_t *ctx, const ProtobufCMessage *msg)
{
    const Oneinbox__V1__ApplyNumberRequest *req = (const Oneinbox__V1__ApplyNumberRequest *)msg;
    dsp_t *d = ctx->ud;
    char ws[OI_UUID_STR_LEN + 1];
    oi_error_t err;
    oi_error_init(&err);
    oi_policy_t *policy = NULL;
    oi_status_t rc = dsp_workspace(ctx, ws, &err);
    if (!rc)
        rc = dsp_check_apply_number_policy(req, &policy, &err);
    if (rc) {
        oi_rpc_call_reply(&call, rc, &err, NULL);
        return;
    }
    apply_call_t *ac = oi_xcalloc(1, sizeof *ac);
    ac->d = d;
    ac->call = call;
    ac->request_id = oi_xstrdup(ctx->request_id ? ctx->request_id : "");
    ac->number_id = oi_xstrdup(req->number_id);
    snprintf(ac->phone, sizeof ac->phone, "%s", req->phone_number);
    ac->version = req->version;
    oi_error_init(&ac->err);
    d->busy++;
    dsp_apply_run(d->pipeline, d->apply_many, d->crypto, ws, req, policy, on_applied, ac);
    oi_policy_free(&policy);
}
