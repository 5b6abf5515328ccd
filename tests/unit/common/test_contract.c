/* test_contract.c: the proto contract and the C tables that mirror it agree. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "oi/proto_enum.h"
#include "oi/rpc.h"
#include "oi/status.h"
#include "oneinbox/test/echo.pb-c.h"
#include "oneinbox/v1/envelope.pb-c.h"

TestSuite(contract);

/* Reply.status carries OI_STATUS_MAP's values: the proto enum has exactly its rows, same names,
 * same numbers. */
Test(contract, the_status_enum_is_the_status_table)
{
    const ProtobufCEnumDescriptor *d = &oneinbox__v1__status__descriptor;
    cr_assert_eq(d->n_values, (unsigned)OI_STATUS__COUNT, "proto %u rows, table %d", d->n_values, OI_STATUS__COUNT);
    for (int i = 0; i < OI_STATUS__COUNT; i++) {
        const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(d, i);
        cr_assert_not_null(v, "no proto value %d", i);
        char want[96];
        snprintf(want, sizeof want, "STATUS_%s", oi_status_name((oi_status_t)i));
        cr_assert_str_eq(v->name, want);
    }
}

Test(contract, enum_names_drop_the_prefix_and_parse_back)
{
    const ProtobufCEnumDescriptor *d = &oneinbox__v1__provider__descriptor;
    cr_assert_str_eq(oi_enum_str(d, ONEINBOX__V1__PROVIDER__PROVIDER_TWILIO), "twilio");
    cr_assert_str_eq(oi_enum_str(d, ONEINBOX__V1__PROVIDER__PROVIDER_TELNYX), "telnyx");
    int v = -1;
    cr_assert(oi_enum_parse(d, "telnyx", &v));
    cr_assert_eq(v, ONEINBOX__V1__PROVIDER__PROVIDER_TELNYX);
    cr_assert_not(oi_enum_parse(d, "TELNYX", &v), "names are the lower-case wire names only");
    cr_assert_not(oi_enum_parse(d, "provider_telnyx", &v));
    cr_assert_not(oi_enum_parse(d, "", &v));
    cr_assert_not(oi_enum_parse(d, "unspecified", &v), "UNSPECIFIED is never a value a user can name");
    char small[4];
    cr_assert_not(oi_enum_name(d, ONEINBOX__V1__PROVIDER__PROVIDER_TWILIO, small, sizeof small));
    cr_assert_not(oi_enum_name(d, 99, small, sizeof small));
}

Test(contract, wire_names_and_table_completeness)
{
    const ProtobufCServiceDescriptor *svc = &oneinbox__test__echo__descriptor;
    char wire[64];
    oi_rpc_wire_name(svc, "Ping", wire, sizeof wire);
    cr_assert_str_eq(wire, "echo.Ping");
    cr_assert_eq(oi_rpc_method(svc, "Echo")->input, &oneinbox__v1__opt_string__descriptor);

    static oi_rpc_work_fn const work = (oi_rpc_work_fn)1;
    static oi_rpc_loop_fn const loop = (oi_rpc_loop_fn)1;
    const oi_rpc_method_t full[] = {{"Echo", work, NULL}, {"Ping", NULL, loop}};
    const oi_rpc_method_t twice[] = {{"Echo", work, NULL}, {"Echo", work, NULL}};
    const oi_rpc_method_t both[] = {{"Echo", work, loop}, {"Ping", NULL, loop}};
    const oi_rpc_method_t stranger[] = {{"Echo", work, NULL}, {"Pong", NULL, loop}};
    cr_assert(oi_rpc_table_complete(svc, full, 2));
    cr_assert_not(oi_rpc_table_complete(svc, full, 1), "a method without a handler");
    cr_assert_not(oi_rpc_table_complete(svc, twice, 2));
    cr_assert_not(oi_rpc_table_complete(svc, both, 2), "exactly one of work / on_loop");
    cr_assert_not(oi_rpc_table_complete(svc, stranger, 2), "a method the contract does not have");
}
