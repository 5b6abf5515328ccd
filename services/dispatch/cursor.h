/* cursor.h: opaque keyset cursors for ListAgents (order by created_at, id). */
#ifndef DSP_CURSOR_H
#define DSP_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "oi/status.h"

#define DSP_CURSOR_MAX 128

/* Encodes (created_at in unix microseconds, canonical uuid) as URL-safe base64 of
 * "<usec>:<uuid>" into out (>= DSP_CURSOR_MAX bytes). false if id is not a UUID. */
bool dsp_cursor_encode(int64_t created_us, const char *id, char *out, size_t n);
/* Decodes a cursor produced by dsp_cursor_encode. OI_INVALID (loc "cursor") on anything else;
 * id_out gets the canonical uuid (>= 37 bytes). */
oi_status_t dsp_cursor_decode(const char *cursor, int64_t *created_us, char *id_out, oi_error_t *err);

#endif
