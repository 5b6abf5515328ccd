/* assert.c: the OI_ASSERT failure path. */
#define OI_LOG_TAG "common.assert"
#include "oi/assert.h"

#include <stdlib.h>

#include "oi/log.h"

_Noreturn void oi_assert_fail(const char *expr, const char *file, int line)
{
    oi_log_error(&(oi_log_ctx_t){.action = "checking an internal contract"}, "assertion failed: %s (%s:%d)", expr,
                 file, line);
    abort();
}
