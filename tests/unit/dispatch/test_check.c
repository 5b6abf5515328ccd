/* test_check.c: request validation reports OI_INVALID with the field in err->loc. */
#include <criterion/criterion.h>
#include <string.h>

#include "check.h"
#include "oi/ids.h"

TestSuite(check);

#define A "0f8fad5b-d9cb-469f-a165-70867728950e"

static void expect_invalid(oi_status_t rc, const oi_error_t *err, const char *loc)
{
    cr_expect_eq(rc, OI_INVALID);
    cr_expect_str_eq(err->loc, loc);
}

Test(check, create_agent_name_bounds)
{
    Oneinbox__V1__CreateAgentRequest r = ONEINBOX__V1__CREATE_AGENT_REQUEST__INIT;
    oi_error_t err;
    oi_error_init(&err);
    r.name = "";
    expect_invalid(dsp_check_create_agent(&r, &err), &err, "name");
    char name[300];
    memset(name, 'x', 256);
    name[256] = '\0';
    r.name = name;
    oi_error_init(&err);
    expect_invalid(dsp_check_create_agent(&r, &err), &err, "name");
    name[255] = '\0';
    cr_expect_eq(dsp_check_create_agent(&r, NULL), OI_OK);
    r.name = "Zoë"; /* code points, not bytes */
    cr_expect_eq(dsp_check_create_agent(&r, NULL), OI_OK);
    r.name = "bad\x01name";
    oi_error_init(&err);
    expect_invalid(dsp_check_create_agent(&r, &err), &err, "name");
    r.name = "bad \xc3\x28";
    oi_error_init(&err);
    expect_invalid(dsp_check_create_agent(&r, &err), &err, "name");
}

Test(check, create_agent_status_and_voicemail)
{
    Oneinbox__V1__CreateAgentRequest r = ONEINBOX__V1__CREATE_AGENT_REQUEST__INIT;
    Oneinbox__V1__OptString vm = ONEINBOX__V1__OPT_STRING__INIT;
    oi_error_t err;
    oi_error_init(&err);
    r.name = "Ada";
    r.status = (Oneinbox__V1__AgentStatus)9;
    expect_invalid(dsp_check_create_agent(&r, &err), &err, "status");
    r.status = ONEINBOX__V1__AGENT_STATUS__AGENT_STATUS_PAUSED;
    vm.value = "Leave a message\nplease";
    r.voicemail_message = &vm;
    cr_expect_eq(dsp_check_create_agent(&r, NULL), OI_OK);
    r.status = ONEINBOX__V1__AGENT_STATUS__AGENT_STATUS_UNSPECIFIED; /* = active */
    cr_expect_eq(dsp_check_create_agent(&r, NULL), OI_OK);
}

Test(check, update_agent_fields)
{
    Oneinbox__V1__UpdateAgentRequest r = ONEINBOX__V1__UPDATE_AGENT_REQUEST__INIT;
    Oneinbox__V1__OptString name = ONEINBOX__V1__OPT_STRING__INIT;
    oi_error_t err;
    oi_error_init(&err);
    r.id = "nope";
    expect_invalid(dsp_check_update_agent(&r, &err), &err, "id");
    r.id = A;
    r.status = ONEINBOX__V1__AGENT_STATUS__AGENT_STATUS_DELETED; /* only DeleteAgent deletes */
    oi_error_init(&err);
    expect_invalid(dsp_check_update_agent(&r, &err), &err, "status");
    r.status = (Oneinbox__V1__AgentStatus)-2;
    oi_error_init(&err);
    expect_invalid(dsp_check_update_agent(&r, &err), &err, "status");
    r.status = ONEINBOX__V1__AGENT_STATUS__AGENT_STATUS_ACTIVE;
    name.value = "";
    r.name = &name;
    oi_error_init(&err);
    expect_invalid(dsp_check_update_agent(&r, &err), &err, "name");
    name.value = "New";
    r.set_voicemail_message = true; /* absent voicemail = clear */
    cr_expect_eq(dsp_check_update_agent(&r, NULL), OI_OK);
}

