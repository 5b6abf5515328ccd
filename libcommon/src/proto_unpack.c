/* proto_unpack.c: unpacking that refuses what cannot round-trip (oi/proto_unpack.h). */
#include "oi/proto_unpack.h"

#include <stdlib.h>

#include "oi/mem.h"

#define DEPTH_MAX 64

static bool sound_at(const ProtobufCMessage *m, int depth);

/* The message-typed field f of m: each of its messages sound. */
static bool field_sound(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f, int depth)
{
    const char *base = (const char *)m;
    if (f->label == PROTOBUF_C_LABEL_REPEATED) {
        size_t n = *(const size_t *)(base + f->quantifier_offset);
        ProtobufCMessage *const *each = *(ProtobufCMessage *const *const *)(base + f->offset);
        for (size_t i = 0; i < n; i++)
            if (!sound_at(each[i], depth + 1))
                return false;
        return true;
    }
    if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) && *(const uint32_t *)(base + f->quantifier_offset) != f->id)
        return true; /* another member of its oneof is set */
    const ProtobufCMessage *sub = *(ProtobufCMessage *const *)(base + f->offset);
    return !sub || sound_at(sub, depth + 1);
}

static bool sound_at(const ProtobufCMessage *m, int depth)
{
    if (depth > DEPTH_MAX)
        return false;
    for (unsigned i = 0; i < m->n_unknown_fields; i++)
        if (m->unknown_fields[i].tag == 0)
            return false;
    const ProtobufCMessageDescriptor *d = m->descriptor;
    for (unsigned i = 0; i < d->n_fields; i++)
        if (d->fields[i].type == PROTOBUF_C_TYPE_MESSAGE && !field_sound(m, &d->fields[i], depth))
            return false;
    return true;
}

bool oi_proto_sound(const ProtobufCMessage *m) { return m && sound_at(m, 0); }

ProtobufCMessage *oi_proto_unpack_in(const ProtobufCMessageDescriptor *desc, ProtobufCAllocator *allocator,
                                     size_t len, const uint8_t *data)
{
    ProtobufCMessage *m = protobuf_c_message_unpack(desc, allocator, len, data);
    if (m && !oi_proto_sound(m)) {
        protobuf_c_message_free_unpacked(m, allocator);
        return NULL;
    }
    return m;
}

ProtobufCMessage *oi_proto_unpack(const ProtobufCMessageDescriptor *desc, size_t len, const uint8_t *data)
{
    return oi_proto_unpack_in(desc, NULL, len, data);
}

ProtobufCMessage *oi_proto_copy(const ProtobufCMessage *m)
{
    size_t n = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = oi_xmalloc(n + 1);
    protobuf_c_message_pack(m, buf);
    ProtobufCMessage *copy = protobuf_c_message_unpack(m->descriptor, NULL, n, buf);
    free(buf);
    return copy;
}
