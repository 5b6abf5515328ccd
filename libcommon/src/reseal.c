/* reseal.c: sealed values moved onto the current key (oi/reseal.h). */
#define OI_LOG_TAG "common.reseal"
#include "oi/reseal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oi/log.h"
#include "oi/mem.h"
#include "oi/metrics.h"
#include "oi/pg.h"

/* One batch of col after the row at *ctid: each value re-sealed and written back if unchanged.
 * Returns the rows read (0: the column is done); *ctid moves past them. */
static int batch(PGconn *conn, const oi_crypto_t *c, const oi_reseal_column_t *col, char *ctid, size_t ctid_cap,
                 oi_reseal_counts_t *out, oi_error_t *err)
{
    char current[32];
    snprintf(current, sizeof current, "v2:%s:%%", oi_crypto_key_id(c));
    /* "at", not "ctid": ORDER BY would take an output column named ctid, and sort its text */
    char *sql = oi_xasprintf("SELECT ctid::text AS at, %s, %s FROM %s WHERE ctid > $1::tid AND %s IS NOT NULL "
                             "AND %s <> '' AND %s NOT LIKE $2 ORDER BY ctid LIMIT %d",
                             col->binding_sql, col->value_sql, col->table, col->value_sql, col->value_sql,
                             col->value_sql, OI_RESEAL_BATCH);
    const char *params[] = {ctid, current};
    PGresult *res = NULL;
    oi_status_t st = oi_pg_exec(conn, sql, 2, params, &res, err);
    free(sql);
    if (st) {
        if (res)
            PQclear(res);
        return -1;
    }
    int rows = PQntuples(res);
    char *update = oi_xasprintf("UPDATE %s SET %s WHERE ctid = $1::tid AND %s = $2", col->table, col->set_sql,
                                col->value_sql);
    for (int i = 0; i < rows; i++) {
        const char *binding = PQgetvalue(res, i, 1), *old = PQgetvalue(res, i, 2);
        snprintf(ctid, ctid_cap, "%s", PQgetvalue(res, i, 0));
        char *fresh = oi_crypto_reseal(c, col->purpose, binding, old);
        if (!fresh) {
            out->unreadable++;
            continue;
        }
        const char *up[] = {ctid, old, fresh};
        PGresult *ur = NULL;
        oi_error_t uerr;
        oi_error_init(&uerr);
        if (oi_pg_exec(conn, update, 3, up, &ur, &uerr) == OI_OK && strcmp(PQcmdTuples(ur), "1") == 0)
            out->resealed++;
        if (ur)
            PQclear(ur);
        free(fresh);
    }
    free(update);
    PQclear(res);
    return rows;
}

oi_status_t oi_reseal_columns(PGconn *conn, const oi_crypto_t *c, const oi_reseal_column_t *cols, size_t n,
                              oi_reseal_counts_t *out, oi_error_t *err)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < n; i++) {
        char ctid[64] = "(0,0)";
        int rows;
        while ((rows = batch(conn, c, &cols[i], ctid, sizeof ctid, out, err)) > 0)
            ;
        if (rows < 0)
            return err->status ? err->status : OI_DB_UNAVAILABLE;
    }
    out->old = out->unreadable; /* the walk saw every value not under the current key */
    return OI_OK;
}

/* --- once at start-up, on the threadpool ---------------------------------------------------------- */

typedef struct {
    uv_work_t work;
    const char *conninfo, *key_hex, *previous_hex;
    const oi_reseal_column_t *cols;
    size_t n;
    oi_reseal_counts_t counts;
    oi_status_t st;
    oi_error_t err;
} pass_t;

static void on_work(uv_work_t *w)
{
    pass_t *p = w->data;
    oi_error_init(&p->err);
    oi_crypto_t *c = oi_crypto_new(p->key_hex, p->previous_hex, &p->err);
    PGconn *conn = c ? PQconnectdb(p->conninfo) : NULL;
    if (!c)
        p->st = p->err.status ? p->err.status : OI_INVALID;
    else if (PQstatus(conn) != CONNECTION_OK)
        p->st = oi_error_set(&p->err, OI_DB_UNAVAILABLE, "%s", PQerrorMessage(conn));
    else
        p->st = oi_reseal_columns(conn, c, p->cols, p->n, &p->counts, &p->err);
    if (conn)
        PQfinish(conn);
    oi_crypto_destroy(&c);
}

static void on_done(uv_work_t *w, int status)
{
    pass_t *p = w->data;
    oi_log_ctx_t ctx = {.action = "re-sealing secrets at rest"};
    if (status || p->st)
        oi_log_warn(&ctx, "stopped: %s (the next start goes on)", status ? uv_strerror(status) : p->err.message);
    else if (p->counts.resealed || p->counts.old)
        oi_log_info(&ctx, "%ld moved onto the current key; %ld still under another key or format (%ld unreadable)",
                    p->counts.resealed, p->counts.old, p->counts.unreadable);
    oi_metric_inc("oi_sealed_values_resealed_total", "", (double)p->counts.resealed);
    oi_metric_set("oi_sealed_values_unreadable", "", (double)p->counts.unreadable);
    oi_metric_set("oi_sealed_values_old", "", (double)p->counts.old);
    free(p);
}

void oi_reseal_start(uv_loop_t *loop, const char *conninfo, const char *key_hex, const char *previous_hex,
                     const oi_reseal_column_t *cols, size_t n)
{
    oi_metric_help("oi_sealed_values_resealed_total", "counter", "sealed values moved onto the current key");
    oi_metric_help("oi_sealed_values_unreadable", "gauge", "sealed values no key of this service opens");
    oi_metric_help("oi_sealed_values_old", "gauge", "sealed values still under another key or format");
    pass_t *p = oi_xcalloc(1, sizeof *p);
    p->conninfo = conninfo;
    p->key_hex = key_hex;
    p->previous_hex = previous_hex;
    p->cols = cols;
    p->n = n;
    p->work.data = p;
    if (uv_queue_work(loop, &p->work, on_work, on_done) != 0)
        free(p);
}
