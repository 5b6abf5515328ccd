"""The job engine (issue 9): waits hold no thread, a job's end reaches waiters on another replica
by NOTIFY, transient carrier trouble leaves jobs queued until the carrier recovers, and a slow
carrier never makes the API unhealthy.

Behaviour only: latencies are measured by tests/bench, never asserted here. Named test_zx_* so
it runs after the functional modules and before the fault tests (which restart pieces)."""
import concurrent.futures as cf
import threading
import time
import uuid

import pytest

import oiclient
from oiclient import path_c_body, wait_job
from sim import Sim

# the simulator's US area codes (services/carrier-sim/inventory.c), 300 numbers each
SIM_AREA_CODES = ("303", "305", "404", "213", "310", "702", "602", "713", "214", "215", "202", "503", "612", "313",
                  "619", "408", "720", "646", "312", "617")


pytestmark = pytest.mark.replicas


@pytest.fixture
def sim(stack):
    s = Sim(stack["OI_SIM_URL"])
    s.clear()
    yield s
    s.clear()


def gateways(stack, token):
    return [oiclient.Client(u, token, timeout=90) for u in stack["OI_GATEWAY_URLS"].split(",")]


def provisioning_threads(ctl):
    """Threads of every provisioning replica (from /proc)."""
    out = []
    for i in range(ctl.replicas):
        name = "oi-provisioning" + ("" if i == 0 else ".%d" % i)
        with open("/proc/%d/status" % ctl.pid(name)) as f:
            out.append(int(next(line.split()[1] for line in f if line.startswith("Threads:"))))
    return out


class Watch(threading.Thread):
    """Polls /healthz of every gateway and GETs one number while a test runs."""

    def __init__(self, stack, client, number_id):
        super().__init__(daemon=True)
        self.gws = [oiclient.Client(u, None, timeout=10) for u in stack["OI_GATEWAY_URLS"].split(",")]
        self.client = oiclient.Client(stack["OI_GATEWAY_URL"], client.token, timeout=10)
        self.number_id = number_id
        self.stop = threading.Event()
        self.health, self.gets = [], []

    def run(self):
        while not self.stop.is_set():
            for g in self.gws:
                try:
                    r = g.get("/healthz")
                    self.health.append((r.status, r.json))
                except OSError as e:
                    self.health.append((None, repr(e)))
            try:
                self.gets.append(self.client.get("/v1/phone-numbers/" + self.number_id).status)
            except OSError as e:
                self.gets.append(repr(e))
            time.sleep(0.1)


def test_hundreds_of_waits_hold_no_thread(stack, new_workspace, ctl, sim):
    """400 purchases at once against a slow carrier: the carrier lanes run a few dozen, the rest
    wait queued; every request is answered (201 or 202) and no provisioning replica grows a
    thread per waiter."""
    c = new_workspace()
    agent = c.agent("waits")["id"]
    sim.fault("twilio.search", latency_ms=800, count=-1)
    before = provisioning_threads(ctl)
    gws = gateways(stack, c.token)
    threads, waits = [0], [0]

    def buy(i):
        return gws[i % len(gws)].post("/v1/phone-numbers/purchase",
                                      {"country": "US", "area_code": SIM_AREA_CODES[i % len(SIM_AREA_CODES)],
                                       "agent_id": agent}, headers={"Idempotency-Key": uuid.uuid4().hex})

    def sample():
        while not done.is_set():
            threads.append(max(provisioning_threads(ctl)))
            waits.append(sum(ctl.metric("oi-provisioning", "oi_provisioning_waiters", i) for i in range(ctl.replicas)))
            time.sleep(0.2)
    done = threading.Event()
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    with cf.ThreadPoolExecutor(400) as ex:
        rs = list(ex.map(buy, range(400)))
    done.set()
    sampler.join()
    statuses = {r.status for r in rs}
    assert statuses <= {201, 202}, [r for r in rs if r.status not in (201, 202)][:3]
    assert max(waits) >= 100, "the test never had many waits at once: %r" % max(waits)
    assert max(threads) <= max(before) + 4, "threads grew with the waits: %r → %r" % (before, max(threads))
    sim.clear()
    for r in rs:
        if r.status == 202:
            assert wait_job(c, r.json["job_id"])["status"] == "succeeded"


