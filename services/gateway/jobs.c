/* jobs.c: /v1/jobs — the ops view of provisioning jobs (admin), and a workspace's own job. */
#include <stdlib.h>
#include <string.h>

#include "gw.h"
#include "oi/proto_enum.h"
#include "oi/http_server.h"
#include "oi/mem.h"
#include "oneinbox/v1/provisioning.pb-c.h"
#include "render.h"

static void on_job(gw_req_t *r, oi_status_t st, const oi_error_t *err, const ProtobufCMessage *reply)
{
    if (st) {
        gw_respond_error(r, err);
        return;
    }
    gw_respond_json(r, 200, NULL, gw_render_job((const Oneinbox__V1__Job *)reply));
}

static void job_call(gw_req_t *r, const char *method)
{
    char id[37];
    if (!gw_req_path_uuid(r, "job_id", id))
        return;
    Oneinbox__V1__JobIdRequest req = ONEINBOX__V1__JOB_ID_REQUEST__INIT;
    req.id = id;
    gw_rpc(r, GW_PEER_PROVISIONING, method, &req.base, 0, on_job);
}

void gw_jobs_get(gw_req_t *r) { job_call(r, "GetJob"); }
void gw_jobs_retry(gw_req_t *r) { job_call(r, "RetryJob"); }
void gw_jobs_cancel(gw_req_t *r) { job_call(r, "CancelJob"); }

static void on_jobs(gw_req_t *r, oi_status_t st, const oi_error_t *err, const ProtobufCMessage *reply)
{
    if (st) {
        gw_respond_error(r, err);
        return;
    }
    const Oneinbox__V1__ListJobsReply *l = (const Oneinbox__V1__ListJobsReply *)reply;
    json_t *arr = json_array();
    for (size_t i = 0; i < l->n_jobs; i++)
        json_array_append_new(arr, gw_render_job(l->jobs[i]));
    gw_respond_list(r, arr, l->next_cursor);
}

static bool one_of(const char *s, const char *const *choices)
{
    for (int i = 0; choices[i]; i++)
        if (!strcmp(s, choices[i]))
            return true;
    return false;
}

void gw_jobs_list(gw_req_t *r)
{
    static const char *const states[] = {"queued", "running", "succeeded", "failed", "cancelled", NULL};
    static const char *const kinds[] = {"register", "purchase", "update_routing", "delete", NULL};
    int limit;
    char cursor[256], state[32] = "", kind[32] = "";
    if (!gw_list_params(r, &limit, cursor, sizeof cursor))
        return;
    const char *query = oi_http_req_query(r->http);
    oi_validation_t *v = gw_req_validation(r);
    oi_loc_t loc = oi_loc_root("query");
    if (gw_query_param(v, query, "state", state, sizeof state) && !one_of(state, states)) {
        oi_loc_t l = oi_loc_key(&loc, "state");
        json_t *in = json_string(state);
        oi_validation_add(v, &l, "enum", "Input should be 'queued', 'running', 'succeeded', 'failed' or 'cancelled'",
                          in, NULL);
        json_decref(in);
    }
    if (gw_query_param(v, query, "kind", kind, sizeof kind) && !one_of(kind, kinds)) {
        oi_loc_t l = oi_loc_key(&loc, "kind");
        json_t *in = json_string(kind);
        oi_validation_add(v, &l, "enum", "Input should be 'register', 'purchase', 'update_routing' or 'delete'", in,
                          NULL);
        json_decref(in);
    }
    if (oi_validation_count(v)) {
        gw_respond_validation(r);
        return;
    }
    Oneinbox__V1__ListJobsRequest req = ONEINBOX__V1__LIST_JOBS_REQUEST__INIT;
    int st = 0, kd = 0; /* unspecified: any */
    oi_enum_parse(&oneinbox__v1__job_state__descriptor, state, &st);
    oi_enum_parse(&oneinbox__v1__job_kind__descriptor, kind, &kd);
    req.state = (Oneinbox__V1__JobState)st;
    req.kind = (Oneinbox__V1__JobKind)kd;
    req.limit = limit;
    req.cursor = cursor;
    gw_rpc(r, GW_PEER_PROVISIONING, "ListJobs", &req.base, 0,
           on_jobs);
}
