/* provisioning.h: starting and draining the oi-provisioning service. */
#ifndef PROV_PROVISIONING_H
#define PROV_PROVISIONING_H

#include "oi/service.h"
#include "prov.h"

#ifndef OI_SOURCE_DIR
#define OI_SOURCE_DIR "."
#endif
/* where provisioning's migrations are when OI_MIGRATIONS_DIR is unset (the source tree) */
#define PROV_MIGRATIONS_DEFAULT OI_SOURCE_DIR "/services/provisioning/migrations"

/* The RPC method table (one row per method of service Provisioning); n rows. */
const oi_rpc_method_t *prov_methods(size_t *n);
/* Reads the configuration, migrates, starts runners and the RPC server; NULL on failure. */
prov_t *prov_start(oi_service_t *svc);
/* The service's drain callback (SIGTERM): stop taking calls, let runners finish their step. */
void prov_on_drain(oi_service_t *svc, bool force, void *ud);

#endif
