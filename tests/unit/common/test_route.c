/* test_route.c: the routing decision for every reason, and the cached snapshot codec. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "oi/route_decide.h"
#include "oi/mem.h"
#include "oi/route.h"

#define P "11111111-1111-4111-8111-111111111111"
#define F "22222222-2222-4222-8222-222222222222"

TestSuite(route);

static oi_agent_state_t agent(bool present, bool deleted, bool active, const char *vm)
{
    return (oi_agent_state_t){.present = present, .deleted = deleted, .active = active, .voicemail = oi_xstrdup(vm)};
}

static oi_route_t rule(const char *fallback, const char *vm)
{
    oi_route_t r = {0};
    r.rule_id = oi_xstrdup("rule_1");
    r.workspace_id = oi_xstrdup("33333333-3333-4333-8333-333333333333");
    r.number_id = oi_xstrdup("num_1");
    r.inbound_trunk_id = oi_xstrdup("itr_1");
    r.provider = oi_xstrdup("telnyx");
    r.agent_id = oi_xstrdup(P);
    r.fallback_agent_id = oi_xstrdup(fallback);
    r.voicemail = oi_xstrdup(vm);
    return r;
}

static Oneinbox__V1__ResolveReply *decide(oi_route_t *r, const char *f1)
{
    const char *failed[] = {f1};
    oi_route_call_t in = {.failed = failed, .n_failed = f1 ? 1 : 0, .at_ms = 1767225600000LL};
    Oneinbox__V1__ResolveReply *rep = oi_route_decide(r, &in);
    cr_assert_not_null(rep);
    return rep;
}

static void done(oi_route_t *r, Oneinbox__V1__ResolveReply *rep)
{
    protobuf_c_message_free_unpacked(&rep->base, NULL);
    oi_route_cleanup(r);
}

Test(route, active_primary_is_chosen)
{
    oi_route_t r = rule(F, NULL);
    r.primary = agent(true, false, true, "primary vm");
    r.fallback = agent(true, false, true, NULL);
    Oneinbox__V1__ResolveReply *rep = decide(&r, NULL);
    cr_expect_str_eq(rep->reason, "primary");
    cr_expect_str_eq(rep->agent_id->value, P);
    cr_expect_str_eq(rep->fallback_agent_id->value, F);
    cr_expect_str_eq(rep->number_id, "num_1");
    cr_expect_str_eq(rep->dispatch_rule_id, "rule_1");
    cr_expect_str_eq(rep->inbound_trunk_id, "itr_1");
    cr_expect_str_eq(rep->provider, "telnyx");
    cr_expect_str_eq(rep->workspace_id, "33333333-3333-4333-8333-333333333333");
    cr_expect_str_eq(rep->voicemail_message->value, "primary vm");
    done(&r, rep);
}

Test(route, paused_primary_falls_back)
{
    oi_route_t r = rule(F, "number vm");
    r.primary = agent(true, false, false, NULL);
    r.fallback = agent(true, false, true, NULL);
    Oneinbox__V1__ResolveReply *rep = decide(&r, NULL);
    cr_expect_str_eq(rep->reason, "fallback_primary_paused");
    cr_expect_str_eq(rep->agent_id->value, F);
    cr_expect_str_eq(rep->voicemail_message->value, "number vm");
    done(&r, rep);
}

Test(route, deleted_primary_falls_back)
{
    oi_route_t r = rule(F, NULL);
    r.primary = agent(true, true, true, NULL);
    r.fallback = agent(true, false, true, NULL);
    Oneinbox__V1__ResolveReply *rep = decide(&r, NULL);
    cr_expect_str_eq(rep->reason, "fallback_primary_deleted");
    cr_expect_str_eq(rep->agent_id->value, F);
    done(&r, rep);
}

Test(route, unknown_primary_counts_as_deleted)
{
    oi_route_t r = rule(F, NULL);
    r.fallback = agent(true, false, true, NULL);
    Oneinbox__V1__ResolveReply *rep = decide(&r, NULL);
    cr_expect_str_eq(rep->reason, "fallback_primary_deleted");
    done(&r, rep);
}

Test(route, failed_primary_falls_back_for_that_call)
{
    oi_route_t r = rule(F, NULL);
    r.primary = agent(true, false, true, NULL);
    r.fallback = agent(true, false, true, "fallback vm");
    Oneinbox__V1__ResolveReply *rep = decide(&r, P);
    cr_expect_str_eq(rep->reason, "fallback_primary_failed");
    cr_expect_str_eq(rep->agent_id->value, F);
    cr_expect_str_eq(rep->voicemail_message->value, "fallback vm");
    protobuf_c_message_free_unpacked(&rep->base, NULL);
    rep = decide(&r, NULL); /* another call: unaffected */
    cr_expect_str_eq(rep->reason, "primary");
    done(&r, rep);
}

Test(route, no_usable_agent_gives_voicemail_of_the_rule)
{
    oi_route_t r = rule(F, "number vm");
    r.primary = agent(true, false, false, "primary vm");
    r.fallback = agent(true, true, true, "fallback vm");
    Oneinbox__V1__ResolveReply *rep = decide(&r, NULL);
    cr_expect_str_eq(rep->reason, "voicemail_no_agent");
    cr_expect_null(rep->agent_id);
    cr_expect_str_eq(rep->fallback_agent_id->value, F);
    cr_expect_str_eq(rep->voicemail_message->value, "number vm");
    done(&r, rep);
}

