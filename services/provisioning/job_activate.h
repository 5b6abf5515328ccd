/* job_activate.h: the last step of a job that brings a number in (register, purchase): the number
 * becomes active and the job succeeds, in one transaction (prov_number_activate_finish); the job
 * then ends with the active number. A job whose lease moved on meanwhile ends with
 * OI_JOB_LEASE_LOST and changes nothing. */
#ifndef PROV_JOB_ACTIVATE_H
#define PROV_JOB_ACTIVATE_H

#include "jobs.h"
#include "numbers_db.h"

void prov_job_activate(prov_run_t *r, const prov_number_activation_t *a);

#endif
