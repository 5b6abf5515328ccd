"""Routing policy: fallbacks, schedule (time zones, DST), caller rules, version, steps, explain."""
import uuid

import pytest

from oiclient import new_number, path_c_body, quote

FROM_US = "+14155550100"
FROM_GB = "+442079460123"


def resolve(internal, number, frm=None, at=None, call_id=None):
    q = "/v1/routing/resolve?to=" + quote(number)
    if frm:
        q += "&from=" + quote(frm)
    if at:
        q += "&at=" + quote(at)
    if call_id:
        q += "&call_id=" + quote(call_id)
    r = internal.get(q)
    assert r.status == 200, r
    return r.json


def register(client, primary, routing_extra, fallback=None):
    body = path_c_body(primary, primary, fallback or primary)
    if fallback is None:
        body["inbound_routing"]["fallback"] = None
    body["inbound_routing"].update(routing_extra)
    return client.register(body).json


def locs(r):
    assert r.status == 422, r
    return [tuple(e["loc"]) for e in r.json["detail"]]


@pytest.fixture
def team(client):
    return {k: client.agent(k)["id"] for k in ("primary", "a", "b", "c")}


NY_WEEKDAYS = {"time_zone": "America/New_York",
               "open": [{"days": ["mon", "tue", "wed", "thu", "fri"], "from": "09:00", "to": "17:00"}],
               "closed_dates": ["2026-12-25"]}


# --- validation ---------------------------------------------------------------------------------

@pytest.mark.parametrize("extra,loc", [
    ({"fallbacks": [{"agent_id": str(uuid.uuid4())}] * 6}, ("body", "inbound_routing", "fallbacks")),
    ({"fallbacks": [{"agent_id": "nope"}]}, ("body", "inbound_routing", "fallbacks", 0, "agent_id")),
    ({"fallbacks": [{"agent_id": str(uuid.uuid4()), "on": ["busy", "sleepy"]}]},
     ("body", "inbound_routing", "fallbacks", 0, "on", 1)),
    ({"fallbacks": {"agent_id": str(uuid.uuid4())}}, ("body", "inbound_routing", "fallbacks")),
    ({"schedule": dict(NY_WEEKDAYS, time_zone="Mars/Olympus_Mons")}, ("body", "inbound_routing", "schedule", "time_zone")),
    ({"schedule": dict(NY_WEEKDAYS, time_zone="GMT+05:00")}, ("body", "inbound_routing", "schedule", "time_zone")),
    ({"schedule": dict(NY_WEEKDAYS, open=[{"days": ["mon"], "from": "18:00", "to": "09:00"}])},
     ("body", "inbound_routing", "schedule", "open", 0, "to")),
    ({"schedule": dict(NY_WEEKDAYS, open=[{"days": ["funday"], "from": "09:00", "to": "10:00"}])},
     ("body", "inbound_routing", "schedule", "open", 0, "days", 0)),
    ({"schedule": dict(NY_WEEKDAYS, open=[{"days": ["mon"], "from": "9:00", "to": "10:00"}])},
     ("body", "inbound_routing", "schedule", "open", 0, "from")),
    ({"schedule": dict(NY_WEEKDAYS, closed_dates=["2026-12-25", "2027-02-29"])},
     ("body", "inbound_routing", "schedule", "closed_dates", 1)),
    ({"schedule": dict(NY_WEEKDAYS, after_hours={"voicemail": True, "agent_id": str(uuid.uuid4())})},
     ("body", "inbound_routing", "schedule", "after_hours")),
    ({"schedule": {"open": []}}, ("body", "inbound_routing", "schedule", "time_zone")),
    ({"caller_rules": [{"match": {"country": "gb"}, "action": "voicemail"}]},
     ("body", "inbound_routing", "caller_rules", 0, "match", "country")),
    ({"caller_rules": [{"match": {"country": "XX"}, "action": "voicemail"}]},
     ("body", "inbound_routing", "caller_rules", 0, "match", "country")),
    ({"caller_rules": [{"match": {"prefix": "44"}, "action": "reject"}]},
     ("body", "inbound_routing", "caller_rules", 0, "match", "prefix")),
    ({"caller_rules": [{"match": {"numbers": ["+1415", "call me"]}, "action": "reject"}]},
     ("body", "inbound_routing", "caller_rules", 0, "match", "numbers", 1)),
    ({"caller_rules": [{"match": {"prefix": "+44", "country": "GB"}, "action": "reject"}]},
     ("body", "inbound_routing", "caller_rules", 0, "match")),
    ({"caller_rules": [{"match": {"anonymous": True}, "action": "route"}]},
     ("body", "inbound_routing", "caller_rules", 0, "agent_id")),
    ({"caller_rules": [{"match": {"anonymous": True}, "action": "reject", "agent_id": str(uuid.uuid4())}]},
     ("body", "inbound_routing", "caller_rules", 0, "agent_id")),
    ({"caller_rules": [{"match": {"anonymous": True}, "action": "hang_up"}]},
     ("body", "inbound_routing", "caller_rules", 0, "action")),
    ({"caller_rules": [{"match": {"anonymous": True}, "action": "reject", "why": "x"}]},
     ("body", "inbound_routing", "caller_rules", 0, "why")),
    ({"caller_rules": [{"match": {"anonymous": True}, "action": "reject"}] * 33},
     ("body", "inbound_routing", "caller_rules")),
])
def test_invalid_policy_is_422_at_its_loc_and_changes_nothing(client, team, extra, loc):
    body = path_c_body(team["primary"], team["primary"], team["a"])
    body["inbound_routing"].update(extra)
    assert loc in locs(client.post("/v1/phone-numbers", body))
    n = register(client, team["primary"], {})
    r = client.patch("/v1/phone-numbers/" + n["id"], {"inbound_routing": extra})
    assert loc in locs(r)
    assert client.get("/v1/phone-numbers/" + n["id"]).json == n


