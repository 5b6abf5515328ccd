/* oi/redis.h: hiredis (0.14) attached to a libuv loop, with per-command timeouts and
 * automatic reconnection.
 *
 * A command that gets no reply within timeout_ms is answered OI_TIMEOUT; a command while
 * disconnected is answered OI_UNAVAILABLE at once. The replica reconnects by itself with
 * backoff. Replies are borrowed for the callback only: copy what you keep. Loop thread only. */
#ifndef OI_REDIS_H
#define OI_REDIS_H

#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "oi/status.h"

typedef struct oi_redis oi_redis_t;

typedef void (*oi_redis_cb)(oi_status_t status, const redisReply *reply, void *ud);
/* Connection state changes (e.g. to flush local caches after a reconnect). */
typedef void (*oi_redis_state_cb)(bool connected, void *ud);

oi_redis_t *oi_redis_new(uv_loop_t *loop, const char *host, int port, uint32_t timeout_ms);
void oi_redis_on_state(oi_redis_t *r, oi_redis_state_cb cb, void *ud);
bool oi_redis_connected(const oi_redis_t *r);
/* argv-style command (binary-safe). cb runs exactly once. */
void oi_redis_command(oi_redis_t *r, int argc, const char **argv, const size_t *argvlen, oi_redis_cb cb, void *ud);
/* --- subscriber mode: a connection that only listens ------------------------------------- */
/* A message published on one of the channels: payload borrowed for the call. */
typedef void (*oi_redis_msg_cb)(const char *channel, const char *payload, size_t len, void *ud);
/* Makes r a subscriber of channels (borrowed for r's life): subscribed again after every
 * reconnect, on_message for each message; on_live(true) once every channel's subscription is
 * confirmed, on_live(false) when the connection is lost (what is published meanwhile is lost:
 * a listener that keeps state derived from messages must drop it). r accepts no command then. */
void oi_redis_subscribe(oi_redis_t *r, const char *const *channels, size_t n, oi_redis_msg_cb on_message,
                        oi_redis_state_cb on_live, void *ud);
bool oi_redis_live(const oi_redis_t *r);
/* Reads and delivers what already waits on the socket, without waiting (one read). */
void oi_redis_poll(oi_redis_t *r);

/* Fails pending commands with OI_UNAVAILABLE, disconnects, frees in the close callback. */
void oi_redis_close(oi_redis_t **self_p);

#endif
