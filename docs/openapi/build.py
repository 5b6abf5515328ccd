#!/usr/bin/env python3
"""Writes services/gateway/openapi.json: the OpenAPI 3.1 document of the whole public API, which the
gateway serves at GET /openapi.json (embedded at build time) and the integration suite holds
every response it receives to (tests/integration/test_zzz_openapi.py).

    python3 docs/openapi/build.py          # rewrite the document
    python3 docs/openapi/build.py --check  # exit 1 when the committed document is stale

Response shapes are closed (additionalProperties false): a field the API sends that is not here
fails the suite. Request bodies follow the seeds (the gateway's validation is the authority on
what it refuses, with the seeds' 422 shape)."""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(os.path.dirname(os.path.dirname(HERE)), "services", "gateway", "openapi.json")

UUID = {"type": "string", "format": "uuid"}
E164 = {"type": "string", "pattern": r"^\+[1-9]\d{1,14}$"}
TIME = {"type": "string", "format": "date-time"}
STR = {"type": "string"}
INT = {"type": "integer"}
BOOL = {"type": "boolean"}
ANY = {}


def ref(name):
    return {"$ref": "#/components/schemas/" + name}


def null(s):
    return {"anyOf": [s, {"type": "null"}]}


def arr(s, **kw):
    return dict({"type": "array", "items": s}, **kw)


def obj(props, required=None, extra=False, **kw):
    o = {"type": "object", "properties": props,
         "required": list(props) if required is None else required}
    if extra is not True:
        o["additionalProperties"] = extra
    o.update(kw)
    return o


def enum(*values):
    return {"type": "string", "enum": list(values)}


TRIGGERS = enum("paused", "deleted", "error", "busy", "no_answer")
DAYS = enum("mon", "tue", "wed", "thu", "fri", "sat", "sun")

