/* test_apply.c: ApplyNumberRequest validation: each problem is OI_INVALID at its field, and no
 * message or loc ever carries the outbound trunk's password. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <string.h>

#include "check.h"

#define SECRET "s3cr3t-Pa55word-do-not-echo"
#define A1 "0f8fad5b-d9cb-469f-a165-70867728950e"
#define A2 "7c9e6679-7425-40de-944b-e07fc1f90ae7"

TestSuite(apply);

/* A valid request with every part present; tests break one field at a time. */
typedef struct {
    Oneinbox__V1__ApplyNumberRequest req;
    Oneinbox__V1__AgentCheck checks[DSP_APPLY_AGENTS_MAX + 1];
    Oneinbox__V1__AgentCheck *check_ptrs[DSP_APPLY_AGENTS_MAX + 1];
    Oneinbox__V1__OutboundTrunk outbound;
    Oneinbox__V1__NumberRouting routing;
    Oneinbox__V1__OptString fallback, voicemail;
    char long_text[DSP_VOICEMAIL_MAX + 8];
} fixture_t;

static void fixture_init(fixture_t *f)
{
    memset(f, 0, sizeof *f);
    f->req = (Oneinbox__V1__ApplyNumberRequest)ONEINBOX__V1__APPLY_NUMBER_REQUEST__INIT;
    f->req.number_id = "num_1";
    f->req.phone_number = "+14155550100";
    f->req.provider = ONEINBOX__V1__PROVIDER__PROVIDER_TWILIO;
    f->req.version = 1;
    for (size_t i = 0; i <= DSP_APPLY_AGENTS_MAX; i++) {
        f->checks[i] = (Oneinbox__V1__AgentCheck)ONEINBOX__V1__AGENT_CHECK__INIT;
        f->checks[i].id = A1;
        f->checks[i].field = "inbound_routing.agent_id";
        f->check_ptrs[i] = &f->checks[i];
    }
    f->req.agents = f->check_ptrs;
    f->req.n_agents = 2;
    f->checks[1].id = A2;
    f->checks[1].field = "inbound_routing.fallback.agent_id";
    f->outbound = (Oneinbox__V1__OutboundTrunk)ONEINBOX__V1__OUTBOUND_TRUNK__INIT;
    f->outbound.id = "otr_1";
    f->outbound.phone_number = "+14155550100";
    f->outbound.provider = ONEINBOX__V1__PROVIDER__PROVIDER_TWILIO;
    f->outbound.trunk_address = "example.pstn.twilio.com";
    f->outbound.auth_username = "user";
    f->outbound.auth_password = SECRET;
    f->req.outbound_trunk_id = "otr_1";
    f->req.outbound_trunk = &f->outbound;
    f->routing = (Oneinbox__V1__NumberRouting)ONEINBOX__V1__NUMBER_ROUTING__INIT;
    f->routing.agent_id = A1;
    f->fallback = (Oneinbox__V1__OptString)ONEINBOX__V1__OPT_STRING__INIT;
    f->fallback.value = A2;
    f->routing.fallback_agent_id = &f->fallback;
    f->voicemail = (Oneinbox__V1__OptString)ONEINBOX__V1__OPT_STRING__INIT;
    f->voicemail.value = "Leave a message\nplease";
    f->routing.voicemail_message = &f->voicemail;
    f->req.routing = &f->routing;
    f->req.inbound_trunk_id = "itr_1";
    f->req.dispatch_rule_id = "rule_1";
}

static void expect_invalid_at(const fixture_t *f, const char *loc)
{
    oi_error_t err;
    oi_error_init(&err);
    cr_assert_eq(dsp_check_apply_number(&f->req, &err), OI_INVALID, "expected %s to be refused", loc);
    cr_expect_eq(err.status, OI_INVALID);
    cr_expect_str_eq(err.loc, loc);
    cr_expect_null(strstr(err.message, SECRET), "the password leaked into the message: %s", err.message);
    cr_expect_null(strstr(err.loc, SECRET), "the password leaked into the loc");
}

Test(apply, accepts_a_complete_request)
{
    fixture_t f;
    fixture_init(&f);
    cr_expect_eq(dsp_check_apply_number(&f.req, NULL), OI_OK);
}

Test(apply, accepts_a_number_without_routing_or_outbound_change)
{
    fixture_t f;
    fixture_init(&f);
    f.req.routing = NULL;
    f.req.inbound_trunk_id = "";
    f.req.dispatch_rule_id = "";
    f.req.outbound_trunk = NULL;
    f.req.outbound_trunk_id = "";
    f.req.n_agents = 0;
    cr_expect_eq(dsp_check_apply_number(&f.req, NULL), OI_OK);
    f.req.delete_outbound_trunk = true;
    cr_expect_eq(dsp_check_apply_number(&f.req, NULL), OI_OK, "no id: nothing to delete");
    f.req.outbound_trunk_id = "otr_1";
    cr_expect_eq(dsp_check_apply_number(&f.req, NULL), OI_OK);
}

Test(apply, the_outbound_trunk_may_leave_its_id_to_the_request)
{
    fixture_t f;
    fixture_init(&f);
    f.outbound.id = "";
    cr_expect_eq(dsp_check_apply_number(&f.req, NULL), OI_OK);
    f.outbound.auth_password = ""; /* no password: nothing to seal */
    cr_expect_eq(dsp_check_apply_number(&f.req, NULL), OI_OK);
}

