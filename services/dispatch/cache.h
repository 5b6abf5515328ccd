/* cache.h: routing snapshots in Redis, never stale across replicas.
 *
 * Keys: dsp:gen (cache generation), dsp:rv:<number> (the number's version, a random token
 * replaced by every mutation that may change its routing), dsp:r:<number> (the encoded
 * snapshot, tagged with "<gen>/<version>" at the time its database read started, with a TTL)
 * and dsp:f:<call_id> (agents that failed for a call, "id,id,", expiring after an hour).
 *
 * A lookup is one MGET of gen, version, snapshot (and the call's failures); it is a hit only
 * when the snapshot's tag equals the current "<gen>/<version>". A mutation replaces the
 * version after its commit and before it replies, so any snapshot read from the database
 * before the commit carries a dead tag on every replica. Writers never need a lock: a late
 * writer of an old snapshot writes an old tag, which nobody matches. A number without a
 * version (new, evicted, flushed) gets one by SET NX on its first miss, sent before the
 * database read, and the snapshot carries it: live only if that SET won and nothing replaced
 * the version since, so one miss per number re-warms the cache.
 *
 * While Redis is unreachable, or until this replica has bumped dsp:gen and copied the
 * failures recorded meanwhile from PostgreSQL after a (re)connect, the cache is not usable and
 * Resolve answers from PostgreSQL. A failed invalidation also makes the replica bump dsp:gen
 * (every snapshot dies) before it uses the cache again. Loop thread only. */
#ifndef DSP_CACHE_H
#define DSP_CACHE_H

#include <stdbool.h>
#include <stddef.h>

#include "dsp.h"
#include "oi/route.h"

#define DSP_FAILED_MAX 16

typedef void (*dsp_cache_done_cb)(oi_status_t st, void *ud);

typedef struct {
    oi_status_t status;          /* OI_OK when Redis answered */
    bool hit;
    oi_route_t route;           /* valid when hit (owned by the lookup) */
    char *tag;                   /* owned; the tag a fresh snapshot must carry, NULL = don't store */
    char failed[DSP_FAILED_MAX][OI_ROUTE_ID_MAX];
    size_t n_failed;
} dsp_cache_lookup_t;

/* res is borrowed for the callback; it is cleaned afterwards (take what you keep). */
typedef void (*dsp_cache_lookup_cb)(dsp_cache_lookup_t *res, void *ud);

dsp_cache_t *dsp_cache_new(dsp_t *d);
/* Stops retrying; on_closed runs once no Redis command or database work of the cache is left. */
void dsp_cache_close(dsp_cache_t *c, void (*on_closed)(void *ud), void *ud);
/* true when lookups may be served from Redis (connected, generation bumped, failures synced). */
bool dsp_cache_usable(const dsp_cache_t *c);
/* A short description of the state, for /readyz detail. */
const char *dsp_cache_state(const dsp_cache_t *c);

void dsp_cache_lookup(dsp_cache_t *c, const char *to, const char *call_id, dsp_cache_lookup_cb cb, void *ud);
/* Fire and forget: SET dsp:r:<to> with TTL (nothing when tag is NULL). */
void dsp_cache_store(dsp_cache_t *c, const char *to, const char *tag, const oi_route_t *r);
/* Replaces the version of every number (one script run per 1,000 numbers, one after the other)
 * and tells every replica's near cache. cb gets OI_OK, or the failure after the replica switched
 * to bypass-and-bump mode. numbers stay the caller's and valid until cb. */
void dsp_cache_invalidate(dsp_cache_t *c, const char *const *numbers, size_t n, dsp_cache_done_cb cb, void *ud);
/* APPEND "<agent_id>," to dsp:f:<call_id> and EXPIRE it; cb gets the Redis outcome. */
void dsp_cache_record_failure(dsp_cache_t *c, const char *call_id, const char *agent_id, dsp_cache_done_cb cb,
                              void *ud);

#endif