Test(check, limit_range)
{
    int out = 0;
    cr_expect_eq(dsp_check_limit(0, &out, NULL), OI_OK);
    cr_expect_eq(out, DSP_LIST_DEFAULT);
    cr_expect_eq(dsp_check_limit(100, &out, NULL), OI_OK);
    oi_error_t err;
    oi_error_init(&err);
    expect_invalid(dsp_check_limit(101, &out, &err), &err, "limit");
    cr_expect_eq(dsp_check_limit(-1, &out, NULL), OI_INVALID);
}

Test(check, resource_ids)
{
    cr_expect(dsp_res_id_valid("rule_1.a:b-c"));
    cr_expect(dsp_res_id_valid(A));
    cr_expect_not(dsp_res_id_valid(""));
    cr_expect_not(dsp_res_id_valid("has space"));
    cr_expect_not(dsp_res_id_valid("semi;colon"));
    char longid[200];
    memset(longid, 'a', 129);
    longid[129] = '\0';
    cr_expect_not(dsp_res_id_valid(longid));
}

Test(check, trunks)
{
    Oneinbox__V1__OutboundTrunk t = ONEINBOX__V1__OUTBOUND_TRUNK__INIT;
    t.id = "otr_1";
    t.phone_number = "+14155550100";
    t.provider = ONEINBOX__V1__PROVIDER__PROVIDER_TWILIO;
    t.trunk_address = "example.pstn.twilio.com";
    t.auth_username = "user";
    t.auth_password = "secret";
    cr_expect_eq(dsp_check_outbound_trunk(&t, NULL), OI_OK);
    oi_error_t err;
    oi_error_init(&err);
    t.provider = (Oneinbox__V1__Provider)3;
    expect_invalid(dsp_check_outbound_trunk(&t, &err), &err, "provider");
    t.provider = ONEINBOX__V1__PROVIDER__PROVIDER_UNSPECIFIED;
    oi_error_init(&err);
    expect_invalid(dsp_check_outbound_trunk(&t, &err), &err, "provider");
    t.provider = ONEINBOX__V1__PROVIDER__PROVIDER_TELNYX;
    t.trunk_address = "";
    oi_error_init(&err);
    expect_invalid(dsp_check_outbound_trunk(&t, &err), &err, "trunk_address");
}

Test(check, resolve_and_report_failure)
{
    Oneinbox__V1__ResolveRequest r = ONEINBOX__V1__RESOLVE_REQUEST__INIT;
    oi_error_t err;
    oi_error_init(&err);
    expect_invalid(dsp_check_resolve(&r, &err), &err, "to");
    r.to = "+14155550100";
    cr_expect_eq(dsp_check_resolve(&r, NULL), OI_OK);
    r.from = "junk";
    oi_error_init(&err);
    expect_invalid(dsp_check_resolve(&r, &err), &err, "from");
    Oneinbox__V1__ReportFailureRequest f = ONEINBOX__V1__REPORT_FAILURE_REQUEST__INIT;
    oi_error_init(&err);
    expect_invalid(dsp_check_report_failure(&f, &err), &err, "call_id");
    f.call_id = "call-1";
    f.agent_id = "bad";
    oi_error_init(&err);
    expect_invalid(dsp_check_report_failure(&f, &err), &err, "agent_id");
    f.agent_id = A;
    cr_expect_eq(dsp_check_report_failure(&f, NULL), OI_OK);
}

Test(check, outbound_route)
{
    Oneinbox__V1__OutboundRouteRequest r = ONEINBOX__V1__OUTBOUND_ROUTE_REQUEST__INIT;
    char agent[OI_UUID_STR_LEN + 1];
    oi_error_t err;
    oi_error_init(&err);
    expect_invalid(dsp_check_outbound_route(&r, agent, &err), &err, "from");
    r.from = "14155550100";
    oi_error_init(&err);
    expect_invalid(dsp_check_outbound_route(&r, agent, &err), &err, "from");
    r.from = "+14155550100";
    r.agent_id = "not-a-uuid";
    oi_error_init(&err);
    expect_invalid(dsp_check_outbound_route(&r, agent, &err), &err, "agent_id");
    r.agent_id = "6F9619FF-8B86-4011-B42D-00C04FC964FF";
    oi_error_init(&err);
    cr_expect_eq(dsp_check_outbound_route(&r, agent, &err), OI_OK);
    cr_expect_str_eq(agent, "6f9619ff-8b86-4011-b42d-00c04fc964ff");
}
