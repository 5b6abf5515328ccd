"""Faults with the invariants checked afterwards (issue 4 and 5): two replicas of everything,
SIGKILL of a provisioning replica mid-purchase, SIGTERM of a gateway under load, Redis and
PostgreSQL restarts, cache invalidation across dispatch replicas and the single-flight herd.

Named test_zy_* so it runs after the functional modules (it stops and restarts pieces)."""
import concurrent.futures as cf
import json
import signal
import subprocess
import threading
import time
import uuid

import pytest

import oiclient
from oiclient import outbound_body, path_c_body
from sim import Sim


pytestmark = pytest.mark.replicas


@pytest.fixture(scope="module")
def sim(stack):
    s = Sim(stack["OI_SIM_URL"])
    yield s
    s.clear()


@pytest.fixture
def routed(client, agents):
    body = path_c_body(agents["primary"], agents["routing"], agents["fallback"])
    return client.register(body).json


def resolve(internal, number):
    return internal.get("/v1/routing/resolve?to=" + oiclient.quote(number["phone_number"]))


def gateways(stack, token):
    return [oiclient.Client(u, token) for u in stack["OI_GATEWAY_URLS"].split(",")]


# --- routing: never stale across dispatch replicas --------------------------------------------

def test_patch_is_seen_by_every_dispatch_replica_at_once(client, internal, agents, routed, ctl):
    for _ in range(10):  # warm both replicas' caches
        assert resolve(internal, routed).json["agent_id"] == agents["routing"]
    r = client.patch("/v1/phone-numbers/" + routed["id"], {"inbound_routing": {"agent_id": agents["primary"]}})
    assert r.status == 200, r
    answers = {resolve(internal, routed).json["agent_id"] for _ in range(20)}
    assert answers == {agents["primary"]}


def test_agent_pause_and_number_delete_are_seen_at_once(client, internal, agents, routed, ctl):
    for _ in range(6):
        resolve(internal, routed)
    assert client.patch("/v1/agents/" + agents["routing"], {"status": "paused"}).status == 200
    reasons = {resolve(internal, routed).json["reason"] for _ in range(10)}
    assert reasons == {"fallback_primary_paused"}, reasons
    assert client.delete("/v1/phone-numbers/" + routed["id"]).status == 204
    codes = {resolve(internal, routed).status for _ in range(10)}
    assert codes == {404}


def test_herd_after_invalidation_makes_few_db_queries(client, internal, agents, routed, ctl):
    resolve(internal, routed)
    assert client.patch("/v1/phone-numbers/" + routed["id"],
                        {"inbound_routing": {"voicemail_message": "herd"}}).status == 200
    before = sum(ctl.metric("oi-dispatch", "oi_dispatch_resolve_db_queries_total", i) for i in range(ctl.replicas))
    with cf.ThreadPoolExecutor(32) as ex:
        rs = list(ex.map(lambda _: resolve(internal, routed), range(200)))
    assert all(r.status == 200 and r.json["voicemail_message"] == "herd" for r in rs)
    after = sum(ctl.metric("oi-dispatch", "oi_dispatch_resolve_db_queries_total", i) for i in range(ctl.replicas))
    # single flight per replica (plus a second wave at most per replica): far below 200
    assert after - before <= 4 * ctl.replicas, (before, after)


def test_redis_down_resolve_still_correct_then_recovers(client, internal, agents, routed, ctl):
    assert resolve(internal, routed).status == 200
    ctl.stop("redis")
    try:
        t0 = time.time()
        r = resolve(internal, routed)
        assert r.status == 200 and r.json["agent_id"] == agents["routing"], r
        assert time.time() - t0 < 2.0
        status, body = ctl.ops_get("oi-dispatch", "/readyz")
        assert status == 200 and "degraded" in body, body
        r = client.patch("/v1/phone-numbers/" + routed["id"], {"inbound_routing": {"agent_id": agents["primary"]}})
        assert r.status == 200, r
        assert resolve(internal, routed).json["agent_id"] == agents["primary"]
    finally:
        ctl.start("redis")
    deadline = time.time() + 15
    while time.time() < deadline and "degraded" in ctl.ops_get("oi-dispatch", "/readyz")[1]:
        time.sleep(0.2)
    assert "degraded" not in ctl.ops_get("oi-dispatch", "/readyz")[1]
    answers = {resolve(internal, routed).json["agent_id"] for _ in range(10)}
    assert answers == {agents["primary"]}  # nothing stale came back with Redis


