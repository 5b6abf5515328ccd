/* oi/pg_analyze.h: fresh statistics for tables that grew fast, so prepared plans are made again.
 *
 * The pipeline's statements are prepared once per connection, and PostgreSQL keeps a generic
 * plan made with the statistics of that moment: on a new install the tables are empty then, and
 * a plan that scans a whole table (or walks a whole index for a key it does not lead with) is the
 * cheapest. It stays until the table is analyzed, and autovacuum waits at least a minute to do
 * that: a registration burst ran 5 times slower than with fresh plans. Every interval this runs
 * the schema's analyze_grown(min_rows) (a migration of the service's own), which analyzes each of
 * its tables holding at least min_rows and twice the rows of its last analysis; the analysis
 * invalidates the plans that read the table, and the next execution plans again. A table is thus
 * analyzed a few times while young (500, 1,000, 2,000 … rows) and then left to autovacuum. A
 * round runs only when the pipeline carried other work since the last one: an idle service sends
 * no query. Loop thread only. */
#ifndef OI_PG_ANALYZE_H
#define OI_PG_ANALYZE_H

#include <stdint.h>
#include <uv.h>

#include "oi/pg_pipeline.h"

#define OI_PG_ANALYZE_INTERVAL_MS 5000
#define OI_PG_ANALYZE_MIN_ROWS "500"

typedef struct oi_pg_analyze oi_pg_analyze_t;

/* stmt: "SELECT <schema>.analyze_grown($1::int)" (one parameter: min_rows), under the caller's
 * unique name; pg borrowed (close this first). */
oi_pg_analyze_t *oi_pg_analyze_new(uv_loop_t *loop, oi_pg_pipeline_t *pg, const oi_pg_stmt_t *stmt,
                                   uint64_t interval_ms);
/* Stops; a round in flight ends by itself. Nulls *self_p. */
/* Rounds wait for work on busy (borrowed; outlives this) instead of on the pipeline they run on:
 * for rounds on a connection of their own, beside the one that does the writes. */
void oi_pg_analyze_watch(oi_pg_analyze_t *a, const oi_pg_pipeline_t *busy);
void oi_pg_analyze_close(oi_pg_analyze_t **self_p);

#endif
