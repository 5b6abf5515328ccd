/* route.c: the route table and the segment matcher. */
#include "route.h"

#include <stdio.h>
#include <string.h>

#include "handlers.h"

#define TW "/2010-04-01/Accounts/*"
#define TW_CARRIER SIM_CARRIER_TWILIO
#define TX SIM_CARRIER_TELNYX
#define ADMIN SIM_CARRIER_ADMIN

static const sim_route_t routes[] = {
    {"GET", TW "/AvailablePhoneNumbers/*/*.json", "twilio.search", TW_CARRIER, sim_tw_search},
    {"POST", TW "/IncomingPhoneNumbers.json", "twilio.buy", TW_CARRIER, sim_tw_buy},
    {"GET", TW "/IncomingPhoneNumbers.json", "twilio.number_list", TW_CARRIER, sim_tw_number_list},
    {"GET", TW "/IncomingPhoneNumbers/*.json", "twilio.number_get", TW_CARRIER, sim_tw_number_get},
    {"POST", TW "/IncomingPhoneNumbers/*.json", "twilio.number_update", TW_CARRIER, sim_tw_number_update},
    {"DELETE", TW "/IncomingPhoneNumbers/*.json", "twilio.release", TW_CARRIER, sim_tw_release},
    {"POST", TW "/SIP/CredentialLists.json", "twilio.credential_list_create", TW_CARRIER, sim_tw_cl_create},
    {"GET", TW "/SIP/CredentialLists.json", "twilio.credential_list_list", TW_CARRIER, sim_tw_cl_list},
    {"GET", TW "/SIP/CredentialLists/*.json", "twilio.credential_list_get", TW_CARRIER, sim_tw_cl_get},
    {"DELETE", TW "/SIP/CredentialLists/*.json", "twilio.credential_list_delete", TW_CARRIER, sim_tw_cl_delete},
    {"POST", TW "/SIP/CredentialLists/*/Credentials.json", "twilio.credential_create", TW_CARRIER,
     sim_tw_cred_create},
    {"GET", TW "/SIP/CredentialLists/*/Credentials.json", "twilio.credential_list_credentials", TW_CARRIER,
     sim_tw_cred_list},
    {"DELETE", TW "/SIP/CredentialLists/*/Credentials/*.json", "twilio.credential_delete", TW_CARRIER,
     sim_tw_cred_delete},
    {"POST", "/v1/Trunks", "twilio.trunk_create", TW_CARRIER, sim_tw_trunk_create},
    {"GET", "/v1/Trunks", "twilio.trunk_list", TW_CARRIER, sim_tw_trunk_list},
    {"GET", "/v1/Trunks/*", "twilio.trunk_get", TW_CARRIER, sim_tw_trunk_get},
    {"POST", "/v1/Trunks/*", "twilio.trunk_update", TW_CARRIER, sim_tw_trunk_update},
    {"DELETE", "/v1/Trunks/*", "twilio.trunk_delete", TW_CARRIER, sim_tw_trunk_delete},
    {"POST", "/v1/Trunks/*/OriginationUrls", "twilio.origination_url_create", TW_CARRIER, sim_tw_ou_create},
    {"GET", "/v1/Trunks/*/OriginationUrls", "twilio.origination_url_list", TW_CARRIER, sim_tw_ou_list},
    {"GET", "/v1/Trunks/*/OriginationUrls/*", "twilio.origination_url_get", TW_CARRIER, sim_tw_ou_get},
    {"DELETE", "/v1/Trunks/*/OriginationUrls/*", "twilio.origination_url_delete", TW_CARRIER, sim_tw_ou_delete},
    {"POST", "/v1/Trunks/*/CredentialLists", "twilio.trunk_credential_list_attach", TW_CARRIER,
     sim_tw_tcl_attach},
    {"GET", "/v1/Trunks/*/CredentialLists", "twilio.trunk_credential_list_list", TW_CARRIER, sim_tw_tcl_list},
    {"DELETE", "/v1/Trunks/*/CredentialLists/*", "twilio.trunk_credential_list_detach", TW_CARRIER,
     sim_tw_tcl_detach},
    {"POST", "/v1/Trunks/*/PhoneNumbers", "twilio.trunk_number_attach", TW_CARRIER, sim_tw_tpn_attach},
    {"GET", "/v1/Trunks/*/PhoneNumbers", "twilio.trunk_number_list", TW_CARRIER, sim_tw_tpn_list},
    {"DELETE", "/v1/Trunks/*/PhoneNumbers/*", "twilio.trunk_number_detach", TW_CARRIER, sim_tw_tpn_detach},

    {"GET", "/v2/available_phone_numbers", "telnyx.search", TX, sim_tx_search},
    {"POST", "/v2/number_orders", "telnyx.order", TX, sim_tx_order_create},
    {"GET", "/v2/number_orders/*", "telnyx.order_get", TX, sim_tx_order_get},
    {"GET", "/v2/phone_numbers", "telnyx.number_list", TX, sim_tx_number_list},
    {"GET", "/v2/phone_numbers/*", "telnyx.number_get", TX, sim_tx_number_get},
    {"PATCH", "/v2/phone_numbers/*", "telnyx.number_update", TX, sim_tx_number_update},
    {"DELETE", "/v2/phone_numbers/*", "telnyx.release", TX, sim_tx_release},
    {"POST", "/v2/credential_connections", "telnyx.credential_connection_create", TX, sim_tx_cred_conn_create},
    {"GET", "/v2/credential_connections/*", "telnyx.credential_connection_get", TX, sim_tx_cred_conn_get},
    {"GET", "/v2/credential_connections", "telnyx.credential_connection_list", TX, sim_tx_cred_conn_list},
    {"DELETE", "/v2/credential_connections/*", "telnyx.credential_connection_delete", TX, sim_tx_cred_conn_delete},
    {"POST", "/v2/fqdn_connections", "telnyx.fqdn_connection_create", TX, sim_tx_fqdn_conn_create},
    {"GET", "/v2/fqdn_connections/*", "telnyx.fqdn_connection_get", TX, sim_tx_fqdn_conn_get},
    {"GET", "/v2/fqdn_connections", "telnyx.fqdn_connection_list", TX, sim_tx_fqdn_conn_list},
    {"DELETE", "/v2/fqdn_connections/*", "telnyx.fqdn_connection_delete", TX, sim_tx_fqdn_conn_delete},
    {"POST", "/v2/fqdns", "telnyx.fqdn_create", TX, sim_tx_fqdn_create},
    {"GET", "/v2/fqdns/*", "telnyx.fqdn_get", TX, sim_tx_fqdn_get},
    {"GET", "/v2/fqdns", "telnyx.fqdn_list", TX, sim_tx_fqdn_list},
    {"DELETE", "/v2/fqdns/*", "telnyx.fqdn_delete", TX, sim_tx_fqdn_delete},

    {"GET", "/healthz", "sim.healthz", ADMIN, sim_admin_healthz},
    {"POST", "/sim/faults", "sim.faults_add", ADMIN, sim_admin_faults_add},
    {"GET", "/sim/faults", "sim.faults_list", ADMIN, sim_admin_faults_list},
    {"DELETE", "/sim/faults", "sim.faults_clear", ADMIN, sim_admin_faults_clear},
    {"POST", "/sim/take", "sim.take", ADMIN, sim_admin_take},
    {"GET", "/sim/counters", "sim.counters", ADMIN, sim_admin_counters},
    {"POST", "/sim/reset", "sim.reset", ADMIN, sim_admin_reset},
};

