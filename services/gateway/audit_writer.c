/* audit_writer.c: batched audit event writes, and their retries (audit_writer.h). */
#define OI_LOG_TAG "gw.audit"
#include "audit_writer.h"

#include <stdlib.h>

#include "oi/json_dump.h"
#include "oi/linger.h"
#include "oi/log.h"
#include "oi/mem.h"
#include "oi/metrics.h"
#include "oi/pg_analyze.h"
#include "oi/pg_pipeline.h"

#define STATEMENT_TIMEOUT_MS 5000
#define RETRY_FIRST_MS 1000
#define RETRY_MAX_MS 30000
#define RETRY_EVENTS_MAX 10000 /* kept for a retry at most (about 1 KB each); the oldest go first */
#define LINGER_MS 2      /* how long the events of a busy moment wait for others (flush) */
#define LINGER_EVENTS 20 /* events that end the wait */

typedef struct waiter {
    struct waiter *next;
    gw_audit_written_cb cb;
    void *ud;
} waiter_t;

typedef struct batch {
    struct batch *next;         /* the writer's retry list */
    gw_audit_writer_t *w;       /* borrowed */
    json_t *events;             /* owned array */
    waiter_t *head, *tail;      /* owned; none left once answered */
    size_t n;
    bool names_jobs;            /* an event names a job or is a draft: the statement with audit_pending */
    bool retry;                 /* answered already, written again by the statement that skips what is in */
} batch_t;

struct gw_audit_writer {
    oi_pg_pipeline_t *pg;       /* owned */
    oi_pg_pipeline_t *pg_analyze; /* owned: a connection of its own, so no write waits on an ANALYZE */
    oi_pg_analyze_t *analyze;   /* owned: the schema's tables analyzed while they grow fast */
    batch_t *queued;            /* owned: waiting for the batch in flight (NULL: none) */
    bool writing;               /* a batch is in flight */
    bool closing;
    bool timer_closed;
    uv_timer_t timer;           /* the retries' backoff */
    uv_timer_t linger;          /* the queued events of a busy moment wait for others */
    oi_linger_t lingering;      /* whether they do (oi/linger.h) */
    bool linger_closed;
    uint32_t backoff_ms;
    batch_t *retry_head, *retry_tail; /* owned: answered, not written yet, oldest first */
    size_t retry_events;
    gw_audit_draft_fn on_draft; /* a retried 202 draft is in: its job can be watched */
    void *on_draft_ud;
};

#define EVENT_ROWS                                                                                      \
    "jsonb_to_recordset($1::jsonb) AS e(id uuid, workspace_id uuid, action text, resource_type text, "     \
    "resource_id text, actor_type text, actor_id text, request_id text, changes jsonb, job_id uuid, "        \
    "draft jsonb)"
#define EVENT_COLUMNS                                                                                   \
    "id, workspace_id, action, resource_type, resource_id, actor_type, actor_id, request_id, changes, job_id"

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

/* oi/pg_analyze.h: audit_events is the table of the schema that grows with every write, and the
 * one whose stale statistics cost (the listing's filters). Its own connection: an ANALYZE of a
 * doubled table takes a while (~200 ms at 750,000 events), and on the writer's one connection
 * every audit write, so every change's answer, waited behind it. */
static const oi_pg_stmt_t ANALYZE_GROWN = {"gw_analyze_grown", "SELECT gateway.analyze_grown($1::int)", 1};

gw_audit_writer_t *gw_audit_writer_new(uv_loop_t *loop, const char *conninfo)
{
    gw_audit_writer_t *w = oi_xcalloc(1, sizeof *w);
    oi_pg_pipeline_config_t cfg = {.conninfo = conninfo,
                                   .connections = 1,
                                   .statement_timeout_ms = STATEMENT_TIMEOUT_MS,
                                   .queue_timeout_ms = STATEMENT_TIMEOUT_MS,
                                   .name = "audit"};
    w->pg = oi_pg_pipeline_new(loop, &cfg);
    cfg.name = "maintenance";
    w->pg_analyze = oi_pg_pipeline_new(loop, &cfg);
    w->analyze = oi_pg_analyze_new(loop, w->pg_analyze, &ANALYZE_GROWN, OI_PG_ANALYZE_INTERVAL_MS);
    oi_pg_analyze_watch(w->analyze, w->pg);
    uv_timer_init(loop, &w->timer);
    uv_timer_init(loop, &w->linger);
    w->lingering = (oi_linger_t){.ms = LINGER_MS, .rows = LINGER_EVENTS};
    w->timer.data = w->linger.data = w;
    oi_metric_help("oi_gateway_audit_events_total", "counter", "audit events written");
    oi_metric_help("oi_gateway_audit_failures_total", "counter", "audit events that could not be written");
    oi_metric_help("oi_gateway_audit_retry_events", "gauge", "audit events kept to be written again");
    oi_metric_set("oi_gateway_audit_retry_events", "", 0);
    return w;
}

