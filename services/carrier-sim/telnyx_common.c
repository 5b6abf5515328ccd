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

bool sim_tx_int_param(const sim_req_t *rq, const char *name, long min, long max, long def, long *val,
                      sim_reply_t *out)
{
    if (sim_params_long(rq->params, name, min, max, def, val))
        return true;
    char detail[128];
    snprintf(detail, sizeof detail, "%s must be an integer between %ld and %ld.", name, min, max);
    sim_reply_telnyx_error(out, 400, "10015", "Bad Request", detail, NULL, name);
    return false;
}

bool sim_tx_page_params(const sim_req_t *rq, long *page, long *size, sim_reply_t *out)
{
    return sim_tx_int_param(rq, "page[number]", 1, 1000000, 1, page, out) &&
           sim_tx_int_param(rq, "page[size]", 1, 250, 20, size, out);
}

bool sim_tx_page_wants(long page, long size, size_t index)
{
    size_t from = (size_t)(page - 1) * (size_t)size;
    return index >= from && index < from + (size_t)size;
}

void sim_tx_page_reply(sim_reply_t *out, json_t *data, long page, long size, size_t total)
{
    json_int_t pages = (json_int_t)((total + (size_t)size - 1) / (size_t)size);
    sim_reply_json(out, 200,
                   json_pack("{s:o, s:{s:I, s:I, s:I, s:I}}", "data", data, "meta", "page_number", (json_int_t)page,
                             "page_size", (json_int_t)size, "total_pages", pages, "total_results", (json_int_t)total));
}
