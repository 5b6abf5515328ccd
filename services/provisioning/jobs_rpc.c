/* jobs_rpc.c: submitting the four job kinds (register, purchase, PATCH, delete).
 *
 * A submission checks what it can before writing anything (bad input changes nothing), writes
 * its job and what must be durable with it in one statement, starts the job here at once when
 * its lane has room, and answers when the job ends or its wait_ms has passed. A resubmission
 * with the same Idempotency-Key joins the first job. */
#define OI_LOG_TAG "prov.submit"
#include "jobs_rpc.h"
#include "sealed.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "announce.h"
#include "calls.h"
#include "engine.h"
#include "idem.h"
#include "integrations.h"
#include "job_register.h"
#include "job_update.h"
#include "job_wait.h"
#include "announce.h"
#include "jobs.h"
#include "merge.h"
#include "numbers_db.h"
#include "oi/clock.h"
#include "oi/ids.h"
#include "oi/proto_unpack.h"
#include "oi/log.h"
#include "oi/mem.h"
#include "oi/near_bus.h"
#include "oi/pg.h"
#include "oneinbox/v1/dispatch.pb-c.h"
#include "row_cache.h"
#include "submit.h"
#include "submit_db.h"

#define UPDATE_TRIES 5 /* PATCHes of one number racing: read, merge and write again */

/* One submission in progress; the call's ctx and req stay valid until it is answered. */
typedef struct {
    prov_t *p;
    oi_rpc_call_t *call;
    const oi_rpc_ctx_t *ctx;
    const ProtobufCMessage *req;
    prov_job_kind_t kind;
    prov_lane_t lane;
    bool run_here;
    char job_id[OI_UUID_STR_LEN + 1];
    char hash[65];
    json_t *payload;                 /* owned */
    prov_integration_sip_t integ;    /* register: the integration read at submission */
    prov_merge_t merge;              /* PATCH */
    long long version;               /* PATCH: the row's version the merge is based on */
    int tries;
    bool from_cache;                 /* PATCH: merged onto the row kept from the last PATCH (row_cache.h) */
    bool cache_tried;
    const char *check_ids[PROV_MERGE_MAX_CHECKS];    /* agents to check first (borrowed: req, merge) */
    const char *check_fields[PROV_MERGE_MAX_CHECKS];
    int n_check;
    Oneinbox__V1__PhoneNumber *previous; /* PATCH: the number as the merge read it (owned) */
    bool trunk_set;                  /* PATCH provider_config: the tenant's trunk after the rotation */
    char *trunk_address, *trunk_username, *trunk_password_sealed; /* owned, with trunk_set */
} submit_t;

static submit_t *submit_new(oi_rpc_call_t *call, const oi_rpc_ctx_t *ctx, const ProtobufCMessage *req,
                            prov_job_kind_t kind)
{
    submit_t *s = oi_xcalloc(1, sizeof *s);
    s->p = ctx->ud;
    s->call = call;
    s->ctx = ctx;
    s->req = req;
    s->kind = kind;
    oi_uuid7_new(s->job_id);
    s->payload = json_object();
    return s;
}

static void submit_free(submit_t *s)
{
    json_decref(s->payload);
    prov_integration_sip_cleanup(&s->integ);
    prov_merge_cleanup(&s->merge);
    if (s->previous)
        protobuf_c_message_free_unpacked(&s->previous->base, NULL);
    free(s->trunk_address);
    free(s->trunk_username);
    free(s->trunk_password_sealed);
    free(s);
}

static void fail(submit_t *s, oi_status_t st, const oi_error_t *err)
{
    prov_call_fail(s->call, st, err);
    submit_free(s);
}

static void fail_msg(submit_t *s, oi_status_t st, const char *msg)
{
    oi_error_t e;
    oi_error_init(&e);
    oi_error_set(&e, st, "%s", msg);
    fail(s, st, &e);
}

/* If-Match named another version than the number's (current, 0 when unknown). */
static void precondition_failed(submit_t *s, long long current)
{
    oi_error_t e;
    oi_error_init(&e);
    if (current > 0)
        oi_error_set(&e, OI_PRECONDITION_FAILED, "the number changed: its ETag is now \"%lld\"", current);
    else
        oi_error_set(&e, OI_PRECONDITION_FAILED, "the number changed: If-Match does not match its ETag");
    fail(s, OI_PRECONDITION_FAILED, &e);
}

static int wait_of(const ProtobufCMessage *req)
{
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(req->descriptor, "wait_ms");
    int w = f ? *(const int32_t *)(const void *)((const char *)req + f->offset) : 0;
    return w > 0 ? w : 0;
}

