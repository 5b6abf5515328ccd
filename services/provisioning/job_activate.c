/* job_activate.c: a number's activation as the end of its job. */
#include "job_activate.h"

#include "oi/pg.h"

static void on_activated(prov_run_t *r, oi_status_t st, const oi_error_t *err, const PGresult *res, int row)
{
    if (st) {
        prov_run_finished(r, st, err);
        return;
    }
    if (row < 0) {
        oi_error_t e;
        oi_error_init(&e);
        oi_error_set(&e, OI_JOB_LEASE_LOST, "job %s moved on before its number became active", r->job->id);
        prov_run_finished(r, OI_JOB_LEASE_LOST, &e);
        return;
    }
    if (r->number)
        protobuf_c_message_free_unpacked(&r->number->base, NULL);
    r->number = prov_number_to_proto(res, row, "");
    prov_run_finished(r, OI_OK, NULL);
}

void prov_job_activate(prov_run_t *r, const prov_number_activation_t *a)
{
    prov_number_activate_finish(r->p, a, PROV_RUN_ROW(r, on_activated));
}
