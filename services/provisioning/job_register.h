/* job_register.h: what the registration's submission shares with its job. */
#ifndef PROV_JOB_REGISTER_H
#define PROV_JOB_REGISTER_H

#include "integrations.h"
#include "jobs.h"
#include "sipcfg.h"

/* The outbound trunk's settings: request, then integration (may be NULL), then environment.
 * Pointers borrowed from q, integ and environ. tenants (may be NULL): whether they are the
 * tenant's own (the number keeps them) or the platform's. OI_SIP_TRUNK_PROVISION_FAILED naming
 * what is missing. */
oi_status_t prov_register_resolve(const Oneinbox__V1__RegisterNumberRequest *q, const prov_integration_sip_t *integ,
                                  prov_sip_fields_t *out, bool *tenants, oi_error_t *err);
/* Hands the integration the submission read to the run (taken: integ is left empty). */
void prov_register_keep_integration(prov_run_t *r, prov_integration_sip_t *integ);

#endif
