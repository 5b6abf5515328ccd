/* test_apply.c: dispatch.ApplyNumber's transaction (dsp_apply_run) against a real PostgreSQL
 * (OI_TEST_PG_CONNINFO, a keyword=value conninfo; deploy/local/test.sh sets it) and the dispatch
 * schema, migrated here if a migration is missing (as the schema's owner, so the service can
 * still use what this creates). Every test works in workspaces and numbers of its own. */
#include <criterion/criterion.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "agent_lock.h"
#include "apply.h"
#include "apply_many.h"
#include "check.h"
#include "dispatch.h"
#include "pgtest.h"
#include "oi/clock.h"
#include "oi/crypto.h"
#include "oi/ids.h"
#include "oi/mem.h"
#include "oi/pg.h"
#include "oi/pg_pipeline.h"

#define TEST_KEY "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f" /* test only */
#define PASSWORD "pgtest-trunk-password"

static uv_loop_t loop;
static oi_pg_pipeline_t *pg;
static oi_pg_coalesce_t *many; /* as the service runs: the common shape shares statements */
static oi_crypto_t *crypto;
static PGconn *admin;
static const char *conninfo;
static char ws[OI_UUID_STR_LEN + 1], other_ws[OI_UUID_STR_LEN + 1];

/* --- plumbing ---------------------------------------------------------------------------------- */

/* The first value of the first row (new string), NULL when there is no row or it is NULL. */
static char *scalar(const char *sql, int n, const char *const *params)
{
    PGresult *r = PQexecParams(admin, sql, n, NULL, params, NULL, NULL, 0);
    cr_assert(PQresultStatus(r) == PGRES_TUPLES_OK || PQresultStatus(r) == PGRES_COMMAND_OK, "%s: %s", sql,
              PQresultErrorMessage(r));
    char *v = PQntuples(r) > 0 && !PQgetisnull(r, 0, 0) ? oi_xstrdup(PQgetvalue(r, 0, 0)) : NULL;
    PQclear(r);
    return v;
}

static long count(const char *sql, const char *arg)
{
    const char *params[] = {arg};
    char *v = scalar(sql, 1, params);
    long n = v ? strtol(v, NULL, 10) : -1;
    free(v);
    return n;
}

static void setup(void)
{
    conninfo = pgtest_conninfo();
    admin = pgtest_connect(conninfo);
    pgtest_migrate_schema(admin, conninfo, "dispatch", DSP_MIGRATIONS_DEFAULT);
    uv_loop_init(&loop);
    cr_assert(oi_crypto_global_init(), "libsodium failed to initialise");
    oi_error_t err;
    oi_error_init(&err);
    crypto = oi_crypto_new(TEST_KEY, NULL, &err);
    cr_assert(crypto, "%s", err.message);
    pg = oi_pg_pipeline_new(&loop, &(oi_pg_pipeline_config_t){.conninfo = conninfo, .connections = 2,
                                                              .statement_timeout_ms = 5000,
                                                              .queue_timeout_ms = 3000});
    many = dsp_apply_many_new(&loop, pg);
    oi_uuid_new(ws);
    oi_uuid_new(other_ws);
}

static void run_until(const bool *flag, int timeout_ms) { pgtest_run_until(&loop, flag, timeout_ms); }

/* The loop turned for ms, whatever happens: a flag that must stay unset is looked at after. */
static void run_for(int ms)
{
    for (int i = 0; i < ms / 10; i++) {
        uv_run(&loop, UV_RUN_NOWAIT);
        usleep(10 * 1000);
    }
}

static void teardown(void)
{
    bool closed = false;
    oi_pg_coalesce_close(&many);
    oi_pg_pipeline_close(&pg, pgtest_set_flag, &closed);
    run_until(&closed, 5000);
    uv_run(&loop, UV_RUN_NOWAIT);
    cr_assert_eq(uv_loop_close(&loop), 0, "handles left open");
    oi_crypto_destroy(&crypto);
    static const char *const tables[] = {"agents", "outbound_trunks", "inbound_trunks", "dispatch_rules",
                                         "number_versions"};
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        char sql[160];
        snprintf(sql, sizeof sql, "DELETE FROM dispatch.%s WHERE workspace_id IN ($1, $2)", tables[i]);
        char *ignored = scalar(sql, 2, (const char *[]){ws, other_ws});
        free(ignored);
    }
    PQfinish(admin);
}

TestSuite(apply_pg, .init = setup, .fini = teardown, .timeout = 60);

/* --- a number and its request ------------------------------------------------------------------- */

typedef struct {
    Oneinbox__V1__ApplyNumberRequest req;
    Oneinbox__V1__AgentCheck checks[2];
    Oneinbox__V1__AgentCheck *check_ptrs[2];
    Oneinbox__V1__OutboundTrunk outbound;
    Oneinbox__V1__NumberRouting routing;
    Oneinbox__V1__OptString voicemail;
    char number_id[48], phone[24], outbound_id[48], inbound_id[48], rule_id[48];
} number_t;

