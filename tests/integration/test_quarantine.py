"""A number's lifecycle after DELETE, with the default quarantine (OI_RELEASE_QUARANTINE_HOURS=72;
the rest of the suite runs with 0, today's immediate release). A purchased number that is deleted
stops routing at once but stays on the carrier account, shown as "quarantined" with its
release_at; POST .../restore brings it back with the same id and routing; when the window ends
(moved into the past here) the sweep releases it on the carrier exactly once."""
import concurrent.futures as cf
import time
import uuid

import pytest

from oiclient import quote
from sim import Sim
from stackctl import Stack

QUARANTINE = {"OI_RELEASE_QUARANTINE_HOURS": "72", "OI_RELEASE_QUARANTINE_SWEEP_MS": "300"}


def provisioning_names(ctl):
    return ["oi-provisioning" + ("" if i == 0 else ".%d" % i) for i in range(ctl.replicas)]


@pytest.fixture(scope="module")
def ctl(stack):
    return Stack(stack)


@pytest.fixture(scope="module", autouse=True)
def with_quarantine(ctl):
    with ctl.started_with(provisioning_names(ctl), QUARANTINE):
        yield


@pytest.fixture
def sim(stack):
    s = Sim(stack["OI_SIM_URL"], stack)
    s.clear()
    s.mark()
    yield s
    s.clear()


@pytest.fixture
def agent(client):
    return client.agent("quarantine-" + uuid.uuid4().hex[:6])["id"]


def purchase(client, agent, area_code="415"):
    body = {"country": "US", "area_code": area_code, "agent_id": agent, "inbound_routing": {"agent_id": agent}}
    r = client.post("/v1/phone-numbers/purchase", body)
    assert r.status == 201, r
    return r.json


def resolve(internal, number):
    return internal.get("/v1/routing/resolve?to=" + quote(number["phone_number"]))


def outbound(internal, number, agent):
    return internal.get("/v1/routing/outbound?from=%s&agent_id=%s" % (quote(number["phone_number"]), agent))


