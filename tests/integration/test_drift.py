"""Carrier drift against the simulator's accounts over real HTTP: numbers bought behind the
suite's back (orphans, more than one page of Twilio's 1,000), a number released behind its back
(missing), a number moved off its trunk (trunk_mismatch); each fixed by an admin action that
leaves its trail on the finding, and a finding that heals by itself."""
import time
import uuid

import pytest

from sim import Sim
from stackctl import Stack

# area codes no other test buys in: 1,010 numbers behind the suite's back come from here
ORPHAN_AREAS = ["303", "404", "310", "602"]


@pytest.fixture(scope="module")
def sim(stack):
    return Sim(stack["OI_SIM_URL"], stack)


@pytest.fixture(scope="module")
def ctl(stack):
    return Stack(stack)


@pytest.fixture
def agent(client):
    return client.agent("drift-" + uuid.uuid4().hex[:6])["id"]


def buy_behind_our_back(sim, area):
    status, body = sim.carrier_send("twilio", "POST", "/2010-04-01/Accounts/{AC}/IncomingPhoneNumbers.json",
                                    {"AreaCode": area})
    assert status == 201, body
    return body


def release_behind_our_back(sim, sid):
    status, body = sim.carrier_send("twilio", "DELETE", "/2010-04-01/Accounts/{AC}/IncomingPhoneNumbers/%s.json" % sid)
    assert status == 204, body


def twilio_sid(sim, phone):
    listed = sim.carrier("twilio", "/2010-04-01/Accounts/{AC}/IncomingPhoneNumbers.json?PhoneNumber=%s"
                         % phone.replace("+", "%2B"))
    return listed["incoming_phone_numbers"][0]["sid"]


def check(admin):
    r = admin.post("/v1/ops/drift/check")
    assert r.status == 200, r
    return {c["provider"]: c for c in r.json["carriers"]}


def findings(admin, **q):
    out, cursor = [], None
    while True:
        query = "&".join("%s=%s" % kv for kv in dict(q, limit="100", **({"cursor": cursor} if cursor else {})).items())
        r = admin.get("/v1/ops/drift?" + query)
        assert r.status == 200, r
        out += r.json
        link = r.headers.get("Link") or ""
        if "cursor=" not in link:
            return out
        cursor = link.split("cursor=")[1].split(">")[0].split("&")[0]


def settle(ctl, number_id):
    """The row as if it had not changed for a while: a check leaves rows in flux alone."""
    ctl.psql("UPDATE provisioning.phone_numbers SET updated_at = now() - interval '10 minutes' WHERE id = '%s'"
             % number_id)


def purchase(client, agent, area="415"):
    r = client.post("/v1/phone-numbers/purchase", {"country": "US", "area_code": area, "agent_id": agent,
                                                   "inbound_routing": {"agent_id": agent}})
    assert r.status == 201, r
    return r.json


@pytest.fixture(scope="module")
def orphans(sim):
    bought = [buy_behind_our_back(sim, ORPHAN_AREAS[i % len(ORPHAN_AREAS)]) for i in range(1010)]
    yield bought
    for b in bought:  # give the inventory back to the rest of the suite
        sim.carrier_send("twilio", "DELETE", "/2010-04-01/Accounts/{AC}/IncomingPhoneNumbers/%s.json" % b["sid"])


def test_orphans_are_found_past_the_first_page(admin, sim, orphans):
    before = sim.calls("twilio.number_list")
    report = check(admin)
    tw = report["twilio"]
    assert tw["error"] is None and tw["pages"] >= 2 and tw["numbers_on_account"] >= 1010, tw
    assert tw["findings"]["orphan"] >= 1010, tw
    assert sim.calls("twilio.number_list") - before >= 2
    assert report["telnyx"]["error"] is None, report["telnyx"]
    found = {f["phone_number"]: f for f in findings(admin, kind="orphan", provider="twilio")}
    for b in orphans:
        f = found[b["phone_number"]]
        assert f["carrier_number_id"] == b["sid"] and f["number_id"] is None and f["resolved_at"] is None, f