static const char *key_of(const ProtobufCMessage *req)
{
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field_by_name(req->descriptor, "idempotency_key");
    const char *k = f ? *(const char *const *)(const void *)((const char *)req + f->offset) : NULL;
    return k && k[0] ? k : NULL;
}

static void payload_new_id(json_t *payload, const char *key)
{
    char id[OI_UUID_STR_LEN + 1];
    oi_uuid7_new(id);
    json_object_set_new(payload, key, json_string(id));
}

static const char *payload_get(const submit_t *s, const char *key)
{
    return json_string_value(json_object_get(s->payload, key));
}

/* --- starting the job here, and answering ------------------------------------------------------- */

/* The job as its insert left it, for a run that starts now. */
static prov_job_t *job_fresh(submit_t *s, const char *step)
{
    prov_job_t *j = oi_xcalloc(1, sizeof *j);
    snprintf(j->id, sizeof j->id, "%s", s->job_id);
    snprintf(j->workspace_id, sizeof j->workspace_id, "%s", s->ctx->workspace_id);
    j->kind = s->kind;
    j->state = PROV_JOB_RUNNING;
    j->lane = s->lane;
    j->step = oi_xstrdup(step);
    j->attempts = 1;
    j->max_attempts = s->p->max_attempts;
    j->request_sealed = oi_xstrdup("");
    j->payload = json_deep_copy(s->payload);
    const char *nid = payload_get(s, "number_id");
    j->number_id = nid ? oi_xstrdup(nid) : NULL;
    j->created_ms = oi_clock_now_ms();
    return j;
}

/* Starts the run when it is ours to run; a job queued for want of room is announced to every
 * replica (its row asks whoever ends it to notify). */
static void start(submit_t *s, prov_run_t *run)
{
    if (run)
        prov_engine_adopt(s->p->engine, run);
    else
        prov_engine_queued(s->p->engine, s->lane, 0, true);
}

/* The call handed to a waiter for the job about to start, held (job_wait.h). */
static prov_wait_t *wait_held(submit_t *s, const prov_run_t *run)
{
    prov_wait_t *w = prov_wait_answer_held(s->p, s->call, s->ctx->workspace_id, s->job_id, wait_of(s->req), false,
                                           run ? PROV_JOB_RUNNING : PROV_JOB_QUEUED, s->previous);
    s->previous = NULL;
    return w;
}

/* Hands the call to a waiter, then starts the job. */
static void start_and_wait(submit_t *s, prov_run_t *run)
{
    prov_wait_t *w = wait_held(s, run);
    start(s, run);
    prov_wait_release(w); /* nothing else to wait for */
    submit_free(s);
}

static void on_announced(void *ud) { prov_wait_release(ud); }

/* The row a reader may hold changed: every replica's near cache drops it before anything
 * acknowledges the change. The job runs meanwhile (the announcement is a Redis round trip, about
 * half a millisecond under load, that the answer used to wait for before the job started); the
 * call's answer leaves once both are done. */
static void announce_and_start(submit_t *s, prov_run_t *run, const char *number_id)
{
    prov_wait_t *w = wait_held(s, run);
    prov_announce_number(s->p->announcer, number_id, on_announced, w);
    start(s, run);
    submit_free(s);
}

/* The job exists already (same Idempotency-Key): wait for it wherever it runs. */
static void wait_joined(submit_t *s, prov_job_state_t state)
{
    prov_wait_answer(s->p, s->call, s->ctx->workspace_id, s->job_id, wait_of(s->req), true, state);
    submit_free(s);
}

/* The Idempotency-Key was used before: the same request joins its job, another one is refused. */
static void on_key_found(oi_status_t st, const oi_error_t *err, PGresult *const *res, size_t n, void *ud)
{
    submit_t *s = ud;
    if (st) {
        fail(s, st, err);
        return;
    }
    if (n != 1 || PQntuples(res[0]) != 1) {
        fail_msg(s, OI_CONFLICT, "idempotency key race; retry");
        return;
    }
    if (!prov_job_request_matches(s->p, s->kind, s->req, oi_pg_get(res[0], 0, "request_hash"))) {
        fail(s, OI_IDEMPOTENCY_KEY_REUSED, NULL);
        return;
    }
    snprintf(s->job_id, sizeof s->job_id, "%s", oi_pg_get(res[0], 0, "id"));
    prov_job_state_t state = PROV_JOB_QUEUED;
    prov_job_state_parse(oi_pg_get(res[0], 0, "state"), &state);
    wait_joined(s, state);
}

