/* drift_rpc.c: CheckDrift, ListDrift, ResolveDrift: the ops side of carrier drift (drift.h), for
 * the platform's admin only. A fix changes what it says and nothing else: releasing an orphan
 * first makes sure no row took the number since it was found; marking a missing number released
 * goes through the same release job as a DELETE, so its routing goes with it. */
#define OI_LOG_TAG "prov.drift"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calls.h"
#include "drift.h"
#include "drift_db.h"
#include "announce.h"
#include "engine.h"
#include "job_policy.h"
#include "jobs_rpc.h"
#include "trunk_creds.h"
#include "oi/ids.h"
#include "oi/log.h"
#include "oi/mem.h"
#include "oi/pg.h"
#include "oneinbox/v1/carrier.pb-c.h"

#define LIST_MAX 1000
#define LIST_DEFAULT 100

static bool admin_only(oi_rpc_call_t *call, const oi_rpc_ctx_t *ctx)
{
    if (ctx->admin)
        return true;
    oi_error_t e;
    oi_error_init(&e);
    oi_error_set(&e, OI_FORBIDDEN, "carrier drift is the platform admin's");
    prov_call_fail(call, OI_FORBIDDEN, &e);
    return false;
}

static void invalid(oi_rpc_call_t *call, const char *loc, const char *msg)
{
    oi_error_t e;
    oi_error_init(&e);
    oi_error_set(&e, OI_INVALID, "%s", msg);
    oi_error_set_loc(&e, loc);
    prov_call_fail(call, OI_INVALID, &e);
}

PROV_RPC(prov_rpc_check_drift)
{
    (void)req;
    prov_t *p = ctx->ud;
    if (admin_only(call, ctx))
        prov_drift_check(p->drift, call);
}

static oi_status_t list_reply(const prov_call_t *c, PGresult *const *res, size_t n, ProtobufCMessage **reply,
                              oi_error_t *err)
{
    (void)err;
    int limit = (int)prov_call_arg(c), rows = n == 1 ? PQntuples(res[0]) : 0;
    Oneinbox__V1__ListDriftReply *r = oi_xmalloc(sizeof *r);
    oneinbox__v1__list_drift_reply__init(r);
    r->n_findings = (size_t)(rows > limit ? limit : rows);
    r->findings = oi_xcalloc(r->n_findings ? r->n_findings : 1, sizeof *r->findings);
    for (size_t i = 0; i < r->n_findings; i++)
        r->findings[i] = prov_drift_finding_to_proto(res[0], (int)i);
    r->next_cursor = oi_xstrdup(rows > limit ? r->findings[limit - 1]->id : "");
    *reply = &r->base;
    return OI_OK;
}

static const char *one_of(const char *v, const char *const *choices)
{
    for (size_t i = 0; choices[i]; i++)
        if (strcmp(v, choices[i]) == 0)
            return choices[i];
    return NULL;
}

PROV_RPC(prov_rpc_list_drift)
{
    static const char *const states[] = {"open", "resolved", "all", NULL};
    static const char *const provs[] = {"twilio", "telnyx", NULL};
    static const char *const kinds[] = {"orphan", "missing", "trunk_mismatch", "origination_mismatch", NULL};
    const Oneinbox__V1__ListDriftRequest *r = (const Oneinbox__V1__ListDriftRequest *)req;
    if (!admin_only(call, ctx))
        return;
    int limit = r->limit <= 0 ? LIST_DEFAULT : r->limit;
    const char *state = r->state[0] ? one_of(r->state, states) : "open";
    if (limit > LIST_MAX)
        invalid(call, "query.limit", "limit must be between 1 and 1000");
    else if (!state)
        invalid(call, "query.state", "state must be open, resolved or all");
    else if (r->provider[0] && !one_of(r->provider, provs))
        invalid(call, "query.provider", "provider must be twilio or telnyx");
    else if (r->kind[0] && !one_of(r->kind, kinds))
        invalid(call, "query.kind", "kind must be orphan, missing, trunk_mismatch or origination_mismatch");
    else if (r->cursor[0] && !oi_uuid_valid(r->cursor))
        invalid(call, "query.cursor", "invalid cursor");
    else
        prov_drift_list(ctx->ud, state, r->provider[0] ? r->provider : NULL, r->kind[0] ? r->kind : NULL,
                        r->cursor[0] ? r->cursor : NULL, limit, prov_call_done, prov_call_new(call, list_reply, limit));
}

/* --- ResolveDrift ------------------------------------------------------------------------------ */

typedef struct {
    oi_rpc_call_t *call;
    prov_t *p;
    char id[OI_UUID_STR_LEN + 1];
    char request_id[64];
    char action[24];
    char provider[16], phone[32], carrier_id[128], number_id[OI_UUID_STR_LEN + 1];
    char trunk_id[128]; /* repair: the trunk the number's row is on */
} resolve_t;

