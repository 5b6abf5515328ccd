/* job_delete.c: delete a number: routing and trunks in oi-dispatch, the carrier side for purchased
 * numbers (release + trunk), then the row (soft delete: the number can be registered again). */
#define OI_LOG_TAG "prov.delete"
#include <string.h>

#include "jobs.h"
#include "numbers_db.h"
#include "oneinbox/v1/carrier.pb-c.h"
#include "remote.h"

#define S(x) ((char *)(uintptr_t)((x) ? (x) : ""))

static oi_status_t step_dispatch(prov_jctx_t *j, oi_error_t *err) { return prov_dsp_delete_all(j, err); }

static oi_status_t step_carrier(prov_jctx_t *j, oi_error_t *err)
{
    const char *origin = prov_jctx_get(j, "origin");
    if (!origin || strcmp(origin, "purchased") != 0)
        return OI_OK; /* registered numbers stay with the user's carrier account */
    const char *provider = prov_jctx_get(j, "provider");
    Oneinbox__V1__CarrierReleaseRequest q = ONEINBOX__V1__CARRIER_RELEASE_REQUEST__INIT;
    q.provider = S(provider);
    q.carrier_number_id = S(prov_jctx_get(j, "carrier_number_id"));
    q.phone_number = S(prov_jctx_get(j, "phone_number"));
    oi_status_t rc =
        prov_remote_call0(j->p, PROV_PEER_CARRIER, "carrier.Release", j->job->id, j->job->workspace_id, &q.base, err);
    if (rc || !prov_jctx_get(j, "carrier_trunk_id"))
        return rc;
    Oneinbox__V1__CarrierTrunkDeleteRequest t = ONEINBOX__V1__CARRIER_TRUNK_DELETE_REQUEST__INIT;
    t.provider = S(provider);
    t.trunk_id = S(prov_jctx_get(j, "carrier_trunk_id"));
    return prov_remote_call0(j->p, PROV_PEER_CARRIER, "carrier.DeleteTrunk", j->job->id, j->job->workspace_id,
                             &t.base, err);
}

static oi_status_t step_row(prov_jctx_t *j, oi_error_t *err)
{
    return prov_number_soft_delete(j->conn, prov_jctx_get(j, "number_id"), err);
}

/* Deleting only moves forward: a failed delete keeps the row and can be retried (ops RetryJob). */
static oi_status_t compensate(prov_jctx_t *j, oi_error_t *err)
{
    (void)j;
    (void)err;
    return OI_OK;
}

static const prov_step_t steps[] = {
    {"delete_routing", step_dispatch},
    {"release_carrier", step_carrier},
    {"delete_number", step_row},
};

const prov_job_ops_t prov_job_delete_ops = {
    .request = &oneinbox__v1__number_id_request__descriptor,
    .steps = steps,
    .n_steps = sizeof steps / sizeof steps[0],
    .compensate = compensate,
};
