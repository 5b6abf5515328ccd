/* access_metrics.h: every answered request counted (by route and status) and timed (by route),
 * with the series found once per route and status instead of formatted and looked up per
 * request. */
#ifndef GW_ACCESS_METRICS_H
#define GW_ACCESS_METRICS_H

#include "gw.h"

typedef struct gw_access_metrics gw_access_metrics_t;

gw_access_metrics_t *gw_access_metrics_new(void);
void gw_access_metrics_destroy(gw_access_metrics_t **self_p);
/* route: a row of gw_routes(), or NULL (unmatched). Loop thread. */
void gw_access_metrics_record(gw_access_metrics_t *m, const gw_route_t *route, int status, double secs);

#endif
