"""Path B through the API with Telnyx as the platform's purchase carrier (issue 3: both paths
for both drivers): both provisioning replicas are restarted with OI_PURCHASE_CARRIER=telnyx for
this module and restored afterwards. The simulator's counters prove one order per number and
the release on DELETE; a Telnyx order left pending finishes later and still buys once."""
import time
import uuid

import pytest

from sim import Sim
from stackctl import Stack


def provisioning_names(ctl):
    return ["oi-provisioning" + ("" if i == 0 else ".%d" % i) for i in range(ctl.replicas)]


def restart_provisioning(ctl, env=None):
    for name in provisioning_names(ctl):
        ctl.stop(name)
        ctl.start(name, env=env)


@pytest.fixture(scope="module")
def telnyx(stack):
    ctl = Stack(stack)
    restart_provisioning(ctl, {"OI_PURCHASE_CARRIER": "telnyx"})
    s = Sim(stack["OI_SIM_URL"], stack)
    s.clear()
    yield s
    s.clear()
    restart_provisioning(ctl, {"OI_PURCHASE_CARRIER": "twilio"})


def buy(client, body):
    return client.post("/v1/phone-numbers/purchase", body, headers={"Idempotency-Key": uuid.uuid4().hex})


def test_telnyx_purchase_by_filters_then_release(client, telnyx):
    telnyx.mark()
    agent = client.agent("tx")["id"]
    listed = client.get("/v1/phone-numbers/search?country=US&area_code=312&limit=5")
    assert listed.status == 200 and listed.json, listed
    first = listed.json[0]
    r = buy(client, {"country": "US", "area_code": "312", "agent_id": agent, "inbound_routing": {"agent_id": agent}})
    assert r.status == 201, r
    n = r.json
    assert n["provider"] == "telnyx" and n["phone_number"] == first["phone_number"], (n, first)
    # Telnyx's number record has no capabilities: they come from the search entry it was picked from
    assert n["sms_capable"] == first["capabilities"]["sms"], (n, first)
    assert telnyx.purchases(n["phone_number"]) == 1, telnyx.counters()
    assert n["phone_number"] in telnyx.owned()
    assert client.delete("/v1/phone-numbers/" + n["id"]).status in (200, 204)
    assert telnyx.releases(n["phone_number"]) == 1, telnyx.counters()
    assert n["phone_number"] not in telnyx.owned()


def test_telnyx_purchase_gets_a_credential_connection_for_outbound(client, internal, telnyx):
    agent = client.agent("tx-out")["id"]
    r = buy(client, {"country": "US", "area_code": "312", "agent_id": agent})
    assert r.status == 201, r
    n = r.json
    name = "oi-" + n["id"]
    out = internal.get("/v1/routing/outbound?from=%%2B%s&agent_id=%s" % (n["phone_number"][1:], agent))
    assert out.status == 200, out
    conns = telnyx.telnyx_credential_connections(name)
    assert len(conns) == 1, conns
    assert out.json["trunk_address"] == "sip.telnyx.com"
    assert (conns[0]["user_name"], conns[0]["password"]) == (out.json["auth_username"], out.json["auth_password"])
    assert client.delete("/v1/phone-numbers/" + n["id"]).status in (200, 204)
    assert telnyx.telnyx_credential_connections(name) == []


def test_telnyx_pending_order_finishes_later_and_buys_once(client, admin, telnyx):
    telnyx.mark()
    agent = client.agent("tx-pending")["id"]
    telnyx.fault("telnyx.order", pending_seconds=4, count=1)
    body = {"country": "US", "area_code": "415", "agent_id": agent}
    key = uuid.uuid4().hex
    r = client.post("/v1/phone-numbers/purchase", body, headers={"Idempotency-Key": key})
    assert r.status in (201, 202), r
    deadline = time.time() + 60
    while r.status != 201 and time.time() < deadline:
        time.sleep(0.5)
        r = client.post("/v1/phone-numbers/purchase", body, headers={"Idempotency-Key": key})
    assert r.status == 201, r
    n = r.json
    assert n["provider"] == "telnyx"
    assert telnyx.purchases(n["phone_number"]) == 1, telnyx.counters()
    assert client.get("/v1/phone-numbers/" + n["id"]).json["status"] == "active"


def test_telnyx_purchase_of_a_named_number_takes_its_listed_capabilities(client, telnyx):
    telnyx.mark()
    agent = client.agent("tx-named")["id"]
    listed = client.get("/v1/phone-numbers/search?country=US&area_code=206&limit=20").json
    # one with SMS and, when the listing has one, one without: no constant answer passes both
    picks = [n for n in (next((n for n in listed if n["capabilities"]["sms"]), None),
                         next((n for n in listed if not n["capabilities"]["sms"]), None)) if n]
    assert any(p["capabilities"]["sms"] for p in picks), listed
    for pick in picks:
        r = buy(client, {"country": "US", "phone_number": pick["phone_number"], "agent_id": agent})
        assert r.status == 201, r
        assert r.json["phone_number"] == pick["phone_number"]
        assert r.json["sms_capable"] == pick["capabilities"]["sms"], (r.json, pick)
        assert telnyx.purchases(pick["phone_number"]) == 1, telnyx.counters()