def test_checking_again_keeps_the_same_findings(admin, orphans):
    first = {f["phone_number"]: f["id"] for f in findings(admin, kind="orphan", provider="twilio")}
    check(admin)
    again = {f["phone_number"]: f["id"] for f in findings(admin, kind="orphan", provider="twilio")}
    assert all(again[b["phone_number"]] == first[b["phone_number"]] for b in orphans[:50])


def test_an_orphan_is_released_by_the_admin(admin, sim, orphans):
    check(admin)
    target = orphans[0]
    f = next(f for f in findings(admin, kind="orphan") if f["phone_number"] == target["phone_number"])
    r = admin.post("/v1/ops/drift/%s/resolve" % f["id"], {"action": "release"})
    assert r.status == 200, r
    assert r.json["resolution"] == "released" and r.json["resolved_by"] == "admin"
    assert r.json["resolved_request_id"] == r.headers.get("X-Request-Id")
    assert target["phone_number"] not in sim.owned()
    again = admin.post("/v1/ops/drift/%s/resolve" % f["id"], {"action": "release"})
    assert again.status == 409, again
    resolved = [x for x in findings(admin, state="resolved", kind="orphan") if x["id"] == f["id"]]
    assert resolved and resolved[0]["resolution"] == "released"


def test_an_orphan_a_number_took_since_is_never_released(admin, client, sim, orphans, agent):
    """Between the check and the fix, a row came to hold the orphan's number (here: registered as
    a brought number): releasing it would take a live number away, so the fix is refused."""
    from oiclient import outbound_body
    check(admin)
    target = orphans[2]
    f = next(f for f in findings(admin, kind="orphan") if f["phone_number"] == target["phone_number"])
    client.register(outbound_body(agent, number=target["phone_number"]))
    r = admin.post("/v1/ops/drift/%s/resolve" % f["id"], {"action": "release"})
    assert r.status == 409, r
    assert target["phone_number"] in sim.owned()
    still = [x for x in findings(admin, kind="orphan") if x["id"] == f["id"]]
    assert still and still[0]["resolved_at"] is None


def test_a_number_gone_from_the_account_is_missing_then_marked_released(admin, client, ctl, sim, agent):
    n = purchase(client, agent)
    release_behind_our_back(sim, twilio_sid(sim, n["phone_number"]))
    settle(ctl, n["id"])
    assert check(admin)["twilio"]["findings"]["missing"] >= 1
    f = next(f for f in findings(admin, kind="missing") if f["number_id"] == n["id"])
    assert f["workspace_id"] and f["detail"]["status"] == "active", f
    wrong = admin.post("/v1/ops/drift/%s/resolve" % f["id"], {"action": "release"})
    assert wrong.status == 409, wrong  # release is for orphans
    r = admin.post("/v1/ops/drift/%s/resolve" % f["id"], {"action": "mark_released"})
    assert r.status == 200 and r.json["resolution"] == "marked_released", r
    # the fix is in the workspace's audit trail, by the admin, with the answer's request id
    ev = client.get("/v1/audit-events?resource_type=drift_finding&resource_id=" + f["id"])
    assert ev.status == 200 and len(ev.json) == 1, ev
    e = ev.json[0]
    assert e["action"] == "drift_finding.marked_released" and e["actor"] == {"type": "admin", "id": "admin"}, e
    assert e["request_id"] == r.headers["X-Request-Id"], (e, r.headers)
    assert e["changes"]["resolution"] == {"from": None, "to": "marked_released"}, e
    assert set(e["changes"]) == {"resolution", "resolved_at", "resolved_by", "resolved_request_id"}, e
    deadline = time.time() + 30
    while client.get("/v1/phone-numbers/" + n["id"]).status != 404 and time.time() < deadline:
        time.sleep(0.1)
    assert client.get("/v1/phone-numbers/" + n["id"]).status == 404