SCHEMAS = {
    # --- errors
    "ValidationError": obj({"loc": arr({"anyOf": [STR, INT]}), "msg": STR, "type": STR, "input": ANY,
                            "ctx": {"type": "object"}, "url": STR}, ["loc", "msg", "type"]),
    "HTTPValidationError": obj({"detail": arr(ref("ValidationError"))}),
    "Error": obj({"detail": obj({"code": STR, "message": STR, "loc": STR}, ["code", "message"])},
                 description="Every error that is not a validation error: `code` is stable (UPPER_SNAKE), "
                             "`message` is for people."),
    # --- routing policy (docs/routing.md)
    "FallbackStep": obj({"agent_id": UUID, "on": arr(TRIGGERS)}, ["agent_id"]),
    "OpenWindow": obj({"days": arr(DAYS, minItems=1), "from": {"type": "string", "pattern": r"^\d\d:\d\d$"},
                       "to": {"type": "string", "pattern": r"^\d\d:\d\d$"}}),
    "Schedule": obj({"time_zone": STR, "open": arr(ref("OpenWindow"), maxItems=28),
                     "closed_dates": arr({"type": "string", "format": "date"}, maxItems=366),
                     "after_hours": {"oneOf": [obj({"agent_id": UUID}), obj({"voicemail": {"const": True}})]}},
                    ["time_zone"]),
    "CallerMatch": {"oneOf": [obj({"numbers": arr(STR, minItems=1, maxItems=50)}),
                              obj({"prefix": {"type": "string", "pattern": r"^\+\d{1,15}$"}}),
                              obj({"country": {"type": "string", "pattern": "^[A-Z]{2}$"}}),
                              obj({"anonymous": {"const": True}})]},
    "CallerRule": obj({"match": ref("CallerMatch"), "action": enum("route", "voicemail", "reject"),
                       "agent_id": UUID}, ["match", "action"]),
    "InboundRoutingFallback": obj({"agent_id": STR}),
    "InboundRouting-Input": obj({"agent_id": UUID, "fallback": null(obj({"agent_id": null(UUID)}, [])),
                                 "voicemail_message": null(STR),
                                 "fallbacks": null(arr(ref("FallbackStep"), maxItems=5)),
                                 "schedule": null(ref("Schedule")),
                                 "caller_rules": null(arr(ref("CallerRule"), maxItems=32))}, ["agent_id"],
                                description="Per-number routing (the seeds' three members, and the routing "
                                            "policy: docs/routing.md)."),
    "InboundRouting-Output": obj({"agent_id": STR, "fallback": null(ref("InboundRoutingFallback")),
                                  "voicemail_message": null(STR), "fallbacks": arr(ref("FallbackStep")),
                                  "schedule": ref("Schedule"), "caller_rules": arr(ref("CallerRule"))},
                                 ["agent_id", "fallback", "voicemail_message"]),
    "SipProviderConfig": obj({"trunk_address": null({"type": "string", "maxLength": 255}),
                              "auth_username": null({"type": "string", "maxLength": 255}),
                              "auth_password": null({"type": "string", "maxLength": 255})}, [], extra=True,
                             description="SIP digest credentials of the trunk a brought number is reached over; "
                                         "the password is sealed at rest and never returned."),
    # --- numbers
    "PhoneNumberCreate": obj({"phone_number": E164, "friendly_name": null(STR), "provider": enum("twilio", "telnyx"),
                              "agent_id": UUID, "provider_config": ref("SipProviderConfig"),
                              "inbound_routing": null(ref("InboundRouting-Input")),
                              "credential_id": null(UUID)}, ["phone_number", "provider", "agent_id"], extra=True),
    "PhoneNumberPurchase": obj({"country": {"type": "string", "pattern": "^[A-Z]{2}$"}, "area_code": null(STR),
                                "phone_number": null(E164), "friendly_name": null(STR), "agent_id": UUID,
                                "inbound_routing": null(ref("InboundRouting-Input"))}, ["agent_id"], extra=True),
    "PhoneNumberUpdate": obj({"friendly_name": null(STR), "agent_id": null(UUID),
                              "inbound_routing": null(ref("InboundRouting-Input")),
                              "provider_config": ref("SipProviderConfig")}, [], extra=True,
                             description="Members given replace the stored ones (inbound_routing merges member "
                                         "by member); omitted ones are kept."),
    "PhoneNumberResponse": obj({
        "id": STR, "phone_number": STR, "friendly_name": null(STR), "provider": STR, "agent_id": STR,
        "status": enum("provisioning", "active", "inactive", "quarantined", "releasing", "released"),
        "inbound_trunk_id": null(STR), "outbound_trunk_id": null(STR), "dispatch_rule_id": null(STR),
        "inbound_routing": null(ref("InboundRouting-Output")), "sms_capable": null(BOOL),
        "created_at": TIME, "updated_at": TIME,
        "release_at": dict(null(TIME), description="When a quarantined number's carrier release starts; "
                                                   "POST .../restore until then.")}),
    "AvailableNumber": obj({"phone_number": STR, "friendly_name": STR, "locality": STR, "region": STR,
                            "country": STR, "capabilities": obj({"voice": BOOL, "sms": BOOL, "mms": BOOL})}),
    # --- jobs
    "JobEvent": obj({"at": TIME, "step": STR, "state": enum("queued", "running", "succeeded", "failed", "cancelled"),
                     "error": null(STR)}),
    "Job": obj({"id": STR, "kind": enum("register", "purchase", "update_routing", "delete"),
                "status": enum("queued", "running", "succeeded", "failed", "cancelled"), "step": STR,
                "attempts": INT, "error": null(obj({"code": STR, "message": STR})),
                "result": null(ref("PhoneNumberResponse")), "created_at": TIME, "updated_at": TIME,
                "events": arr(ref("JobEvent"))},
               description="A durable job. A write whose job outlives the sync wait is answered 202 with it; "
                           "follow it with GET /v1/jobs/{id}."),
    "JobAccepted": obj({"job_id": STR, "status": enum("queued", "running")}),
    # --- agents, integrations, keys
    "AgentCreate": obj({"name": STR, "status": enum("active", "paused"), "voicemail_message": null(STR)}, ["name"]),
    "AgentUpdate": obj({"name": STR, "status": enum("active", "paused"), "voicemail_message": null(STR)}, []),
    "Agent": obj({"id": STR, "name": STR, "status": enum("active", "paused"), "voicemail_message": null(STR),
                  "created_at": TIME, "updated_at": TIME}),
    "IntegrationCreate": obj({"name": STR, "provider": enum("twilio", "telnyx"), "api_key": STR,
                              "metadata": {"type": "object"}}, ["name", "provider", "api_key"], extra=True),
    "Integration": obj({"id": STR, "name": STR, "provider": STR, "metadata": {"type": "object"},
                        "created_at": TIME, "updated_at": TIME}),
    "ApiKeyCreate": obj({"name": STR, "workspace": STR}, ["name"]),
    "ApiKeyCreated": obj({"id": STR, "key": dict(STR, description="Shown once, never again."),
                          "workspace_id": STR, "name": STR, "created_at": TIME}),
    "ApiKey": obj({"id": STR, "name": STR, "prefix": STR, "created_at": TIME, "created_by": null(STR),
                   "last_used_at": null(TIME)}),
    # --- audit
    "AuditEvent": obj({"id": STR, "action": STR, "resource_type": STR, "resource_id": STR,
                       "actor": obj({"type": enum("api_key", "jwt", "admin"), "id": null(STR)}),
                       "request_id": STR, "changes": {"type": "object",
                                                      "additionalProperties": obj({"from": ANY, "to": ANY})},
                       "created_at": TIME}),
    # --- routing (internal)
    "RouteStep": {"oneOf": [obj({"type": {"const": "agent"}, "agent_id": STR, "role": STR, "on": arr(TRIGGERS)}),
                            obj({"type": {"const": "voicemail"}, "voicemail_message": null(STR)})]},
    "RoutingDecision": obj({"number_id": STR, "agent_id": null(STR), "fallback_agent_id": null(STR),
                            "voicemail_message": null(STR), "dispatch_rule_id": STR, "inbound_trunk_id": STR,
                            "reason": STR, "provider": null(STR), "version": INT, "steps": arr(ref("RouteStep")),
                            "call_id": STR, "tried": arr(STR)},
                           ["number_id", "agent_id", "fallback_agent_id", "voicemail_message", "dispatch_rule_id",
                            "inbound_trunk_id", "reason", "provider", "version", "steps"]),
    "TraceCheck": obj({"check": STR, "matched": BOOL, "detail": STR}),
    "RoutingExplain": obj({"number_id": STR, "agent_id": null(STR), "fallback_agent_id": null(STR),
                           "voicemail_message": null(STR), "dispatch_rule_id": STR, "inbound_trunk_id": STR,
                           "reason": STR, "provider": null(STR), "version": INT, "steps": arr(ref("RouteStep")),
                           "trace": arr(ref("TraceCheck"))}),
    "RoutingFailure": obj({"number_id": UUID, "agent_id": UUID, "call_id": STR, "reason": STR}, [], extra=True),
    "OutboundRoute": obj({"outbound_trunk_id": STR, "workspace_id": STR, "phone_number": STR, "provider": STR,
                          "trunk_address": STR, "auth_username": STR, "auth_password": STR}, []),
    # --- ops
    "DriftFinding": obj({"id": STR, "provider": enum("twilio", "telnyx"),
                         "kind": enum("orphan", "missing", "trunk_mismatch", "origination_mismatch"),
                         "phone_number": STR, "number_id": null(STR), "workspace_id": null(STR),
                         "carrier_number_id": null(STR), "detail": {"type": "object"}, "first_seen_at": TIME,
                         "last_seen_at": TIME, "resolved_at": null(TIME),
                         "resolution": null(enum("no_longer_seen", "released", "marked_released", "dismissed",
                                                 "repaired")),
                         "resolved_by": null(STR), "resolved_request_id": null(STR)}),
    "DriftReport": obj({"carriers": arr(obj({
        "provider": STR, "numbers_on_account": INT, "pages": INT, "trunks_checked": INT,
        "findings": obj({"orphan": INT, "missing": INT, "trunk_mismatch": INT, "origination_mismatch": INT}),
        "error": null(STR)}))}),
    "DriftResolve": obj({"action": enum("release", "mark_released", "repair", "dismiss")}),
    "Health": obj({"status": enum("ok", "degraded", "unavailable"), "detail": STR}, ["status"]),
}