static void resolve_fail(resolve_t *x, oi_status_t st, const char *msg)
{
    oi_error_t e;
    oi_error_init(&e);
    if (msg)
        oi_error_set(&e, st, "%s", msg);
    prov_call_fail(x->call, st, msg ? &e : NULL);
    free(x);
}

static void answer_finding(resolve_t *x, const PGresult *res)
{
    if (!res || PQntuples(res) != 1) {
        resolve_fail(x, OI_CONFLICT, "the finding was resolved meanwhile");
        return;
    }
    Oneinbox__V1__DriftFinding *f = prov_drift_finding_to_proto(res, 0);
    oi_log_info(&(oi_log_ctx_t){.request_id = x->request_id, .action = "fixing carrier drift"},
                "finding %s (%s %s): %s by the admin", x->id, x->provider, x->phone, f->resolution);
    oi_rpc_call_reply(&x->call, OI_OK, NULL, &f->base);
    protobuf_c_message_free_unpacked(&f->base, NULL);
    free(x);
}

static void on_closed(oi_status_t st, const oi_error_t *err, PGresult *const *res, size_t n, void *ud)
{
    resolve_t *x = ud;
    if (st)
        resolve_fail(x, st, err ? err->message : NULL);
    else
        answer_finding(x, n == 1 ? res[0] : NULL);
}

static void on_marked(oi_status_t st, const oi_error_t *err, PGresult *const *res, size_t n, void *ud)
{
    resolve_t *x = ud;
    if (st || n != 2) {
        resolve_fail(x, st ? st : OI_INTERNAL, err ? err->message : NULL);
        return;
    }
    prov_lane_t lane;
    if (PQntuples(res[0]) == 1 && prov_lane_parse(oi_pg_get(res[0], 0, "lane"), &lane)) {
        prov_engine_queued(x->p->engine, lane, 0, true);
        prov_announce_number(x->p->announcer, x->number_id, NULL, NULL); /* now "releasing" */
    }
    answer_finding(x, res[1]);
}

static void on_orphan_released(oi_status_t st, const oi_error_t *err, const ProtobufCMessage *reply, void *ud)
{
    (void)reply;
    resolve_t *x = ud;
    if (st) {
        resolve_fail(x, st, err ? err->message : NULL);
        return;
    }
    prov_drift_resolve(x->p, x->id, "released", "admin", x->request_id, on_closed, x);
}

static void release_orphan(resolve_t *x)
{
    Oneinbox__V1__CarrierReleaseRequest q = ONEINBOX__V1__CARRIER_RELEASE_REQUEST__INIT;
    q.provider = prov_provider_parse(x->provider);
    q.carrier_number_id = x->carrier_id;
    q.phone_number = x->phone;
    if (oi_rpc_client_call(x->p->carrier, &oneinbox__v1__carrier__descriptor, "Release", x->request_id, "",
                           &q.base, x->p->carrier_timeout_ms, on_orphan_released, x) != 0)
        on_orphan_released(OI_UNAVAILABLE, NULL, NULL, x);
}

/* --- repair: the number back on its own trunk, the trunk sending calls to our ingress ----------- */

/* EnsureTrunk for the number's own trunk, by its name; lookup_only: only find it. */
static void ensure_trunk(resolve_t *x, bool lookup_only, oi_rpc_reply_cb cb)
{
    char name[PROV_TRUNK_NAME_MAX];
    prov_trunk_name(x->number_id, name);
    Oneinbox__V1__CarrierTrunkRequest q = ONEINBOX__V1__CARRIER_TRUNK_REQUEST__INIT;
    q.provider = prov_provider_parse(x->provider);
    q.name = name;
    q.carrier_number_id = x->carrier_id;
    q.lookup_only = lookup_only;
    if (oi_rpc_client_call(x->p->carrier, &oneinbox__v1__carrier__descriptor, "EnsureTrunk", x->request_id, "",
                           &q.base, x->p->carrier_timeout_ms, cb, x) != 0)
        cb(OI_UNAVAILABLE, NULL, NULL, x);
}

static void on_repaired(oi_status_t st, const oi_error_t *err, const ProtobufCMessage *reply, void *ud)
{
    resolve_t *x = ud;
    const Oneinbox__V1__CarrierTrunk *t = (const Oneinbox__V1__CarrierTrunk *)reply;
    if (st)
        resolve_fail(x, st, err ? err->message : NULL);
    else if (strcmp(t->trunk_id, x->trunk_id) != 0)
        resolve_fail(x, OI_CARRIER_ERROR, "the carrier put the number on another trunk than its own");
    else
        prov_drift_resolve(x->p, x->id, "repaired", "admin", x->request_id, on_closed, x);
}

/* The trunk by its name is the row's own: ensure it (origination to our ingress, the number on
 * it), as a resumed purchase would, leaving its outbound credentials as they are. */
