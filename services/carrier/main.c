/* oi-carrier: the carrier adapter (Twilio, Telnyx). main only wires. */
#include "carrier.h"
#include "oi/service.h"

int main(void)
{
    oi_service_t *svc = oi_service_new("oi-carrier");
    car_t *car = car_start(svc);
    if (!car)
        return 2;
    oi_service_set_drain(svc, car_on_drain, car);
    return oi_service_run(&svc);
}
