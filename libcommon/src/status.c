/* status.c: the rows of OI_STATUS_MAP and the fixed-size error detail. */
#include "oi/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    const char *name;
    int http;
    const char *code;
    const char *message;
} status_row_t;

static const status_row_t rows[] = {
#define OI_STATUS_ROW(name, http, code, msg) {#name, http, code, msg},
    OI_STATUS_MAP(OI_STATUS_ROW)
#undef OI_STATUS_ROW
};

_Static_assert(sizeof rows / sizeof rows[0] == OI_STATUS__COUNT, "status table size");

static const status_row_t *row(oi_status_t s)
{
    if ((int)s < 0 || s >= OI_STATUS__COUNT)
        return &rows[OI_INTERNAL];
    return &rows[s];
}

const char *oi_status_name(oi_status_t s) { return row(s)->name; }
const char *oi_status_code(oi_status_t s) { return row(s)->code; }
const char *oi_status_message(oi_status_t s) { return row(s)->message; }
int oi_status_http(oi_status_t s) { return row(s)->http; }
bool oi_status_valid(int v) { return v >= 0 && v < OI_STATUS__COUNT; }

oi_status_t oi_status_from_code(const char *code)
{
    if (!code)
        return OI_INTERNAL;
    for (int i = 0; i < OI_STATUS__COUNT; i++)
        if (strcmp(rows[i].code, code) == 0)
            return (oi_status_t)i;
    return OI_INTERNAL;
}

void oi_error_init(oi_error_t *err)
{
    if (err)
        memset(err, 0, sizeof *err);
}

/* CR/LF would split a log line or an HTTP header: replace them (curl's Curl_failf rule). */
static void strip_newlines(char *s)
{
    for (; *s; s++)
        if (*s == '\r' || *s == '\n')
            *s = ' ';
}

static bool error_is_clear(const oi_error_t *err) { return err->status == OI_OK && err->message[0] == '\0'; }

oi_status_t oi_error_set(oi_error_t *err, oi_status_t s, const char *fmt, ...)
{
    if (!err || !error_is_clear(err) || s == OI_OK)
        return s;
    err->status = s;
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    } else {
        snprintf(err->message, sizeof err->message, "%s", oi_status_message(s));
    }
    strip_newlines(err->message);
    return s;
}

oi_status_t oi_error_take(oi_error_t *err, const oi_error_t *src)
{
    oi_status_t s = src ? src->status : OI_INTERNAL;
    if (!err || !error_is_clear(err) || s == OI_OK)
        return s;
    *err = *src;
    if (!err->message[0])
        snprintf(err->message, sizeof err->message, "%s", oi_status_message(s));
    strip_newlines(err->message);
    strip_newlines(err->loc);
    return s;
}

void oi_error_set_loc(oi_error_t *err, const char *loc)
{
    if (!err || !loc)
        return;
    snprintf(err->loc, sizeof err->loc, "%s", loc);
    strip_newlines(err->loc);
}