static void random_phone(char out[24])
{
    char u[OI_UUID_STR_LEN + 1];
    oi_uuid_new(u);
    unsigned long long v = strtoull(u + 24, NULL, 16) % 1000000000ULL; /* 12 hex digits → 9 decimal */
    snprintf(out, 24, "+19%09llu", v);
}

/* A fresh number of workspace ws, routed to agent with an outbound trunk, at version 1. */
static void number_init(number_t *n, const char *agent)
{
    memset(n, 0, sizeof *n);
    char u[OI_UUID_STR_LEN + 1];
    oi_uuid_new(u);
    snprintf(n->number_id, sizeof n->number_id, "num_%s", u);
    snprintf(n->outbound_id, sizeof n->outbound_id, "otr_%s", u);
    snprintf(n->inbound_id, sizeof n->inbound_id, "itr_%s", u);
    snprintf(n->rule_id, sizeof n->rule_id, "rule_%s", u);
    random_phone(n->phone);
    n->req = (Oneinbox__V1__ApplyNumberRequest)ONEINBOX__V1__APPLY_NUMBER_REQUEST__INIT;
    n->req.number_id = n->number_id;
    n->req.phone_number = n->phone;
    n->req.provider = ONEINBOX__V1__PROVIDER__PROVIDER_TWILIO;
    n->req.version = 1;
    for (int i = 0; i < 2; i++) {
        n->checks[i] = (Oneinbox__V1__AgentCheck)ONEINBOX__V1__AGENT_CHECK__INIT;
        n->check_ptrs[i] = &n->checks[i];
    }
    n->checks[0].id = (char *)agent;
    n->checks[0].field = "inbound_routing.agent_id";
    n->req.agents = n->check_ptrs;
    n->req.n_agents = 1;
    n->outbound = (Oneinbox__V1__OutboundTrunk)ONEINBOX__V1__OUTBOUND_TRUNK__INIT;
    n->outbound.phone_number = n->phone;
    n->outbound.provider = ONEINBOX__V1__PROVIDER__PROVIDER_TWILIO;
    n->outbound.trunk_address = "example.pstn.twilio.com";
    n->outbound.auth_username = "user";
    n->outbound.auth_password = PASSWORD;
    n->req.outbound_trunk_id = n->outbound_id;
    n->req.outbound_trunk = &n->outbound;
    n->routing = (Oneinbox__V1__NumberRouting)ONEINBOX__V1__NUMBER_ROUTING__INIT;
    n->routing.agent_id = (char *)agent;
    n->voicemail = (Oneinbox__V1__OptString)ONEINBOX__V1__OPT_STRING__INIT;
    n->voicemail.value = "first";
    n->routing.voicemail_message = &n->voicemail;
    n->req.routing = &n->routing;
    n->req.inbound_trunk_id = n->inbound_id;
    n->req.dispatch_rule_id = n->rule_id;
}

/* Routing and outbound trunk gone. */
static void number_unroute(number_t *n)
{
    n->req.routing = NULL;
    n->req.outbound_trunk = NULL;
    n->req.delete_outbound_trunk = true;
    n->req.n_agents = 0;
}

/* A PATCH of the routing at `version`: the agents unchanged (none to check), the outbound trunk
 * kept; the shape that shares statements. */
static void number_patch(number_t *n, int64_t version, const char *voicemail)
{
    n->req.version = version;
    n->req.n_agents = 0;
    n->req.outbound_trunk = NULL;
    n->req.delete_outbound_trunk = false;
    n->voicemail.value = (char *)voicemail;
}

static void agent_new(const char *workspace, char out[OI_UUID_STR_LEN + 1])
{
    oi_uuid_new(out);
    char *ignored = scalar("INSERT INTO dispatch.agents (id, workspace_id, name, status) "
                           "VALUES ($1, $2, 'pg', 'active')",
                           2, (const char *[]){out, workspace});
    free(ignored);
}

typedef struct {
    bool done;
    oi_status_t st;
    oi_error_t err;
    bool applied;
    char old_phone[24];
} answer_t;

static void on_answer(oi_status_t st, const oi_error_t *err, const dsp_apply_result_t *res, void *ud)
{
    answer_t *a = ud;
    a->done = true;
    a->st = st;
    if (err)
        a->err = *err;
    if (res) {
        a->applied = res->applied;
        snprintf(a->old_phone, sizeof a->old_phone, "%s", res->old_phone ? res->old_phone : "");
    }
}