void gw_audit_writer_on_draft(gw_audit_writer_t *w, gw_audit_draft_fn fn, void *ud)
{
    w->on_draft = fn;
    w->on_draft_ud = ud;
}

static batch_t *batch_new(gw_audit_writer_t *w)
{
    batch_t *b = oi_xcalloc(1, sizeof *b);
    b->w = w;
    b->events = json_array();
    return b;
}

/* Every waiter of b learns the outcome, once. */
static void batch_answer(batch_t *b, bool ok)
{
    for (waiter_t *x = b->head, *next; x; x = next) {
        next = x->next;
        x->cb(ok, x->ud);
        free(x);
    }
    b->head = b->tail = NULL;
}

static void batch_free(batch_t *b)
{
    batch_answer(b, false);
    json_decref(b->events);
    free(b);
}

/* b will not be written: counted, said, freed. */
static void batch_drop(batch_t *b, const char *why)
{
    oi_metric_inc("oi_gateway_audit_failures_total", "", (double)b->n);
    oi_log_error(&(oi_log_ctx_t){.action = "writing audit events"}, "%zu not written: %s", b->n, why);
    batch_free(b);
}

static void retry_gauge(const gw_audit_writer_t *w)
{
    oi_metric_set("oi_gateway_audit_retry_events", "", (double)w->retry_events);
}

/* The drafts of a retried batch that got in: their jobs are watched as a first write's are. */
static void drafts_written(gw_audit_writer_t *w, batch_t *b)
{
    size_t i;
    json_t *e;
    json_array_foreach(b->events, i, e) {
        json_t *draft = json_object_get(e, "draft");
        const char *job_id = json_string_value(json_object_get(e, "job_id"));
        if (draft && job_id && w->on_draft)
            w->on_draft(job_id, json_incref(draft), w->on_draft_ud);
    }
}

/* A failure a later attempt can get past: the database away or busy, a timeout, a deadlock. A
 * refused statement (bad data, a bug) would be refused again. */
static bool retryable(oi_status_t st)
{
    return st == OI_DB_UNAVAILABLE || st == OI_UNAVAILABLE || st == OI_TIMEOUT || st == OI_CONFLICT;
}

static void retry_push_front(gw_audit_writer_t *w, batch_t *b)
{
    b->next = w->retry_head;
    w->retry_head = b;
    if (!w->retry_tail)
        w->retry_tail = b;
    w->retry_events += b->n;
}

static void retry_push_back(gw_audit_writer_t *w, batch_t *b)
{
    b->next = NULL;
    if (w->retry_tail)
        w->retry_tail->next = b;
    else
        w->retry_head = b;
    w->retry_tail = b;
    w->retry_events += b->n;
}

static batch_t *retry_pop(gw_audit_writer_t *w)
{
    batch_t *b = w->retry_head;
    if (!b)
        return NULL;
    w->retry_head = b->next;
    if (!w->retry_head)
        w->retry_tail = NULL;
    w->retry_events -= b->n;
    b->next = NULL;
    return b;
}

static void retry_arm(gw_audit_writer_t *w, uint64_t ms);

/* b failed with st: its answers leave now (the change itself is done), and its events are kept
 * to be written again, in order, within RETRY_EVENTS_MAX. */
static void keep_for_retry(gw_audit_writer_t *w, batch_t *b, const oi_error_t *err)
{
    if (!b->retry)
        oi_log_warn(&(oi_log_ctx_t){.action = "writing audit events"}, "%zu kept to be written again: %s", b->n,
                    err ? err->message : "database error");
    bool again = b->retry;
    b->retry = true;
    batch_answer(b, false);
    if (again)
        retry_push_front(w, b); /* it was the oldest */
    else
        retry_push_back(w, b);
    while (w->retry_events > RETRY_EVENTS_MAX && w->retry_head != w->retry_tail)
        batch_drop(retry_pop(w), "more events waiting to be written again than the writer keeps");
    retry_gauge(w);
    w->backoff_ms = w->backoff_ms ? (w->backoff_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : w->backoff_ms * 2)
                                  : RETRY_FIRST_MS;
    retry_arm(w, w->backoff_ms);
}

static void maybe_free(gw_audit_writer_t *w)
{
    if (w->closing && !w->writing && w->timer_closed && w->linger_closed)
        free(w);
}

static void on_written(oi_status_t st, const oi_error_t *err, PGresult *const *res, size_t n, void *ud);

