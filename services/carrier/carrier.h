/* carrier.h: starting and draining the oi-carrier service. */
#ifndef CAR_CARRIER_H
#define CAR_CARRIER_H

#include "car.h"

car_t *car_start(oi_service_t *svc);
void car_on_drain(oi_service_t *svc, bool force, void *ud);

#endif
