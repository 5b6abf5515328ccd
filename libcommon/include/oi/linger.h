/* oi/linger.h: whether the rows of a busy moment should wait for others to join their statement.
 *
 * A statement that goes out once at a time (oi/pg_coalesce.h, the gateway's audit writer) serves
 * whatever rows waited meanwhile; when it carries few, the fixed part of its cost is paid for few.
 * After a big batch (half of `rows` or more) the rows that find nothing out wait up to `ms` for
 * `rows` of them. That pays only when more are on their way: a wait that ran out having gained
 * less than half of what it waited for (the load comes in convoys no wait can merge, e.g. 16
 * clients whose requests all sit in the same statement) turns waiting off for
 * OI_LINGER_QUIET_MS, after which a wait is tried again. Pure: the caller runs the timer and passes the loop's clock. */
#ifndef OI_LINGER_H
#define OI_LINGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OI_LINGER_QUIET_MS 250

typedef struct {
    uint32_t ms;          /* 0: never wait */
    size_t rows;          /* this many go at once */
    size_t last;          /* rows of the batch sent last */
    size_t held;          /* rows when the running wait began; 0: none */
    uint64_t quiet_until; /* no wait before this (loop ms) */
} oi_linger_t;

/* With pending rows and nothing out: true when they should wait now (starting a wait if none
 * runs: the caller starts its timer of l->ms when l->held was 0 before the call). */
bool oi_linger_hold(oi_linger_t *l, size_t pending, uint64_t now_ms);
/* A batch of n rows leaves (timed_out: its wait ran out). */
void oi_linger_sent(oi_linger_t *l, size_t n, bool timed_out, uint64_t now_ms);

#endif
