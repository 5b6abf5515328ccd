/* oi/service.h: what every service's main() wires: log, config, loop, signals, ops port, drain.
 *
 *   oi_service_t *svc = oi_service_new("oi-dispatch");
 *   ... read config with oi_service_config(svc), create modules on oi_service_loop(svc) ...
 *   oi_service_set_drain(svc, on_drain, state);   // SIGTERM/SIGINT → on_drain
 *   return oi_service_run(svc);                   // runs the loop; returns the exit code
 *
 * On SIGTERM/SIGINT the ops port starts answering 503 on /readyz and the drain callback runs
 * once; the service stops its modules and calls oi_service_drained() when in-flight work is
 * finished (or OI_SHUTDOWN_GRACE_MS passed: the service is then told by a second call of the
 * drain callback with force = true). */
#ifndef OI_SERVICE_H
#define OI_SERVICE_H

#include <stdbool.h>
#include <uv.h>

#include "oi/config.h"
#include "oi/ops.h"

typedef struct oi_service oi_service_t;
typedef void (*oi_service_drain_cb)(oi_service_t *svc, bool force, void *ud);

/* Initialises logging (OI_LOG_LEVEL), libsodium and the loop. Exits(2) on failure. */
oi_service_t *oi_service_new(const char *name);
uv_loop_t *oi_service_loop(oi_service_t *s);
oi_config_t *oi_service_config(oi_service_t *s);
const char *oi_service_name(const oi_service_t *s);
uint32_t oi_service_grace_ms(const oi_service_t *s);
/* Starts the ops port on OI_OPS_HOST:OI_OPS_PORT (port 0 = disabled). false on bind failure. */
bool oi_service_start_ops(oi_service_t *s, int port, oi_ops_ready_cb ready, void *ud);
void oi_service_set_drain(oi_service_t *s, oi_service_drain_cb cb, void *ud);
/* Called by the service when drained; the loop then stops once its handles close. */
void oi_service_drained(oi_service_t *s);
/* Validates config (logging every problem), then runs the loop. Returns the process exit code
 * (0 after a clean drain, 2 on bad configuration). Frees the service. */
int oi_service_run(oi_service_t **self_p);

#endif
