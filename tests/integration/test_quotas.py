"""Workspace quotas: numbers held (OI_QUOTA_NUMBERS) and purchases per day
(OI_QUOTA_PURCHASES_PER_DAY), answered 403 QUOTA_EXCEEDED / 429 DAILY_QUOTA_EXCEEDED before any
carrier is called, exact under concurrency.

The module restarts oi-provisioning with small quotas and gives it back the suite's own after."""
import concurrent.futures as cf
import uuid

import pytest

from oiclient import outbound_body
from sim import Sim

QUOTAS = {"OI_QUOTA_NUMBERS": "3", "OI_QUOTA_PURCHASES_PER_DAY": "2"}
SERVICES = ("oi-provisioning", "oi-provisioning.1")
pytestmark = pytest.mark.replicas


@pytest.fixture(scope="module", autouse=True)
def small_quotas(ctl):
    with ctl.started_with(SERVICES, QUOTAS):
        yield


@pytest.fixture(scope="module")
def sim(stack):
    s = Sim(stack["OI_SIM_URL"], stack)
    s.clear()
    return s


def register(client, agent, key=None, body=None):
    headers = {"Idempotency-Key": key} if key else None
    return client.post("/v1/phone-numbers", body or outbound_body(agent), headers=headers)


def purchase(client, agent):
    return client.post("/v1/phone-numbers/purchase", {"country": "US", "area_code": "415", "agent_id": agent},
                       headers={"Idempotency-Key": uuid.uuid4().hex})


def test_a_workspace_holds_at_most_its_quota_of_numbers(client, agents):
    agent = agents["primary"]
    held = [register(client, agent) for _ in range(3)]
    assert [r.status for r in held] == [201] * 3, held
    r = register(client, agent)
    assert r.status == 403 and r.code == "QUOTA_EXCEEDED", r
    assert "holds 3 numbers" in r.json["detail"]["message"] and "quota" in r.json["detail"]["message"]
    assert client.delete("/v1/phone-numbers/" + held[0].json["id"]).status == 204
    assert register(client, agent).status == 201, "a place freed is a place again"


def test_concurrent_registrations_never_exceed_the_quota(client, agents):
    agent = agents["primary"]
    with cf.ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda _: register(client, agent), range(8)))
    statuses = sorted(r.status for r in answers)
    assert statuses == [201] * 3 + [403] * 5, statuses
    listed = client.get("/v1/phone-numbers?limit=100")
    assert listed.status == 200 and len(listed.json) == 3, listed


def test_a_replay_at_the_quota_joins_its_job(client, agents):
    agent = agents["primary"]
    key, body = uuid.uuid4().hex, outbound_body(agent)
    first = register(client, agent, key, body)
    assert first.status == 201, first
    for _ in range(2):
        assert register(client, agent).status == 201
    assert register(client, agent).status == 403
    again = register(client, agent, key, body)
    assert again.status == 201 and again.json["id"] == first.json["id"], again


def test_purchases_per_day_stop_before_the_carrier(client, sim):
    agent = client.agent("buyer")["id"]
    sim.mark()
    answers = [purchase(client, agent) for _ in range(3)]
    assert [r.status for r in answers[:2]] == [201, 201], answers
    r = answers[2]
    assert r.status == 429 and r.code == "DAILY_QUOTA_EXCEEDED", r
    assert "next one can be bought in" in r.json["detail"]["message"]
    bought = [a.json["phone_number"] for a in answers[:2]]
    assert all(sim.purchases(n) == 1 for n in bought)
    assert sum(sim.counters()["purchases"].values()) - sum(sim._base["purchases"].values()) == 2, \
        "the refused purchase never reached the carrier"


def test_a_purchase_counts_against_the_numbers_held(client, agents, sim):
    for _ in range(3):
        assert register(client, agents["primary"]).status == 201
    sim.mark()
    r = purchase(client, agents["primary"])
    assert r.status == 403 and r.code == "QUOTA_EXCEEDED", r
    assert sum(sim.counters()["purchases"].values()) == sum(sim._base["purchases"].values())
