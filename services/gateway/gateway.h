/* gateway.h: builds the gateway from configuration and tears it down on drain. */
#ifndef GW_GATEWAY_H
#define GW_GATEWAY_H

#include "gw.h"
#include "oi/service.h"

#ifndef OI_SOURCE_DIR
#define OI_SOURCE_DIR "."
#endif
/* where gateway's migrations are when OI_MIGRATIONS_DIR is unset (the source tree) */
#define GW_MIGRATIONS_DEFAULT OI_SOURCE_DIR "/services/gateway/migrations"

/* Reads OI_* configuration, applies the gateway schema migrations, listens. NULL on failure
 * (already logged). The gateway is owned by the service's drain path. */
gw_t *gw_start(oi_service_t *svc);
/* oi_service_drain_cb: stop accepting, finish in-flight requests, close everything. */
void gw_on_drain(oi_service_t *svc, bool force, void *ud);

#endif
