/* access_metrics.c: per-route request series, kept (access_metrics.h). */
#include "access_metrics.h"

#include <stdio.h>
#include <stdlib.h>

#include "oi/mem.h"
#include "oi/metrics.h"
#include "routes.h"

#define CODES_MAX 6 /* statuses kept per route (200, 404, 422, …); more are counted the slow way */

typedef struct {
    int status;
    oi_metric_series_t *count;
} code_t;

typedef struct {
    const char *name;
    oi_metric_series_t *duration;
    code_t codes[CODES_MAX];
    size_t n_codes;
} route_series_t;

struct gw_access_metrics {
    const gw_route_t *routes; /* gw_routes(): rows 0 … n-1, row n is "unmatched" */
    size_t n;
    route_series_t *series;   /* owned, n + 1 */
};

gw_access_metrics_t *gw_access_metrics_new(void)
{
    gw_access_metrics_t *m = oi_xcalloc(1, sizeof *m);
    m->routes = gw_routes(&m->n);
    m->series = oi_xcalloc(m->n + 1, sizeof *m->series);
    for (size_t i = 0; i <= m->n; i++)
        m->series[i].name = i < m->n ? m->routes[i].name : "unmatched";
    return m;
}

void gw_access_metrics_destroy(gw_access_metrics_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free((*self_p)->series);
    OI_FREE(*self_p);
}

static oi_metric_series_t *count_of(route_series_t *rs, int status)
{
    for (size_t i = 0; i < rs->n_codes; i++)
        if (rs->codes[i].status == status)
            return rs->codes[i].count;
    char labels[160];
    snprintf(labels, sizeof labels, "route=\"%s\",code=\"%d\"", rs->name, status);
    if (rs->n_codes == CODES_MAX) {
        oi_metric_inc("oi_gateway_requests_total", labels, 1);
        return NULL;
    }
    oi_metric_series_t *s = oi_metric_counter("oi_gateway_requests_total", labels);
    rs->codes[rs->n_codes++] = (code_t){status, s};
    return s;
}

void gw_access_metrics_record(gw_access_metrics_t *m, const gw_route_t *route, int status, double secs)
{
    size_t i = route && route >= m->routes && route < m->routes + m->n ? (size_t)(route - m->routes) : m->n;
    route_series_t *rs = &m->series[i];
    oi_metric_series_inc(count_of(rs, status), 1);
    if (!rs->duration) {
        char labels[160];
        snprintf(labels, sizeof labels, "route=\"%s\"", rs->name);
        rs->duration = oi_metric_histogram("oi_gateway_request_duration_seconds", labels);
    }
    oi_metric_series_observe(rs->duration, secs);
}
