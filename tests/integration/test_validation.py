"""Every constraint of PhoneNumberCreate (seed 002), answered with FastAPI's 422 shape."""
import copy
import uuid

import pytest

from oiclient import is_uuid, new_number, outbound_body, path_c_body


def base_body():
    a, b, c = (str(uuid.uuid4()) for _ in range(3))
    return path_c_body(a, b, c)


def assert_422(r, loc, types=None):
    assert r.status == 422, r
    assert isinstance(r.json, dict) and isinstance(r.json.get("detail"), list) and r.json["detail"], r
    for e in r.errors:
        assert isinstance(e.get("loc"), list) and all(isinstance(x, (str, int)) for x in e["loc"]), e
        assert isinstance(e.get("msg"), str) and e["msg"], e
        assert isinstance(e.get("type"), str) and e["type"], e
    match = [e for e in r.errors if tuple(e["loc"]) == loc]
    assert match, "no error at %r in %r" % (loc, r.errors)
    if types:
        assert match[0]["type"] in types, match[0]


def setp(path, value):
    def f(b):
        d = b
        for k in path[:-1]:
            d = d[k]
        d[path[-1]] = value
    return f


def delp(path):
    def f(b):
        d = b
        for k in path[:-1]:
            d = d[k]
        del d[path[-1]]
    return f


PATTERN = {"string_pattern_mismatch"}
UUID = {"uuid_parsing", "uuid_type"}
TOO_LONG = {"string_too_long"}
MISSING = {"missing"}

CASES = [
    ("e164_leading_zero", setp(["phone_number"], "+0123456789"), ("body", "phone_number"), PATTERN),
    ("e164_sixteen_digits", setp(["phone_number"], "+1234567890123456"), ("body", "phone_number"), PATTERN),
    ("e164_no_plus", setp(["phone_number"], "15739693824"), ("body", "phone_number"), PATTERN),
    ("e164_one_digit", setp(["phone_number"], "+1"), ("body", "phone_number"), PATTERN),
    ("e164_letters", setp(["phone_number"], "+1573969382a"), ("body", "phone_number"), PATTERN),
    ("e164_space", setp(["phone_number"], "+1 5739693824"), ("body", "phone_number"), PATTERN),
    ("e164_empty", setp(["phone_number"], ""), ("body", "phone_number"), PATTERN),
    ("e164_trailing_newline", setp(["phone_number"], "+15739693824\n"), ("body", "phone_number"), PATTERN),
    ("phone_number_int", setp(["phone_number"], 15739693824), ("body", "phone_number"), {"string_type"}),
    ("phone_number_null", setp(["phone_number"], None), ("body", "phone_number"), {"string_type"}),
    ("missing_phone_number", delp(["phone_number"]), ("body", "phone_number"), MISSING),
    ("missing_provider", delp(["provider"]), ("body", "provider"), MISSING),
    ("missing_agent_id", delp(["agent_id"]), ("body", "agent_id"), MISSING),
    ("provider_enum", setp(["provider"], "vonage"), ("body", "provider"), {"enum", "literal_error"}),
    ("provider_case", setp(["provider"], "Twilio"), ("body", "provider"), {"enum", "literal_error"}),
    ("provider_int", setp(["provider"], 1), ("body", "provider"), None),
    ("agent_id_uuid", setp(["agent_id"], "agt_abc123"), ("body", "agent_id"), UUID),
    ("agent_id_int", setp(["agent_id"], 7), ("body", "agent_id"), None),
    ("credential_id_uuid", setp(["credential_id"], "crd_abc123"), ("body", "credential_id"), UUID),
    ("routing_agent_uuid", setp(["inbound_routing", "agent_id"], "nope"), ("body", "inbound_routing", "agent_id"),
     UUID),
    ("routing_agent_missing", delp(["inbound_routing", "agent_id"]), ("body", "inbound_routing", "agent_id"),
     MISSING),
    ("fallback_agent_uuid", setp(["inbound_routing", "fallback", "agent_id"], "x-y"),
     ("body", "inbound_routing", "fallback", "agent_id"), UUID),
    ("routing_not_object", setp(["inbound_routing"], "agent"), ("body", "inbound_routing"), None),
    ("fallback_not_object", setp(["inbound_routing", "fallback"], []), ("body", "inbound_routing", "fallback"),
     None),
    ("voicemail_int", setp(["inbound_routing", "voicemail_message"], 5),
     ("body", "inbound_routing", "voicemail_message"), {"string_type"}),
    ("trunk_address_256", setp(["provider_config", "trunk_address"], "t" * 256),
     ("body", "provider_config", "trunk_address"), TOO_LONG),
    ("auth_username_256", setp(["provider_config", "auth_username"], "u" * 256),
     ("body", "provider_config", "auth_username"), TOO_LONG),
    ("auth_password_256", setp(["provider_config", "auth_password"], "p" * 256),
     ("body", "provider_config", "auth_password"), TOO_LONG),
    ("trunk_address_int", setp(["provider_config", "trunk_address"], 5),
     ("body", "provider_config", "trunk_address"), {"string_type"}),
    ("provider_config_not_object", setp(["provider_config"], "trunk"), ("body", "provider_config"), None),
    ("friendly_name_int", setp(["friendly_name"], 12), ("body", "friendly_name"), {"string_type"}),
]


