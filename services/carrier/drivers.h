/* drivers.h: the step functions of each operation, per carrier. */
#ifndef CAR_DRIVERS_H
#define CAR_DRIVERS_H

#include "oneinbox/v1/carrier.pb-c.h"
#include "op.h"

#define CAR_STEP(name) void name(car_op_t *op, const car_http_resp_t *resp, oi_status_t st, const char *why)

CAR_STEP(tw_search);
CAR_STEP(tw_purchase);
CAR_STEP(tw_lookup);
CAR_STEP(tw_release);
CAR_STEP(tw_ensure_trunk);
CAR_STEP(tw_delete_trunk);
CAR_STEP(tw_list_numbers);
CAR_STEP(tw_list_origination);

CAR_STEP(tx_search);
CAR_STEP(tx_purchase);
CAR_STEP(tx_lookup);
CAR_STEP(tx_release);
CAR_STEP(tx_ensure_trunk);
CAR_STEP(tx_delete_trunk);
CAR_STEP(tx_list_numbers);
CAR_STEP(tx_list_origination);

/* Twilio's 2010 API under the platform account (twilio_api.c): the URL of path
 * ("/SIP/CredentialLists.json"), a request to it moving to state next (a POST is not retried
 * blindly), a list member's sid by one of its fields, and the path of a list's next page from
 * resource on (NULL on the last). */
char *tw_api_url(const car_op_t *op, const char *path);
void tw_send_api(car_op_t *op, const char *method, const char *path, const char *body, int next);
const char *tw_find_sid(const json_t *root, const char *list, const char *key, const char *value);
const char *tw_next_page(const json_t *root, const char *resource);

/* Shared by both drivers. */
bool car_ok(const car_http_resp_t *resp); /* a 2xx answer */
/* Telnyx: sends api_base + path and moves to state next. */
void tx_send(car_op_t *op, const char *method, const char *path, const char *body, bool retry, int next);
/* Telnyx: GET /phone_numbers?filter[phone_number]=<digits of e164> (digits only, as Telnyx wants). */
void tx_find_number(car_op_t *op, const char *e164, int next);
void car_reply_empty(car_op_t *op);
/* trunk_address: where outbound calls go ("" for a lookup). */
void car_reply_trunk(car_op_t *op, const char *trunk_id, const char *trunk_address);
void car_reply_lookup(car_op_t *op, Oneinbox__V1__CarrierNumber *n /* owned, may be NULL */);
void car_reply_number(car_op_t *op, Oneinbox__V1__CarrierNumber *n /* owned */);
void car_reply_search(car_op_t *op, const car_http_resp_t *resp,
                      Oneinbox__V1__CarrierSearchReply *(*parse)(const json_t *));
/* Splits OI_SIP_INGRESS_URI "sip:host[:port][;params]" into host and port (5060 default). */
bool car_ingress_parse(const char *uri, char *host, size_t n, int *port);

#endif
