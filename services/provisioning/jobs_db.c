/* jobs_db.c: the jobs table. */
#define OI_LOG_TAG "prov.jobs"
#include "jobs_db.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idem.h"
#include "numbers_db.h"
#include "oi/clock.h"
#include "oi/log.h"
#include "oi/mem.h"
#include "oi/pg.h"

void prov_job_free(prov_job_t **self_p)
{
    prov_job_t *j = self_p ? *self_p : NULL;
    if (!j)
        return;
    free(j->step);
    free(j->request_sealed);
    free(j->number_id);
    json_decref(j->payload);
    OI_FREE(*self_p);
}

static char *seal_request(prov_t *p, const ProtobufCMessage *req)
{
    size_t n = protobuf_c_message_get_packed_size(req);
    unsigned char *bin = oi_xmalloc(n + 1);
    protobuf_c_message_pack(req, bin);
    size_t b64len = sodium_base64_encoded_len(n, sodium_base64_VARIANT_ORIGINAL);
    char *b64 = oi_xmalloc(b64len);
    sodium_bin2base64(b64, b64len, bin, n, sodium_base64_VARIANT_ORIGINAL);
    char *sealed = oi_crypto_seal(p->crypto, b64);
    sodium_memzero(bin, n);
    sodium_memzero(b64, b64len);
    free(bin);
    free(b64);
    return sealed;
}

static oi_status_t find_existing(PGconn *c, const char *ws, const char *key, const char *hash,
                                 char out_id[OI_UUID_STR_LEN + 1], oi_error_t *err)
{
    const char *params[] = {ws, key};
    PGresult *res = NULL;
    oi_status_t rc = oi_pg_exec(c,
                                "SELECT id, request_hash FROM provisioning.jobs WHERE workspace_id = $1 AND "
                                "idempotency_key = $2",
                                2, params, &res, err);
    if (rc)
        return rc;
    if (PQntuples(res) != 1) {
        PQclear(res);
        return oi_error_set(err, OI_CONFLICT, "idempotency key race; retry");
    }
    bool same = prov_idem_same(oi_pg_get(res, 0, "request_hash"), hash);
    snprintf(out_id, OI_UUID_STR_LEN + 1, "%s", oi_pg_get(res, 0, "id"));
    PQclear(res);
    return same ? OI_OK : oi_error_set(err, OI_IDEMPOTENCY_KEY_REUSED, NULL);
}

oi_status_t prov_job_submit(prov_t *p, PGconn *c, const char *workspace_id, prov_job_kind_t kind,
                            const ProtobufCMessage *req, const char *idempotency_key, const char *number_id,
                            json_t *payload, char out_id[OI_UUID_STR_LEN + 1], bool *existing, oi_error_t *err)
{
    *existing = false;
    const char *kind_name = prov_job_kind_name(kind);
    size_t plen = 0;
    unsigned char *packed = prov_idem_pack_without_key(req, &plen);
    char hash[PROV_HASH_HEX_LEN + 1];
    prov_idem_hash(p->secret_key, kind_name, packed, plen, hash);
    free(packed);
    char *sealed = seal_request(p, req);
    char *payload_text = json_dumps(payload, JSON_COMPACT);
    char id[OI_UUID_STR_LEN + 1];
    oi_uuid_new(id);
    char max_attempts[16];
    snprintf(max_attempts, sizeof max_attempts, "%d", p->max_attempts);
    const char *key = idempotency_key && idempotency_key[0] ? idempotency_key : NULL;
    const char *params[] = {id, workspace_id, kind_name, max_attempts, sealed, hash, payload_text, key, number_id};
    PGresult *res = NULL;
    oi_status_t rc = oi_pg_exec(c,
                                "INSERT INTO provisioning.jobs (id, workspace_id, kind, state, max_attempts, "
                                "request_sealed, request_hash, payload, idempotency_key, number_id, events) VALUES "
                                "($1, $2, $3, 'queued', $4::int, $5, $6, $7::jsonb, $8, $9::uuid, "
                                "jsonb_build_array(jsonb_build_object('at', to_char(clock_timestamp(), "
                                "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), 'step', '', 'state', 'queued', 'error', ''))) "
                                "ON CONFLICT (workspace_id, idempotency_key) WHERE idempotency_key IS NOT NULL "
                                "DO NOTHING RETURNING id",
                                9, params, &res, err);
    free(sealed);
    free(payload_text);
    if (rc)
        return rc;
    bool inserted = PQntuples(res) == 1;
    PQclear(res);
    if (inserted) {
        snprintf(out_id, OI_UUID_STR_LEN + 1, "%s", id);
        oi_log_info(&(oi_log_ctx_t){.request_id = id, .action = "submitting a job"}, "%s job queued", kind_name);
        return OI_OK;
    }
    *existing = true;
    return find_existing(c, workspace_id, key, hash, out_id, err);
}

