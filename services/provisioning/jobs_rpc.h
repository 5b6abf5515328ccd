/* jobs_rpc.h: RPC work functions that submit jobs, wait for them, and the ops queue API.
 * All run on the libuv threadpool (blocking libpq allowed). */
#ifndef PROV_JOBS_RPC_H
#define PROV_JOBS_RPC_H

#include "oi/rpc.h"

#define PROV_RPC(name)                                                                                 \
    oi_status_t name(const oi_rpc_ctx_t *ctx, const ProtobufCMessage *req, ProtobufCMessage **reply,   \
                     oi_error_t *err)

PROV_RPC(prov_rpc_register);
PROV_RPC(prov_rpc_purchase);
PROV_RPC(prov_rpc_update);
PROV_RPC(prov_rpc_delete);
PROV_RPC(prov_rpc_wait_job);
PROV_RPC(prov_rpc_get_job);
PROV_RPC(prov_rpc_list_jobs);
PROV_RPC(prov_rpc_retry_job);
PROV_RPC(prov_rpc_cancel_job);
/* numbers_rpc.c */
PROV_RPC(prov_rpc_get_number);
PROV_RPC(prov_rpc_list_numbers);
PROV_RPC(prov_rpc_search_numbers);

#endif
