/* pg_analyze.c: rounds of analyze_grown() (oi/pg_analyze.h). */
#define OI_LOG_TAG "common.pg"
#include "oi/pg_analyze.h"

#include <stdlib.h>

#include "oi/log.h"
#include "oi/mem.h"
#include "oi/periodic.h"
#include "oi/pg.h"

struct oi_pg_analyze {
    oi_periodic_t *rounds;     /* owned; NULL once closing */
    oi_pg_pipeline_t *pg;      /* borrowed: runs the rounds */
    const oi_pg_pipeline_t *busy; /* borrowed: the pipeline whose work a round waits for (pg by default) */
    const oi_pg_stmt_t *stmt;  /* borrowed (static) */
    uint64_t seen;             /* busy's batch count after the last round's own */
};

static void on_analyzed(oi_status_t st, const oi_error_t *err, PGresult *const *res, size_t n, void *ud)
{
    oi_periodic_t *round = ud;
    if (st)
        oi_log_warn(&(oi_log_ctx_t){.action = "analyzing grown tables"}, "%s", err ? err->message : "failed");
    else if (n == 1 && PQntuples(res[0]) == 1 && atoi(PQgetvalue(res[0], 0, 0)) > 0)
        oi_log_info(&(oi_log_ctx_t){.action = "analyzing grown tables"}, "%s table(s) analyzed",
                    PQgetvalue(res[0], 0, 0));
    oi_periodic_done(round, false);
}

/* Only after other work on the pipeline: an idle service sends nothing. */
static void round_start(oi_periodic_t *round, void *ud)
{
    oi_pg_analyze_t *a = ud;
    if (oi_pg_pipeline_submitted(a->busy) == a->seen) {
        oi_periodic_done(round, false);
        return;
    }
    const char *params[] = {OI_PG_ANALYZE_MIN_ROWS};
    oi_pg_pipeline_exec(a->pg, a->stmt, params, on_analyzed, round);
    a->seen = oi_pg_pipeline_submitted(a->busy);
}

oi_pg_analyze_t *oi_pg_analyze_new(uv_loop_t *loop, oi_pg_pipeline_t *pg, const oi_pg_stmt_t *stmt,
                                   uint64_t interval_ms)
{
    oi_pg_analyze_t *a = oi_xcalloc(1, sizeof *a);
    a->pg = pg;
    a->busy = pg;
    a->stmt = stmt;
    a->rounds = oi_periodic_new(loop, interval_ms, round_start, a);
    return a;
}

void oi_pg_analyze_watch(oi_pg_analyze_t *a, const oi_pg_pipeline_t *busy)
{
    a->busy = busy;
    a->seen = oi_pg_pipeline_submitted(busy);
}

static void on_rounds_closed(void *ud) { free(ud); }

void oi_pg_analyze_close(oi_pg_analyze_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    oi_pg_analyze_t *a = *self_p;
    *self_p = NULL;
    oi_periodic_close(&a->rounds, on_rounds_closed);
}
