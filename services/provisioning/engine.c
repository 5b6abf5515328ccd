/* engine.c: lanes, claims, the sweep, lease renewal and batched success writes. */
#define OI_LOG_TAG "prov.engine"
#include "engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oi/clock.h"
#include "oi/log.h"
#include "oi/mem.h"
#include "oi/metrics.h"
#include "oi/pg.h"

#define CLAIM_MAX 16           /* jobs one claim statement may take */
#define SUCCESS_BATCH_MAX 256  /* successes written by one statement */
/* How long a success waits for others to share its statement. The run answered its waiters
 * already and the write only records the end (a lost one is resumed after the lease, and its
 * steps are idempotent), so the wait is on nobody's path; a busy moment's successes go in ~60 a
 * statement instead of ~20: PostgreSQL's CPU per PATCH 5-11 us lower, PATCH +2 % (interleaved
 * runs). Its price: a job read right after it ended (GET /v1/jobs/{id}, a waiter on another
 * replica woken by the statement's NOTIFY) may say running up to this much longer. */
#define SUCCESS_LINGER_MS 10
#define NOTIFY_COALESCE_MS 10  /* 'work' notifications are sent at most this often per lane */
#define HEARTBEAT_IDS_MAX 4096 /* leases renewed by one statement */

typedef struct {
    int running;
    bool maybe_work;           /* queued jobs may wait for this lane */
    bool claiming;             /* a claim statement is in flight */
    bool notify_pending;       /* a 'work' notification is to be sent */
} lane_t;

struct prov_engine {
    prov_t *p;                 /* borrowed */
    lane_t lanes[PROV_LANE__COUNT];
    prov_run_t *runs;          /* running here (list through prev/next) */
    int n_runs;
    uv_timer_t sweep;          /* sweep interval, or the next due time seen */
    uv_timer_t due;            /* the earliest requeue of ours */
    int64_t due_at_ms;         /* monotonic; 0 = none */
    uv_timer_t heartbeat;
    uv_timer_t flush;          /* success batch and coalesced notifications */
    char (*success)[OI_UUID_STR_LEN + 1]; /* ids awaiting their success write */
    int n_success;
    int ops_in_flight;         /* statements of the engine itself */
    int timers_open;
    bool sweeping, stopped, closing;
};

static void claim(prov_engine_t *e, prov_lane_t lane);

/* --- runs -------------------------------------------------------------------------------------- */

bool prov_engine_has_room(const prov_engine_t *e, prov_lane_t lane)
{
    return !e->stopped && e->lanes[lane].running < e->p->lane_cap[lane];
}

int prov_engine_running(const prov_engine_t *e) { return e ? e->n_runs : 0; }

int prov_engine_running_in(const prov_engine_t *e, prov_lane_t lane) { return e ? e->lanes[lane].running : 0; }

static void heartbeat_arm(prov_engine_t *e);

static void engine_track(prov_engine_t *e, prov_run_t *r)
{
    r->prev = NULL;
    r->next = e->runs;
    if (e->runs)
        e->runs->prev = r;
    e->runs = r;
    e->n_runs++;
    e->lanes[r->job->lane].running++;
    heartbeat_arm(e);
}

void prov_engine_adopt_cancel(prov_engine_t *e, prov_run_t *r)
{
    engine_track(e, r);
    prov_run_start_cancel(r);
}

void prov_engine_adopt(prov_engine_t *e, prov_run_t *r)
{
    engine_track(e, r);
    prov_run_start(r);
}


void prov_engine_run_ended(prov_engine_t *e, prov_run_t *r)
{
    if (r->prev)
        r->prev->next = r->next;
    else if (e->runs == r)
        e->runs = r->next;
    if (r->next)
        r->next->prev = r->prev;
    r->prev = r->next = NULL;
    e->n_runs--;
    lane_t *l = &e->lanes[r->job->lane];
    l->running--;
    if (l->maybe_work && !e->closing)
        claim(e, r->job->lane);
}

/* --- claims ------------------------------------------------------------------------------------ */

typedef struct {
    prov_engine_t *e;
    prov_lane_t lane;
    int limit;
} claim_t;

static void engine_maybe_free(prov_engine_t *e);