static answer_t apply_in(const char *workspace, const number_t *n)
{
    oi_error_t err;
    oi_error_init(&err);
    cr_assert_eq(dsp_check_apply_number(&n->req, &err), OI_OK, "the test's request is invalid: %s", err.message);
    answer_t a = {0};
    dsp_apply_run(pg, many, crypto, workspace, &n->req, NULL, on_answer, &a);
    cr_assert_not(a.done, "the callback must never run inside the submitting call");
    run_until(&a.done, 10000);
    return a;
}

static answer_t apply(const number_t *n) { return apply_in(ws, n); }

/* n applied while other (a connection, in a transaction) holds what it needs: the apply must
 * wait for it; other then commits and is closed, and the answer comes. what names other. */
static answer_t apply_behind(PGconn *other, const number_t *n, const char *what)
{
    answer_t a = {0};
    dsp_apply_run(pg, many, crypto, ws, &n->req, NULL, on_answer, &a);
    run_for(300);
    cr_expect_not(a.done, "the apply did not wait for %s", what);
    pgtest_exec(other, "COMMIT");
    PQfinish(other);
    run_until(&a.done, 10000);
    return a;
}

static long rules_of(const number_t *n)
{
    return count("SELECT count(*) FROM dispatch.dispatch_rules WHERE id = $1", n->rule_id);
}

static char *voicemail_of(const number_t *n)
{
    return scalar("SELECT voicemail_message FROM dispatch.dispatch_rules WHERE id = $1", 1,
                  (const char *[]){n->rule_id});
}

static long fence_of(const number_t *n)
{
    return count("SELECT coalesce(max(version), 0) FROM dispatch.number_versions WHERE number_id = $1",
                 n->req.number_id);
}

/* --- behaviour ----------------------------------------------------------------------------------- */

Test(apply_pg, puts_everything_then_a_repeat_writes_nothing)
{
    char agent[OI_UUID_STR_LEN + 1];
    agent_new(ws, agent);
    number_t n;
    number_init(&n, agent);
    answer_t a = apply(&n);
    cr_assert_eq(a.st, OI_OK, "%s", a.err.message);
    cr_expect(a.applied);
    cr_expect_eq(rules_of(&n), 1);
    cr_expect_eq(count("SELECT count(*) FROM dispatch.inbound_trunks WHERE id = $1", n.inbound_id), 1);
    char *sealed = scalar("SELECT auth_password_sealed FROM dispatch.outbound_trunks WHERE id = $1", 1,
                          (const char *[]){n.outbound_id});
    cr_assert(sealed && oi_crypto_sealed_current(crypto, sealed) && !strstr(sealed, PASSWORD), "stored in clear: %s",
              sealed);
    char *opened = oi_crypto_open(crypto, OI_SEAL_OUTBOUND_TRUNK, n.outbound_id, sealed);
    cr_expect_str_eq(opened, PASSWORD);
    oi_crypto_free_secret(opened);
    free(sealed);
    cr_expect_eq(fence_of(&n), 1);

    n.voicemail.value = "changed, same version";
    a = apply(&n);
    cr_assert_eq(a.st, OI_OK, "%s", a.err.message);
    cr_expect_not(a.applied, "an equal version is a repeat");
    char *vm = voicemail_of(&n);
    cr_expect_str_eq(vm, "first");
    free(vm);
}

/* The agents a routing policy names reach the rule whether the check's parsed policy is handed
 * to the run (the handler's way: one parse per call) or the run parses it itself. */
static char *policy_agents_of(const number_t *n)
{
    return scalar("SELECT policy_agents::text FROM dispatch.dispatch_rules WHERE id = $1", 1,
                  (const char *[]){n->rule_id});
}

Test(apply_pg, a_policy_parsed_once_by_the_check_names_its_agents_in_the_rule)
{
    char agent[OI_UUID_STR_LEN + 1], backup[OI_UUID_STR_LEN + 1], other[OI_UUID_STR_LEN + 1];
    agent_new(ws, agent);
    agent_new(ws, backup);
    agent_new(ws, other);
    number_t n;
    number_init(&n, agent);
    char policy[256];
    snprintf(policy, sizeof policy, "{\"fallbacks\":[{\"agent_id\":\"%s\",\"on\":[\"busy\"]}]}", backup);
    n.routing.policy_json = policy;
    oi_policy_t *parsed = NULL;
    oi_error_t err;
    oi_error_init(&err);
    cr_assert_eq(dsp_check_apply_number_policy(&n.req, &parsed, &err), OI_OK, "%s", err.message);
    cr_assert_not_null(parsed, "a routing with a policy hands its parse out");
    answer_t a = {0};
    dsp_apply_run(pg, many, crypto, ws, &n.req, parsed, on_answer, &a);
    oi_policy_free(&parsed);
    run_until(&a.done, 10000);
    cr_assert_eq(a.st, OI_OK, "%s", a.err.message);
    char *named = policy_agents_of(&n), want[64];
    snprintf(want, sizeof want, "{%s}", backup);
    cr_expect_str_eq(named, want);
    free(named);

    snprintf(policy, sizeof policy, "{\"fallbacks\":[{\"agent_id\":\"%s\",\"on\":[\"busy\"]}]}", other);
    number_patch(&n, 2, "second");
    a = apply(&n); /* NULL: the run parses */
    cr_assert_eq(a.st, OI_OK, "%s", a.err.message);
    named = policy_agents_of(&n);
    snprintf(want, sizeof want, "{%s}", other);
    cr_expect_str_eq(named, want);
    free(named);

    n.routing.policy_json = "{\"fallbacks\":[{\"agent_id\":\"not an id\"}]}";
    parsed = (oi_policy_t *)&n; /* must come back NULL */
    cr_expect_eq(dsp_check_apply_number_policy(&n.req, &parsed, &err), OI_INVALID);
    cr_expect_null(parsed, "a refused request hands out no policy");
}

