/* oi/buf.h: growable byte buffer that declares its ceiling (curl's dynbuf). */
#ifndef OI_BUF_H
#define OI_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "oi/status.h"

typedef struct {
    char *data;     /* owned; always NUL-terminated when non-NULL */
    size_t len;
    size_t cap;
    size_t max;     /* ceiling: appends past it fail with OI_PAYLOAD_TOO_LARGE */
} oi_buf_t;

void oi_buf_init(oi_buf_t *b, size_t max);
void oi_buf_cleanup(oi_buf_t *b);              /* frees data, keeps max */
void oi_buf_reset(oi_buf_t *b);                /* len = 0, keeps memory */
oi_status_t oi_buf_append(oi_buf_t *b, const void *p, size_t n);
oi_status_t oi_buf_appends(oi_buf_t *b, const char *s);
oi_status_t oi_buf_printf(oi_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
oi_status_t oi_buf_vprintf(oi_buf_t *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Moves the data out (caller frees); b is left empty. Returns "" (allocated) if empty. */
char *oi_buf_steal(oi_buf_t *b, size_t *len);

#endif
