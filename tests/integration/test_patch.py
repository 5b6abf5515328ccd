"""PATCH /v1/phone-numbers/{id}: the merge semantics of seed 003, one case at a time.

"The service MERGES the provided fields into the number's existing inbound_routing — fields left
unset are preserved; an explicit null on fallback clears it. agent_id, when omitted, keeps the
current routing agent (falling back to the number's column-level agent_id)."
"inbound_routing": null makes the number outbound-only."""
import uuid

import pytest

from oiclient import is_rfc3339, outbound_body, path_c_body

VM = "Sorry, we missed you. Please leave a message."


@pytest.fixture
def number(client, agents):
    return client.register(path_c_body(agents["primary"], agents["routing"], agents["fallback"])).json


def patch(client, n, body, status=200):
    r = client.patch("/v1/phone-numbers/" + n["id"], body)
    assert r.status == status, r
    if status == 200:
        assert client.get("/v1/phone-numbers/" + n["id"]).json == r.json
    return r.json


def test_empty_patch_changes_nothing(client, number):
    p = patch(client, number, {})
    for k in ("agent_id", "friendly_name", "inbound_routing", "inbound_trunk_id", "outbound_trunk_id",
              "dispatch_rule_id", "phone_number", "provider", "created_at"):
        assert p[k] == number[k], k


def test_friendly_name_only(client, number):
    p = patch(client, number, {"friendly_name": "Support Line"})
    assert p["friendly_name"] == "Support Line"
    assert p["agent_id"] == number["agent_id"]
    assert p["inbound_routing"] == number["inbound_routing"]
    assert is_rfc3339(p["updated_at"]) and p["updated_at"] >= number["updated_at"]
    assert p["created_at"] == number["created_at"]


def test_agent_id_only_keeps_routing_override(client, agents, number):
    new = client.agent("new")["id"]
    p = patch(client, number, {"agent_id": new})
    assert p["agent_id"] == new
    assert p["inbound_routing"] == number["inbound_routing"]


def test_voicemail_only_keeps_agent_and_fallback(client, agents, number):
    p = patch(client, number, {"inbound_routing": {"voicemail_message": "Updated voicemail message."}})
    assert p["inbound_routing"] == {"agent_id": agents["routing"], "fallback": {"agent_id": agents["fallback"]},
                                    "voicemail_message": "Updated voicemail message."}
    assert p["agent_id"] == agents["primary"]


def test_seed_patch_routing_agent_and_voicemail(client, agents, number):
    new = client.agent("router2")["id"]
    p = patch(client, number, {"inbound_routing": {"agent_id": new, "voicemail_message": "Updated voicemail message."}})
    assert p["inbound_routing"]["agent_id"] == new
    assert p["inbound_routing"]["fallback"] == {"agent_id": agents["fallback"]}
    assert p["inbound_routing"]["voicemail_message"] == "Updated voicemail message."
    assert p["dispatch_rule_id"] and p["inbound_trunk_id"]


def test_explicit_null_fallback_clears_it(client, agents, number):
    p = patch(client, number, {"inbound_routing": {"fallback": None}})
    assert p["inbound_routing"]["fallback"] is None
    assert p["inbound_routing"]["agent_id"] == agents["routing"]
    assert p["inbound_routing"]["voicemail_message"] == VM


def test_fallback_with_null_agent_clears_it(client, agents, number):
    p = patch(client, number, {"inbound_routing": {"fallback": {"agent_id": None}}})
    assert not (p["inbound_routing"].get("fallback") or {}).get("agent_id")
    assert p["inbound_routing"]["agent_id"] == agents["routing"]


def test_set_new_fallback(client, agents, number):
    new = client.agent("fb2")["id"]
    p = patch(client, number, {"inbound_routing": {"fallback": {"agent_id": new}}})
    assert p["inbound_routing"]["fallback"] == {"agent_id": new}
    assert p["inbound_routing"]["agent_id"] == agents["routing"]
    assert p["inbound_routing"]["voicemail_message"] == VM


def test_explicit_null_voicemail_clears_it(client, agents, number):
    p = patch(client, number, {"inbound_routing": {"voicemail_message": None}})
    assert p["inbound_routing"].get("voicemail_message") is None
    assert p["inbound_routing"]["agent_id"] == agents["routing"]
    assert p["inbound_routing"]["fallback"] == {"agent_id": agents["fallback"]}


