"""PATCH provider_config rotates the SIP trunk settings of a number registered over the tenant's
own trunk: each field given replaces the stored one, the others are kept; same number, trunk and
rule ids; the password sealed like the old one and never echoed. What the outbound leg uses is
read back through the internal outbound endpoint (the SIP edge's view)."""
import concurrent.futures as cf
import json
from urllib.parse import quote

from oiclient import outbound_body, provider_config, secret


def outbound_of(internal, number, agent):
    r = internal.get("/v1/routing/outbound?from=%s&agent_id=%s" % (quote(number["phone_number"]), agent))
    assert r.status == 200, r
    return r.json


def registered(client, agent, password=None):
    r = client.register(outbound_body(agent, provider_config=provider_config(password)))
    return r.json


def test_a_new_password_replaces_the_old_and_the_rest_is_kept(client, internal, agents):
    agent = agents["primary"]
    number = registered(client, agent)
    before = outbound_of(internal, number, agent)
    new = secret("rotated")
    r = client.patch("/v1/phone-numbers/" + number["id"], {"provider_config": {"auth_password": new}})
    assert r.status == 200, r
    assert new not in json.dumps(r.json) and "provider_config" not in r.json
    for key in ("id", "outbound_trunk_id", "inbound_trunk_id", "dispatch_rule_id", "phone_number"):
        assert r.json[key] == number[key], key
    after = outbound_of(internal, number, agent)
    assert after["auth_password"] == new
    assert after["auth_username"] == before["auth_username"] == "oneinbox"
    assert after["trunk_address"] == before["trunk_address"]
    assert after["outbound_trunk_id"] == before["outbound_trunk_id"]
    got = client.get("/v1/phone-numbers/" + number["id"])
    assert got.status == 200 and new not in json.dumps(got.json)


def test_the_address_and_username_rotate_and_the_password_stays(client, internal, agents):
    agent = agents["primary"]
    password = secret()
    number = registered(client, agent, password)
    r = client.patch("/v1/phone-numbers/" + number["id"],
                     {"provider_config": {"trunk_address": "other.pstn.twilio.com", "auth_username": "ops"}})
    assert r.status == 200, r
    after = outbound_of(internal, number, agent)
    assert (after["trunk_address"], after["auth_username"], after["auth_password"]) == \
        ("other.pstn.twilio.com", "ops", password)


def test_nulls_keep_and_empty_strings_are_refused(client, internal, agents):
    agent = agents["primary"]
    password = secret()
    number = registered(client, agent, password)
    r = client.patch("/v1/phone-numbers/" + number["id"], {"provider_config": {"auth_password": None}})
    assert r.status == 200, r
    assert outbound_of(internal, number, agent)["auth_password"] == password
    r = client.patch("/v1/phone-numbers/" + number["id"], {"provider_config": {"auth_password": ""}})
    assert r.status == 422, r
    assert r.json["detail"][0]["loc"] == ["body", "provider_config", "auth_password"]
    r = client.patch("/v1/phone-numbers/" + number["id"], {"provider_config": "x"})
    assert r.status == 422, r
    assert outbound_of(internal, number, agent)["auth_password"] == password


def test_a_number_on_the_platforms_trunk_needs_all_three(client, internal, agents):
    """The test stack gives telnyx a platform trunk: nothing of the tenant's is kept to merge into."""
    agent = agents["primary"]
    body = outbound_body(agent, provider="telnyx")
    del body["provider_config"]
    number = client.register(body).json
    r = client.patch("/v1/phone-numbers/" + number["id"], {"provider_config": {"auth_password": secret()}})
    assert r.status == 400, r
    assert r.code == "SIP_TRUNK_PROVISION_FAILED", r
    assert "trunk_address, auth_username" in r.json["detail"]["message"]
    assert client.get("/v1/phone-numbers/" + number["id"]).json["updated_at"] == number["updated_at"]
    mine = {"trunk_address": "mine.sip.telnyx.com", "auth_username": "me", "auth_password": secret()}
    r = client.patch("/v1/phone-numbers/" + number["id"], {"provider_config": mine})
    assert r.status == 200, r
    after = outbound_of(internal, number, agent)
    assert (after["trunk_address"], after["auth_username"], after["auth_password"]) == \
        (mine["trunk_address"], mine["auth_username"], mine["auth_password"])


def test_a_rotation_is_never_lost_to_a_concurrent_change(client, internal, agents):
    """A rotation and a voicemail change race: whichever version reaches oi-dispatch last, the
    trunk ends with the newest password and the rule with the newest message."""
    agent = agents["primary"]
    number = registered(client, agent)
    path = "/v1/phone-numbers/" + number["id"]
    last = None
    with cf.ThreadPoolExecutor(max_workers=2) as pool:
        for i in range(8):
            last = secret("race")
            rot = pool.submit(client.patch, path, {"provider_config": {"auth_password": last}})
            vm = pool.submit(client.patch, path, {"inbound_routing": {"voicemail_message": "round %d" % i}})
            assert rot.result().status == 200 and vm.result().status == 200
            assert outbound_of(internal, number, agent)["auth_password"] == last, "round %d" % i


def test_the_audit_event_names_the_rotation_without_its_values(client, agents):
    number = registered(client, agents["primary"])
    new = secret("audited")
    r = client.patch("/v1/phone-numbers/" + number["id"], {"provider_config": {"auth_password": new}})
    assert r.status == 200, r
    events = client.get("/v1/audit-events?resource_id=%s&action=phone_number.updated" % number["id"])
    assert events.status == 200, events
    assert new not in events.text
    listed = events.json["data"] if isinstance(events.json, dict) else events.json
    mine = [e for e in listed if e["request_id"] == r.headers.get("X-Request-Id")]
    assert len(mine) == 1, listed
    assert mine[0]["changes"]["provider_config"] == {"from": "[redacted]", "to": "[redacted]"}
