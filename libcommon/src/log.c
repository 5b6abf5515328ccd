/* log.c: one JSON line per event on stderr, one write(2) per line (thread-safe). */
#include "oi/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "oi/buf.h"
#include "oi/clock.h"

static char log_service[64] = "oi";
static oi_log_level_t log_min = OI_LOG_INFO;
static const char *const level_names[] = {"debug", "info", "warn", "error"};

void oi_log_init(const char *service, oi_log_level_t min_level)
{
    snprintf(log_service, sizeof log_service, "%s", service ? service : "oi");
    log_min = min_level;
}

bool oi_log_level_parse(const char *s, oi_log_level_t *out)
{
    for (int i = 0; i < 4; i++) {
        if (s && strcmp(s, level_names[i]) == 0) {
            *out = (oi_log_level_t)i;
            return true;
        }
    }
    return false;
}

/* JSON string escaping; CR/LF become spaces so a line is always one line. */
static void append_json_str(oi_buf_t *b, const char *s)
{
    oi_buf_append(b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p == '"' || *p == '\\') {
            char esc[2] = {'\\', (char)*p};
            oi_buf_append(b, esc, 2);
        } else if (*p == '\n' || *p == '\r' || *p == '\t') {
            oi_buf_append(b, " ", 1);
        } else if (*p < 0x20) {
            oi_buf_printf(b, "\\u%04x", *p);
        } else {
            oi_buf_append(b, p, 1);
        }
    }
    oi_buf_append(b, "\"", 1);
}

void oi_log_at(oi_log_level_t level, const char *tag, const oi_log_ctx_t *ctx, const char *fmt, ...)
{
    if (level < log_min || level > OI_LOG_ERROR)
        return;
    char ts[32];
    oi_clock_rfc3339(oi_clock_now_ms(), ts, sizeof ts);
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);

    oi_buf_t b;
    oi_buf_init(&b, 4096);
    oi_buf_printf(&b, "{\"ts\":\"%s\",\"level\":\"%s\",\"service\":", ts, level_names[level]);
    append_json_str(&b, log_service);
    oi_buf_appends(&b, ",\"tag\":");
    append_json_str(&b, tag);
    if (ctx && ctx->request_id) {
        oi_buf_appends(&b, ",\"request_id\":");
        append_json_str(&b, ctx->request_id);
    }
    if (ctx && ctx->action) {
        oi_buf_appends(&b, ",\"action\":");
        append_json_str(&b, ctx->action);
    }
    oi_buf_appends(&b, ",\"msg\":");
    append_json_str(&b, msg);
    oi_buf_appends(&b, "}\n");
    if (b.data && write(STDERR_FILENO, b.data, b.len) < 0) {
        /* nowhere left to report it */
    }
    oi_buf_cleanup(&b);
}
