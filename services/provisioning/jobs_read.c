/* jobs_read.c: the Job proto from the jobs table (and its number). */
#include "jobs_read.h"

#include <stdlib.h>
#include <string.h>

#include "job_policy.h"
#include "numbers_db.h"
#include "oi/clock.h"
#include "oi/mem.h"
#include "oi/pg.h"

#define JOB_COLS                                                                                       \
    "j.id, j.workspace_id, j.kind, j.state, j.step, j.attempts, j.error_message, "       \
    "j.error_status, j.events::text AS events, j.created_at, j.updated_at, "                          \
    "n.id AS n_id, n.workspace_id AS n_workspace_id, n.phone_number AS n_phone_number, "              \
    "n.friendly_name AS n_friendly_name, n.provider AS n_provider, n.agent_id AS n_agent_id, "        \
    "n.status AS n_status, n.origin AS n_origin, n.inbound_trunk_id AS n_inbound_trunk_id, "          \
    "n.outbound_trunk_id AS n_outbound_trunk_id, n.dispatch_rule_id AS n_dispatch_rule_id, "          \
    "n.inbound_routing::text AS n_inbound_routing, n.sms_capable AS n_sms_capable, "                  \
    "n.carrier_number_id AS n_carrier_number_id, n.created_at AS n_created_at, "                      \
    "n.updated_at AS n_updated_at, n.version AS n_version"
/* a succeeded job's number, while it is still there */
#define NUMBER_JOIN                                                                                    \
    "LEFT JOIN provisioning.phone_numbers n ON n.id = j.number_id AND j.state = 'succeeded' AND "      \
    "n.deleted_at IS NULL"

static const oi_pg_stmt_t GET = {
    "prov_jobs_get",
    "SELECT " JOB_COLS " FROM provisioning.jobs j " NUMBER_JOIN " WHERE j.id = $1::uuid AND "
    "($2::uuid IS NULL OR j.workspace_id = $2::uuid)",
    2};

void prov_jobs_get(prov_t *p, const char *ws, const char *id, oi_pg_done_cb cb, void *ud)
{
    const char *params[] = {id, ws && ws[0] ? ws : NULL};
    oi_pg_pipeline_exec(p->pg, &GET, params, cb, ud);
}

static const oi_pg_stmt_t LIST = {
    "prov_jobs_list",
    "SELECT " JOB_COLS " FROM provisioning.jobs j " NUMBER_JOIN " WHERE ($1::uuid IS NULL OR j.workspace_id = "
    "$1::uuid) AND ($2::text IS NULL OR j.state = $2) AND ($3::text IS NULL OR j.kind = $3) AND ($4::uuid IS NULL "
    "OR (j.created_at, j.id) < (SELECT created_at, id FROM provisioning.jobs WHERE id = $4::uuid)) "
    "ORDER BY j.created_at DESC, j.id DESC LIMIT $5::int",
    5};

void prov_jobs_list(prov_t *p, const char *ws, const char *state, const char *kind, const char *cursor, int limit,
                    oi_pg_done_cb cb, void *ud)
{
    char lim[16];
    snprintf(lim, sizeof lim, "%d", limit + 1);
    const char *params[] = {ws && ws[0] ? ws : NULL, state, kind, cursor, lim};
    oi_pg_pipeline_exec_planned(p->pg, &LIST, params, cb, ud);
}

static void add_events(Oneinbox__V1__Job *j, const char *text)
{
    json_t *arr = text ? json_loads(text, 0, NULL) : NULL;
    size_t n = json_is_array(arr) ? json_array_size(arr) : 0;
    if (n) {
        j->events = oi_xcalloc(n, sizeof *j->events);
        for (size_t i = 0; i < n; i++) {
            json_t *e = json_array_get(arr, i);
            Oneinbox__V1__JobEvent *ev = oi_xmalloc(sizeof *ev);
            oneinbox__v1__job_event__init(ev);
            const char *at = json_string_value(json_object_get(e, "at"));
            const char *step = json_string_value(json_object_get(e, "step"));
            const char *state = json_string_value(json_object_get(e, "state"));
            const char *error = json_string_value(json_object_get(e, "error"));
            ev->at = oi_xstrdup(at ? at : "");
            ev->step = oi_xstrdup(step ? step : "");
            prov_job_state_t st;
            ev->state = prov_job_state_parse(state, &st) ? prov_job_state_proto(st) : ONEINBOX__V1__JOB_STATE__JOB_STATE_UNSPECIFIED;
            ev->error = oi_xstrdup(error ? error : "");
            j->events[j->n_events++] = ev;
        }
    }
    json_decref(arr);
}

static char *dup_or_empty(const PGresult *res, int row, const char *col)
{
    const char *v = oi_pg_get(res, row, col);
    return oi_xstrdup(v ? v : "");
}

static char *time_text(const PGresult *res, int row, const char *col)
{
    char out[32] = "";
    const char *v = oi_pg_get(res, row, col);
    if (!v || !oi_clock_pg_to_rfc3339(v, out, sizeof out))
        out[0] = '\0';
    return oi_xstrdup(out);
}

Oneinbox__V1__Job *prov_jobs_to_proto(const PGresult *res, int row)
{
    Oneinbox__V1__Job *j = oi_xmalloc(sizeof *j);
    oneinbox__v1__job__init(j);
    j->id = dup_or_empty(res, row, "id");
    j->workspace_id = dup_or_empty(res, row, "workspace_id");
    prov_job_kind_t kind;
    prov_job_state_t state;
    j->kind = prov_job_kind_parse(oi_pg_get(res, row, "kind"), &kind) ? prov_job_kind_proto(kind)
                                                                      : ONEINBOX__V1__JOB_KIND__JOB_KIND_UNSPECIFIED;
    j->state = prov_job_state_parse(oi_pg_get(res, row, "state"), &state) ? prov_job_state_proto(state)
                                                                          : ONEINBOX__V1__JOB_STATE__JOB_STATE_UNSPECIFIED;
    j->step = dup_or_empty(res, row, "step");
    const char *att = oi_pg_get(res, row, "attempts");
    j->attempts = att ? (int32_t)strtol(att, NULL, 10) : 0;
    j->error_message = dup_or_empty(res, row, "error_message");
    const char *es = oi_pg_get(res, row, "error_status");
    int status = es ? (int)strtol(es, NULL, 10) : 0;
    j->error_status = (Oneinbox__V1__Status)(oi_status_valid(status) ? status : OI_INTERNAL);
    j->created_at = time_text(res, row, "created_at");
    j->updated_at = time_text(res, row, "updated_at");
    add_events(j, oi_pg_get(res, row, "events"));
    j->result = prov_number_to_proto(res, row, "n_"); /* NULL: not succeeded, or deleted since */
    return j;
}

bool prov_jobs_row_terminal(const PGresult *res, int row)
{
    prov_job_state_t st;
    return prov_job_state_parse(oi_pg_get(res, row, "state"), &st) && prov_job_state_terminal(st);
}
