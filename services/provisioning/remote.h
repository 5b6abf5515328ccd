/* remote.h: blocking calls to oi-dispatch and oi-carrier from threadpool and runner threads.
 *
 * Each thread lazily opens its own oi_rpc_sync_t per peer (a pthread key destroys them when a
 * runner thread exits). Every thread's clients are also listed in the prov_t, so the drain can
 * close those of the libuv threadpool, whose threads outlive the ZeroMQ context otherwise and
 * would block zmq_ctx_term forever. Calls carry the caller's request id and workspace. */
#ifndef PROV_REMOTE_H
#define PROV_REMOTE_H

#include "prov.h"

typedef enum { PROV_PEER_DISPATCH = 0, PROV_PEER_CARRIER } prov_peer_t;

/* Creates the pthread key (once, before threads start). */
void prov_remote_init(prov_t *p);
/* Destroys the calling thread's clients now. */
void prov_remote_thread_done(prov_t *p);
/* Closes every thread's clients and deletes the key. Only once no thread can make a call
 * (RPC server drained, runners joined); calls after it are a bug. */
void prov_remote_shutdown(prov_t *p);
/* One call; on OI_OK *reply is new (free with protobuf_c_message_free_unpacked). */
oi_status_t prov_remote_call(prov_t *p, prov_peer_t peer, const char *method, const char *request_id,
                             const char *workspace_id, const ProtobufCMessage *req,
                             const ProtobufCMessageDescriptor *reply_desc, ProtobufCMessage **reply,
                             oi_error_t *err);
/* Same, discarding the reply. */
oi_status_t prov_remote_call0(prov_t *p, prov_peer_t peer, const char *method, const char *request_id,
                              const char *workspace_id, const ProtobufCMessage *req, oi_error_t *err);

#endif