static void on_claimed(oi_status_t st, const oi_error_t *err, PGresult *const *res, size_t n, void *ud)
{
    claim_t *c = ud;
    prov_engine_t *e = c->e;
    lane_t *l = &e->lanes[c->lane];
    l->claiming = false;
    e->ops_in_flight--;
    int got = 0;
    if (st) {
        oi_log_warn(&(oi_log_ctx_t){.action = "claiming jobs"}, "%s: %s", prov_lane_name(c->lane), err->message);
    } else if (n == 1) {
        got = PQntuples(res[0]);
        for (int i = 0; i < got; i++) {
            prov_job_t *job = prov_job_from_row(res[0], i);
            if (!job)
                continue;
            job->lane = c->lane;
            if (e->closing) { /* claimed while closing: its lease expires and someone resumes it */
                prov_job_free(&job);
                continue;
            }
            oi_log_info(&(oi_log_ctx_t){.request_id = job->id, .action = "claiming jobs"},
                        "%s job claimed (attempt %d)", prov_job_kind_name(job->kind), job->attempts);
            prov_engine_adopt(e, prov_run_new(e->p, &job, NULL, NULL));
        }
    }
    /* fewer than asked: nothing more is due in this lane for now */
    if (st || got < c->limit)
        l->maybe_work = false;
    prov_lane_t lane = c->lane;
    free(c);
    if (e->closing) {
        engine_maybe_free(e);
        return;
    }
    if (l->maybe_work)
        claim(e, lane);
}

static void claim(prov_engine_t *e, prov_lane_t lane)
{
    lane_t *l = &e->lanes[lane];
    int room = e->p->lane_cap[lane] - l->running;
    if (e->stopped || e->closing || l->claiming || room <= 0 || !l->maybe_work)
        return;
    claim_t *c = oi_xcalloc(1, sizeof *c);
    c->e = e;
    c->lane = lane;
    c->limit = room < CLAIM_MAX ? room : CLAIM_MAX;
    l->claiming = true;
    e->ops_in_flight++;
    prov_job_claim(e->p, lane, c->limit, NULL, on_claimed, c);
}

static void claim_all(prov_engine_t *e)
{
    for (int i = 0; i < PROV_LANE__COUNT; i++) {
        e->lanes[i].maybe_work = true;
        claim(e, (prov_lane_t)i);
    }
}

/* --- due times: our own requeues, and what the sweep saw -------------------------------------- */

static void on_due(uv_timer_t *t)
{
    prov_engine_t *e = t->data;
    e->due_at_ms = 0;
    claim_all(e);
}

static void due_in(prov_engine_t *e, int64_t delay_ms)
{
    if (delay_ms < 0)
        delay_ms = 0;
    int64_t at = oi_clock_mono_ms() + delay_ms;
    if (e->due_at_ms && e->due_at_ms <= at)
        return;
    e->due_at_ms = at;
    uv_timer_start(&e->due, on_due, (uint64_t)delay_ms, 0);
}

/* --- notifications ----------------------------------------------------------------------------- */

static void on_notified(oi_status_t st, const oi_error_t *err, PGresult *const *res, size_t n, void *ud)
{
    (void)res;
    (void)n;
    prov_engine_t *e = ud;
    e->ops_in_flight--;
    if (st)
        oi_log_warn(&(oi_log_ctx_t){.action = "notifying other replicas"}, "%s", err->message);
    engine_maybe_free(e);
}

static void flush_arm(prov_engine_t *e, uint64_t ms);

static void send_notifications(prov_engine_t *e)
{
    for (int i = 0; i < PROV_LANE__COUNT; i++) {
        if (!e->lanes[i].notify_pending)
            continue;
        e->lanes[i].notify_pending = false;
        char payload[32];
        snprintf(payload, sizeof payload, "work:%s", prov_lane_name((prov_lane_t)i));
        e->ops_in_flight++;
        prov_job_notify(e->p, payload, on_notified, e);
    }
}

