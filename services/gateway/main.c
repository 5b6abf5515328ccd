/* oi-gateway: the HTTP API. main only wires the service together. */
#include "gateway.h"
#include "oi/migrate.h"
#include "oi/service.h"

int main(void)
{
    int migrated = oi_migrate_only("gateway", GW_MIGRATIONS_DEFAULT);
    if (migrated >= 0)
        return migrated; /* OI_MIGRATE_ONLY: the migration Job */
    oi_service_t *svc = oi_service_new("oi-gateway");
    gw_t *gw = gw_start(svc);
    if (!gw)
        return 2;
    oi_service_set_drain(svc, gw_on_drain, gw);
    return oi_service_run(&svc);
}