def test_a_jobs_end_reaches_a_waiter_on_another_replica(stack, new_workspace, ctl, sim):
    """Twins of one purchase (same Idempotency-Key) through both gateways land on both
    provisioning replicas; the one that does not run the job learns of its end by NOTIFY, so
    every twin answers 201 long before the sync wait."""
    c = new_workspace()
    agent = c.agent("twins")["id"]
    sim.fault("twilio.buy", latency_ms=1500, count=1)
    before = sum(ctl.metric("oi-provisioning", "oi_provisioning_notifications_total", i, 'kind="done"')
                 for i in range(ctl.replicas))
    gws = gateways(stack, c.token)
    key = uuid.uuid4().hex
    body = {"country": "US", "area_code": "512", "agent_id": agent}

    def twin(i):
        if i:
            time.sleep(0.3)  # the first one has created the job
        return gws[i % len(gws)].post("/v1/phone-numbers/purchase", body, headers={"Idempotency-Key": key})
    with cf.ThreadPoolExecutor(8) as ex:
        rs = list(ex.map(twin, range(8)))
    assert all(r.status == 201 for r in rs), rs
    assert len({r.json["id"] for r in rs}) == 1
    after = sum(ctl.metric("oi-provisioning", "oi_provisioning_notifications_total", i, 'kind="done"')
                for i in range(ctl.replicas))
    assert after > before, "no replica heard of the job's end by notification"
    assert sim.purchases(rs[0].json["phone_number"]) == 1


def test_transient_carrier_errors_keep_the_job_queued_until_the_carrier_recovers(client, ctl, sim):
    """The carrier answers 503 to every purchase for a while: the job is put back with backoff
    (never failed), and succeeds once the carrier is back; the waiting request gets the 201."""
    agent = client.agent("flaky")["id"]

    def retried():
        return sum(ctl.metric("oi-provisioning", "oi_provisioning_jobs_total", i, 'outcome="retried"')
                   for i in range(ctl.replicas))
    before = retried()
    sim.fault("twilio.buy", status=503, count=-1)
    clear = threading.Timer(4.0, sim.clear)
    clear.start()
    r = client.post("/v1/phone-numbers/purchase", {"country": "US", "area_code": "617", "agent_id": agent},
                    headers={"Idempotency-Key": uuid.uuid4().hex})
    clear.join()
    assert r.status == 201, r
    assert retried() > before, "the job never went back to the queue"
    assert sim.purchases(r.json["phone_number"]) == 1


def test_an_outage_longer_than_the_sync_wait_answers_202_then_succeeds(stack, new_workspace, sim):
    """The carrier is down past the sync wait: 202 with the job, which is queued (not failed)
    while the carrier is down and succeeds by itself once it is back."""
    c = new_workspace()
    admin = oiclient.Client(stack["OI_GATEWAY_URL"], stack["OI_ADMIN_TOKEN"])
    agent = c.agent("outage")["id"]
    sim.fault("twilio.search", status=503, count=-1)
    r = c.post("/v1/phone-numbers/purchase", {"country": "US", "area_code": "702", "agent_id": agent},
               headers={"Idempotency-Key": uuid.uuid4().hex})
    assert r.status == 202, r
    job = admin.get("/v1/jobs/" + r.json["job_id"]).json
    assert job["status"] in ("queued", "running"), job
    sim.clear()
    assert wait_job(admin, r.json["job_id"])["status"] == "succeeded"


def test_a_slow_carrier_never_makes_the_api_unhealthy(stack, new_workspace, ctl, sim):
    """Carrier latency 2 s on search and buy while 100 purchases run: every gateway's /healthz
    stays 200 and reading a number keeps answering 200."""
    c = new_workspace()
    agent = c.agent("slow")["id"]
    n = c.register(path_c_body(agent, agent, agent)).json
    sim.fault("twilio.search", latency_ms=2000, count=-1)
    sim.fault("twilio.buy", latency_ms=2000, count=-1)
    watch = Watch(stack, c, n["id"])
    watch.start()
    gws = gateways(stack, c.token)

    def buy(i):
        return gws[i % len(gws)].post("/v1/phone-numbers/purchase",
                                      {"country": "US", "area_code": SIM_AREA_CODES[i % len(SIM_AREA_CODES)],
                                       "agent_id": agent}, headers={"Idempotency-Key": uuid.uuid4().hex})
    with cf.ThreadPoolExecutor(100) as ex:
        rs = list(ex.map(buy, range(100)))
    watch.stop.set()
    watch.join()
    sim.clear()
    assert {r.status for r in rs} <= {201, 202}, [r for r in rs if r.status not in (201, 202)][:3]
    bad = [h for h in watch.health if h[0] != 200]
    assert not bad and len(watch.health) > 20, bad[:3]
    assert set(watch.gets) == {200}, [g for g in watch.gets if g != 200][:3]
    for r in rs:
        if r.status == 202:
            assert wait_job(c, r.json["job_id"])["status"] == "succeeded"
