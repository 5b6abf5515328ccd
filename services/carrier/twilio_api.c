/* twilio_api.c: requests under the account on Twilio's 2010 API, and reading its lists; shared
 * by the numbers driver (twilio.c) and the trunk driver (twilio_trunk.c). */
#include <stdlib.h>
#include <string.h>

#include "drivers.h"
#include "oi/mem.h"

char *tw_api_url(const car_op_t *op, const char *path)
{
    char *acct = car_escape(op->account);
    char *url = oi_xasprintf("%s/2010-04-01/Accounts/%s%s", op->cc->api_base, acct, path);
    free(acct);
    return url;
}

void tw_send_api(car_op_t *op, const char *method, const char *path, const char *body, int next)
{
    char *url = tw_api_url(op, path);
    op->state = next;
    car_op_send(op, method, url, body, strcmp(method, "POST") != 0); /* creates are not retried blindly */
    free(url);
}

const char *tw_find_sid(const json_t *root, const char *list, const char *key, const char *value)
{
    const json_t *arr = json_object_get(root, list);
    for (size_t i = 0; i < json_array_size(arr); i++) {
        const json_t *e = json_array_get(arr, i);
        const char *v = json_string_value(json_object_get(e, key));
        if (v && strcmp(v, value) == 0)
            return json_string_value(json_object_get(e, "sid"));
    }
    return NULL;
}

const char *tw_next_page(const json_t *root, const char *resource)
{
    const char *next = json_string_value(json_object_get(root, "next_page_uri"));
    return next ? strstr(next, resource) : NULL;
}
