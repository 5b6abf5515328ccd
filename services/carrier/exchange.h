/* exchange.h: one logical HTTP exchange with a carrier: concurrency slot, circuit breaker,
 * retries with backoff (Retry-After honoured) bounded by attempts and the caller's deadline. */
#ifndef CAR_EXCHANGE_H
#define CAR_EXCHANGE_H

#include "car.h"

/* resp is the final response (any HTTP status, borrowed for the call) or NULL when none came:
 * then st says why (OI_CARRIER_UNAVAILABLE: breaker open, queue full, deadline, transport). */
typedef void (*car_exchange_cb)(const car_http_resp_t *resp, oi_status_t st, const char *why, void *ud);

/* Everything in req is copied. retry=false for non-idempotent requests (a purchase POST): a
 * transient failure is reported at once so the caller can look the number up first. The cb
 * never runs from inside car_exchange_start. */
void car_exchange_start(car_t *car, car_carrier_t *cc, const car_http_req_t *req, bool retry, int64_t deadline_ms,
                        car_exchange_cb cb, void *ud);

#endif
