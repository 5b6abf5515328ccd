/* sealed.h: what each sealed value of oi-provisioning is bound to (oi/crypto.h).
 *
 * integrations' sealed columns: "<integration id>/<column>"; a job's sealed request and the
 * secrets in its payload: "<job id>/<name>" ("request", "sip_password_sealed"); a number's trunk
 * password: "<number id>". A value copied to another row or column no longer opens. */
#ifndef PROV_SEALED_H
#define PROV_SEALED_H

#include "oi/reseal.h"
#include "prov.h"

char *prov_integration_seal(const prov_t *p, const char *id, const char *column, const char *plain);
char *prov_integration_open(const prov_t *p, const char *id, const char *column, const char *sealed);
char *prov_job_seal_value(const prov_t *p, const char *job_id, const char *name, const char *plain);
char *prov_job_open_value(const prov_t *p, const char *job_id, const char *name, const char *sealed);
char *prov_number_trunk_seal(const prov_t *p, const char *number_id, const char *plain);
char *prov_number_trunk_open(const prov_t *p, const char *number_id, const char *sealed);
/* Every sealed column of oi-provisioning, for the re-seal at start (oi/reseal.h). */
extern const oi_reseal_column_t PROV_SEALED_COLUMNS[];
extern const size_t PROV_SEALED_COLUMNS_N;

#endif
