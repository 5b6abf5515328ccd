/* announce.h: telling every replica's near caches (oi/near_bus.h) that a phone number changed.
 *
 * Called after each commit that changes what GET /v1/phone-numbers/{id} shows, and awaited
 * before the change is acknowledged. GET shows a number only once it is active, under an id
 * never shown before, so the writes that change a row a reader may hold are the PATCH and DELETE
 * submissions (jobs_rpc.c); activation, reservation and release touch rows no reader has seen.
 * done runs once Redis has handed the message to every
 * subscriber, so a reader that syncs its bus before serving a hit never serves the old row.
 * When Redis cannot take it, done runs anyway (a write never waits on the cache) and the id is
 * announced again in the background until Redis takes it; the caches' max age bounds what a
 * replica that still hears Redis could serve meanwhile. Loop thread. */
#ifndef PROV_ANNOUNCE_H
#define PROV_ANNOUNCE_H

#include "prov.h"

typedef struct prov_announcer prov_announcer_t;

/* origin: this process's name in its announcements (copied; no space), which its own near
 * caches attached with it ignore (row_cache.h); NULL for none. */
prov_announcer_t *prov_announcer_new(uv_loop_t *loop, const char *redis_host, int redis_port, uint32_t timeout_ms,
                                     const char *origin);
/* id: the number's id (copied). done may be NULL. */
void prov_announce_number(prov_announcer_t *a, const char *id, void (*done)(void *ud), void *ud);
/* Ids still to announce (for metrics and tests). */
size_t prov_announcer_backlog(const prov_announcer_t *a);
/* Closes the connection (what is still unannounced is dropped: every reader's max age covers it). */
void prov_announcer_close(prov_announcer_t **self_p);

#endif
