/* db_work.c: runs a request's SQL on the libuv threadpool with a pooled connection, so the
 * loop never blocks on PostgreSQL; the completion runs back on the loop. */
#include <stdlib.h>

#include "gw.h"
#include "oi/mem.h"

#define GW_DB_ACQUIRE_MS 2000

typedef struct {
    uv_work_t work;
    gw_req_t *r;       /* borrowed: a request lives until it responds, and it cannot respond while this runs */
    gw_db_fn fn;
    gw_db_done_fn done;
    void *arg;         /* owned by the caller's done callback */
    oi_status_t st;
    oi_error_t err;
} db_job_t;

static void on_work(uv_work_t *w)
{
    db_job_t *j = w->data;
    PGconn *c = NULL;
    j->st = oi_pg_pool_acquire(j->r->gw->pg, GW_DB_ACQUIRE_MS, &c, &j->err);
    if (j->st)
        return;
    j->st = j->fn(j->r, c, j->arg, &j->err);
    oi_pg_pool_release(j->r->gw->pg, &c);
}

static void on_after_work(uv_work_t *w, int status)
{
    db_job_t *j = w->data;
    if (status == UV_ECANCELED && !j->st)
        j->st = oi_error_set(&j->err, OI_UNAVAILABLE, "shutting down");
    j->done(j->r, j->st, j->st ? &j->err : NULL, j->arg);
    free(j);
}

void gw_db(gw_req_t *r, gw_db_fn fn, void *arg, gw_db_done_fn done)
{
    db_job_t *j = oi_xcalloc(1, sizeof *j);
    j->r = r;
    j->fn = fn;
    j->done = done;
    j->arg = arg;
    j->work.data = j;
    oi_error_init(&j->err);
    uv_queue_work(r->gw->loop, &j->work, on_work, on_after_work);
}
