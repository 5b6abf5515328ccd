/* oi/rpc.h: request/reply between services over ZeroMQ with protobuf-c envelopes.
 *
 * The contract is the `service` blocks of the proto/oneinbox/v1 files: a server serves one service
 * and its table names a handler for each of the service's methods (checked when the server is
 * made); a client names (service, method) and the request's type, the reply's type and the wire
 * name ("dispatch.Resolve": the service's name in lower case, a dot, the method) all follow from
 * the service descriptor.
 *
 * Servers bind a ROUTER; clients connect a DEALER (to one or several comma-separated
 * endpoints: ZeroMQ round-robins between replicas). Every request carries a request id and
 * an absolute deadline; a server drops work already past its deadline and a client answers
 * OI_TIMEOUT when no reply arrives in time, never hangs.
 *
 * Wire: DEALER sends [empty][call id][Envelope]; ROUTER receives [identity][empty][call id][Envelope]
 * and answers [identity][empty][call id][Reply]. The 8-byte call id is the client's correlation
 * number, echoed untouched, so late replies to timed-out calls are recognised and dropped.
 *
 * The ZMQ_FD is edge-triggered: after every send and receive, ZMQ_EVENTS is re-checked and
 * drained until EAGAIN (see DESIGN.md pitfalls).
 *
 * Ownership of messages: request messages are borrowed. Reply messages returned by method
 * work functions are built with heap fields (oi_xstrdup, oi_xmalloc) and are freed by the
 * framework with protobuf_c_message_free_unpacked(msg, NULL). */
#ifndef OI_RPC_H
#define OI_RPC_H

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "oi/status.h"

/* The process-wide ZeroMQ context (created on first use, thread-safe). */
void *oi_rpc_zctx(void);
/* Terminates the context at exit (after every socket is closed). */
void oi_rpc_zctx_term(void);

/* --- server ----------------------------------------------------------------------------- */
typedef struct oi_rpc_server oi_rpc_server_t;
typedef struct oi_rpc_call oi_rpc_call_t;

/* What a handler knows about the call. Strings are borrowed for the call's life. */
typedef struct {
    const char *request_id;
    const char *workspace_id;  /* "" for internal calls */
    bool admin;                /* the gateway's admin path: every workspace (Envelope.admin) */
    const char *method;
    int64_t deadline_ms;       /* absolute unix ms */
    void *ud;                  /* the server's user data */
} oi_rpc_ctx_t;

/* Runs on a libuv threadpool thread (blocking calls allowed: libpq, oi_rpc_sync). Returns
 * OI_OK with *reply set (may stay NULL → empty payload), or an error with err filled. */
typedef oi_status_t (*oi_rpc_work_fn)(const oi_rpc_ctx_t *ctx, const ProtobufCMessage *req,
                                      ProtobufCMessage **reply, oi_error_t *err);
/* Runs on the loop thread; must call oi_rpc_call_reply() exactly once, now or later. */
typedef void (*oi_rpc_loop_fn)(oi_rpc_call_t *call, const oi_rpc_ctx_t *ctx, const ProtobufCMessage *req);

/* One row of a server's table: the handler of one method of its service. */
typedef struct {
    const char *method;                            /* "Resolve": a method of the server's service */
    oi_rpc_work_fn work;                           /* exactly one of work / on_loop */
    oi_rpc_loop_fn on_loop;
} oi_rpc_method_t;

/* A server of service svc. methods: n rows, borrowed for the server's life, one for each method of
 * svc and no other (a programmer error otherwise: OI_ASSERT). Requests are decoded as each
 * method's input type; a reply must be its output type. */
oi_rpc_server_t *oi_rpc_server_new(uv_loop_t *loop, const ProtobufCServiceDescriptor *svc, const oi_rpc_method_t *methods,
                                   size_t n, void *ud);
/* Does methods (n rows) name every method of svc exactly once and nothing else? (For tests.) */
bool oi_rpc_table_complete(const ProtobufCServiceDescriptor *svc, const oi_rpc_method_t *methods, size_t n);
/* Binds (e.g. "tcp://127.0.0.1:7101"). 0 or -1 with err. */
int oi_rpc_server_bind(oi_rpc_server_t *s, const char *endpoint, oi_error_t *err);
/* Replies to a call (loop thread only). reply may be NULL; it is borrowed (packed, not freed).
 * status != OI_OK sends err's code/message (err may be NULL → table defaults). Frees call. */
void oi_rpc_call_reply(oi_rpc_call_t **call_p, oi_status_t status, const oi_error_t *err,
                       const ProtobufCMessage *reply);
/* oi_rpc_call_reply(OI_OK) with the reply packed already (len bytes of the method's output
 * type, borrowed): for answers kept encoded (oi/near_cache.h). */