Test(apply_pg, an_older_version_is_refused_without_error)
{
    char agent[OI_UUID_STR_LEN + 1];
    agent_new(ws, agent);
    number_t n;
    number_init(&n, agent);
    n.req.version = 5;
    cr_assert(apply(&n).applied);
    n.req.version = 4;
    n.voicemail.value = "late";
    answer_t a = apply(&n);
    cr_assert_eq(a.st, OI_OK, "%s", a.err.message);
    cr_expect_not(a.applied);
    char *vm = voicemail_of(&n);
    cr_expect_str_eq(vm, "first");
    free(vm);
    cr_expect_eq(fence_of(&n), 5);
}

/* A PATCH's apply that waits on a concurrent apply of its number (the fence row held) is decided
 * by what that one committed, though its statement's snapshot is older: an older version is a
 * late call (OK, nothing written), a newer one moves the fence and writes. */
Test(apply_pg, an_apply_waiting_on_a_concurrent_one_is_decided_by_its_commit)
{
    char agent[OI_UUID_STR_LEN + 1];
    agent_new(ws, agent);
    number_t n;
    number_init(&n, agent);
    cr_assert(apply(&n).applied); /* version 1 */
    struct {
        int64_t version;
        bool applied;
        const char *voicemail;
        long fence;
    } rounds[] = {{5, false, "first", 7}, {9, true, "newer", 9}};
    for (size_t i = 0; i < sizeof rounds / sizeof rounds[0]; i++) {
        PGconn *other = pgtest_connect(conninfo);
        pgtest_exec(other, "BEGIN");
        PGresult *r = PQexecParams(other,
                                   "UPDATE dispatch.number_versions SET version = greatest(version, 7) "
                                   "WHERE number_id = $1",
                                   1, NULL, (const char *[]){n.number_id}, NULL, NULL, 0);
        cr_assert_eq(PQresultStatus(r), PGRES_COMMAND_OK, "%s", PQresultErrorMessage(r));
        PQclear(r);
        number_patch(&n, rounds[i].version, i ? "newer" : "late");
        answer_t a = apply_behind(other, &n, "the concurrent apply");
        cr_assert_eq(a.st, OI_OK, "round %zu: %s", i, a.err.message);
        cr_expect_eq(a.applied, rounds[i].applied, "round %zu", i);
        char *vm = voicemail_of(&n);
        cr_expect_str_eq(vm, rounds[i].voicemail, "round %zu", i);
        free(vm);
        cr_expect_eq(fence_of(&n), rounds[i].fence, "round %zu", i);
    }
}

Test(apply_pg, a_newer_version_deletes_and_the_older_one_does_not_resurrect_it)
{
    char agent[OI_UUID_STR_LEN + 1];
    agent_new(ws, agent);
    number_t n;
    number_init(&n, agent);
    cr_assert(apply(&n).applied);
    number_t gone = n;
    gone.req.version = 2;
    number_unroute(&gone);
    answer_t a = apply(&gone);
    cr_assert_eq(a.st, OI_OK, "%s", a.err.message);
    cr_expect(a.applied);
    cr_expect_eq(rules_of(&n), 0);
    cr_expect_eq(count("SELECT count(*) FROM dispatch.inbound_trunks WHERE id = $1", n.inbound_id), 0);
    cr_expect_eq(count("SELECT count(*) FROM dispatch.outbound_trunks WHERE id = $1", n.outbound_id), 0);

    a = apply(&n); /* version 1 again, late */
    cr_assert_eq(a.st, OI_OK, "%s", a.err.message);
    cr_expect_not(a.applied);
    cr_expect_eq(rules_of(&n), 0, "a late put brought the rule back");
    cr_expect_eq(count("SELECT count(*) FROM dispatch.outbound_trunks WHERE id = $1", n.outbound_id), 0);
    cr_expect_eq(fence_of(&n), 2, "the fence outlives the number");
}

