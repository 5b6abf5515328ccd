/* idem_db.h: the idempotency records' statements (idempotency.c), on a pipeline of their own.
 *
 * The claims of the moment go to PostgreSQL as one transaction over arrays, and so do the owners'
 * final answers (oi/pg_coalesce.h): a request with an Idempotency-Key no longer takes a threadpool
 * thread and a pooled connection, twice, for a statement and a commit of its own. Loop thread
 * only. */
#ifndef GW_IDEM_DB_H
#define GW_IDEM_DB_H

#include <uv.h>

#include "oi/pg_coalesce.h"

typedef struct gw_idem_db gw_idem_db_t;

/* Starts connecting at once (conninfo borrowed during the call). */
gw_idem_db_t *gw_idem_db_new(uv_loop_t *loop, const char *conninfo);
/* Claims not sent yet fail with OI_UNAVAILABLE; frees itself once the statements out are
 * answered. Nulls *self_p. */
void gw_idem_db_close(gw_idem_db_t **self_p);

/* Claims the record (ws, key) for a request whose canonical hash is hash: a new record, or an
 * in-progress one with the same hash abandoned for a minute. cb's row: "owner" (t: this request
 * holds the record now); otherwise the record as it is, "request_hash", "state", "status",
 * "headers", "body" (request_hash NULL: it vanished meanwhile). */
void gw_idem_db_claim(gw_idem_db_t *db, const char *ws, const char *key, const char *hash, oi_pg_row_cb cb,
                      void *ud);
/* The owner's end: status > 0 keeps the final answer (headers and body as stored: sealed);
 * status 0 forgets the in-progress record, so a retry runs again. cb's row, or -1 when nothing
 * was there to change. */
void gw_idem_db_finish(gw_idem_db_t *db, const char *ws, const char *key, int status, const char *headers,
                       const char *body, oi_pg_row_cb cb, void *ud);

#endif
