/* ids.c: UUIDs (libuuid) and request ids. */
#include "oi/ids.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <uuid/uuid.h>

#include "oi/crypto.h"

void oi_uuid_new(char out[OI_UUID_STR_LEN + 1])
{
    uuid_t u;
    uuid_generate_random(u);
    uuid_unparse_lower(u, out);
}

static bool all_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)s[i]))
            return false;
    return true;
}

bool oi_uuid_normalize(const char *s, char out[OI_UUID_STR_LEN + 1])
{
    if (!s)
        return false;
    size_t len = strlen(s);
    char hex[33];
    if (len == 36) {
        if (s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-')
            return false;
        size_t k = 0;
        for (size_t i = 0; i < 36; i++)
            if (s[i] != '-')
                hex[k++] = s[i];
        if (k != 32)
            return false;
    } else if (len == 32) {
        memcpy(hex, s, 32);
    } else {
        return false;
    }
    hex[32] = '\0';
    if (!all_hex(hex, 32))
        return false;
    for (int i = 0; i < 32; i++)
        hex[i] = (char)tolower((unsigned char)hex[i]);
    snprintf(out, OI_UUID_STR_LEN + 1, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
    return true;
}

bool oi_uuid_valid(const char *s)
{
    char tmp[OI_UUID_STR_LEN + 1];
    return oi_uuid_normalize(s, tmp);
}

void oi_request_id_new(char out[32])
{
    uuid_t u;
    uuid_generate_random(u);
    static const char hexd[] = "0123456789abcdef";
    memcpy(out, "req_", 4);
    for (int i = 0; i < 12; i++) {
        out[4 + 2 * i] = hexd[u[i] >> 4];
        out[5 + 2 * i] = hexd[u[i] & 15];
    }
    out[28] = '\0';
}
