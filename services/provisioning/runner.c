/* runner.c: runner threads, the step loop, retry/compensation decisions, heartbeat. */
#define OI_LOG_TAG "prov.runner"
#include "runner.h"

#include <errno.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "oi/clock.h"
#include "oi/log.h"
#include "oi/mem.h"
#include "oi/metrics.h"
#include "remote.h"

#define HINTS_MAX 256

struct prov_runner {
    prov_t *p;
    pthread_t *threads;
    int n_started;
    pthread_t heartbeat;
    bool hb_started;
    pthread_mutex_t mu;
    pthread_cond_t work_cv;
    pthread_cond_t done_cv;
    pthread_cond_t hb_cv;
    char hints[HINTS_MAX][OI_UUID_STR_LEN + 1];
    int n_hints;
    char (*running)[OI_UUID_STR_LEN + 1]; /* one slot per worker: the job it runs, "" when idle */
    bool stop;
    atomic_int alive;
};

prov_runner_t *prov_runner_new(prov_t *p)
{
    prov_runner_t *r = oi_xcalloc(1, sizeof *r);
    r->p = p;
    pthread_mutex_init(&r->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&r->work_cv, &ca);
    pthread_cond_init(&r->done_cv, &ca);
    pthread_cond_init(&r->hb_cv, &ca);
    pthread_condattr_destroy(&ca);
    return r;
}

