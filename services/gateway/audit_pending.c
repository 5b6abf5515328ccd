/* audit_pending.c: the events of 202 answers, finished as their jobs end (audit_pending.h). */
#define OI_LOG_TAG "gw.audit"
#include "audit_pending.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "oi/json_dump.h"
#include "oi/ids.h"
#include "oi/log.h"
#include "oi/mem.h"
#include "oi/metrics.h"
#include "oi/pg_pipeline.h"
#include "oneinbox/v1/provisioning.pb-c.h"
#include "render.h"

#define WAIT_MS 20000           /* one wait in provisioning; then the job takes its turn again */
#define WAIT_SLACK_MS 5000      /* the RPC deadline beyond the wait */
#define BACKOFF_FIRST_MS 1000
#define BACKOFF_MAX_MS 30000
#define RESUME_PAGE 500
#define STATEMENT_TIMEOUT_MS 5000

/* A watch is queued, waiting (its WaitJob out), writing (its event out) or sleeping (timer). */
typedef struct watch {
    struct watch *prev, *next;  /* p->all */
    struct watch *queued_next;  /* p->queue, while queued */
    gw_audit_pending_t *p;      /* borrowed: p outlives its watches */
    json_t *draft;              /* owned */
    uv_timer_t timer;           /* the backoff; closed with the watch */
    uint32_t backoff_ms;
    char job_id[OI_UUID_STR_LEN + 1];
} watch_t;

struct gw_audit_pending {
    gw_t *gw;                   /* borrowed */
    oi_pg_pipeline_t *pg;       /* owned: a connection of its own */
    watch_t *all;               /* every watch (owned) */
    watch_t *queue_head, *queue_tail;
    size_t count, waiting;
    uv_timer_t resume_timer;    /* retries a failed resume read */
    char resume_after[OI_UUID_STR_LEN + 1];
    bool resuming;              /* a resume read is out */
    bool closing;
    bool freeing;               /* the last handle is closing */
};

/* The drafts after $1, in job id order: a page. */
static const oi_pg_stmt_t READ_PAGE = {
    "gw_audit_pending_page",
    "SELECT job_id, event FROM gateway.audit_pending WHERE job_id > $1::uuid ORDER BY job_id LIMIT 500", 1};

/* The draft leaves, and its event ($2, NULL: none) is recorded only by the statement that took
 * it: two replicas finishing one draft record it once. */
static const oi_pg_stmt_t FINISH = {
    "gw_audit_pending_finish",
    "WITH taken AS (DELETE FROM gateway.audit_pending WHERE job_id = $1::uuid RETURNING job_id) "
    "INSERT INTO gateway.audit_events (id, workspace_id, action, resource_type, resource_id, actor_type, actor_id, "
    "request_id, changes, job_id) SELECT e.id, e.workspace_id, e.action, e.resource_type, e.resource_id, "
    "e.actor_type, e.actor_id, e.request_id, e.changes, e.job_id FROM jsonb_to_record($2::jsonb) AS e(id uuid, "
    "workspace_id uuid, action text, resource_type text, resource_id text, actor_type text, actor_id text, "
    "request_id text, changes jsonb, job_id uuid) WHERE $2 IS NOT NULL AND EXISTS (SELECT 1 FROM taken) "
    "ON CONFLICT DO NOTHING",
    2};

static void on_watch_closed(uv_handle_t *h) { free(h->data); }

/* w leaves p's lists (it is not queued) and is freed. */
static void watch_free(watch_t *w)
{
    gw_audit_pending_t *p = w->p;
    if (w->prev)
        w->prev->next = w->next;
    else
        p->all = w->next;
    if (w->next)
        w->next->prev = w->prev;
    p->count--;
    oi_metric_set("oi_gateway_audit_pending", "", (double)p->count);
    json_decref(w->draft);
    w->draft = NULL;
    uv_close((uv_handle_t *)&w->timer, on_watch_closed);
}

static void maybe_free(gw_audit_pending_t *p);
static void pump(gw_audit_pending_t *p);

static void enqueue(watch_t *w)
{
    gw_audit_pending_t *p = w->p;
    w->queued_next = NULL;
    if (p->queue_tail)
        p->queue_tail->queued_next = w;
    else
        p->queue_head = w;
    p->queue_tail = w;
    pump(p);
}

static void on_wake(uv_timer_t *t) { enqueue(t->data); }

