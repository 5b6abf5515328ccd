#include <criterion/criterion.h>
#include <string.h>

#include "oi/status.h"

TestSuite(status);

/* The seeds' codes and DESIGN.md's HTTP answers: the table must agree with them. */
Test(status, table_matches_documented_codes)
{
    cr_assert_eq(oi_status_http(OI_INVALID), 422);
    cr_assert_eq(oi_status_http(OI_SIP_TRUNK_PROVISION_FAILED), 400);
    cr_assert_str_eq(oi_status_code(OI_SIP_TRUNK_PROVISION_FAILED), "SIP_TRUNK_PROVISION_FAILED");
    cr_assert_eq(oi_status_http(OI_PHONE_NUMBER_EXISTS), 409);
    cr_assert_eq(oi_status_http(OI_IDEMPOTENCY_KEY_REUSED), 409);
    cr_assert_eq(oi_status_http(OI_UNAUTHORIZED), 401);
    cr_assert_eq(oi_status_http(OI_NO_ROUTE), 404);
    cr_assert_eq(oi_status_http(OI_NUMBER_NOT_AVAILABLE), 409);
    cr_assert_eq(oi_status_http(OI_NO_NUMBERS_FOUND), 404);
    cr_assert_eq(oi_status_http(OI_CARRIER_AUTH_FAILED), 502);
    cr_assert_eq(oi_status_http(OI_CARRIER_UNAVAILABLE), 503);
    cr_assert_eq(oi_status_http(OI_CARRIER_RATE_LIMITED), 503);
}

Test(status, values_are_append_only)
{
    /* these numbers travel in Reply.status: they must never shift */
    cr_assert_eq(OI_OK, 0);
    cr_assert_eq(OI_INVALID, 1);
    cr_assert_eq(OI_NOT_FOUND, 5);
    cr_assert_eq(OI_INTERNAL, 11);
    cr_assert_eq(OI_SIP_TRUNK_PROVISION_FAILED, 14);
}

Test(status, codes_are_upper_snake_and_round_trip)
{
    for (int i = 0; i < OI_STATUS__COUNT; i++) {
        const char *code = oi_status_code((oi_status_t)i);
        for (const char *p = code; *p; p++)
            cr_assert((*p >= 'A' && *p <= 'Z') || *p == '_', "%s", code);
    }
    cr_assert_eq(oi_status_from_code("PHONE_NUMBER_EXISTS"), OI_PHONE_NUMBER_EXISTS);
    cr_assert_eq(oi_status_from_code("NOPE"), OI_INTERNAL);
    cr_assert_eq(oi_status_http((oi_status_t)9999), 500);
}

Test(status, first_error_wins_and_newlines_are_stripped)
{
    oi_error_t err;
    oi_error_init(&err);
    oi_error_set(&err, OI_NOT_FOUND, "line one\r\nline two");
    oi_error_set(&err, OI_INTERNAL, "second");
    cr_assert_eq(err.status, OI_NOT_FOUND);
    cr_assert_null(strchr(err.message, '\n'));
    cr_assert_null(strchr(err.message, '\r'));
    cr_assert_str_eq(oi_status_code(err.status), "NOT_FOUND");
    cr_assert_eq(oi_error_set(NULL, OI_CONFLICT, NULL), OI_CONFLICT);
}
