/* job_update.c: PATCH a number's name, agent and inbound routing (merge rules in merge.h).
 *
 * The submission merged the PATCH into the row (guarded by the row's version) in the same
 * statement that wrote this job, so the row already says what the number is; the job brings
 * oi-dispatch in line with the row, with the row's version. A resumed job reads the row again:
 * whatever the row says now (even a newer PATCH, or a deletion) is what it applies, so it can
 * never put back an older state. A PATCH of provider_config also gives dispatch the trunk
 * settings the row keeps, whole: dispatch takes them when this version is newer than the one that
 * set them last, even after a newer change (apply.h), so no rotation is lost to reordering. */
#define OI_LOG_TAG "prov.update"
#include <stdlib.h>
#include <string.h>

#include "dsp_sync.h"
#include "sealed.h"
#include "job_update.h"
#include "numbers_db.h"
#include "oi/crypto.h"
#include "oi/mem.h"
#include "oi/pg.h"

typedef struct {
    long long version;
    bool gone;                  /* deleted or releasing: nothing routes to it any more */
    bool parked;                /* quarantined: no inbound routing, its outbound trunk kept for a restore */
    prov_routing_t routing;
    char *trunk_address, *trunk_username, *trunk_password_sealed; /* owned: the tenant's trunk, if kept */
} row_state_t;

static void state_free(void *s)
{
    row_state_t *x = s;
    prov_routing_cleanup(&x->routing);
    free(x->trunk_address);
    free(x->trunk_username);
    free(x->trunk_password_sealed);
    free(x);
}

/* A column the row may not carry (NULL then), copied. */
static char *column_copy(const PGresult *res, int row, const char *name)
{
    return PQfnumber(res, name) >= 0 ? oi_xstrdup(oi_pg_get(res, row, name)) : NULL;
}

oi_status_t prov_update_keep_row(prov_run_t *r, const PGresult *res, int row, const prov_routing_t *routing,
                                 oi_error_t *err)
{
    row_state_t *x = oi_xcalloc(1, sizeof *x);
    oi_status_t rc = OI_OK;
    if (routing)
        prov_routing_copy(&x->routing, routing);
    else
        rc = prov_number_routing(res, row, &x->routing, err);
    if (rc) {
        state_free(x);
        return rc;
    }
    x->version = prov_number_version(res, row);
    const char *status = oi_pg_get(res, row, "status");
    x->gone = oi_pg_get(res, row, "deleted_at") || (status && strcmp(status, "releasing") == 0);
    x->parked = status && strcmp(status, "quarantined") == 0;
    x->trunk_address = column_copy(res, row, "trunk_address");
    x->trunk_username = column_copy(res, row, "trunk_username");
    x->trunk_password_sealed = column_copy(res, row, "trunk_password_sealed");
    if (r->scratch && r->scratch_free)
        r->scratch_free(r->scratch);
    r->scratch = x;
    r->scratch_free = state_free;
    if (!r->number)
        r->number = prov_number_to_proto_with(res, row, "", &x->routing);
    return OI_OK;
}

static void on_applied(prov_run_t *r, oi_status_t st, const oi_error_t *err, const ProtobufCMessage *reply)
{
    (void)reply;
    prov_run_step_done(r, st, err);
}

