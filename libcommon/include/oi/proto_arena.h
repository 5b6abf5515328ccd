/* oi/proto_arena.h: a message unpacked into one stretch of memory, released all at once.
 *
 * protobuf-c allocates every string, bytes field and sub-message of an unpacked message on its
 * own, and frees each again: a routing decision with six steps is some forty allocations. A
 * reply that lives only as long as one function (an RPC client hands it to its callback, then
 * drops it) can instead be unpacked into a caller's buffer, usually on the stack, by bumping a
 * pointer; what does not fit goes to the heap in blocks the arena keeps. Nothing is freed one by
 * one: oi_proto_arena_release gives everything back, and no pointer into a message unpacked
 * with the arena may outlive that call. One thread. */
#ifndef OI_PROTO_ARENA_H
#define OI_PROTO_ARENA_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>
#include <stdint.h>

typedef struct oi_proto_arena_block oi_proto_arena_block_t;

typedef struct {
    ProtobufCAllocator allocator; /* pass &arena.allocator to protobuf-c (or oi_proto_unpack_in) */
    uint8_t *space;               /* the caller's memory (borrowed) */
    size_t cap, used;
    oi_proto_arena_block_t *blocks; /* owned: what did not fit */
} oi_proto_arena_t;

/* space (cap bytes, may be NULL with cap 0) serves first. */
void oi_proto_arena_init(oi_proto_arena_t *a, void *space, size_t cap);
/* Frees the heap blocks; the arena can be used again, empty. */
void oi_proto_arena_release(oi_proto_arena_t *a);

#endif