static void join_existing(submit_t *s)
{
    prov_submit_find_key(s->p, s->ctx->workspace_id, key_of(s->req), on_key_found, s);
}

/* What every submission writes with its job. */
static prov_submit_t submit_base(submit_t *s, const char *sealed)
{
    s->run_here = prov_engine_has_room(s->p->engine, s->lane) && !s->p->draining;
    const char *key = key_of(s->req);
    if (key)
        prov_job_request_hash(s->p, s->kind, s->req, s->hash);
    return (prov_submit_t){.job_id = s->job_id,
                           .workspace_id = s->ctx->workspace_id,
                           .run_here = s->run_here,
                           .sealed = sealed,
                           .request_hash = key ? s->hash : "",
                           .idempotency_key = key,
                           .payload = s->payload};
}

static bool refuse_early(oi_rpc_call_t *call, const oi_rpc_ctx_t *ctx)
{
    prov_t *p = ctx->ud;
    oi_error_t e;
    oi_error_init(&e);
    if (p->draining) {
        oi_error_set(&e, OI_DRAINING, "provisioning is shutting down");
        prov_call_fail(call, OI_DRAINING, &e);
        return true;
    }
    if (!oi_uuid_valid(ctx->workspace_id)) {
        oi_error_set(&e, OI_UNAUTHORIZED, "no workspace");
        prov_call_fail(call, OI_UNAUTHORIZED, &e);
        return true;
    }
    return false;
}

/* --- register ----------------------------------------------------------------------------------- */

#define REG(s) ((const Oneinbox__V1__RegisterNumberRequest *)(s)->req)

static void on_registered(oi_status_t st, const oi_error_t *err, const PGresult *res, int row, void *ud)
{
    submit_t *s = ud;
    if (prov_number_taken(st, err)) {
        oi_error_t e;
        oi_error_init(&e);
        oi_error_set(&e, OI_PHONE_NUMBER_EXISTS, "phone number %s is already registered", REG(s)->phone_number);
        oi_error_set_loc(&e, "body.phone_number");
        fail(s, OI_PHONE_NUMBER_EXISTS, &e);
        return;
    }
    if (st) {
        fail(s, st, err);
        return;
    }
    if (row >= 0 && oi_pg_bool(res, row, "over_quota")) {
        oi_error_t e;
        oi_error_init(&e);
        oi_error_set(&e, OI_QUOTA_EXCEEDED, "the workspace holds %s numbers; its quota (OI_QUOTA_NUMBERS) is %d",
                     oi_pg_get(res, row, "held"), s->p->quota_numbers);
        fail(s, OI_QUOTA_EXCEEDED, &e);
        return;
    }
    if (row < 0 || !oi_pg_get(res, row, "job_id")) {
        join_existing(s);
        return;
    }
    oi_log_info(&(oi_log_ctx_t){.request_id = s->job_id, .action = "submitting a job"}, "register job %s",
                s->run_here ? "started" : "queued");
    prov_run_t *run = NULL;
    if (s->run_here) {
        prov_job_t *job = job_fresh(s, "");
        ProtobufCMessage *req = oi_proto_copy(s->req); /* the run's: the call's goes with the answer */
        run = prov_run_new(s->p, &job, &req, NULL);
        if (s->integ.trunk_address || s->integ.auth_username || s->integ.auth_password)
            prov_register_keep_integration(run, &s->integ);
    }
    start_and_wait(s, run);
}

