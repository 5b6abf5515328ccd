/* test_proto_unpack.c: messages from another process that could not round-trip are refused. */
#include <criterion/criterion.h>

#include "oi/proto_unpack.h"
#include "oneinbox/v1/dispatch.pb-c.h"
#include "oneinbox/v1/envelope.pb-c.h"

TestSuite(proto_unpack);

/* A key that is an overlong 0 ("80 00"): protobuf-c alone takes it as a field numbered 0. */
Test(proto_unpack, a_field_numbered_zero_is_refused_at_the_top)
{
    static const uint8_t bad[] = {0x0a, 0x02, '+', '1', 0x80, 0x00, 0x00};
    ProtobufCMessage *raw = protobuf_c_message_unpack(&oneinbox__v1__resolve_request__descriptor, NULL, sizeof bad, bad);
    cr_assert_not_null(raw, "protobuf-c itself takes it (the case this guards)");
    cr_expect_not(oi_proto_sound(raw));
    protobuf_c_message_free_unpacked(raw, NULL);
    cr_expect_null(oi_proto_unpack(&oneinbox__v1__resolve_request__descriptor, sizeof bad, bad));
}

Test(proto_unpack, a_field_numbered_zero_is_refused_in_a_nested_message)
{
    /* ResolveReply.steps (11) holding a RouteStep with the bad key */
    static const uint8_t bad[] = {0x5a, 0x03, 0x80, 0x00, 0x00};
    cr_expect_null(oi_proto_unpack(&oneinbox__v1__resolve_reply__descriptor, sizeof bad, bad));
    static const uint8_t good[] = {0x5a, 0x02, 0x30, 0x01}; /* a step of kind 1 */
    ProtobufCMessage *m = oi_proto_unpack(&oneinbox__v1__resolve_reply__descriptor, sizeof good, good);
    cr_assert_not_null(m);
    protobuf_c_message_free_unpacked(m, NULL);
}

Test(proto_unpack, a_newer_peers_unknown_field_is_kept)
{
    static const uint8_t newer[] = {0x0a, 0x02, '+', '1', 0xf8, 0x06, 0x01}; /* field 111, varint 1 */
    ProtobufCMessage *m = oi_proto_unpack(&oneinbox__v1__resolve_request__descriptor, sizeof newer, newer);
    cr_assert_not_null(m);
    cr_expect_eq(m->n_unknown_fields, 1);
    protobuf_c_message_free_unpacked(m, NULL);
    cr_expect_null(oi_proto_unpack(&oneinbox__v1__envelope__descriptor, 3, (const uint8_t *)"\x0a\x05x"));
}

Test(proto_unpack, a_copy_is_whole_and_owns_its_strings)
{
    char to[] = "+14155550101";
    Oneinbox__V1__ResolveRequest req = ONEINBOX__V1__RESOLVE_REQUEST__INIT;
    req.to = to;
    req.from = (char *)"+14155550100";
    req.at_unix_ms = 1764806400000;
    req.explain = 1;
    Oneinbox__V1__ResolveRequest *copy = (Oneinbox__V1__ResolveRequest *)oi_proto_copy(&req.base);
    cr_assert_not_null(copy);
    to[1] = '9'; /* the original changes: the copy does not */
    cr_expect_str_eq(copy->to, "+14155550101");
    cr_expect_str_eq(copy->from, "+14155550100");
    cr_expect_eq(copy->at_unix_ms, 1764806400000);
    cr_expect(copy->explain);
    cr_expect_str_eq(copy->call_id, "");
    protobuf_c_message_free_unpacked(&copy->base, NULL);
}
