/* dispatch.h: oi-dispatch wiring: configuration → modules → RPC server, readiness, drain. */
#ifndef DSP_DISPATCH_H
#define DSP_DISPATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "dsp.h"
#include "oi/ops.h"
#include "oi/rpc.h"
#include "oi/service.h"

#ifndef OI_SOURCE_DIR
#define OI_SOURCE_DIR "."
#endif
/* where dispatch's migrations are when OI_MIGRATIONS_DIR is unset (the source tree) */
#define DSP_MIGRATIONS_DEFAULT OI_SOURCE_DIR "/services/dispatch/migrations"

/* The method table (exposed for the consistency test: every dispatch proto method has a row). */
const oi_rpc_method_t *dsp_methods(size_t *n);

/* Reads configuration, migrates schema "dispatch", connects Redis, binds the RPC socket and
 * the ops port. NULL (after logging why) when the service cannot start. */
dsp_t *dsp_start(oi_service_t *svc);
/* The drain callback for oi_service_set_drain (ud = the dsp_t). */
void dsp_on_drain(oi_service_t *svc, bool force, void *ud);
/* /readyz: unready without PostgreSQL, degraded without the Redis cache. */
oi_ops_readiness_t dsp_ready(void *ud, char *detail, size_t n);

#endif