def test_a_number_off_its_trunk_is_a_trunk_mismatch_and_a_dismissal_sticks(admin, client, ctl, sim, agent):
    n = purchase(client, agent)
    status, _ = sim.carrier_send("twilio", "POST", "/2010-04-01/Accounts/{AC}/IncomingPhoneNumbers/%s.json"
                                 % twilio_sid(sim, n["phone_number"]), {"TrunkSid": ""})
    assert status == 200
    settle(ctl, n["id"])
    check(admin)
    f = next(f for f in findings(admin, kind="trunk_mismatch") if f["number_id"] == n["id"])
    assert f["detail"]["carrier_trunk_id"] is None and f["detail"]["expected_trunk_id"], f
    r = admin.post("/v1/ops/drift/%s/resolve" % f["id"], {"action": "dismiss"})
    assert r.status == 200 and r.json["resolution"] == "dismissed", r
    ev = client.get("/v1/audit-events?action=drift_finding.dismissed&resource_id=" + f["id"])
    assert ev.status == 200 and [e["actor"]["type"] for e in ev.json] == ["admin"], ev
    check(admin)
    assert not [x for x in findings(admin, kind="trunk_mismatch") if x["number_id"] == n["id"]]


def test_a_finding_that_heals_is_closed_by_the_next_check(admin, sim, orphans):
    check(admin)
    target = orphans[1]
    f = next(f for f in findings(admin, kind="orphan") if f["phone_number"] == target["phone_number"])
    release_behind_our_back(sim, target["sid"])
    check(admin)
    closed = [x for x in findings(admin, state="resolved", kind="orphan") if x["id"] == f["id"]]
    assert closed and closed[0]["resolution"] == "no_longer_seen", closed


def test_gauges_count_open_findings(admin, ctl, orphans):
    check(admin)
    seen = [ctl.metric("oi-provisioning", "oi_provisioning_drift_findings", replica=i,
                       labels='provider="twilio",kind="orphan"') for i in range(ctl.replicas)]
    assert max(seen) >= 1000, seen  # the replica that ran the check


def test_bad_requests_change_nothing(admin, client):
    assert admin.get("/v1/ops/drift?state=closed").status == 422
    assert admin.get("/v1/ops/drift?kind=lost").status == 422
    assert admin.get("/v1/ops/drift?limit=0").status == 422
    assert admin.post("/v1/ops/drift/%s/resolve" % uuid.uuid4(), {"action": "dismiss"}).status == 404
    f = findings(admin, kind="orphan")[0]
    bad = admin.post("/v1/ops/drift/%s/resolve" % f["id"], {"action": "burn"})
    assert bad.status == 422 and bad.json["detail"][0]["loc"] == ["body", "action"], bad
    assert admin.post("/v1/ops/drift/%s/resolve" % f["id"], {}).status == 422
    assert client.get("/v1/ops/drift").status in (401, 403)
    assert client.post("/v1/ops/drift/check").status in (401, 403)
    still = [x for x in findings(admin, kind="orphan") if x["id"] == f["id"]]
    assert still and still[0]["resolved_at"] is None


def test_a_telnyx_orphan_is_found_and_released(admin, sim):
    status, offer = sim.carrier_send("telnyx", "GET", "/available_phone_numbers?filter%5Bcountry_code%5D=US"
                                     "&filter%5Bnational_destination_code%5D=713&filter%5Blimit%5D=1")
    assert status == 200 and offer["data"], offer
    phone = offer["data"][0]["phone_number"]
    status, order = sim.carrier_send("telnyx", "POST", "/number_orders", {"phone_numbers": [{"phone_number": phone}]})
    assert status == 200, order
    try:
        tx = check(admin)["telnyx"]
        assert tx["error"] is None and tx["findings"]["orphan"] >= 1, tx
        f = next(f for f in findings(admin, kind="orphan", provider="telnyx") if f["phone_number"] == phone)
        assert f["carrier_number_id"], f
        r = admin.post("/v1/ops/drift/%s/resolve" % f["id"], {"action": "release"})
        assert r.status == 200 and r.json["resolution"] == "released", r
        assert phone not in sim.owned()
    finally:  # never leave it on the account for the rest of the suite
        if phone in sim.owned():
            listed = sim.carrier("telnyx", "/phone_numbers?filter%%5Bphone_number%%5D=%s" % phone.lstrip("+"))
            for n in listed["data"]:
                sim.carrier_send("telnyx", "DELETE", "/phone_numbers/%s" % n["id"])


