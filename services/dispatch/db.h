/* db.h: small helpers shared by the PostgreSQL-facing modules: pooled connections for threadpool
 * work (acquire/release: threadpool only), and column conversions (pure, any thread). */
#ifndef DSP_DB_H
#define DSP_DB_H

#include <libpq-fe.h>
#include <stdint.h>

#include "dsp.h"
#include "oi/status.h"

/* Acquires a pooled connection within d->pg_acquire_ms (OI_DB_UNAVAILABLE otherwise). */
oi_status_t dsp_db_acquire(dsp_t *d, PGconn **out, oi_error_t *err);
void dsp_db_release(dsp_t *d, PGconn **c);
/* SQL expression formatting a timestamptz column as RFC 3339 UTC seconds. */
#define DSP_SQL_TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
/* SQL expression: a timestamptz as integer unix microseconds (for keyset cursors). */
#define DSP_SQL_USEC(col) "(floor(extract(epoch FROM " col ") * 1000000))::bigint"
/* New heap copy of a column ("" when NULL). */
char *dsp_db_str(const PGresult *res, int row, const char *col);

#endif