# --- parameters and headers
P = {
    "Id": {"name": "id", "in": "path", "required": True, "schema": UUID},
    "Limit": {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100,
                                                         "default": 20}},
    "Cursor": {"name": "cursor", "in": "query", "schema": STR,
               "description": "The next page's cursor, from the previous answer's Link header."},
    "IdempotencyKey": {"name": "Idempotency-Key", "in": "header", "schema": {"type": "string", "maxLength": 255},
                       "description": "A retried request with the same key gets the first answer again "
                                      "(24 h); the same key with another request is 409 IDEMPOTENCY_KEY_REUSED."},
    "IfMatch": {"name": "If-Match", "in": "header", "schema": STR,
                "description": "The number's ETag (or *): on a mismatch 412 PRECONDITION_FAILED, nothing changes."},
}
H = {
    "RequestId": {"description": "The request's id (also in logs and audit events).", "schema": STR},
    "ETag": {"description": "The number's version.", "schema": STR},
    "Link": {"description": "`<…?cursor=…>; rel=\"next\"` while more pages follow.", "schema": STR},
    "RetryAfter": {"description": "Seconds to wait.", "schema": STR},
}


def q(name, schema, desc=None):
    p = {"name": name, "in": "query", "schema": schema}
    if desc:
        p["description"] = desc
    return p


