/* submit.h: business validation of job requests before they are queued (pure). */
#ifndef PROV_SUBMIT_H
#define PROV_SUBMIT_H

#include "oi/status.h"
#include "oneinbox/v1/provisioning.pb-c.h"

/* OI_INVALID with err->loc for what the gateway's schema check cannot see (or a caller skipped). */
oi_status_t prov_register_validate(const Oneinbox__V1__RegisterNumberRequest *r, oi_error_t *err);
oi_status_t prov_purchase_validate(const Oneinbox__V1__PurchaseNumberRequest *r, oi_error_t *err);

#endif
