/* rpc_codec.c: Envelope/Reply packing and payload decoding (pure functions). */
#include "rpc_internal.h"

#include <stdlib.h>
#include <string.h>

#include "oi/mem.h"
#include "oi/proto_unpack.h"

uint8_t *oi_rpc_pack(const ProtobufCMessage *m, size_t *len)
{
    size_t n = m ? protobuf_c_message_get_packed_size(m) : 0;
    uint8_t *buf = oi_xmalloc(n ? n : 1);
    if (m)
        protobuf_c_message_pack(m, buf);
    *len = n;
    return buf;
}

ProtobufCMessage *oi_rpc_unpack(const ProtobufCMessageDescriptor *desc, const uint8_t *data, size_t len,
                                oi_error_t *err)
{
    ProtobufCMessage *m = oi_proto_unpack(desc, len, data);
    if (!m)
        oi_error_set(err, OI_BAD_REQUEST, "malformed %s message", desc->short_name);
    return m;
}

/* m packed behind RPC_CALL_ID_LEN bytes left for the call id (zeroed); *len counts them. */
static uint8_t *pack_framed(const ProtobufCMessage *m, size_t *len)
{
    size_t n = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = oi_xmalloc(RPC_CALL_ID_LEN + n);
    memset(buf, 0, RPC_CALL_ID_LEN);
    protobuf_c_message_pack(m, buf + RPC_CALL_ID_LEN);
    *len = RPC_CALL_ID_LEN + n;
    return buf;
}

uint8_t *rpc_envelope_pack(const char *method, const char *request_id, const char *workspace_id, bool admin,
                           int64_t deadline_ms, const ProtobufCMessage *req, size_t *len)
{
    Oneinbox__V1__Envelope env = ONEINBOX__V1__ENVELOPE__INIT;
    size_t plen = 0;
    uint8_t *payload = oi_rpc_pack(req, &plen);
    env.method = (char *)method;
    env.request_id = (char *)(request_id ? request_id : "");
    env.workspace_id = (char *)(workspace_id ? workspace_id : "");
    env.admin = admin;
    env.deadline_unix_ms = deadline_ms;
    env.payload.data = payload;
    env.payload.len = plen;
    uint8_t *out = pack_framed(&env.base, len);
    free(payload);
    return out;
}

uint8_t *rpc_reply_pack_bytes(const char *request_id, const void *payload, size_t plen, size_t *len)
{
    Oneinbox__V1__Reply r = ONEINBOX__V1__REPLY__INIT;
    r.request_id = (char *)(request_id ? request_id : "");
    r.status = (Oneinbox__V1__Status)OI_OK;
    r.payload.data = (uint8_t *)payload;
    r.payload.len = plen;
    return pack_framed(&r.base, len);
}

uint8_t *rpc_reply_pack(const char *request_id, oi_status_t status, const oi_error_t *err,
                        const ProtobufCMessage *reply, size_t *len)
{
    Oneinbox__V1__Reply r = ONEINBOX__V1__REPLY__INIT;
    size_t plen = 0;
    uint8_t *payload = NULL;
    r.request_id = (char *)(request_id ? request_id : "");
    r.status = (Oneinbox__V1__Status)status;
    if (status == OI_OK) {
        payload = oi_rpc_pack(reply, &plen);
        r.payload.data = payload;
        r.payload.len = plen;
    } else {
        bool have = err && err->status == status;
        r.error_message = (char *)(have && err->message[0] ? err->message : oi_status_message(status));
        r.error_loc = (char *)(have ? err->loc : "");
    }
    uint8_t *out = pack_framed(&r.base, len);
    free(payload);
    return out;
}

static oi_status_t reply_error(const Oneinbox__V1__Reply *r, oi_error_t *err)
{
    oi_status_t st = oi_status_valid((int)r->status) ? (oi_status_t)r->status : OI_INTERNAL;
    if (st == OI_OK)
        st = OI_INTERNAL;
    oi_error_set(err, st, "%s", r->error_message && *r->error_message ? r->error_message : oi_status_message(st));
    if (r->error_loc && *r->error_loc)
        oi_error_set_loc(err, r->error_loc);
    return st;
}

oi_status_t rpc_reply_decode(const uint8_t *data, size_t len, const ProtobufCMessageDescriptor *reply_desc,
                             ProtobufCAllocator *allocator, ProtobufCMessage **out, oi_error_t *err)
{
    *out = NULL;
    Oneinbox__V1__Reply *r =
        (Oneinbox__V1__Reply *)oi_proto_unpack_in(&oneinbox__v1__reply__descriptor, allocator, len, data);
    if (!r)
        return oi_error_set(err, OI_INTERNAL, "malformed reply from service");
    oi_status_t st = OI_OK;
    if ((int)r->status != (int)OI_OK) {
        st = reply_error(r, err);
    } else if (reply_desc) {
        *out = oi_proto_unpack_in(reply_desc, allocator, r->payload.len, r->payload.data);
        if (!*out)
            st = oi_error_set(err, OI_INTERNAL, "malformed %s in reply", reply_desc->short_name);
    }
    oneinbox__v1__reply__free_unpacked(r, allocator);
    return st;
}
