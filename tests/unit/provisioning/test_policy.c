/* test_policy.c: SIP trunk resolution order, job state machine, failure classes, backoff,
 * idempotency hashes. */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#include "idem.h"
#include "job_policy.h"
#include "oneinbox/v1/provisioning.pb-c.h"
#include "sipcfg.h"

Test(sipcfg, the_tenants_address_with_its_own_credential_pair)
{
    prov_sip_fields_t req = {.trunk_address = NULL, .auth_username = "ruser", .auth_password = "rpw"};
    prov_sip_fields_t integ = {.trunk_address = "integ.example", .auth_username = "iuser", .auth_password = "ipw"};
    prov_sip_fields_t env = {.trunk_address = "env.example", .auth_username = "euser", .auth_password = "epw"};
    prov_sip_fields_t out;
    oi_error_t err;
    oi_error_init(&err);
    cr_assert_eq(prov_sip_resolve(&req, &integ, &env, &out, &err), OI_OK);
    cr_assert_str_eq(out.trunk_address, "integ.example");
    cr_assert_str_eq(out.auth_username, "ruser");
    cr_assert_str_eq(out.auth_password, "rpw");
    /* the integration's pair when the request gives none */
    prov_sip_fields_t addr_only = {.trunk_address = "req.example"};
    cr_assert_eq(prov_sip_resolve(&addr_only, &integ, &env, &out, &err), OI_OK);
    cr_assert_str_eq(out.trunk_address, "req.example");
    cr_assert_str_eq(out.auth_password, "ipw");
}

Test(sipcfg, platform_credentials_never_with_a_tenants_address)
{
    prov_sip_fields_t env = {.trunk_address = "env.example", .auth_username = "euser", .auth_password = "epw"};
    prov_sip_fields_t out;
    oi_error_t err;
    oi_error_init(&err);
    prov_sip_fields_t addr_only = {.trunk_address = "tenant.example"};
    cr_assert_eq(prov_sip_resolve(&addr_only, NULL, &env, &out, &err), OI_SIP_TRUNK_PROVISION_FAILED);
    cr_assert(strstr(err.message, "auth_username, auth_password") != NULL, "%s", err.message);
    /* nor half a pair completed from the platform's */
    prov_sip_fields_t half = {.trunk_address = "tenant.example", .auth_username = "mine"};
    oi_error_init(&err);
    cr_assert_eq(prov_sip_resolve(&half, NULL, &env, &out, &err), OI_SIP_TRUNK_PROVISION_FAILED);
    cr_assert(strstr(err.message, "auth_password") != NULL, "%s", err.message);
    cr_assert_null(strstr(err.message, "epw"));
    /* a request split across request and integration pairs: the request's half is the pair */
    prov_sip_fields_t integ = {.trunk_address = "i.example", .auth_password = "ipw"};
    oi_error_init(&err);
    cr_assert_eq(prov_sip_resolve(&half, &integ, &env, &out, &err), OI_SIP_TRUNK_PROVISION_FAILED);
    /* nothing from the tenant: the platform's trunk, whole */
    oi_error_init(&err);
    cr_assert_eq(prov_sip_resolve(NULL, NULL, &env, &out, &err), OI_OK);
    cr_assert_str_eq(out.trunk_address, "env.example");
    cr_assert_str_eq(out.auth_password, "epw");
    prov_sip_fields_t env_half = {.trunk_address = "env.example", .auth_username = "euser"};
    oi_error_init(&err);
    cr_assert_eq(prov_sip_resolve(NULL, NULL, &env_half, &out, &err), OI_SIP_TRUNK_PROVISION_FAILED);
    cr_assert(strstr(err.message, "environment") != NULL, "%s", err.message);
}

Test(sipcfg, incomplete_names_the_missing_field_never_a_value)
{
    prov_sip_fields_t req = {.trunk_address = "t.example", .auth_password = "secret-pw-123"};
    prov_sip_fields_t out;
    oi_error_t err;
    oi_error_init(&err);
    cr_assert_eq(prov_sip_resolve(&req, NULL, NULL, &out, &err), OI_SIP_TRUNK_PROVISION_FAILED);
    cr_assert(strstr(err.message, "auth_username") != NULL, "%s", err.message);
    cr_assert_null(strstr(err.message, "secret-pw-123"));
}

