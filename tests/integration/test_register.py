"""POST /v1/phone-numbers (Path C, bring your own number) and GET /v1/phone-numbers/{id}."""
import concurrent.futures as cf
import uuid

import oiclient

from oiclient import is_rfc3339, is_uuid, outbound_body, path_c_body

REQUIRED = ("id", "phone_number", "friendly_name", "provider", "agent_id", "status", "inbound_trunk_id",
            "outbound_trunk_id", "dispatch_rule_id", "created_at", "updated_at")


def assert_number_shape(n):
    for k in REQUIRED:
        assert k in n, "missing %s in %r" % (k, n)
    assert is_uuid(n["id"]), n
    assert is_rfc3339(n["created_at"]) and is_rfc3339(n["updated_at"]), n
    assert n["updated_at"] >= n["created_at"] or n["updated_at"][:19] >= n["created_at"][:19]
    assert n["status"] == "active"
    assert "provider_config" not in n
    assert "auth_password" not in str(n)


def test_path_c_seed(client, agents):
    body = path_c_body(agents["primary"], agents["routing"], agents["fallback"])
    r = client.register(body)
    n = r.json
    assert_number_shape(n)
    assert n["phone_number"] == body["phone_number"]
    assert n["friendly_name"] == "Sales Line"
    assert n["provider"] == "twilio"
    assert n["agent_id"] == agents["primary"]
    assert n["outbound_trunk_id"] and n["inbound_trunk_id"] and n["dispatch_rule_id"]
    assert n["inbound_routing"] == {
        "agent_id": agents["routing"],
        "fallback": {"agent_id": agents["fallback"]},
        "voicemail_message": "Sorry, we missed you. Please leave a message.",
    }
    assert body["provider_config"]["auth_password"] not in r.text
    g = client.get("/v1/phone-numbers/" + n["id"])
    assert g.status == 200, g
    assert g.json == n


def test_seed_000_routing_override_curl(client, agents):
    """The curl of seed 000 (Register with inbound_routing override), ids substituted."""
    body = path_c_body(agents["primary"], agents["routing"], agents["fallback"], friendly_name="oneinbox-prod-1")
    body["provider_config"]["trunk_address"] = "oneinbox-prod.pstn.twilio.com"
    body["inbound_routing"]["voicemail_message"] = \
        "Sorry, we missed your call. Please call back during business hours."
    n = client.register(body).json
    assert_number_shape(n)
    assert n["friendly_name"] == "oneinbox-prod-1"
    assert n["inbound_routing"]["agent_id"] == agents["routing"]


def test_outbound_only_has_nulls(client, agents):
    body = outbound_body(agents["primary"])
    r = client.register(body)
    n = r.json
    assert_number_shape(n)
    assert n["friendly_name"] is None
    assert n["inbound_trunk_id"] is None and n["dispatch_rule_id"] is None
    assert n["outbound_trunk_id"]
    assert n.get("inbound_routing") is None
    assert n["agent_id"] == agents["primary"]


def test_routing_without_fallback(client, agents):
    body = outbound_body(agents["primary"], inbound_routing={"agent_id": agents["routing"]})
    n = client.register(body).json
    assert n["inbound_trunk_id"] and n["dispatch_rule_id"]
    ir = n["inbound_routing"]
    assert ir["agent_id"] == agents["routing"]
    assert ir.get("fallback") is None and ir.get("voicemail_message") is None


def test_same_agent_for_routing(client, agents):
    body = outbound_body(agents["primary"], inbound_routing={"agent_id": agents["primary"],
                                                             "fallback": {"agent_id": None}})
    n = client.register(body).json
    assert n["inbound_routing"]["agent_id"] == agents["primary"]
    assert n["inbound_routing"].get("fallback") is None


def test_telnyx_provider(client, agents):
    body = outbound_body(agents["primary"], provider="telnyx")
    body["provider_config"]["trunk_address"] = "sip.telnyx.com"
    n = client.register(body).json
    assert n["provider"] == "telnyx"


def test_get_unknown_number(client):
    g = client.get("/v1/phone-numbers/" + str(uuid.uuid4()))
    assert g.status == 404 and g.code == "PHONE_NUMBER_NOT_FOUND", g
    assert client.get("/v1/phone-numbers/not-a-uuid").status in (404, 422)


def _agent_refused(r):
    """An agent id that is not the caller's: 404 AGENT_NOT_FOUND or a 422 naming it."""
    if r.status == 404:
        return r.code == "AGENT_NOT_FOUND"
    return r.status == 422


def test_unknown_agent(client, agents):
    missing = str(uuid.uuid4())
    r = client.register(outbound_body(missing), expect=None)
    assert _agent_refused(r), r
    body = path_c_body(agents["primary"], missing, agents["fallback"])
    assert _agent_refused(client.register(body, expect=None))
    body = path_c_body(agents["primary"], agents["routing"], missing)
    assert _agent_refused(client.register(body, expect=None))
    # nothing was kept: the number can be registered afterwards
    client.register(path_c_body(agents["primary"], agents["routing"], agents["fallback"],
                                number=body["phone_number"]))


def test_deleted_agent(client, agents):
    gone = client.agent("gone")["id"]
    assert client.delete("/v1/agents/" + gone).status == 204
    assert _agent_refused(client.register(outbound_body(gone), expect=None))


def test_other_workspace_agent(client, other, agents):
    theirs = other.agent("theirs")["id"]
    assert _agent_refused(client.register(outbound_body(theirs), expect=None))
    body = path_c_body(agents["primary"], theirs, agents["fallback"])
    assert _agent_refused(client.register(body, expect=None))


def test_many_concurrent_registrations_all_succeed(stack, client, agents):
    """Far more concurrent registrations than each provisioning replica has pooled PostgreSQL
    connections (the test stack's OI_PG_POOL_SIZE is 4): the gateways' job waits must not
    starve the runners that finish the jobs, so every one answers 201, none 503."""
    gws = [oiclient.Client(u, client.token) for u in stack["OI_GATEWAY_URLS"].split(",")]
    bodies = [path_c_body(agents["primary"], agents["routing"], agents["fallback"]) for _ in range(240)]

    def reg(i):
        return gws[i % len(gws)].post("/v1/phone-numbers", bodies[i])
    with cf.ThreadPoolExecutor(64) as ex:
        rs = list(ex.map(reg, range(len(bodies))))
    assert [r.status for r in rs] == [201] * len(bodies), [(r.status, r.json) for r in rs if r.status != 201][:5]
    for r, b in zip(rs[::40], bodies[::40]):
        got = client.get("/v1/phone-numbers/" + r.json["id"])
        assert got.status == 200 and got.json["phone_number"] == b["phone_number"], got
