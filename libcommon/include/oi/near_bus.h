/* oi/near_bus.h: the invalidations of near caches (oi/near_cache.h), over Redis pub/sub.
 *
 * A writer publishes the keys it changed on a channel (oi_near_publish: PUBLISH <channel>
 * "<key> <key> …", or "*" for everything) after its commit and before it acknowledges the
 * change, and treats a failed publish as a change not yet announced. A reader's bus holds one
 * subscriber connection for every channel of its caches: each message invalidates those keys
 * in every cache attached to its channel; while the subscription is down (and until it is
 * confirmed again) the caches are not usable, so nothing published meanwhile can be missed.
 * A message may begin with "@<origin>", the name of the process that wrote the change: a cache
 * attached with that origin (the writer's own, which keeps what it wrote) ignores the message,
 * every other cache ignores the token.
 * oi_near_bus_sync reads what already arrived without waiting: call it before serving a hit,
 * so an answer never predates an invalidation that reached this process before the request.
 * Loop thread only. */
#ifndef OI_NEAR_BUS_H
#define OI_NEAR_BUS_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "oi/near_cache.h"
#include "oi/redis.h"

/* The channels of the suite's near caches. Keys are space-free. */
#define OI_NEAR_CHANNEL_NUMBERS "oi:near:numbers" /* phone-number ids (oi-provisioning writes) */
#define OI_NEAR_CHANNEL_ROUTES "oi:near:routes"   /* E.164 numbers whose routing changed (oi-dispatch) */
#define OI_NEAR_ALL "*"

typedef struct oi_near_bus oi_near_bus_t;

/* Sizing of a process's near caches, from the environment: OI_NEAR_CACHE_BYTES (a cache's
 * budget, default 12 MiB, which the process may share out: docs/WIRING.md; 0 turns near caches
 * off) and OI_NEAR_CACHE_MAX_AGE_MS (default 10000). */
typedef struct {
    size_t max_bytes;
    uint32_t max_age_ms;
} oi_near_config_t;
typedef struct oi_config oi_config_t;
void oi_near_config_read(oi_config_t *c, oi_near_config_t *out);

oi_near_bus_t *oi_near_bus_new(uv_loop_t *loop, const char *redis_host, int redis_port);
/* c (borrowed; outlives the bus) follows channel (a static string). Before oi_near_bus_start. */
void oi_near_bus_attach(oi_near_bus_t *b, const char *channel, oi_near_cache_t *c);
/* The same for a cache that ignores the messages of origin (borrowed; outlives the bus; no space). */
void oi_near_bus_attach_origin(oi_near_bus_t *b, const char *channel, oi_near_cache_t *c, const char *origin);
/* Connects and subscribes; the caches become usable once every subscription is confirmed. */
void oi_near_bus_start(oi_near_bus_t *b);
void oi_near_bus_sync(oi_near_bus_t *b);
bool oi_near_bus_live(const oi_near_bus_t *b);
/* Makes every cache unusable and closes the connection; frees in the close callbacks. */
void oi_near_bus_close(oi_near_bus_t **self_p);

/* PUBLISH channel "<keys[0]> <keys[1]> …" on r (a command connection); cb as oi_redis_command's:
 * OI_OK once Redis has handed the message to every subscriber's connection. */
void oi_near_publish(oi_redis_t *r, const char *channel, const char *const *keys, size_t n, oi_redis_cb cb, void *ud);

#endif
