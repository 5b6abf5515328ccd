/* oi/status.h: the one status table of the suite.
 *
 * Each row is (NAME, HTTP status, UPPER_SNAKE code, default message). The numeric value of a
 * row travels between services in Reply.status, so the list is APPEND-ONLY: never reorder,
 * never reuse a retired row (rename it OI_OBSOLETE_<n> instead). */
#ifndef OI_STATUS_H
#define OI_STATUS_H

#include <stdbool.h>
#include <stddef.h>

#define OI_STATUS_MAP(X)                                                                        \
    X(OK, 200, "OK", "ok")                                                                      \
    X(INVALID, 422, "VALIDATION_ERROR", "request validation failed")                           \
    X(BAD_REQUEST, 400, "BAD_REQUEST", "bad request")                                          \
    X(UNAUTHORIZED, 401, "UNAUTHORIZED", "missing or invalid credentials")                     \
    X(FORBIDDEN, 403, "FORBIDDEN", "not allowed")                                              \
    X(NOT_FOUND, 404, "NOT_FOUND", "not found")                                                \
    X(CONFLICT, 409, "CONFLICT", "conflict")                                                   \
    X(PHONE_NUMBER_EXISTS, 409, "PHONE_NUMBER_EXISTS", "phone number is already registered")   \
    X(IDEMPOTENCY_KEY_REUSED, 409, "IDEMPOTENCY_KEY_REUSED",                                   \
      "Idempotency-Key was already used with another request")                                 \
    X(PAYLOAD_TOO_LARGE, 413, "PAYLOAD_TOO_LARGE", "request body too large")                   \
    X(RATE_LIMITED, 429, "RATE_LIMITED", "too many requests")                                  \
    X(INTERNAL, 500, "INTERNAL", "internal error")                                             \
    X(UNAVAILABLE, 503, "SERVICE_UNAVAILABLE", "service unavailable")                          \
    X(TIMEOUT, 504, "TIMEOUT", "upstream timed out")                                           \
    X(SIP_TRUNK_PROVISION_FAILED, 400, "SIP_TRUNK_PROVISION_FAILED",                           \
      "SIP trunk configuration is incomplete")                                                 \
    X(AGENT_NOT_FOUND, 404, "AGENT_NOT_FOUND", "agent not found")                              \
    X(NUMBER_NOT_FOUND, 404, "PHONE_NUMBER_NOT_FOUND", "phone number not found")               \
    X(INTEGRATION_NOT_FOUND, 404, "INTEGRATION_NOT_FOUND", "integration not found")            \
    X(JOB_NOT_FOUND, 404, "JOB_NOT_FOUND", "job not found")                                    \
    X(NO_ROUTE, 404, "NO_ROUTE", "no inbound route for this number")                           \
    X(NUMBER_NOT_AVAILABLE, 409, "NUMBER_NOT_AVAILABLE", "number is not available")            \
    X(NO_NUMBERS_FOUND, 404, "NO_NUMBERS_FOUND", "no numbers match the search")                \
    X(CARRIER_AUTH_FAILED, 502, "CARRIER_AUTH_FAILED", "carrier rejected the credentials")     \
    X(CARRIER_UNAVAILABLE, 503, "CARRIER_UNAVAILABLE", "carrier unavailable")                  \
    X(CARRIER_RATE_LIMITED, 503, "CARRIER_RATE_LIMITED", "carrier rate limit reached")         \
    X(CARRIER_ERROR, 502, "CARRIER_ERROR", "carrier request failed")                           \
    X(ACCEPTED, 202, "ACCEPTED", "accepted; the job is still running")                         \
    X(DB_UNAVAILABLE, 503, "DATABASE_UNAVAILABLE", "database unavailable")                     \
    X(JOB_NOT_RETRYABLE, 409, "JOB_NOT_RETRYABLE", "job cannot be retried or cancelled now")   \
    X(METHOD_NOT_ALLOWED, 405, "METHOD_NOT_ALLOWED", "method not allowed")                     \
    X(API_KEY_NOT_FOUND, 404, "API_KEY_NOT_FOUND", "API key not found")                        \
    X(CREATED, 201, "CREATED", "created")                                                      \
    X(NO_CONTENT, 204, "NO_CONTENT", "no content")                                             \
    X(IDEMPOTENCY_IN_PROGRESS, 409, "IDEMPOTENCY_KEY_IN_PROGRESS",                            \
      "a request with this Idempotency-Key is still in progress")                              \
    X(UNSUPPORTED_MEDIA_TYPE, 415, "UNSUPPORTED_MEDIA_TYPE", "Content-Type must be application/json") \
    X(DRAINING, 503, "SERVICE_DRAINING", "the replica is shutting down; the call was not run")    \
    X(JOB_LEASE_LOST, 409, "JOB_LEASE_LOST", "another replica owns the job now")                   \
    X(JOB_CANCELLED, 409, "JOB_CANCELLED", "the job was cancelled")                              \
    X(PRECONDITION_FAILED, 412, "PRECONDITION_FAILED", "the resource changed: If-Match does not match its ETag") \
    X(QUOTA_EXCEEDED, 403, "QUOTA_EXCEEDED", "the workspace holds as many numbers as its quota allows")        \
    X(DAILY_QUOTA_EXCEEDED, 429, "DAILY_QUOTA_EXCEEDED", "the workspace has bought as many numbers as its quota allows today") \
    X(NUMBER_NOT_ACTIVE, 409, "PHONE_NUMBER_NOT_ACTIVE",                                         \
      "the phone number is being provisioned, quarantined or released: it takes no change now") \
    X(NUMBER_NOT_QUARANTINED, 409, "PHONE_NUMBER_NOT_QUARANTINED",                               \
      "the phone number is not in quarantine, or its quarantine has ended")