void oi_rpc_call_reply_packed(oi_rpc_call_t **call_p, const void *reply, size_t len);
/* Stops running new calls: each one is refused at once with OI_DRAINING (never run, so the
 * clients here resend it to another replica) until oi_rpc_server_destroy closes the socket.
 * In-flight calls still reply; on_drained runs when none is left, no new call came for 100 ms
 * and at least 250 ms have passed (calls already on their way are refused, not lost with the
 * socket), or after grace_ms. */
void oi_rpc_server_drain(oi_rpc_server_t *s, uint32_t grace_ms, void (*on_drained)(void *ud), void *ud);
void oi_rpc_server_destroy(oi_rpc_server_t **self_p);
size_t oi_rpc_server_inflight(const oi_rpc_server_t *s);

/* --- async client (loop thread) ---------------------------------------------------------- */
typedef struct oi_rpc_client oi_rpc_client_t;

/* reply is borrowed for the callback only (NULL unless status == OI_OK; a reply with an empty
 * payload decodes to an empty message). err is NULL when status == OI_OK. */
typedef void (*oi_rpc_reply_cb)(oi_status_t status, const oi_error_t *err, const ProtobufCMessage *reply,
                                void *ud);

/* endpoints: "tcp://127.0.0.1:7101[,tcp://127.0.0.1:7111…]". */
oi_rpc_client_t *oi_rpc_client_new(uv_loop_t *loop, const char *endpoints, oi_error_t *err);
/* The same for the servers of svc: under CURVE the client expects that service's own server
 * key (OI_RPC_CURVE_PROVISIONING_SERVER_KEY, _DISPATCH_, _CARRIER_), else the shared
 * OI_RPC_CURVE_SERVER_PUBLIC_KEY. */
oi_rpc_client_t *oi_rpc_client_new_to(uv_loop_t *loop, const char *endpoints, const ProtobufCServiceDescriptor *svc,
                                      oi_error_t *err);
/* Sends a call of svc's method (req: its input type; the reply is its output type); cb runs
 * exactly once (on the loop), with OI_TIMEOUT after timeout_ms. request_id/workspace_id may be
 * NULL. Returns 0, or -1 when the message could not be queued (cb is then NOT called). */
int oi_rpc_client_call(oi_rpc_client_t *c, const ProtobufCServiceDescriptor *svc, const char *method,
                       const char *request_id, const char *workspace_id, const ProtobufCMessage *req,
                       uint32_t timeout_ms, oi_rpc_reply_cb cb, void *ud);
/* The same call made for the platform's admin (Envelope.admin set, no workspace): only the
 * gateway, on the admin token's path. */
int oi_rpc_client_call_admin(oi_rpc_client_t *c, const ProtobufCServiceDescriptor *svc, const char *method,
                             const char *request_id, const ProtobufCMessage *req, uint32_t timeout_ms,
                             oi_rpc_reply_cb cb, void *ud);
/* Fails every pending call with OI_UNAVAILABLE, closes the socket; frees in the close callback. */
void oi_rpc_client_close(oi_rpc_client_t **self_p);

/* --- blocking client (one per thread; for threadpool work and job runners) ---------------- */
typedef struct oi_rpc_sync oi_rpc_sync_t;

oi_rpc_sync_t *oi_rpc_sync_new(const char *endpoints, oi_error_t *err);
void oi_rpc_sync_destroy(oi_rpc_sync_t **self_p);
/* Blocks until the reply or timeout_ms. On OI_OK *reply is a new message of the method's output
 * type (free with protobuf_c_message_free_unpacked(*reply, NULL)). Late replies of earlier
 * timed-out calls are recognised by call id and discarded. */
oi_status_t oi_rpc_sync_call(oi_rpc_sync_t *s, const ProtobufCServiceDescriptor *svc, const char *method,
                             const char *request_id, const char *workspace_id, const ProtobufCMessage *req,
                             uint32_t timeout_ms, ProtobufCMessage **reply, oi_error_t *err);

/* --- the contract ---------------------------------------------------------------------------- */
/* svc's method `name`; a programmer error (OI_ASSERT) when it has none. */
const ProtobufCMethodDescriptor *oi_rpc_method(const ProtobufCServiceDescriptor *svc, const char *name);
/* The wire name of svc's method: "<service in lower case>.<Method>" into out (n ≥ 64). */
void oi_rpc_wire_name(const ProtobufCServiceDescriptor *svc, const char *method, char *out, size_t n);

/* --- envelope codec (pure; unit-tested and fuzzed) ---------------------------------------- */
/* Packs into a new buffer (caller frees). */
uint8_t *oi_rpc_pack(const ProtobufCMessage *m, size_t *len);
/* Decodes payload as desc; NULL + err (OI_BAD_REQUEST) on garbage. Free with free_unpacked. */
ProtobufCMessage *oi_rpc_unpack(const ProtobufCMessageDescriptor *desc, const uint8_t *data, size_t len,
                                oi_error_t *err);

#endif
