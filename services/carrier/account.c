/* account.c: ListNumbers, one page of what the platform's account holds, for both carriers.
 *
 * Twilio pages with next_page_uri (PageSize 1000); the token is that path, and only a path of
 * the number list is taken back, so a token can never point a request elsewhere. Telnyx pages by
 * number (page[size] 250, meta.total_pages); the token is the next page's number. */
#include <stdlib.h>
#include <string.h>

#include "drivers.h"
#include "oi/mem.h"
#include "wire.h"

#define TW_LIST "/IncomingPhoneNumbers.json"
#define TX_PAGE_SIZE 250

#define AREQ(op) ((const Oneinbox__V1__CarrierAccountRequest *)(op)->req)

static void reply_page(car_op_t *op, Oneinbox__V1__CarrierOwnedNumber **numbers, size_t n, const char *next)
{
    Oneinbox__V1__CarrierNumberPage page = ONEINBOX__V1__CARRIER_NUMBER_PAGE__INIT;
    page.provider = op->cc->provider;
    page.numbers = numbers;
    page.n_numbers = n;
    page.next_page_token = (char *)(next ? next : "");
    car_op_done(op, &page.base);
}

static const char *str(const json_t *o, const char *key)
{
    const char *v = json_string_value(json_object_get(o, key));
    return v ? v : "";
}

/* The page's numbers (views into list, valid while it lives), then the reply. */
static void reply_list(car_op_t *op, const json_t *list, const char *id_key, const char *trunk_key, const char *next)
{
    size_t n = json_array_size(list);
    Oneinbox__V1__CarrierOwnedNumber *rows = oi_xcalloc(n ? n : 1, sizeof *rows);
    Oneinbox__V1__CarrierOwnedNumber **ptrs = oi_xcalloc(n ? n : 1, sizeof *ptrs);
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get(list, i);
        oneinbox__v1__carrier_owned_number__init(&rows[i]);
        rows[i].phone_number = (char *)str(e, "phone_number");
        rows[i].carrier_number_id = (char *)str(e, id_key);
        rows[i].trunk_id = (char *)str(e, trunk_key);
        ptrs[i] = &rows[i];
    }
    reply_page(op, ptrs, n, next);
    free(ptrs);
    free(rows);
}

CAR_STEP(tw_list_numbers)
{
    const char *token = AREQ(op)->page_token;
    if (op->state == 0) {
        if (token[0] && strncmp(token, TW_LIST "?", strlen(TW_LIST) + 1) != 0) {
            car_op_fail(op, OI_INVALID, "page_token is not one of this list's pages");
            return;
        }
        tw_send_api(op, "GET", token[0] ? token : TW_LIST "?PageSize=1000", NULL, 1);
        return;
    }
    if (!car_ok(resp)) {
        car_op_fail_http(op, resp, st, why, tw_error_map);
        return;
    }
    json_t *root = car_json(resp);
    const json_t *list = json_object_get(root, "incoming_phone_numbers");
    if (!json_is_array(list))
        car_op_fail(op, OI_CARRIER_ERROR, "twilio sent an unreadable number list");
    else
        reply_list(op, list, "sid", "trunk_sid", tw_next_page(root, TW_LIST));
    json_decref(root);
}

CAR_STEP(tx_list_numbers)
{
    const char *token = AREQ(op)->page_token;
    long page = 1;
    if (token[0]) {
        char *end = NULL;
        page = strtol(token, &end, 10);
        if (*end || page < 1 || page > 1000000) {
            car_op_fail(op, OI_INVALID, "page_token is not one of this list's pages");
            return;
        }
    }
    if (op->state == 0) {
        char *path = oi_xasprintf("/phone_numbers?page[number]=%ld&page[size]=%d", page, TX_PAGE_SIZE);
        tx_send(op, "GET", path, NULL, true, 1);
        free(path);
        return;
    }
    if (!car_ok(resp)) {
        car_op_fail_http(op, resp, st, why, tx_error_map);
        return;
    }
    json_t *root = car_json(resp);
    const json_t *list = json_object_get(root, "data");
    json_int_t pages = json_integer_value(json_object_get(json_object_get(root, "meta"), "total_pages"));
    char next[24] = "";
    if (page < pages)
        snprintf(next, sizeof next, "%ld", page + 1);
    if (!json_is_array(list))
        car_op_fail(op, OI_CARRIER_ERROR, "telnyx sent an unreadable number list");
    else
        reply_list(op, list, "id", "connection_id", next);
    json_decref(root);
}