def redis_env(stack):
    """redis-cli's environment: the stack's Redis password (never on its command line)."""
    import os
    return dict(os.environ, REDISCLI_AUTH=stack.get("OI_REDIS_PASSWORD", ""))


def test_redis_slow_resolve_answers_from_postgres_within_its_timeout(stack, client, internal, agents, routed,
                                                                    ctl):
    """Redis that answers nothing for 3 s (CLIENT PAUSE): every resolve meanwhile still answers,
    correctly, bounded by OI_REDIS_TIMEOUT_MS plus a PostgreSQL read, not by Redis."""
    assert resolve(internal, routed).json["agent_id"] == agents["routing"]
    port = stack["OI_REDIS_PORT"]
    paused = subprocess.run(["redis-cli", "-p", str(port), "CLIENT", "PAUSE", "3000", "ALL"],
                            capture_output=True, text=True, timeout=10, env=redis_env(stack))
    assert paused.returncode == 0 and "OK" in paused.stdout, paused
    slowest, answers, t_end = 0.0, set(), time.time() + 2.5
    while time.time() < t_end:
        t0 = time.time()
        r = resolve(internal, routed)
        slowest = max(slowest, time.time() - t0)
        assert r.status == 200, r
        answers.add(r.json["agent_id"])
    assert answers == {agents["routing"]}
    assert slowest < 1.0, "a resolve waited %.2f s on a paused Redis" % slowest
    time.sleep(1)  # the pause is over; the cache comes back by itself
    deadline = time.time() + 15
    while time.time() < deadline and "degraded" in ctl.ops_get("oi-dispatch", "/readyz")[1]:
        time.sleep(0.2)
    assert "degraded" not in ctl.ops_get("oi-dispatch", "/readyz")[1]
    assert resolve(internal, routed).json["agent_id"] == agents["routing"]


def test_a_patch_while_redis_answers_nothing_is_answered_after_its_announcement(stack, client, routed, ctl):
    """A PATCH's announcement to the near caches and its job run side by side, and the answer
    leaves once both are done (jobs_rpc.c, job_wait.h). With Redis paused the job ends at once
    and the announcement waits out OI_REDIS_TIMEOUT_MS (1 s): the job's answer is kept until
    then, never sent before, and is the whole change, seen at once through every gateway."""
    path = "/v1/phone-numbers/" + routed["id"]
    assert client.get(path).status == 200  # the gateway's rate-limit lease is taken before the pause
    port = stack["OI_REDIS_PORT"]
    paused = subprocess.run(["redis-cli", "-p", str(port), "CLIENT", "PAUSE", "3000", "ALL"],
                            capture_output=True, text=True, timeout=10, env=redis_env(stack))
    assert paused.returncode == 0 and "OK" in paused.stdout, paused
    message = "paused-" + uuid.uuid4().hex[:8]
    t0 = time.time()
    r = client.patch(path, {"inbound_routing": {"voicemail_message": message}})
    took = time.time() - t0
    assert r.status == 200 and r.json["inbound_routing"]["voicemail_message"] == message, r
    assert 0.9 < took < 1.9, "the PATCH took %.2f s" % took  # one timeout, then the kept answer
    time.sleep(2.2)  # the pause is over
    for url in stack["OI_GATEWAY_URLS"].split(","):
        got = oiclient.Client(url, client.token, timeout=10).get(path)
        assert got.status == 200 and got.json["inbound_routing"]["voicemail_message"] == message, got


