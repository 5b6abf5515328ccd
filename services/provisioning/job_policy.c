/* job_policy.c: job states, transitions, transient/permanent errors and backoff. */
#include "job_policy.h"

#include <string.h>

#include "oi/proto_enum.h"

static const char *const state_names[PROV_JOB_STATE__COUNT] = {"queued", "running", "succeeded", "failed",
                                                               "cancelled"};
static const char *const kind_names[PROV_KIND__COUNT] = {"register", "purchase", "update_routing", "delete"};

static const char *const lane_names[PROV_LANE__COUNT] = {"local", "twilio", "telnyx"};

const char *prov_lane_name(prov_lane_t l)
{
    if ((int)l < 0 || l >= PROV_LANE__COUNT)
        return "local";
    return lane_names[l];
}

bool prov_lane_parse(const char *s, prov_lane_t *out)
{
    for (int i = 0; s && i < PROV_LANE__COUNT; i++) {
        if (strcmp(s, lane_names[i]) == 0) {
            *out = (prov_lane_t)i;
            return true;
        }
    }
    return false;
}

prov_lane_t prov_lane_of_provider(const char *provider)
{
    prov_lane_t l = PROV_LANE_LOCAL;
    if (!prov_lane_parse(provider, &l))
        return PROV_LANE_LOCAL;
    return l;
}

const char *prov_job_state_name(prov_job_state_t s)
{
    if ((int)s < 0 || s >= PROV_JOB_STATE__COUNT)
        return "unknown";
    return state_names[s];
}

const char *prov_job_kind_name(prov_job_kind_t k)
{
    if ((int)k < 0 || k >= PROV_KIND__COUNT)
        return "unknown";
    return kind_names[k];
}

bool prov_job_state_parse(const char *s, prov_job_state_t *out)
{
    for (int i = 0; s && i < PROV_JOB_STATE__COUNT; i++) {
        if (strcmp(s, state_names[i]) == 0) {
            *out = (prov_job_state_t)i;
            return true;
        }
    }
    return false;
}

bool prov_job_kind_parse(const char *s, prov_job_kind_t *out)
{
    for (int i = 0; s && i < PROV_KIND__COUNT; i++) {
        if (strcmp(s, kind_names[i]) == 0) {
            *out = (prov_job_kind_t)i;
            return true;
        }
    }
    return false;
}

bool prov_job_state_terminal(prov_job_state_t s)
{
    return s == PROV_JOB_SUCCEEDED || s == PROV_JOB_FAILED || s == PROV_JOB_CANCELLED;
}

bool prov_job_transition_valid(prov_job_state_t from, prov_job_state_t to)
{
    switch (from) {
    case PROV_JOB_QUEUED:
        return to == PROV_JOB_RUNNING || to == PROV_JOB_CANCELLED;
    case PROV_JOB_RUNNING:
        return to == PROV_JOB_QUEUED || to == PROV_JOB_RUNNING || to == PROV_JOB_SUCCEEDED ||
               to == PROV_JOB_FAILED || to == PROV_JOB_CANCELLED;
    case PROV_JOB_FAILED:
        return to == PROV_JOB_QUEUED;
    default:
        return false;
    }
}

bool prov_status_transient(oi_status_t s)
{
    switch (s) {
    case OI_UNAVAILABLE:
    case OI_TIMEOUT:
    case OI_DB_UNAVAILABLE:
    case OI_CARRIER_UNAVAILABLE:
    case OI_CARRIER_RATE_LIMITED:
    case OI_RATE_LIMITED:
    case OI_DRAINING:
        return true;
    default:
        return false;
    }
}

int64_t prov_job_backoff_ms(int attempts, int64_t base_ms, int64_t cap_ms, int64_t jitter_ms, uint32_t r)
{
    if (attempts < 1)
        attempts = 1;
    int64_t d = base_ms > 0 ? base_ms : 1;
    for (int i = 1; i < attempts && d < cap_ms; i++)
        d *= 2;
    if (d > cap_ms)
        d = cap_ms;
    if (jitter_ms > 0)
        d += (int64_t)(r % (uint32_t)jitter_ms);
    return d;
}

prov_fail_action_t prov_job_on_failure(oi_status_t s, int attempts, int max_attempts)
{
    if (!prov_status_transient(s))
        return PROV_FAIL_GIVE_UP;
    return attempts < max_attempts ? PROV_FAIL_RETRY : PROV_FAIL_GIVE_UP;
}

/* Our enums list the states and kinds in the contract's order, one after its 0 (unspecified). */
_Static_assert((int)ONEINBOX__V1__JOB_STATE__JOB_STATE_CANCELLED == (int)PROV_JOB_CANCELLED + 1, "job states");
_Static_assert((int)ONEINBOX__V1__JOB_KIND__JOB_KIND_DELETE == (int)PROV_KIND_DELETE + 1, "job kinds");

Oneinbox__V1__JobState prov_job_state_proto(prov_job_state_t s)
{
    return (int)s >= 0 && s < PROV_JOB_STATE__COUNT ? (Oneinbox__V1__JobState)(s + 1)
                                                    : ONEINBOX__V1__JOB_STATE__JOB_STATE_UNSPECIFIED;
}

Oneinbox__V1__JobKind prov_job_kind_proto(prov_job_kind_t k)
{
    return (int)k >= 0 && k < PROV_KIND__COUNT ? (Oneinbox__V1__JobKind)(k + 1) : ONEINBOX__V1__JOB_KIND__JOB_KIND_UNSPECIFIED;
}

bool prov_job_state_from_proto(Oneinbox__V1__JobState s, prov_job_state_t *out)
{
    if ((int)s < 1 || (int)s > PROV_JOB_STATE__COUNT)
        return false;
    *out = (prov_job_state_t)(s - 1);
    return true;
}

bool prov_job_kind_from_proto(Oneinbox__V1__JobKind k, prov_job_kind_t *out)
{
    if ((int)k < 1 || (int)k > PROV_KIND__COUNT)
        return false;
    *out = (prov_job_kind_t)(k - 1);
    return true;
}

const char *prov_provider_name(Oneinbox__V1__Provider p)
{
    return oi_enum_str(&oneinbox__v1__provider__descriptor, (int)p);
}

Oneinbox__V1__Provider prov_provider_parse(const char *name)
{
    int v = ONEINBOX__V1__PROVIDER__PROVIDER_UNSPECIFIED;
    oi_enum_parse(&oneinbox__v1__provider__descriptor, name, &v);
    return (Oneinbox__V1__Provider)v;
}
