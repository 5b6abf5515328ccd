/* Fuzzes the list cursors a client hands back: any bytes as oi-dispatch's keyset cursor
 * (ListAgents) and as the id cursors of the other lists. A cursor that decodes encodes back to
 * one that decodes to the same place. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cursor.h"
#include "oi/ids.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    memcpy(s, data, size);
    s[size] = '\0';
    oi_error_t err;
    oi_error_init(&err);
    int64_t us = 0, us2 = 0;
    char id[37], id2[37], enc[DSP_CURSOR_MAX];
    if (dsp_cursor_decode(s, &us, id, &err) == OI_OK) {
        if (!oi_uuid_valid(id) || !dsp_cursor_encode(us, id, enc, sizeof enc))
            abort();
        if (dsp_cursor_decode(enc, &us2, id2, &err) != OI_OK || us2 != us || strcmp(id, id2) != 0)
            abort();
    }
    (void)oi_uuid_valid(s);
    free(s);
    return 0;
}
