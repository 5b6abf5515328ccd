/* oi/near_publisher.h: the PUBLISHes of one near-cache channel (oi/near_bus.h), coalesced on the
 * loop.
 *
 * Keys added during one turn of the loop go out as one PUBLISH at its end (the check phase): a
 * burst of changes answered together (a statement that served many requests, oi/pg_coalesce.h)
 * costs Redis one message and each subscriber one wake-up instead of one per change. Each
 * caller's callback gets the outcome of the PUBLISH that carried its keys (the reply is borrowed
 * for the callback), so "published before acknowledged" holds as with oi_near_publish. No added
 * wait: nothing is held past the turn it was added in. Loop thread only.
 *
 *   oi_near_publisher_t *p = oi_near_publisher_new(loop, redis, OI_NEAR_CHANNEL_NUMBERS);
 *   oi_near_publisher_add(p, &id, 1, on_published, req);
 *   oi_near_publisher_close(&p);   // at shutdown: what was added still goes out */
#ifndef OI_NEAR_PUBLISHER_H
#define OI_NEAR_PUBLISHER_H

#include <stddef.h>
#include <uv.h>

#include "oi/redis.h"

typedef struct oi_near_publisher oi_near_publisher_t;

/* r (borrowed) must outlive the publisher's PUBLISHes; channel: a static string. */
oi_near_publisher_t *oi_near_publisher_new(uv_loop_t *loop, oi_redis_t *r, const char *channel);
/* Every PUBLISH begins with "@<origin>" (copied; no space): the writer's own caches attached with
 * that origin ignore it (oi/near_bus.h). Before the first add. */
void oi_near_publisher_set_origin(oi_near_publisher_t *p, const char *origin);
/* keys (copied) join the turn's PUBLISH; cb runs later exactly once, never from inside. A turn
 * that added no key at all publishes nothing and answers OI_OK (as oi_near_publish with none). */
void oi_near_publisher_add(oi_near_publisher_t *p, const char *const *keys, size_t n, oi_redis_cb cb, void *ud);
/* Sends what was added, then frees the publisher (its handles' close callbacks). Nulls *self_p. */
void oi_near_publisher_close(oi_near_publisher_t **self_p);

#endif
