/* policy.c: retry backoff, the circuit breaker and carrier error mapping. */
#include "policy.h"

int64_t car_backoff_ms(int attempt, int64_t base_ms, int64_t cap_ms, int retry_after_s, uint32_t rnd)
{
    if (attempt < 1)
        attempt = 1;
    int64_t d = base_ms;
    for (int i = 1; i < attempt && d < cap_ms; i++)
        d *= 2;
    if (d > cap_ms)
        d = cap_ms;
    int64_t half = d / 2;
    d = half + (half > 0 ? (int64_t)(rnd % (uint32_t)(half + 1)) : 0);
    if (retry_after_s >= 0 && (int64_t)retry_after_s * 1000 > d)
        d = (int64_t)retry_after_s * 1000;
    return d;
}

bool car_http_transient(int status)
{
    return status == 0 || status == 408 || status == 429 || status >= 500;
}

void car_breaker_init(car_breaker_t *b, int threshold, int64_t cooldown_ms)
{
    *b = (car_breaker_t){.state = CAR_BREAKER_CLOSED, .threshold = threshold, .cooldown_ms = cooldown_ms};
}

bool car_breaker_allow(car_breaker_t *b, int64_t now_ms)
{
    switch (b->state) {
    case CAR_BREAKER_CLOSED:
        return true;
    case CAR_BREAKER_OPEN:
        if (now_ms - b->opened_at_ms < b->cooldown_ms)
            return false;
        b->state = CAR_BREAKER_HALF_OPEN;
        b->probe_inflight = true;
        return true;
    case CAR_BREAKER_HALF_OPEN:
        if (b->probe_inflight)
            return false;
        b->probe_inflight = true;
        return true;
    }
    return false;
}

void car_breaker_record(car_breaker_t *b, bool transient_failure, int64_t now_ms)
{
    if (!transient_failure) {
        b->state = CAR_BREAKER_CLOSED;
        b->failures = 0;
        b->probe_inflight = false;
        return;
    }
    b->failures++;
    if (b->state == CAR_BREAKER_HALF_OPEN || b->failures >= b->threshold) {
        b->state = CAR_BREAKER_OPEN;
        b->opened_at_ms = now_ms;
        b->probe_inflight = false;
    }
}

void car_breaker_release_probe(car_breaker_t *b) { b->probe_inflight = false; }

oi_status_t car_status_for_http(int status)
{
    if (status == 401 || status == 403)
        return OI_CARRIER_AUTH_FAILED;
    if (status == 429)
        return OI_CARRIER_RATE_LIMITED;
    if (status == 0 || status == 408 || status >= 500)
        return OI_CARRIER_UNAVAILABLE;
    return OI_CARRIER_ERROR;
}