def test_flushed_redis_rewarms_with_one_miss_per_number(stack, internal, agents, routed, ctl):
    """Redis loses everything (FLUSHDB: generation, versions, snapshots, failures). The replicas
    resynchronise at once and a number needs one database read to be cached again."""
    flushed = subprocess.run(["redis-cli", "-p", str(stack["OI_REDIS_PORT"]), "FLUSHDB"], capture_output=True,
                             text=True, timeout=10, env=redis_env(stack))
    assert flushed.returncode == 0, flushed
    for _ in range(4):  # every replica sees the lost generation and resynchronises
        assert resolve(internal, routed).json["agent_id"] == agents["routing"]
    deadline = time.time() + 10
    while time.time() < deadline and any("degraded" in ctl.ops_get("oi-dispatch", "/readyz", i)[1]
                                         for i in range(ctl.replicas)):
        time.sleep(0.1)

    def db_queries():
        return sum(ctl.metric("oi-dispatch", "oi_dispatch_resolve_db_queries_total", i) for i in range(ctl.replicas))
    # the one miss (on whichever replica): it reads the database and stores the snapshot
    assert resolve(internal, routed).json["agent_id"] == agents["routing"]
    time.sleep(0.2)
    before = db_queries()
    answers = {resolve(internal, routed).json["agent_id"] for _ in range(10)}
    assert answers == {agents["routing"]}
    assert db_queries() == before, "resolves still read the database after the cache was re-warmed"


# --- durable jobs --------------------------------------------------------------------------------

def find_job(admin, number_or_key_pred, kind="purchase"):
    r = admin.get("/v1/jobs?kind=%s&limit=100" % kind)
    assert r.status == 200, r
    for j in r.json:
        if number_or_key_pred(j):
            return j
    return None


def kill_every_provisioning(ctl, sig=signal.SIGKILL):
    names = ["oi-provisioning" + ("" if i == 0 else ".%d" % i) for i in range(ctl.replicas)]
    for name in names:
        ctl.kill(name, sig)
    for name in names:
        ctl.wait_dead(name)
        ctl.start(name)


PURCHASE_CARRIER_CALLS = ("twilio.buy", "twilio.trunk_create", "twilio.origination_url_create",
                          "twilio.trunk_number_attach")


# every step of a purchase that talks to the carrier: the carrier call is slowed down so both
# provisioning replicas die (SIGKILL) while it is in flight and completes on the carrier anyway
@pytest.mark.parametrize("route", ("twilio.search",) + PURCHASE_CARRIER_CALLS)
def test_sigkill_provisioning_mid_purchase_resumes_exactly_once(client, admin, stack, ctl, sim, route):
    agent = client.agent("crash")["id"]
    sim.clear()
    sim.mark()
    sim.fault(route, latency_ms=1500, count=1)
    before = {r: sim.calls(r) for r in PURCHASE_CARRIER_CALLS + ("twilio.trunk_list",)}
    key = uuid.uuid4().hex
    body = {"country": "US", "area_code": "415", "agent_id": agent, "inbound_routing": {"agent_id": agent}}
    with cf.ThreadPoolExecutor(1) as ex:
        fut = ex.submit(client.post, "/v1/phone-numbers/purchase", body, headers={"Idempotency-Key": key})
        time.sleep(0.8)  # the job is inside the slowed carrier call now, on one of the two replicas
        kill_every_provisioning(ctl)
        first = fut.result()
    assert first.status in (202, 500, 502, 503, 504), first
    deadline = time.time() + 60
    while time.time() < deadline:
        r = client.post("/v1/phone-numbers/purchase", body, headers={"Idempotency-Key": key})
        if r.status in (200, 201):
            break
        time.sleep(0.5)
    assert r.status in (200, 201), r
    n = r.json
    assert sim.purchases(n["phone_number"]) == 1, sim.counters()
    assert len(client.get("/v1/phone-numbers").json) == 1
    calls = sim.counters()["calls"]
    # one of each carrier-side creation, whichever step the crash interrupted
    for c in PURCHASE_CARRIER_CALLS:
        assert calls.get(c, 0) == before[c] + 1, (c, calls)
    if route not in ("twilio.search", "twilio.buy"):  # the resumed job looked for the trunk it had made
        assert calls.get("twilio.trunk_list", 0) > before["twilio.trunk_list"], calls
    assert n["phone_number"] in sim.owned()
    sim.clear()


