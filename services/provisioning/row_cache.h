/* row_cache.h: the number rows PATCHes read and wrote last, kept so a PATCH need not read first.
 *
 * A PATCH merges onto its number's row and writes only where the row is still at the version it
 * merged onto (submit_db.h), so a row kept here that is no longer the current one costs a write
 * that changes nothing, after which the row is read again: nothing correct rests on this cache.
 * Only that write is decided from a kept row: every other answer (a refusal, 412, a merge error)
 * comes from a row just read. What it keeps: the row of each PATCH's read and of each PATCH's
 * write (its new version), under the number's id with its workspace; a row never replaces a
 * newer version of itself, and a DELETE submitted here drops it. A change made through another
 * replica is announced on the near bus (announce.h) and drops the row here; only a PATCH that
 * comes before the announcement pays the write that changes nothing. The rows keep
 * PROV_NUMBER_COLS and PROV_NUMBER_TRUNK_COLS (the trunk password sealed, as stored), at most
 * max_bytes, least recently used out first; 0 keeps nothing. Loop thread. */
#ifndef PROV_ROW_CACHE_H
#define PROV_ROW_CACHE_H

#include <libpq-fe.h>
#include <stddef.h>

#include "oi/near_bus.h"

typedef struct prov_row_cache prov_row_cache_t;

/* bus (borrowed, started by the caller; NULL: no bus, the rows are usable at once): the rows are
 * kept only while it hears OI_NEAR_CHANNEL_NUMBERS, and a number another process announced is
 * dropped; origin (borrowed) names this process's own announcements, which drop nothing. */
prov_row_cache_t *prov_row_cache_new(size_t max_bytes, oi_near_bus_t *bus, const char *origin);
void prov_row_cache_destroy(prov_row_cache_t **self_p);
/* Keeps row `row` of res (the columns above, named as in PROV_NUMBER_COLS_PLAIN) under its id,
 * unless a newer version of it is kept. */
void prov_row_cache_put(prov_row_cache_t *c, const PGresult *res, int row);
/* Number id's kept row as a one-row result (the caller's, PQclear), NULL when none is kept for
 * that workspace (the PATCH then reads it). Counted in oi_provisioning_patch_rows_total
 * {source="kept"|"read"}. */
PGresult *prov_row_cache_get(prov_row_cache_t *c, const char *workspace_id, const char *id);
void prov_row_cache_drop(prov_row_cache_t *c, const char *id);
/* A PATCH merged onto id's kept row and reads it again: dropped, counted as {source="stale"}. */
void prov_row_cache_stale(prov_row_cache_t *c, const char *id);

#endif