def test_one_replica_checks_per_period_and_every_replica_counts(admin, ctl):
    """Both provisioning replicas on a 3 s period for 10 s: the claim lets one of them list the
    accounts each period (about 3 checks, not about 6), and both export the gauges."""
    names = ["oi-provisioning" + ("" if i == 0 else ".%d" % i) for i in range(2)]
    if ctl.replicas < 2:
        pytest.skip("the test stack runs one provisioning replica")
    done = "numbers on the account"
    before = {n: ctl.log(n).count(done) for n in names}
    with ctl.started_with(names, {"OI_DRIFT_CHECK_MS": "3000"}):
        time.sleep(10)
        checks = {n: ctl.log(n).count(done) - before[n] for n in names}
        gauges = [ctl.ops_get("oi-provisioning", "/metrics", replica=i)[1] for i in range(2)]
    # each check logs one line per carrier account
    total = sum(checks.values()) // 2
    assert 2 <= total <= 4, checks
    assert ctl.psql("SELECT claimed_by IS NOT NULL FROM provisioning.periodic_claims WHERE name = 'drift_check'") == "t"
    for g in gauges:
        assert 'oi_provisioning_drift_findings{provider="twilio",kind="orphan"}' in g, g[:2000]


ELSEWHERE = "sip:pbx.elsewhere.example:5060"


def open_finding(admin, kind, number_id):
    return next((f for f in findings(admin, kind=kind) if f["number_id"] == number_id), None)


def test_a_trunk_sending_calls_elsewhere_is_an_origination_mismatch_repaired_by_the_admin(admin, client, ctl, sim,
                                                                                         agent):
    n = purchase(client, agent)
    sid = sim.twilio_trunk("oi-" + n["id"])["sid"]
    ous = sim.carrier("twilio", "/v1/Trunks/%s/OriginationUrls" % sid)["origination_urls"]
    ours = [o["sip_url"] for o in ous]
    assert len(ours) == 1, ous
    for o in ous:  # behind our back: the trunk now sends calls to somebody else's PBX
        status, _ = sim.carrier_send("twilio", "DELETE", "/v1/Trunks/%s/OriginationUrls/%s" % (sid, o["sid"]))
        assert status == 204
    status, _ = sim.carrier_send("twilio", "POST", "/v1/Trunks/%s/OriginationUrls" % sid,
                                 {"FriendlyName": "elsewhere", "SipUrl": ELSEWHERE, "Priority": "10",
                                  "Weight": "10", "Enabled": "true"})
    assert status == 201
    settle(ctl, n["id"])
    tw = check(admin)["twilio"]
    assert tw["findings"]["origination_mismatch"] >= 1 and tw["trunks_checked"] >= 1, tw
    f = open_finding(admin, "origination_mismatch", n["id"])
    assert f["detail"] == {"trunk_id": sid, "trunk_found": True, "origination_uris": [ELSEWHERE],
                           "expected_uri": ours[0]}, f
    assert admin.post("/v1/ops/drift/%s/resolve" % f["id"], {"action": "mark_released"}).status == 409
    r = admin.post("/v1/ops/drift/%s/resolve" % f["id"], {"action": "repair"})
    assert r.status == 200 and r.json["resolution"] == "repaired", r
    now = {o["sip_url"] for o in sim.carrier("twilio", "/v1/Trunks/%s/OriginationUrls" % sid)["origination_urls"]}
    assert ours[0] in now, now
    ev = client.get("/v1/audit-events?action=drift_finding.repaired&resource_id=" + f["id"])
    assert ev.status == 200 and len(ev.json) == 1, ev
    check(admin)
    assert open_finding(admin, "origination_mismatch", n["id"]) is None


