/* submit.c: validation of register and purchase requests. */
#include "submit.h"

#include <string.h>

#include "oi/e164.h"
#include "oi/ids.h"

static oi_status_t invalid(oi_error_t *err, const char *loc, const char *msg)
{
    oi_error_set(err, OI_INVALID, "%s", msg);
    oi_error_set_loc(err, loc);
    return OI_INVALID;
}

static bool provider_ok(Oneinbox__V1__Provider p)
{
    return p == ONEINBOX__V1__PROVIDER__PROVIDER_TWILIO || p == ONEINBOX__V1__PROVIDER__PROVIDER_TELNYX;
}

static oi_status_t routing_ok(const Oneinbox__V1__InboundRouting *ir, oi_error_t *err)
{
    if (!ir)
        return OI_OK;
    if (!oi_uuid_valid(ir->agent_id))
        return invalid(err, "body.inbound_routing.agent_id", "agent_id must be a UUID");
    if (ir->fallback_agent_id && !oi_uuid_valid(ir->fallback_agent_id->value))
        return invalid(err, "body.inbound_routing.fallback.agent_id", "agent_id must be a UUID");
    return OI_OK;
}

static bool too_long(const Oneinbox__V1__OptString *o) { return o && strlen(o->value) > 255; }

oi_status_t prov_register_validate(const Oneinbox__V1__RegisterNumberRequest *r, oi_error_t *err)
{
    if (!oi_e164_valid(r->phone_number))
        return invalid(err, "body.phone_number", "phone_number must be E.164");
    if (!provider_ok(r->provider))
        return invalid(err, "body.provider", "provider must be twilio or telnyx");
    if (!oi_uuid_valid(r->agent_id))
        return invalid(err, "body.agent_id", "agent_id must be a UUID");
    if (r->credential_id && r->credential_id->value[0] && !oi_uuid_valid(r->credential_id->value))
        return invalid(err, "body.credential_id", "credential_id must be a UUID");
    const Oneinbox__V1__ProviderConfig *pc = r->provider_config;
    if (pc && (too_long(pc->trunk_address) || too_long(pc->auth_username) || too_long(pc->auth_password)))
        return invalid(err, "body.provider_config", "provider_config values are at most 255 characters");
    return routing_ok(r->inbound_routing, err);
}

oi_status_t prov_purchase_validate(const Oneinbox__V1__PurchaseNumberRequest *r, oi_error_t *err)
{
    if (r->phone_number && !oi_e164_valid(r->phone_number->value))
        return invalid(err, "body.phone_number", "phone_number must be E.164");
    if (strlen(r->country) != 2)
        return invalid(err, "body.country", "country must be an ISO 3166-1 alpha-2 code");
    if (r->area_code && strcmp(r->country, "US") != 0 && strcmp(r->country, "CA") != 0)
        return invalid(err, "body.area_code", "area_code is only supported for US and CA");
    if (!oi_uuid_valid(r->agent_id))
        return invalid(err, "body.agent_id", "agent_id must be a UUID");
    return routing_ok(r->inbound_routing, err);
}