static void register_write(submit_t *s)
{
    const Oneinbox__V1__RegisterNumberRequest *r = REG(s);
    prov_sip_fields_t sip;
    oi_error_t e;
    oi_error_init(&e);
    bool have_integ = s->integ.trunk_address || s->integ.auth_username || s->integ.auth_password;
    bool tenants = false;
    oi_status_t rc = prov_register_resolve(r, have_integ ? &s->integ : NULL, &sip, &tenants, &e);
    if (rc) { /* an incomplete trunk is bad input: answered before anything is written */
        fail(s, rc, &e);
        return;
    }
    prov_routing_t routing;
    prov_routing_from_proto(&routing, r->inbound_routing);
    json_object_set_new(s->payload, "phone_number", json_string(r->phone_number));
    json_object_set_new(s->payload, "provider", json_string(prov_provider_name(r->provider)));
    prov_number_row_t row = {
        .id = payload_get(s, "number_id"),
        .workspace_id = s->ctx->workspace_id,
        .phone_number = r->phone_number,
        .friendly_name = r->friendly_name ? r->friendly_name->value : NULL,
        .provider = prov_provider_name(r->provider),
        .agent_id = r->agent_id,
        .inbound_trunk_id = payload_get(s, "inbound_trunk_id"),
        .outbound_trunk_id = payload_get(s, "outbound_trunk_id"),
        .dispatch_rule_id = payload_get(s, "dispatch_rule_id"),
        .routing = &routing,
    };
    char *password = tenants ? prov_number_trunk_seal(s->p, row.id, sip.auth_password) : NULL;
    prov_sip_fields_t kept = {sip.trunk_address, sip.auth_username, password};
    row.trunk = tenants ? &kept : NULL;
    char *sealed = prov_job_seal(s->p, s->job_id, s->req); /* it may carry a SIP password */
    prov_submit_t base = submit_base(s, sealed);
    prov_submit_register(s->p, &base, &row, on_registered, s);
    free(sealed);
    free(password);
    prov_routing_cleanup(&routing);
}

static void on_integration(oi_status_t st, const oi_error_t *err, PGresult *const *res, size_t n, void *ud)
{
    submit_t *s = ud;
    if (st) {
        fail(s, st, err);
        return;
    }
    oi_error_t e;
    oi_error_init(&e);
    oi_status_t rc = prov_integration_sip_from_row(s->p, n ? res[0] : NULL, &s->integ, &e);
    if (rc) {
        oi_error_set_loc(&e, "body.credential_id");
        fail(s, rc, &e);
        return;
    }
    register_write(s);
}

static json_t *payload_for_new_number(json_t *payload)
{
    payload_new_id(payload, "number_id");
    payload_new_id(payload, "outbound_trunk_id");
    payload_new_id(payload, "inbound_trunk_id");
    payload_new_id(payload, "dispatch_rule_id");
    return payload;
}

PROV_RPC(prov_rpc_register)
{
    if (refuse_early(call, ctx))
        return;
    const Oneinbox__V1__RegisterNumberRequest *r = (const Oneinbox__V1__RegisterNumberRequest *)req;
    oi_error_t e;
    oi_error_init(&e);
    oi_status_t rc = prov_register_validate(r, &e);
    if (rc) {
        prov_call_fail(call, rc, &e);
        return;
    }
    submit_t *s = submit_new(call, ctx, req, PROV_KIND_REGISTER);
    s->lane = PROV_LANE_LOCAL;
    payload_for_new_number(s->payload);
    const char *cred = r->credential_id ? r->credential_id->value : NULL;
    if (cred && cred[0])
        prov_integration_sip_load(s->p, ctx->workspace_id, cred, on_integration, s);
    else
        register_write(s);
}

/* --- purchase ----------------------------------------------------------------------------------- */

#define BUY(s) ((const Oneinbox__V1__PurchaseNumberRequest *)(s)->req)

/* A purchase the workspace's quotas refused (quota.h): answered, true. */
static bool over_purchase_quota(submit_t *s, const PGresult *res)
{
    oi_error_t e;
    oi_error_init(&e);
    if (PQntuples(res) == 1 && oi_pg_bool(res, 0, "over_numbers")) {
        oi_error_set(&e, OI_QUOTA_EXCEEDED, "the workspace holds %s numbers; its quota (OI_QUOTA_NUMBERS) is %d",
                     oi_pg_get(res, 0, "held"), s->p->quota_numbers);
        fail(s, OI_QUOTA_EXCEEDED, &e);
        return true;
    }
    if (PQntuples(res) == 1 && oi_pg_bool(res, 0, "over_today")) {
        const char *in = oi_pg_get(res, 0, "frees_in_s");
        oi_error_set(&e, OI_DAILY_QUOTA_EXCEEDED,
                     "the workspace bought %s numbers in the last 24 hours; its quota (OI_QUOTA_PURCHASES_PER_DAY) "
                     "is %d: the next one can be bought in %s s",
                     oi_pg_get(res, 0, "bought"), s->p->quota_purchases_per_day, in ? in : "?");
        fail(s, OI_DAILY_QUOTA_EXCEEDED, &e);
        return true;
    }
    return false;
}

