/* policy.h: retry backoff, the circuit breaker and carrier error mapping (pure functions). */
#ifndef CAR_POLICY_H
#define CAR_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "oi/status.h"

/* Retry delay after failed attempt `attempt` (1-based): base·2^(attempt-1) capped at cap, with
 * "equal jitter" from rnd (half fixed, half random); a Retry-After (seconds, ≥ 0) wins when
 * larger. */
int64_t car_backoff_ms(int attempt, int64_t base_ms, int64_t cap_ms, int retry_after_s, uint32_t rnd);

/* Whether an HTTP outcome is worth another attempt: no response, 408, 429, 5xx. */
bool car_http_transient(int status);

typedef enum { CAR_BREAKER_CLOSED = 0, CAR_BREAKER_OPEN, CAR_BREAKER_HALF_OPEN } car_breaker_state_t;

typedef struct {
    car_breaker_state_t state;
    int failures;          /* consecutive */
    int threshold;         /* failures that open it */
    int64_t cooldown_ms;   /* open → half-open after this */
    int64_t opened_at_ms;
    bool probe_inflight;   /* half-open lets one request through */
} car_breaker_t;

void car_breaker_init(car_breaker_t *b, int threshold, int64_t cooldown_ms);
/* May a request go now? Moves open → half-open after the cool-down (one probe at a time). */
bool car_breaker_allow(car_breaker_t *b, int64_t now_ms);
/* Outcome of an allowed request: success closes; a transient failure counts (and re-opens a
 * half-open breaker). Non-transient answers (4xx) count as successes: the carrier is up. */
void car_breaker_record(car_breaker_t *b, bool transient_failure, int64_t now_ms);

/* An allowed request ended without telling anything about the carrier (the caller's own deadline
 * cut it): a half-open breaker may let the next probe through. */
void car_breaker_release_probe(car_breaker_t *b);

/* Our status for a final HTTP failure (after retries): 401/403 auth, 429 rate limited, no
 * response/5xx unavailable, else CARRIER_ERROR. Carrier-specific codes are mapped by the
 * drivers first. */
oi_status_t car_status_for_http(int status);

#endif