void prov_engine_queued(prov_engine_t *e, prov_lane_t lane, int64_t delay_ms, bool notify)
{
    if (e->closing)
        return;
    if (notify) {
        e->lanes[lane].notify_pending = true;
        flush_arm(e, NOTIFY_COALESCE_MS);
    }
    if (delay_ms > 0) {
        due_in(e, delay_ms);
        return;
    }
    e->lanes[lane].maybe_work = true;
    claim(e, lane);
}

void prov_engine_on_notify(prov_engine_t *e, const char *payload)
{
    prov_lane_t lane;
    if (strncmp(payload, "work:", 5) != 0 || !prov_lane_parse(payload + 5, &lane))
        return;
    e->lanes[lane].maybe_work = true;
    claim(e, lane);
}

void prov_engine_resync(prov_engine_t *e)
{
    if (!e->closing)
        claim_all(e);
}

/* --- successes, written in batches ------------------------------------------------------------ */

static void on_succeeded(oi_status_t st, const oi_error_t *err, PGresult *const *res, size_t n, void *ud)
{
    (void)res;
    (void)n;
    prov_engine_t *e = ud;
    e->ops_in_flight--;
    if (st) /* the runs answered already; their leases expire and the jobs are resumed (idempotent) */
        oi_log_warn(&(oi_log_ctx_t){.action = "recording job successes"}, "%s", err->message);
    engine_maybe_free(e);
}

static void write_successes(prov_engine_t *e)
{
    if (e->n_success == 0)
        return;
    size_t cap = (size_t)e->n_success * (OI_UUID_STR_LEN + 1) + 3;
    char *ids = oi_xmalloc(cap);
    size_t len = 0;
    ids[len++] = '{';
    for (int i = 0; i < e->n_success; i++) {
        if (i)
            ids[len++] = ',';
        size_t k = strlen(e->success[i]);
        memcpy(ids + len, e->success[i], k);
        len += k;
    }
    ids[len++] = '}';
    ids[len] = '\0';
    e->n_success = 0;
    e->ops_in_flight++;
    prov_job_succeed_many(e->p, ids, on_succeeded, e);
    free(ids);
}

static void on_flush(uv_timer_t *t)
{
    prov_engine_t *e = t->data;
    write_successes(e);
    send_notifications(e);
}

static void flush_arm(prov_engine_t *e, uint64_t ms)
{
    if (!uv_is_active((uv_handle_t *)&e->flush))
        uv_timer_start(&e->flush, on_flush, ms, 0);
}

void prov_engine_defer_success(prov_engine_t *e, const char *id)
{
    if (e->closing)
        return;
    snprintf(e->success[e->n_success++], OI_UUID_STR_LEN + 1, "%s", id);
    if (e->n_success == SUCCESS_BATCH_MAX)
        write_successes(e);
    else
        flush_arm(e, SUCCESS_LINGER_MS);
}

/* --- leases ------------------------------------------------------------------------------------ */

static void on_heartbeat_done(oi_status_t st, const oi_error_t *err, PGresult *const *res, size_t n, void *ud)
{
    (void)res;
    (void)n;
    prov_engine_t *e = ud;
    e->ops_in_flight--;
    if (st)
        oi_log_warn(&(oi_log_ctx_t){.action = "renewing job leases"}, "%s", err->message);
    engine_maybe_free(e);
}

static void on_heartbeat(uv_timer_t *t)
{
    prov_engine_t *e = t->data;
    if (!e->runs || e->closing)
        return;
    size_t cap = (size_t)(e->n_runs < HEARTBEAT_IDS_MAX ? e->n_runs : HEARTBEAT_IDS_MAX) * (OI_UUID_STR_LEN + 1) + 3;
    char *ids = oi_xmalloc(cap);
    size_t len = 0;
    int k = 0;
    ids[len++] = '{';
    for (prov_run_t *r = e->runs; r && k < HEARTBEAT_IDS_MAX; r = r->next, k++) {
        if (k)
            ids[len++] = ',';
        size_t m = strlen(r->job->id);
        memcpy(ids + len, r->job->id, m);
        len += m;
    }
    ids[len++] = '}';
    ids[len] = '\0';
    e->ops_in_flight++;
    prov_job_heartbeat(e->p, ids, on_heartbeat_done, e);
    free(ids);
    heartbeat_arm(e);
}

