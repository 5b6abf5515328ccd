/* telnyx_common.c: helpers shared by the Telnyx handlers. */
#include "handlers.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

void sim_tx_bad_field(sim_reply_t *out, bool missing, const char *field, const char *detail)
{
    char pointer[96];
    snprintf(pointer, sizeof pointer, "/%s", field);
    sim_reply_telnyx_error(out, 422, missing ? "10004" : "10015",
                           missing ? "Missing required parameter" : "Bad Request", detail, pointer, NULL);
}

void sim_tx_not_found(sim_reply_t *out, const char *what)
{
    char detail[256];
    snprintf(detail, sizeof detail, "The requested %s could not be found.", what);
    sim_reply_telnyx_error(out, 404, "10005", "Resource not found", detail, NULL, NULL);
}

bool sim_tx_need_object(const sim_req_t *rq, sim_reply_t *out)
{
    if (json_is_object(rq->json))
        return true;
    sim_reply_telnyx_error(out, 400, "10015", "Bad Request", "The request body must be a JSON object.", NULL,
                           NULL);
    return false;
}

void sim_tx_data(sim_reply_t *out, int status, const json_t *obj)
{
    sim_reply_json(out, status, json_pack("{s:o}", "data", sim_public(obj)));
}

bool sim_digits(const char *s)
{
    if (!s || !*s)
        return false;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s))
            return false;
    return true;
}

void sim_tx_time(int64_t unix_ms, char *out, size_t n)
{
    time_t t = (time_t)(unix_ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(unix_ms % 1000) * 1000);
}