Test(sipcfg, a_rotation_replaces_the_fields_given_and_keeps_the_others)
{
    prov_sip_fields_t stored = {.trunk_address = "t.example", .auth_username = "user", .auth_password = "sealed"};
    prov_sip_fields_t out;
    oi_error_t err;
    oi_error_init(&err);
    prov_sip_fields_t pw = {.auth_password = "new-pw"};
    cr_assert_eq(prov_sip_rotate("registered", &stored, &pw, &out, &err), OI_OK);
    cr_assert_str_eq(out.trunk_address, "t.example");
    cr_assert_str_eq(out.auth_username, "user");
    cr_assert_str_eq(out.auth_password, "new-pw");
    prov_sip_fields_t addr = {.trunk_address = "u.example"};
    cr_assert_eq(prov_sip_rotate("registered", &stored, &addr, &out, &err), OI_OK);
    cr_assert_str_eq(out.trunk_address, "u.example");
    cr_assert_null(out.auth_password, "the stored (sealed) password is kept");
}

Test(sipcfg, a_rotation_needs_the_tenants_own_trunk)
{
    prov_sip_fields_t none = {0}, out;
    prov_sip_fields_t all = {.trunk_address = "t.example", .auth_username = "u", .auth_password = "secret-pw-9"};
    oi_error_t err;
    oi_error_init(&err);
    cr_assert_eq(prov_sip_rotate("purchased", &none, &all, &out, &err), OI_SIP_TRUNK_PROVISION_FAILED);
    cr_assert(strstr(err.message, "platform") != NULL, "%s", err.message);
    /* registered over the platform's trunk: nothing kept, so all three at once */
    prov_sip_fields_t pw = {.auth_password = "secret-pw-9"};
    oi_error_init(&err);
    cr_assert_eq(prov_sip_rotate("registered", &none, &pw, &out, &err), OI_SIP_TRUNK_PROVISION_FAILED);
    cr_assert(strstr(err.message, "trunk_address, auth_username") != NULL, "%s", err.message);
    cr_assert_null(strstr(err.message, "secret-pw-9"), "never a value");
    oi_error_init(&err);
    cr_assert_eq(prov_sip_rotate("registered", &none, &all, &out, &err), OI_OK);
    cr_assert_str_eq(out.auth_password, "secret-pw-9");
}

Test(sipcfg, the_tenants_trunk_is_any_field_of_request_or_integration)
{
    prov_sip_fields_t none = {0}, addr = {.trunk_address = "t.example"};
    cr_assert_not(prov_sip_tenants(NULL, NULL));
    cr_assert_not(prov_sip_tenants(&none, &none));
    cr_assert(prov_sip_tenants(&addr, NULL));
    cr_assert(prov_sip_tenants(NULL, &addr));
}

Test(sipcfg, env_names_follow_the_provider)
{
    setenv("TELNYX_TRUNK_ADDRESS", "sip.telnyx.com", 1);
    prov_sip_fields_t f;
    prov_sip_env("telnyx", &f);
    cr_assert_str_eq(f.trunk_address, "sip.telnyx.com");
    prov_sip_env("../../etc", &f);
    cr_assert_null(f.trunk_address);
}

Test(jobs, state_machine)
{
    cr_assert(prov_job_transition_valid(PROV_JOB_QUEUED, PROV_JOB_RUNNING));
    cr_assert(prov_job_transition_valid(PROV_JOB_RUNNING, PROV_JOB_SUCCEEDED));
    cr_assert(prov_job_transition_valid(PROV_JOB_FAILED, PROV_JOB_QUEUED));
    cr_assert(prov_job_transition_valid(PROV_JOB_QUEUED, PROV_JOB_CANCELLED));
    cr_assert_not(prov_job_transition_valid(PROV_JOB_SUCCEEDED, PROV_JOB_QUEUED));
    cr_assert(prov_job_transition_valid(PROV_JOB_RUNNING, PROV_JOB_CANCELLED)); /* a cancel, once undone */
    cr_assert_not(prov_job_transition_valid(PROV_JOB_SUCCEEDED, PROV_JOB_CANCELLED));
    cr_assert_not(prov_job_transition_valid(PROV_JOB_CANCELLED, PROV_JOB_RUNNING));
    cr_assert(prov_job_state_terminal(PROV_JOB_FAILED));
    cr_assert_not(prov_job_state_terminal(PROV_JOB_RUNNING));
    prov_job_state_t s;
    cr_assert(prov_job_state_parse("running", &s) && s == PROV_JOB_RUNNING);
    cr_assert_not(prov_job_state_parse("bogus", &s));
    prov_job_kind_t k;
    cr_assert(prov_job_kind_parse("update_routing", &k) && k == PROV_KIND_UPDATE);
}

