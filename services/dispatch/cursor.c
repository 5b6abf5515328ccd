/* cursor.c: keyset cursor codec (URL-safe base64, no padding, via libsodium). */
#include "cursor.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oi/ids.h"

#define RAW_MAX 80

bool dsp_cursor_encode(int64_t created_us, const char *id, char *out, size_t n)
{
    char norm[OI_UUID_STR_LEN + 1];
    if (!id || !oi_uuid_normalize(id, norm) || created_us < 0 || n < DSP_CURSOR_MAX)
        return false;
    char raw[RAW_MAX];
    int len = snprintf(raw, sizeof raw, "%" PRId64 ":%s", created_us, norm);
    if (len <= 0 || (size_t)len >= sizeof raw)
        return false;
    size_t need = sodium_base64_ENCODED_LEN((size_t)len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    if (need > n)
        return false;
    sodium_bin2base64(out, n, (const unsigned char *)raw, (size_t)len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return true;
}

static oi_status_t bad_cursor(oi_error_t *err)
{
    oi_status_t rc = oi_error_set(err, OI_INVALID, "cursor is not valid");
    oi_error_set_loc(err, "cursor");
    return rc;
}

static bool parse_usec(const char *s, size_t len, int64_t *out)
{
    if (len == 0 || len > 19)
        return false;
    int64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        if (v > (INT64_MAX - (s[i] - '0')) / 10)
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

oi_status_t dsp_cursor_decode(const char *cursor, int64_t *created_us, char *id_out, oi_error_t *err)
{
    if (!cursor || !*cursor || strlen(cursor) >= DSP_CURSOR_MAX)
        return bad_cursor(err);
    unsigned char raw[RAW_MAX];
    size_t raw_len = 0;
    const char *end = NULL;
    if (sodium_base642bin(raw, sizeof raw - 1, cursor, strlen(cursor), NULL, &raw_len, &end,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        !end || *end != '\0')
        return bad_cursor(err);
    raw[raw_len] = '\0';
    const char *colon = memchr(raw, ':', raw_len);
    if (!colon)
        return bad_cursor(err);
    size_t ulen = (size_t)(colon - (const char *)raw);
    if (!parse_usec((const char *)raw, ulen, created_us))
        return bad_cursor(err);
    const char *id = colon + 1;
    if (raw_len - ulen - 1 != OI_UUID_STR_LEN || strlen(id) != OI_UUID_STR_LEN || !oi_uuid_normalize(id, id_out))
        return bad_cursor(err);
    return OI_OK;
}
