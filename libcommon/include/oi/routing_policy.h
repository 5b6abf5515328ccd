/* oi/routing_policy.h: a number's routing policy beyond the seed's agent/fallback/voicemail.
 *
 * Three optional members of inbound_routing, each replaced as a whole by a PATCH:
 *   fallbacks     [{"agent_id": uuid, "on": ["paused","deleted","error","busy","no_answer"]}] ≤ 5
 *   schedule      {"time_zone": IANA id, "open": [{"days": ["mon",…], "from": "09:00",
 *                  "to": "17:30"}], "closed_dates": ["2026-12-25"], "after_hours":
 *                  {"agent_id": uuid} | {"voicemail": true}}
 *   caller_rules  [{"match": {"numbers": [E.164…]} | {"prefix": "+44"} | {"country": "GB"} |
 *                  {"anonymous": true}, "action": "route"|"voicemail"|"reject",
 *                  "agent_id": uuid (route only)}] ≤ 32, first match wins
 *
 * The gateway checks each member with the seeds' 422 shape (oi_policy_check_member) and passes
 * on its canonical JSON (ids lower-cased, defaults filled in, numbers normalised). Whoever
 * evaluates a policy parses the canonical form again (oi_policy_parse), trusting nothing. */
#ifndef OI_ROUTING_POLICY_H
#define OI_ROUTING_POLICY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "oi/status.h"
#include "oi/validate.h"

#define OI_POLICY_FALLBACKS_MAX 5
#define OI_POLICY_RULES_MAX 32
#define OI_POLICY_NUMBERS_MAX 50      /* numbers in one {"numbers": […]} match */
#define OI_POLICY_WINDOWS_MAX 28      /* open windows of a schedule */
#define OI_POLICY_CLOSED_MAX 366      /* closed dates of a schedule */
#define OI_POLICY_ZONE_MAX 64
#define OI_POLICY_AGENTS_MAX (OI_POLICY_FALLBACKS_MAX + OI_POLICY_RULES_MAX + 1)
#define OI_POLICY_E164_MAX 16

typedef enum {
    OI_POLICY_FALLBACKS = 0,
    OI_POLICY_SCHEDULE,
    OI_POLICY_CALLER_RULES,
    OI_POLICY__MEMBERS
} oi_policy_member_t;

/* The member's name in inbound_routing ("fallbacks", "schedule", "caller_rules"). */
const char *oi_policy_member_name(oi_policy_member_t m);

/* Why a call passes from one agent to the next. */
enum {
    OI_TRIGGER_PAUSED = 1u << 0,
    OI_TRIGGER_DELETED = 1u << 1,
    OI_TRIGGER_ERROR = 1u << 2,
    OI_TRIGGER_BUSY = 1u << 3,
    OI_TRIGGER_NO_ANSWER = 1u << 4,
    OI_TRIGGER_ALL = (1u << 5) - 1,
};
/* The trigger's API name, for one bit. */
const char *oi_trigger_name(unsigned bit);

typedef enum { OI_MATCH_NUMBERS = 0, OI_MATCH_PREFIX, OI_MATCH_COUNTRY, OI_MATCH_ANONYMOUS } oi_match_kind_t;
typedef enum { OI_ACTION_ROUTE = 0, OI_ACTION_VOICEMAIL, OI_ACTION_REJECT } oi_rule_action_t;

typedef struct {
    char agent_id[37];
    unsigned on;                /* OI_TRIGGER_* bits, never 0 */
} oi_policy_fallback_t;

typedef struct {
    unsigned days;              /* bit 0 = monday … bit 6 = sunday */
    int from, to;               /* minutes of the local day, from < to ≤ 1440 */
} oi_policy_window_t;

typedef struct {
    char time_zone[OI_POLICY_ZONE_MAX + 1];
    oi_policy_window_t open[OI_POLICY_WINDOWS_MAX];
    size_t n_open;
    int *closed;                /* owned: yyyymmdd, ascending, n_closed of them */
    size_t n_closed;
    char after_hours_agent[37]; /* "" = voicemail after hours */
} oi_policy_schedule_t;

