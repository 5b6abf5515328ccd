/* oi-carrier-sim: an in-memory Twilio + Telnyx REST simulator with fault injection. main only wires. */
#include "sim.h"

int main(void)
{
    oi_service_t *svc = oi_service_new("oi-carrier-sim");
    sim_app_t *app = sim_app_start(svc);
    if (!app)
        return 2;
    oi_service_set_drain(svc, sim_app_on_drain, app);
    int rc = oi_service_run(&svc);
    sim_app_destroy(&app);
    return rc;
}
