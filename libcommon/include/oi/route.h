/* oi/route.h: a number's routing snapshot and its cached form (the decision made from it:
 * oi/route_decide.h).
 *
 * A route snapshot is everything a routing decision needs about one phone number: the dispatch
 * rule, its policy, and the state of every agent they name. It is what the Redis cache and the
 * near caches (oi-dispatch's, the gateway's) store; per-call failures (ReportFailure) are applied
 * after the cache, in oi_route_decide, so they never poison the shared entry. */
#ifndef OI_ROUTE_H
#define OI_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "oi/status.h"
#include "oneinbox/v1/dispatch.pb-c.h"

#define OI_ROUTE_ID_MAX 37 /* canonical UUID + NUL */

typedef struct {
    bool present;     /* a row exists in the rule's workspace (deleted or not) */
    bool deleted;     /* soft-deleted */
    bool active;      /* status == "active" */
    char *voicemail;  /* owned; the agent's default voicemail, NULL = none */
} oi_agent_state_t;

typedef struct {
    char id[OI_ROUTE_ID_MAX];
    oi_agent_state_t state;
} oi_policy_agent_t;

typedef struct {
    char *rule_id;           /* owned, never NULL after load/decode */
    char *workspace_id;      /* owned */
    char *number_id;         /* owned */
    char *inbound_trunk_id;  /* owned ("" when none) */
    char *provider;          /* owned; the inbound trunk's carrier ("" when unknown) */
    char *agent_id;          /* owned: the primary agent */
    char *fallback_agent_id; /* owned, NULL = no fallback configured */
    char *voicemail;         /* owned, the rule's (number's) voicemail, NULL = none */
    oi_agent_state_t primary;
    oi_agent_state_t fallback;
    long long version;       /* the number's version (0 when unknown) */
    char *policy_json;       /* owned; the canonical routing policy, NULL = none */
    oi_policy_agent_t *policy_agents; /* owned: the state of every agent the policy names (found) */
    size_t n_policy_agents;
} oi_route_t;

/* Frees every owned field and zeroes r. NULL-safe. */
void oi_route_cleanup(oi_route_t *r);
/* Deep copy of src into dst (dst is overwritten, not cleaned). */
void oi_route_copy(oi_route_t *dst, const oi_route_t *src);

/* The state of a policy agent by id (NULL when the snapshot has none: unknown or never found). */
const oi_agent_state_t *oi_route_policy_agent(const oi_route_t *r, const char *id);

/* Cache codec: "DR3" + four length-prefixed protobuf messages (a ResolveReply carrying the
 * rule fields with the cache tag in `reason`, then the primary and fallback Agent, empty when
 * the agent row is absent; a soft-deleted agent has status AGENT_STATUS_DELETED; then a
 * RoutePolicy: version, policy JSON and policy agents). Returns a new buffer. */
uint8_t *oi_route_encode(const oi_route_t *r, const char *tag, size_t *len);
/* Whether data is an encoded snapshot (its magic), not some other value kept beside them. */
bool oi_route_is_snapshot(const void *data, size_t len);
/* Decodes into out (cleaned first by the caller) and returns the tag as a new string in *tag.
 * OI_BAD_REQUEST on anything malformed; out is then left clean. */
oi_status_t oi_route_decode(const uint8_t *data, size_t len, oi_route_t *out, char **tag);

/* Parses the failure list kept per call ("id,id,..."): stores up to max canonical UUIDs in
 * ids, ignores malformed items and duplicates. Returns how many were stored. */
size_t oi_route_failures_parse(const char *s, size_t len, char (*ids)[OI_ROUTE_ID_MAX], size_t max);

#endif
