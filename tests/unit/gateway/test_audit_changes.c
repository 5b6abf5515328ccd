/* test_audit_changes.c: an audit event's changes (what differs, secrets redacted), and a 202's draft
 * finished into its event. */
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

Test(audit_changes, a_value_with_nothing_to_hide_is_shared_one_with_a_secret_copied_and_redacted)
{
    json_t *b = json_loads("{\"inbound_routing\":{\"caller_rules\":[{\"match\":{\"prefix\":\"+44\"}}]},"
                           "\"metadata\":{\"deep\":[{\"api_token\":\"t\"}]}}", 0, NULL);
    json_t *a = json_loads("{}", 0, NULL);
    json_t *c = gw_audit_changes(b, a);
    json_t *routing = json_object_get(b, "inbound_routing");
    cr_expect_eq(json_object_get(json_object_get(c, "inbound_routing"), "from"), routing,
                 "nothing secret inside: the event shares the value");
    json_t *meta = json_object_get(json_object_get(c, "metadata"), "from");
    cr_expect_neq(meta, json_object_get(b, "metadata"), "a secret inside: the event holds a redacted copy");
    char *shown = json_dumps(meta, JSON_COMPACT), *source = json_dumps(json_object_get(b, "metadata"), JSON_COMPACT);
    cr_expect_str_eq(shown, "{\"deep\":[{\"api_token\":\"[redacted]\"}]}");
    cr_expect_str_eq(source, "{\"deep\":[{\"api_token\":\"t\"}]}", "the resource's own document is left as it was");
    free(shown);
    free(source);
    json_decref(c);
    json_decref(a);
    json_decref(b);
}

/* --- a 202's draft, finished when its job ends --------------------------------------------------- */

static const char *DRAFT = "{\"workspace_id\":\"7c9e6679-7425-40de-944b-e07fc1f90ae7\",\"action\":\"phone_number.created\","
                           "\"resource_type\":\"phone_number\",\"resource_id\":null,\"actor_type\":\"api_key\","
                           "\"actor_id\":\"k1\",\"request_id\":\"req-1\",\"before\":null,\"secret\":\"\","
                           "\"deleted\":false}";

Test(audit_changes, a_draft_takes_the_resource_and_job_of_its_end)
{
    json_t *draft = json_loads(DRAFT, 0, NULL);
    json_t *after = json_loads("{\"id\":\"n1\",\"phone_number\":\"+15550001111\"}", 0, NULL);
    json_t *e = gw_audit_finish(draft, after, "0190a4b2-0000-7000-8000-000000000001");
    cr_assert_not_null(e);
    cr_expect_str_eq(json_string_value(json_object_get(e, "resource_id")), "n1");
    cr_expect_str_eq(json_string_value(json_object_get(e, "request_id")), "req-1");
    cr_expect_str_eq(json_string_value(json_object_get(e, "job_id")), "0190a4b2-0000-7000-8000-000000000001");
    char *c = json_dumps(json_object_get(e, "changes"), JSON_COMPACT | JSON_SORT_KEYS);
    cr_expect_str_eq(c, "{\"id\":{\"from\":null,\"to\":\"n1\"},\"phone_number\":{\"from\":null,\"to\":\"+15550001111\"}}");
    free(c);
    json_decref(e);
    json_decref(after);
    json_decref(draft);
}

Test(audit_changes, a_draft_names_a_replaced_secret_and_no_job_unless_asked)
{
    json_t *draft = json_loads(DRAFT, 0, NULL);
    json_object_set_new(draft, "secret", json_string("provider_config"));
    json_object_set_new(draft, "resource_id", json_string("n2"));
    json_t *e = gw_audit_finish(draft, NULL, NULL);
    cr_assert_not_null(e);
    cr_expect_null(json_string_value(json_object_get(e, "job_id")));
    char *c = json_dumps(json_object_get(e, "changes"), JSON_COMPACT);
    cr_expect_str_eq(c, "{\"provider_config\":{\"from\":\"[redacted]\",\"to\":\"[redacted]\"}}");
    free(c);
    json_decref(e);
    json_decref(draft);
}

Test(audit_changes, a_draft_naming_no_resource_or_workspace_makes_no_event)
{
    json_t *draft = json_loads(DRAFT, 0, NULL);
    cr_expect_null(gw_audit_finish(draft, NULL, NULL)); /* no resource id, nothing after */
    json_object_set_new(draft, "resource_id", json_string("n3"));
    json_object_set_new(draft, "workspace_id", json_string("not-a-uuid"));
    cr_expect_null(gw_audit_finish(draft, NULL, NULL));
    json_object_del(draft, "action");
    json_object_set_new(draft, "workspace_id", json_string("7c9e6679-7425-40de-944b-e07fc1f90ae7"));
    cr_expect_null(gw_audit_finish(draft, NULL, NULL)); /* a malformed draft (no action) */
    json_decref(draft);
}
