/* oi/assert.h: OI_ASSERT for programmer errors only (a broken contract between our own modules).
 * On in every build, never reachable from outside input: input is validated and answered. */
#ifndef OI_ASSERT_H
#define OI_ASSERT_H

#define OI_ASSERT(cond)                                                                                \
    do {                                                                                               \
        if (!(cond))                                                                                   \
            oi_assert_fail(#cond, __FILE__, __LINE__);                                                 \
    } while (0)

/* Logs the broken condition and aborts. */
_Noreturn void oi_assert_fail(const char *expr, const char *file, int line);

#endif