typedef struct {
    oi_match_kind_t kind;
    char (*numbers)[17];        /* owned (OI_MATCH_NUMBERS), n_numbers entries */
    size_t n_numbers;
    char prefix[17];            /* OI_MATCH_PREFIX: "+" and 1-15 digits */
    char country[3];            /* OI_MATCH_COUNTRY: ISO 3166 alpha-2 */
    oi_rule_action_t action;
    char agent_id[37];          /* OI_ACTION_ROUTE */
} oi_policy_rule_t;

/* The caller rules indexed for a call: the first rule that matches is the smallest index among
 * the number's (one binary search), the first prefix and country that match, and the
 * anonymous rule. Contiguous, so a decision touches few cache lines whatever the policy. */
typedef struct {
    uint64_t digits;            /* the E.164 number's digits as an integer: no leading zero, so one
                                 * number, one integer; compared without touching any string */
    uint16_t rule;              /* the first rule listing it */
} oi_policy_number_t;
typedef struct {
    char text[17];              /* a prefix, or an ISO country */
    uint16_t len;
    uint16_t rule;
    uint16_t code;              /* a country's calling code (44 for GB), 0 when unknown */
} oi_policy_key_t;
/* Most callers match no rule, and the sieves say so without touching the lists: a caller whose
 * number's bit is clear in number_sieve is listed nowhere, one whose first digit is not in
 * lead_digits starts with no prefix and no country's calling code. */
#define OI_POLICY_SIEVE_WORDS 4
typedef struct {
    uint64_t number_sieve[OI_POLICY_SIEVE_WORDS]; /* a bit per listed number, by its digits' hash */
    uint16_t lead_digits;        /* bit d: a prefix or a country's calling code starts with d (or
                                  * a country's code is unknown: all bits) */
    int anonymous;               /* the first anonymous rule, -1 none */
    oi_policy_number_t *numbers; /* owned, sorted by e164, n_numbers */
    size_t n_numbers;
    oi_policy_key_t *prefixes;   /* owned, in rule order */
    size_t n_prefixes;
    oi_policy_key_t *countries;  /* owned, in rule order */
    size_t n_countries;
} oi_policy_index_t;

/* What every call reads comes first (the caller rules' index, whether a schedule applies), so a
 * decision touches few cache lines; the rest is read when a branch needs it. */
typedef struct {
    oi_policy_index_t index;    /* the rules, indexed */
    size_t n_rules;
    bool has_schedule;
    oi_policy_rule_t *rules;    /* owned, n_rules of them */
    oi_policy_fallback_t fallbacks[OI_POLICY_FALLBACKS_MAX];
    size_t n_fallbacks;
    oi_policy_schedule_t schedule;
} oi_policy_t;

/* Checks inbound_routing's member m of obj (loc = the inbound_routing object's location).
 * Returns its canonical form (new reference) when present, valid and not null; NULL otherwise,
 * with every problem recorded in v. *present / *is_null as oi_v_member. */
json_t *oi_policy_check_member(oi_validation_t *v, const oi_loc_t *loc, json_t *obj, oi_policy_member_t m,
                               bool *present, bool *is_null);

/* A new policy from {"fallbacks": …, "schedule": …, "caller_rules": …} (members optional; NULL
 * or "" text = the empty policy). OI_BAD_REQUEST with err->message on anything invalid. */
oi_status_t oi_policy_parse(const char *json_text, oi_policy_t **out, oi_error_t *err);
void oi_policy_free(oi_policy_t **self_p);
bool oi_policy_empty(const oi_policy_t *p);
/* The bytes p holds, allocations included (0 for NULL). */
size_t oi_policy_bytes(const oi_policy_t *p);

/* The first caller rule matching a caller given as normalised E.164 (NULL: withheld) whose
 * country is region ("" unknown; asked through region_of only when a country rule's calling code
 * starts the number), or -1. Same answer as trying the rules in order. */
int oi_policy_first_rule(const oi_policy_t *p, const char *e164, const char *(*region_of)(void *), void *ud);

/* Every agent the policy names, in order (fallbacks, caller rules, after hours), each with the
 * field that names it ("inbound_routing.fallbacks[0].agent_id", …). Duplicates are kept.
 * fields may be NULL; field strings are written into field_buf (max entries × 64 bytes). */
size_t oi_policy_agents(const oi_policy_t *p, const char **ids, char (*fields)[64], size_t max);

#endif