static void on_purchase_written(oi_status_t st, const oi_error_t *err, PGresult *const *res, size_t n, void *ud)
{
    submit_t *s = ud;
    if (st) {
        fail(s, st, err);
        return;
    }
    if (n >= 1 && over_purchase_quota(s, res[n - 1]))
        return;
    if (n < 1 || !oi_pg_get(res[n - 1], 0, "job_id")) {
        join_existing(s);
        return;
    }
    oi_log_info(&(oi_log_ctx_t){.request_id = s->job_id, .action = "submitting a job"}, "purchase job %s on %s",
                s->run_here ? "started" : "queued", prov_lane_name(s->lane));
    prov_run_t *run = NULL;
    if (s->run_here) {
        prov_job_t *job = job_fresh(s, "");
        ProtobufCMessage *req = oi_proto_copy(s->req); /* the run's: the call's goes with the answer */
        run = prov_run_new(s->p, &job, &req, NULL);
    }
    start_and_wait(s, run);
}

/* The agents exist before anything is bought (or written). */
static void after_check(submit_t *s);
static bool read_again(submit_t *s);

static void on_agents_checked(oi_status_t st, const oi_error_t *err, const ProtobufCMessage *reply, void *ud)
{
    submit_t *s = ud;
    if (st) {
        fail(s, st, err);
        return;
    }
    const Oneinbox__V1__CheckAgentsReply *rep = (const Oneinbox__V1__CheckAgentsReply *)reply;
    if (rep->n_missing == 0) {
        after_check(s);
        return;
    }
    if (read_again(s)) /* the agents to check came from a kept row */
        return;
    oi_error_t e;
    oi_error_init(&e);
    oi_error_set(&e, OI_AGENT_NOT_FOUND, "agent %s not found", rep->missing[0]);
    for (int i = 0; i < s->n_check; i++) {
        if (strcmp(s->check_ids[i], rep->missing[0]) == 0) {
            char loc[OI_ERROR_LOC_MAX];
            snprintf(loc, sizeof loc, "body.%s", s->check_fields[i]);
            oi_error_set_loc(&e, loc);
            break;
        }
    }
    fail(s, OI_AGENT_NOT_FOUND, &e);
}

static void want_check(submit_t *s, const char *id, const char *field)
{
    if (id && id[0] && s->n_check < PROV_MERGE_MAX_CHECKS) {
        s->check_ids[s->n_check] = id;
        s->check_fields[s->n_check++] = field;
    }
}

static void check_agents(submit_t *s)
{
    if (s->n_check == 0) {
        after_check(s);
        return;
    }
    Oneinbox__V1__CheckAgentsRequest q = ONEINBOX__V1__CHECK_AGENTS_REQUEST__INIT;
    q.n_ids = (size_t)s->n_check;
    q.ids = (char **)(uintptr_t)s->check_ids;
    if (oi_rpc_client_call(s->p->dispatch, &oneinbox__v1__dispatch__descriptor, "CheckAgents", s->ctx->request_id,
                           s->ctx->workspace_id, &q.base, s->p->rpc_timeout_ms, on_agents_checked, s) != 0) {
        oi_error_t e;
        oi_error_init(&e);
        oi_error_set(&e, OI_UNAVAILABLE, "oi-dispatch cannot be called");
        fail(s, OI_UNAVAILABLE, &e);
    }
}

/* The agents a new number's policy names must exist too (kept in s->merge's policy arrays). */
static void want_policy_checks(submit_t *s, const Oneinbox__V1__InboundRouting *ir)
{
    prov_routing_t routing;
    prov_routing_from_proto(&routing, ir);
    char *text = prov_routing_policy_json(&routing);
    prov_routing_cleanup(&routing);
    oi_policy_t *policy = NULL;
    oi_error_t e;
    oi_error_init(&e);
    if (text && !oi_policy_parse(text, &policy, &e)) {
        const char *ids[OI_POLICY_AGENTS_MAX];
        size_t n = oi_policy_agents(policy, ids, s->merge.policy_fields, OI_POLICY_AGENTS_MAX);
        for (size_t i = 0; i < n; i++) {
            snprintf(s->merge.policy_ids[i], sizeof s->merge.policy_ids[i], "%s", ids[i]);
            want_check(s, s->merge.policy_ids[i], s->merge.policy_fields[i]);
        }
    }
    oi_policy_free(&policy);
    free(text);
}

static void purchase_write(submit_t *s)
{
    char *sealed = prov_job_seal(s->p, s->job_id, s->req);
    prov_submit_t base = submit_base(s, sealed);
    prov_submit_purchase(s->p, &base, payload_get(s, "number_id"), s->lane, on_purchase_written, s);
    free(sealed);
}

