/* apply.h: dispatch.ApplyNumber: everything dispatch keeps for one phone number (the agents it
 * names, its outbound trunk, its inbound trunk and dispatch rule) made so in one PostgreSQL
 * transaction behind a per-number version fence; then the routing cache is invalidated; then
 * the reply. The contract is the comment above ApplyNumberRequest in dispatch.proto.
 *
 * The transaction is one pipelined batch of statements (oi/pg_pipeline.h):
 *   0. holds the named agents shared (agent_lock.h), when it names any;
 *   1. only when every named agent exists, moves the
 *      fence (dispatch.number_versions) if the version is newer, and notes in the transaction
 *      whether it did;
 *   2. only when it did: puts or deletes the outbound trunk, and puts (routing present) or
 *      deletes (routing absent) the inbound trunk and the dispatch rule. An id that another
 *      workspace owns aborts the whole transaction.
 *   3. a rotation only (rotate_outbound_trunk): the trunk's address and credentials, when this
 *      version is newer than the one that last set them, whatever 1 and 2 did.
 * Statement 2 takes its snapshot after statement 1 has waited on the fence row for any
 * concurrent apply of the same number, so it sees, and overwrites or deletes, what a lower
 * version committed meanwhile. Every call that puts routing (registration, activation, PATCH)
 * runs with the other such calls of the moment in one such transaction (apply_many.h). Loop
 * thread only. */
#ifndef DSP_APPLY_H
#define DSP_APPLY_H

#include <stdbool.h>

#include "oi/crypto.h"
#include "oi/pg_coalesce.h"
#include "oi/pg_pipeline.h"
#include "oi/routing_policy.h"
#include "oi/rpc.h"
#include "oneinbox/v1/dispatch.pb-c.h"

typedef struct {
    bool applied;          /* the version was newer: everything asked for is written */
    const char *old_phone; /* applied, and the rule routed another phone before (it moved or was
                              deleted): that phone, borrowed for the callback; else NULL */
} dsp_apply_result_t;

/* st == OI_OK: res says what happened (applied = false: an equal or older version, nothing
 * written). Otherwise res is NULL and err says why, nothing having been written except where
 * noted: OI_AGENT_NOT_FOUND (loc: the AgentCheck.field), OI_CONFLICT (loc: number_id, outbound_trunk_id, inbound_trunk_id
 * or dispatch_rule_id when another workspace owns that id; phone_number when another rule routes
 * the phone), OI_DB_UNAVAILABLE (the outcome is unknown: it may have committed), OI_TIMEOUT,
 * OI_UNAVAILABLE (shutting down), OI_INTERNAL. */
typedef void (*dsp_apply_done_cb)(oi_status_t st, const oi_error_t *err, const dsp_apply_result_t *res,
                                  void *ud);

/* Runs the transaction for req, which must have passed dsp_check_apply_number (many: the
 * coalescer from dsp_apply_many_new on the same pipeline: apply_many.h). ws: the caller's
 * workspace, canonical UUID. req and ws are borrowed for this call only. The outbound trunk's
 * password is sealed with crypto before anything is sent; it is never sent, kept or logged in
 * clear. policy: req's routing policy as dsp_check_apply_number_policy parsed it (borrowed for
 * this call), or NULL to parse it here. cb runs exactly once, later, on the loop. */
void dsp_apply_run(oi_pg_pipeline_t *pg, oi_pg_coalesce_t *many, const oi_crypto_t *crypto, const char *ws,
                   const Oneinbox__V1__ApplyNumberRequest *req, const oi_policy_t *policy, dsp_apply_done_cb cb,
                   void *ud);

/* The dispatch.ApplyNumber handler (on the loop): validates, runs the transaction, invalidates
 * the cached routing of the numbers it touched (also after OI_DB_UNAVAILABLE, whose commit is
 * unknown), then replies ApplyNumberReply. Counted in dsp_t.busy until it has replied. */
void dsp_apply_on_call(oi_rpc_call_t *call, const oi_rpc_ctx_t *ctx, const ProtobufCMessage *req);

#endif