static void deadline_in(struct timespec *ts, int ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

void prov_runner_kick(prov_runner_t *r, const char *id)
{
    pthread_mutex_lock(&r->mu);
    if (r->n_hints < HINTS_MAX)
        snprintf(r->hints[r->n_hints++], OI_UUID_STR_LEN + 1, "%s", id);
    pthread_cond_signal(&r->work_cv);
    pthread_mutex_unlock(&r->mu);
}

void prov_runner_wait_any(prov_runner_t *r, int timeout_ms)
{
    struct timespec ts;
    deadline_in(&ts, timeout_ms);
    pthread_mutex_lock(&r->mu);
    pthread_cond_timedwait(&r->done_cv, &r->mu, &ts);
    pthread_mutex_unlock(&r->mu);
}

static void notify_done(prov_runner_t *r)
{
    pthread_mutex_lock(&r->mu);
    pthread_cond_broadcast(&r->done_cv);
    pthread_mutex_unlock(&r->mu);
}

/* --- one job --------------------------------------------------------------------------------- */

static size_t resume_index(const prov_job_ops_t *ops, const char *step)
{
    for (size_t i = 0; step && step[0] && i < ops->n_steps; i++)
        if (strcmp(ops->steps[i].name, step) == 0)
            return i + 1;
    return 0;
}

static void count(const prov_job_t *job, const char *outcome)
{
    char labels[96];
    snprintf(labels, sizeof labels, "kind=\"%s\",outcome=\"%s\"", prov_job_kind_name(job->kind), outcome);
    oi_metric_inc("oi_provisioning_jobs_total", labels, 1);
}

/* Permanent failure (or retries exhausted): compensate, then failed. A compensation that fails
 * transiently is retried later (payload.compensating keeps the original error). */
static void give_up(prov_jctx_t *j, const prov_job_ops_t *ops, const oi_error_t *cause)
{
    oi_error_t e;
    oi_error_init(&e);
    json_object_set_new(j->job->payload, "compensating",
                        json_pack("{s:s,s:s,s:i}", "code", cause->code, "message", cause->message, "status",
                                  (int)cause->status));
    if (prov_jctx_save(j, "compensating", &e))
        return; /* lease lost or database down: whoever resumes compensates */
    oi_status_t rc = j->req ? ops->compensate(j, &e) : OI_OK;
    if (rc && prov_status_transient(rc) && j->job->attempts < j->job->max_attempts + 3) {
        int64_t d = prov_job_backoff_ms(j->job->attempts, j->p->backoff_base_ms, j->p->backoff_cap_ms, 250,
                                        (uint32_t)rand());
        prov_job_set_state(j->p, j->conn, j->job, PROV_JOB_QUEUED, cause, d, NULL);
        return;
    }
    if (rc)
        oi_log_error(&(oi_log_ctx_t){.request_id = j->job->id, .action = "compensating"}, "compensation failed: %s",
                     e.message);
    json_object_del(j->job->payload, "compensating");
    oi_error_t none;
    oi_error_init(&none);
    if (prov_jctx_save(j, "compensated", &none))
        return;
    if (!prov_job_set_state(j->p, j->conn, j->job, PROV_JOB_FAILED, cause, 0, NULL))
        count(j->job, "failed");
}

static void on_step_failed(prov_jctx_t *j, const prov_job_ops_t *ops, oi_status_t rc, const oi_error_t *e)
{
    prov_t *p = j->p;
    if (rc == OI_CONFLICT && strstr(e->message, "lease"))
        return; /* someone else owns the job now */
    if (rc == OI_ACCEPTED) {
        int64_t age_s = (oi_clock_now_ms() - j->job->created_ms) / 1000;
        if (age_s < p->pending_max_s) {
            prov_job_set_state(p, j->conn, j->job, PROV_JOB_QUEUED, e, 1000, NULL);
            return;
        }
        oi_error_t late;
        oi_error_init(&late);
        oi_error_set(&late, OI_CARRIER_ERROR, "carrier order still pending after %ds", p->pending_max_s);
        give_up(j, ops, &late);
        return;
    }
    if (prov_job_on_failure(rc, j->job->attempts, j->job->max_attempts) == PROV_FAIL_RETRY) {
        int64_t d = prov_job_backoff_ms(j->job->attempts, p->backoff_base_ms, p->backoff_cap_ms, 250, (uint32_t)rand());
        if (!prov_job_set_state(p, j->conn, j->job, PROV_JOB_QUEUED, e, d, NULL))
            count(j->job, "retried");
        return;
    }
    give_up(j, ops, e);
}

static void resume_compensation(prov_jctx_t *j, const prov_job_ops_t *ops, json_t *c)
{
    oi_error_t cause;
    oi_error_init(&cause);
    const char *code = json_string_value(json_object_get(c, "code"));
    oi_error_set_code(&cause, (oi_status_t)json_integer_value(json_object_get(c, "status")), code ? code : "INTERNAL",
                      json_string_value(json_object_get(c, "message")));
    give_up(j, ops, &cause);
}

void prov_runner_run_job(prov_t *p, PGconn *c, prov_job_t *job)
{
    const prov_job_ops_t *ops = prov_job_ops(job->kind);
    prov_jctx_t j = {.p = p, .job = job, .conn = c};
    oi_error_t e;
    oi_error_init(&e);
    oi_status_t rc = ops ? prov_jctx_open_request(&j, ops->request, &e) : oi_error_set(&e, OI_INTERNAL, "bad kind");
    if (rc) {
        if (ops)
            give_up(&j, ops, &e);
        goto out;
    }
    json_t *comp = json_object_get(job->payload, "compensating");
    if (comp) {
        resume_compensation(&j, ops, comp);
        goto out;
    }
    for (size_t i = resume_index(ops, job->step); i < ops->n_steps; i++) {
        oi_log_debug(&(oi_log_ctx_t){.request_id = job->id, .action = ops->steps[i].name}, "step starts");
        rc = ops->steps[i].fn(&j, &e);
        if (!rc)
            rc = prov_jctx_save(&j, ops->steps[i].name, &e);
        if (rc) {
            on_step_failed(&j, ops, rc, &e);
            goto out;
        }
    }
    if (!prov_job_set_state(p, c, job, PROV_JOB_SUCCEEDED, NULL, 0, NULL))
        count(job, "succeeded");
out:
    if (j.req)
        protobuf_c_message_free_unpacked(j.req, NULL);
}

oi_status_t prov_runner_compensate(prov_t *p, PGconn *c, prov_job_t *job, oi_error_t *err)
{
    const prov_job_ops_t *ops = prov_job_ops(job->kind);
    if (!ops)
        return oi_error_set(err, OI_INTERNAL, "bad job kind");
    prov_jctx_t j = {.p = p, .job = job, .conn = c};
    oi_status_t rc = prov_jctx_open_request(&j, ops->request, err);
    if (!rc)
        rc = ops->compensate(&j, err);
    if (j.req)
        protobuf_c_message_free_unpacked(j.req, NULL);
    return rc;
}

/* --- threads ------------------------------------------------------------------------------- */

static bool next_hint(prov_runner_t *r, char out[OI_UUID_STR_LEN + 1])
{
    struct timespec ts;
    deadline_in(&ts, r->p->poll_ms);
    pthread_mutex_lock(&r->mu);
    while (!r->stop && r->n_hints == 0) {
        if (pthread_cond_timedwait(&r->work_cv, &r->mu, &ts) == ETIMEDOUT)
            break;
    }
    bool hinted = r->n_hints > 0;
    if (hinted) {
        memcpy(out, r->hints[0], OI_UUID_STR_LEN + 1);
        memmove(r->hints[0], r->hints[1], (size_t)(r->n_hints - 1) * sizeof r->hints[0]);
        r->n_hints--;
    }
    pthread_mutex_unlock(&r->mu);
    return hinted;
}

static bool stopping(prov_runner_t *r)
{
    pthread_mutex_lock(&r->mu);
    bool s = r->stop;
    pthread_mutex_unlock(&r->mu);
    return s;
}

/* The heartbeat extends the leases of these jobs only: a job a worker let go of (say its
 * outcome could not be recorded while PostgreSQL was down) must expire and be claimed again,
 * not stay "running" under a lease kept alive for nobody. */
static void track(prov_runner_t *r, const char *id, bool on)
{
    pthread_mutex_lock(&r->mu);
    for (int i = 0; i < r->p->workers; i++) {
        if (on ? r->running[i][0] == '\0' : strcmp(r->running[i], id) == 0) {
            snprintf(r->running[i], sizeof r->running[i], "%s", on ? id : "");
            break;
        }
    }
    pthread_mutex_unlock(&r->mu);
}

/* "{id,id}" of the jobs being run now; false when none. */
static bool running_ids(prov_runner_t *r, char *out, size_t n)
{
    size_t len = (size_t)snprintf(out, n, "{");
    pthread_mutex_lock(&r->mu);
    for (int i = 0; i < r->p->workers && len < n; i++)
        if (r->running[i][0])
            len += (size_t)snprintf(out + len, n - len, "%s%s", len > 1 ? "," : "", r->running[i]);
    pthread_mutex_unlock(&r->mu);
    if (len + 2 > n)
        return false; /* cannot happen: n is sized for every worker */
    snprintf(out + len, n - len, "}");
    return len > 1;
}

/* Claims and runs jobs (the hinted one first) until none is runnable. */
static void drain_queue(prov_runner_t *r, const char *hint)
{
    prov_t *p = r->p;
    PGconn *c = NULL;
    oi_error_t e;
    oi_error_init(&e);
    if (prov_db_acquire_runner(p, &c, &e))
        return;
    for (int n = 0; n < 64 && !stopping(r); n++) {
        prov_job_t *job = NULL;
        oi_error_init(&e);
        if (prov_job_claim(p, c, n == 0 ? hint : NULL, &job, &e) || !job)
            break;
        track(r, job->id, true);
        prov_runner_run_job(p, c, job);
        track(r, job->id, false);
        prov_job_free(&job);
        notify_done(r);
    }
    prov_db_release_runner(p, &c);
}

static void *worker_main(void *arg)
{
    prov_runner_t *r = arg;
    char hint[OI_UUID_STR_LEN + 1];
    while (!stopping(r)) {
        bool hinted = next_hint(r, hint);
        drain_queue(r, hinted ? hint : NULL);
    }
    prov_remote_thread_done(r->p);
    atomic_fetch_sub(&r->alive, 1);
    return NULL;
}

static void *heartbeat_main(void *arg)
{
    prov_runner_t *r = arg;
    int every = r->p->lease_ms / 3 > 100 ? r->p->lease_ms / 3 : 100;
    while (true) {
        pthread_mutex_lock(&r->mu);
        bool stop = r->stop;
        struct timespec ts;
        deadline_in(&ts, stop ? 50 : every);
        pthread_cond_timedwait(&r->hb_cv, &r->mu, &ts);
        stop = r->stop;
        pthread_mutex_unlock(&r->mu);
        if (stop && atomic_load(&r->alive) <= 1)
            break; /* every worker is gone: nothing left to keep leased */
        PGconn *c = NULL;
        oi_error_t e;
        oi_error_init(&e);
        char ids[64 * (OI_UUID_STR_LEN + 1) + 4];
        if (running_ids(r, ids, sizeof ids) && !prov_db_acquire_runner(r->p, &c, &e)) {
            prov_job_heartbeat(r->p, c, ids, &e);
            prov_db_release_runner(r->p, &c);
        }
    }
    atomic_fetch_sub(&r->alive, 1);
    return NULL;
}

bool prov_runner_start(prov_runner_t *r)
{
    r->threads = oi_xcalloc((size_t)r->p->workers, sizeof *r->threads);
    r->running = oi_xcalloc((size_t)r->p->workers, sizeof *r->running);
    atomic_store(&r->alive, r->p->workers + 1);
    if (pthread_create(&r->heartbeat, NULL, heartbeat_main, r) != 0) {
        atomic_store(&r->alive, 0);
        return false;
    }
    r->hb_started = true;
    for (int i = 0; i < r->p->workers; i++) {
        if (pthread_create(&r->threads[i], NULL, worker_main, r) != 0) {
            atomic_fetch_sub(&r->alive, r->p->workers - i);
            return false;
        }
        r->n_started++;
    }
    return true;
}

void prov_runner_stop(prov_runner_t *r)
{
    pthread_mutex_lock(&r->mu);
    r->stop = true;
    pthread_cond_broadcast(&r->work_cv);
    pthread_cond_broadcast(&r->done_cv);
    pthread_cond_broadcast(&r->hb_cv);
    pthread_mutex_unlock(&r->mu);
}

int prov_runner_alive(prov_runner_t *r) { return atomic_load(&r->alive); }

void prov_runner_destroy(prov_runner_t **self_p)
{
    prov_runner_t *r = self_p ? *self_p : NULL;
    if (!r)
        return;
    prov_runner_stop(r);
    for (int i = 0; i < r->n_started; i++)
        pthread_join(r->threads[i], NULL);
    if (r->hb_started)
        pthread_join(r->heartbeat, NULL);
    free(r->threads);
    free(r->running);
    pthread_cond_destroy(&r->work_cv);
    pthread_cond_destroy(&r->done_cv);
    pthread_cond_destroy(&r->hb_cv);
    pthread_mutex_destroy(&r->mu);
    OI_FREE(*self_p);
}