static void apply(prov_run_t *r)
{
    row_state_t *x = r->scratch;
    /* a rotation carries the row's settings whole, whatever a newer change did since */
    bool rotate = prov_run_get(r, "rotate_trunk") && !x->gone && !x->parked && x->trunk_address &&
                  x->trunk_password_sealed;
    char *password =
        rotate ? prov_number_trunk_open(r->p, prov_run_get(r, "number_id"), x->trunk_password_sealed) : NULL;
    if (rotate && !password) {
        oi_error_t e;
        oi_error_init(&e);
        oi_error_set(&e, OI_INTERNAL, "the number's stored trunk password cannot be opened (OI_SECRET_KEY?)");
        prov_run_step_done(r, OI_INTERNAL, &e);
        return;
    }
    prov_sip_fields_t trunk = {x->trunk_address, x->trunk_username, password};
    prov_dsp_number_t n = {
        .number_id = prov_run_get(r, "number_id"),
        .phone_number = prov_run_get(r, "phone_number"),
        .provider = prov_run_get(r, "provider"),
        .version = x->version,
        .outbound_trunk_id = prov_run_get(r, "outbound_trunk_id"),
        .delete_outbound = x->gone,
        .inbound_trunk_id = prov_run_get(r, "inbound_trunk_id"),
        .dispatch_rule_id = prov_run_get(r, "dispatch_rule_id"),
        .routing = x->gone || x->parked ? NULL : &x->routing,
        .outbound = rotate ? &trunk : NULL,
        .rotate_outbound = rotate,
    };
    prov_dsp_apply(r, &n, on_applied);
    oi_crypto_free_secret(password);
}

static void on_row(prov_run_t *r, oi_status_t st, const oi_error_t *err, PGresult *const *res, size_t n)
{
    if (st) {
        prov_run_step_done(r, st, err);
        return;
    }
    oi_error_t e;
    oi_error_init(&e);
    if (n != 1 || PQntuples(res[0]) != 1) { /* the row is gone for good (a compensated registration) */
        prov_run_step_done(r, OI_OK, NULL);
        return;
    }
    oi_status_t rc = prov_update_keep_row(r, res[0], 0, NULL, &e);
    if (rc) {
        prov_run_step_done(r, rc, &e);
        return;
    }
    apply(r);
}

static void step_dispatch(prov_run_t *r)
{
    if (r->scratch) {
        apply(r);
        return;
    }
    prov_number_load(r->p, prov_run_get(r, "number_id"), PROV_RUN_SQL(r, on_row));
}

static void on_resumed(prov_run_t *r, oi_status_t st, const oi_error_t *err, const ProtobufCMessage *reply)
{
    (void)reply;
    prov_run_step_done(r, st, err);
}

static void resume_outbound(prov_run_t *r)
{
    const row_state_t *x = r->scratch;
    if (x->gone || x->parked) /* deleted or quarantined again since: nothing to let through */
        prov_run_step_done(r, OI_OK, NULL);
    else
        prov_dsp_suspend_outbound(r, false, x->version, on_resumed);
}

static void on_row_to_resume(prov_run_t *r, oi_status_t st, const oi_error_t *err, PGresult *const *res, size_t n)
{
    oi_error_t e;
    oi_error_init(&e);
    if (st)
        prov_run_step_done(r, st, err);
    else if (n != 1 || PQntuples(res[0]) != 1)
        prov_run_step_done(r, OI_OK, NULL);
    else if ((st = prov_update_keep_row(r, res[0], 0, NULL, &e)) != OI_OK)
        prov_run_step_done(r, st, &e);
    else
        resume_outbound(r);
}

/* A restore lets the number's outbound calls through again (its quarantine suspended them). */
static void step_resume(prov_run_t *r)
{
    if (!prov_run_get(r, "restore") || !prov_run_get(r, "outbound_trunk_id"))
        prov_run_step_done(r, OI_OK, NULL);
    else if (r->scratch)
        resume_outbound(r);
    else
        prov_number_load(r->p, prov_run_get(r, "number_id"), PROV_RUN_SQL(r, on_row_to_resume));
}

/* The row is the truth and already changed: there is nothing to put back. A job that could not
 * bring oi-dispatch in line ends failed (dead letter) and RetryJob runs it again. */
static void compensate(prov_run_t *r) { prov_run_step_done(r, OI_OK, NULL); }

static const prov_step_t steps[] = {
    {"dispatch_routing", step_dispatch, false},
    {"resume_outbound", step_resume, false},
};

const prov_job_ops_t prov_job_update_ops = {
    .request = NULL,
    .steps = steps,
    .n_steps = sizeof steps / sizeof steps[0],
    .compensate = compensate,
};