def test_unknown_agent_in_policy_is_refused(client, team):
    ghost = str(uuid.uuid4())
    body = path_c_body(team["primary"], team["primary"], team["a"])
    body["inbound_routing"]["fallbacks"] = [{"agent_id": team["b"]}, {"agent_id": ghost}]
    r = client.post("/v1/phone-numbers", body)
    assert r.status == 404 and r.code == "AGENT_NOT_FOUND", r
    n = register(client, team["primary"], {})
    for extra in ({"fallbacks": [{"agent_id": ghost}]},
                  {"caller_rules": [{"match": {"anonymous": True}, "action": "route", "agent_id": ghost}]},
                  {"schedule": dict(NY_WEEKDAYS, after_hours={"agent_id": ghost})}):
        r = client.patch("/v1/phone-numbers/" + n["id"], {"inbound_routing": extra})
        assert r.status == 404 and r.code == "AGENT_NOT_FOUND", (extra, r)
    assert client.get("/v1/phone-numbers/" + n["id"]).json == n


def test_agent_of_another_workspace_is_refused(client, other, team):
    theirs = other.agent("theirs")["id"]
    n = register(client, team["primary"], {})
    r = client.patch("/v1/phone-numbers/" + n["id"], {"inbound_routing": {"fallbacks": [{"agent_id": theirs}]}})
    assert r.status == 404 and r.code == "AGENT_NOT_FOUND", r


# --- echo and merge -------------------------------------------------------------------------------

