/* health.h: the gateway's view of its dependencies. A timer pings every service each second
 * (each answers from its own state, never from how busy it is); GET /healthz on the API port
 * answers 200 while oi-provisioning, oi-dispatch and PostgreSQL answered recently, so "the suite
 * is up" is one request. oi-carrier not answering only degrades it (searches fail, purchases wait,
 * everything else works): a carrier's trouble never takes a gateway out of service. Loop thread. */
#ifndef GW_HEALTH_H
#define GW_HEALTH_H

#include <stdbool.h>
#include <stddef.h>

#include "gw.h"
#include "oi/ops.h"

gw_health_t *gw_health_new(gw_t *gw);
/* Stops the timer; frees in the close callback. */
void gw_health_close(gw_health_t **self_p);
/* READY, DEGRADED (only oi-carrier is away) or UNREADY; detail names what is missing. */
oi_ops_readiness_t gw_health_state(const gw_health_t *h, char *detail, size_t n);
/* oi_ops_ready_cb for the ops port. */
oi_ops_readiness_t gw_health_ready(void *ud, char *detail, size_t n);

#endif
