/* drift.h: carrier drift: the platform's carrier accounts compared with our rows.
 *
 * A check lists each carrier account page by page (oi-carrier ListNumbers: Twilio 1,000 and
 * Telnyx 250 numbers a page) and compares what it holds with provisioning.phone_numbers in one
 * statement (drift_db.h): numbers on the account that no row holds (orphans: paid for, used by
 * nobody), purchased rows whose number is gone from the account (missing), numbers the
 * account has on another trunk than the row's (trunk_mismatch), and numbers on their own trunk
 * when that trunk is gone or does not send calls to our SIP ingress (origination_mismatch: each
 * trunk of our rows is read with oi-carrier ListOrigination, 50 a call). Findings live in
 * provisioning.drift_findings, served by GET /v1/ops/drift and counted in the gauge
 * oi_provisioning_drift_findings{provider,kind}; each is fixed by an explicit admin action
 * (drift_rpc.c). A check runs every OI_DRIFT_CHECK_MS (0: only when asked) on one replica:
 * each replica's round first claims the period in provisioning.periodic_claims, and a replica
 * whose claim fails sets its gauges from the open findings instead. POST /v1/ops/drift/check
 * always checks; one check at a time per replica (a request during a check waits for its
 * report). A carrier that cannot be listed is reported as such and concludes nothing. Loop
 * thread. */
#ifndef PROV_DRIFT_H
#define PROV_DRIFT_H

#include "oi/rpc.h"
#include "prov.h"

prov_drift_t *prov_drift_new(prov_t *p, int interval_ms);
/* Answers call with the DriftReport of the check running now, or of one started for it. */
void prov_drift_check(prov_drift_t *d, oi_rpc_call_t *call);
/* Stops checking; calls still waiting are answered UNAVAILABLE. Nulls *self_p. */
void prov_drift_close(prov_drift_t **self_p);

#endif
