/* Fuzzes the routing policy: any bytes as a policy document (each member checked as the gateway
 * checks it, the whole parsed as oi-dispatch parses it), and every parsed policy decided for a
 * few callers and moments, rule by rule and through the index. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oi/mem.h"
#include "oi/route.h"
#include "oi/route_decide.h"
#include "oi/routing_policy.h"
#include "oi/validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_members(const char *text)
{
    json_t *doc = json_loads(text, 0, NULL);
    if (!json_is_object(doc)) {
        json_decref(doc);
        return;
    }
    oi_validation_t *v = oi_validation_new();
    oi_loc_t loc = oi_loc_root("body");
    for (int m = 0; m < OI_POLICY__MEMBERS; m++)
        json_decref(oi_policy_check_member(v, &loc, doc, (oi_policy_member_t)m, NULL, NULL));
    free(oi_validation_render(v));
    oi_validation_destroy(&v);
    json_decref(doc);
}

static bool same_decision(const Oneinbox__V1__ResolveReply *a, const Oneinbox__V1__ResolveReply *b)
{
    const char *x = a->agent_id ? a->agent_id->value : "", *y = b->agent_id ? b->agent_id->value : "";
    return strcmp(a->reason, b->reason) == 0 && strcmp(x, y) == 0 && a->n_steps == b->n_steps;
}

static void decide_some(const oi_policy_t *p)
{
    static const char *const callers[] = {"+14155550100", "+442079460123", "", "+16135550100", "x"};
    static const int64_t moments[] = {1773063000000LL, 1798210800000LL, 0};
    oi_route_t r = {0};
    r.rule_id = (char *)"rule";
    r.workspace_id = (char *)"ws";
    r.number_id = (char *)"num";
    r.inbound_trunk_id = (char *)"";
    r.provider = (char *)"";
    r.agent_id = (char *)"11111111-1111-4111-8111-111111111111";
    r.primary = (oi_agent_state_t){.present = true, .active = true};
    for (size_t c = 0; c < sizeof callers / sizeof callers[0]; c++) {
        for (size_t t = 0; t < sizeof moments / sizeof moments[0]; t++) {
            Oneinbox__V1__ResolveReply *reps[2];
            for (int explain = 0; explain < 2; explain++) {
                oi_route_call_t in = {.policy = p, .from = callers[c], .at_ms = moments[t], .explain = explain};
                reps[explain] = oi_route_decide(&r, &in);
                (void)oi_route_decide_key(&r, &in);
            }
            /* the index (explain off) decides what the rules tried in order (explain on) decide */
            if (!same_decision(reps[0], reps[1]))
                abort();
            for (int i = 0; i < 2; i++)
                protobuf_c_message_free_unpacked(&reps[i]->base, NULL);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = oi_xmalloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    check_members(text);
    oi_policy_t *p = NULL;
    oi_error_t err;
    oi_error_init(&err);
    if (oi_policy_parse(text, &p, &err) == OI_OK) {
        const char *ids[OI_POLICY_AGENTS_MAX];
        char fields[OI_POLICY_AGENTS_MAX][64];
        (void)oi_policy_agents(p, ids, fields, OI_POLICY_AGENTS_MAX);
        decide_some(p);
        oi_policy_free(&p);
    }
    free(text);
    return 0;
}
