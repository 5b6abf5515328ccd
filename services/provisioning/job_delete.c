/* job_delete.c: delete a number.
 *
 * The submission took the number out of the API at once (a registered number is deleted; a
 * purchased one is "releasing") and bumped its version. The job removes its routing and trunks
 * in oi-dispatch with that version, then, for a purchased number, releases it and its trunk on
 * the carrier and deletes the row. Deleting only moves forward: a failed delete can be retried
 * (ops RetryJob). */
#define OI_LOG_TAG "prov.delete"
#include <stdlib.h>
#include <string.h>

#include "dsp_sync.h"
#include "jobs.h"
#include "numbers_db.h"
#include "oneinbox/v1/carrier.pb-c.h"
#include "trunk_creds.h"

#define S(x) ((char *)(uintptr_t)((x) ? (x) : ""))

static bool purchased(const prov_run_t *r)
{
    const char *origin = prov_run_get(r, "origin");
    return origin && strcmp(origin, "purchased") == 0;
}

static void on_done(prov_run_t *r, oi_status_t st, const oi_error_t *err, const ProtobufCMessage *reply)
{
    (void)reply;
    prov_run_step_done(r, st, err);
}

static void step_dispatch(prov_run_t *r)
{
    const char *v = prov_run_get(r, "version");
    prov_dsp_remove(r, v ? strtoll(v, NULL, 10) : 1, on_done);
}

static void released(prov_run_t *r) { prov_run_step_done(r, OI_OK, NULL); }

/* The carrier side is gone: written down, so a resumed job goes straight to the row. */
static void on_trunk_deleted(prov_run_t *r, oi_status_t st, const oi_error_t *err, const ProtobufCMessage *reply)
{
    (void)reply;
    if (st) {
        prov_run_step_done(r, st, err);
        return;
    }
    prov_run_save(r, "release_carrier", released);
}

static void on_released(prov_run_t *r, oi_status_t st, const oi_error_t *err, const ProtobufCMessage *reply)
{
    if (st || !prov_run_get(r, "carrier_trunk_id")) {
        if (st)
            prov_run_step_done(r, st, err);
        else
            on_trunk_deleted(r, OI_OK, NULL, reply);
        return;
    }
    char name[PROV_TRUNK_NAME_MAX];
    prov_trunk_name(prov_run_get(r, "number_id"), name);
    Oneinbox__V1__CarrierTrunkDeleteRequest t = ONEINBOX__V1__CARRIER_TRUNK_DELETE_REQUEST__INIT;
    t.provider = prov_provider_parse(prov_run_get(r, "provider"));
    t.trunk_id = S(prov_run_get(r, "carrier_trunk_id"));
    t.name = name; /* its outbound credentials go with it */
    prov_run_call(r, PROV_PEER_CARRIER, "DeleteTrunk", &t.base, on_trunk_deleted);
}

static void step_carrier(prov_run_t *r)
{
    if (!purchased(r)) { /* registered numbers stay with the user's carrier account */
        prov_run_step_done(r, OI_OK, NULL);
        return;
    }
    Oneinbox__V1__CarrierReleaseRequest q = ONEINBOX__V1__CARRIER_RELEASE_REQUEST__INIT;
    q.provider = prov_provider_parse(prov_run_get(r, "provider"));
    q.carrier_number_id = S(prov_run_get(r, "carrier_number_id"));
    q.phone_number = S(prov_run_get(r, "phone_number"));
    prov_run_call(r, PROV_PEER_CARRIER, "Release", &q.base, on_released);
}

static void on_row_deleted(prov_run_t *r, oi_status_t st, const oi_error_t *err, PGresult *const *res, size_t n)
{
    (void)res;
    (void)n;
    prov_run_step_done(r, st, err);
}

static void step_row(prov_run_t *r)
{
    if (!purchased(r)) { /* deleted by the submission already */
        prov_run_step_done(r, OI_OK, NULL);
        return;
    }
    prov_number_soft_delete(r->p, prov_run_get(r, "number_id"), PROV_RUN_SQL(r, on_row_deleted));
}

static void compensate(prov_run_t *r) { prov_run_step_done(r, OI_OK, NULL); }

static const prov_step_t steps[] = {
    {"delete_routing", step_dispatch, false},
    {"release_carrier", step_carrier, false}, /* records itself when it did something */
    {"delete_number", step_row, false},
};

const prov_job_ops_t prov_job_delete_ops = {
    .request = NULL,
    .steps = steps,
    .n_steps = sizeof steps / sizeof steps[0],
    .compensate = compensate,
};