static void heartbeat_arm(prov_engine_t *e)
{
    if (e->closing || uv_is_active((uv_handle_t *)&e->heartbeat))
        return;
    int every = e->p->lease_ms / 3 > 100 ? e->p->lease_ms / 3 : 100;
    uv_timer_start(&e->heartbeat, on_heartbeat, (uint64_t)every, 0);
}

/* --- the sweep --------------------------------------------------------------------------------- */

static void sweep_arm(prov_engine_t *e, int64_t ms);

static void on_swept(oi_status_t st, const oi_error_t *err, PGresult *const *res, size_t n, void *ud)
{
    prov_engine_t *e = ud;
    e->ops_in_flight--;
    e->sweeping = false;
    if (e->closing) {
        engine_maybe_free(e);
        return;
    }
    int64_t next = e->p->sweep_ms;
    if (st) {
        oi_log_warn(&(oi_log_ctx_t){.action = "sweeping for due jobs"}, "%s", err->message);
    } else if (n == 1) {
        for (int i = 0; i < PQntuples(res[0]); i++) {
            prov_lane_t lane;
            const char *due = oi_pg_get(res[0], i, "due_in_ms");
            if (!prov_lane_parse(oi_pg_get(res[0], i, "lane"), &lane) || !due)
                continue;
            int64_t in = strtoll(due, NULL, 10);
            if (in <= 0) {
                e->lanes[lane].maybe_work = true;
                claim(e, lane);
            } else if (in < next) {
                next = in;
            }
        }
    }
    sweep_arm(e, next);
}

static void on_sweep(uv_timer_t *t)
{
    prov_engine_t *e = t->data;
    if (e->stopped || e->closing || e->sweeping)
        return;
    e->sweeping = true;
    e->ops_in_flight++;
    prov_job_sweep(e->p, on_swept, e);
}

static void sweep_arm(prov_engine_t *e, int64_t ms)
{
    if (e->stopped || e->closing)
        return;
    uv_timer_start(&e->sweep, on_sweep, (uint64_t)(ms > 0 ? ms : 0) + 1, 0);
}

/* --- lifecycle --------------------------------------------------------------------------------- */

prov_engine_t *prov_engine_new(prov_t *p)
{
    prov_engine_t *e = oi_xcalloc(1, sizeof *e);
    e->p = p;
    e->success = oi_xcalloc(SUCCESS_BATCH_MAX, sizeof *e->success);
    uv_timer_t *timers[] = {&e->sweep, &e->due, &e->heartbeat, &e->flush};
    for (size_t i = 0; i < sizeof timers / sizeof timers[0]; i++) {
        uv_timer_init(p->loop, timers[i]);
        timers[i]->data = e;
        e->timers_open++;
    }
    oi_metric_help("oi_provisioning_jobs_total", "counter", "job outcomes by kind (succeeded, failed, retried)");
    return e;
}

void prov_engine_start(prov_engine_t *e) { sweep_arm(e, 0); }

void prov_engine_stop(prov_engine_t *e)
{
    e->stopped = true;
    uv_timer_stop(&e->sweep);
    uv_timer_stop(&e->due);
}

static void engine_maybe_free(prov_engine_t *e)
{
    if (!e->closing || e->timers_open > 0 || e->ops_in_flight > 0)
        return;
    free(e->success);
    free(e);
}

static void on_timer_closed(uv_handle_t *h)
{
    prov_engine_t *e = h->data;
    e->timers_open--;
    engine_maybe_free(e);
}

void prov_engine_close(prov_engine_t **self_p)
{
    prov_engine_t *e = *self_p;
    *self_p = NULL;
    if (!e || e->closing)
        return;
    prov_engine_stop(e);
    write_successes(e); /* what finished before the close is written, not left to the leases */
    e->closing = true;
    while (e->runs) /* their leases expire; another replica resumes them */
        prov_run_abandon(e->runs);
    uv_timer_t *timers[] = {&e->sweep, &e->due, &e->heartbeat, &e->flush};
    for (size_t i = 0; i < sizeof timers / sizeof timers[0]; i++) {
        uv_timer_stop(timers[i]);
        uv_close((uv_handle_t *)timers[i], on_timer_closed);
    }
}
