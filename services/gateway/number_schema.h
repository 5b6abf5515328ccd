/* number_schema.h: the seeds' request schemas for phone numbers, validated field by field
 * (every problem collected, FastAPI 422 locs) and turned into provisioning protos.
 *
 * The built messages borrow strings from the parsed body (json_t), which must outlive them;
 * the holder structs own everything else and need no cleanup but gw_*_msg_cleanup. */
#ifndef GW_NUMBER_SCHEMA_H
#define GW_NUMBER_SCHEMA_H

#include <jansson.h>
#include <stdbool.h>

#include "oi/validate.h"
#include "oneinbox/v1/provisioning.pb-c.h"

#define GW_OPT_SLOTS 16

typedef struct {
    Oneinbox__V1__OptString slots[GW_OPT_SLOTS];
    int n;
    char uuids[6][37];
    int nuuids;
    char *policy[3];  /* owned: canonical JSON of the routing policy members (oi/routing_policy.h) */
} gw_opts_t;

typedef struct {
    Oneinbox__V1__RegisterNumberRequest req;
    Oneinbox__V1__ProviderConfig pc;
    Oneinbox__V1__InboundRouting ir;
    gw_opts_t o;
    char *extra_json; /* owned */
} gw_register_msg_t;

typedef struct {
    Oneinbox__V1__PurchaseNumberRequest req;
    Oneinbox__V1__InboundRouting ir;
    gw_opts_t o;
    char country[3];
} gw_purchase_msg_t;

typedef struct {
    Oneinbox__V1__UpdateNumberRequest req;
    Oneinbox__V1__InboundRoutingUpdate iru;
    Oneinbox__V1__ProviderConfig pc;   /* provider_config: the SIP settings to rotate */
    gw_opts_t o;
} gw_update_msg_t;

/* Each returns true when body is valid (msg filled); false with the errors in v. */
bool gw_register_parse(oi_validation_t *v, json_t *body, gw_register_msg_t *msg);
void gw_register_msg_cleanup(gw_register_msg_t *msg);
bool gw_purchase_parse(oi_validation_t *v, json_t *body, gw_purchase_msg_t *msg);
void gw_purchase_msg_cleanup(gw_purchase_msg_t *msg);
bool gw_update_parse(oi_validation_t *v, json_t *body, gw_update_msg_t *msg);
void gw_update_msg_cleanup(gw_update_msg_t *msg);
/* Search query: country (2 letters, default US), area_code (US/CA only, 3 digits), contains,
 * limit 1..100 (default 20). Strings are copied into the fixed buffers. */
typedef struct {
    char country[3];
    char area_code[8];
    bool has_area_code;
    char contains[24];
    bool has_contains;
    long limit;
} gw_search_query_t;
bool gw_search_parse(oi_validation_t *v, const char *query, gw_search_query_t *q);

#endif