def pref(name):
    return {"$ref": "#/components/parameters/" + name}


def json_resp(desc, schema, headers=None):
    r = {"description": desc, "content": {"application/json": {"schema": schema}}}
    r["headers"] = dict({"X-Request-Id": {"$ref": "#/components/headers/RequestId"}}, **(headers or {}))
    return r


def err(desc):
    return json_resp(desc, ref("Error"))


ERROR_NAMES = {"400": "Bad request", "401": "Missing or invalid credentials", "403": "Not allowed",
               "404": "Not found", "405": "Method not allowed", "409": "Conflict", "412": "Precondition failed",
               "413": "Body too large", "415": "Unsupported media type", "429": "Too many requests",
               "500": "Internal error", "502": "Carrier error", "503": "Unavailable", "504": "Timed out"}
RESPONSES = {"Error%s" % c: err(d) for c, d in ERROR_NAMES.items()}
for c in ("429", "503"):
    RESPONSES["Error" + c]["headers"]["Retry-After"] = {"$ref": "#/components/headers/RetryAfter"}


def errors(*codes):
    return {c: {"$ref": "#/components/responses/Error%s" % c} for c in codes}


COMMON = ("401", "403", "405", "429", "500", "503", "504")
VALIDATION = {"422": json_resp("Validation error", ref("HTTPValidationError"))}
NUMBER = json_resp("The number", ref("PhoneNumberResponse"), {"ETag": {"$ref": "#/components/headers/ETag"}})
ACCEPTED = {"202": json_resp("The job is still running (the sync wait ran out): follow it at Location",
                             ref("JobAccepted"), {"Location": {"description": "/v1/jobs/{job_id}",
                                                               "schema": STR}})}
LINK = {"Link": {"$ref": "#/components/headers/Link"}}
NO_CONTENT = {"description": "Done", "headers": {"X-Request-Id": {"$ref": "#/components/headers/RequestId"}}}
API_KEY = [{"ApiKey": []}]
ADMIN = [{"AdminToken": []}]
INTERNAL = [{"InternalToken": []}]


