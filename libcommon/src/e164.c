/* e164.c: ^\+[1-9]\d{1,14}$ exactly (no trailing newline: pydantic's $ is end-of-string). */
#include "oi/e164.h"

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

const char *oi_e164_country(const char *s)
{
    if (!oi_e164_valid(s))
        return NULL;
    if (s[1] == '1')
        return "US"; /* NANP; CA shares +1 and is told apart by area code only */
    if (strncmp(s, "+44", 3) == 0)
        return "GB";
    if (strncmp(s, "+61", 3) == 0)
        return "AU";
    if (strncmp(s, "+49", 3) == 0)
        return "DE";
    return NULL;
}