static prov_job_t *job_from_row(const PGresult *res, int row)
{
    prov_job_t *j = oi_xcalloc(1, sizeof *j);
    snprintf(j->id, sizeof j->id, "%s", oi_pg_get(res, row, "id"));
    snprintf(j->workspace_id, sizeof j->workspace_id, "%s", oi_pg_get(res, row, "workspace_id"));
    prov_job_kind_parse(oi_pg_get(res, row, "kind"), &j->kind);
    prov_job_state_parse(oi_pg_get(res, row, "state"), &j->state);
    j->step = oi_pg_dup(res, row, "step");
    j->attempts = (int)strtol(oi_pg_get(res, row, "attempts"), NULL, 10);
    j->max_attempts = (int)strtol(oi_pg_get(res, row, "max_attempts"), NULL, 10);
    j->request_sealed = oi_pg_dup(res, row, "request_sealed");
    const char *pl = oi_pg_get(res, row, "payload");
    j->payload = pl ? json_loads(pl, 0, NULL) : NULL;
    if (!json_is_object(j->payload)) {
        json_decref(j->payload);
        j->payload = json_object();
    }
    j->number_id = oi_pg_dup(res, row, "number_id");
    const char *ch = oi_pg_get(res, row, "charged");
    j->charged = ch && ch[0] == 't';
    const char *cm = oi_pg_get(res, row, "created_ms");
    j->created_ms = cm ? strtoll(cm, NULL, 10) : 0;
    return j;
}

oi_status_t prov_job_claim(prov_t *p, PGconn *c, const char *hint_id, prov_job_t **out, oi_error_t *err)
{
    *out = NULL;
    oi_status_t rc = oi_pg_begin(c, err);
    if (rc)
        return rc;
    const char *params[] = {hint_id};
    PGresult *res = NULL;
    rc = oi_pg_exec(c,
                    "SELECT " PROV_JOB_COLS " FROM provisioning.jobs WHERE ((state = 'queued' AND run_after <= "
                    "clock_timestamp()) OR (state = 'running' AND lease_until < clock_timestamp())) AND "
                    "($1::uuid IS NULL OR id = $1::uuid) ORDER BY run_after LIMIT 1 FOR UPDATE SKIP LOCKED",
                    1, params, &res, err);
    if (rc)
        goto out;
    if (PQntuples(res) == 0)
        goto out;
    prov_job_t *j = job_from_row(res, 0);
    rc = prov_job_set_state(p, c, j, PROV_JOB_RUNNING, NULL, 0, err);
    if (rc) {
        prov_job_free(&j);
        goto out;
    }
    j->attempts++;
    *out = j;
out:
    PQclear(res);
    if (!rc)
        rc = oi_pg_commit(c, err);
    else
        oi_pg_rollback(c);
    if (rc)
        prov_job_free(out);
    return rc;
}