/* Next segment of a path: [*s, end) without the leading '/'. */
static const char *segment(const char **s, size_t *len)
{
    if (**s != '/')
        return NULL;
    const char *start = *s + 1;
    const char *end = strchr(start, '/');
    *len = end ? (size_t)(end - start) : strlen(start);
    *s = start + *len;
    return start;
}

static bool seg_match(const char *pat, size_t pl, const char *seg, size_t sl, char *cap)
{
    if (pl == 1 && pat[0] == '*') {
        if (sl == 0 || sl >= SIM_CAP_LEN)
            return false;
        memcpy(cap, seg, sl);
        cap[sl] = '\0';
        return true;
    }
    if (pl == 6 && !memcmp(pat, "*.json", 6)) {
        if (sl <= 5 || sl - 5 >= SIM_CAP_LEN || memcmp(seg + sl - 5, ".json", 5))
            return false;
        memcpy(cap, seg, sl - 5);
        cap[sl - 5] = '\0';
        return true;
    }
    return pl == sl && !memcmp(pat, seg, sl);
}

static bool path_match(const char *pattern, const char *path, char cap[SIM_CAPS][SIM_CAP_LEN])
{
    const char *p = pattern, *s = path;
    int ncap = 0;
    while (*p && *s) {
        size_t pl, sl;
        const char *ps = segment(&p, &pl), *ss = segment(&s, &sl);
        if (!ps || !ss)
            return false;
        bool wild = ps[0] == '*';
        if (wild && ncap == SIM_CAPS)
            return false;
        if (!seg_match(ps, pl, ss, sl, wild ? cap[ncap] : NULL))
            return false;
        ncap += wild;
    }
    return !*p && !*s;
}

sim_match_t sim_route_match(const char *method, const char *path, char cap[SIM_CAPS][SIM_CAP_LEN],
                            const sim_route_t **out)
{
    bool path_known = false;
    *out = NULL;
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        char tmp[SIM_CAPS][SIM_CAP_LEN];
        if (!path_match(routes[i].pattern, path, tmp))
            continue;
        path_known = true;
        if (strcmp(routes[i].method, method))
            continue;
        memcpy(cap, tmp, sizeof tmp);
        *out = &routes[i];
        return SIM_MATCH_OK;
    }
    return path_known ? SIM_MATCH_BAD_METHOD : SIM_MATCH_NO_PATH;
}

sim_carrier_t sim_route_carrier_of(const char *path)
{
    if (!strncmp(path, "/2010-04-01/", 12) || !strcmp(path, "/v1") || !strncmp(path, "/v1/", 4))
        return SIM_CARRIER_TWILIO;
    if (!strcmp(path, "/v2") || !strncmp(path, "/v2/", 4))
        return SIM_CARRIER_TELNYX;
    return SIM_CARRIER_ADMIN;
}

bool sim_route_name_valid(const char *name)
{
    if (!strcmp(name, "*") || !strcmp(name, "twilio.*") || !strcmp(name, "telnyx.*"))
        return true;
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
        if (routes[i].carrier != SIM_CARRIER_ADMIN && !strcmp(routes[i].name, name))
            return true;
    return false;
}
