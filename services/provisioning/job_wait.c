/* job_wait.c: a call waiting for a job: local ends, NOTIFYs from other replicas, timeouts. */
#define OI_LOG_TAG "prov.wait"
#include "job_wait.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobs_db.h"
#include "jobs_read.h"
#include "oi/clock.h"
#include "oi/ids.h"
#include "oi/log.h"
#include "oi/mem.h"
#include "oi/pg.h"
#include "oi/proto_unpack.h"
#include "waiters.h"

typedef struct prov_wait {
    prov_t *p;
    oi_rpc_call_t *call;
    char id[OI_UUID_STR_LEN + 1];
    char ws[OI_UUID_STR_LEN + 1];
    prov_job_state_t state;
    int64_t until_ms;          /* monotonic */
    bool timed_out;
    Oneinbox__V1__PhoneNumber *previous; /* owned, NULL: none; goes into the answer */
    bool held;                 /* the answer waits for prov_wait_release */
    bool kept;                 /* an answer came while held: */
    oi_status_t kept_status;
    oi_error_t kept_err;
    ProtobufCMessage *kept_reply; /* owned copy, NULL: none */
} wait_t;

static void wait_start(wait_t *w);

/* While held, the answer is kept (copied: reply is borrowed) for prov_wait_release. */
static bool keep_if_held(wait_t *w, oi_status_t st, const oi_error_t *err, const ProtobufCMessage *reply)
{
    if (!w->held)
        return false;
    w->kept = true;
    w->kept_status = st;
    oi_error_init(&w->kept_err);
    if (err)
        w->kept_err = *err;
    w->kept_reply = reply ? oi_proto_copy(reply) : NULL;
    return true;
}

static void reply_and_free(wait_t *w, oi_status_t st, const oi_error_t *err, const ProtobufCMessage *reply)
{
    if (keep_if_held(w, st, err, reply))
        return;
    if (!st && reply && w->previous) { /* a shallow copy carries it: reply is borrowed */
        Oneinbox__V1__Job job = *(const Oneinbox__V1__Job *)reply;
        job.previous = w->previous;
        oi_rpc_call_reply(&w->call, st, err, &job.base);
    } else {
        oi_rpc_call_reply(&w->call, st, err, reply);
    }
    if (w->previous)
        protobuf_c_message_free_unpacked(&w->previous->base, NULL);
    free(w);
}

void prov_wait_release(prov_wait_t *w)
{
    w->held = false;
    if (!w->kept)
        return; /* the wait goes on: its end answers */
    ProtobufCMessage *reply = w->kept_reply;
    reply_and_free(w, w->kept_status, w->kept_status ? &w->kept_err : NULL, reply);
    if (reply)
        protobuf_c_message_free_unpacked(reply, NULL);
}

/* The job as we last knew it, for a wait that ends without news. */
static void reply_unknown(wait_t *w)
{
    Oneinbox__V1__Job job = ONEINBOX__V1__JOB__INIT;
    job.id = w->id;
    job.workspace_id = w->ws;
    job.state = prov_job_state_proto(w->state);
    reply_and_free(w, OI_OK, NULL, &job.base);
}

static void on_read(oi_status_t st, const oi_error_t *err, PGresult *const *res, size_t n, void *ud)
{
    wait_t *w = ud;
    if (st) { /* the database is away: the job goes on, the caller learns later */
        oi_log_info(&(oi_log_ctx_t){.request_id = w->id, .action = "waiting for a job"}, "%s", err->message);
        reply_unknown(w);
        return;
    }
    if (n != 1 || PQntuples(res[0]) != 1) {
        oi_error_t e;
        oi_error_init(&e);
        oi_error_set(&e, OI_JOB_NOT_FOUND, "job %s not found", w->id);
        reply_and_free(w, OI_JOB_NOT_FOUND, &e, NULL);
        return;
    }
    bool done = prov_jobs_row_terminal(res[0], 0);
    if (!done && !w->timed_out && oi_clock_mono_ms() < w->until_ms && !w->p->draining) {
        wait_start(w); /* poked for something else (a resync): wait on */
        return;
    }
    Oneinbox__V1__Job *job = prov_jobs_to_proto(res[0], 0);
    reply_and_free(w, OI_OK, NULL, &job->base);
    protobuf_c_message_free_unpacked(&job->base, NULL);
}

