/* apply_many.h: dispatch.ApplyNumber for many calls in one transaction (oi/pg_coalesce.h).
 *
 * Every call that puts a number's routing (a registration, a purchase's activation, a PATCH),
 * whether it puts the outbound trunk or keeps it, and whatever agents it checks, runs with the
 * other such calls of the moment in one transaction over arrays, with the meaning apply.h gives
 * the single ones, row by row:
 *   0. holds the named agents shared (agent_lock.h), once for all the calls, in a statement of
 *      its own before the apply statement, so that the apply's snapshot sees the holders' commits;
 *   1. moves the fence of each number whose agents all exist in its workspace and whose version
 *      is newer (one row per number: of two calls for a number, the newer version competes and
 *      the older finds it applied);
 *   2. in the same statement, for each call whose fence moved (once per number), puts the
 *      outbound trunk (when asked), the inbound trunk and the rule. An id another workspace owns,
 *      or a phone another rule routes, aborts the transaction; the coalescer then runs every
 *      call alone, so the one at fault gets its own answer.
 * Each call's row: moved, fence_version, old_phone, found (the agents found when it did not
 * move), refused. Loop thread only. */
#ifndef DSP_APPLY_MANY_H
#define DSP_APPLY_MANY_H

#include "oi/pg_coalesce.h"
#include "oi/pg_pipeline.h"

/* Statements out at once (oi_pg_coalesce_config_t.max_in_flight): one, as provisioning's (its
 * PROV_COALESCE_IN_FLIGHT says why). */
#define DSP_APPLY_IN_FLIGHT 1
/* Rows of a busy moment linger for others, as provisioning's (PROV_COALESCE_LINGER_MS says why). */
#define DSP_APPLY_LINGER_MS 2
#define DSP_APPLY_LINGER_ROWS 20

/* A call's values, in this order: workspace, number id, version, agents to check ("{…}", NULL for none),
 * outbound mode ("" keep | put), outbound trunk id, its phone, provider, address, username,
 * sealed password, inbound trunk id, rule id, phone, provider, agent, fallback agent, voicemail,
 * policy (canonical JSON), the policy's agents ("{…}"). NULL = SQL NULL. */
#define DSP_APPLY_MANY_COLUMNS 20
/* The column of the agents to check (0-based). */
#define DSP_APPLY_MANY_AGENTS 3

/* pg is borrowed: close the coalescer first. */
oi_pg_coalesce_t *dsp_apply_many_new(uv_loop_t *loop, oi_pg_pipeline_t *pg);
/* cb gets the call's row (see above) or an error. */
void dsp_apply_many_add(oi_pg_coalesce_t *many, const char *const values[DSP_APPLY_MANY_COLUMNS], oi_pg_row_cb cb,
                        void *ud);

#endif
