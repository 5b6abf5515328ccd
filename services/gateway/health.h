/* health.h: the gateway's view of its dependencies. A timer pings every service each second;
 * GET /healthz on the API port answers 200 only when all of them (and PostgreSQL) answered
 * recently, so "the suite is up" is one request. Loop thread only. */
#ifndef GW_HEALTH_H
#define GW_HEALTH_H

#include <stdbool.h>
#include <stddef.h>

#include "gw.h"
#include "oi/ops.h"

gw_health_t *gw_health_new(gw_t *gw);
/* Stops the timer; frees in the close callback. */
void gw_health_close(gw_health_t **self_p);
/* true when every dependency answered within the last few seconds; detail names the first that did not. */
bool gw_health_ok(const gw_health_t *h, char *detail, size_t n);
/* oi_ops_ready_cb for the ops port. */
oi_ops_readiness_t gw_health_ready(void *ud, char *detail, size_t n);

#endif