@pytest.mark.parametrize("name,mutate,loc,types", CASES, ids=[c[0] for c in CASES])
def test_register_rule(client, name, mutate, loc, types):
    body = base_body()
    mutate(body)
    r = client.post("/v1/phone-numbers", body)
    assert_422(r, loc, types)


def test_all_problems_reported_at_once(client):
    body = base_body()
    del body["phone_number"]
    body["provider"] = "sinch"
    body["agent_id"] = "zzz"
    r = client.post("/v1/phone-numbers", body)
    assert r.status == 422, r
    locs = set(r.locs())
    assert {("body", "phone_number"), ("body", "provider"), ("body", "agent_id")} <= locs


def test_fifteen_digits_accepted(client, agents):
    number = "+1%014d" % (uuid.uuid4().int % 10 ** 14)
    r = client.register(outbound_body(agents["primary"], number=number), expect=None)
    assert r.status == 201, r
    assert r.json["phone_number"] == number and is_uuid(r.json["id"]), r


def test_max_length_255_accepted(client, agents):
    body = outbound_body(agents["primary"])
    body["provider_config"]["auth_username"] = "u" * 255
    r = client.register(body, expect=None)
    assert r.status in (201, 400), r


def test_provider_config_extra_keys_allowed(client, agents):
    body = outbound_body(agents["primary"])
    body["provider_config"]["messaging_service_sid"] = "MG" + uuid.uuid4().hex
    body["provider_config"]["x_future"] = {"nested": [1, 2]}
    r = client.register(body, expect=None)
    assert r.status == 201, r
    assert r.json["phone_number"] == body["phone_number"] and is_uuid(r.json["id"]), r
    assert "messaging_service_sid" not in r.text


def test_nullable_fields(client, agents):
    body = outbound_body(agents["primary"], friendly_name=None, inbound_routing=None, credential_id=None)
    r = client.register(body, expect=None)
    assert r.status == 201, r
    assert r.json["friendly_name"] is None and r.json["inbound_routing"] is None


@pytest.mark.parametrize("raw", [b"{", b"{\"phone_number\": }", b"not json", b"{\"a\":1,}", b"\xff\xfe"])
def test_malformed_json(client, raw):
    r = client.request("POST", "/v1/phone-numbers", raw=raw)
    assert r.status in (400, 422), r
    if r.status == 422:
        assert r.errors and r.errors[0]["type"] == "json_invalid", r
        assert r.errors[0]["loc"][0] == "body"
    else:
        assert r.code, r


@pytest.mark.parametrize("raw", [b"[]", b"[{\"phone_number\": \"+15551234567\"}]", b"\"text\"", b"12", b"null",
                                 b"true"])
def test_body_not_an_object(client, raw):
    r = client.request("POST", "/v1/phone-numbers", raw=raw)
    assert r.status == 422, r
    assert r.errors and r.errors[0]["loc"][0] == "body", r


def test_empty_body(client):
    r = client.request("POST", "/v1/phone-numbers", raw=b"")
    assert r.status in (400, 422), r


def test_extra_top_level_keys(client, agents):
    body = outbound_body(agents["primary"])
    body["unknown_top_level"] = "ignored"
    r = client.register(copy.deepcopy(body), expect=None)
    assert r.status in (201, 422), r
    if r.status == 201:
        assert is_uuid(r.json["id"]), r
    else:
        assert ("body", "unknown_top_level") in r.locs()


def test_new_numbers_are_valid_e164():
    for _ in range(100):
        n = new_number()
        assert n.startswith("+1") and len(n) == 12
