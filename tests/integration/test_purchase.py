"""Search and purchase (Paths A/B of seed 001, OpenAPI 004) through oi-carrier against the
carrier simulator over real HTTP; the simulator's counters prove one purchase per number and
no orphan after failures."""
import concurrent.futures as cf
import uuid

import pytest

from sim import Sim


@pytest.fixture(scope="module")
def sim(stack):
    s = Sim(stack["OI_SIM_URL"], stack)
    s.clear()
    yield s
    s.clear()


@pytest.fixture(autouse=True)
def no_faults(sim):
    sim.clear()
    sim.mark()
    yield
    sim.clear()


@pytest.fixture
def agent(client):
    return client.agent("buyer")["id"]


def purchase(client, agent, expect=201, key=None, **over):
    body = {"country": "US", "area_code": "415", "agent_id": agent, "inbound_routing": {"agent_id": agent}}
    body.update(over)
    headers = {"Idempotency-Key": key} if key else None
    r = client.post("/v1/phone-numbers/purchase", body, headers=headers)
    if expect is not None:
        assert r.status == expect, r
    return r


def test_search_shape(client):
    r = client.get("/v1/phone-numbers/search?country=US&area_code=212&limit=3")
    assert r.status == 200, r
    assert 1 <= len(r.json) <= 3
    for n in r.json:
        assert n["phone_number"].startswith("+1212"), n
        assert set(n) >= {"phone_number", "locality", "region", "country", "capabilities"}
        assert set(n["capabilities"]) >= {"voice", "sms"}


def test_search_area_code_outside_us_ca_is_422(client):
    r = client.get("/v1/phone-numbers/search?country=GB&area_code=020")
    assert r.status == 422, r


def test_purchase_by_area_code(client, agent, sim):
    r = purchase(client, agent)
    n = r.json
    assert n["provider"] == "twilio" and n["status"] == "active"
    assert n["phone_number"].startswith("+1415")
    assert isinstance(n["sms_capable"], bool)
    assert sim.purchases(n["phone_number"]) == 1
    assert n["phone_number"] in sim.owned()
    got = client.get("/v1/phone-numbers/" + n["id"])
    assert got.status == 200 and got.json["phone_number"] == n["phone_number"]


def test_purchase_a_searched_number_and_route_it(client, agent, sim, internal):
    pick = client.get("/v1/phone-numbers/search?country=US&area_code=646&limit=1").json[0]["phone_number"]
    n = purchase(client, agent, phone_number=pick).json
    assert n["phone_number"] == pick and sim.purchases(pick) == 1
    r = internal.get("/v1/routing/resolve?to=%2B" + pick[1:])
    assert r.status == 200 and r.json["agent_id"] == agent and r.json["reason"] == "primary", r


def test_number_taken_between_search_and_purchase(client, agent, sim):
    pick = client.get("/v1/phone-numbers/search?country=US&area_code=212&limit=1").json[0]["phone_number"]
    sim.take(pick)
    r = purchase(client, agent, expect=409, phone_number=pick)
    assert r.code == "NUMBER_NOT_AVAILABLE", r
    assert sim.purchases(pick) == 0
    assert client.get("/v1/phone-numbers").json == []


def test_carrier_5xx_on_buy_is_retried_without_double_purchase(client, agent, sim):
    sim.fault("twilio.buy", status=503, count=1)
    n = purchase(client, agent).json
    assert sim.purchases(n["phone_number"]) == 1


def test_rate_limited_search_honours_retry_after(client, sim):
    sim.fault("twilio.search", status=429, retry_after=1, count=1)
    r = client.get("/v1/phone-numbers/search?country=US&area_code=305&limit=2")
    assert r.status == 200 and r.json, r


def test_auth_failure_is_502_without_credentials(client, sim, stack):
    sim.fault("twilio.search", status=401, count=-1)
    r = client.get("/v1/phone-numbers/search?country=US&area_code=305")
    assert r.status == 502 and r.code == "CARRIER_AUTH_FAILED", r
    assert "0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f" not in r.text


def test_failure_after_charge_releases_the_number(client, agent, sim):
    sim.fault("twilio.trunk_create", status=400, count=-1)
    pick = client.get("/v1/phone-numbers/search?country=US&area_code=415&limit=1").json[0]["phone_number"]
    r = purchase(client, agent, expect=None, phone_number=pick)
    assert r.status >= 400, r
    assert sim.purchases(pick) == 1
    assert sim.releases(pick) == 1, sim.counters()
    assert pick not in sim.owned()
    assert client.get("/v1/phone-numbers").json == []


def test_delete_releases_a_purchased_number(client, agent, sim):
    n = purchase(client, agent).json
    assert client.delete("/v1/phone-numbers/" + n["id"]).status == 204
    assert sim.releases(n["phone_number"]) == 1
    assert n["phone_number"] not in sim.owned()


