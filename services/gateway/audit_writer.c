/* audit_writer.c: batched audit event writes (audit_writer.h). */
#define OI_LOG_TAG "gw.audit"
#include "audit_writer.h"

#include <stdlib.h>

#include "oi/log.h"
#include "oi/mem.h"
#include "oi/metrics.h"
#include "oi/pg_pipeline.h"

#define STATEMENT_TIMEOUT_MS 5000

typedef struct waiter {
    struct waiter *next;
    gw_audit_written_cb cb;
    void *ud;
} waiter_t;

typedef struct {
    gw_audit_writer_t *w;       /* borrowed */
    json_t *events;             /* owned array */
    waiter_t *head, *tail;      /* owned */
    size_t n;
    bool names_jobs;            /* an event names a job or is a draft: the statement with audit_pending */
} batch_t;

struct gw_audit_writer {
    oi_pg_pipeline_t *pg;       /* owned */
    batch_t *queued;            /* owned: waiting for the batch in flight (NULL: none) */
    bool writing;               /* a batch is in flight */
    bool closing;
};

#define EVENT_ROWS                                                                                      \
    "jsonb_to_recordset($1::jsonb) AS e(id uuid, workspace_id uuid, action text, resource_type text, "     \
    "resource_id text, actor_type text, actor_id text, request_id text, changes jsonb, job_id uuid, "        \
    "draft jsonb)"
#define EVENT_COLUMNS "id, workspace_id, action, resource_type, resource_id, actor_type, actor_id, request_id, changes, job_id"

/* A batch where some event names a job or is a draft. Events go to audit_events (one per job at
 * most: a retry re-joining a job recorded already adds nothing, and takes the job's draft away if
 * one waits); drafts of 202 answers go to audit_pending (one per job: a retry answered 202 again
 * adds nothing). */
static const oi_pg_stmt_t INSERT_WITH_JOBS = {
    "gw_audit_insert",
    "WITH e AS (SELECT * FROM " EVENT_ROWS "), "
    "drafts AS (INSERT INTO gateway.audit_pending (job_id, event) SELECT job_id, draft FROM e "
    "WHERE draft IS NOT NULL ON CONFLICT DO NOTHING), "
    "taken AS (DELETE FROM gateway.audit_pending WHERE job_id IN (SELECT job_id FROM e WHERE draft IS NULL)) "
    "INSERT INTO gateway.audit_events (" EVENT_COLUMNS ") SELECT " EVENT_COLUMNS " FROM e WHERE draft IS NULL "
    "ON CONFLICT DO NOTHING",
    1};

/* The usual batch: finished changes only, none naming a job, each with a new id. A plain insert:
 * no audit_pending to look at (two data-modifying CTEs cost their executor start-up even when
 * they touch nothing) and no conflict to arbitrate. */
static const oi_pg_stmt_t INSERT_PLAIN = {
    "gw_audit_insert_plain",
    "INSERT INTO gateway.audit_events (" EVENT_COLUMNS ") SELECT " EVENT_COLUMNS " FROM " EVENT_ROWS,
    1};

gw_audit_writer_t *gw_audit_writer_new(uv_loop_t *loop, const char *conninfo)
{
    gw_audit_writer_t *w = oi_xcalloc(1, sizeof *w);
    oi_pg_pipeline_config_t cfg = {.conninfo = conninfo,
                                   .connections = 1,
                                   .statement_timeout_ms = STATEMENT_TIMEOUT_MS,
                                   .queue_timeout_ms = STATEMENT_TIMEOUT_MS,
                                   .name = "audit"};
    w->pg = oi_pg_pipeline_new(loop, &cfg);
    oi_metric_help("oi_gateway_audit_events_total", "counter", "audit events written");
    oi_metric_help("oi_gateway_audit_failures_total", "counter", "audit events that could not be written");
    return w;
}

static batch_t *batch_new(gw_audit_writer_t *w)
{
    batch_t *b = oi_xcalloc(1, sizeof *b);
    b->w = w;
    b->events = json_array();
    return b;
}

/* Every waiter of b learns the outcome; b is freed. */
static void batch_done(batch_t *b, bool ok)
{
    oi_metric_inc(ok ? "oi_gateway_audit_events_total" : "oi_gateway_audit_failures_total", "", (double)b->n);
    json_decref(b->events);
    for (waiter_t *x = b->head, *next; x; x = next) {
        next = x->next;
        x->cb(ok, x->ud);
        free(x);
    }
    free(b);
}

static void flush(gw_audit_writer_t *w);

static void on_written(oi_status_t st, const oi_error_t *err, PGresult *const *res, size_t n, void *ud)
{
    (void)res;
    (void)n;
    batch_t *b = ud;
    gw_audit_writer_t *w = b->w;
    if (st)
        oi_log_error(&(oi_log_ctx_t){.action = "writing audit events"}, "%zu not written: %s", b->n,
                     err ? err->message : oi_status_name(st));
    batch_done(b, st == OI_OK);
    w->writing = false;
    if (w->closing) {
        free(w);
        return;
    }
    flush(w);
}

/* The queued events go in one INSERT, when none is in flight. */
static void flush(gw_audit_writer_t *w)
{
    if (w->writing || !w->queued)
        return;
    batch_t *b = w->queued;
    w->queued = NULL;
    w->writing = true;
    char *text = json_dumps(b->events, JSON_COMPACT);
    const char *params[] = {text};
    oi_pg_pipeline_exec(w->pg, b->names_jobs ? &INSERT_WITH_JOBS : &INSERT_PLAIN, params, on_written,
                        b); /* copies the parameters */
    free(text);
}

void gw_audit_writer_add(gw_audit_writer_t *w, json_t *event, gw_audit_written_cb cb, void *ud)
{
    if (!w->queued)
        w->queued = batch_new(w);
    batch_t *b = w->queued;
    b->names_jobs = b->names_jobs || json_object_get(event, "draft") || json_string_value(json_object_get(event, "job_id"));
    json_array_append_new(b->events, event);
    waiter_t *x = oi_xcalloc(1, sizeof *x);
    x->cb = cb;
    x->ud = ud;
    if (b->tail)
        b->tail->next = x;
    else
        b->head = x;
    b->tail = x;
    b->n++;
    flush(w);
}

bool gw_audit_writer_healthy(const gw_audit_writer_t *w) { return w && oi_pg_pipeline_healthy(w->pg); }

void gw_audit_writer_close(gw_audit_writer_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    gw_audit_writer_t *w = *self_p;
    *self_p = NULL;
    if (w->queued)
        batch_done(w->queued, false);
    w->queued = NULL;
    w->closing = true;
    bool writing = w->writing;
    oi_pg_pipeline_close(&w->pg, NULL, NULL); /* fails the batch in flight: on_written frees w */
    if (!writing)
        free(w);
}