/* Something failed (the wait or the write): the job is waited for again after a backoff. */
static void sleep_then_retry(watch_t *w)
{
    w->backoff_ms = w->backoff_ms ? w->backoff_ms * 2 : BACKOFF_FIRST_MS;
    if (w->backoff_ms > BACKOFF_MAX_MS)
        w->backoff_ms = BACKOFF_MAX_MS;
    uv_timer_start(&w->timer, on_wake, w->backoff_ms, 0);
}

/* A call or a write came back to a watch whose p is closing: w ends here. */
static bool closed_under(watch_t *w)
{
    gw_audit_pending_t *p = w->p;
    if (!p->closing)
        return false;
    watch_free(w);
    maybe_free(p);
    return true;
}

static void on_finished(oi_status_t st, const oi_error_t *err, PGresult *const *res, size_t n, void *ud)
{
    (void)res;
    (void)n;
    watch_t *w = ud;
    if (closed_under(w))
        return;
    if (st) {
        oi_log_warn(&(oi_log_ctx_t){.action = "recording the audit event of a job"}, "job %s: %s", w->job_id,
                    err ? err->message : oi_status_name(st));
        sleep_then_retry(w);
        return;
    }
    watch_free(w);
}

/* The job ended: its event, if it succeeded, with the resource as the job left it. */
static void finish(watch_t *w, const Oneinbox__V1__Job *job)
{
    json_t *event = NULL;
    if (job && job->state == ONEINBOX__V1__JOB_STATE__JOB_STATE_SUCCEEDED) {
        bool deleted = json_is_true(json_object_get(w->draft, "deleted"));
        json_t *after = deleted ? NULL
                        : job->result ? gw_render_number(job->result)
                                      : json_incref(json_object_get(w->draft, "before")); /* gone since */
        event = gw_audit_finish(w->draft, after, w->job_id);
        json_decref(after);
    }
    char *text = event ? oi_json_dump(event) : NULL;
    json_decref(event);
    const char *params[] = {w->job_id, text};
    oi_pg_pipeline_exec(w->p->pg, &FINISH, params, on_finished, w); /* copies the parameters */
    free(text);
}

static void on_waited(oi_status_t st, const oi_error_t *err, const ProtobufCMessage *reply, void *ud)
{
    watch_t *w = ud;
    gw_audit_pending_t *p = w->p;
    p->waiting--;
    if (closed_under(w))
        return;
    if (st == OI_OK && reply && gw_job_finished(reply))
        finish(w, (const Oneinbox__V1__Job *)reply);
    else if (st == OI_OK)
        enqueue(w); /* still running: the others take their turn first */
    else if (st == OI_JOB_NOT_FOUND)
        finish(w, NULL); /* no such job (purged, or never committed): nothing to record */
    else {
        oi_log_warn(&(oi_log_ctx_t){.action = "waiting for the job of an audit event"}, "job %s: %s", w->job_id,
                    err ? err->message : oi_status_name(st));
        sleep_then_retry(w);
    }
    pump(p);
}

static void start_wait(watch_t *w)
{
    gw_audit_pending_t *p = w->p;
    Oneinbox__V1__JobIdRequest req = ONEINBOX__V1__JOB_ID_REQUEST__INIT;
    req.id = w->job_id;
    req.wait_ms = WAIT_MS;
    const char *ws = json_string_value(json_object_get(w->draft, "workspace_id"));
    const char *rid = json_string_value(json_object_get(w->draft, "request_id"));
    p->waiting++;
    int rc = ws ? oi_rpc_client_call(p->gw->provisioning, &oneinbox__v1__provisioning__descriptor, "WaitJob", rid, ws,
                                     &req.base, WAIT_MS + WAIT_SLACK_MS, on_waited, w)
                : oi_rpc_client_call_admin(p->gw->provisioning, &oneinbox__v1__provisioning__descriptor, "WaitJob",
                                           rid, &req.base, WAIT_MS + WAIT_SLACK_MS, on_waited, w);
    if (rc != 0) {
        p->waiting--;
        sleep_then_retry(w);
    }
}

/* Queued watches start their waits while fewer than GW_AUDIT_WATCHES_MAX are out. */
static void pump(gw_audit_pending_t *p)
{
    while (!p->closing && p->waiting < GW_AUDIT_WATCHES_MAX && p->queue_head) {
        watch_t *w = p->queue_head;
        p->queue_head = w->queued_next;
        if (!p->queue_head)
            p->queue_tail = NULL;
        start_wait(w);
    }
}