def test_members_are_echoed_canonical_and_merged_one_by_one(client, team):
    plain = register(client, team["primary"], {})
    assert set(plain["inbound_routing"]) == {"agent_id", "fallback", "voicemail_message"}
    n = register(client, team["primary"], {
        "fallbacks": [{"agent_id": team["a"].upper(), "on": ["no_answer", "busy", "busy"]}, {"agent_id": team["b"]}],
        "schedule": {"time_zone": "Europe/London",
                     "open": [{"days": ["fri", "mon"], "from": "09:00", "to": "24:00"}],
                     "closed_dates": ["2026-12-26", "2026-12-25"]},
        "caller_rules": [{"match": {"numbers": ["+44 7911 123-456"]}, "action": "reject"}],
    })
    ir = n["inbound_routing"]
    assert ir["fallbacks"] == [{"agent_id": team["a"], "on": ["busy", "no_answer"]},
                               {"agent_id": team["b"], "on": ["paused", "deleted", "error", "busy", "no_answer"]}]
    assert ir["schedule"] == {"time_zone": "Europe/London",
                              "open": [{"days": ["mon", "fri"], "from": "09:00", "to": "24:00"}],
                              "closed_dates": ["2026-12-25", "2026-12-26"], "after_hours": {"voicemail": True}}
    assert ir["caller_rules"] == [{"match": {"numbers": ["+447911123456"]}, "action": "reject"}]
    assert client.get("/v1/phone-numbers/" + n["id"]).json["inbound_routing"] == ir

    # one member replaced, the others kept; null clears one
    p = client.patch("/v1/phone-numbers/" + n["id"], {"inbound_routing": {"fallbacks": [{"agent_id": team["c"]}]}})
    assert p.status == 200, p
    assert p.json["inbound_routing"]["fallbacks"] == [
        {"agent_id": team["c"], "on": ["paused", "deleted", "error", "busy", "no_answer"]}]
    assert p.json["inbound_routing"]["schedule"] == ir["schedule"]
    assert p.json["inbound_routing"]["caller_rules"] == ir["caller_rules"]
    p = client.patch("/v1/phone-numbers/" + n["id"], {"inbound_routing": {"schedule": None}})
    assert p.status == 200 and "schedule" not in p.json["inbound_routing"], p
    p = client.patch("/v1/phone-numbers/" + n["id"], {"friendly_name": "renamed"})
    assert p.json["inbound_routing"]["caller_rules"] == ir["caller_rules"]


# --- the decision -----------------------------------------------------------------------------------

def test_plain_number_gets_version_and_steps(client, internal, team):
    n = register(client, team["primary"], {}, fallback=team["a"])
    d = resolve(internal, n["phone_number"], FROM_US)
    assert d["reason"] == "primary" and d["agent_id"] == team["primary"]
    assert d["steps"] == [
        {"type": "agent", "agent_id": team["primary"], "role": "primary", "on": []},
        {"type": "agent", "agent_id": team["a"], "role": "fallback",
         "on": ["paused", "deleted", "error", "busy", "no_answer"]},
        {"type": "voicemail", "voicemail_message": n["inbound_routing"]["voicemail_message"]}]
    v1 = d["version"]
    assert v1 >= 1
    client.patch("/v1/phone-numbers/" + n["id"], {"inbound_routing": {"voicemail_message": "new"}})
    d = resolve(internal, n["phone_number"], FROM_US)
    assert d["version"] > v1 and d["steps"][-1]["voicemail_message"] == "new"


def test_caller_rules_first_match_wins(client, internal, team):
    n = register(client, team["primary"], {"caller_rules": [
        {"match": {"numbers": ["+14155550123"]}, "action": "reject"},
        {"match": {"prefix": "+1415"}, "action": "route", "agent_id": team["b"]},
        {"match": {"country": "GB"}, "action": "voicemail"},
        {"match": {"anonymous": True}, "action": "route", "agent_id": team["c"]},
    ]})
    to = n["phone_number"]
    d = resolve(internal, to, "+14155550123")
    assert d["reason"] == "rejected" and d["agent_id"] is None and d["steps"] == [], d
    assert d["voicemail_message"] is None
    d = resolve(internal, to, "+14155550199")
    assert d["reason"] == "caller_rule" and d["agent_id"] == team["b"]
    assert [s["type"] for s in d["steps"]] == ["agent", "voicemail"]
    d = resolve(internal, to, FROM_GB)
    assert d["reason"] == "caller_rule" and d["agent_id"] is None and d["steps"][0]["type"] == "voicemail"
    d = resolve(internal, to)
    assert d["reason"] == "caller_rule" and d["agent_id"] == team["c"]
    d = resolve(internal, to, "+12125550100")
    assert d["reason"] == "primary" and d["agent_id"] == team["primary"]


