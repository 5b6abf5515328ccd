/* wire.h: building carrier requests and reading carrier answers (pure; unit-tested with the
 * documented examples of spec/carriers.md). Returned strings and messages are heap-owned by
 * the caller (free / protobuf_c_message_free_unpacked). */
#ifndef CAR_WIRE_H
#define CAR_WIRE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "oi/status.h"
#include "oneinbox/v1/carrier.pb-c.h"

/* --- shared --- */
/* Case-insensitive member lookup (capabilities keys: "sms" / "SMS"). */
json_t *car_json_get_ci(const json_t *obj, const char *key);
/* Digits of an E.164 number without '+'. */
void car_digits(const char *e164, char *out, size_t n);
Oneinbox__V1__CarrierNumber *car_number_new(Oneinbox__V1__Provider provider);

/* --- Twilio --- */
/* Maps a Twilio error answer: 21421/21422 number not available, 21452 none found, else by HTTP
 * status. msg gets "code N: message". */
oi_status_t tw_error_map(int status, const char *body, char *msg, size_t n);
char *tw_search_url(const char *base, const char *sid, const char *country, const char *area_code,
                    const char *contains, int limit);
Oneinbox__V1__CarrierSearchReply *tw_parse_search(const json_t *root);
/* An IncomingPhoneNumber object → CarrierNumber (state active). NULL when it has no sid. */
Oneinbox__V1__CarrierNumber *tw_parse_number(const json_t *obj);
/* The first incoming_phone_numbers entry whose phone_number equals e164, or NULL. */
const json_t *tw_find_number(const json_t *root, const char *e164);

/* --- Telnyx --- */
/* Maps a Telnyx error answer ({"errors":[{code,title,detail}]}) by HTTP status. */
oi_status_t tx_error_map(int status, const char *body, char *msg, size_t n);
char *tx_search_url(const char *base, const char *country, const char *area_code, const char *contains, int limit);
Oneinbox__V1__CarrierSearchReply *tx_parse_search(const json_t *root);
/* The body of POST /number_orders for one number. */
char *tx_order_body(const char *e164, const char *reference);
/* Reads a number order: its id and status (pending|success|failure) into out buffers. */
bool tx_parse_order(const json_t *root, char *id, size_t idn, char *status, size_t stn);
/* The id of the owned number equal to e164 in a /phone_numbers list, or NULL (borrowed). */
const char *tx_find_number_id(const json_t *root, const char *e164);

/* An owned number (id) or, with order_id, one still being ordered (state "pending"). */
Oneinbox__V1__CarrierNumber *tx_number_new(const char *e164, const char *id, const char *order_id);

#endif