def test_a_number_moved_off_its_trunk_is_repaired_and_a_gone_trunk_is_refused(admin, client, ctl, sim, agent):
    n = purchase(client, agent)
    pn = twilio_sid(sim, n["phone_number"])
    trunk = sim.twilio_trunk("oi-" + n["id"])["sid"]
    status, _ = sim.carrier_send("twilio", "POST", "/2010-04-01/Accounts/{AC}/IncomingPhoneNumbers/%s.json" % pn,
                                 {"TrunkSid": ""})
    assert status == 200
    settle(ctl, n["id"])
    check(admin)
    f = open_finding(admin, "trunk_mismatch", n["id"])
    r = admin.post("/v1/ops/drift/%s/resolve" % f["id"], {"action": "repair"})
    assert r.status == 200 and r.json["resolution"] == "repaired", r
    assert sim.carrier("twilio", "/2010-04-01/Accounts/{AC}/IncomingPhoneNumbers/%s.json" % pn)["trunk_sid"] == trunk
    # the trunk itself deleted behind our back: repair would make a new one without the
    # number's outbound credentials, so it is refused and the finding stays open
    status, _ = sim.carrier_send("twilio", "DELETE", "/v1/Trunks/%s" % trunk)
    assert status == 204
    check(admin)
    f = open_finding(admin, "trunk_mismatch", n["id"])
    r = admin.post("/v1/ops/drift/%s/resolve" % f["id"], {"action": "repair"})
    assert r.status == 409 and "gone" in r.json["detail"]["message"], r
    assert open_finding(admin, "trunk_mismatch", n["id"]) is not None
    orphan_or_missing = admin.post("/v1/ops/drift/%s/resolve" % f["id"], {"action": "release"})
    assert orphan_or_missing.status == 409
    assert client.delete("/v1/phone-numbers/" + n["id"]).status == 204


def test_a_telnyx_connection_without_our_fqdn_is_found_and_repaired(admin, client, ctl, sim, agent):
    names = ["oi-provisioning" + ("" if i == 0 else ".%d" % i) for i in range(ctl.replicas)]
    with ctl.started_with(names, {"OI_PURCHASE_CARRIER": "telnyx"}):
        n = purchase(client, agent, area="312")
    assert n["provider"] == "telnyx", n
    conn = sim.carrier("telnyx", "/phone_numbers?filter%%5Bphone_number%%5D=%s" % n["phone_number"].lstrip("+"))
    cid = conn["data"][0]["connection_id"]
    fqdns = sim.carrier("telnyx", "/fqdns?filter%%5Bconnection_id%%5D=%s" % cid)["data"]
    assert len(fqdns) == 1, fqdns
    status, _ = sim.carrier_send("telnyx", "DELETE", "/fqdns/%s" % fqdns[0]["id"])
    assert status == 200
    try:
        settle(ctl, n["id"])
        tx = check(admin)["telnyx"]
        assert tx["error"] is None and tx["findings"]["origination_mismatch"] >= 1, tx
        f = open_finding(admin, "origination_mismatch", n["id"])
        assert f["detail"]["trunk_id"] == cid and f["detail"]["origination_uris"] == [], f
        assert f["detail"]["trunk_found"] is True, f
        r = admin.post("/v1/ops/drift/%s/resolve" % f["id"], {"action": "repair"})
        assert r.status == 200 and r.json["resolution"] == "repaired", r
        again = sim.carrier("telnyx", "/fqdns?filter%%5Bconnection_id%%5D=%s" % cid)["data"]
        assert [(x["fqdn"], x["port"]) for x in again] == [(fqdns[0]["fqdn"], fqdns[0]["port"])], again
        check(admin)
        assert open_finding(admin, "origination_mismatch", n["id"]) is None
    finally:
        assert client.delete("/v1/phone-numbers/" + n["id"]).status == 204