Test(apply, allows_eight_agent_checks_and_refuses_nine)
{
    fixture_t f;
    fixture_init(&f);
    f.req.n_agents = DSP_APPLY_AGENTS_MAX;
    cr_expect_eq(dsp_check_apply_number(&f.req, NULL), OI_OK);
    f.req.n_agents = DSP_APPLY_AGENTS_MAX + 1;
    expect_invalid_at(&f, "agents");
}

Test(apply, a_bad_agent_id_is_reported_at_the_field_that_named_it)
{
    fixture_t f;
    fixture_init(&f);
    f.checks[1].id = "not-a-uuid";
    expect_invalid_at(&f, "inbound_routing.fallback.agent_id");
    f.checks[1].field = "";
    expect_invalid_at(&f, "agents[1].id");
}

/* --- one broken field at a time ------------------------------------------------------------ */

typedef struct {
    const char *loc;
    void (*breaks)(fixture_t *f);
} bad_case_t;

static void no_number_id(fixture_t *f) { f->req.number_id = ""; }
static void number_id_with_space(fixture_t *f) { f->req.number_id = "num 1"; }
static void phone_without_plus(fixture_t *f) { f->req.phone_number = "14155550100"; }
static void phone_too_long(fixture_t *f) { f->req.phone_number = "+1415555010012345"; }
static void provider_unknown(fixture_t *f) { f->req.provider = (Oneinbox__V1__Provider)7; }
static void provider_empty(fixture_t *f) { f->req.provider = ONEINBOX__V1__PROVIDER__PROVIDER_UNSPECIFIED; }
static void version_zero(fixture_t *f) { f->req.version = 0; }
static void version_negative(fixture_t *f) { f->req.version = -3; }
static void field_with_space(fixture_t *f) { f->checks[0].field = "inbound routing"; }
static void both_put_and_delete(fixture_t *f) { f->req.delete_outbound_trunk = true; }
static void outbound_without_id(fixture_t *f) { f->req.outbound_trunk_id = ""; }
static void delete_with_bad_id(fixture_t *f)
{
    f->req.outbound_trunk = NULL;
    f->req.delete_outbound_trunk = true;
    f->req.outbound_trunk_id = "otr 1";
}
static void outbound_id_differs(fixture_t *f) { f->outbound.id = "otr_2"; }
static void outbound_bad_phone(fixture_t *f) { f->outbound.phone_number = "+0"; }
static void outbound_bad_provider(fixture_t *f) { f->outbound.provider = (Oneinbox__V1__Provider)-1; }
static void outbound_no_address(fixture_t *f) { f->outbound.trunk_address = ""; }
static void password_with_control(fixture_t *f) { f->outbound.auth_password = SECRET "\x01"; }
static void password_too_long(fixture_t *f)
{
    memset(f->long_text, 'x', 300);
    memcpy(f->long_text, SECRET, strlen(SECRET));
    f->long_text[300] = '\0';
    f->outbound.auth_password = f->long_text;
}
static void routing_without_trunk(fixture_t *f) { f->req.inbound_trunk_id = ""; }
static void routing_without_rule(fixture_t *f) { f->req.dispatch_rule_id = ""; }
static void routing_bad_agent(fixture_t *f) { f->routing.agent_id = "agent-1"; }
static void routing_bad_fallback(fixture_t *f) { f->fallback.value = ""; }
static void voicemail_too_long(fixture_t *f)
{
    memset(f->long_text, 'v', DSP_VOICEMAIL_MAX + 1);
    f->long_text[DSP_VOICEMAIL_MAX + 1] = '\0';
    f->voicemail.value = f->long_text;
}
static void deleting_a_bad_rule_id(fixture_t *f)
{
    f->req.routing = NULL;
    f->req.dispatch_rule_id = "rule/1";
}

static const bad_case_t bad_cases[] = {
    {"number_id", no_number_id},
    {"number_id", number_id_with_space},
    {"phone_number", phone_without_plus},
    {"phone_number", phone_too_long},
    {"provider", provider_unknown},
    {"provider", provider_empty},
    {"version", version_zero},
    {"version", version_negative},
    {"agents[0].field", field_with_space},
    {"delete_outbound_trunk", both_put_and_delete},
    {"outbound_trunk_id", outbound_without_id},
    {"outbound_trunk_id", delete_with_bad_id},
    {"outbound_trunk.id", outbound_id_differs},
    {"outbound_trunk.phone_number", outbound_bad_phone},
    {"outbound_trunk.provider", outbound_bad_provider},
    {"outbound_trunk.trunk_address", outbound_no_address},
    {"outbound_trunk.auth_password", password_with_control},
    {"outbound_trunk.auth_password", password_too_long},
    {"inbound_trunk_id", routing_without_trunk},
    {"dispatch_rule_id", routing_without_rule},
    {"routing.agent_id", routing_bad_agent},
    {"routing.fallback_agent_id", routing_bad_fallback},
    {"routing.voicemail_message", voicemail_too_long},
    {"dispatch_rule_id", deleting_a_bad_rule_id},
};

/* Parameters are indexes: the table itself stays in this binary's static memory. */
ParameterizedTestParameters(apply, refuses_each_broken_field_without_echoing_the_password)
{
    static size_t idx[sizeof bad_cases / sizeof bad_cases[0]];
    for (size_t i = 0; i < sizeof idx / sizeof idx[0]; i++)
        idx[i] = i;
    return cr_make_param_array(size_t, idx, sizeof idx / sizeof idx[0]);
}

ParameterizedTest(size_t *i, apply, refuses_each_broken_field_without_echoing_the_password)
{
    fixture_t f;
    fixture_init(&f);
    bad_cases[*i].breaks(&f);
    expect_invalid_at(&f, bad_cases[*i].loc);
}