def eventually(fn, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        got = fn()
        if got:
            return got
        time.sleep(0.1)
    return fn()


def end_quarantine(ctl, number_id):
    ctl.psql("UPDATE provisioning.phone_numbers SET release_after = now() - interval '1 second' "
             "WHERE id = '%s'" % number_id)


def test_delete_quarantines_a_purchased_number(client, internal, agent, sim):
    n = purchase(client, agent)
    assert resolve(internal, n).status == 200
    before = time.time()
    assert client.delete("/v1/phone-numbers/" + n["id"]).status == 204
    assert resolve(internal, n).status == 404  # routing stops at once
    assert sim.releases(n["phone_number"]) == 0 and n["phone_number"] in sim.owned()
    got = client.get("/v1/phone-numbers/" + n["id"])
    assert got.status == 200 and got.json["status"] == "quarantined", got
    release_at = time.mktime(time.strptime(got.json["release_at"][:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone
    assert abs(release_at - (before + 72 * 3600)) < 120, got.json["release_at"]
    listed = client.get("/v1/phone-numbers?status=quarantined&limit=100").json
    assert n["id"] in [x["id"] for x in listed]
    assert n["id"] not in [x["id"] for x in client.get("/v1/phone-numbers?status=active&limit=100").json]


def test_restore_brings_the_number_back_with_its_routing(client, internal, agent, sim):
    n = purchase(client, agent)
    before = outbound(internal, n, agent)
    assert before.status == 200, before
    assert client.delete("/v1/phone-numbers/" + n["id"]).status == 204
    held = outbound(internal, n, agent)
    assert held.status == 403, held  # a quarantined number places no calls either
    r = client.post("/v1/phone-numbers/" + n["id"] + "/restore")
    assert r.status == 200, r
    assert r.json["id"] == n["id"] and r.json["status"] == "active" and r.json["release_at"] is None
    assert r.json["inbound_routing"] == n["inbound_routing"]
    assert r.json["outbound_trunk_id"] == n["outbound_trunk_id"]
    got = resolve(internal, n)
    assert got.status == 200 and got.json["agent_id"] == agent, got
    again = outbound(internal, n, agent)
    assert again.status == 200 and again.json == before.json, again  # the same trunk and credentials
    assert sim.releases(n["phone_number"]) == 0
    assert client.get("/v1/phone-numbers/" + n["id"]).json["status"] == "active"
    events = client.get("/v1/audit-events?resource_id=%s&action=phone_number.restored" % n["id"])
    assert events.status == 200, events
    data = events.json["data"] if isinstance(events.json, dict) else events.json
    assert len(data) == 1 and data[0]["changes"]["status"] == {"from": "quarantined", "to": "active"}, data


def test_restore_of_a_number_not_in_quarantine_is_409(client, agent):
    n = purchase(client, agent)
    r = client.post("/v1/phone-numbers/" + n["id"] + "/restore")
    assert r.status == 409 and r.code == "PHONE_NUMBER_NOT_QUARANTINED", r
    missing = client.post("/v1/phone-numbers/" + str(uuid.uuid4()) + "/restore")
    assert missing.status == 404, missing
    assert client.get("/v1/phone-numbers/" + n["id"]).json["status"] == "active"


def test_patch_of_a_quarantined_number_is_409_and_changes_nothing(client, internal, agent):
    n = purchase(client, agent)
    assert client.delete("/v1/phone-numbers/" + n["id"]).status == 204
    r = client.patch("/v1/phone-numbers/" + n["id"], {"friendly_name": "back?"})
    assert r.status == 409 and r.code == "PHONE_NUMBER_NOT_ACTIVE", r
    got = client.get("/v1/phone-numbers/" + n["id"]).json
    assert got["status"] == "quarantined" and got["friendly_name"] == n["friendly_name"]
    assert resolve(internal, n).status == 404


def test_another_workspace_cannot_see_or_restore_it(client, other, agent):
    n = purchase(client, agent)
    assert client.delete("/v1/phone-numbers/" + n["id"]).status == 204
    assert other.get("/v1/phone-numbers/" + n["id"]).status == 404
    assert other.post("/v1/phone-numbers/" + n["id"] + "/restore").status == 404
    assert client.get("/v1/phone-numbers/" + n["id"]).json["status"] == "quarantined"


def test_the_end_of_quarantine_releases_once(client, ctl, agent, sim):
    n = purchase(client, agent, area_code="503")
    assert client.delete("/v1/phone-numbers/" + n["id"]).status == 204
    end_quarantine(ctl, n["id"])
    assert eventually(lambda: client.get("/v1/phone-numbers/" + n["id"]).status == 404), "never released"
    assert eventually(lambda: sim.releases(n["phone_number"]) == 1)
    assert n["phone_number"] not in sim.owned()
    released = client.get("/v1/phone-numbers?status=released&phone_number=" + quote(n["phone_number"])).json
    assert [x["status"] for x in released if x["id"] == n["id"]] == ["released"]
    time.sleep(1)  # more sweeps of both replicas: still one release
    assert sim.releases(n["phone_number"]) == 1
    assert client.post("/v1/phone-numbers/" + n["id"] + "/restore").status == 404
    jobs = ctl.psql("SELECT count(*) FROM provisioning.jobs WHERE number_id = '%s' AND kind = 'delete'" % n["id"])
    assert jobs == "2"  # the quarantine, then the release


def test_a_second_delete_releases_at_once(client, agent, sim):
    n = purchase(client, agent)
    assert client.delete("/v1/phone-numbers/" + n["id"]).status == 204
    assert client.delete("/v1/phone-numbers/" + n["id"]).status == 204
    assert sim.releases(n["phone_number"]) == 1
    assert client.get("/v1/phone-numbers/" + n["id"]).status == 404


def test_restore_racing_the_end_of_quarantine_has_one_winner(client, internal, ctl, agent, sim):
    numbers = [purchase(client, agent, area_code="702") for _ in range(6)]
    for n in numbers:
        assert client.delete("/v1/phone-numbers/" + n["id"]).status == 204
        end_quarantine(ctl, n["id"])
    with cf.ThreadPoolExecutor(6) as ex:
        answers = list(ex.map(lambda n: client.post("/v1/phone-numbers/" + n["id"] + "/restore"), numbers))
    for n, r in zip(numbers, answers):
        assert r.status in (200, 404, 409), r  # 409 while releasing, 404 once released
        if r.status == 200:  # restored: routed, never released
            assert resolve(internal, n).status == 200
            time.sleep(0.5)
            assert sim.releases(n["phone_number"]) == 0
            assert client.get("/v1/phone-numbers/" + n["id"]).json["status"] == "active"
        else:  # the sweep came first: released once, not routed
            assert eventually(lambda: sim.releases(n["phone_number"]) == 1)
            assert resolve(internal, n).status == 404


def test_registered_numbers_are_released_at_once(client, agent, sim):
    from oiclient import outbound_body
    n = client.register(outbound_body(agent)).json
    assert client.delete("/v1/phone-numbers/" + n["id"]).status == 204
    assert client.get("/v1/phone-numbers/" + n["id"]).status == 404
    assert sim.releases(n["phone_number"]) == 0


def test_status_filter_is_validated(client):
    r = client.get("/v1/phone-numbers?status=deleted")
    assert r.status == 422 and r.json["detail"][0]["loc"] == ["query", "status"], r


def test_a_number_being_bought_shows_as_provisioning(client, agent, sim):
    sim.fault("twilio.trunk_create", latency_ms=3000, count=1)  # the number is reserved, its trunk is slow
    with cf.ThreadPoolExecutor(1) as ex:
        buying = ex.submit(purchase, client, agent, "206")
        seen = eventually(lambda: client.get("/v1/phone-numbers?status=provisioning").json, timeout=10)
        assert len(seen) == 1 and seen[0]["status"] == "provisioning", seen
        n = seen[0]
        got = client.get("/v1/phone-numbers/" + n["id"])
        assert got.status == 200 and got.json["status"] == "provisioning", got
        patched = client.patch("/v1/phone-numbers/" + n["id"], {"friendly_name": "early"})
        assert patched.status == 409 and patched.code == "PHONE_NUMBER_NOT_ACTIVE", patched
        deleted = client.delete("/v1/phone-numbers/" + n["id"])
        assert deleted.status == 409 and deleted.code == "PHONE_NUMBER_NOT_ACTIVE", deleted
        bought = buying.result(timeout=30)
    assert bought["id"] == n["id"] and bought["status"] == "active"
    assert client.get("/v1/phone-numbers/" + n["id"]).json["status"] == "active"  # nothing stale kept
    assert client.get("/v1/phone-numbers?status=provisioning").json == []
