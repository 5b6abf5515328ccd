/* oi/periodic.h: background work that runs in rounds on a loop timer: every interval_ms a round
 * starts unless one is still running; a round that ends saying "again" (a full batch: more may
 * be waiting) is followed at once by the next. Used for purges that go batch by batch.
 *
 * A round is started by calling round(p, ud) on the loop; it must end with exactly one
 * oi_periodic_done(p, …) on that p, now or later (from any callback on the loop). Keep the p the
 * round was given: oi_periodic_close nulls the owner's pointer while a round may still be out. */
#ifndef OI_PERIODIC_H
#define OI_PERIODIC_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

typedef struct oi_periodic oi_periodic_t;
typedef void (*oi_periodic_round_fn)(oi_periodic_t *p, void *ud);

oi_periodic_t *oi_periodic_new(uv_loop_t *loop, uint64_t interval_ms, oi_periodic_round_fn round, void *ud);
/* Ends the round in progress; again: start the next one now. */
void oi_periodic_done(oi_periodic_t *p, bool again);
/* Stops starting rounds. Once the round in flight (if any) is done and the timer closed,
 * on_closed(ud) runs (may be NULL): the owner frees what its rounds use then. Nulls *self_p. */
void oi_periodic_close(oi_periodic_t **self_p, void (*on_closed)(void *ud));

#endif