Test(apply_pg, a_missing_agent_writes_nothing_and_names_its_field)
{
    char agent[OI_UUID_STR_LEN + 1], absent[OI_UUID_STR_LEN + 1], deleted[OI_UUID_STR_LEN + 1];
    agent_new(ws, agent);
    oi_uuid_new(absent);
    agent_new(ws, deleted);
    char *ignored = scalar("UPDATE dispatch.agents SET deleted_at = now() WHERE id = $1", 1, (const char *[]){deleted});
    free(ignored);
    number_t n;
    number_init(&n, agent);
    n.checks[1].id = absent;
    n.checks[1].field = "inbound_routing.fallback.agent_id";
    n.req.n_agents = 2;
    answer_t a = apply(&n);
    cr_assert_eq(a.st, OI_AGENT_NOT_FOUND, "got %d: %s", a.st, a.err.message);
    cr_expect_str_eq(a.err.loc, "inbound_routing.fallback.agent_id");
    cr_expect_eq(fence_of(&n), 0, "the fence moved");
    cr_expect_eq(rules_of(&n), 0);
    cr_expect_eq(count("SELECT count(*) FROM dispatch.outbound_trunks WHERE id = $1", n.outbound_id), 0);

    n.checks[1].id = deleted; /* a deleted agent is missing too */
    a = apply(&n);
    cr_assert_eq(a.st, OI_AGENT_NOT_FOUND, "got %d: %s", a.st, a.err.message);
    cr_expect_str_eq(a.err.loc, "inbound_routing.fallback.agent_id");
    cr_expect_eq(rules_of(&n), 0);
}

/* The routing's agents are the caller's to check (only AgentChecks are): a number whose
 * routing agent was deleted since can still change (Resolve routes around the deleted agent). */
Test(apply_pg, a_routing_agent_deleted_since_does_not_block_other_changes)
{
    char agent[OI_UUID_STR_LEN + 1];
    agent_new(ws, agent);
    number_t n;
    number_init(&n, agent);
    n.req.n_agents = 0;
    cr_assert(apply(&n).applied);
    char *ignored = scalar("UPDATE dispatch.agents SET deleted_at = now() WHERE id = $1", 1, (const char *[]){agent});
    free(ignored);
    n.req.version = 2;
    answer_t a = apply(&n);
    cr_expect_eq(a.st, OI_OK, "got %d: %s", a.st, a.err.message);
    cr_expect(a.applied);
    cr_expect_eq(rules_of(&n), 1);
}

Test(apply_pg, a_repeat_succeeds_even_when_its_agent_is_gone_since)
{
    char agent[OI_UUID_STR_LEN + 1];
    agent_new(ws, agent);
    number_t n;
    number_init(&n, agent);
    cr_assert(apply(&n).applied);
    char *ignored = scalar("UPDATE dispatch.agents SET deleted_at = now() WHERE id = $1", 1, (const char *[]){agent});
    free(ignored);
    answer_t a = apply(&n);
    cr_expect_eq(a.st, OI_OK, "got %d: %s", a.st, a.err.message);
    cr_expect_not(a.applied);
}

/* --- the agents' lock (agent_lock.h) ------------------------------------------------------------ */

/* An agent deleted by a change still in progress: the apply naming it waits for that change's
 * end, then sees the agent gone (the shared statement and the single one alike). */
Test(apply_pg, an_apply_waits_for_a_change_of_its_agent_and_sees_it)
{
    for (int rotate = 0; rotate <= 1; rotate++) {
        char agent[OI_UUID_STR_LEN + 1];
        agent_new(ws, agent);
        PGconn *change = pgtest_connect(conninfo);
        pgtest_exec(change, "BEGIN");
        oi_error_t err;
        oi_error_init(&err);
        cr_assert_eq(dsp_agent_lock(change, agent, &err), OI_OK, "%s", err.message);
        PGresult *r = PQexecParams(change, "UPDATE dispatch.agents SET deleted_at = now() WHERE id = $1", 1, NULL,
                                   (const char *[]){agent}, NULL, NULL, 0);
        cr_assert_eq(PQresultStatus(r), PGRES_COMMAND_OK, "%s", PQresultErrorMessage(r));
        PQclear(r);
        number_t n;
        number_init(&n, agent);
        n.req.rotate_outbound_trunk = rotate; /* a rotation runs alone, not in the shared statement */
        answer_t a = apply_behind(change, &n, "the agent's change");
        cr_expect_eq(a.st, OI_AGENT_NOT_FOUND, "round %d: got %d: %s", rotate, a.st, a.err.message);
        cr_expect_eq(rules_of(&n), 0, "round %d: a rule names a deleted agent", rotate);
    }
}

