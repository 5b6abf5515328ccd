/* idem_db.c: the statements of idem_db.h. Records are found by arrays of their keys (index
 * conditions on the primary key); a call's own values join by its position. */
#include "idem_db.h"

#include <stdio.h>
#include <stdlib.h>

#include "oi/mem.h"
#include "oi/pg_pipeline.h"

#define STATEMENT_TIMEOUT_MS 5000
/* An in-progress record this old belongs to a request that died: the next one takes it over. */
#define ABANDONED_AFTER "60 seconds"

#define CLAIM_ROWS "unnest($1::int[], $2::uuid[], $3::text[], $4::text[]) AS v(ord, ws, key, hash)"

/* 1. Inserts each record, or takes over an abandoned one, and notes in the transaction which
 * calls now own theirs. Two calls of one key in a batch: the first by position claims, the other
 * finds it in progress (as it would a moment later). */
static const oi_pg_stmt_t CLAIM = {
    "gw_idem_claim",
    "WITH v AS (SELECT * FROM " CLAIM_ROWS "), "
    "c AS (INSERT INTO gateway.idempotency_keys AS k (workspace_id, key, request_hash, state)"
    " SELECT DISTINCT ON (ws, key) ws, key, hash, 'in_progress' FROM v ORDER BY ws, key, ord"
    " ON CONFLICT (workspace_id, key) DO UPDATE SET updated_at = now(), created_at = now()"
    " WHERE k.state = 'in_progress' AND k.request_hash = EXCLUDED.request_hash"
    " AND k.updated_at < now() - interval '" ABANDONED_AFTER "'"
    " RETURNING k.workspace_id, k.key) "
    "SELECT set_config('gw.idem_claimed', coalesce((SELECT string_agg(o.ord::text, ',') FROM"
    " (SELECT DISTINCT ON (v.ws, v.key) v.ord FROM v JOIN c ON c.workspace_id = v.ws AND c.key = v.key"
    " ORDER BY v.ws, v.key, v.ord) o), ''), true)",
    4};

/* 2. A fresh snapshot: what each call owns, or the record another request holds. */
static const oi_pg_stmt_t CLAIMED = {
    "gw_idem_claimed",
    "SELECT v.ord, v.ord::text = ANY (string_to_array(current_setting('gw.idem_claimed', true), ',')) AS owner,"
    " k.request_hash, k.state, k.status, k.headers, k.body FROM " CLAIM_ROWS " "
    "LEFT JOIN LATERAL (SELECT request_hash, state, status, headers, body FROM gateway.idempotency_keys"
    " WHERE workspace_id = v.ws AND key = v.key LIMIT 1) k ON true",
    4};

/* Status 0 forgets an in-progress record; another keeps the answer. */
static const oi_pg_stmt_t FINISH = {
    "gw_idem_finish",
    "WITH v AS (SELECT * FROM unnest($1::int[], $2::uuid[], $3::text[], $4::int[], $5::text[], $6::text[])"
    " AS v(ord, ws, key, status, headers, body)), "
    "d AS (DELETE FROM gateway.idempotency_keys k USING v"
    " WHERE k.workspace_id = ANY ($2::uuid[]) AND k.key = ANY ($3::text[])"
    " AND k.workspace_id = v.ws AND k.key = v.key AND v.status = 0 AND k.state = 'in_progress' RETURNING v.ord), "
    "u AS (UPDATE gateway.idempotency_keys k SET state = 'done', status = v.status, headers = v.headers,"
    " body = v.body, updated_at = now() FROM v"
    " WHERE k.workspace_id = ANY ($2::uuid[]) AND k.key = ANY ($3::text[])"
    " AND k.workspace_id = v.ws AND k.key = v.key AND v.status > 0 RETURNING v.ord) "
    "SELECT ord FROM d UNION ALL SELECT ord FROM u",
    6};

struct gw_idem_db {
    oi_pg_pipeline_t *pg;       /* owned */
    oi_pg_coalesce_t *claims;   /* owned */
    oi_pg_coalesce_t *finishes; /* owned */
};

gw_idem_db_t *gw_idem_db_new(uv_loop_t *loop, const char *conninfo)
{
    gw_idem_db_t *db = oi_xcalloc(1, sizeof *db);
    db->pg = oi_pg_pipeline_new(loop, &(oi_pg_pipeline_config_t){.conninfo = conninfo,
                                                                 .connections = 2,
                                                                 .statement_timeout_ms = STATEMENT_TIMEOUT_MS,
                                                                 .queue_timeout_ms = STATEMENT_TIMEOUT_MS,
                                                                 .name = "idempotency"});
    db->claims = oi_pg_coalesce_new(
        loop, db->pg, &(oi_pg_coalesce_config_t){.stmt = &CLAIMED, .first = &CLAIM, .columns = 3, .max_in_flight = 2});
    db->finishes =
        oi_pg_coalesce_new(loop, db->pg, &(oi_pg_coalesce_config_t){.stmt = &FINISH, .columns = 5, .max_in_flight = 2});
    return db;
}

void gw_idem_db_close(gw_idem_db_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    gw_idem_db_t *db = *self_p;
    *self_p = NULL;
    oi_pg_coalesce_close(&db->claims);
    oi_pg_coalesce_close(&db->finishes);
    oi_pg_pipeline_close(&db->pg, free, db);
}

void gw_idem_db_claim(gw_idem_db_t *db, const char *ws, const char *key, const char *hash, oi_pg_row_cb cb,
                      void *ud)
{
    const char *values[] = {ws, key, hash};
    oi_pg_coalesce_add(db->claims, values, cb, ud);
}

void gw_idem_db_finish(gw_idem_db_t *db, const char *ws, const char *key, int status, const char *headers,
                       const char *body, oi_pg_row_cb cb, void *ud)
{
    char st[16];
    snprintf(st, sizeof st, "%d", status);
    const char *values[] = {ws, key, st, headers, body};
    oi_pg_coalesce_add(db->finishes, values, cb, ud);
}