def test_inbound_routing_null_makes_outbound_only(client, internal, number):
    p = patch(client, number, {"inbound_routing": None})
    assert p["inbound_routing"] is None
    assert p["inbound_trunk_id"] is None and p["dispatch_rule_id"] is None
    assert p["outbound_trunk_id"] == number["outbound_trunk_id"]
    assert p["agent_id"] == number["agent_id"]
    r = internal.get("/v1/routing/resolve?to=%2B" + number["phone_number"][1:])
    assert r.status == 404 and r.code == "NO_ROUTE", r


def test_routing_added_to_outbound_only_number_defaults_to_column_agent(client, agents):
    n = client.register(outbound_body(agents["primary"])).json
    assert n["inbound_routing"] is None
    p = patch(client, n, {"inbound_routing": {"voicemail_message": "hello"}})
    assert p["inbound_routing"]["agent_id"] == agents["primary"]
    assert p["inbound_routing"]["voicemail_message"] == "hello"
    assert p["inbound_trunk_id"] and p["dispatch_rule_id"]


def test_routing_added_with_agent(client, agents):
    n = client.register(outbound_body(agents["primary"])).json
    p = patch(client, n, {"inbound_routing": {"agent_id": agents["routing"],
                                              "fallback": {"agent_id": agents["fallback"]}}})
    assert p["inbound_routing"]["agent_id"] == agents["routing"]
    assert p["inbound_routing"]["fallback"] == {"agent_id": agents["fallback"]}
    assert p["inbound_trunk_id"] and p["dispatch_rule_id"]


def test_remove_then_add_routing_again(client, agents, number):
    patch(client, number, {"inbound_routing": None})
    p = patch(client, number, {"inbound_routing": {"agent_id": agents["fallback"]}})
    assert p["inbound_routing"]["agent_id"] == agents["fallback"]
    assert p["dispatch_rule_id"]


def test_combined_patch(client, agents, number):
    new = client.agent("combo")["id"]
    p = patch(client, number, {"friendly_name": "Combo", "agent_id": new,
                               "inbound_routing": {"fallback": None, "voicemail_message": "v3"}})
    assert p["friendly_name"] == "Combo" and p["agent_id"] == new
    assert p["inbound_routing"] == {"agent_id": agents["routing"], "fallback": None, "voicemail_message": "v3"}


@pytest.mark.parametrize("body,loc", [
    ({"agent_id": "nope"}, ("body", "agent_id")),
    ({"inbound_routing": {"agent_id": "nope"}}, ("body", "inbound_routing", "agent_id")),
    ({"inbound_routing": {"fallback": {"agent_id": "nope"}}}, ("body", "inbound_routing", "fallback", "agent_id")),
    ({"inbound_routing": "x"}, ("body", "inbound_routing")),
    ({"friendly_name": 3}, ("body", "friendly_name")),
])
def test_patch_validation(client, number, body, loc):
    r = client.patch("/v1/phone-numbers/" + number["id"], body)
    assert r.status == 422, r
    assert loc in r.locs(), r
    assert client.get("/v1/phone-numbers/" + number["id"]).json == number


def test_patch_body_not_object(client, number):
    r = client.request("PATCH", "/v1/phone-numbers/" + number["id"], raw=b"[1]")
    assert r.status == 422, r


def test_patch_unknown_agent(client, number):
    missing = str(uuid.uuid4())
    for body in ({"agent_id": missing}, {"inbound_routing": {"agent_id": missing}},
                 {"inbound_routing": {"fallback": {"agent_id": missing}}}):
        r = client.patch("/v1/phone-numbers/" + number["id"], body)
        assert (r.status == 404 and r.code == "AGENT_NOT_FOUND") or r.status == 422, (body, r)
    assert client.get("/v1/phone-numbers/" + number["id"]).json == number


def test_patch_unknown_number(client):
    r = client.patch("/v1/phone-numbers/" + str(uuid.uuid4()), {"friendly_name": "x"})
    assert r.status == 404 and r.code == "PHONE_NUMBER_NOT_FOUND", r
