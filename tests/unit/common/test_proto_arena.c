/* test_proto_arena.c: messages unpacked into a caller's memory, spilling to the heap, given back
 * at once (ASan/LSan see any block left behind). */
#include <criterion/criterion.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oi/mem.h"
#include "oi/proto_arena.h"
#include "oi/proto_unpack.h"
#include "oneinbox/v1/dispatch.pb-c.h"

TestSuite(proto_arena);

/* A decision with n agent steps, packed. */
static uint8_t *reply_with_steps(size_t n, size_t *len)
{
    Oneinbox__V1__ResolveReply rep = ONEINBOX__V1__RESOLVE_REPLY__INIT;
    rep.number_id = "01a23de5-3580-7991-8297-252ac5c505aa";
    rep.reason = "primary";
    Oneinbox__V1__RouteStep *steps = oi_xcalloc(n, sizeof *steps);
    Oneinbox__V1__RouteStep **each = oi_xcalloc(n, sizeof *each);
    for (size_t i = 0; i < n; i++) {
        oneinbox__v1__route_step__init(&steps[i]);
        steps[i].kind = ONEINBOX__V1__STEP_KIND__STEP_KIND_AGENT;
        steps[i].agent_id = "411063c3-a7f7-4cad-881f-94f348f20ee1";
        steps[i].role = "fallback";
        steps[i].on = (uint32_t)i;
        each[i] = &steps[i];
    }
    rep.steps = each;
    rep.n_steps = n;
    *len = protobuf_c_message_get_packed_size(&rep.base);
    uint8_t *out = oi_xmalloc(*len);
    protobuf_c_message_pack(&rep.base, out);
    free(each);
    free(steps);
    return out;
}

static void expect_reply(const ProtobufCMessage *m, size_t n)
{
    cr_assert_not_null(m);
    const Oneinbox__V1__ResolveReply *r = (const Oneinbox__V1__ResolveReply *)m;
    cr_expect_str_eq(r->number_id, "01a23de5-3580-7991-8297-252ac5c505aa");
    cr_assert_eq(r->n_steps, n);
    for (size_t i = 0; i < n; i++) {
        cr_expect_str_eq(r->steps[i]->agent_id, "411063c3-a7f7-4cad-881f-94f348f20ee1");
        cr_expect_eq(r->steps[i]->on, i);
        cr_expect_eq((uintptr_t)r->steps[i] % alignof(max_align_t), 0);
    }
}

Test(proto_arena, unpacks_into_the_callers_memory)
{
    size_t len;
    uint8_t *bytes = reply_with_steps(6, &len);
    alignas(max_align_t) uint8_t space[4096];
    oi_proto_arena_t a;
    oi_proto_arena_init(&a, space, sizeof space);
    ProtobufCMessage *m = oi_proto_unpack_in(&oneinbox__v1__resolve_reply__descriptor, &a.allocator, len, bytes);
    expect_reply(m, 6);
    cr_expect((uint8_t *)m >= space && (uint8_t *)m < space + sizeof space);
    cr_expect_null(a.blocks, "a small reply needs no heap");
    oi_proto_arena_release(&a);
    free(bytes);
}

/* More than the caller's memory holds (an unaligned, tiny buffer): the rest comes from heap
 * blocks, one bigger than a block's usual size included, all released together. */
Test(proto_arena, spills_to_the_heap_and_releases_it)
{
    size_t len;
    uint8_t *bytes = reply_with_steps(300, &len);
    uint8_t space[100];
    oi_proto_arena_t a;
    oi_proto_arena_init(&a, space + 1, sizeof space - 1);
    for (int round = 0; round < 2; round++) { /* usable again once released */
        ProtobufCMessage *m = oi_proto_unpack_in(&oneinbox__v1__resolve_reply__descriptor, &a.allocator, len, bytes);
        expect_reply(m, 300);
        cr_expect_not_null(a.blocks);
        void *big = a.allocator.alloc(a.allocator.allocator_data, 10000);
        cr_assert_not_null(big);
        memset(big, 0xab, 10000);
        a.allocator.free(a.allocator.allocator_data, big); /* nothing one by one */
        oi_proto_arena_release(&a);
        cr_expect_null(a.blocks);
    }
    cr_expect_null(a.allocator.alloc(a.allocator.allocator_data, SIZE_MAX - 8), "no allocation that wraps");
    oi_proto_arena_release(&a);
    free(bytes);
}

/* A message refused after decoding (a field numbered 0) leaves nothing behind in the arena's
 * heap blocks once released, and an arena without memory of its own works from the heap. */
Test(proto_arena, refused_message_and_arena_without_memory)
{
    oi_proto_arena_t a;
    oi_proto_arena_init(&a, NULL, 0);
    static const uint8_t bad[] = {0x5a, 0x03, 0x80, 0x00, 0x00};
    cr_expect_null(oi_proto_unpack_in(&oneinbox__v1__resolve_reply__descriptor, &a.allocator, sizeof bad, bad));
    size_t len;
    uint8_t *bytes = reply_with_steps(2, &len);
    expect_reply(oi_proto_unpack_in(&oneinbox__v1__resolve_reply__descriptor, &a.allocator, len, bytes), 2);
    oi_proto_arena_release(&a);
    free(bytes);
}