PROV_RPC(prov_rpc_purchase)
{
    if (refuse_early(call, ctx))
        return;
    prov_t *p = ctx->ud;
    const Oneinbox__V1__PurchaseNumberRequest *r = (const Oneinbox__V1__PurchaseNumberRequest *)req;
    oi_error_t e;
    oi_error_init(&e);
    oi_status_t rc = prov_purchase_validate(r, &e);
    if (rc) {
        prov_call_fail(call, rc, &e);
        return;
    }
    submit_t *s = submit_new(call, ctx, req, PROV_KIND_PURCHASE);
    s->lane = prov_lane_of_provider(p->purchase_carrier);
    payload_for_new_number(s->payload);
    json_object_set_new(s->payload, "provider", json_string(p->purchase_carrier));
    const Oneinbox__V1__InboundRouting *ir = r->inbound_routing;
    want_check(s, r->agent_id, "agent_id");
    if (ir) {
        want_check(s, ir->agent_id, "inbound_routing.agent_id");
        want_check(s, ir->fallback_agent_id ? ir->fallback_agent_id->value : NULL, "inbound_routing.fallback.agent_id");
        want_policy_checks(s, ir);
    }
    check_agents(s);
}

/* --- PATCH -------------------------------------------------------------------------------------- */

#define UPD(s) ((const Oneinbox__V1__UpdateNumberRequest *)(s)->req)

static void update_read(submit_t *s);
static void on_number_read(oi_status_t st, const oi_error_t *err, const PGresult *res, int row, void *ud);

/* A kept row decides nothing but the write (row_cache.h): any other outcome of a merge onto it is
 * decided again on the row read now. False when the row was read. */
static bool read_again(submit_t *s)
{
    if (!s->from_cache)
        return false;
    s->from_cache = false;
    prov_row_cache_stale(s->p->rows, UPD(s)->id);
    prov_merge_cleanup(&s->merge);
    update_read(s);
    return true;
}

static void on_updated(oi_status_t st, const oi_error_t *err, const PGresult *res, int row, void *ud)
{
    submit_t *s = ud;
    if (st) {
        fail(s, st, err);
        return;
    }
    if (row < 0 && read_again(s)) /* the kept row was not the current one */
        return;
    if (row < 0) { /* another change came first: merge on top of it */
        if (++s->tries >= UPDATE_TRIES) {
            fail_msg(s, OI_CONFLICT, "the number keeps changing; retry");
            return;
        }
        prov_merge_cleanup(&s->merge);
        update_read(s);
        return;
    }
    prov_row_cache_put(s->p->rows, res, row);
    prov_run_t *run = NULL;
    if (s->run_here) {
        prov_job_t *job = job_fresh(s, "save_number");
        const char *cols[] = {"phone_number", "provider", "inbound_trunk_id", "dispatch_rule_id", "outbound_trunk_id"};
        for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++) {
            const char *v = oi_pg_get(res, row, cols[i]);
            if (v)
                json_object_set_new(job->payload, cols[i], json_string(v));
        }
        run = prov_run_new(s->p, &job, NULL, NULL);
        oi_error_t e;
        oi_error_init(&e);
        if (prov_update_keep_row(run, res, row, &s->merge.routing, &e))
            oi_log_warn(&(oi_log_ctx_t){.request_id = s->job_id, .action = "submitting a job"}, "%s", e.message);
    }
    announce_and_start(s, run, oi_pg_get(res, row, "id"));
}

static void update_write(submit_t *s)
{
    prov_submit_t base = submit_base(s, "");
    oi_uuid7_new(s->job_id); /* a retried write is a new job: the lost one was never inserted */
    base.job_id = s->job_id;
    char inbound[OI_UUID_STR_LEN + 1], rule[OI_UUID_STR_LEN + 1];
    oi_uuid_new(inbound);
    oi_uuid_new(rule);
    json_object_set_new(s->payload, "number_id", json_string(UPD(s)->id));
    prov_sip_fields_t trunk = {s->trunk_address, s->trunk_username, s->trunk_password_sealed};
    if (s->trunk_set)
        json_object_set_new(s->payload, "rotate_trunk", json_string("true"));
    if (UPD(s)->restore)
        json_object_set_new(s->payload, "restore", json_string("true"));
    prov_submit_update(s->p, &base, UPD(s)->id, s->version, &s->merge, s->trunk_set ? &trunk : NULL, inbound, rule,
                       UPD(s)->restore, on_updated, s);
}

