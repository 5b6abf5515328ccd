/* rpc.c: the carrier.* methods: validate, then run the carrier's driver on the loop. */
#include "rpc.h"

#include <ctype.h>
#include <string.h>

#include "drivers.h"
#include "oi/e164.h"
#include "oneinbox/v1/carrier.pb-c.h"
#include "oneinbox/v1/envelope.pb-c.h"

static void reject(oi_rpc_call_t *call, const char *loc, const char *msg)
{
    oi_error_t err;
    oi_error_init(&err);
    oi_error_set(&err, OI_INVALID, "%s", msg);
    oi_error_set_loc(&err, loc);
    oi_rpc_call_reply(&call, OI_INVALID, &err, NULL);
}

static bool country_ok(const char *c)
{
    return c && strlen(c) == 2 && isupper((unsigned char)c[0]) && isupper((unsigned char)c[1]);
}

static void on_ping(oi_rpc_call_t *call, const oi_rpc_ctx_t *ctx, const ProtobufCMessage *req)
{
    (void)ctx;
    (void)req;
    Oneinbox__V1__Empty e = ONEINBOX__V1__EMPTY__INIT;
    oi_rpc_call_reply(&call, OI_OK, NULL, &e.base);
}

static void on_search(oi_rpc_call_t *call, const oi_rpc_ctx_t *ctx, const ProtobufCMessage *req)
{
    const Oneinbox__V1__CarrierSearchRequest *r = (const Oneinbox__V1__CarrierSearchRequest *)req;
    if (!country_ok(r->country))
        return reject(call, "country", "country must be an ISO 3166 alpha-2 code");
    if (r->limit < 0 || r->limit > 100)
        return reject(call, "limit", "limit must be between 1 and 100");
    car_op_start(ctx->ud, call, ctx, req, r->provider, "search", tw_search, tx_search);
}

static void on_purchase(oi_rpc_call_t *call, const oi_rpc_ctx_t *ctx, const ProtobufCMessage *req)
{
    const Oneinbox__V1__CarrierPurchaseRequest *r = (const Oneinbox__V1__CarrierPurchaseRequest *)req;
    if (!oi_e164_valid(r->phone_number))
        return reject(call, "phone_number", "phone_number must be E.164");
    car_op_start(ctx->ud, call, ctx, req, r->provider, "purchase", tw_purchase, tx_purchase);
}

static void on_lookup(oi_rpc_call_t *call, const oi_rpc_ctx_t *ctx, const ProtobufCMessage *req)
{
    const Oneinbox__V1__CarrierLookupRequest *r = (const Oneinbox__V1__CarrierLookupRequest *)req;
    if (!oi_e164_valid(r->phone_number))
        return reject(call, "phone_number", "phone_number must be E.164");
    car_op_start(ctx->ud, call, ctx, req, r->provider, "lookup", tw_lookup, tx_lookup);
}

static void on_release(oi_rpc_call_t *call, const oi_rpc_ctx_t *ctx, const ProtobufCMessage *req)
{
    const Oneinbox__V1__CarrierReleaseRequest *r = (const Oneinbox__V1__CarrierReleaseRequest *)req;
    if (!r->carrier_number_id[0] && !oi_e164_valid(r->phone_number))
        return reject(call, "phone_number", "carrier_number_id or an E.164 phone_number is required");
    car_op_start(ctx->ud, call, ctx, req, r->provider, "release", tw_release, tx_release);
}

static void on_ensure_trunk(oi_rpc_call_t *call, const oi_rpc_ctx_t *ctx, const ProtobufCMessage *req)
{
    const Oneinbox__V1__CarrierTrunkRequest *r = (const Oneinbox__V1__CarrierTrunkRequest *)req;
    size_t n = strlen(r->name);
    if (n == 0 || n > 64)
        return reject(call, "name", "name must be 1..64 characters");
    car_op_start(ctx->ud, call, ctx, req, r->provider, "ensure_trunk", tw_ensure_trunk, tx_ensure_trunk);
}

static void on_delete_trunk(oi_rpc_call_t *call, const oi_rpc_ctx_t *ctx, const ProtobufCMessage *req)
{
    const Oneinbox__V1__CarrierTrunkDeleteRequest *r = (const Oneinbox__V1__CarrierTrunkDeleteRequest *)req;
    car_op_start(ctx->ud, call, ctx, req, r->provider, "delete_trunk", tw_delete_trunk, tx_delete_trunk);
}

static void on_list_numbers(oi_rpc_call_t *call, const oi_rpc_ctx_t *ctx, const ProtobufCMessage *req)
{
    const Oneinbox__V1__CarrierAccountRequest *r = (const Oneinbox__V1__CarrierAccountRequest *)req;
    if (strlen(r->page_token) > 1024)
        return reject(call, "page_token", "page_token is too long");
    car_op_start(ctx->ud, call, ctx, req, r->provider, "list_numbers", tw_list_numbers, tx_list_numbers);
}

#define ORIGINATION_TRUNKS_MAX 50

static void on_list_origination(oi_rpc_call_t *call, const oi_rpc_ctx_t *ctx, const ProtobufCMessage *req)
{
    const Oneinbox__V1__CarrierOriginationRequest *r = (const Oneinbox__V1__CarrierOriginationRequest *)req;
    if (r->n_trunk_ids > ORIGINATION_TRUNKS_MAX)
        return reject(call, "trunk_ids", "at most 50 trunk_ids a call");
    for (size_t i = 0; i < r->n_trunk_ids; i++) {
        size_t n = strlen(r->trunk_ids[i]);
        if (n == 0 || n > 64)
            return reject(call, "trunk_ids", "a trunk id is 1..64 characters");
    }
    car_op_start(ctx->ud, call, ctx, req, r->provider, "list_origination", tw_list_origination, tx_list_origination);
}

/* one row per method of service Carrier (carrier.proto) */
static const oi_rpc_method_t methods[] = {
    {"Ping", NULL, on_ping},
    {"Search", NULL, on_search},
    {"Purchase", NULL, on_purchase},
    {"Lookup", NULL, on_lookup},
    {"Release", NULL, on_release},
    {"EnsureTrunk", NULL, on_ensure_trunk},
    {"DeleteTrunk", NULL, on_delete_trunk},
    {"ListNumbers", NULL, on_list_numbers},
    {"ListOrigination", NULL, on_list_origination},
};

const oi_rpc_method_t *car_methods(size_t *n)
{
    *n = sizeof methods / sizeof methods[0];
    return methods;
}
