"""Rate limits: token buckets per API key, per workspace and per workspace's purchases, held in
Redis across gateway replicas; unknown API keys limited before they reach PostgreSQL; one
workspace's flood leaves another's requests alone.

The module restarts the gateways with small limits and gives them back the suite's own after."""
import concurrent.futures as cf
import time
import uuid

import pytest

import oiclient
from sim import Sim

LIMITS = {
    "OI_RATE_KEY_RPS": "5", "OI_RATE_KEY_BURST": "10",
    "OI_RATE_WORKSPACE_RPS": "20", "OI_RATE_WORKSPACE_BURST": "30",
    "OI_RATE_PURCHASE_RPS": "1", "OI_RATE_PURCHASE_BURST": "2",
    "OI_RATE_KEY_LOOKUP_RPS": "1", "OI_RATE_KEY_LOOKUP_BURST": "5",
}
GATEWAYS = ("oi-gateway", "oi-gateway.1")
pytestmark = pytest.mark.replicas


@pytest.fixture(scope="module", autouse=True)
def small_limits(ctl):
    with ctl.started_with(GATEWAYS, LIMITS):
        yield


@pytest.fixture
def gateways(stack, client):
    """The client's key on each gateway replica."""
    urls = stack["OI_GATEWAY_URLS"].split(",")
    return [oiclient.Client(u, client.token) for u in urls]


def burst(c, n, path="/v1/agents"):
    return [c.get(path) for _ in range(n)]


def test_a_key_gets_its_burst_then_429_with_the_headers(client):
    answers = burst(client, 14)
    ok = [r for r in answers if r.status == 200]
    limited = [r for r in answers if r.status == 429]
    assert 10 <= len(ok) <= 11 and len(ok) + len(limited) == 14, [r.status for r in answers]
    r = limited[0]
    assert r.code == "RATE_LIMITED" and "per API key" in r.json["detail"]["message"], r
    retry = int(r.headers["Retry-After"])
    assert retry >= 1
    assert r.headers["RateLimit-Limit"] == "10" and r.headers["RateLimit-Remaining"] == "0"
    assert int(r.headers["RateLimit-Reset"]) == retry
    time.sleep(retry)
    assert client.get("/v1/agents").status == 200, "tokens come back at the key's rate"


def test_the_bucket_is_shared_by_every_replica(gateways):
    start = time.monotonic()
    answers = [gateways[i % len(gateways)].get("/v1/agents") for i in range(40)]
    elapsed = time.monotonic() - start
    ok = sum(r.status == 200 for r in answers)
    assert ok <= 10 + 5 * elapsed + 1, (ok, elapsed)
    assert ok >= 10, [r.status for r in answers]


def test_a_workspace_bucket_caps_all_its_keys_together(client):
    keys = [client] + [client.with_token(client.post("/v1/api-keys", {"name": "k%d" % i}).json["key"])
                       for i in range(4)]
    start = time.monotonic()
    answers = [k.get("/v1/agents") for k in keys for _ in range(10)]
    elapsed = time.monotonic() - start
    ok = sum(r.status == 200 for r in answers)
    assert ok <= 30 + 20 * elapsed + 1, (ok, elapsed)
    per_ws = [r for r in answers if r.status == 429 and "per workspace" in r.json["detail"]["message"]]
    assert per_ws, [r.status for r in answers]


def test_purchases_have_their_own_smaller_budget(client, stack):
    sim = Sim(stack["OI_SIM_URL"], stack)
    sim.clear()
    agent = client.agent("buyer")["id"]
    body = {"country": "US", "area_code": "415", "agent_id": agent}
    answers = [client.post("/v1/phone-numbers/purchase", body, headers={"Idempotency-Key": uuid.uuid4().hex})
               for _ in range(4)]
    statuses = [r.status for r in answers]
    assert statuses.count(429) >= 2, statuses
    refused = [r for r in answers if r.status == 429]
    assert all("purchases per workspace" in r.json["detail"]["message"] for r in refused), refused
    bought = [r for r in answers if r.status in (201, 202)]
    assert len(bought) == len(answers) - len(refused) <= 2


def test_unknown_keys_are_limited_before_the_database_and_known_keys_still_work(anon, client):
    assert client.get("/v1/agents").status in (200, 429)  # the key is known to this replica
    time.sleep(2.2)  # its bucket refills
    statuses = [anon.with_token("oi_sk_" + uuid.uuid4().hex).get("/v1/agents").status for _ in range(20)]
    assert statuses[:5] == [401] * 5, statuses
    assert statuses.count(429) >= 10, statuses
    assert client.get("/v1/agents").status == 200, "a key seen valid before is still looked up"


def known(c):
    """c's key looked up once (new keys wait while unknown ones have spent the lookup budget)."""
    for _ in range(20):
        r = c.get("/v1/agents")
        if r.status == 200:
            return
        time.sleep(int(r.headers.get("Retry-After", "1")))
    raise AssertionError("the key was never accepted")


def test_a_flooding_workspace_leaves_another_alone(new_workspace):
    noisy, quiet = new_workspace(), new_workspace()
    known(noisy)
    known(quiet)
    stop = time.monotonic() + 3
    lat, quiet_statuses = [], []

    def flood():
        n = 0
        while time.monotonic() < stop:
            noisy.get("/v1/agents")
            n += 1
        return n

    with cf.ThreadPoolExecutor(max_workers=8) as pool:
        floods = [pool.submit(flood) for _ in range(6)]
        while time.monotonic() < stop:
            t0 = time.monotonic()
            r = quiet.get("/v1/agents")
            lat.append(time.monotonic() - t0)
            quiet_statuses.append(r.status)
            time.sleep(0.25)  # 4/s: within its own limits
        sent = sum(f.result() for f in floods)
    lat.sort()
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
    print("flood: %d requests from the noisy workspace; quiet workspace p99 %.1f ms over %d requests"
          % (sent, p99 * 1000, len(lat)))
    assert set(quiet_statuses) == {200}, quiet_statuses
    assert sent > 100
    assert p99 < 1.0, p99
