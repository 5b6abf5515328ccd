/* job_delete.c: delete a number.
 *
 * The submission took the number out of routing at once (a registered number is released; a
 * purchased one is "quarantined" or "releasing") and bumped its version. The job removes its
 * routing and trunks in oi-dispatch with that version; a number entering quarantine loses its
 * inbound routing, its outbound trunk is suspended (kept for a restore), and that is all
 * (quarantine.h releases it later, with a job of this kind). A release then frees the number
 * and its trunk on the carrier and marks the row released. Deleting only moves forward: a failed
 * delete can be retried (ops RetryJob). */
#define OI_LOG_TAG "prov.delete"
#include <stdlib.h>
#include <string.h>

#include "announce.h"
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

/* A purchased number that stays on the carrier account, restorable, until its quarantine ends. */
static bool releasing(const prov_run_t *r)
{
    const char *quarantine = prov_run_get(r, "quarantine");
    return purchased(r) && !(quarantine && strcmp(quarantine, "true") == 0);
}

static void on_done(prov_run_t *r, oi_status_t st, const oi_error_t *err, const ProtobufCMessage *reply)
{
    (void)reply;
    prov_run_step_done(r, st, err);
}

/* A release takes the number's whole dispatch side away; a quarantine only its inbound routing:
 * the outbound trunk keeps the credentials only oi-dispatch holds, for a restore. */
static void step_dispatch(prov_run_t *r)
{
    const char *v = prov_run_get(r, "version");
    long long version = v ? strtoll(v, NULL, 10) : 1;
    if (!purchased(r) || releasing(r))
        prov_dsp_remove(r, version, on_done);
    else
        prov_dsp_remove_inbound(r, version, on_done);
}

/* A number entering quarantine places no outbound calls either; its trunk stays for a restore. */
static void step_suspend(prov_run_t *r)
{
    const char *v = prov_run_get(r, "version");
    if (!purchased(r) || releasing(r) || !prov_run_get(r, "outbound_trunk_id")) {
        prov_run_step_done(r, OI_OK, NULL);
        return;
    }
    prov_dsp_suspend_outbound(r, true, v ? strtoll(v, NULL, 10) : 1, on_done);
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
    if (!releasing(r)) { /* registered numbers stay with the user's carrier account */
        prov_run_step_done(r, OI_OK, NULL);
        return;
    }
    Oneinbox__V1__CarrierReleaseRequest q = ONEINBOX__V1__CARRIER_RELEASE_REQUEST__INIT;
    q.provider = prov_provider_parse(prov_run_get(r, "provider"));
    q.carrier_number_id = S(prov_run_get(r, "carrier_number_id"));
    q.phone_number = S(prov_run_get(r, "phone_number"));
    prov_run_call(r, PROV_PEER_CARRIER, "Release", &q.base, on_released);
}

static void on_announced(void *ud) { prov_run_step_done(ud, OI_OK, NULL); }

/* GET showed the number "releasing": every replica forgets it before the job ends. */
static void on_row_deleted(prov_run_t *r, oi_status_t st, const oi_error_t *err, PGresult *const *res, size_t n)
{
    (void)res;
    (void)n;
    if (st)
        prov_run_step_done(r, st, err);
    else
        prov_announce_number(r->p->announcer, prov_run_get(r, "number_id"), on_announced, r);
}

static void step_row(prov_run_t *r)
{
    if (!releasing(r)) { /* released by the submission, or kept in quarantine */
        prov_run_step_done(r, OI_OK, NULL);
        return;
    }
    prov_number_soft_delete(r->p, prov_run_get(r, "number_id"), PROV_RUN_SQL(r, on_row_deleted));
}

static void compensate(prov_run_t *r) { prov_run_step_done(r, OI_OK, NULL); }

static const prov_step_t steps[] = {
    {"delete_routing", step_dispatch, false},
    {"suspend_outbound", step_suspend, false},
    {"release_carrier", step_carrier, false}, /* records itself when it did something */
    {"delete_number", step_row, false},
};

const prov_job_ops_t prov_job_delete_ops = {
    .request = NULL,
    .steps = steps,
    .n_steps = sizeof steps / sizeof steps[0],
    .compensate = compensate,
};
