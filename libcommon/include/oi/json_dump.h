/* oi/json_dump.h: the compact JSON text of a jansson value, fast.
 *
 * The same bytes as json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY): members in the object's own
 * order, "\"", "\\", \b \f \n \r \t escaped short and other control characters as \u00XX,
 * everything else (UTF-8 included) as it is, reals as jansson writes them. Strings are copied
 * in runs between the bytes that need an escape, where jansson decodes them code point by code
 * point: answers and audit events that carry a routing policy are kilobytes of strings. */
#ifndef OI_JSON_DUMP_H
#define OI_JSON_DUMP_H

#include <jansson.h>

#include "oi/buf.h"
#include "oi/status.h"

#define OI_JSON_DUMP_DEPTH_MAX 2048 /* deeper values are refused (json_t documents are trees) */

/* Appends v's text to b. OI_INVALID when v is NULL or nested deeper than the bound,
 * OI_PAYLOAD_TOO_LARGE when b's ceiling is reached (b then holds a part). */
oi_status_t oi_json_dump_into(oi_buf_t *b, const json_t *v);
/* v's text (heap, NUL-terminated), or NULL where json_dumps gives NULL too (v NULL). */
char *oi_json_dump(const json_t *v);

#endif