typedef struct {
    const char *agent;
    bool locked;
} change_t;

static void *change_agent(void *ud)
{
    change_t *c = ud;
    PGconn *conn = pgtest_connect(conninfo);
    pgtest_exec(conn, "BEGIN");
    oi_error_t err;
    oi_error_init(&err);
    oi_status_t st = dsp_agent_lock(conn, c->agent, &err);
    __atomic_store_n(&c->locked, st == OI_OK, __ATOMIC_SEQ_CST);
    pgtest_exec(conn, "COMMIT");
    PQfinish(conn);
    return NULL;
}

/* A change of an agent waits for the end of an apply holding it (so the change then lists the
 * apply's rule); an apply holding other agents, or the uppercase spelling of an id, changes
 * nothing to which key is held. */
Test(apply_pg, a_change_of_an_agent_waits_for_the_apply_holding_it)
{
    char agent[OI_UUID_STR_LEN + 1], other[OI_UUID_STR_LEN + 1], upper[OI_UUID_STR_LEN + 1];
    agent_new(ws, agent);
    agent_new(ws, other);
    for (size_t i = 0; i <= OI_UUID_STR_LEN; i++)
        upper[i] = (char)(agent[i] >= 'a' && agent[i] <= 'f' ? agent[i] - 'a' + 'A' : agent[i]);
    char held[128];
    snprintf(held, sizeof held, "{\"{%s,%s}\",NULL,\"{}\"}", other, upper);
    PGconn *apply_conn = pgtest_connect(conninfo);
    pgtest_exec(apply_conn, "BEGIN");
    PGresult *r = PQexecParams(apply_conn, DSP_AGENTS_LOCK_MANY.sql, 1, NULL, (const char *[]){held}, NULL, NULL, 0);
    cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s", PQresultErrorMessage(r));
    cr_expect_str_eq(PQgetvalue(r, 0, 0), "2");
    PQclear(r);
    change_t c = {agent, false};
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, change_agent, &c), 0);
    usleep(300 * 1000);
    cr_expect_not(__atomic_load_n(&c.locked, __ATOMIC_SEQ_CST), "the change did not wait for the apply");
    pgtest_exec(apply_conn, "COMMIT");
    pthread_join(t, NULL);
    cr_expect(c.locked, "the change never got the lock");
    PQfinish(apply_conn);
}

Test(apply_pg, an_id_of_another_workspace_is_a_conflict_and_nothing_is_written)
{
    char agent[OI_UUID_STR_LEN + 1], theirs[OI_UUID_STR_LEN + 1];
    agent_new(ws, agent);
    agent_new(other_ws, theirs);
    number_t other;
    number_init(&other, theirs);
    cr_assert(apply_in(other_ws, &other).applied);

    static const struct {
        const char *loc;
    } fields[] = {{"dispatch_rule_id"}, {"inbound_trunk_id"}, {"outbound_trunk_id"}, {"number_id"}};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        number_t n;
        number_init(&n, agent);
        if (i == 0)
            n.req.dispatch_rule_id = other.rule_id;
        else if (i == 1)
            n.req.inbound_trunk_id = other.inbound_id;
        else if (i == 2)
            n.req.outbound_trunk_id = other.outbound_id;
        else
            n.req.number_id = other.number_id;
        n.req.version = 7;
        answer_t a = apply(&n);
        cr_assert_eq(a.st, OI_CONFLICT, "%s: got %d: %s", fields[i].loc, a.st, a.err.message);
        cr_expect_str_eq(a.err.loc, fields[i].loc);
        cr_expect_eq(fence_of(&n), i == 3 ? 1 : 0, "%s: the fence moved", fields[i].loc); /* 1: the other's */
        cr_expect_eq(count("SELECT count(*) FROM dispatch.dispatch_rules WHERE phone_number = $1", n.phone), 0,
                     "%s: a rule was written", fields[i].loc);
    }
    cr_expect_eq(count("SELECT count(*) FROM dispatch.dispatch_rules WHERE workspace_id = $1", other_ws), 1);
    char *owner = scalar("SELECT workspace_id::text FROM dispatch.dispatch_rules WHERE id = $1", 1,
                         (const char *[]){other.rule_id});
    cr_expect_str_eq(owner, other_ws, "the other workspace's rule was taken over");
    free(owner);
}

Test(apply_pg, a_phone_another_rule_routes_is_a_conflict_on_phone_number)
{
    char agent[OI_UUID_STR_LEN + 1];
    agent_new(ws, agent);
    number_t first, second;
    number_init(&first, agent);
    cr_assert(apply(&first).applied);
    number_init(&second, agent);
    snprintf(second.phone, sizeof second.phone, "%s", first.phone);
    answer_t a = apply(&second);
    cr_assert_eq(a.st, OI_CONFLICT, "got %d: %s", a.st, a.err.message);
    cr_expect_str_eq(a.err.loc, "phone_number");
    cr_expect_eq(fence_of(&second), 0);
    cr_expect_eq(count("SELECT count(*) FROM dispatch.outbound_trunks WHERE id = $1", second.outbound_id), 0);
}