static void on_wait(prov_wait_outcome_t outcome, const Oneinbox__V1__Job *job, void *ud)
{
    wait_t *w = ud;
    switch (outcome) {
    case PROV_WAIT_ENDED:
        reply_and_free(w, OI_OK, NULL, &job->base);
        return;
    case PROV_WAIT_CANCELLED:
        reply_unknown(w);
        return;
    case PROV_WAIT_TIMEOUT: /* read what it is now */
        w->timed_out = true;
        prov_jobs_get(w->p, w->ws[0] ? w->ws : NULL, w->id, on_read, w);
        return;
    case PROV_WAIT_POKED:
        prov_jobs_get(w->p, w->ws[0] ? w->ws : NULL, w->id, on_read, w);
        return;
    }
}

static void wait_start(wait_t *w)
{
    int64_t left = w->until_ms - oi_clock_mono_ms();
    prov_waiters_add(w->p->waiters, w->id, (int)(left > 0 ? left : 0), on_wait, w);
}

/* The watch outlives nothing: the wait may be answered (and freed) before it returns. */
typedef struct {
    prov_t *p;
    char id[OI_UUID_STR_LEN + 1];
} watch_t;

static void on_watched(oi_status_t st, const oi_error_t *err, PGresult *const *res, size_t n, void *ud)
{
    (void)err;
    watch_t *x = ud;
    if (st || !prov_job_moved(res, n)) /* ended already (or cannot tell): whoever waits reads it */
        prov_waiters_poke(x->p->waiters, x->id);
    free(x);
}

static wait_t *wait_new(prov_t *p, oi_rpc_call_t *call, const char *ws, const char *id, int wait_ms,
                        prov_job_state_t state, Oneinbox__V1__PhoneNumber *previous, bool held)
{
    wait_t *w = oi_xcalloc(1, sizeof *w);
    w->previous = previous;
    w->p = p;
    w->call = call;
    snprintf(w->id, sizeof w->id, "%s", id);
    snprintf(w->ws, sizeof w->ws, "%s", ws ? ws : "");
    w->state = state;
    w->until_ms = oi_clock_mono_ms() + (wait_ms > 0 ? wait_ms : 0);
    w->held = held;
    return w;
}

/* The watch comes after the waiter: an end after the watch is never missed. */
static void watch_start(prov_t *p, const char *id)
{
    watch_t *x = oi_xcalloc(1, sizeof *x);
    x->p = p;
    snprintf(x->id, sizeof x->id, "%s", id);
    prov_job_watch(p, id, on_watched, x);
}

/* The wait registered, then the watch. A wait not held may be answered (and freed) at once. */
static wait_t *wait_begin(prov_t *p, oi_rpc_call_t *call, const char *ws, const char *id, int wait_ms, bool watch,
                          prov_job_state_t state, Oneinbox__V1__PhoneNumber *previous, bool held)
{
    wait_t *w = wait_new(p, call, ws, id, wait_ms, state, previous, held);
    wait_start(w);
    if (watch)
        watch_start(p, id);
    return w;
}

void prov_wait_answer(prov_t *p, oi_rpc_call_t *call, const char *ws, const char *id, int wait_ms, bool watch,
                      prov_job_state_t state)
{
    (void)wait_begin(p, call, ws, id, wait_ms, watch, state, NULL, false);
}

prov_wait_t *prov_wait_answer_held(prov_t *p, oi_rpc_call_t *call, const char *ws, const char *id, int wait_ms,
                                   bool watch, prov_job_state_t state, Oneinbox__V1__PhoneNumber *previous)
{
    return wait_begin(p, call, ws, id, wait_ms, watch, state, previous, true);
}
