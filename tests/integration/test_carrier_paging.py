"""Twilio's trunk list is paged (1,000 a page, meta.next_page_url): with more than a page of other
trunks on the account, a purchase that fails after its trunk was made still finds that trunk by
name, past the first page, and removes it."""
import pytest

from sim import Sim

DECOYS = 1001


@pytest.fixture(scope="module")
def sim(stack):
    s = Sim(stack["OI_SIM_URL"], stack)
    s.clear()
    yield s
    s.clear()


def all_trunks(sim):
    """Every trunk on the account, following meta.next_page_url."""
    out, path = [], "/v1/Trunks?PageSize=1000"
    while path:
        page = sim.carrier("twilio", path)
        out += page["trunks"]
        nxt = page["meta"].get("next_page_url")
        path = nxt[nxt.index("/v1/Trunks"):] if nxt else None
    return out


@pytest.fixture
def decoys(sim):
    made = []
    for i in range(DECOYS):
        status, body = sim.carrier_send("twilio", "POST", "/v1/Trunks", {"FriendlyName": "decoy-%04d" % i})
        assert status == 201, body
        made.append(body["sid"])
    yield made
    for sid in made:
        sim.carrier_send("twilio", "DELETE", "/v1/Trunks/%s" % sid)


def test_compensation_finds_its_trunk_past_the_first_page(client, sim, decoys):
    agent = client.agent("paging")["id"]
    ours_before = {t["sid"] for t in all_trunks(sim) if t["friendly_name"].startswith("oi-")}
    listed = sim.calls("twilio.trunk_list")
    sim.fault("twilio.trunk_number_attach", status=400, count=-1)
    r = client.post("/v1/phone-numbers/purchase", {"country": "US", "area_code": "415", "agent_id": agent,
                                                   "inbound_routing": {"agent_id": agent}})
    sim.clear()
    assert r.status >= 400, r
    assert sim.calls("twilio.trunk_list") - listed >= 2  # two pages at least: the decoys fill the first
    trunks = all_trunks(sim)
    assert len(trunks) >= DECOYS
    assert {t["sid"] for t in trunks if t["friendly_name"].startswith("oi-")} == ours_before  # none left behind
