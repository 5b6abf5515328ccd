/* test_merge.c: the PATCH merge rules of seed 003, case by case. */
#include <criterion/criterion.h>

#include <string.h>

#include "merge.h"

#define A1 "11111111-1111-4111-8111-111111111111"
#define A2 "22222222-2222-4222-8222-222222222222"
#define A3 "33333333-3333-4333-8333-333333333333"

static prov_routing_t cur;
static Oneinbox__V1__UpdateNumberRequest req;
static Oneinbox__V1__InboundRoutingUpdate upd;
static Oneinbox__V1__OptString s1, s2, s3;
static prov_merge_t m;
static oi_error_t err;

static void setup(void)
{
    cur = (prov_routing_t){.present = true, .agent_id = A1, .fallback_agent_id = A2, .voicemail_message = "vm"};
    oneinbox__v1__update_number_request__init(&req);
    req.id = "n";
    oneinbox__v1__inbound_routing_update__init(&upd);
    oneinbox__v1__opt_string__init(&s1);
    oneinbox__v1__opt_string__init(&s2);
    oneinbox__v1__opt_string__init(&s3);
    memset(&m, 0, sizeof m);
    oi_error_init(&err);
}

static void teardown(void) { prov_merge_cleanup(&m); }

TestSuite(merge, .init = setup, .fini = teardown);

static void apply(void) { cr_assert_eq(prov_merge_apply(A1, &cur, &req, &m, &err), OI_OK, "%s", err.message); }

Test(merge, empty_patch_keeps_everything)
{
    apply();
    cr_assert_str_eq(m.agent_id, A1);
    cr_assert(m.routing.present);
    cr_assert_str_eq(m.routing.fallback_agent_id, A2);
    cr_assert_str_eq(m.routing.voicemail_message, "vm");
    cr_assert_not(m.routing_changed);
    cr_assert_not(m.friendly_name_set);
    cr_assert_eq(m.n_check, 0);
}

Test(merge, friendly_name_set_and_cleared)
{
    req.set_friendly_name = true;
    s1.value = "Main";
    req.friendly_name = &s1;
    apply();
    cr_assert(m.friendly_name_set);
    cr_assert_str_eq(m.friendly_name, "Main");
    prov_merge_cleanup(&m);
    req.friendly_name = NULL; /* explicit null */
    apply();
    cr_assert(m.friendly_name_set);
    cr_assert_null(m.friendly_name);
}

Test(merge, agent_id_changes_the_column_and_is_checked)
{
    s1.value = A3;
    req.agent_id = &s1;
    apply();
    cr_assert_str_eq(m.agent_id, A3);
    cr_assert_str_eq(m.routing.agent_id, A1); /* routing untouched */
    cr_assert_eq(m.n_check, 1);
    cr_assert_str_eq(m.check_fields[0], "agent_id");
}

Test(merge, null_routing_makes_outbound_only)
{
    req.set_inbound_routing = true;
    req.clear_inbound_routing = true;
    apply();
    cr_assert_not(m.routing.present);
    cr_assert(m.routing_changed);
}

Test(merge, routing_object_keeps_unset_fields)
{
    req.set_inbound_routing = true;
    req.inbound_routing = &upd;
    upd.set_voicemail_message = true;
    s1.value = "new vm";
    upd.voicemail_message = &s1;
    apply();
    cr_assert_str_eq(m.routing.agent_id, A1);
    cr_assert_str_eq(m.routing.fallback_agent_id, A2);
    cr_assert_str_eq(m.routing.voicemail_message, "new vm");
    cr_assert(m.routing_changed);
}

Test(merge, explicit_null_fallback_and_voicemail_clear)
{
    req.set_inbound_routing = true;
    req.inbound_routing = &upd;
    upd.set_fallback = true;
    upd.set_voicemail_message = true;
    apply();
    cr_assert_null(m.routing.fallback_agent_id);
    cr_assert_null(m.routing.voicemail_message);
    cr_assert_str_eq(m.routing.agent_id, A1);
}

Test(merge, new_routing_without_agent_takes_the_number_agent_after_the_patch)
{
    cur.present = false;
    cur.agent_id = NULL;
    cur.fallback_agent_id = NULL;
    cur.voicemail_message = NULL;
    s1.value = A3;
    req.agent_id = &s1;
    req.set_inbound_routing = true;
    req.inbound_routing = &upd;
    apply();
    cr_assert(m.routing.present);
    cr_assert_str_eq(m.routing.agent_id, A3);
}

Test(merge, changed_routing_agents_are_checked_with_their_field)
{
    req.set_inbound_routing = true;
    req.inbound_routing = &upd;
    s1.value = A3;
    upd.agent_id = &s1;
    upd.set_fallback = true;
    s2.value = A1;
    upd.fallback_agent_id = &s2;
    apply();
    cr_assert_eq(m.n_check, 2);
    cr_assert_str_eq(m.check_fields[0], "inbound_routing.agent_id");
    cr_assert_str_eq(m.check_fields[1], "inbound_routing.fallback.agent_id");
}

Test(merge, malformed_uuid_is_invalid_with_loc)
{
    s1.value = "not-a-uuid";
    req.agent_id = &s1;
    cr_assert_eq(prov_merge_apply(A1, &cur, &req, &m, &err), OI_INVALID);
    cr_assert_str_eq(err.loc, "body.agent_id");
}