def test_delete_does_not_release_a_registered_number(client, agent, sim):
    from oiclient import outbound_body
    n = client.register(outbound_body(agent)).json
    assert client.delete("/v1/phone-numbers/" + n["id"]).status == 204
    assert sim.releases(n["phone_number"]) == 0


def test_twenty_concurrent_purchases_get_twenty_numbers(client, agent, sim):
    with cf.ThreadPoolExecutor(20) as ex:
        rs = list(ex.map(lambda i: purchase(client, agent, expect=None, key=uuid.uuid4().hex, area_code="503"),
                         range(20)))
    assert all(r.status == 201 for r in rs), [r for r in rs if r.status != 201][:3]
    numbers = {r.json["phone_number"] for r in rs}
    assert len(numbers) == 20
    assert all(sim.purchases(n) == 1 for n in numbers)


def test_identical_keys_buy_once(client, agent, sim):
    key = uuid.uuid4().hex
    with cf.ThreadPoolExecutor(8) as ex:
        rs = list(ex.map(lambda i: purchase(client, agent, expect=None, key=key, area_code="206"), range(8)))
    ok = [r for r in rs if r.status in (200, 201)]
    assert ok, rs
    numbers = {r.json["phone_number"] for r in ok}
    assert len(numbers) == 1, numbers
    assert sim.purchases(numbers.pop()) == 1
    assert len(client.get("/v1/phone-numbers").json) == 1


def outbound_of(internal, number, agent):
    r = internal.get("/v1/routing/outbound?from=%%2B%s&agent_id=%s" % (number[1:], agent))
    assert r.status == 200, r
    return r.json


def test_purchased_number_gets_a_real_outbound_trunk(client, agent, sim, internal):
    """The trunk has a termination domain and a credential list holding credentials made for
    it; the number's outbound route is that domain with those credentials."""
    n = purchase(client, agent).json
    name = "oi-" + n["id"]
    out = outbound_of(internal, n["phone_number"], agent)
    t = sim.twilio_trunk(name)
    assert t is not None
    assert out["trunk_address"] == t["domain_name"] == name + ".pstn.twilio.com", (out, t)
    assert [cl["friendly_name"] for cl in t["credential_lists"]] == [name]
    assert t["credential_lists"][0]["usernames"] == [out["auth_username"]]
    assert out["auth_username"] == "oi" + n["id"].replace("-", "")[:30]
    pw = out["auth_password"]  # the simulator checked Twilio's rule when it was created
    assert len(pw) == 24 and any(c.isdigit() for c in pw) and any(c.isupper() for c in pw), pw
    assert pw not in client.get("/v1/phone-numbers/" + n["id"]).text


def test_every_purchase_gets_its_own_credentials(client, agent, internal):
    a, b = purchase(client, agent).json, purchase(client, agent).json
    oa, ob = outbound_of(internal, a["phone_number"], agent), outbound_of(internal, b["phone_number"], agent)
    assert oa["auth_username"] != ob["auth_username"] and oa["auth_password"] != ob["auth_password"]


def test_a_retried_trunk_step_makes_no_second_credential_list(client, agent, sim, internal):
    """The credential list's attach fails once after the list and its credential exist: the
    retried step finds the unattached list of ours, makes it again with the same credentials
    and attaches it; one list remains."""
    sim.fault("twilio.trunk_credential_list_attach", status=503, count=1)
    deletes = sim.calls("twilio.credential_list_delete")
    n = purchase(client, agent).json
    assert sim.calls("twilio.credential_list_delete") == deletes + 1  # the unattached list went
    name = "oi-" + n["id"]
    assert [cl["friendly_name"] for cl in sim.twilio_trunk(name)["credential_lists"]] == [name]
    assert len(sim.twilio_credential_lists(name)) == 1
    out = outbound_of(internal, n["phone_number"], agent)
    assert sim.twilio_trunk(name)["credential_lists"][0]["usernames"] == [out["auth_username"]]


def test_delete_removes_the_trunk_and_its_credentials(client, agent, sim):
    n = purchase(client, agent).json
    name = "oi-" + n["id"]
    assert sim.twilio_trunk(name) is not None
    assert client.delete("/v1/phone-numbers/" + n["id"]).status == 204
    assert sim.twilio_trunk(name) is None
    assert sim.twilio_credential_lists(name) == []


def test_failed_purchase_leaves_no_credential_list(client, agent, sim):
    sim.fault("twilio.trunk_number_attach", status=400, count=-1)
    r = purchase(client, agent, expect=None)
    assert r.status >= 400, r
    names = [cl["friendly_name"] for cl in sim.carrier(
        "twilio", "/2010-04-01/Accounts/{AC}/SIP/CredentialLists.json?PageSize=1000")["credential_lists"]]
    trunks = {t["friendly_name"] for t in sim.carrier("twilio", "/v1/Trunks?PageSize=1000")["trunks"]}
    assert not [x for x in names if x.startswith("oi-") and x not in trunks], names