def test_country_rule_uses_the_numbering_plan(client, internal, team):
    """+1 613 is Canada, not the US: the country comes from libphonenumber's data."""
    n = register(client, team["primary"], {"caller_rules": [
        {"match": {"country": "CA"}, "action": "route", "agent_id": team["a"]}]})
    assert resolve(internal, n["phone_number"], "+16135550100")["agent_id"] == team["a"]
    assert resolve(internal, n["phone_number"], "+12125550100")["agent_id"] == team["primary"]


@pytest.mark.parametrize("at,reason", [
    ("2026-03-06T13:30:00Z", "after_hours"),   # Fri 08:30 EST
    ("2026-03-09T13:30:00Z", "primary"),       # Mon 09:30 EDT: the same UTC time, after the DST change
    ("2026-03-09T20:59:00Z", "primary"),       # Mon 16:59 EDT
    ("2026-03-09T21:00:00Z", "after_hours"),   # Mon 17:00 EDT
    ("2026-11-02T14:00:00Z", "primary"),       # Mon 09:00 EST, after the change back
    ("2026-11-02T13:59:59Z", "after_hours"),   # Mon 08:59 EST
    ("2026-03-07T16:00:00Z", "after_hours"),   # Saturday
    ("2026-12-25T15:00:00Z", "closed_date"),   # Fri 10:00 EST, a closed date
    ("2026-12-25T04:59:00Z", "after_hours"),   # Thu 23:59 EST in New York (already the 25th in UTC)
])
def test_schedule_in_new_york_across_dst(client, internal, team, at, reason):
    n = register(client, team["primary"], {"schedule": dict(NY_WEEKDAYS, after_hours={"agent_id": team["a"]})})
    d = resolve(internal, n["phone_number"], FROM_US, at=at)
    assert d["reason"] == reason, (at, d)
    assert d["agent_id"] == (team["primary"] if reason == "primary" else team["a"])


@pytest.mark.parametrize("at,open_", [
    ("2026-03-27T08:30:00Z", False),  # Fri 08:30 GMT
    ("2026-03-30T08:30:00Z", True),   # Mon 09:30 BST
    ("2026-10-23T16:30:00Z", False),  # Fri 17:30 BST
    ("2026-10-26T16:30:00Z", True),   # Mon 16:30 GMT
])
def test_schedule_in_london_across_dst(client, internal, team, at, open_):
    n = register(client, team["primary"], {"schedule": {
        "time_zone": "Europe/London", "open": [{"days": ["mon", "fri"], "from": "09:00", "to": "17:00"}]}})
    d = resolve(internal, n["phone_number"], FROM_US, at=at)
    assert d["reason"] == ("primary" if open_ else "after_hours"), (at, d)
    if not open_:
        assert d["agent_id"] is None and d["steps"][0]["type"] == "voicemail"


def test_caller_rule_applies_at_any_hour(client, internal, team):
    n = register(client, team["primary"], {
        "schedule": {"time_zone": "UTC", "open": []},
        "caller_rules": [{"match": {"prefix": "+44"}, "action": "route", "agent_id": team["b"]}]})
    assert resolve(internal, n["phone_number"], FROM_GB)["agent_id"] == team["b"]
    assert resolve(internal, n["phone_number"], FROM_US)["reason"] == "after_hours"


def test_fallbacks_follow_their_triggers(client, internal, team):
    n = register(client, team["primary"], {"fallbacks": [
        {"agent_id": team["a"], "on": ["busy", "no_answer"]}, {"agent_id": team["b"]}]})
    to = n["phone_number"]
    d = resolve(internal, to, FROM_US)
    assert d["reason"] == "primary"
    assert [(s.get("role"), s.get("on")) for s in d["steps"][:3]] == [
        ("primary", []), ("fallbacks[0]", ["busy", "no_answer"]),
        ("fallbacks[1]", ["paused", "deleted", "error", "busy", "no_answer"])]
    # the primary failed in this call: a busy/no-answer step takes it
    call = "call-" + uuid.uuid4().hex
    r = internal.post("/v1/routing/failures", {"call_id": call, "agent_id": team["primary"], "to": to})
    assert r.status == 204, r
    d = resolve(internal, to, FROM_US, call_id=call)
    assert d["agent_id"] == team["a"] and d["reason"] == "fallback_primary_failed", d
    # paused: fallbacks[0] does not take paused, fallbacks[1] does
    assert client.patch("/v1/agents/" + team["primary"], {"status": "paused"}).status == 200
    d = resolve(internal, to, FROM_US)
    assert d["agent_id"] == team["b"] and d["reason"] == "fallback_primary_paused", d
    # a policy agent's own change reaches the cached decision
    assert client.patch("/v1/agents/" + team["b"], {"status": "paused"}).status == 200
    d = resolve(internal, to, FROM_US)
    assert d["agent_id"] is None and d["reason"] == "voicemail_no_agent", d


