/* calls.h: an RPC answered from one statement: the statement's callback turns its result into
 * the reply (or an error) and the call is answered, on the loop.
 *
 *   prov_number_get(p, ws, id, prov_call_done, prov_call_new(call, number_reply, 0)); */
#ifndef PROV_CALLS_H
#define PROV_CALLS_H

#include <stdint.h>

#include "oi/pg_pipeline.h"
#include "oi/rpc.h"

typedef struct prov_call prov_call_t;

/* Builds *reply from the result (heap fields; freed by the caller after replying), or fails. */
typedef oi_status_t (*prov_call_reply_fn)(const prov_call_t *c, PGresult *const *res, size_t n,
                                          ProtobufCMessage **reply, oi_error_t *err);

/* Takes the call: answered exactly once by prov_call_done. arg is the caller's (a limit, …). */
prov_call_t *prov_call_new(oi_rpc_call_t *call, prov_call_reply_fn fn, intptr_t arg);
intptr_t prov_call_arg(const prov_call_t *c);
/* The oi_pg_done_cb that answers the call (ud is the prov_call_t). */
void prov_call_done(oi_status_t st, const oi_error_t *err, PGresult *const *res, size_t n, void *ud);
/* Answers a call with an error at once (err may be NULL: the status's default message). */
void prov_call_fail(oi_rpc_call_t *call, oi_status_t st, const oi_error_t *err);
/* An Empty reply (heap). */
ProtobufCMessage *prov_empty_new(void);

#endif