def test_sigkill_provisioning_mid_release_releases_exactly_once(client, admin, stack, ctl, sim):
    agent = client.agent("crash-release")["id"]
    sim.clear()
    sim.mark()
    r = client.post("/v1/phone-numbers/purchase", {"country": "US", "area_code": "212", "agent_id": agent},
                    headers={"Idempotency-Key": uuid.uuid4().hex})
    assert r.status in (200, 201), r
    n = r.json
    sim.fault("twilio.release", latency_ms=1500, count=1)
    with cf.ThreadPoolExecutor(1) as ex:
        fut = ex.submit(client.delete, "/v1/phone-numbers/" + n["id"])
        time.sleep(0.8)
        kill_every_provisioning(ctl)
        first = fut.result()
    assert first.status in (202, 204, 500, 502, 503, 504), first
    deadline = time.time() + 60
    while time.time() < deadline:
        if client.get("/v1/phone-numbers/" + n["id"]).status == 404:
            break
        time.sleep(0.5)
    assert client.get("/v1/phone-numbers/" + n["id"]).status == 404
    deadline = time.time() + 30
    while time.time() < deadline and n["phone_number"] in sim.owned():
        time.sleep(0.5)
    assert n["phone_number"] not in sim.owned(), "the number is still on the carrier account"
    assert sim.releases(n["phone_number"]) == 1, sim.counters()
    sim.clear()


def pg_rows(stack, sql):
    r = subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(stack["OI_PG_PORT"]), "-U", "postgres", "-d", "oneinbox",
                        "-AtF|", "-c", sql], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return [line.split("|") for line in r.stdout.splitlines() if line]


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_provisioning_signalled_during_a_registration_burst_loses_and_doubles_nothing(stack, new_workspace, internal,
                                                                                    ctl, sig):
    """Registrations streaming from 60 clients, then every provisioning replica gets the signal
    wherever its jobs are (reserving, dispatch side, activation): SIGKILL (resumed after the
    lease) or SIGTERM (drained within the grace). Each request retried with its Idempotency-Key
    ends 201; the database holds exactly one number, one inbound trunk, one outbound trunk and one
    dispatch rule per phone number, and each resolves to its agent."""
    c = new_workspace()
    agent = c.agent("burst")["id"]
    bodies = [path_c_body(agent, agent, agent) for _ in range(360)]
    keys = [uuid.uuid4().hex for _ in bodies]
    answered = [0]
    spans = []  # (sent, answered) of every registration of the stream
    signalled = threading.Event()

    def reg(i):
        t0 = time.monotonic()
        try:
            return c.post("/v1/phone-numbers", bodies[i], headers={"Idempotency-Key": keys[i]})
        except OSError:
            return None
        finally:
            answered[0] += 1
            spans.append((t0, time.monotonic()))

    def stream(w):  # 60 clients, six registrations each, one after the other, until the signal
        return [reg(i) for i in range(w, len(bodies), 60) if not signalled.is_set()]
    with cf.ThreadPoolExecutor(60) as ex:
        futs = [ex.submit(stream, w) for w in range(60)]
        deadline = time.time() + 30
        while answered[0] < 60 and time.time() < deadline:  # the stream is flowing: cut it
            time.sleep(0.005)
        t_signal = time.monotonic()
        kill_every_provisioning(ctl, sig)  # while the stream still flows, so work is in flight
        signalled.set()  # nothing new is sent; what was sent must be answered (or retried below)
        first = [r for f in futs for r in f.result()]
    cut = sum(1 for r in first if r is None or r.status != 201)
    across = sum(1 for t0, t1 in spans if t0 < t_signal < t1)
    print("registrations in flight at the signal: %d; cut by it: %d of %d" % (across, cut, len(first)))
    assert across > 0, "no registration was in flight when the signal came: it tested nothing"
    if sig == signal.SIGTERM:  # a drain answers what it took (or hands it back): nothing is left without an answer
        odd = [(r.status, r.json, r.headers.get("x-request-id")) if r is not None else None
               for r in first if r is None or r.status not in (201, 202, 503)]
        assert not odd, odd
    ids = {}
    deadline = time.time() + 90
    for i, b in enumerate(bodies):
        while True:
            r = reg(i)
            if r is not None and r.status == 201:
                ids[b["phone_number"]] = r.json["id"]
                break
            assert time.time() < deadline, (b["phone_number"], r)
            time.sleep(0.3)
    assert len(set(ids.values())) == len(bodies)
    phones = ",".join("'%s'" % p for p in ids)
    for table in ("provisioning.phone_numbers", "dispatch.inbound_trunks", "dispatch.outbound_trunks",
                  "dispatch.dispatch_rules"):
        live = " AND deleted_at IS NULL" if table == "provisioning.phone_numbers" else ""
        rows = pg_rows(stack, "SELECT phone_number, count(*) FROM %s WHERE phone_number IN (%s)%s GROUP BY 1"
                       % (table, phones, live))
        counts = {p: int(n) for p, n in rows}
        assert counts == {p: 1 for p in ids}, (table, {p: n for p, n in counts.items() if n != 1},
                                               set(ids) - set(counts))
    for p in list(ids)[:5]:
        r = internal.get("/v1/routing/resolve?to=" + oiclient.quote(p))
        assert r.status == 200 and r.json["agent_id"] == agent, r