Test(apply_pg, a_rule_that_changes_phone_reports_the_old_one)
{
    char agent[OI_UUID_STR_LEN + 1];
    agent_new(ws, agent);
    number_t n;
    number_init(&n, agent);
    cr_assert(apply(&n).applied);
    char old[24];
    snprintf(old, sizeof old, "%s", n.phone);
    random_phone(n.phone);
    n.req.version = 2;
    answer_t a = apply(&n);
    cr_assert_eq(a.st, OI_OK, "%s", a.err.message);
    cr_expect(a.applied);
    cr_expect_str_eq(a.old_phone, old);
    n.req.version = 3;
    a = apply(&n); /* same phone: nothing moved */
    cr_expect(a.applied);
    cr_expect_str_eq(a.old_phone, "");
    n.req.version = 4;
    number_unroute(&n);
    a = apply(&n); /* the deleted rule's phone needs invalidating too */
    cr_expect(a.applied);
    cr_expect_str_eq(a.old_phone, "");
}

Test(apply_pg, concurrent_versions_of_a_number_end_at_the_newest)
{
    char agent[OI_UUID_STR_LEN + 1];
    agent_new(ws, agent);
    enum { N = 20 };
    for (int i = 0; i < N; i++) {
        number_t put, gone;
        number_init(&put, agent);
        gone = put;
        gone.req.version = 2;
        number_unroute(&gone);
        answer_t a = {0}, b = {0};
        /* both in flight at once, on the pipeline's two connections, in either order */
        dsp_apply_run(pg, many, crypto, ws, i % 2 ? &put.req : &gone.req, NULL, on_answer, &a);
        dsp_apply_run(pg, many, crypto, ws, i % 2 ? &gone.req : &put.req, NULL, on_answer, &b);
        run_until(&a.done, 10000);
        run_until(&b.done, 10000);
        cr_assert(a.st == OI_OK && b.st == OI_OK, "%d: %s / %s", i, a.err.message, b.err.message);
        cr_expect_eq(rules_of(&put), 0, "round %d: version 1 outlived version 2", i);
        cr_expect_eq(count("SELECT count(*) FROM dispatch.outbound_trunks WHERE id = $1", put.outbound_id), 0);
        cr_expect_eq(fence_of(&put), 2);
    }
}

/* --- many calls in one shared transaction ------------------------------------------------------- */

static void submit_all(number_t *n, answer_t *a, size_t count, const char *const *workspaces)
{
    for (size_t i = 0; i < count; i++) {
        oi_error_t err;
        oi_error_init(&err);
        cr_assert_eq(dsp_check_apply_number(&n[i].req, &err), OI_OK, "%s", err.message);
        dsp_apply_run(pg, many, crypto, workspaces ? workspaces[i] : ws, &n[i].req, NULL, on_answer, &a[i]);
    }
    cr_assert_eq(oi_pg_coalesce_pending(many), count, "all of them wait for one shared statement");
    for (size_t i = 0; i < count; i++)
        run_until(&a[i].done, 10000);
}

Test(apply_pg, patches_of_many_numbers_share_one_transaction)
{
    char agent[OI_UUID_STR_LEN + 1];
    agent_new(ws, agent);
    enum { N = 8 };
    number_t n[N];
    answer_t a[N] = {0};
    char text[N][32];
    for (int i = 0; i < N; i++) {
        number_init(&n[i], agent);
        cr_assert_eq(apply(&n[i]).st, OI_OK);
        snprintf(text[i], sizeof text[i], "second %d", i);
        number_patch(&n[i], 2, text[i]);
    }
    submit_all(n, a, N, NULL);
    for (int i = 0; i < N; i++) {
        cr_expect(a[i].st == OI_OK && a[i].applied, "%d: %s", i, a[i].err.message);
        cr_expect_str_eq(a[i].old_phone, "");
        char *vm = voicemail_of(&n[i]);
        cr_expect_str_eq(vm, text[i]);
        free(vm);
        cr_expect_eq(fence_of(&n[i]), 2);
    }
}

