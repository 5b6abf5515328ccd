/* pg_internal.h: what the blocking pool (pg.c) and the pipeline (pg_pipeline.c) share. */
#ifndef OI_PG_INTERNAL_H
#define OI_PG_INTERNAL_H

#include <libpq-fe.h>

#include "oi/status.h"

/* SQLSTATE (or a broken connection) → our status, the one table (see oi/pg.h). res may be NULL. */
oi_status_t oi_pg__translate(PGconn *c, const PGresult *res, oi_error_t *err);

#endif