def test_a_write_without_reply_says_its_outcome_is_unknown(client, agents, ctl):
    """Every provisioning replica frozen: a PATCH whose reply never comes answers 504 saying the
    change may or may not have been made and how to repeat it safely (here it was not: the call's
    deadline had passed when the thawed replica read it), and repeating it that way works."""
    n = client.register(outbound_body(agents["primary"])).json
    names = ["oi-provisioning" + ("" if i == 0 else ".%d" % i) for i in range(ctl.replicas)]
    for name in names:
        ctl.kill(name, signal.SIGSTOP)
    try:
        r = client.patch("/v1/phone-numbers/" + n["id"], {"friendly_name": "frozen"})
    finally:
        for name in names:
            ctl.kill(name, signal.SIGCONT)
    assert r.status == 504 and r.code == "TIMEOUT", r
    message = r.json["detail"]["message"]
    assert "may or may not have been made" in message and "If-Match" in message, r
    now = client.get("/v1/phone-numbers/" + n["id"])
    assert now.status == 200 and now.json["friendly_name"] != "frozen", now
    again = client.patch("/v1/phone-numbers/" + n["id"], {"friendly_name": "frozen"},
                         headers={"If-Match": now.headers.get("ETag")})
    assert again.status == 200 and again.json["friendly_name"] == "frozen", again


def test_jobs_ops_api(client, admin, agents):
    r = client.register(outbound_body(agents["primary"]))
    jobs = admin.get("/v1/jobs?kind=register&state=succeeded&limit=5")
    assert jobs.status == 200 and jobs.json, jobs
    j = jobs.json[0]
    detail = admin.get("/v1/jobs/" + j["id"])
    assert detail.status == 200 and detail.json["status"] == "succeeded"
    assert detail.json["events"], detail.json
    assert admin.post("/v1/jobs/%s/retry" % j["id"]).status == 409
    assert admin.post("/v1/jobs/%s/cancel" % j["id"]).status == 409
    assert admin.get("/v1/jobs?state=bogus").status == 422
    assert client.get("/v1/jobs").status in (401, 403)
    assert admin.get("/v1/jobs/" + str(uuid.uuid4())).status == 404