/* PATCH provider_config: the tenant's trunk settings after it (sipcfg.h), the password sealed. */
static oi_status_t rotate_trunk(submit_t *s, const PGresult *res, int row, oi_error_t *err)
{
    const Oneinbox__V1__ProviderConfig *pc = UPD(s)->provider_config;
    prov_sip_fields_t stored = {oi_pg_get(res, row, "trunk_address"), oi_pg_get(res, row, "trunk_username"),
                                oi_pg_get(res, row, "trunk_password_sealed")};
    prov_sip_fields_t given = {pc->trunk_address ? pc->trunk_address->value : NULL,
                               pc->auth_username ? pc->auth_username->value : NULL,
                               pc->auth_password ? pc->auth_password->value : NULL};
    prov_sip_fields_t out;
    oi_status_t rc = prov_sip_rotate(oi_pg_get(res, row, "origin"), &stored, &given, &out, err);
    if (rc)
        return rc;
    free(s->trunk_address);
    free(s->trunk_username);
    free(s->trunk_password_sealed);
    s->trunk_address = oi_xstrdup(out.trunk_address);
    s->trunk_username = oi_xstrdup(out.auth_username);
    s->trunk_password_sealed =
        out.auth_password ? prov_number_trunk_seal(s->p, UPD(s)->id, out.auth_password)
                          : oi_xstrdup(stored.auth_password);
    s->trunk_set = true;
    return OI_OK;
}

/* A PATCH changes an active number, a restore a quarantined one; a number on its way in
 * (provisioning) or out (releasing) takes neither. */
static oi_status_t update_refused(const Oneinbox__V1__UpdateNumberRequest *req, const char *status)
{
    bool quarantined = status && strcmp(status, "quarantined") == 0;
    if (req->restore)
        return quarantined ? OI_OK : OI_NUMBER_NOT_QUARANTINED;
    return status && strcmp(status, "active") != 0 && strcmp(status, "inactive") != 0 ? OI_NUMBER_NOT_ACTIVE : OI_OK;
}

static void on_number_read(oi_status_t st, const oi_error_t *err, const PGresult *res, int row, void *ud)
{
    submit_t *s = ud;
    if (st) {
        fail(s, st, err);
        return;
    }
    if (row < 0) {
        fail(s, OI_NUMBER_NOT_FOUND, NULL);
        return;
    }
    if (!s->from_cache)
        prov_row_cache_put(s->p->rows, res, row);
    oi_status_t refused = update_refused(UPD(s), oi_pg_get(res, row, "status"));
    if (refused) {
        if (!read_again(s))
            fail(s, refused, NULL);
        return;
    }
    prov_routing_t cur;
    oi_error_t e;
    oi_error_init(&e);
    oi_status_t rc = prov_number_routing(res, row, &cur, &e);
    if (!rc)
        rc = prov_merge_apply(oi_pg_get(res, row, "agent_id"), &cur, UPD(s), &s->merge, &e);
    if (!rc && UPD(s)->provider_config)
        rc = rotate_trunk(s, res, row, &e);
    if (rc) {
        prov_routing_cleanup(&cur);
        if (!read_again(s))
            fail(s, rc, &e);
        return;
    }
    s->version = prov_number_version(res, row);
    if (s->previous)
        protobuf_c_message_free_unpacked(&s->previous->base, NULL);
    s->previous = prov_number_to_proto_with(res, row, "", &cur);
    prov_routing_cleanup(&cur);
    if (UPD(s)->if_match > 0 && s->version != UPD(s)->if_match) {
        if (!read_again(s))
            precondition_failed(s, s->version);
        return;
    }
    s->n_check = 0;
    for (int i = 0; i < s->merge.n_check; i++)
        want_check(s, s->merge.check_ids[i], s->merge.check_fields[i]);
    check_agents(s);
}

/* The row kept from the last PATCH of this number, once (not for a rotation: a kept sealed
 * password may predate a change of OI_SECRET_KEY), else the row read. */
static void update_read(submit_t *s)
{
    PGresult *kept = NULL;
    if (!s->cache_tried && !UPD(s)->provider_config) {
        oi_near_bus_sync(s->p->near_bus); /* what other replicas announced so far */
        kept = prov_row_cache_get(s->p->rows, s->ctx->workspace_id, UPD(s)->id);
    }
    s->cache_tried = true;
    s->from_cache = kept != NULL;
    if (!kept) {
        prov_number_get_coalesced(s->p, s->ctx->workspace_id, UPD(s)->id, on_number_read, s);
        return;
    }
    on_number_read(OI_OK, NULL, kept, 0, s);
    PQclear(kept);
}

