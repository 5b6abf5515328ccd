/* oi/log.h: one JSON line per event on stderr.
 *
 * {"ts":"…","level":"info","service":"oi-gateway","tag":"gw.http","request_id":"…",
 *  "action":"…","msg":"…"}  Messages are single-line (CR/LF replaced) and JSON-escaped.
 * Thread-safe (one write(2) per line). Never pass secrets: values from oi_secret_t are
 * refused by construction (they have no string accessor that returns plaintext). */
#ifndef OI_LOG_H
#define OI_LOG_H

#include <stdbool.h>

typedef enum { OI_LOG_DEBUG = 0, OI_LOG_INFO, OI_LOG_WARN, OI_LOG_ERROR } oi_log_level_t;

/* Context of a log line; every field optional (NULL). Borrowed for the call only. */
typedef struct {
    const char *request_id;
    const char *action;   /* what was going on, e.g. "reading request body" */
} oi_log_ctx_t;

void oi_log_init(const char *service, oi_log_level_t min_level);
/* Parses "debug|info|warn|error"; returns false on unknown text. */
bool oi_log_level_parse(const char *s, oi_log_level_t *out);
void oi_log_at(oi_log_level_t level, const char *tag, const oi_log_ctx_t *ctx, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Each .c that logs defines OI_LOG_TAG ("gw.http") before using these. The first argument is
 * the context (oi_log_ctx_t *, may be NULL); everything goes through __VA_ARGS__ so a compound
 * literal with commas, &(oi_log_ctx_t){.request_id = id, .action = "…"}, works as an argument. */
#define oi_log_debug(...) oi_log_at(OI_LOG_DEBUG, OI_LOG_TAG, __VA_ARGS__)
#define oi_log_info(...) oi_log_at(OI_LOG_INFO, OI_LOG_TAG, __VA_ARGS__)
#define oi_log_warn(...) oi_log_at(OI_LOG_WARN, OI_LOG_TAG, __VA_ARGS__)
#define oi_log_error(...) oi_log_at(OI_LOG_ERROR, OI_LOG_TAG, __VA_ARGS__)

#endif