oi_status_t prov_job_set_state(prov_t *p, PGconn *c, prov_job_t *job, prov_job_state_t to,
                               const oi_error_t *err_in, int64_t delay_ms, oi_error_t *err)
{
    prov_job_state_t from = job->state;
    if (!prov_job_transition_valid(from, to))
        return oi_error_set(err, OI_JOB_NOT_RETRYABLE, "job cannot go from %s to %s", prov_job_state_name(from),
                            prov_job_state_name(to));
    char lease[24], delay[24], status[16];
    snprintf(lease, sizeof lease, "%d", p->lease_ms);
    snprintf(delay, sizeof delay, "%lld", (long long)(delay_ms > 0 ? delay_ms : 0));
    bool has_err = err_in && err_in->status != OI_OK;
    snprintf(status, sizeof status, "%d", has_err ? (int)err_in->status : 0);
    bool refund = has_err && err_in->status == OI_ACCEPTED; /* a pending carrier order: not a failure */
    const char *params[] = {job->id,
                            prov_job_state_name(to),
                            prov_job_state_name(from),
                            p->owner,
                            lease,
                            delay,
                            has_err ? err_in->code : NULL,
                            has_err ? err_in->message : NULL,
                            has_err ? status : NULL,
                            refund ? "t" : "f"};
    PGresult *res = NULL;
    oi_status_t rc = oi_pg_exec(
        c,
        "UPDATE provisioning.jobs SET state = $2::text, "
        "attempts = CASE WHEN $3 = 'failed' AND $2 = 'queued' THEN 0 WHEN $10::boolean THEN "
        "greatest(attempts - 1, 0) ELSE attempts END + CASE WHEN $2 = 'running' THEN 1 ELSE 0 END, "
        "step = CASE WHEN $3 = 'failed' AND $2 = 'queued' THEN '' ELSE step END, "
        "lease_owner = CASE WHEN $2 = 'running' THEN $4 END, "
        "lease_until = CASE WHEN $2 = 'running' THEN clock_timestamp() + ($5::text || ' milliseconds')::interval END, "
        "run_after = clock_timestamp() + ($6::text || ' milliseconds')::interval, "
        "error_code = $7, error_message = $8, error_status = $9::int, updated_at = clock_timestamp(), "
        "events = CASE WHEN jsonb_array_length(events) >= 100 THEN events ELSE events || "
        "jsonb_build_array(jsonb_build_object('at', to_char(clock_timestamp(), 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
        "'step', step, 'state', $2::text, 'error', COALESCE($7::text || ': ' || $8::text, ''))) END "
        "WHERE id = $1::uuid AND state = $3::text AND ($3 <> 'running' OR $2 = 'running' OR lease_owner = $4) RETURNING id",
        10, params, &res, err);
    if (rc)
        return rc;
    bool moved = PQntuples(res) == 1;
    PQclear(res);
    if (!moved)
        return oi_error_set(err, OI_CONFLICT, "job %s is no longer %s here", job->id, prov_job_state_name(from));
    oi_log_info(&(oi_log_ctx_t){.request_id = job->id, .action = "changing job state"}, "%s job %s -> %s%s%s",
                prov_job_kind_name(job->kind), prov_job_state_name(from), prov_job_state_name(to),
                has_err ? " error=" : "", has_err ? err_in->code : "");
    job->state = to;
    return OI_OK;
}

oi_status_t prov_job_record_step(prov_t *p, PGconn *c, prov_job_t *job, const char *step, oi_error_t *err)
{
    char *payload = json_dumps(job->payload, JSON_COMPACT);
    char lease[24];
    snprintf(lease, sizeof lease, "%d", p->lease_ms);
    const char *params[] = {job->id, step, payload, job->charged ? "t" : "f", job->number_id, p->owner, lease};
    PGresult *res = NULL;
    oi_status_t rc = oi_pg_exec(
        c,
        "UPDATE provisioning.jobs SET step = $2::text, payload = $3::jsonb, charged = $4::boolean, "
        "number_id = COALESCE($5::uuid, number_id), updated_at = clock_timestamp(), "
        "lease_until = clock_timestamp() + ($7::text || ' milliseconds')::interval, "
        "events = CASE WHEN jsonb_array_length(events) >= 100 THEN events ELSE events || "
        "jsonb_build_array(jsonb_build_object('at', to_char(clock_timestamp(), 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
        "'step', $2::text, 'state', 'running', 'error', '')) END "
        "WHERE id = $1 AND state = 'running' AND lease_owner = $6 RETURNING id",
        7, params, &res, err);
    free(payload);
    if (rc)
        return rc;
    bool ok = PQntuples(res) == 1;
    PQclear(res);
    if (!ok)
        return oi_error_set(err, OI_CONFLICT, "lease on job %s lost", job->id);
    free(job->step);
    job->step = oi_xstrdup(step);
    return OI_OK;
}

oi_status_t prov_job_heartbeat(prov_t *p, PGconn *c, const char *ids, oi_error_t *err)
{
    char lease[24];
    snprintf(lease, sizeof lease, "%d", p->lease_ms);
    const char *params[] = {p->owner, lease, ids};
    return oi_pg_exec(c,
                      "UPDATE provisioning.jobs SET lease_until = clock_timestamp() + ($2::text || ' milliseconds')::"
                      "interval WHERE state = 'running' AND lease_owner = $1 AND id = ANY($3::uuid[])",
                      3, params, NULL, err);
}

