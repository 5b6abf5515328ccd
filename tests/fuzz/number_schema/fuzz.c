/* Fuzzes the request validators: any bytes as a register, purchase and PATCH body. */
#include <stdint.h>
#include <stdlib.h>

#include "number_schema.h"
#include "oi/validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    oi_validation_t *v = oi_validation_new();
    json_t *body = oi_v_parse_body(v, (const char *)data, size);
    if (body) {
        gw_register_msg_t reg;
        gw_register_parse(v, body, &reg);
        gw_register_msg_cleanup(&reg);
        gw_purchase_msg_t pur;
        gw_purchase_parse(v, body, &pur);
        gw_purchase_msg_cleanup(&pur);
        gw_update_msg_t upd;
        gw_update_parse(v, body, &upd);
        gw_update_msg_cleanup(&upd);
        json_decref(body);
    }
    free(oi_validation_render(v));
    oi_validation_destroy(&v);
    gw_search_query_t q;
    char *query = malloc(size + 1);
    for (size_t i = 0; i < size; i++)
        query[i] = data[i] ? (char)data[i] : '&';
    query[size] = '\0';
    oi_validation_t *v2 = oi_validation_new();
    gw_search_parse(v2, query, &q);
    oi_validation_destroy(&v2);
    free(query);
    return 0;
}
