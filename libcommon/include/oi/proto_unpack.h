/* oi/proto_unpack.h: unpacking protobuf from another process, refusing what cannot round-trip.
 *
 * protobuf-c takes a key encoded as an overlong varint of 0 ("80 00") as an unknown field
 * numbered 0, which no valid encoder writes; packed again it becomes "00", which protobuf-c then
 * refuses. A service that keeps such a request (a job's copy, its sealed request in the
 * database) could never read it back. Every message from the RPC plane is unpacked here: such a
 * message, at any depth, is malformed like any other undecodable bytes. Unknown fields with a
 * real number stay accepted (a newer peer's fields). */
#ifndef OI_PROTO_UNPACK_H
#define OI_PROTO_UNPACK_H

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>

/* NULL when data does not decode as desc or carries a field numbered 0. */
ProtobufCMessage *oi_proto_unpack(const ProtobufCMessageDescriptor *desc, size_t len, const uint8_t *data);
/* The same with allocator (NULL: the default one), e.g. an arena's (oi/proto_arena.h). */
ProtobufCMessage *oi_proto_unpack_in(const ProtobufCMessageDescriptor *desc, ProtobufCAllocator *allocator,
                                     size_t len, const uint8_t *data);
/* A deep copy of m (packed, then unpacked), owned by the caller (protobuf_c_message_free_unpacked). */
ProtobufCMessage *oi_proto_copy(const ProtobufCMessage *m);
/* true when m and every message in it carry no field numbered 0. */
bool oi_proto_sound(const ProtobufCMessage *m);

#endif
