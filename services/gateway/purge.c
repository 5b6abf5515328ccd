/* purge.c: deleting rows past their retention (purge.h). */
#define OI_LOG_TAG "gw.purge"
#include "purge.h"

#include <stdio.h>
#include <stdlib.h>

#include "oi/log.h"
#include "oi/mem.h"
#include "oi/periodic.h"

struct gw_purge {
    oi_periodic_t *rounds;  /* owned; NULL once closing */
    oi_periodic_t *round;   /* the round in flight's handle: still live while closing */
    uv_loop_t *loop;        /* borrowed */
    const char *conninfo;   /* borrowed (environment): a connection of its own, so a batch in flight
                             * never outlives the request pool it would otherwise borrow from */
    const char *what;       /* static */
    const char *sql;        /* static */
    uv_work_t work;
    char age[32];           /* an interval, as text */
    long deleted;           /* by the last batch (threadpool → loop); -1 when it failed */
};

/* One batch of the oldest expired records (a batch keeps each transaction short). */
static void on_work(uv_work_t *w)
{
    gw_purge_t *p = w->data;
    p->deleted = -1;
    PGconn *c = PQconnectdb(p->conninfo);
    if (PQstatus(c) == CONNECTION_OK) {
        const char *params[] = {p->age};
        PGresult *res = NULL;
        oi_error_t err;
        oi_error_init(&err);
        if (!oi_pg_exec(c, p->sql, 1, params, &res, &err))
            p->deleted = strtol(PQcmdTuples(res), NULL, 10);
        if (res)
            PQclear(res);
    }
    PQfinish(c);
}

static void on_after(uv_work_t *w, int status)
{
    gw_purge_t *p = w->data;
    if (p->deleted > 0)
        oi_log_info(&(oi_log_ctx_t){.action = "purging"}, "%ld %s older than %s deleted", p->deleted, p->what,
                    p->age);
    oi_periodic_done(p->round, status == 0 && p->deleted >= GW_PURGE_BATCH); /* a full batch: go on */
}

static void round_start(oi_periodic_t *rounds, void *ud)
{
    gw_purge_t *p = ud;
    p->round = rounds;
    uv_queue_work(p->loop, &p->work, on_work, on_after);
}

gw_purge_t *gw_purge_new(gw_t *gw, const char *conninfo, const char *what, const char *sql, const char *age,
                         int interval_ms)
{
    gw_purge_t *p = oi_xcalloc(1, sizeof *p);
    p->loop = gw->loop;
    p->conninfo = conninfo;
    p->what = what;
    p->sql = sql;
    snprintf(p->age, sizeof p->age, "%s", age);
    p->work.data = p;
    p->rounds = oi_periodic_new(gw->loop, (uint64_t)interval_ms, round_start, p);
    return p;
}

void gw_purge_close(gw_purge_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    gw_purge_t *p = *self_p;
    *self_p = NULL;
    oi_periodic_close(&p->rounds, free);
}