void gw_audit_pending_watch(gw_audit_pending_t *p, const char *job_id, json_t *draft)
{
    if (p->closing || !oi_uuid_valid(job_id) || !json_is_object(draft)) {
        json_decref(draft); /* in the database: the next start watches it */
        return;
    }
    watch_t *w = oi_xcalloc(1, sizeof *w);
    w->p = p;
    w->draft = draft;
    snprintf(w->job_id, sizeof w->job_id, "%s", job_id);
    uv_timer_init(p->gw->loop, &w->timer);
    w->timer.data = w;
    w->next = p->all;
    if (p->all)
        p->all->prev = w;
    p->all = w;
    p->count++;
    oi_metric_set("oi_gateway_audit_pending", "", (double)p->count);
    enqueue(w);
}

void gw_audit_pending_watch_retried(const char *job_id, json_t *draft, void *ud)
{
    gw_audit_pending_watch(ud, job_id, draft);
}

/* --- resuming what a start finds ------------------------------------------------------------------ */

static void read_page(gw_audit_pending_t *p);

static void on_resume_retry(uv_timer_t *t) { read_page(t->data); }

static void on_page(oi_status_t st, const oi_error_t *err, PGresult *const *res, size_t n, void *ud)
{
    gw_audit_pending_t *p = ud;
    p->resuming = false;
    if (p->closing) {
        maybe_free(p);
        return;
    }
    if (st || n != 1) {
        oi_log_warn(&(oi_log_ctx_t){.action = "reading the audit events waiting for their jobs"}, "%s",
                    err ? err->message : oi_status_name(st));
        uv_timer_start(&p->resume_timer, on_resume_retry, BACKOFF_MAX_MS, 0);
        return;
    }
    int rows = PQntuples(res[0]);
    for (int i = 0; i < rows; i++) {
        const char *job_id = PQgetvalue(res[0], i, 0);
        snprintf(p->resume_after, sizeof p->resume_after, "%s", job_id);
        gw_audit_pending_watch(p, job_id, json_loads(PQgetvalue(res[0], i, 1), 0, NULL));
    }
    if (rows == RESUME_PAGE)
        read_page(p);
}

static void read_page(gw_audit_pending_t *p)
{
    const char *params[] = {p->resume_after};
    p->resuming = true;
    oi_pg_pipeline_exec(p->pg, &READ_PAGE, params, on_page, p);
}

gw_audit_pending_t *gw_audit_pending_new(gw_t *gw, const char *conninfo)
{
    gw_audit_pending_t *p = oi_xcalloc(1, sizeof *p);
    p->gw = gw;
    oi_pg_pipeline_config_t cfg = {.conninfo = conninfo,
                                   .connections = 1,
                                   .statement_timeout_ms = STATEMENT_TIMEOUT_MS,
                                   .queue_timeout_ms = STATEMENT_TIMEOUT_MS,
                                   .name = "audit-pending"};
    p->pg = oi_pg_pipeline_new(gw->loop, &cfg);
    uv_timer_init(gw->loop, &p->resume_timer);
    p->resume_timer.data = p;
    snprintf(p->resume_after, sizeof p->resume_after, "00000000-0000-0000-0000-000000000000");
    oi_metric_help("oi_gateway_audit_pending", "gauge", "audit events waiting for their jobs to end");
    oi_metric_set("oi_gateway_audit_pending", "", 0);
    read_page(p);
    return p;
}

size_t gw_audit_pending_count(const gw_audit_pending_t *p) { return p ? p->count : 0; }

/* --- closing ---------------------------------------------------------------------------------------- */

static void on_resume_timer_closed(uv_handle_t *h) { free(h->data); }

/* Once no call, write or read is out, p goes. */
static void maybe_free(gw_audit_pending_t *p)
{
    if (!p->closing || p->count || p->resuming || p->freeing)
        return;
    p->freeing = true;
    uv_close((uv_handle_t *)&p->resume_timer, on_resume_timer_closed);
}

void gw_audit_pending_close(gw_audit_pending_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    gw_audit_pending_t *p = *self_p;
    *self_p = NULL;
    p->closing = true;
    uv_timer_stop(&p->resume_timer);
    /* queued and sleeping watches end now; waits and writes end as they come back (the RPC
     * client and the connection below fail them) */
    for (watch_t *w = p->queue_head, *next; w; w = next) {
        next = w->queued_next;
        watch_free(w);
    }
    p->queue_head = p->queue_tail = NULL;
    for (watch_t *w = p->all, *next; w; w = next) {
        next = w->next;
        if (uv_is_active((uv_handle_t *)&w->timer))
            watch_free(w);
    }
    oi_pg_pipeline_close(&p->pg, NULL, NULL);
    maybe_free(p);
}
