/* Fuzzes the one E.164 normaliser (oi/e164.h) and what reads its output: any bytes as a number.
 * A normalised number is valid E.164, normalises to itself, and its country lookup
 * (libphonenumber) answers a known region or none. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oi/e164.h"
#include "oi/phone_region.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    memcpy(s, data, size);
    s[size] = '\0';
    char out[OI_E164_MAX + 1], again[OI_E164_MAX + 1];
    if (oi_e164_normalize(s, out)) {
        if (!oi_e164_valid(out) || !oi_e164_normalize(out, again) || strcmp(out, again) != 0)
            abort();
        char region[3];
        if (oi_phone_region(out, region) && !oi_phone_region_known(region))
            abort();
    } else if (out[0] != '\0') {
        abort();
    }
    (void)oi_e164_valid(s);
    free(s);
    return 0;
}
