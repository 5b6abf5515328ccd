/* rpc_internal.h: pieces shared by the RPC server, the async client and the sync client.
 *
 * Wire (after ZeroMQ's routing frames): one frame, [call id, 8 bytes][Envelope or Reply]. The
 * call id is the client's own correlation number; the server echoes it untouched. One frame, not
 * three: CURVE seals every frame on its own, so each frame more is a box more on both ends.
 * Servers still take the older three-frame form, [empty][call id][Envelope], and answer it in
 * kind, so a server upgraded first keeps serving older clients during a rollout. */
#ifndef OI_RPC_INTERNAL_H
#define OI_RPC_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <zmq.h>

#include "oi/rpc.h"
#include "oneinbox/v1/envelope.pb-c.h"

#define RPC_MAX_FRAMES 5
#define RPC_CALL_ID_LEN 8
/* OI_RPC_MAX_MSG_BYTES: the biggest message a socket takes (ZMQ_MAXMSGSIZE) */
#define RPC_MAX_MSG_BYTES_DEFAULT (4 * 1024 * 1024)
/* OI_RPC_MAX_INFLIGHT: calls a server runs at once; more are refused UNAVAILABLE */
#define RPC_MAX_INFLIGHT_DEFAULT 10000

/* A received multipart message; frames beyond RPC_MAX_FRAMES are read and dropped. */
typedef struct {
    zmq_msg_t part[RPC_MAX_FRAMES];
    int n;
    bool truncated;
} rpc_frames_t;

/* Receives one whole multipart message without blocking. 1 = got one, 0 = none waiting,
 * -1 = socket error. On 1 the caller must rpc_frames_close(). */
int rpc_frames_recv(void *sock, rpc_frames_t *f);
void rpc_frames_close(rpc_frames_t *f);
/* Sends n frames without blocking; 0, or -1 with errno (EAGAIN when it would block; nothing
 * of the message is sent then, as ZeroMQ queues multipart messages atomically). */
int rpc_frames_send(void *sock, const void *const *data, const size_t *len, int n);
/* New socket of `type` with linger and high-water marks set; NULL + err. */
void *rpc_socket_new(int type, int linger_ms, oi_error_t *err);
/* Connects to every comma-separated endpoint; -1 + err when one is malformed. */
int rpc_socket_connect_all(void *sock, const char *endpoints, oi_error_t *err);
/* rpc_curve.c: CURVE on a server (ZAP admits OI_RPC_CURVE_CLIENT_KEYS) or client socket, when
 * the OI_RPC_CURVE_* keys are set; 0, or -1 with err on a key missing or malformed. */
bool rpc_curve_configured(void);
int rpc_curve_server(void *sock, oi_error_t *err);
/* svc: the service the socket calls (its own server key), NULL: the shared one. */
int rpc_curve_client(void *sock, const ProtobufCServiceDescriptor *svc, oi_error_t *err);

/* Call ids travel as 8 bytes big-endian. */
void rpc_call_id_put(uint64_t id, uint8_t out[RPC_CALL_ID_LEN]);
uint64_t rpc_call_id_value(const uint8_t id[RPC_CALL_ID_LEN]);

/* A message's call id and body, from frame `first` on (0 for a reply a client receives, 1 behind
 * the identity frame a server's ROUTER adds), in either form: one frame [call id][body], or the
 * older three, [empty][call id][body]. Borrowed from the frames. */
typedef struct {
    const uint8_t *call_id, *body;
    size_t body_len;
    bool three_frames;
} rpc_parts_t;
/* false when the frames are neither form. */
bool rpc_message_parts(const rpc_frames_t *f, int first, rpc_parts_t *out);

/* The packers below answer a whole frame: RPC_CALL_ID_LEN bytes for the call id (zeroed; the
 * sender writes it with rpc_call_id_put), then the message; *len counts both. Caller frees. */
/* Packs an Envelope for a call. */
uint8_t *rpc_envelope_pack(const char *method, const char *request_id, const char *workspace_id, bool admin,
                           int64_t deadline_ms, const ProtobufCMessage *req, size_t *len);
/* Packs a Reply; reply may be NULL (empty payload). */
uint8_t *rpc_reply_pack(const char *request_id, oi_status_t status, const oi_error_t *err,
                        const ProtobufCMessage *reply, size_t *len);
/* Packs an OI_OK Reply around a payload packed already. */
uint8_t *rpc_reply_pack_bytes(const char *request_id, const void *payload, size_t plen, size_t *len);
/* Decodes a Reply frame into status/err/payload message (reply_desc may be NULL → *out NULL),
 * unpacked with allocator (NULL: the default one). Returns the call's status; on OI_OK *out is
 * set (the caller frees it with free_unpacked and the same allocator, or releases the arena). */
oi_status_t rpc_reply_decode(const uint8_t *data, size_t len, const ProtobufCMessageDescriptor *reply_desc,
                             ProtobufCAllocator *allocator, ProtobufCMessage **out, oi_error_t *err);

#endif
