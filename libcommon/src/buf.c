/* buf.c: growable buffer with a declared ceiling. */
#include "oi/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oi/mem.h"

void oi_buf_init(oi_buf_t *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

void oi_buf_cleanup(oi_buf_t *b)
{
    OI_FREE(b->data);
    b->len = 0;
    b->cap = 0;
}

void oi_buf_reset(oi_buf_t *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

static oi_status_t grow(oi_buf_t *b, size_t extra)
{
    if (extra > b->max || b->len > b->max - extra)
        return OI_PAYLOAD_TOO_LARGE;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return OI_OK;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    if (cap > b->max + 1)
        cap = b->max + 1;
    b->data = oi_xrealloc(b->data, cap);
    b->cap = cap;
    return OI_OK;
}

oi_status_t oi_buf_append(oi_buf_t *b, const void *p, size_t n)
{
    oi_status_t rc = grow(b, n);
    if (rc)
        return rc;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return OI_OK;
}

oi_status_t oi_buf_appends(oi_buf_t *b, const char *s)
{
    return oi_buf_append(b, s, strlen(s));
}

oi_status_t oi_buf_vprintf(oi_buf_t *b, const char *fmt, va_list ap)
{
    va_list cp;
    va_copy(cp, ap);
    int n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    if (n < 0)
        return OI_INTERNAL;
    oi_status_t rc = grow(b, (size_t)n);
    if (rc)
        return rc;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return OI_OK;
}

oi_status_t oi_buf_printf(oi_buf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    oi_status_t rc = oi_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

char *oi_buf_steal(oi_buf_t *b, size_t *len)
{
    char *p = b->data ? b->data : oi_xstrdup("");
    if (len)
        *len = b->len;
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    return p;
}
