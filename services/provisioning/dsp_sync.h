/* dsp_sync.h: the dispatch side of a number, as one dispatch.ApplyNumber call from a run.
 *
 * Every job that touches a number's trunks or routing says what they must be now, with the
 * number's version: oi-dispatch applies it only when the version is newer than what it has, so
 * steps can be repeated and late calls never undo newer ones. */
#ifndef PROV_DSP_SYNC_H
#define PROV_DSP_SYNC_H

#include <stdbool.h>

#include "jobs.h"
#include "sipcfg.h"

#define PROV_DSP_AGENTS_MAX 4

/* Everything borrowed. */
typedef struct {
    const char *number_id;
    const char *phone_number;
    const char *provider;
    long long version;
    const char *agent_ids[PROV_DSP_AGENTS_MAX];    /* must exist (NULL/"" entries skipped) */
    const char *agent_fields[PROV_DSP_AGENTS_MAX]; /* the request field naming each (error loc) */
    const char *outbound_trunk_id;
    const prov_sip_fields_t *outbound;             /* put the outbound trunk with these */
    bool delete_outbound;                          /* else: delete it (when outbound is NULL) */
    bool rotate_outbound;                          /* with outbound: new settings for the trunk kept */
    const char *inbound_trunk_id;
    const char *dispatch_rule_id;
    const prov_routing_t *routing;                 /* present: put inbound trunk + rule; else delete them */
    bool check_policy_agents;                      /* the agents of routing's policy must exist too */
} prov_dsp_number_t;

/* Calls dispatch.ApplyNumber; cb gets the outcome (AGENT_NOT_FOUND with loc "body.<field>"). */
void prov_dsp_apply(prov_run_t *r, const prov_dsp_number_t *n, prov_run_reply_fn cb);
/* The whole dispatch side of a number goes (compensation, deleted numbers): version must be newer
 * than every version applied before. */
void prov_dsp_remove(prov_run_t *r, long long version, prov_run_reply_fn cb);
/* The same, keeping the outbound trunk (a quarantine: prov_dsp_suspend_outbound holds it back). */
void prov_dsp_remove_inbound(prov_run_t *r, long long version, prov_run_reply_fn cb);
/* The outbound calls of the run's number ("outbound_trunk_id" of its payload, which must be set)
 * held back (its quarantine) or let through again (its restore), at the number's version. */
void prov_dsp_suspend_outbound(prov_run_t *r, bool suspended, long long version, prov_run_reply_fn cb);

#endif
