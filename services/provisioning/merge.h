/* merge.h: PATCH /v1/phone-numbers/{id} merge rules (pure; the seed's text to the letter).
 *
 *  - unset fields are kept; friendly_name set → replaced (null clears);
 *  - agent_id set → the column changes (null/absent = keep);
 *  - "inbound_routing": null → outbound-only (routing absent);
 *  - inbound_routing object → merged into the existing routing: unset fields preserved, explicit
 *    null fallback clears it, voicemail null clears it; agent_id omitted keeps the current routing
 *    agent or, when the number had no routing, the number's column agent_id after this patch;
 *    a policy member (fallbacks, schedule, caller_rules) given replaces the old one as a whole,
 *    null clears it, absent keeps it; the agents of a member given must exist. */
#ifndef PROV_MERGE_H
#define PROV_MERGE_H

#include <stdbool.h>

#include "oi/status.h"
#include "oneinbox/v1/provisioning.pb-c.h"
#include "routing.h"

#define PROV_MERGE_MAX_CHECKS (3 + OI_POLICY_AGENTS_MAX)

typedef struct {
    bool friendly_name_set;
    char *friendly_name;       /* owned; with friendly_name_set: NULL clears */
    char *agent_id;            /* owned; the column after the patch */
    prov_routing_t routing;    /* the routing after the patch */
    bool routing_changed;
    /* agent ids new or changed by this patch (must exist), with the request field naming each.
     * Pointers borrowed from this struct's own strings. */
    const char *check_ids[PROV_MERGE_MAX_CHECKS];
    const char *check_fields[PROV_MERGE_MAX_CHECKS];
    int n_check;
    char policy_ids[OI_POLICY_AGENTS_MAX][37];  /* the agents of the policy members this patch sets */
    char policy_fields[OI_POLICY_AGENTS_MAX][64];
} prov_merge_t;

/* Computes the patched state of a number whose column agent is cur_agent_id and whose routing
 * is cur_routing. OI_INVALID (err->loc set) on contradictory or malformed input. out must be
 * cleaned with prov_merge_cleanup on every path. */
oi_status_t prov_merge_apply(const char *cur_agent_id, const prov_routing_t *cur_routing,
                             const Oneinbox__V1__UpdateNumberRequest *req, prov_merge_t *out, oi_error_t *err);
void prov_merge_cleanup(prov_merge_t *m);

#endif
