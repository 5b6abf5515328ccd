/* rate_limit.h: token buckets per API key, per workspace and per workspace's purchases, held in
 * Redis so they hold across gateway replicas.
 *
 * One Lua script refills and takes from all the buckets a request needs, atomically and all or
 * nothing, on Redis's clock. A replica takes a small lease of tokens at a time (a tenth of a
 * second's worth, at most a quarter of the burst; one lease asked at a time per bucket, the
 * requests meanwhile take one token each) and spends it locally, so most requests cost no
 * round trip; since a lease is taken out of the shared bucket, the buckets are never overdrawn,
 * whatever the number of replicas (a lease left unspent for LEASE_MS is dropped, never returned:
 * the error is on the side of refusing). A request refused gets the seconds until a token is
 * back. When Redis does not answer, requests go through (counted in
 * oi_gateway_rate_limit_unchecked_total): the limiter protects the service, it must not become
 * the outage. Loop thread only. */
#ifndef GW_RATE_LIMIT_H
#define GW_RATE_LIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#include "oi/redis.h"

typedef struct gw_rate gw_rate_t;

/* A bucket's refill rate (tokens/s) and size (burst). rps <= 0: no limit. */
typedef struct {
    double rps;
    double burst;
} gw_rate_rule_t;

/* One bucket a request takes a token from: its Redis key suffix ("key:<id>") and rule. */
typedef struct {
    const char *name;
    const gw_rate_rule_t *rule;
} gw_rate_want_t;

#define GW_RATE_WANTS_MAX 3
/* Leases held here, by bucket name hashed (oi_fnv1a_str) into this many slots. */
#define GW_RATE_LEASE_SLOTS 2048

/* allowed, or refused with the whole seconds until a token is back (Retry-After) and the rule
 * that refused (for the RateLimit-* headers). */
typedef struct {
    bool allowed;
    int retry_after_s;
    const gw_rate_rule_t *rule;
} gw_rate_verdict_t;

typedef void (*gw_rate_cb)(const gw_rate_verdict_t *v, void *ud);

/* redis is borrowed (a command connection). */
gw_rate_t *gw_rate_new(oi_redis_t *redis);
/* Takes one token from each bucket (n <= GW_RATE_WANTS_MAX; rules with rps <= 0 are skipped).
 * cb runs exactly once: at once when the leases held here decide, else when Redis answers. */
void gw_rate_take(gw_rate_t *rl, const gw_rate_want_t *wants, size_t n, gw_rate_cb cb, void *ud);
void gw_rate_destroy(gw_rate_t **self_p);

/* A local bucket (this replica only, no Redis): for what must stay cheap to refuse, e.g. API key
 * lookups that miss the cache. */
typedef struct {
    double tokens;
    int64_t at_ms;   /* monotonic, last refill */
} gw_local_bucket_t;
/* true when a token was taken. */
bool gw_local_bucket_take(gw_local_bucket_t *b, const gw_rate_rule_t *rule, int64_t now_ms);
/* true when a token is there (none taken). */
bool gw_local_bucket_ready(gw_local_bucket_t *b, const gw_rate_rule_t *rule, int64_t now_ms);

#endif
