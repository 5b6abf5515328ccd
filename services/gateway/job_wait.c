/* job_wait.c: answers a request whose work is a provisioning job. The submission itself waits
 * (in oi-provisioning, on its loop) up to what is left of OI_SYNC_WAIT_MS: a job that ended is
 * answered with its result, one still going with 202 {"job_id","status"}, and GET /v1/jobs/{id}
 * tells the rest. */
#include <stdio.h>
#include <string.h>

#include "gw.h"
#include "oi/clock.h"
#include "oi/proto_enum.h"
#include "oneinbox/v1/provisioning.pb-c.h"
#include "render.h"

#define WAIT_RPC_SLACK_MS 3000

bool gw_job_finished(const ProtobufCMessage *job)
{
    const Oneinbox__V1__Job *j = (const Oneinbox__V1__Job *)job;
    return j->state == ONEINBOX__V1__JOB_STATE__JOB_STATE_SUCCEEDED ||
           j->state == ONEINBOX__V1__JOB_STATE__JOB_STATE_FAILED || j->state == ONEINBOX__V1__JOB_STATE__JOB_STATE_CANCELLED;
}

static void answer_failed(gw_req_t *r, const Oneinbox__V1__Job *j)
{
    oi_error_t err;
    oi_error_init(&err);
    oi_status_t s = oi_status_valid((int)j->error_status) && j->error_status ? (oi_status_t)j->error_status : OI_INTERNAL;
    if (j->state == ONEINBOX__V1__JOB_STATE__JOB_STATE_CANCELLED && s == OI_INTERNAL)
        s = OI_JOB_CANCELLED;
    oi_error_set(&err, s, "%s", j->error_message[0] ? j->error_message : oi_status_message(s));
    gw_respond_error(r, &err);
}

static void answer_finished(gw_req_t *r, const Oneinbox__V1__Job *j)
{
    if (j->state != ONEINBOX__V1__JOB_STATE__JOB_STATE_SUCCEEDED) {
        answer_failed(r, j);
        return;
    }
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
    char etag[GW_ETAG_HEADER_MAX];
    gw_etag_header(j->result->version, etag);
    gw_respond_json(r, r->success_status, etag, gw_render_number_in(j->result, &r->render_memo));
}

static void answer_accepted(gw_req_t *r, const char *job_id, Oneinbox__V1__JobState state)
{
    const char *name = oi_enum_str(&oneinbox__v1__job_state__descriptor, (int)state);
    json_t *body = json_pack("{ssss}", "job_id", job_id, "status", name[0] ? name : "running");
    char loc[80];
    snprintf(loc, sizeof loc, "Location: /v1/jobs/%s\r\n", job_id);
    gw_respond_json(r, 202, loc, body);
}

void gw_job_answer(gw_req_t *r, const ProtobufCMessage *msg, int success_status)
{
    const Oneinbox__V1__Job *j = (const Oneinbox__V1__Job *)msg;
    r->success_status = success_status;
    snprintf(r->job_id, sizeof r->job_id, "%s", j->id);
    if (gw_job_finished(msg))
        answer_finished(r, j);
    else
        answer_accepted(r, j->id, j->state);
}

/* What answering takes after a wait ends (the job read again, the reply, the rendering), kept out
 * of the wait so a 202 leaves within OI_SYNC_WAIT_MS of the request's arrival. */
#define ANSWER_MARGIN_MS 250

int32_t gw_job_wait_ms(const gw_req_t *r)
{
    int64_t elapsed = (int64_t)((oi_clock_mono_ns() - r->start_ns) / 1000000u);
    int64_t margin = r->gw->sync_wait_ms / 10 < ANSWER_MARGIN_MS ? r->gw->sync_wait_ms / 10 : ANSWER_MARGIN_MS;
    int64_t left = (int64_t)r->gw->sync_wait_ms - margin - elapsed;
    return left > 0 ? (int32_t)left : 0;
}

uint32_t gw_job_rpc_timeout_ms(const gw_req_t *r) { return (uint32_t)gw_job_wait_ms(r) + WAIT_RPC_SLACK_MS; }
