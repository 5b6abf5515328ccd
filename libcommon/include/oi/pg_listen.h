/* oi/pg_listen.h: PostgreSQL LISTEN on the loop: one connection of its own that waits for
 * notifications on one channel and reconnects by itself.
 *
 * Notifications sent while the connection was down are lost, so every time the LISTEN is (re)
 * established on_resync runs: the caller re-reads whatever state it waits on. on_notify gets each
 * payload (borrowed for the call). Nothing is sent while idle: the connection only reads.
 * Loop thread only. */
#ifndef OI_PG_LISTEN_H
#define OI_PG_LISTEN_H

#include <stdbool.h>
#include <uv.h>

typedef struct oi_pg_listener oi_pg_listener_t;

typedef void (*oi_pg_notify_cb)(const char *payload, void *ud);
typedef void (*oi_pg_resync_cb)(void *ud);

/* channel: a plain identifier ([a-z_][a-z0-9_]*, at most 63); anything else is a programmer error. */
oi_pg_listener_t *oi_pg_listener_new(uv_loop_t *loop, const char *conninfo, const char *channel,
                                     oi_pg_notify_cb on_notify, oi_pg_resync_cb on_resync, void *ud);
/* true while LISTEN is in force. */
bool oi_pg_listener_listening(const oi_pg_listener_t *l);
/* Closes the connection; frees in the close callbacks. Nulls *self_p. */
void oi_pg_listener_close(oi_pg_listener_t **self_p);

#endif