static void batch_send(gw_audit_writer_t *w, batch_t *b)
{
    w->writing = true;
    char *text = oi_json_dump(b->events);
    const char *params[] = {text};
    /* a retry may follow an attempt whose outcome was lost with the connection: the statement
     * that skips what is in already */
    const oi_pg_stmt_t *stmt = b->names_jobs || b->retry ? &INSERT_WITH_JOBS : &INSERT_PLAIN;
    oi_pg_pipeline_exec(w->pg, stmt, params, on_written, b); /* copies the parameters */
    free(text);
}

static void send_queued(gw_audit_writer_t *w)
{
    uv_timer_stop(&w->linger);
    batch_t *b = w->queued;
    w->queued = NULL;
    oi_linger_sent(&w->lingering, b->n);
    batch_send(w, b);
}

static void on_linger_over(uv_timer_t *t)
{
    gw_audit_writer_t *w = t->data;
    if (!w->closing && !w->writing && w->queued)
        send_queued(w);
}

/* The queued events go in one INSERT, when none is in flight; in a busy moment they may wait up
 * to LINGER_MS for LINGER_EVENTS of them, as oi/pg_coalesce.h's rows do (oi/linger.h). */
static void flush(gw_audit_writer_t *w)
{
    if (w->writing || !w->queued)
        return;
    if (oi_linger_hold(&w->lingering, w->queued->n)) {
        if (!uv_is_active((uv_handle_t *)&w->linger))
            uv_timer_start(&w->linger, on_linger_over, w->lingering.ms, 0);
        return;
    }
    send_queued(w);
}

static void retry_send(gw_audit_writer_t *w)
{
    batch_t *b = retry_pop(w);
    retry_gauge(w);
    batch_send(w, b);
}

/* What goes next once a write is back. While the database takes writes, kept batches and new
 * ones take turns, so neither waits for all of the other; while it does not, the kept ones wait
 * for the backoff (on_retry). */
static void next_write(gw_audit_writer_t *w, bool after_retry)
{
    if (w->retry_head && w->backoff_ms == 0 && (!after_retry || !w->queued))
        retry_send(w);
    else
        flush(w);
}

static void on_written(oi_status_t st, const oi_error_t *err, PGresult *const *res, size_t n, void *ud)
{
    (void)res;
    (void)n;
    batch_t *b = ud;
    gw_audit_writer_t *w = b->w;
    bool was_retry = b->retry;
    w->writing = false;
    if (st == OI_OK) {
        oi_metric_inc("oi_gateway_audit_events_total", "", (double)b->n);
        if (b->retry)
            drafts_written(w, b);
        batch_answer(b, true);
        batch_free(b);
        w->backoff_ms = 0;
    } else if (!w->closing && retryable(st)) {
        keep_for_retry(w, b, err);
    } else {
        batch_drop(b, err ? err->message : oi_status_name(st));
    }
    if (w->closing) {
        maybe_free(w);
        return;
    }
    next_write(w, was_retry);
}

static void on_retry(uv_timer_t *t)
{
    gw_audit_writer_t *w = t->data;
    if (w->closing || w->writing || !w->retry_head)
        return; /* a write out: its end decides (next_write, or a new backoff) */
    retry_send(w);
}

static void retry_arm(gw_audit_writer_t *w, uint64_t ms)
{
    if (!w->closing)
        uv_timer_start(&w->timer, on_retry, ms, 0);
}

void gw_audit_writer_add(gw_audit_writer_t *w, json_t *event, gw_audit_written_cb cb, void *ud)
{
    if (!w->queued)
        w->queued = batch_new(w);
    batch_t *b = w->queued;
    b->names_jobs =
        b->names_jobs || json_object_get(event, "draft") || json_string_value(json_object_get(event, "job_id"));
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

static void on_linger_closed(uv_handle_t *h)
{
    gw_audit_writer_t *w = h->data;
    w->linger_closed = true;
    maybe_free(w);
}

static void on_timer_closed(uv_handle_t *h)
{
    gw_audit_writer_t *w = h->data;
    w->timer_closed = true;
    maybe_free(w);
}

void gw_audit_writer_close(gw_audit_writer_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    gw_audit_writer_t *w = *self_p;
    *self_p = NULL;
    w->closing = true;
    if (w->queued)
        batch_drop(w->queued, "the gateway is shutting down");
    w->queued = NULL;
    while (w->retry_head)
        batch_drop(retry_pop(w), "the gateway is shutting down");
    retry_gauge(w);
    uv_timer_stop(&w->timer);
    uv_close((uv_handle_t *)&w->timer, on_timer_closed);
    uv_timer_stop(&w->linger);
    uv_close((uv_handle_t *)&w->linger, on_linger_closed);
    oi_pg_analyze_close(&w->analyze);
    oi_pg_pipeline_close(&w->pg_analyze, NULL, NULL);
    oi_pg_pipeline_close(&w->pg, NULL, NULL); /* fails the batch in flight: on_written drops it */
}
