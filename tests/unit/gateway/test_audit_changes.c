/* test_audit_changes.c: an audit event's changes: what differs, secrets redacted. */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "audit.h"

TestSuite(audit_changes);

static char *changes(const char *before, const char *after)
{
    json_t *b = before ? json_loads(before, 0, NULL) : NULL, *a = after ? json_loads(after, 0, NULL) : NULL;
    json_t *c = gw_audit_changes(b, a);
    char *text = json_dumps(c, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(b);
    json_decref(a);
    json_decref(c);
    return text;
}

Test(audit_changes, only_what_differs_and_never_updated_at)
{
    char *t = changes("{\"id\":\"n1\",\"friendly_name\":\"a\",\"status\":\"active\",\"updated_at\":\"1\"}",
                      "{\"id\":\"n1\",\"friendly_name\":\"b\",\"status\":\"active\",\"updated_at\":\"2\"}");
    cr_expect_str_eq(t, "{\"friendly_name\":{\"from\":\"a\",\"to\":\"b\"}}");
    free(t);
}

Test(audit_changes, created_and_deleted_list_every_field)
{
    char *t = changes(NULL, "{\"id\":\"a1\",\"name\":\"x\",\"voicemail_message\":null}");
    cr_expect_str_eq(t, "{\"id\":{\"from\":null,\"to\":\"a1\"},\"name\":{\"from\":null,\"to\":\"x\"}}");
    free(t);
    t = changes("{\"id\":\"a1\",\"name\":\"x\"}", NULL);
    cr_expect_str_eq(t, "{\"id\":{\"from\":\"a1\",\"to\":null},\"name\":{\"from\":\"x\",\"to\":null}}");
    free(t);
}

Test(audit_changes, secrets_are_redacted_at_any_depth)
{
    char *t = changes(NULL, "{\"id\":\"k1\",\"key\":\"oi_sk_secret\",\"metadata\":{\"nested\":{\"password\":\"p\"}}}");
    cr_expect_str_eq(t, "{\"id\":{\"from\":null,\"to\":\"k1\"},\"key\":{\"from\":null,\"to\":\"[redacted]\"},"
                        "\"metadata\":{\"from\":null,\"to\":{\"nested\":{\"password\":\"[redacted]\"}}}}");
    free(t);
}

Test(audit_changes, nested_objects_compare_whole)
{
    char *t = changes("{\"inbound_routing\":{\"agent_id\":\"a\",\"voicemail_message\":\"x\"}}",
                      "{\"inbound_routing\":{\"agent_id\":\"a\",\"voicemail_message\":\"y\"}}");
    cr_expect_str_eq(t, "{\"inbound_routing\":{\"from\":{\"agent_id\":\"a\",\"voicemail_message\":\"x\"},"
                        "\"to\":{\"agent_id\":\"a\",\"voicemail_message\":\"y\"}}}");
    free(t);
}
