/* oi-provisioning: phone numbers, integrations and durable jobs. main only wires. */
#include "oi/migrate.h"
#include "oi/service.h"
#include "provisioning.h"

int main(void)
{
    int migrated = oi_migrate_only("provisioning", PROV_MIGRATIONS_DEFAULT);
    if (migrated >= 0)
        return migrated; /* OI_MIGRATE_ONLY: the migration Job */
    oi_service_t *svc = oi_service_new("oi-provisioning");
    prov_t *p = prov_start(svc);
    if (!p)
        return 2;
    oi_service_set_drain(svc, prov_on_drain, p);
    return oi_service_run(&svc);
}
