/* oi/metrics.h: process-wide Prometheus text metrics (thread-safe).
 *
 * Series are identified by (name, labels), labels already formatted: `route="/v1/x",code="200"`.
 * Counters and gauges are created on first use; histograms use fixed latency buckets in
 * seconds (0.0005 … 10). */
#ifndef OI_METRICS_H
#define OI_METRICS_H

#include <stdint.h>

void oi_metric_help(const char *name, const char *type /* counter|gauge|histogram */, const char *help);
void oi_metric_inc(const char *name, const char *labels, double delta);
void oi_metric_set(const char *name, const char *labels, double value);
void oi_metric_observe(const char *name, const char *labels, double seconds);
/* A series held by its caller for a hot path: found (or made) once by name and labels, then
 * counted without formatting labels or looking anything up. Series live as long as the process.
 * NULL when the name or labels are not valid or the name is of another kind; the two functions
 * after take NULL and do nothing. */
typedef struct oi_metric_series oi_metric_series_t;
oi_metric_series_t *oi_metric_counter(const char *name, const char *labels);
oi_metric_series_t *oi_metric_histogram(const char *name, const char *labels);
void oi_metric_series_inc(oi_metric_series_t *s, double delta);
void oi_metric_series_observe(oi_metric_series_t *s, double seconds);
/* Current value of a counter/gauge (0 if unknown); for tests and /readyz logic. */
double oi_metric_get(const char *name, const char *labels);
/* Prometheus text exposition format 0.0.4, as a new string. Runs the render hooks first. */
char *oi_metrics_render(void);
/* A hook that sets gauges from a module's own state just before each render, so hot paths
 * need not publish them on every change. Called on the thread that renders (the ops port's
 * loop thread). At most 16 hooks; off removes the (fn, ud) pair. */
void oi_metrics_on_render(void (*fn)(void *ud), void *ud);
void oi_metrics_off_render(void (*fn)(void *ud), void *ud);

#endif