oi_status_t prov_job_load_state(PGconn *c, const char *id, prov_job_state_t *out, oi_error_t *err)
{
    const char *params[] = {id};
    PGresult *res = NULL;
    oi_status_t rc = oi_pg_exec(c, "SELECT state FROM provisioning.jobs WHERE id = $1::uuid", 1, params, &res, err);
    if (rc)
        return rc;
    if (PQntuples(res) != 1 || !prov_job_state_parse(oi_pg_get(res, 0, "state"), out))
        rc = oi_error_set(err, OI_JOB_NOT_FOUND, "job %s not found", id);
    PQclear(res);
    return rc;
}

static oi_status_t select_job(PGconn *c, const char *ws, const char *id, PGresult **res, oi_error_t *err)
{
    const char *params[] = {id, ws && ws[0] ? ws : NULL};
    oi_status_t rc = oi_pg_exec(c,
                                "SELECT " PROV_JOB_COLS " FROM provisioning.jobs WHERE id = $1::uuid AND "
                                "($2::uuid IS NULL OR workspace_id = $2::uuid)",
                                2, params, res, err);
    if (rc)
        return rc;
    if (PQntuples(*res) != 1) {
        PQclear(*res);
        *res = NULL;
        return oi_error_set(err, OI_JOB_NOT_FOUND, "job %s not found", id);
    }
    return OI_OK;
}

oi_status_t prov_job_load(PGconn *c, const char *workspace_id, const char *id, prov_job_t **out, oi_error_t *err)
{
    PGresult *res = NULL;
    oi_status_t rc = select_job(c, workspace_id, id, &res, err);
    if (rc)
        return rc;
    *out = job_from_row(res, 0);
    PQclear(res);
    return OI_OK;
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
            ev->state = oi_xstrdup(state ? state : "");
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

/* A succeeded job's number as its result. Never a success without it: a job that says
 * "succeeded" with no result would be answered 201 with an empty body. */
static oi_status_t attach_result(PGconn *c, Oneinbox__V1__Job *j, const char *number_id, oi_error_t *err)
{
    if (!c || !number_id || strcmp(j->state, "succeeded") != 0)
        return OI_OK;
    PGresult *nr = NULL;
    oi_status_t rc = prov_number_load(c, NULL, number_id, false, &nr, err);
    if (rc)
        return rc;
    j->result = prov_number_to_proto(nr, 0);
    PQclear(nr);
    return OI_OK;
}

Oneinbox__V1__Job *prov_job_row_to_proto(PGconn *c, const PGresult *res, int row, oi_status_t *rc, oi_error_t *err)
{
    Oneinbox__V1__Job *j = oi_xmalloc(sizeof *j);
    oneinbox__v1__job__init(j);
    j->id = dup_or_empty(res, row, "id");
    j->workspace_id = dup_or_empty(res, row, "workspace_id");
    j->kind = dup_or_empty(res, row, "kind");
    j->state = dup_or_empty(res, row, "state");
    j->step = dup_or_empty(res, row, "step");
    j->attempts = (int32_t)strtol(oi_pg_get(res, row, "attempts"), NULL, 10);
    j->error_code = dup_or_empty(res, row, "error_code");
    j->error_message = dup_or_empty(res, row, "error_message");
    const char *es = oi_pg_get(res, row, "error_status");
    j->error_status = es ? (int32_t)strtol(es, NULL, 10) : 0;
    j->created_at = time_text(res, row, "created_at");
    j->updated_at = time_text(res, row, "updated_at");
    add_events(j, oi_pg_get(res, row, "events"));
    *rc = attach_result(c, j, oi_pg_get(res, row, "number_id"), err);
    if (*rc && *rc != OI_NUMBER_NOT_FOUND) {
        protobuf_c_message_free_unpacked(&j->base, NULL);
        return NULL;
    }
    *rc = OI_OK; /* a number deleted since: the job stays succeeded, without a result */
    return j;
}

oi_status_t prov_job_load_proto(PGconn *c, const char *workspace_id, const char *id, Oneinbox__V1__Job **out,
                                oi_error_t *err)
{
    PGresult *res = NULL;
    oi_status_t rc = select_job(c, workspace_id, id, &res, err);
    if (rc)
        return rc;
    *out = prov_job_row_to_proto(c, res, 0, &rc, err);
    PQclear(res);
    return rc;
}
