/* faults.h: injected faults, per route name.
 *
 * A fault (POST /sim/faults) applies to the next `count` calls of a route (-1 = until cleared).
 * Route names are those of the route table (route.h: "twilio.buy", "telnyx.order", …), a
 * carrier wildcard ("twilio.*", "telnyx.*") or "*" (every carrier route; never the admin API).
 * Effects, combinable: `latency_ms` delays the answer (uv_timer, never blocking); `status`
 * answers that HTTP status with the carrier's error body (or `body`, when given: a JSON object
 * is sent verbatim, a string becomes the error message), with Retry-After when `retry_after` > 0;
 * `timeout` never answers (the request is held until the client leaves, at most 60 s);
 * `pending_seconds` leaves a Telnyx number order pending that long (route telnyx.order).
 * The first matching fault, in insertion order, is the one applied. Loop thread only. */
#ifndef SIM_FAULTS_H
#define SIM_FAULTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIM_FAULTS_MAX 64
#define SIM_ROUTE_NAME_MAX 64
#define SIM_FAULT_TIMEOUT_HOLD_MS 60000

typedef struct {
    char route[SIM_ROUTE_NAME_MAX];
    int status;           /* 0 = no error answer */
    int count;            /* remaining calls; -1 = until cleared */
    uint32_t latency_ms;
    bool timeout;
    int retry_after;      /* seconds; 0 = no header */
    int pending_seconds;
    json_t *body;         /* owned; NULL = the carrier's default error body */
} sim_fault_t;

typedef struct {
    sim_fault_t items[SIM_FAULTS_MAX];
    size_t n;
} sim_faults_t;

/* Validates a POST /sim/faults object into out (zeroed first). false with a reason in why. */
bool sim_fault_parse(const json_t *obj, sim_fault_t *out, char *why, size_t n);
void sim_fault_cleanup(sim_fault_t *f);
/* Adds *f (moved in: f is zeroed). false when the table is full (f is then cleaned). */
bool sim_faults_add(sim_faults_t *fs, sim_fault_t *f);
/* Finds the first fault for route, consumes one call of it and copies it into out (out->body is
 * a new reference; clean out with sim_fault_cleanup). false when no fault applies. */
bool sim_faults_take(sim_faults_t *fs, const char *route, sim_fault_t *out);
void sim_faults_clear(sim_faults_t *fs);
/* Does fault route name pattern `pattern` cover route `route`? */
bool sim_fault_route_covers(const char *pattern, const char *route);
/* JSON array of the active faults (new reference). */
json_t *sim_faults_json(const sim_faults_t *fs);

#endif