PROV_RPC(prov_rpc_update)
{
    if (refuse_early(call, ctx))
        return;
    const Oneinbox__V1__UpdateNumberRequest *r = (const Oneinbox__V1__UpdateNumberRequest *)req;
    if (!oi_uuid_valid(r->id)) {
        prov_call_fail(call, OI_NUMBER_NOT_FOUND, NULL);
        return;
    }
    submit_t *s = submit_new(call, ctx, req, PROV_KIND_UPDATE);
    s->lane = PROV_LANE_LOCAL;
    update_read(s);
}

/* after the agents check: a purchase is written, a PATCH goes on to its write */
static void after_check(submit_t *s)
{
    if (s->kind == PROV_KIND_PURCHASE)
        purchase_write(s);
    else
        update_write(s);
}

/* --- DELETE ------------------------------------------------------------------------------------- */

#define DEL(s) ((const Oneinbox__V1__NumberIdRequest *)(s)->req)

/* A DELETE that changed nothing: 409 while the number is still being provisioned, 412 (If-Match)
 * while it is there at another version, 404 once it is gone or going. */
static void on_delete_refused(oi_status_t st, const oi_error_t *err, PGresult *const *res, size_t n, void *ud)
{
    submit_t *s = ud;
    const char *status = !st && n == 1 && PQntuples(res[0]) == 1 ? oi_pg_get(res[0], 0, "status") : NULL;
    if (st)
        fail(s, st, err);
    else if (status && strcmp(status, "provisioning") == 0)
        fail(s, OI_NUMBER_NOT_ACTIVE, NULL);
    else if (status && strcmp(status, "releasing") != 0 && DEL(s)->if_match > 0)
        precondition_failed(s, prov_number_version(res[0], 0));
    else
        fail(s, OI_NUMBER_NOT_FOUND, NULL);
}

static void on_deleted(oi_status_t st, const oi_error_t *err, PGresult *const *res, size_t n, void *ud)
{
    submit_t *s = ud;
    if (st) {
        fail(s, st, err);
        return;
    }
    if (n != 1 || PQntuples(res[0]) != 1) {
        prov_number_get(s->p, s->ctx->workspace_id, DEL(s)->id, on_delete_refused, s); /* why not? */
        return;
    }
    prov_row_cache_drop(s->p->rows, DEL(s)->id);
    const char *lane = oi_pg_get(res[0], 0, "lane"), *state = oi_pg_get(res[0], 0, "job_state");
    if (!prov_lane_parse(lane, &s->lane))
        s->lane = PROV_LANE_LOCAL;
    s->run_here = state && strcmp(state, "running") == 0;
    prov_run_t *run = NULL;
    if (s->run_here) {
        prov_job_t *job = job_fresh(s, "");
        const char *cols[] = {"phone_number",     "provider",          "origin",          "outbound_trunk_id",
                              "inbound_trunk_id", "dispatch_rule_id",  "carrier_trunk_id", "version"};
        for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++) {
            const char *v = oi_pg_get(res[0], 0, cols[i]);
            if (v)
                json_object_set_new(job->payload, cols[i], json_string(v));
        }
        const char *cn = oi_pg_get(res[0], 0, "carrier_number_id"), *status = oi_pg_get(res[0], 0, "status");
        if (cn && cn[0])
            json_object_set_new(job->payload, "carrier_number_id", json_string(cn));
        if (status && strcmp(status, "quarantined") == 0)
            json_object_set_new(job->payload, "quarantine", json_string("true"));
        run = prov_run_new(s->p, &job, NULL, NULL);
    }
    announce_and_start(s, run, oi_pg_get(res[0], 0, "id"));
}

PROV_RPC(prov_rpc_delete)
{
    if (refuse_early(call, ctx))
        return;
    const Oneinbox__V1__NumberIdRequest *r = (const Oneinbox__V1__NumberIdRequest *)req;
    if (!oi_uuid_valid(r->id)) {
        prov_call_fail(call, OI_NUMBER_NOT_FOUND, NULL);
        return;
    }
    submit_t *s = submit_new(call, ctx, req, PROV_KIND_DELETE);
    json_object_set_new(s->payload, "number_id", json_string(r->id));
    bool room[PROV_LANE__COUNT];
    for (int i = 0; i < PROV_LANE__COUNT; i++)
        room[i] = prov_engine_has_room(s->p->engine, (prov_lane_t)i) && !s->p->draining;
    prov_submit_t base = {.job_id = s->job_id, .workspace_id = ctx->workspace_id};
    prov_submit_delete(s->p, &base, r->id, r->if_match, room, on_deleted, s);
}
