/* reply.c: handler replies and the two carriers' error shapes. */
#include "reply.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "oi/mem.h"

void sim_reply_json(sim_reply_t *r, int status, json_t *body)
{
    json_decref(r->body);
    r->status = status;
    r->body = body;
}

void sim_reply_empty(sim_reply_t *r, int status) { sim_reply_json(r, status, NULL); }

void sim_reply_header(sim_reply_t *r, const char *name, const char *value)
{
    if (strpbrk(name, "\r\n") || strpbrk(value, "\r\n"))
        return;
    size_t used = strlen(r->headers);
    int w = snprintf(r->headers + used, sizeof r->headers - used, "%s: %s\r\n", name, value);
    if (w < 0 || (size_t)w >= sizeof r->headers - used)
        r->headers[used] = '\0'; /* did not fit: drop the whole line, never half of it */
}

void sim_reply_cleanup(sim_reply_t *r)
{
    json_decref(r->body);
    r->body = NULL;
    r->status = 0;
    r->headers[0] = '\0';
}

char *sim_reply_render(const sim_reply_t *r, size_t *len)
{
    char *s = r->body ? json_dumps(r->body, JSON_COMPACT) : NULL;
    char *out = oi_xstrdup(s ? s : "");
    free(s);
    if (len)
        *len = strlen(out);
    return out;
}

/* Error texts may quote client input: keep them printable ASCII so they are valid JSON strings. */
static void scrub(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
            *s = '?';
}

void sim_reply_twilio_error(sim_reply_t *r, int status, int code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    scrub(msg);
    char more[80];
    snprintf(more, sizeof more, "https://www.twilio.com/docs/errors/%d", code);
    sim_reply_json(r, status,
                   json_pack("{s:i, s:s, s:s, s:i}", "code", code, "message", msg, "more_info", more,
                             "status", status));
}

void sim_reply_telnyx_error(sim_reply_t *r, int status, const char *code, const char *title,
                            const char *detail, const char *pointer, const char *parameter)
{
    char url[96], text[512];
    snprintf(url, sizeof url, "https://developers.telnyx.com/docs/overview/errors/%s", code);
    snprintf(text, sizeof text, "%s", detail ? detail : title);
    scrub(text);
    json_t *e = json_pack("{s:s, s:s, s:s, s:{s:s}}", "code", code, "title", title, "detail", text,
                          "meta", "url", url);
    if (pointer)
        json_object_set_new(e, "source", json_pack("{s:s}", "pointer", pointer));
    else if (parameter)
        json_object_set_new(e, "source", json_pack("{s:s}", "parameter", parameter));
    sim_reply_json(r, status, json_pack("{s:[o]}", "errors", e));
}

int sim_twilio_code_for(int status)
{
    switch (status) {
    case 400:
        return 20001; /* the simulator's "invalid parameter" (handlers.h SIM_TW_INVALID) */
    case 401:
        return 20003;
    case 404:
        return 20404;
    case 429:
        return 20429;
    case 500:
        return 20500;
    case 503:
        return 20503;
    default:
        return status >= 400 && status < 600 ? 20000 + status : 20500;
    }
}

const char *sim_telnyx_code_for(int status, const char **title)
{
    struct row {
        int status;
        const char *code, *title;
    };
    static const struct row rows[] = {
        {400, "10015", "Bad Request"},          {401, "10009", "Authentication failed"},
        {403, "10010", "Authorization failed"}, {404, "10005", "Resource not found"},
        {405, "10015", "Method not allowed"},
        {422, "10015", "Bad Request"},          {429, "10011", "Too many requests"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        if (rows[i].status == status) {
            *title = rows[i].title;
            return rows[i].code;
        }
    }
    *title = "Unexpected error";
    return "10007";
}

json_t *sim_public(const json_t *stored)
{
    json_t *copy = json_deep_copy(stored);
    const char *key;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(copy, tmp, key, v)
    {
        if (key[0] == '_')
            json_object_del(copy, key);
    }
    return copy;
}