def test_patch_of_policy_applies_to_the_next_resolve(client, internal, team):
    n = register(client, team["primary"], {})
    to = n["phone_number"]
    assert resolve(internal, to, FROM_GB)["reason"] == "primary"
    r = client.patch("/v1/phone-numbers/" + n["id"], {"inbound_routing": {
        "caller_rules": [{"match": {"country": "GB"}, "action": "reject"}]}})
    assert r.status == 200, r
    assert resolve(internal, to, FROM_GB)["reason"] == "rejected"
    assert resolve(internal, to, FROM_US)["reason"] == "primary"


def test_bad_at_is_422(internal, client, team):
    n = register(client, team["primary"], {})
    for at in ("tomorrow", "2026-02-30T10:00:00Z", "2026-03-09T13:30:00"):
        r = internal.get("/v1/routing/resolve?to=" + quote(n["phone_number"]) + "&at=" + quote(at))
        assert r.status == 422 and ("query", "at") in locs(r), (at, r)


# --- explain ----------------------------------------------------------------------------------------

def test_explain_traces_every_check(client, internal, team):
    n = register(client, team["primary"], {
        "schedule": dict(NY_WEEKDAYS, after_hours={"voicemail": True}),
        "caller_rules": [{"match": {"prefix": "+44"}, "action": "reject"},
                         {"match": {"anonymous": True}, "action": "voicemail"}]})
    path = "/v1/phone-numbers/%s/routing/explain?from=%s&at=%s" % (n["id"], quote(FROM_US), quote("2026-03-09T13:30:00Z"))
    r = client.get(path)
    assert r.status == 200, r
    e = r.json
    assert e["reason"] == "primary" and e["agent_id"] == team["primary"]
    checks = [(t["check"], t["matched"]) for t in e["trace"]]
    assert checks[:3] == [("caller_rules[0]", False), ("caller_rules[1]", False), ("schedule", False)], checks
    assert ("agent primary", True) in checks
    sched = next(t for t in e["trace"] if t["check"] == "schedule")
    assert "09:30" in sched["detail"] and "America/New_York" in sched["detail"], sched
    # the same decision resolve gives, plus the trace
    d = resolve(internal, n["phone_number"], FROM_US, at="2026-03-09T13:30:00Z")
    assert {k: v for k, v in e.items() if k != "trace"} == d
    e = client.get("/v1/phone-numbers/%s/routing/explain?from=%s" % (n["id"], quote(FROM_GB))).json
    assert e["reason"] == "rejected" and e["trace"][0] == {
        "check": "caller_rules[0]", "matched": True, "detail": "caller %s starts with +44" % FROM_GB}


def test_explain_is_workspace_scoped_and_validated(client, other, internal, team):
    n = register(client, team["primary"], {})
    assert other.get("/v1/phone-numbers/%s/routing/explain" % n["id"]).status == 404
    assert internal.get("/v1/phone-numbers/%s/routing/explain" % n["id"]).status in (401, 403)
    r = client.get("/v1/phone-numbers/%s/routing/explain?at=noon" % n["id"])
    assert ("query", "at") in locs(r)
    r = client.get("/v1/phone-numbers/%s/routing/explain?from=abc" % n["id"])
    assert ("query", "from") in locs(r)
    assert client.get("/v1/phone-numbers/not-a-uuid/routing/explain").status == 422
