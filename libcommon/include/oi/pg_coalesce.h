/* oi/pg_coalesce.h: one statement serving many callers' rows at once, on the loop.
 *
 * A caller adds a row (one text value per column) with its callback. The rows added during one
 * turn of the loop, or while the coalescer's earlier executions are still out, go to PostgreSQL
 * together as one execution of a statement over arrays: $1 is int[] holding each row's position
 * in the execution (1, 2, …), $2… one array per column in the order the values are given. The
 * statement answers at most one result row per position and names the position in a column
 * "ord"; each callback gets its own result row, or -1 when the statement answered none for it.
 * A statement may be preceded by another over the same parameters, in the same transaction, and
 * before both by a lock statement over one column's values (taking locks that the statements after
 * it, each with a fresh snapshot, then see the holders' commits behind).
 *
 *   static const oi_pg_stmt_t GET_MANY = {"x_get_many",
 *       "SELECT v.ord, n.* FROM unnest($1::int[], $2::uuid[]) AS v(ord, id) "
 *       "JOIN numbers n ON n.id = v.id", 2};
 *   oi_pg_coalesce_t *c = oi_pg_coalesce_new(loop, pg, &(oi_pg_coalesce_config_t){&GET_MANY, 1});
 *   const char *values[] = {id};
 *   oi_pg_coalesce_add(c, values, on_number, req);
 *
 * Under light load a row goes out at the end of the loop turn it was added in (no timer, no added
 * wait). Under load, rows gather while the earlier executions are answered, so one executor
 * start and one commit serve many callers: this is what makes a busy write path cheap. A
 * coalescer given linger_ms also holds the rows of a busy moment that find nothing out, until
 * linger_rows of them gathered or linger_ms passed (oi/linger.h says when): fewer, fuller
 * executions for a few milliseconds more per row, which a saturated database turns into less
 * waiting, not more.
 *
 * A statement error (a key one row broke, a deadlock with another writer) rolls the whole
 * execution back; its rows are then run again one by one, so every caller gets the answer its
 * own row earns. An outcome that is not known (the connection broke, a timeout) is answered to
 * every row as it is: nothing is run twice. Callbacks run on the loop thread, never from inside
 * oi_pg_coalesce_add; results are borrowed for the callback only. Loop thread only. */
#ifndef OI_PG_COALESCE_H
#define OI_PG_COALESCE_H

#include <libpq-fe.h>
#include <stddef.h>
#include <uv.h>

#include "oi/pg_pipeline.h"
#include "oi/status.h"

typedef struct oi_pg_coalesce oi_pg_coalesce_t;

typedef struct {
    const oi_pg_stmt_t *stmt; /* nparams = 1 + the number of columns */
    const oi_pg_stmt_t *first;/* NULL, or run before stmt in the same transaction with the same
                                 parameters (a fresh snapshot for stmt); its result is not read */
    const oi_pg_stmt_t *lock; /* NULL, or run before them both with one parameter, the array of
                                 column lock_column's values (text[]), when any of them is not
                                 NULL; its result is not read */
    size_t lock_column;       /* 0-based, as the values are given */
    size_t columns;           /* values per row */
    size_t max_rows;          /* rows per execution (0: 128) */
    int max_in_flight;        /* executions out at once (0: 1) */
    uint32_t linger_ms;       /* 0: rows never linger */
    size_t linger_rows;       /* rows that end a linger (0: max_rows) */
} oi_pg_coalesce_config_t;

/* st == OI_OK: row is this caller's row of res, or -1 when the statement answered none.
 * Otherwise err says why (res NULL, row -1). */
typedef void (*oi_pg_row_cb)(oi_status_t st, const oi_error_t *err, const PGresult *res, int row, void *ud);

/* pg is borrowed and must outlive the coalescer's executions (close the coalescer first). */
oi_pg_coalesce_t *oi_pg_coalesce_new(uv_loop_t *loop, oi_pg_pipeline_t *pg, const oi_pg_coalesce_config_t *cfg);
/* values: cfg->columns texts (NULL = SQL NULL), copied. cb runs later exactly once. */
void oi_pg_coalesce_add(oi_pg_coalesce_t *c, const char *const *values, oi_pg_row_cb cb, void *ud);
/* Rows added and not sent yet. */
size_t oi_pg_coalesce_pending(const oi_pg_coalesce_t *c);
/* Rows not sent yet fail with OI_UNAVAILABLE (on a later loop turn); executions out are answered
 * as they come back; the coalescer frees itself after. Nulls *self_p. */
void oi_pg_coalesce_close(oi_pg_coalesce_t **self_p);

#endif
