/* job_wait.c: answers a request whose work is a provisioning job: the final result when the job
 * finishes within OI_SYNC_WAIT_MS, else 202 {"job_id","status"} and GET /v1/jobs/{id} tells the rest. */
#include <stdio.h>
#include <string.h>

#include "gw.h"
#include "oi/clock.h"
#include "oneinbox/v1/provisioning.pb-c.h"
#include "render.h"

#define WAIT_RPC_SLACK_MS 3000

static bool job_finished(const Oneinbox__V1__Job *j)
{
    return !strcmp(j->state, "succeeded") || !strcmp(j->state, "failed") || !strcmp(j->state, "cancelled");
}

static void answer_finished(gw_req_t *r, const Oneinbox__V1__Job *j)
{
    if (!strcmp(j->state, "succeeded")) {
        if (r->success_status == 204) {
            gw_respond_json(r, 204, NULL, NULL);
            return;
        }
        if (!j->result) { /* its number was deleted since: never a success without a body */
            oi_error_t gone;
            oi_error_init(&gone);
            oi_error_set(&gone, OI_NUMBER_NOT_FOUND, "the job succeeded but its phone number has been deleted since");
            gw_respond_error(r, &gone);
            return;
        }
        gw_respond_json(r, r->success_status, NULL, gw_render_number(j->result));
        return;
    }
    oi_error_t err;
    oi_error_init(&err);
    oi_status_t s = oi_status_valid(j->error_status) && j->error_status ? (oi_status_t)j->error_status : OI_INTERNAL;
    if (!strcmp(j->state, "cancelled") && !j->error_code[0])
        oi_error_set_code(&err, OI_CONFLICT, "JOB_CANCELLED", "the job was cancelled");
    else
        oi_error_set_code(&err, s, j->error_code, j->error_message);
    gw_respond_error(r, &err);
}

static int64_t remaining_ms(const gw_req_t *r)
{
    int64_t elapsed = (int64_t)((oi_clock_mono_ns() - r->start_ns) / 1000000u);
    return (int64_t)r->gw->sync_wait_ms - elapsed;
}

static void on_waited(gw_req_t *r, oi_status_t st, const oi_error_t *err, const ProtobufCMessage *reply)
{
    if (st == OI_TIMEOUT || st == OI_UNAVAILABLE || st == OI_DRAINING) {
        /* the job goes on in oi-provisioning; tell the caller where to look */
        json_t *body = json_pack("{ssss}", "job_id", r->job_id, "status", "running");
        char loc[80];
        snprintf(loc, sizeof loc, "Location: /v1/jobs/%s\r\n", r->job_id);
        gw_respond_json(r, 202, loc, body);
        return;
    }
    if (st) {
        gw_respond_error(r, err);
        return;
    }
    gw_job_answer(r, reply, r->success_status);
}

void gw_job_answer(gw_req_t *r, const ProtobufCMessage *msg, int success_status)
{
    const Oneinbox__V1__Job *j = (const Oneinbox__V1__Job *)msg;
    r->success_status = success_status;
    snprintf(r->job_id, sizeof r->job_id, "%s", j->id);
    if (job_finished(j)) {
        answer_finished(r, j);
        return;
    }
    int64_t left = remaining_ms(r);
    if (left <= 0) {
        json_t *body = json_pack("{ssss}", "job_id", j->id, "status", j->state);
        char loc[80];
        snprintf(loc, sizeof loc, "Location: /v1/jobs/%s\r\n", j->id);
        gw_respond_json(r, 202, loc, body);
        return;
    }
    Oneinbox__V1__JobIdRequest req = ONEINBOX__V1__JOB_ID_REQUEST__INIT;
    req.id = r->job_id;
    req.wait_ms = (int32_t)left;
    gw_rpc(r, r->gw->provisioning, "provisioning.WaitJob", &req.base, &oneinbox__v1__job__descriptor,
           (uint32_t)left + WAIT_RPC_SLACK_MS, on_waited);
}
