/* db.c: pooled connection access and column conversion for oi-dispatch. */
#include "db.h"

#include <string.h>

#include "oi/mem.h"

oi_status_t dsp_db_acquire(dsp_t *d, PGconn **out, oi_error_t *err)
{
    return oi_pg_pool_acquire(d->pg, d->pg_acquire_ms, out, err);
}

void dsp_db_release(dsp_t *d, PGconn **c)
{
    if (*c)
        oi_pg_pool_release(d->pg, c);
}

char *dsp_db_str(const PGresult *res, int row, const char *col)
{
    const char *v = oi_pg_get(res, row, col);
    return oi_xstrdup(v ? v : "");
}

