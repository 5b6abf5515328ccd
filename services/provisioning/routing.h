/* routing.h: a number's inbound routing (agent, fallback agent, voicemail) and its JSON form.
 *
 * The JSON stored in phone_numbers.inbound_routing is the API's output shape:
 *   {"agent_id": "…", "fallback": {"agent_id": "…"} | null, "voicemail_message": "…" | null}
 * plus the policy members that are set ("fallbacks", "schedule", "caller_rules": canonical JSON,
 * oi/routing_policy.h), absent when unset. */
#ifndef PROV_ROUTING_H
#define PROV_ROUTING_H

#include <jansson.h>
#include <stdbool.h>

#include "oi/routing_policy.h"
#include "oi/status.h"
#include "oneinbox/v1/provisioning.pb-c.h"

typedef struct {
    bool present;              /* false: outbound-only number */
    char *agent_id;            /* owned */
    char *fallback_agent_id;   /* owned; NULL = none */
    char *voicemail_message;   /* owned; NULL = none */
    char *policy[OI_POLICY__MEMBERS]; /* owned canonical JSON per member; NULL = unset */
} prov_routing_t;

void prov_routing_cleanup(prov_routing_t *r);
/* Deep copy into out (out is overwritten, not cleaned). */
void prov_routing_copy(prov_routing_t *out, const prov_routing_t *in);
/* text as canonical JSON (compact, as json_dumps writes it), heap; NULL when it is not JSON.
 * Every policy member enters a prov_routing_t this way (or from the stored JSON), so the JSON
 * forms below copy members instead of parsing them again. */
char *prov_routing_member_canonical(const char *text);
/* From a request's InboundRouting (NULL → absent); a member that is not JSON is left unset. */
void prov_routing_from_proto(prov_routing_t *out, const Oneinbox__V1__InboundRouting *in);
/* From the stored JSON text (NULL → absent). OI_INTERNAL on malformed JSON. */
oi_status_t prov_routing_from_json_text(prov_routing_t *out, const char *text, oi_error_t *err);
/* Compact JSON text as stored (heap, caller frees), or NULL when absent. */
char *prov_routing_to_json_text(const prov_routing_t *r);
/* New heap-built InboundRouting (free with the parent message), or NULL when absent. */
Oneinbox__V1__InboundRouting *prov_routing_to_proto(const prov_routing_t *r);
/* {"fallbacks": …, "schedule": …, "caller_rules": …} with the members set (heap), or NULL when
 * the routing has no policy. */
char *prov_routing_policy_json(const prov_routing_t *r);
/* Field-by-field equality (NULLs equal). */
bool prov_routing_equal(const prov_routing_t *a, const prov_routing_t *b);

#endif
