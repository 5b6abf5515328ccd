/* jobs_rpc.h: the RPC methods of oi-provisioning. All run on the loop: nothing blocks, nothing
 * holds a thread or a connection while it waits. */
#ifndef PROV_JOBS_RPC_H
#define PROV_JOBS_RPC_H

#include "oi/rpc.h"

#define PROV_RPC(name) void name(oi_rpc_call_t *call, const oi_rpc_ctx_t *ctx, const ProtobufCMessage *req)

/* submissions (jobs_rpc.c): each answers when its job ends or wait_ms has passed */
PROV_RPC(prov_rpc_register);
PROV_RPC(prov_rpc_purchase);
PROV_RPC(prov_rpc_update);
PROV_RPC(prov_rpc_delete);
/* the queue (jobs_ops_rpc.c) */
PROV_RPC(prov_rpc_wait_job);
PROV_RPC(prov_rpc_get_job);
PROV_RPC(prov_rpc_list_jobs);
PROV_RPC(prov_rpc_retry_job);
PROV_RPC(prov_rpc_cancel_job);
/* numbers (numbers_rpc.c) */
PROV_RPC(prov_rpc_get_number);
PROV_RPC(prov_rpc_list_numbers);
PROV_RPC(prov_rpc_search_numbers);
/* drift_rpc.c */
PROV_RPC(prov_rpc_check_drift);
PROV_RPC(prov_rpc_list_drift);
PROV_RPC(prov_rpc_resolve_drift);

#endif