static void on_trunk_found(oi_status_t st, const oi_error_t *err, const ProtobufCMessage *reply, void *ud)
{
    resolve_t *x = ud;
    const Oneinbox__V1__CarrierTrunk *t = (const Oneinbox__V1__CarrierTrunk *)reply;
    if (st) {
        resolve_fail(x, st, err ? err->message : NULL);
        return;
    }
    if (strcmp(t->trunk_id, x->trunk_id) != 0) {
        resolve_fail(x, OI_CONFLICT, "the number's trunk is gone from the carrier account: mark the number "
                                     "released by a DELETE, or dismiss");
        return;
    }
    ensure_trunk(x, false, on_repaired);
}

/* Which action fits which finding, and the checks before it. */
static void on_finding(oi_status_t st, const oi_error_t *err, PGresult *const *res, size_t n, void *ud)
{
    resolve_t *x = ud;
    if (st) {
        resolve_fail(x, st, err ? err->message : NULL);
        return;
    }
    if (n != 1 || PQntuples(res[0]) != 1) {
        resolve_fail(x, OI_NOT_FOUND, "no such drift finding");
        return;
    }
    const PGresult *f = res[0];
    const char *kind = oi_pg_get(f, 0, "kind");
    snprintf(x->provider, sizeof x->provider, "%s", oi_pg_get(f, 0, "provider"));
    snprintf(x->phone, sizeof x->phone, "%s", oi_pg_get(f, 0, "phone_number"));
    const char *cid = oi_pg_get(f, 0, "carrier_number_id"), *nid = oi_pg_get(f, 0, "number_id");
    snprintf(x->carrier_id, sizeof x->carrier_id, "%s", cid ? cid : "");
    snprintf(x->number_id, sizeof x->number_id, "%s", nid ? nid : "");
    const char *row_trunk = oi_pg_get(f, 0, "row_trunk_id");
    snprintf(x->trunk_id, sizeof x->trunk_id, "%s", row_trunk ? row_trunk : "");
    bool on_trunk = strcmp(kind, "trunk_mismatch") == 0 || strcmp(kind, "origination_mismatch") == 0;
    if (oi_pg_get(f, 0, "resolved_at"))
        resolve_fail(x, OI_CONFLICT, "the finding is resolved already");
    else if (strcmp(x->action, "dismiss") == 0)
        prov_drift_resolve(x->p, x->id, "dismissed", "admin", x->request_id, on_closed, x);
    else if (strcmp(x->action, "release") == 0 && strcmp(kind, "orphan") != 0)
        resolve_fail(x, OI_CONFLICT, "release fixes an orphan only");
    else if (strcmp(x->action, "release") == 0 && oi_pg_bool(f, 0, "held"))
        resolve_fail(x, OI_CONFLICT, "a number of the suite holds it now: not an orphan any more");
    else if (strcmp(x->action, "release") == 0)
        release_orphan(x);
    else if (strcmp(x->action, "repair") == 0 && !on_trunk)
        resolve_fail(x, OI_CONFLICT, "repair fixes a trunk_mismatch or origination_mismatch only");
    else if (strcmp(x->action, "repair") == 0 && !x->trunk_id[0])
        resolve_fail(x, OI_CONFLICT, "the number is no longer held on a trunk of ours: nothing to repair");
    else if (strcmp(x->action, "repair") == 0)
        ensure_trunk(x, true, on_trunk_found);
    else if (strcmp(kind, "missing") != 0)
        resolve_fail(x, OI_CONFLICT, "mark_released fixes a missing number only");
    else {
        char ids[OI_UUID_STR_LEN + 3] = "{";
        oi_uuid7_new(ids + 1);
        strcat(ids, "}");
        prov_drift_mark_released(x->p, x->id, x->number_id, ids, "admin", x->request_id, on_marked, x);
    }
}

PROV_RPC(prov_rpc_resolve_drift)
{
    static const char *const actions[] = {"release", "mark_released", "repair", "dismiss", NULL};
    const Oneinbox__V1__ResolveDriftRequest *r = (const Oneinbox__V1__ResolveDriftRequest *)req;
    if (!admin_only(call, ctx))
        return;
    if (!oi_uuid_valid(r->id)) {
        prov_call_fail(call, OI_NOT_FOUND, NULL);
        return;
    }
    if (!one_of(r->action, actions)) {
        invalid(call, "body.action", "action must be release, mark_released, repair or dismiss");
        return;
    }
    resolve_t *x = oi_xcalloc(1, sizeof *x);
    x->call = call;
    x->p = ctx->ud;
    snprintf(x->id, sizeof x->id, "%s", r->id);
    snprintf(x->action, sizeof x->action, "%s", r->action);
    snprintf(x->request_id, sizeof x->request_id, "%s", ctx->request_id);
    prov_drift_get(x->p, x->id, on_finding, x);
}
