/* json_dump.c: compact JSON text of a jansson value (oi/json_dump.h). */
#include "oi/json_dump.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DUMP_MAX ((size_t)1 << 30)

/* Bytes below 0x20, '"' and '\\': the only ones escaped. */
static bool needs_escape(unsigned char c) { return c < 0x20 || c == '"' || c == '\\'; }

/* The escape of byte c, one that needs_escape. */
static const char *escape_of(unsigned char c, char spare[8])
{
    switch (c) {
    case '"': return "\\\"";
    case '\\': return "\\\\";
    case '\b': return "\\b";
    case '\f': return "\\f";
    case '\n': return "\\n";
    case '\r': return "\\r";
    case '\t': return "\\t";
    default:
        snprintf(spare, 8, "\\u%04X", c);
        return spare;
    }
}

static oi_status_t put_string(oi_buf_t *b, const char *s, size_t n)
{
    oi_status_t rc = oi_buf_append(b, "\"", 1);
    size_t run = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        if (!needs_escape((unsigned char)s[i]))
            continue;
        char spare[8];
        rc = oi_buf_append(b, s + run, i - run);
        if (!rc)
            rc = oi_buf_appends(b, escape_of((unsigned char)s[i], spare));
        run = i + 1;
    }
    if (!rc)
        rc = oi_buf_append(b, s + run, n - run);
    return rc ? rc : oi_buf_append(b, "\"", 1);
}

static oi_status_t put_integer(oi_buf_t *b, json_int_t v)
{
    char digits[24];
    int n = snprintf(digits, sizeof digits, "%" JSON_INTEGER_FORMAT, v);
    return oi_buf_append(b, digits, (size_t)n);
}

/* Reals are rare here: jansson's own text, so precision and form never differ. */
static oi_status_t put_real(oi_buf_t *b, const json_t *v)
{
    char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    oi_status_t rc = text ? oi_buf_appends(b, text) : OI_INVALID;
    free(text);
    return rc;
}

static oi_status_t put_value(oi_buf_t *b, const json_t *v, int depth);

static oi_status_t put_array(oi_buf_t *b, const json_t *v, int depth)
{
    oi_status_t rc = oi_buf_append(b, "[", 1);
    for (size_t i = 0; i < json_array_size(v) && !rc; i++) {
        if (i)
            rc = oi_buf_append(b, ",", 1);
        if (!rc)
            rc = put_value(b, json_array_get(v, i), depth + 1);
    }
    return rc ? rc : oi_buf_append(b, "]", 1);
}

static oi_status_t put_object(oi_buf_t *b, const json_t *v, int depth)
{
    oi_status_t rc = oi_buf_append(b, "{", 1);
    bool first = true;
    for (void *it = json_object_iter((json_t *)v); it && !rc; it = json_object_iter_next((json_t *)v, it)) {
        if (!first)
            rc = oi_buf_append(b, ",", 1);
        first = false;
        if (!rc)
            rc = put_string(b, json_object_iter_key(it), json_object_iter_key_len(it));
        if (!rc)
            rc = oi_buf_append(b, ":", 1);
        if (!rc)
            rc = put_value(b, json_object_iter_value(it), depth + 1);
    }
    return rc ? rc : oi_buf_append(b, "}", 1);
}

static oi_status_t put_value(oi_buf_t *b, const json_t *v, int depth)
{
    if (!v || depth > OI_JSON_DUMP_DEPTH_MAX)
        return OI_INVALID;
    switch (json_typeof(v)) {
    case JSON_OBJECT: return put_object(b, v, depth);
    case JSON_ARRAY: return put_array(b, v, depth);
    case JSON_STRING: return put_string(b, json_string_value(v), json_string_length(v));
    case JSON_INTEGER: return put_integer(b, json_integer_value(v));
    case JSON_REAL: return put_real(b, v);
    case JSON_TRUE: return oi_buf_append(b, "true", 4);
    case JSON_FALSE: return oi_buf_append(b, "false", 5);
    case JSON_NULL:
    default: return oi_buf_append(b, "null", 4);
    }
}

oi_status_t oi_json_dump_into(oi_buf_t *b, const json_t *v) { return put_value(b, v, 0); }

char *oi_json_dump(const json_t *v)
{
    oi_buf_t b;
    oi_buf_init(&b, DUMP_MAX);
    if (oi_json_dump_into(&b, v) != OI_OK) {
        oi_buf_cleanup(&b);
        return NULL;
    }
    return oi_buf_steal(&b, NULL);
}