typedef enum {
#define OI_STATUS_ENUM(name, http, code, msg) OI_##name,
    OI_STATUS_MAP(OI_STATUS_ENUM)
#undef OI_STATUS_ENUM
    OI_STATUS__COUNT
} oi_status_t;

/* Row lookups. Out-of-range values map to OI_INTERNAL's row. Returned strings are static. */
const char *oi_status_name(oi_status_t s);    /* "NOT_FOUND" (the enum row name) */
const char *oi_status_code(oi_status_t s);    /* "PHONE_NUMBER_NOT_FOUND" (the API code) */
const char *oi_status_message(oi_status_t s); /* default human message */
int oi_status_http(oi_status_t s);
/* API code → status; OI_INTERNAL when unknown. */
oi_status_t oi_status_from_code(const char *code);
bool oi_status_valid(int v);

/* Error detail, caller-owned and fixed-size: nothing is allocated on the error path.
 * The first error set wins; CR/LF in messages are replaced by spaces. An error's code is its
 * status's (oi_status_code): one status, one code, never two that disagree. */
#define OI_ERROR_MSG_MAX 256
#define OI_ERROR_LOC_MAX 128
typedef struct {
    oi_status_t status;
    char message[OI_ERROR_MSG_MAX];
    char loc[OI_ERROR_LOC_MAX];  /* optional, e.g. "body.agent_id" */
} oi_error_t;

void oi_error_init(oi_error_t *err);
/* Sets err (if non-NULL and still clear) and returns s, so `return oi_error_set(err, ...)`.
 * fmt NULL = the table's default message. */
oi_status_t oi_error_set(oi_error_t *err, oi_status_t s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Sets err (if non-NULL and still clear) to a copy of src (status, message, loc); returns
 * src's status. For passing on an error from another layer or service. */
oi_status_t oi_error_take(oi_error_t *err, const oi_error_t *src);
void oi_error_set_loc(oi_error_t *err, const char *loc);

#endif
