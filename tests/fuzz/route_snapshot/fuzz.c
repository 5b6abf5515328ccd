/* Fuzzes the routing snapshot decoder (what Redis and the near caches hand back): any bytes
 * decoded, and what decodes encoded again and decoded the same way. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oi/route.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    oi_route_t r = {0};
    char *tag = NULL;
    if (oi_route_decode(data, size, &r, &tag) == OI_OK) {
        size_t len = 0;
        uint8_t *again = oi_route_encode(&r, tag, &len);
        oi_route_t back = {0};
        char *tag2 = NULL;
        if (oi_route_decode(again, len, &back, &tag2) != OI_OK)
            abort(); /* what we encode must decode */
        oi_route_cleanup(&back);
        free(tag2);
        free(again);
        oi_route_cleanup(&r);
        free(tag);
    }
    return 0;
}