Test(route, voicemail_defaults_to_primary_then_fallback_agent)
{
    oi_route_t r = rule(F, NULL);
    r.primary = agent(true, false, false, "primary vm");
    r.fallback = agent(true, false, false, "fallback vm");
    Oneinbox__V1__ResolveReply *rep = decide(&r, NULL);
    cr_expect_str_eq(rep->voicemail_message->value, "primary vm");
    protobuf_c_message_free_unpacked(&rep->base, NULL);
    free(r.primary.voicemail);
    r.primary.voicemail = NULL;
    rep = decide(&r, NULL);
    cr_expect_str_eq(rep->voicemail_message->value, "fallback vm");
    done(&r, rep);
}

Test(route, voicemail_absent_when_nobody_has_one)
{
    oi_route_t r = rule(NULL, NULL);
    r.primary = agent(true, false, false, NULL);
    Oneinbox__V1__ResolveReply *rep = decide(&r, NULL);
    cr_expect_str_eq(rep->reason, "voicemail_no_agent");
    cr_expect_null(rep->voicemail_message);
    cr_expect_null(rep->fallback_agent_id);
    cr_expect_null(rep->agent_id);
    done(&r, rep);
}

Test(route, failed_fallback_too_gives_voicemail)
{
    oi_route_t r = rule(F, NULL);
    r.primary = agent(true, false, false, NULL);
    r.fallback = agent(true, false, true, NULL);
    Oneinbox__V1__ResolveReply *rep = decide(&r, F);
    cr_expect_str_eq(rep->reason, "voicemail_no_agent");
    done(&r, rep);
}

Test(route, snapshot_round_trips_through_the_codec)
{
    oi_route_t r = rule(F, "number vm");
    r.primary = agent(true, true, false, "p vm");
    r.fallback = agent(true, false, true, NULL);
    size_t len = 0;
    uint8_t *blob = oi_route_encode(&r, "gen/ver", &len);
    oi_route_t back = {0};
    char *tag = NULL;
    cr_assert_eq(oi_route_decode(blob, len, &back, &tag), OI_OK);
    cr_expect_str_eq(tag, "gen/ver");
    cr_expect_str_eq(back.rule_id, "rule_1");
    cr_expect_str_eq(back.provider, "telnyx");
    cr_expect_str_eq(back.agent_id, P);
    cr_expect_str_eq(back.fallback_agent_id, F);
    cr_expect_str_eq(back.voicemail, "number vm");
    cr_expect(back.primary.present && back.primary.deleted);
    cr_expect_str_eq(back.primary.voicemail, "p vm");
    cr_expect(back.fallback.present && back.fallback.active && !back.fallback.deleted);
    cr_expect_null(back.fallback.voicemail);
    free(blob);
    free(tag);
    oi_route_cleanup(&back);
    oi_route_cleanup(&r);
}

Test(route, snapshot_without_agents_or_fallback_round_trips)
{
    oi_route_t r = rule(NULL, NULL);
    size_t len = 0;
    uint8_t *blob = oi_route_encode(&r, "t", &len);
    oi_route_t back = {0};
    char *tag = NULL;
    cr_assert_eq(oi_route_decode(blob, len, &back, &tag), OI_OK);
    cr_expect(!back.primary.present && !back.fallback.present);
    cr_expect_null(back.fallback_agent_id);
    free(blob);
    free(tag);
    oi_route_cleanup(&back);
    oi_route_cleanup(&r);
}

Test(route, decode_rejects_garbage_and_truncation)
{
    oi_route_t r = rule(F, NULL);
    r.primary = agent(true, false, true, NULL);
    size_t len = 0;
    uint8_t *blob = oi_route_encode(&r, "t", &len);
    oi_route_t back = {0};
    char *tag = NULL;
    for (size_t cut = 0; cut < len; cut++) {
        cr_expect_eq(oi_route_decode(blob, cut, &back, &tag), OI_BAD_REQUEST, "cut at %zu", cut);
        cr_expect_null(tag);
        cr_expect_null(back.rule_id);
    }
    cr_expect_eq(oi_route_decode((const uint8_t *)"DR1xxxxxxxxxxxxxxxxx", 20, &back, &tag), OI_BAD_REQUEST);
    cr_expect_eq(oi_route_decode(NULL, 0, &back, &tag), OI_BAD_REQUEST);
    blob[0] = 'X';
    cr_expect_eq(oi_route_decode(blob, len, &back, &tag), OI_BAD_REQUEST);
    free(blob);
    oi_route_cleanup(&r);
}

Test(route, failures_parse_normalises_and_dedups)
{
    char ids[4][OI_ROUTE_ID_MAX];
    const char *s = P "," F ",junk," P ",,AAAAAAAA-AAAA-4AAA-8AAA-AAAAAAAAAAAA,";
    size_t n = oi_route_failures_parse(s, strlen(s), ids, 4);
    cr_assert_eq(n, 3);
    cr_expect_str_eq(ids[0], P);
    cr_expect_str_eq(ids[1], F);
    cr_expect_str_eq(ids[2], "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa");
    cr_expect_eq(oi_route_failures_parse(s, strlen(s), ids, 1), 1);
    cr_expect_eq(oi_route_failures_parse("", 0, ids, 4), 0);
    cr_expect_eq(oi_route_failures_parse(NULL, 10, ids, 4), 0);
}
