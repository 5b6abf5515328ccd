/* render.h: protobuf messages → the API's JSON shapes (new references, caller owns). */
#ifndef GW_RENDER_H
#define GW_RENDER_H

#include <jansson.h>

#include "oi/routing_policy.h"
#include "oneinbox/v1/carrier.pb-c.h"
#include "oneinbox/v1/dispatch.pb-c.h"
#include "oneinbox/v1/provisioning.pb-c.h"

/* The routing policy members one request has rendered, as text and parsed value: a PATCH
 * renders its number before and after, which mostly carry the same members, and each is then
 * parsed once. Owned by its request (zeroed, then gw_render_memo_cleanup); the values are shared
 * by the documents rendered with it, which only read them. */
typedef struct {
    char *text[OI_POLICY__MEMBERS];   /* owned, per policy member */
    json_t *value[OI_POLICY__MEMBERS]; /* owned reference */
} gw_render_memo_t;

void gw_render_memo_cleanup(gw_render_memo_t *m);

/* PhoneNumberResponse: every required field present, null where empty. */
json_t *gw_render_number(const Oneinbox__V1__PhoneNumber *n);
/* The same, its policy members parsed through memo (NULL: parsed here). */
json_t *gw_render_number_in(const Oneinbox__V1__PhoneNumber *n, gw_render_memo_t *memo);
json_t *gw_render_agent(const Oneinbox__V1__Agent *a);
/* Integration without secrets: metadata keys that look secret are dropped. */
json_t *gw_render_integration(const Oneinbox__V1__Integration *i);
json_t *gw_render_job(const Oneinbox__V1__Job *j);
json_t *gw_render_available(const Oneinbox__V1__AvailableNumber *a);
json_t *gw_render_resolve(const Oneinbox__V1__ResolveReply *r);
/* The resolve answer's JSON text (heap, *len): an oi_route_render_fn. */
uint8_t *gw_render_resolve_body(const Oneinbox__V1__ResolveReply *r, size_t *len);
/* The same decision as application/x-www-form-urlencoded text (heap, *len), for a SIP edge that
 * reads a member with a string transformation instead of a JSON parser: its scalar members in
 * the JSON's order, a null one left out, no steps (an edge re-resolves with its call id after a
 * failed step). An oi_route_render_fn. */
uint8_t *gw_render_resolve_form(const Oneinbox__V1__ResolveReply *r, size_t *len);
/* The explain trace of a decision: [{"check", "matched", "detail"}]. */
json_t *gw_render_trace(const Oneinbox__V1__ResolveReply *r);
/* The one answer that carries a secret in clear (the trunk's SIP password): internal only. */
json_t *gw_render_outbound(const Oneinbox__V1__OutboundRouteReply *r);
/* json_string or json_null for NULL. */
json_t *gw_json_str_or_null(const char *s);

#endif