def op(tag, summary, opid, responses, security=API_KEY, params=None, body=None, extra_codes=(), desc=None):
    o = {"tags": [tag], "summary": summary, "operationId": opid, "security": security,
         "responses": dict(responses, **errors(*sorted(set(COMMON) | set(extra_codes))))}
    if params:
        o["parameters"] = params
    if body:
        o["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    if desc:
        o["description"] = desc
    return o


LIST = [pref("Limit"), pref("Cursor")]

def document(opid, summary, ctype, desc):
    return {"get": {"tags": ["meta"], "summary": summary, "operationId": opid, "security": [], "description": desc,
                    "responses": {"200": {"description": summary, "content": {ctype: {"schema": STR}}},
                                  **errors("404", "405")}}}


FORM_DECISION = json_resp("The decision", ref("RoutingDecision"))
FORM_DECISION["content"]["application/x-www-form-urlencoded"] = {
    "schema": {"type": "object", "additionalProperties": {"type": "string"},
               "description": "format=form: the decision's scalar members, null ones left out"}}


PATHS = {
    "/openapi.json": {"get": {"tags": ["meta"], "summary": "This Document", "operationId": "openapi_document",
                              "security": [], "description": "The OpenAPI 3.1 description of the whole API.",
                              "responses": {"200": {"description": "The document",
                                                    "content": {"application/json": {"schema": {"type": "object"}}}},
                                            **errors("405")}}},
    "/docs": document("api_reference", "API Reference Page", "text/html",
                      "This document rendered (Redoc), every asset served by the gateway itself."),
    "/docs/redoc.standalone.js": document("api_reference_script", "API Reference Script", "application/javascript",
                                          "The reference page's script (404 when it is not installed)."),
    "/healthz": {"get": {"tags": ["health"], "summary": "Health", "operationId": "healthz", "security": [],
                         "description": "200 while oi-provisioning and oi-dispatch answer and PostgreSQL is "
                                        "reachable (`degraded` when only oi-carrier is away).",
                         "responses": {"200": json_resp("Up", ref("Health")),
                                       "503": json_resp("Down", ref("Health")), **errors("405")}}},
    "/v1/api-keys": {
        "post": op("api-keys", "Create API Key", "create_api_key",
                   {"201": json_resp("The key, shown once", ref("ApiKeyCreated")), **VALIDATION},
                   security=ADMIN + API_KEY, params=[pref("IdempotencyKey")], body=ref("ApiKeyCreate"),
                   extra_codes=("400", "409", "413", "415")),
        "get": op("api-keys", "List API Keys", "list_api_keys",
                  {"200": json_resp("A page of keys", arr(ref("ApiKey")), LINK), **VALIDATION},
                  security=ADMIN + API_KEY, params=LIST + [q("workspace", STR, "The admin names the workspace.")]),
    },
    "/v1/api-keys/{id}": {
        "delete": op("api-keys", "Revoke API Key", "revoke_api_key", {"204": NO_CONTENT, **VALIDATION},
                     security=ADMIN + API_KEY, params=[pref("Id")], extra_codes=("404",)),
    },
    "/v1/agents": {
        "post": op("agents", "Create Agent", "create_agent", {"201": json_resp("The agent", ref("Agent")), **VALIDATION},
                   params=[pref("IdempotencyKey")], body=ref("AgentCreate"), extra_codes=("400", "409", "413", "415")),
        "get": op("agents", "List Agents", "list_agents",
                  {"200": json_resp("A page of agents", arr(ref("Agent")), LINK), **VALIDATION}, params=LIST),
    },
    "/v1/agents/{id}": {
        "get": op("agents", "Get Agent", "get_agent", {"200": json_resp("The agent", ref("Agent")), **VALIDATION},
                  params=[pref("Id")], extra_codes=("404",)),
        "patch": op("agents", "Update Agent", "update_agent",
                    {"200": json_resp("The agent", ref("Agent")), **VALIDATION}, params=[pref("Id")],
                    body=ref("AgentUpdate"), extra_codes=("400", "404", "413", "415")),
        "delete": op("agents", "Delete Agent", "delete_agent", {"204": NO_CONTENT, **VALIDATION},
                     params=[pref("Id")], extra_codes=("404",)),
    },
    "/v1/integrations": {
        "post": op("integrations", "Create Integration", "create_integration",
                   {"201": json_resp("The integration (never its key)", ref("Integration")), **VALIDATION},
                   params=[pref("IdempotencyKey")], body=ref("IntegrationCreate"),
                   extra_codes=("400", "409", "413", "415")),
        "get": op("integrations", "List Integrations", "list_integrations",
                  {"200": json_resp("A page of integrations", arr(ref("Integration")), LINK), **VALIDATION},
                  params=LIST),
    },
    "/v1/integrations/{id}": {
        "get": op("integrations", "Get Integration", "get_integration",
                  {"200": json_resp("The integration", ref("Integration")), **VALIDATION}, params=[pref("Id")],
                  extra_codes=("404",)),
        "delete": op("integrations", "Delete Integration", "delete_integration", {"204": NO_CONTENT, **VALIDATION},
                     params=[pref("Id")], extra_codes=("404",)),
    },
    "/v1/phone-numbers": {
        "post": op("phone-numbers", "Register Phone Number", "register_phone_number",
                   {"201": NUMBER, **ACCEPTED, **VALIDATION}, params=[pref("IdempotencyKey")],
                   body=ref("PhoneNumberCreate"), extra_codes=("400", "404", "409", "413", "415", "502"),
                   desc="Registers a number you own, reached over your SIP trunk."),
        "get": op("phone-numbers", "List Phone Numbers", "list_phone_numbers",
                  {"200": json_resp("A page of numbers", arr(ref("PhoneNumberResponse")), LINK), **VALIDATION},
                  params=LIST + [q("agent_id", UUID), q("phone_number", E164), q("provider", enum("twilio", "telnyx")),
                                 q("status", enum("provisioning", "active", "inactive", "quarantined", "releasing",
                                                  "released"), "`released` lists numbers that are gone.")]),
    },
    "/v1/phone-numbers/search": {
        "get": op("phone-numbers", "Search Available Numbers", "search_phone_numbers",
                  {"200": json_resp("Numbers the carrier offers", arr(ref("AvailableNumber"))), **VALIDATION},
                  params=[q("country", {"type": "string", "pattern": "^[A-Z]{2}$"}), q("area_code", STR),
                          q("contains", STR), q("limit", {"type": "integer", "minimum": 1, "maximum": 100})],
                  extra_codes=("404", "502")),
    },
    "/v1/phone-numbers/purchase": {
        "post": op("phone-numbers", "Purchase Phone Number", "purchase_phone_number",
                   {"201": NUMBER, **ACCEPTED, **VALIDATION}, params=[pref("IdempotencyKey")],
                   body=ref("PhoneNumberPurchase"), extra_codes=("400", "404", "409", "413", "415", "502")),
    },
    "/v1/phone-numbers/{id}": {
        "get": op("phone-numbers", "Get Phone Number", "get_phone_number", {"200": NUMBER, **VALIDATION},
                  params=[pref("Id")], extra_codes=("404",)),
        "patch": op("phone-numbers", "Update Phone Number", "update_phone_number",
                    {"200": NUMBER, **ACCEPTED, **VALIDATION}, params=[pref("Id"), pref("IfMatch")],
                    body=ref("PhoneNumberUpdate"), extra_codes=("400", "404", "409", "412", "413", "415")),
        "delete": op("phone-numbers", "Delete Phone Number", "delete_phone_number",
                     {"204": NO_CONTENT, **ACCEPTED, **VALIDATION}, params=[pref("Id"), pref("IfMatch")],
                     extra_codes=("404", "409", "412", "502"),
                     desc="A purchased number goes into quarantine (OI_RELEASE_QUARANTINE_HOURS): no routing, "
                          "restorable, released on the carrier when the window ends; a second DELETE releases "
                          "it at once."),
    },
    "/v1/phone-numbers/{id}/restore": {
        "post": op("phone-numbers", "Restore Phone Number", "restore_phone_number",
                   {"200": NUMBER, **ACCEPTED, **VALIDATION}, params=[pref("Id"), pref("IfMatch"),
                                                                   pref("IdempotencyKey")],
                   extra_codes=("404", "409", "412")),
    },
    "/v1/phone-numbers/{id}/routing/explain": {
        "get": op("phone-numbers", "Explain Routing", "explain_routing",
                  {"200": json_resp("The decision and every check made", ref("RoutingExplain")), **VALIDATION},
                  params=[pref("Id"), q("from", STR), q("at", TIME)], extra_codes=("404",)),
    },
    "/v1/audit-events": {
        "get": op("audit-events", "List Audit Events", "list_audit_events",
                  {"200": json_resp("A page of events, newest first", arr(ref("AuditEvent")), LINK), **VALIDATION},
                  params=LIST + [q("resource_type", enum("phone_number", "agent", "integration", "api_key",
                                                         "drift_finding")), q("resource_id", STR), q("action", STR),
                                 q("since", TIME)], security=API_KEY + ADMIN),
    },
    "/v1/jobs": {
        "get": op("jobs", "List Jobs", "list_jobs",
                  {"200": json_resp("A page of jobs", arr(ref("Job")), LINK), **VALIDATION}, security=ADMIN,
                  params=LIST + [q("state", enum("queued", "running", "succeeded", "failed", "cancelled")),
                                 q("kind", enum("register", "purchase", "update_routing", "delete"))]),
    },
    "/v1/jobs/{id}": {
        "get": op("jobs", "Get Job", "get_job", {"200": json_resp("The job", ref("Job")), **VALIDATION},
                  security=API_KEY + ADMIN, params=[pref("Id")], extra_codes=("404",)),
    },
    "/v1/jobs/{id}/retry": {
        "post": op("jobs", "Retry Job", "retry_job", {"200": json_resp("The job", ref("Job")), **VALIDATION},
                   security=ADMIN, params=[pref("Id")], extra_codes=("404", "409")),
    },
    "/v1/jobs/{id}/cancel": {
        "post": op("jobs", "Cancel Job", "cancel_job", {"200": json_resp("The job", ref("Job")), **VALIDATION},
                   security=ADMIN, params=[pref("Id")], extra_codes=("404", "409")),
    },
    "/v1/ops/drift": {
        "get": op("ops", "List Drift Findings", "list_drift_findings",
                  {"200": json_resp("A page of findings", arr(ref("DriftFinding")), LINK), **VALIDATION},
                  security=ADMIN, params=LIST + [q("state", enum("open", "resolved", "all")),
                                                 q("provider", enum("twilio", "telnyx")),
                                                 q("kind", enum("orphan", "missing", "trunk_mismatch",
                                                                "origination_mismatch"))]),
    },
    "/v1/ops/drift/check": {
        "post": op("ops", "Check Carrier Drift", "check_drift",
                   {"200": json_resp("What each carrier account holds against the rows", ref("DriftReport"))},
                   security=ADMIN),
    },
    "/v1/ops/drift/{id}/resolve": {
        "post": op("ops", "Resolve Drift Finding", "resolve_drift_finding",
                   {"200": json_resp("The finding, resolved", ref("DriftFinding")), **VALIDATION}, security=ADMIN,
                   params=[pref("Id")], body=ref("DriftResolve"), extra_codes=("400", "404", "409", "413", "415",
                                                                              "502"),
                   desc="`release` an orphan on the carrier; `mark_released` a missing number (its row is "
                        "released); `repair` a trunk_mismatch or origination_mismatch (the number back on its "
                        "own trunk, the trunk sending calls to our SIP ingress again); `dismiss` any finding "
                        "(not raised again). A fix of a number a workspace holds is in that workspace's audit "
                        "events (`drift_finding.<resolution>`, actor admin); an orphan's trail is the finding "
                        "itself (`resolved_by`, `resolved_request_id`)."),
    },
    "/v1/routing/resolve": {
        "get": op("routing", "Resolve Routing", "resolve_routing",
                  {"200": FORM_DECISION, **VALIDATION}, security=INTERNAL,
                  params=[q("to", STR), q("from", STR), q("call_id", STR), q("at", TIME),
                          q("format", enum("json", "form"),
                            "`json` (the default) or `form`: the decision's scalar members as "
                            "`application/x-www-form-urlencoded` text, for a SIP edge that reads a member with "
                            "a string transformation instead of a JSON parser.")],
                  extra_codes=("404",),
                  desc="For the SIP edge: where a call to `to` goes now. With `format=form` the answer is "
                       "`number_id=…&agent_id=…&fallback_agent_id=…&voicemail_message=…&dispatch_rule_id=…"
                       "&inbound_trunk_id=…&reason=…&provider=…&version=…` in that order: a member that is null "
                       "in the JSON is left out, every value is percent-encoded except RFC 3986's unreserved "
                       "characters (a space is `%20`, a `+` is `%2B`), and `steps` is not carried (the edge "
                       "resolves again with its `call_id` after a failed step)."),
    },
    "/v1/routing/failures": {
        "post": op("routing", "Report Routing Failure", "report_routing_failure",
                   {"200": json_resp("The decision after the failure", ref("RoutingDecision")),
                    "204": NO_CONTENT, **VALIDATION},
                   security=INTERNAL, body=ref("RoutingFailure"), extra_codes=("400", "404", "413", "415")),
    },
    "/v1/routing/outbound": {
        "get": op("routing", "Outbound Route", "outbound_route",
                  {"200": json_resp("The number's outbound trunk and its credentials", ref("OutboundRoute")),
                   **VALIDATION}, security=INTERNAL, params=[q("from", STR), q("agent_id", UUID)],
                  extra_codes=("404",)),
    },
}

DOC = {
    "openapi": "3.1.0",
    "info": {"title": "OneInbox phone numbers API", "version": "1.0.0",
             "description": "Phone numbers for voice agents: register a number you own over your SIP trunk, "
                            "search and buy one, route inbound calls, change routing, release numbers.",
             "license": {"name": "Proprietary", "identifier": "LicenseRef-Proprietary"}},
    "servers": [{"url": "/", "description": "This gateway"}],
    "tags": [{"name": n, "description": d} for n, d in [
        ("phone-numbers", "Numbers: register, buy, route, release, restore"),
        ("agents", "The agents numbers route to"), ("integrations", "Carrier accounts of a workspace"),
        ("api-keys", "A workspace's API keys"), ("audit-events", "Who changed what"),
        ("jobs", "Durable jobs behind every write"), ("ops", "Carrier drift (platform admin)"),
        ("routing", "For the SIP edge (internal token)"), ("health", "Liveness"),
        ("meta", "The API's own description")]],
    "paths": PATHS,
    "components": {
        "schemas": SCHEMAS, "parameters": P, "headers": H, "responses": RESPONSES,
        "securitySchemes": {
            "ApiKey": {"type": "http", "scheme": "bearer",
                        "description": "A workspace API key (`oi_sk_…`), or a dashboard JWT when configured."},
            "AdminToken": {"type": "http", "scheme": "bearer", "description": "The platform's admin token."},
            "InternalToken": {"type": "http", "scheme": "bearer",
                               "description": "The internal token of the SIP edge."}}},
}


def main():
    text = json.dumps(DOC, indent=1) + "\n"
    if "--check" in sys.argv:
        with open(OUT) as f:
            if f.read() != text:
                sys.exit("services/gateway/openapi.json is stale: run python3 docs/openapi/build.py")
        return
    with open(OUT, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