Test(apply_pg, two_versions_of_a_number_in_one_transaction_end_at_the_newer)
{
    char agent[OI_UUID_STR_LEN + 1];
    agent_new(ws, agent);
    number_t n[3];
    answer_t a[3] = {0};
    number_init(&n[0], agent);
    cr_assert_eq(apply(&n[0]).st, OI_OK);
    n[2] = n[1] = n[0];
    number_patch(&n[0], 3, "third");
    number_patch(&n[1], 2, "second");
    number_patch(&n[2], 3, "third"); /* a resent call */
    for (int i = 0; i < 3; i++) { /* the copies point at their own fields */
        n[i].req.routing = &n[i].routing;
        n[i].routing.voicemail_message = &n[i].voicemail;
    }
    submit_all(n, a, 3, NULL);
    for (int i = 0; i < 3; i++)
        cr_expect_eq(a[i].st, OI_OK, "%d: %s", i, a[i].err.message);
    cr_expect(a[0].applied != a[2].applied, "one of the two identical calls writes, the other finds it done");
    cr_expect_not(a[1].applied, "the older version writes nothing");
    char *vm = voicemail_of(&n[0]);
    cr_expect_str_eq(vm, "third");
    free(vm);
    cr_expect_eq(fence_of(&n[0]), 3);
}

Test(apply_pg, an_id_of_another_workspace_fails_only_its_own_call)
{
    char agent[OI_UUID_STR_LEN + 1], theirs[OI_UUID_STR_LEN + 1];
    agent_new(ws, agent);
    agent_new(other_ws, theirs);
    number_t foreign, n[3];
    answer_t a[3] = {0};
    number_init(&foreign, theirs);
    cr_assert_eq(apply_in(other_ws, &foreign).st, OI_OK);
    for (int i = 0; i < 3; i++) {
        number_init(&n[i], agent);
        cr_assert_eq(apply(&n[i]).st, OI_OK);
        number_patch(&n[i], 2, "mine");
    }
    snprintf(n[1].rule_id, sizeof n[1].rule_id, "%s", foreign.rule_id); /* the other workspace's rule */
    submit_all(n, a, 3, NULL);
    cr_expect(a[0].st == OI_OK && a[0].applied, "%s", a[0].err.message);
    cr_expect(a[2].st == OI_OK && a[2].applied, "%s", a[2].err.message);
    cr_expect_eq(a[1].st, OI_CONFLICT);
    cr_expect_str_eq(a[1].err.loc, "dispatch_rule_id");
    char *vm = voicemail_of(&foreign);
    cr_expect_str_eq(vm, "first", "the other workspace's rule is untouched");
    free(vm);
    cr_expect_eq(fence_of(&n[1]), 1, "the refused call moved nothing");
}

/* --- rotation of the outbound trunk's settings -------------------------------------------------- */

static char *trunk_address_of(const number_t *n)
{
    return scalar("SELECT trunk_address FROM dispatch.outbound_trunks WHERE id = $1", 1,
                  (const char *[]){n->outbound_id});
}

/* A rotation at version: the trunk kept, its address set to address. */
static void number_rotate(number_t *n, int64_t version, const char *address)
{
    number_patch(n, version, "kept");
    n->outbound.trunk_address = (char *)address;
    n->req.outbound_trunk = &n->outbound;
    n->req.rotate_outbound_trunk = true;
}

Test(apply_pg, a_late_rotation_still_lands_and_an_older_one_does_not)
{
    char agent[OI_UUID_STR_LEN + 1];
    agent_new(ws, agent);
    number_t n;
    number_init(&n, agent);
    cr_assert_eq(apply(&n).st, OI_OK);
    number_patch(&n, 3, "newer change");
    cr_assert(apply(&n).applied);
    number_rotate(&n, 2, "late.example"); /* sent before version 3, arrives after it */
    answer_t a = apply(&n);
    cr_assert_eq(a.st, OI_OK, "%s", a.err.message);
    cr_expect_not(a.applied, "the rest of version 2 is older than 3");
    char *addr = trunk_address_of(&n);
    cr_expect_str_eq(addr, "late.example", "the rotation is not lost");
    free(addr);
    char *vm = voicemail_of(&n);
    cr_expect_str_eq(vm, "newer change");
    free(vm);
    number_rotate(&n, 2, "again.example"); /* the same version again: already set */
    cr_assert_eq(apply(&n).st, OI_OK);
    addr = trunk_address_of(&n);
    cr_expect_str_eq(addr, "late.example");
    free(addr);
}

Test(apply_pg, a_rotation_never_resurrects_a_deleted_trunk)
{
    char agent[OI_UUID_STR_LEN + 1];
    agent_new(ws, agent);
    number_t n;
    number_init(&n, agent);
    cr_assert_eq(apply(&n).st, OI_OK);
    n.req.version = 4;
    number_unroute(&n);
    cr_assert(apply(&n).applied);
    number_rotate(&n, 3, "ghost.example");
    cr_assert_eq(apply(&n).st, OI_OK);
    cr_expect_eq(count("SELECT count(*) FROM dispatch.outbound_trunks WHERE id = $1", n.outbound_id), 0);
}
