"""Audit events of changes answered 202: written when their jobs end, once, and only when they
succeed; a draft waiting for its job outlives a gateway restart. The gateways run with a short
sync wait here (OI_SYNC_WAIT_MS=1000) so a carrier fault makes a 202 quickly."""
import time
import uuid

import pytest

from oiclient import quote, wait_job
from sim import Sim
from stackctl import Stack

SHORT_WAIT = {"OI_SYNC_WAIT_MS": "1000"}


@pytest.fixture(scope="module", autouse=True)
def short_sync_wait(stack):
    ctl = Stack(stack)
    with ctl.started_with(ctl.gateway_names(), SHORT_WAIT):
        yield


@pytest.fixture
def sim(stack):
    s = Sim(stack["OI_SIM_URL"], stack)
    s.clear()
    yield s
    s.clear()


def psql(stack, sql):
    return Stack(stack).psql(sql)


def events(client, **filters):
    q = "&".join("%s=%s" % (k, quote(v)) for k, v in filters.items())
    r = client.get("/v1/audit-events" + ("?" + q if q else ""))
    assert r.status == 200, r
    return r.json["data"] if isinstance(r.json, dict) and "data" in r.json else r.json


def of_request(client, request_id, **filters):
    return [e for e in events(client, limit="100", **filters) if e["request_id"] == request_id]


def eventually(fn, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        got = fn()
        if got:
            return got
        time.sleep(0.2)
    return fn()


def purchase_202(client, sim, key=None):
    """A purchase while the carrier's search fails: answered 202, its job queued."""
    agent = client.agent("pending-" + uuid.uuid4().hex[:6])["id"]
    sim.fault("twilio.search", status=503, count=-1)
    r = client.post("/v1/phone-numbers/purchase", {"country": "US", "area_code": "702", "agent_id": agent},
                    headers={"Idempotency-Key": key or uuid.uuid4().hex})
    assert r.status == 202, r
    return r


def test_a_purchase_answered_202_is_recorded_once_when_its_job_succeeds(client, sim):
    key = uuid.uuid4().hex
    r = purchase_202(client, sim, key)
    rid = r.headers.get("X-Request-Id")
    assert not of_request(client, rid), "an event before the change was made"
    sim.clear()
    job = wait_job(client, r.json["job_id"])
    assert job["status"] == "succeeded", job
    ev = eventually(lambda: of_request(client, rid))
    assert len(ev) == 1, ev
    e = ev[0]
    assert e["action"] == "phone_number.created" and e["resource_type"] == "phone_number"
    assert e["actor"] == {"type": "api_key", "id": client.key_info["id"]}
    number = client.get("/v1/phone-numbers/" + e["resource_id"])
    assert number.status == 200, number
    assert e["changes"]["phone_number"] == {"from": None, "to": number.json["phone_number"]}
    # the same key again re-joins the finished job (201) and records nothing a second time
    again = client.post("/v1/phone-numbers/purchase", {"country": "US", "area_code": "702",
                                                        "agent_id": number.json["agent_id"]},
                        headers={"Idempotency-Key": key})
    assert again.status in (200, 201), again
    assert again.json["id"] == e["resource_id"]
    time.sleep(0.5)
    created = events(client, resource_id=e["resource_id"], action="phone_number.created")
    assert len(created) == 1, created


def test_a_release_answered_202_is_recorded_when_the_number_is_gone(client, sim):
    agent = client.agent("release")["id"]
    n = client.post("/v1/phone-numbers/purchase", {"country": "US", "area_code": "213", "agent_id": agent},
                    headers={"Idempotency-Key": uuid.uuid4().hex})
    assert n.status == 201, n
    sim.fault("twilio.release", status=503, count=-1)
    d = client.delete("/v1/phone-numbers/" + n.json["id"])
    assert d.status == 202, d
    rid = d.headers.get("X-Request-Id")
    assert not of_request(client, rid)
    sim.clear()
    assert wait_job(client, d.json["job_id"])["status"] == "succeeded"
    ev = eventually(lambda: of_request(client, rid))
    assert [e["action"] for e in ev] == ["phone_number.deleted"], ev
    assert ev[0]["resource_id"] == n.json["id"]
    assert ev[0]["changes"]["phone_number"] == {"from": n.json["phone_number"], "to": None}


def test_a_job_that_ends_without_success_leaves_no_event(client, admin, sim, stack):
    r = purchase_202(client, sim)
    job_id = r.json["job_id"]
    assert psql(stack, "SELECT count(*) FROM gateway.audit_pending WHERE job_id = '%s'" % job_id) == "1"
    # a job can be cancelled while it waits between attempts (not during one): until it is
    c = eventually(lambda: (lambda r: r if r.status in (200, 202) else None)(
        admin.post("/v1/jobs/%s/cancel" % job_id, {})), timeout=30)
    assert c and c.status in (200, 202), c
    assert wait_job(admin, job_id)["status"] == "cancelled"
    left = eventually(lambda: psql(stack, "SELECT count(*) FROM gateway.audit_pending WHERE job_id = '%s'"
                                   % job_id) == "0")
    assert left, "the draft of a cancelled job is still waiting"
    assert not of_request(client, r.headers.get("X-Request-Id"))


def test_a_draft_outlives_a_gateway_restart(client, sim, stack):
    r = purchase_202(client, sim)
    rid = r.headers.get("X-Request-Id")
    ctl = Stack(stack)
    for name in ctl.gateway_names():
        ctl.stop(name)
    sim.clear()  # the job ends while no gateway runs
    ended = eventually(lambda: psql(stack, "SELECT state FROM provisioning.jobs WHERE id = '%s'"
                                    % r.json["job_id"]) == "succeeded", timeout=120)
    assert ended
    for name in ctl.gateway_names():
        ctl.start(name, env=SHORT_WAIT)
    assert wait_job(client, r.json["job_id"])["status"] == "succeeded"
    ev = eventually(lambda: of_request(client, rid))
    assert [e["action"] for e in ev] == ["phone_number.created"], ev
    assert psql(stack, "SELECT count(*) FROM gateway.audit_pending WHERE job_id = '%s'" % r.json["job_id"]) == "0"


def test_a_draft_the_database_held_up_is_kept_and_its_event_recorded(client, sim, stack):
    """The audit tables locked past the writer's statement timeout (5 s) while a purchase is
    answered 202: its draft is kept, written once the lock goes, and finished by its job."""
    agent = client.agent("held-" + uuid.uuid4().hex[:6])["id"]
    sim.fault("twilio.search", status=503, count=-1)
    with Stack(stack).table_locked("gateway.audit_events", 9):
        r = client.post("/v1/phone-numbers/purchase", {"country": "US", "area_code": "702", "agent_id": agent},
                        headers={"Idempotency-Key": uuid.uuid4().hex})
        assert r.status == 202, r
    rid = r.headers.get("X-Request-Id")
    assert eventually(lambda: psql(stack, "SELECT count(*) FROM gateway.audit_pending WHERE job_id = '%s'"
                                   % r.json["job_id"]) == "1"), "the draft was not kept"
    sim.clear()
    job = wait_job(client, r.json["job_id"])
    assert job["status"] == "succeeded", job
    ev = eventually(lambda: of_request(client, rid))
    assert len(ev) == 1, ev
    assert ev[0]["action"] == "phone_number.created"