Test(jobs, transient_failures_retry_permanent_ones_give_up)
{
    cr_assert_eq(prov_job_on_failure(OI_CARRIER_UNAVAILABLE, 1, 5), PROV_FAIL_RETRY);
    cr_assert_eq(prov_job_on_failure(OI_TIMEOUT, 4, 5), PROV_FAIL_RETRY);
    cr_assert_eq(prov_job_on_failure(OI_TIMEOUT, 5, 5), PROV_FAIL_GIVE_UP);
    cr_assert_eq(prov_job_on_failure(OI_NUMBER_NOT_AVAILABLE, 1, 5), PROV_FAIL_GIVE_UP);
    cr_assert_eq(prov_job_on_failure(OI_AGENT_NOT_FOUND, 1, 5), PROV_FAIL_GIVE_UP);
    cr_assert(prov_status_transient(OI_DB_UNAVAILABLE));
    cr_assert(prov_status_transient(OI_DRAINING), "every replica shutting down is not the job's fault");
    cr_assert_not(prov_status_transient(OI_PHONE_NUMBER_EXISTS));
}

Test(jobs, lanes_by_provider)
{
    cr_assert_eq(prov_lane_of_provider("twilio"), PROV_LANE_TWILIO);
    cr_assert_eq(prov_lane_of_provider("telnyx"), PROV_LANE_TELNYX);
    cr_assert_eq(prov_lane_of_provider("bogus"), PROV_LANE_LOCAL);
    cr_assert_eq(prov_lane_of_provider(NULL), PROV_LANE_LOCAL);
    prov_lane_t l;
    cr_assert(prov_lane_parse("local", &l) && l == PROV_LANE_LOCAL);
    cr_assert_not(prov_lane_parse("", &l));
    cr_assert_str_eq(prov_lane_name(PROV_LANE_TELNYX), "telnyx");
}

Test(jobs, backoff_doubles_and_caps)
{
    cr_assert_eq(prov_job_backoff_ms(1, 500, 30000, 0, 7), 500);
    cr_assert_eq(prov_job_backoff_ms(3, 500, 30000, 0, 7), 2000);
    cr_assert_eq(prov_job_backoff_ms(20, 500, 30000, 0, 7), 30000);
    int64_t d = prov_job_backoff_ms(2, 500, 30000, 100, 12345);
    cr_assert(d >= 1000 && d < 1100);
}

Test(idem, hash_ignores_the_key_and_depends_on_kind_and_body)
{
    char a[PROV_HASH_HEX_LEN + 1], b[PROV_HASH_HEX_LEN + 1], c[PROV_HASH_HEX_LEN + 1];
    prov_idem_hash("secret", "register", "body", 4, a);
    prov_idem_hash("secret", "register", "body", 4, b);
    prov_idem_hash("secret", "purchase", "body", 4, c);
    cr_assert(prov_idem_same(a, b));
    cr_assert_not(prov_idem_same(a, c));
    prov_idem_hash("other-secret", "register", "body", 4, c);
    cr_assert_not(prov_idem_same(a, c));
    /* a retry across a rotation of the key: the hash kept under the previous one still matches */
    cr_assert(prov_idem_matches(a, "new-secret", "secret", "register", "body", 4));
    cr_assert_not(prov_idem_matches(a, "new-secret", "", "register", "body", 4));
    cr_assert_not(prov_idem_matches(a, "new-secret", "secret", "purchase", "body", 4));
    cr_assert(prov_idem_matches(a, "secret", NULL, "register", "body", 4));
    Oneinbox__V1__NumberIdRequest r1 = ONEINBOX__V1__NUMBER_ID_REQUEST__INIT, r2 = r1;
    r1.id = r2.id = "x";
    r1.idempotency_key = "k1";
    r2.idempotency_key = "k2";
    size_t l1, l2;
    unsigned char *p1 = prov_idem_pack_without_key(&r1.base, &l1), *p2 = prov_idem_pack_without_key(&r2.base, &l2);
    cr_assert_eq(l1, l2);
    cr_assert_eq(memcmp(p1, p2, l1), 0);
    cr_assert_str_eq(r1.idempotency_key, "k1");
    free(p1);
    free(p2);
    r1.wait_ms = 20000; /* a retry that waits longer is the same submission */
    r2.wait_ms = 5;
    p1 = prov_idem_pack_without_key(&r1.base, &l1);
    p2 = prov_idem_pack_without_key(&r2.base, &l2);
    cr_assert_eq(l1, l2);
    cr_assert_eq(memcmp(p1, p2, l1), 0);
    cr_assert_eq(r1.wait_ms, 20000);
    free(p1);
    free(p2);
}
