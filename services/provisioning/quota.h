/* quota.h: a workspace's quotas, checked in the statement that submits the job, before anything
 * else happens (so before any carrier is called):
 *  - OI_QUOTA_NUMBERS: the numbers it holds: its live rows, plus the purchases of the last day
 *    still looking for theirs (403 QUOTA_EXCEEDED); 0: no quota;
 *  - OI_QUOTA_PURCHASES_PER_DAY: its purchases of the last 24 hours, failed or cancelled ones
 *    not counted (429 DAILY_QUOTA_EXCEEDED); 0: no quota.
 * The submitting transaction first takes the workspace's advisory lock (QUOTA_LOCK), so the
 * counts its next statement takes are final: two submissions can never both take the last
 * place. Without a quota neither the lock nor the counts are taken. */
#ifndef PROV_QUOTA_H
#define PROV_QUOTA_H

/* Takes the lock of every workspace of the uuid[] array `ws_array`, in order (never deadlocks). */
#define QUOTA_LOCK(ws_array)                                                                           \
    "SELECT count(pg_advisory_xact_lock(hashtextextended('oi-quota:' || w::text, 0))) FROM "           \
    "(SELECT DISTINCT w FROM unnest(" ws_array ") AS u(w) ORDER BY w) s"

/* The numbers workspace `ws` (a uuid expression) holds. */
#define QUOTA_HELD(ws)                                                                                 \
    "((SELECT count(*) FROM provisioning.phone_numbers hn WHERE hn.workspace_id = " ws " AND "        \
    "hn.deleted_at IS NULL) + (SELECT count(*) FROM provisioning.jobs hj WHERE hj.workspace_id = " ws \
    " AND hj.kind = 'purchase' AND hj.created_at > now() - interval '1 day' AND hj.state IN "          \
    "('queued', 'running') AND NOT EXISTS (SELECT 1 FROM provisioning.phone_numbers hp WHERE "         \
    "hp.id = hj.number_id)))"

/* Its purchases of the last day, and the seconds until the oldest of them leaves the window. */
#define QUOTA_BOUGHT_WHERE(ws)                                                                         \
    "FROM provisioning.jobs bj WHERE bj.workspace_id = " ws " AND bj.kind = 'purchase' AND "          \
    "bj.created_at > now() - interval '1 day' AND bj.state NOT IN ('failed', 'cancelled')"
#define QUOTA_BOUGHT(ws) "(SELECT count(*) " QUOTA_BOUGHT_WHERE(ws) ")"
#define QUOTA_BOUGHT_FREES_IN(ws)                                                                      \
    "(SELECT ceil(extract(epoch FROM min(bj.created_at) + interval '1 day' - now()))::bigint "        \
    QUOTA_BOUGHT_WHERE(ws) ")"

#endif
