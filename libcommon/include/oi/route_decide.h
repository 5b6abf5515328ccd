/* decide.h: the routing decision (pure): a route snapshot, its parsed policy and the call.
 *
 * Order (issue-proof, see docs/routing.md): caller rules first (first match wins: reject, route
 * to an agent, or voicemail, at any hour), then the schedule (closed date, outside the open
 * windows: the after-hours action), then primary → fallback → fallbacks → voicemail. A step of
 * `fallbacks` is tried when the agent before it cannot take the call for one of its `on`
 * triggers (paused, deleted; error, busy and no_answer for an agent that failed earlier in the
 * same call); a step whose triggers do not include that one is skipped. */
#ifndef OI_ROUTE_DECIDE_H
#define OI_ROUTE_DECIDE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "oi/routing_policy.h"
#include "oneinbox/v1/dispatch.pb-c.h"
#include "oi/route.h"

/* What a policy's schedule answered for one UTC minute: every instant of the minute has the
 * same local minute and date (oi/tz.h), so the same answer. Kept beside a parsed policy by its
 * holder (oi/route_memo.h) and cleared with it; zeroed = nothing known. */
typedef struct {
    int64_t minute;              /* Unix minutes + 1 (0 = nothing known) */
    uint32_t key;                /* oi_route_decide_key's answer past the caller rules */
} oi_route_schedule_memo_t;

typedef struct {
    const char *const *failed;   /* agent ids reported failed for this call (borrowed) */
    size_t n_failed;
    const oi_policy_t *policy;   /* the route's parsed policy (borrowed), NULL = none */
    const char *from;            /* the caller as given ("" or NULL: withheld) */
    int64_t at_ms;               /* the moment decided for (Unix ms) */
    bool explain;                /* fill the trace */
    oi_route_schedule_memo_t *schedule_memo; /* oi_route_decide_key: read and kept (borrowed; NULL: none) */
} oi_route_call_t;

/* A new reply built from heap fields (free with protobuf_c_message_free_unpacked). reason is one
 * of "primary", "fallback_primary_paused", "fallback_primary_deleted", "fallback_primary_failed",
 * "voicemail_no_agent", "caller_rule", "after_hours", "closed_date", "rejected". */
Oneinbox__V1__ResolveReply *oi_route_decide(const oi_route_t *r, const oi_route_call_t *in);

/* Which branch a call takes through r's policy: 0 the usual chain, 1 + i caller rule i, or
 * OI_ROUTE_KEY_CLOSED_DATE / _AFTER_HOURS. Everything else in the reply follows from the route
 * alone, so (route, key) names the reply: replies can be kept per key. OI_ROUTE_KEY_NONE when
 * the reply depends on more (an explanation, failures of this call). Cheap: no allocation. */
#define OI_ROUTE_KEY_NONE UINT32_MAX
#define OI_ROUTE_KEY_CLOSED_DATE 1000u
#define OI_ROUTE_KEY_AFTER_HOURS 1001u
uint32_t oi_route_decide_key(const oi_route_t *r, const oi_route_call_t *in);

#endif