def test_failed_purchase_is_dead_lettered_and_retryable(client, admin, sim):
    agent = client.agent("dead")["id"]
    sim.clear()
    sim.fault("twilio.search", status=400, count=-1)
    r = client.post("/v1/phone-numbers/purchase", {"country": "US", "area_code": "415", "agent_id": agent})
    assert r.status >= 400, r
    sim.clear()
    failed = admin.get("/v1/jobs?kind=purchase&state=failed&limit=20").json
    mine = [j for j in failed if j.get("error")]
    assert mine, failed
    job = mine[0]
    assert job["events"]
    retry = admin.post("/v1/jobs/%s/retry" % job["id"])
    assert retry.status == 200, retry
    done = oiclient.wait_job(admin, job["id"], timeout=60, every=0.2)
    assert done["status"] == "succeeded", done


# --- scale-out ---------------------------------------------------------------------------------

def test_purchases_through_both_gateways_never_duplicate(new_workspace, stack, sim, ctl):
    c = new_workspace()
    agent = c.agent("both")["id"]
    gws = gateways(stack, c.token)
    sim.clear()
    sim.mark()

    def buy(i):
        return gws[i % len(gws)].post("/v1/phone-numbers/purchase",
                                       {"country": "US", "area_code": "206", "agent_id": agent},
                                       headers={"Idempotency-Key": "k-%d" % (i // 2)})
    with cf.ThreadPoolExecutor(12) as ex:
        rs = list(ex.map(buy, range(12)))
    ok = [r for r in rs if r.status in (200, 201)]
    numbers = {r.json["phone_number"] for r in ok}
    assert len(numbers) <= 6
    listed = c.get("/v1/phone-numbers?limit=100").json
    assert len(listed) == len({n["phone_number"] for n in listed}) <= 6
    assert all(sim.purchases(n["phone_number"]) == 1 for n in listed)


# --- SIGTERM and PostgreSQL restarts ------------------------------------------------------------

def test_sigterm_gateway_under_load_loses_nothing(stack, new_workspace, ctl):
    c = new_workspace()
    gw1 = gateways(stack, c.token)[1]

    def call(i):
        try:
            return gw1.post("/v1/agents", {"name": "t%d" % i}).status
        except OSError:
            return "refused"
    with cf.ThreadPoolExecutor(8) as ex:
        futs = [ex.submit(call, i) for i in range(40)]
        time.sleep(0.05)
        ctl.kill("oi-gateway.1", signal.SIGTERM)
        results = [f.result() for f in futs]
    assert ctl.wait_dead("oi-gateway.1", 15)
    assert "stopped" in ctl.log("oi-gateway.1")
    ctl.start("oi-gateway.1")
    created = [r for r in results if r == 201]
    assert all(r in (201, 503, "refused") for r in results), results
    listed = c.get("/v1/agents?limit=100").json
    assert len(listed) == len(created)  # every 201 is a real agent; nothing half-done


@pytest.mark.parametrize("svc", ["oi-provisioning", "oi-dispatch", "oi-carrier"])
def test_sigterm_after_work_exits_cleanly_within_grace(stack, client, internal, agents, routed, ctl, svc):
    """Each back-end replica, once it has served calls on every kind of thread (searches and
    jobs for provisioning, resolves for dispatch, carrier calls for oi-carrier), drains and
    exits on SIGTERM within the grace, without being forced."""
    for _ in range(4):  # both gateways pick both replicas
        for gw in gateways(stack, client.token):
            assert gw.get("/v1/phone-numbers/search?country=US&area_code=415&limit=2").status == 200
        assert resolve(internal, routed).status == 200
    assert client.register(outbound_body(agents["primary"])).status == 201
    name = svc + ".1"
    before = len(ctl.log(name))
    ctl.kill(name, signal.SIGTERM)
    try:
        assert ctl.wait_dead(name, 15), "%s still running 15 s after SIGTERM" % name
        tail = ctl.log(name)[before:]
        assert "stopped" in tail and "forcing" not in tail, tail[-2000:]
    finally:
        ctl.start(name)


def test_postgres_restart_fails_fast_then_recovers(client, agents, ctl):
    ctl.stop("postgres")
    try:
        t0 = time.time()
        r = client.get("/v1/agents")
        assert r.status == 503, r
        assert time.time() - t0 < 10
    finally:
        ctl.start("postgres")
    deadline = time.time() + 30
    while time.time() < deadline:
        r = client.get("/v1/agents")
        if r.status == 200:
            break
        time.sleep(0.5)
    assert r.status == 200, r
    assert client.register(outbound_body(agents["primary"])).status == 201


# spread: seconds between two registrations being sent. 0: a burst still running its jobs when
# PostgreSQL goes; 0.015: sent before, during and after the outage.
@pytest.mark.parametrize("spread,stop_at", [(0.0, 0.05), (0.015, 0.3)])
def test_postgres_restart_under_load_loses_nothing_accepted(stack, new_workspace, ctl, spread, stop_at):
    """80 registrations while PostgreSQL stops (fast shutdown) and comes back 1 s later.
    No request hangs; each answer is 201, 202 or a clear 503; every 201 and every accepted job
    (202) is still there afterwards, and each key retried ends with exactly one number."""
    c = new_workspace()
    agent = c.agent("pg-restart")["id"]
    bodies = [path_c_body(agent, agent, agent) for _ in range(80)]
    keys = [uuid.uuid4().hex for _ in bodies]

    def reg(i, delay=0.0):
        time.sleep(delay)
        t0 = time.time()
        try:
            r = c.post("/v1/phone-numbers", bodies[i], headers={"Idempotency-Key": keys[i]})
        except OSError as e:
            r = e
        return r, time.time() - t0
    with cf.ThreadPoolExecutor(len(bodies)) as ex:
        futs = [ex.submit(reg, i, i * spread) for i in range(len(bodies))]
        time.sleep(stop_at)
        ctl.stop("postgres")
        time.sleep(1)
        ctl.start("postgres")
        first = [f.result() for f in futs]
    hit = sum(1 for r, _ in first if isinstance(r, Exception) or r.status != 201)
    print("registrations that met the outage: %d of %d" % (hit, len(first)))
    if spread:
        assert hit > 0, "every registration finished before the outage: it tested nothing"
    slow = [round(t, 1) for _, t in first if t > 30]
    assert not slow, "requests hung during the outage: %s" % slow
    for r, _ in first:
        assert not isinstance(r, Exception), r
        assert r.status in (201, 202, 503), r
        if r.status == 503:
            assert r.code in ("DATABASE_UNAVAILABLE", "SERVICE_UNAVAILABLE"), r
    accepted = [r.json for r, _ in first if r.status == 201]
    jobs = [r.json["job_id"] for r, _ in first if r.status == 202]
    deadline = time.time() + 60
    for n in accepted:
        assert c.get("/v1/phone-numbers/" + n["id"]).status == 200, n
    for job in jobs:
        while True:
            j = c.get("/v1/jobs/" + job)
            if j.status == 200 and j.json["status"] == "succeeded":
                break
            assert time.time() < deadline and (j.status != 200 or j.json["status"] in ("queued", "running")), j
            time.sleep(0.3)
    numbers = set()
    for i, b in enumerate(bodies):
        while True:
            r, _ = reg(i)
            if not isinstance(r, Exception) and r.status == 201:
                numbers.add(r.json["id"])
                break
            assert time.time() < deadline, (b["phone_number"], r)
            time.sleep(0.3)
    assert len(numbers) == len(bodies)
    assert {n["id"] for n in accepted} <= numbers
    phones = ",".join("'%s'" % b["phone_number"] for b in bodies)
    rows = pg_rows(stack, "SELECT phone_number, count(*) FROM provisioning.phone_numbers WHERE phone_number IN (%s) "
                          "AND deleted_at IS NULL GROUP BY 1" % phones)
    assert {p: int(n) for p, n in rows} == {b["phone_number"]: 1 for b in bodies}
