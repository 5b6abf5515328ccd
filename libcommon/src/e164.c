/* e164.c: ^\+[1-9]\d{1,14}$ exactly (no trailing newline: pydantic's $ is end-of-string). */
#include "oi/e164.h"

#include <stddef.h>
#include <string.h>

bool oi_e164_valid(const char *s)
{
    if (!s || s[0] != '+' || s[1] < '1' || s[1] > '9')
        return false;
    size_t digits = 1;
    for (const char *p = s + 2; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        digits++;
    }
    return digits >= 2 && digits <= 15;
}

bool oi_e164_normalize(const char *s, char out[OI_E164_MAX + 1])
{
    out[0] = '\0';
    if (!s)
        return false;
    char buf[OI_E164_MAX + 1];
    size_t n = 0;
    if (s[0] == '0' && s[1] == '0') {
        buf[n++] = '+';
        s += 2;
    }
    for (; *s; s++) {
        if (*s == ' ' || *s == '-' || *s == '.' || *s == '(' || *s == ')')
            continue;
        if (n >= OI_E164_MAX)
            return false;
        buf[n++] = *s;
    }
    buf[n] = '\0';
    if (!oi_e164_valid(buf))
        return false;
    memcpy(out, buf, n + 1);
    return true;
}
