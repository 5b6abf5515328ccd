/* oi-dispatch: agents, SIP trunks, dispatch rules and routing decisions. main only wires. */
#include "dispatch.h"
#include "oi/migrate.h"
#include "oi/service.h"

int main(void)
{
    int migrated = oi_migrate_only("dispatch", DSP_MIGRATIONS_DEFAULT);
    if (migrated >= 0)
        return migrated; /* OI_MIGRATE_ONLY: the migration Job */
    oi_service_t *svc = oi_service_new("oi-dispatch");
    dsp_t *d = dsp_start(svc);
    if (!d)
        return 2;
    oi_service_set_drain(svc, dsp_on_drain, d);
    return oi_service_run(&svc);
}
