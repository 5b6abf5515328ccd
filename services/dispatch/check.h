/* check.h: validation of dispatch requests (pure). Each checker returns OI_OK or OI_INVALID
 * with err->loc set to the offending field name (the first problem wins). */
#ifndef DSP_CHECK_H
#define DSP_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "oi/routing_policy.h"
#include "oi/status.h"
#include "oneinbox/v1/dispatch.pb-c.h"

#define DSP_NAME_MAX 255        /* code points */
#define DSP_VOICEMAIL_MAX 2000  /* code points */
#define DSP_RES_ID_MAX 128      /* caller-chosen ids of trunks and rules */
#define DSP_CALL_ID_MAX 128
#define DSP_LIST_MAX 100
#define DSP_LIST_DEFAULT 20
#define DSP_CHECK_IDS_MAX 100
#define DSP_POLICY_MAX (64 * 1024) /* bytes of a routing policy's canonical JSON */
#define DSP_AT_MAX_MS 253402300799999LL /* 9999-12-31T23:59:59.999Z */
#define DSP_APPLY_AGENTS_MAX 48 /* AgentCheck rows of one ApplyNumberRequest */
#define DSP_FIELD_MAX 100       /* bytes of an AgentCheck.field (it becomes an error loc) */

/* Number of UTF-8 code points, or -1 when s is not valid UTF-8 or holds control characters
 * other than tab/newline (allow_newline) . */
long dsp_text_len(const char *s, bool allow_newline);
/* Caller-chosen resource id: 1..128 of [A-Za-z0-9._:-]. */
bool dsp_res_id_valid(const char *s);

oi_status_t dsp_check_create_agent(const Oneinbox__V1__CreateAgentRequest *r, oi_error_t *err);
oi_status_t dsp_check_update_agent(const Oneinbox__V1__UpdateAgentRequest *r, oi_error_t *err);
/* Normalises req->id-like uuid strings into out (>= 37 bytes); OI_INVALID loc field. */
oi_status_t dsp_check_uuid(const char *s, const char *field, char *out, oi_error_t *err);
/* limit 0 = default; else 1..100. */
oi_status_t dsp_check_limit(int limit, int *out, oi_error_t *err);
oi_status_t dsp_check_outbound_trunk(const Oneinbox__V1__OutboundTrunk *t, oi_error_t *err);
oi_status_t dsp_check_resolve(const Oneinbox__V1__ResolveRequest *r, oi_error_t *err);
/* from: E.164; agent_id: a UUID, normalised into agent_out (OI_UUID_STR_LEN + 1). */
oi_status_t dsp_check_outbound_route(const Oneinbox__V1__OutboundRouteRequest *r, char *agent_out, oi_error_t *err);
oi_status_t dsp_check_report_failure(const Oneinbox__V1__ReportFailureRequest *r, oi_error_t *err);
/* The whole request: ids, phone number, provider (twilio | telnyx), version >= 1, at most
 * DSP_APPLY_AGENTS_MAX agent checks (a bad id is reported at its AgentCheck.field), the
 * outbound trunk (locs "outbound_trunk.<field>"; its id empty or outbound_trunk_id) and the
 * routing (locs "routing.<field>"). Messages never quote a value, so a password never leaks. */
oi_status_t dsp_check_apply_number(const Oneinbox__V1__ApplyNumberRequest *r, oi_error_t *err);
/* The same, and the routing's policy as it parsed into *policy (NULL when it has none or the
 * request is refused; the caller frees it with oi_policy_free): the run takes it, so a policy is
 * parsed once per call. */
oi_status_t dsp_check_apply_number_policy(const Oneinbox__V1__ApplyNumberRequest *r, oi_policy_t **policy,
                                          oi_error_t *err);

#endif
