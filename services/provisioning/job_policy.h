/* job_policy.h: the job state machine, error classification and retry backoff (pure). */
#ifndef PROV_JOB_POLICY_H
#define PROV_JOB_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "oi/status.h"
#include "oneinbox/v1/provisioning.pb-c.h"

typedef enum {
    PROV_JOB_QUEUED = 0,
    PROV_JOB_RUNNING,
    PROV_JOB_SUCCEEDED,
    PROV_JOB_FAILED,
    PROV_JOB_CANCELLED,
    PROV_JOB_STATE__COUNT
} prov_job_state_t;

typedef enum {
    PROV_KIND_REGISTER = 0,
    PROV_KIND_PURCHASE,
    PROV_KIND_UPDATE,
    PROV_KIND_DELETE,
    PROV_KIND__COUNT
} prov_job_kind_t;

/* Where a job runs: its own concurrency per lane, so jobs waiting on a carrier never hold up
 * local ones (registrations, PATCH, deletes of registered numbers) or the other carrier's. */
typedef enum { PROV_LANE_LOCAL = 0, PROV_LANE_TWILIO, PROV_LANE_TELNYX, PROV_LANE__COUNT } prov_lane_t;

const char *prov_lane_name(prov_lane_t l);                /* "local" | "twilio" | "telnyx" */
bool prov_lane_parse(const char *s, prov_lane_t *out);    /* false when unknown */
/* The lane of a carrier-bound job on provider ("twilio"/"telnyx"); local for anything else. */
prov_lane_t prov_lane_of_provider(const char *provider);

/* The proto enums of the contract for our own (0 = unspecified when out of range). */
Oneinbox__V1__JobState prov_job_state_proto(prov_job_state_t s);
Oneinbox__V1__JobKind prov_job_kind_proto(prov_job_kind_t k);
bool prov_job_state_from_proto(Oneinbox__V1__JobState s, prov_job_state_t *out);
bool prov_job_kind_from_proto(Oneinbox__V1__JobKind k, prov_job_kind_t *out);
/* A provider's name as stored ("twilio"), and back (unspecified when unknown). */
const char *prov_provider_name(Oneinbox__V1__Provider p);
Oneinbox__V1__Provider prov_provider_parse(const char *name);

/* Static names ("queued", "update_routing"); "unknown" when out of range. */
const char *prov_job_state_name(prov_job_state_t s);
const char *prov_job_kind_name(prov_job_kind_t k);
/* Parses a name; false when unknown (s may be NULL). */
bool prov_job_state_parse(const char *s, prov_job_state_t *out);
bool prov_job_kind_parse(const char *s, prov_job_kind_t *out);

/* true for succeeded, failed, cancelled. */
bool prov_job_state_terminal(prov_job_state_t s);
/* Allowed transitions:
 *   queued → running | cancelled;  running → queued (retry later, lease lost) | running (resume
 *   after an expired lease) | succeeded | failed | cancelled (a cancel, once its compensation ran);
 *   failed → queued (ops retry). */
bool prov_job_transition_valid(prov_job_state_t from, prov_job_state_t to);

/* Transient failures are retried with backoff (unavailable, timeouts, database down, carrier
 * unavailable or rate-limited); everything else is permanent: compensate and fail at once. */
bool prov_status_transient(oi_status_t s);

/* Delay before attempt number `attempts + 1` after `attempts` failed ones (1-based):
 * base_ms * 2^(attempts-1), capped at cap_ms, plus jitter in [0, jitter_ms) taken from r. */
int64_t prov_job_backoff_ms(int attempts, int64_t base_ms, int64_t cap_ms, int64_t jitter_ms, uint32_t r);

/* What to do after a step failed with status s on attempt `attempts` of max_attempts. */
typedef enum { PROV_FAIL_RETRY = 0, PROV_FAIL_GIVE_UP } prov_fail_action_t;
prov_fail_action_t prov_job_on_failure(oi_status_t s, int attempts, int max_attempts);

#endif
